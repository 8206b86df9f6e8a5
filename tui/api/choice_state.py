"""One choice of a reply as it arrives: its text fields (appended in pieces, joined when
read, surrogate pairs split across pieces joined), its tool calls and legacy function
call, its logprobs and finish reason. :mod:`.accumulate` folds chunks into these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .textfix import SurrogateJoiner, fix_surrogates
from .think import ThinkSplitter, split_think


@dataclass
class ToolCallState:
    index: int
    id: str | None = None
    type: str | None = None
    name: str | None = None
    _args: _Text = field(default_factory=lambda: _Text())

    @property
    def arguments(self) -> str:
        return self._args.value

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "id": self.id,
            "type": self.type or "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


class _Text:
    """An append-only string that joins its parts only when read. A high surrogate at the
    end of a part waits for the next part (the low half may be there); :meth:`flush` ends
    the wait."""

    __slots__ = ("_parts", "_len", "_joiner")

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._len = 0
        self._joiner = SurrogateJoiner()

    def append(self, text: str) -> None:
        text = self._joiner.feed(text)
        if text:
            self._parts.append(text)
            self._len += len(text)

    def flush(self) -> None:
        rest = self._joiner.flush()
        if rest:
            self._parts.append(rest)
            self._len += len(rest)

    def __len__(self) -> int:
        return self._len

    @property
    def value(self) -> str:
        if len(self._parts) > 1:
            self._parts[:] = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    def set(self, text: str) -> None:
        text = fix_surrogates(text)
        self._parts[:] = [text] if text else []
        self._len = len(text)


@dataclass
class ChoiceState:
    index: int
    role: str | None = None
    finish_reason: str | None = None
    deltas: int = 0
    has_content: bool = False
    has_refusal: bool = False
    _content: _Text = field(default_factory=_Text)
    _refusal: _Text = field(default_factory=_Text)
    _reasoning: _Text = field(default_factory=_Text)
    tool_calls: dict[int, ToolCallState] = field(default_factory=dict)
    # A wire index reused for a new call (new id) -> the key that call is kept under.
    _tool_alias: dict[int, int] = field(default_factory=dict, repr=False)
    function_call: ToolCallState | None = None
    logprobs: dict[str, list[Any]] | None = None
    # Inline <think> reasoning split out of the streamed content (tui/api/think.py).
    _think: ThinkSplitter = field(default_factory=ThinkSplitter, repr=False)

    def add_content(self, text: str) -> None:
        """A piece of streamed content: reasoning in a leading <think> block goes to
        the reasoning, the rest to the content."""
        answer, reasoning = self._think.feed(text)
        if answer:
            self._content.append(answer)
        if reasoning:
            self._reasoning.append(reasoning)

    def set_content(self, text: str, reasoning: str | None) -> None:
        """A whole message's content (and its reasoning field, when it has one)."""
        answer, inline = split_think(text)
        self._content.set(answer)
        if reasoning or inline:
            self._reasoning.set(reasoning or inline)

    @property
    def content(self) -> str:
        return self._content.value

    @property
    def refusal(self) -> str:
        return self._refusal.value

    @property
    def reasoning(self) -> str:
        return self._reasoning.value

    @property
    def content_length(self) -> int:
        return len(self._content)

    def ordered_tool_calls(self) -> list[ToolCallState]:
        return [self.tool_calls[k] for k in sorted(self.tool_calls)]

    def flush(self) -> None:
        """The field ended: a high surrogate still waiting for its low half is lone;
        content held back (a tag maybe cut short) is let go."""
        answer, reasoning = self._think.flush()
        if answer:
            self._content.append(answer)
        if reasoning:
            self._reasoning.append(reasoning)
        for text in (self._content, self._refusal, self._reasoning):
            text.flush()
        for call in self.tool_calls.values():
            call._args.flush()
        if self.function_call is not None:
            self.function_call._args.flush()

    def to_dict(self) -> dict[str, Any]:
        """The choice as ``ask --json`` and the store report it."""
        fc = self.function_call
        return {
            "index": self.index,
            "content": self.content if self.has_content or self.content else None,
            "refusal": self.refusal if self.has_refusal or self.refusal else None,
            "reasoning": self.reasoning or None,
            "tool_calls": [t.to_dict() for t in self.ordered_tool_calls()] or None,
            "function_call": {"name": fc.name, "arguments": fc.arguments} if fc else None,
            "finish_reason": self.finish_reason,
            "logprobs": self.logprobs,
        }
