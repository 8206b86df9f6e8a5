"""A conversation: turns of (input messages -> n choices), the chosen choice of each, and
the parameters and tools of the next request. Plain Python; the UI renders it."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..api.accumulate import StreamAccumulator
from ..api.schema import ChatRequest, InvalidParameter
from .params import build_request
from .tools import ToolSettings


def _now() -> float:
    return time.time()


# What an interrupted turn shows as its error (when it had none of its own).
INTERRUPTED_ERROR: dict[str, Any] = {
    "kind": "interrupted",
    "message": "the reply was cut off: the app stopped while it was still arriving",
}

# A conversation id names its file: letters, digits, "-" and "_" only, so a file from
# elsewhere cannot make the store write or delete outside its folder.
SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def _text(content: Any) -> str:
    """The text of a message's content: a string, or the text parts of a list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return ""


@dataclass
class ChoiceRecord:
    """One finished (or cut-off) choice of a turn, as saved."""

    index: int
    content: str | None = None
    refusal: str | None = None
    reasoning: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    function_call: dict[str, Any] | None = None
    finish_reason: str | None = None
    logprobs: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ChoiceRecord:
        return cls(
            **{k: d.get(k) for k in cls.__dataclass_fields__ if k != "index"},
            index=int(d.get("index", 0)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def message(self) -> dict[str, Any]:
        """The assistant message this choice contributes to the history (API shape)."""
        msg: dict[str, Any] = {"role": "assistant", "content": self.content or None}
        if self.tool_calls:
            msg["tool_calls"] = [
                {
                    "id": t.get("id") or f"call_{self.index}_{i}",
                    "type": "function",
                    "function": {
                        "name": (t.get("function") or {}).get("name") or "",
                        "arguments": (t.get("function") or {}).get("arguments") or "",
                    },
                }
                for i, t in enumerate(self.tool_calls)
            ]
        if self.function_call:
            msg["function_call"] = {
                "name": self.function_call.get("name") or "",
                "arguments": self.function_call.get("arguments") or "",
            }
        if msg["content"] is None and "tool_calls" not in msg and "function_call" not in msg:
            msg["content"] = self.refusal or ""
        return msg


@dataclass
class Turn:
    """Messages sent (a user message, or tool results) and the reply's choices."""

    input: list[dict[str, Any]]
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    request: dict[str, Any] | None = None
    choices: list[ChoiceRecord] = field(default_factory=list)
    chosen: int = 0
    completion_id: str | None = None
    model: str | None = None
    system_fingerprint: str | None = None
    seed: int | None = None
    usage: dict[str, Any] | None = None
    timings: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    cancelled: bool = False
    started_at: float = field(default_factory=_now)
    verification: dict[str, Any] | None = None
    # sha256 of the exact request and response bytes (for signature checks later).
    request_sha256: str | None = None
    response_sha256: str | None = None
    response_complete: bool = False
    # What the user typed as the result of each tool call (call id -> text), kept
    # until sent, so a partial answer survives leaving and coming back.
    tool_results: dict[str, str] = field(default_factory=dict)
    # The reply was still streaming when this turn was last saved, and the process never
    # saved it again (killed, crashed): what is here is cut off, not a complete answer.
    interrupted: bool = False
    # Other replies to the same input (regenerated ones), oldest first, each saved as a
    # turn is, without input; the reply shown is number ``reply_no`` among them all.
    earlier: list[dict[str, Any]] = field(default_factory=list)
    reply_no: int = 0
    # Live state while a request runs; never saved.
    live: StreamAccumulator | None = field(default=None, repr=False, compare=False)

    @property
    def pending(self) -> bool:
        return self.live is not None

    # -- replies to the same input -----------------------------------------------------

    @property
    def replies(self) -> int:
        return len(self.earlier) + 1

    def reply_snapshot(self) -> dict[str, Any]:
        d = self.to_dict()
        for key in ("id", "input", "earlier", "reply_no", "partial"):
            d.pop(key, None)
        return d

    def all_replies(self) -> list[dict[str, Any]]:
        """Every reply to this input in order, the shown one included."""
        return [
            *self.earlier[: self.reply_no],
            self.reply_snapshot(),
            *self.earlier[self.reply_no :],
        ]

    def show_reply(self, number: int) -> None:
        """Make reply ``number`` (0-based, in order) the one shown and sent as history."""
        replies = self.all_replies()
        number = max(0, min(number, len(replies) - 1))
        chosen = Turn.from_dict({**replies.pop(number), "id": self.id, "input": self.input})
        for key in REPLY_FIELDS:
            setattr(self, key, getattr(chosen, key))
        self.earlier, self.reply_no = replies, number

    def chosen_choice(self) -> ChoiceRecord | None:
        for c in self.choices:
            if c.index == self.chosen:
                return c
        return self.choices[0] if self.choices else None

    def record_exchange(self, exchange: Any) -> None:
        if exchange is None:
            return
        self.request_sha256 = exchange.request_sha256
        self.response_sha256 = exchange.response_sha256
        self.response_complete = bool(exchange.complete and exchange.status == 200)

    def finish(self, acc: StreamAccumulator) -> None:
        """Freeze the accumulator's state into records."""
        self.choices = [ChoiceRecord.from_dict(c.to_dict()) for c in acc.ordered()]
        self.completion_id = acc.id
        self.model = acc.model
        self.system_fingerprint = acc.system_fingerprint
        self.usage = acc.usage
        self.timings = acc.timings_dict()
        self.error = acc.error.to_dict() if acc.error else None
        self.cancelled = acc.cancelled
        if self.choices and self.chosen not in {c.index for c in self.choices}:
            self.chosen = self.choices[0].index
        self.live = None
        self.interrupted = False

    def to_dict(self) -> dict[str, Any]:
        choices = self.choices
        if self.live is not None:
            # Mid-stream: save what has arrived so far.
            choices = [ChoiceRecord.from_dict(c.to_dict()) for c in self.live.ordered()]
        return {
            "id": self.id,
            "input": self.input,
            "request": self.request,
            "partial": self.live is not None,
            "interrupted": self.interrupted,
            "choices": [c.to_dict() for c in choices],
            "chosen": self.chosen,
            "completion_id": self.completion_id,
            "model": self.model,
            "system_fingerprint": self.system_fingerprint,
            "seed": self.seed,
            "usage": self.usage,
            "timings": self.timings,
            "error": self.error,
            "cancelled": self.cancelled,
            "started_at": self.started_at,
            "verification": self.verification,
            "tool_results": self.tool_results,
            "request_sha256": self.request_sha256,
            "response_sha256": self.response_sha256,
            "response_complete": self.response_complete,
            "earlier": self.earlier,
            "reply_no": self.reply_no,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Turn:
        t = cls(input=list(d.get("input") or []))
        for key in (
            "id",
            "request",
            "chosen",
            "completion_id",
            "model",
            "system_fingerprint",
            "seed",
            "usage",
            "timings",
            "error",
            "cancelled",
            "started_at",
            "verification",
            "tool_results",
            "request_sha256",
            "response_sha256",
            "response_complete",
        ):
            if key in d and d[key] is not None:
                setattr(t, key, d[key])
        t.choices = [ChoiceRecord.from_dict(c) for c in d.get("choices") or []]
        earlier = d.get("earlier")
        if isinstance(earlier, list):
            t.earlier = [e for e in earlier if isinstance(e, dict)]
        number = d.get("reply_no")
        if isinstance(number, int) and not isinstance(number, bool):
            t.reply_no = max(0, min(number, len(t.earlier)))
        # Saved mid-stream ("partial") and never saved again: the reply was cut off.
        t.interrupted = bool(d.get("interrupted") or d.get("partial"))
        if t.interrupted and t.error is None and not t.cancelled:
            t.error = dict(INTERRUPTED_ERROR)
        return t


# What one reply of a turn is (everything but its input and its other replies).
REPLY_FIELDS = (
    "request",
    "choices",
    "chosen",
    "completion_id",
    "model",
    "system_fingerprint",
    "seed",
    "usage",
    "timings",
    "error",
    "cancelled",
    "started_at",
    "verification",
    "tool_results",
    "request_sha256",
    "response_sha256",
    "response_complete",
    "interrupted",
)


@dataclass
class Conversation:
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    title: str | None = None
    created: float = field(default_factory=_now)
    updated: float = field(default_factory=_now)
    profile: str | None = None
    model: str = ""
    system: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    toolset: ToolSettings = field(default_factory=ToolSettings)
    turns: list[Turn] = field(default_factory=list)

    # -- history ----------------------------------------------------------------------

    def history(self, upto: int | None = None) -> list[dict[str, Any]]:
        """Messages in API shape: system, then each turn's input and chosen reply."""
        msgs: list[dict[str, Any]] = []
        if self.system.strip():
            msgs.append({"role": "system", "content": self.system})
        turns = self.turns if upto is None else self.turns[:upto]
        for turn in turns:
            msgs.extend(turn.input)
            chosen = turn.chosen_choice()
            if chosen is not None and not turn.pending and _usable(chosen):
                msgs.append(chosen.message())
        return msgs

    def interrupted_turns(self, upto: int | None = None) -> list[Turn]:
        """The turns of the history (the first ``upto`` turns, or all) whose reply was cut
        off when the app stopped mid-stream: what the next request would send as if it
        were a complete answer. Warn before sending when this is not empty."""
        turns = self.turns if upto is None else self.turns[:upto]
        return [t for t in turns if t.interrupted and not t.pending]

    def display_title(self) -> str:
        if self.title:
            return self.title
        for turn in self.turns:
            for m in turn.input:
                text = _text(m.get("content")).strip() if m.get("role") == "user" else ""
                if text:
                    line = text.splitlines()[0].strip()
                    return line[:60] + ("…" if len(line) > 60 else "")
        return "New conversation"

    def search_text(self) -> str:
        """Everything a person reads in this conversation, for the list's search."""
        parts = [self.display_title(), self.system, self.model]
        for turn in self.turns:
            parts.extend(_text(m.get("content")) for m in turn.input if isinstance(m, dict))
            for c in turn.choices:
                parts += [c.content or "", c.refusal or "", c.reasoning or ""]
                for call in c.tool_calls or []:
                    fn = call.get("function") if isinstance(call, dict) else None
                    if isinstance(fn, dict):
                        parts += [str(fn.get("name") or ""), str(fn.get("arguments") or "")]
        return "\n".join(p for p in parts if p)

    # -- next request -----------------------------------------------------------------

    def build(self, input_messages: list[dict[str, Any]], upto: int | None = None) -> ChatRequest:
        """The request that sends ``input_messages`` after the history (validated)."""
        messages = self.history(upto) + input_messages
        problems = self.toolset.problems()
        if problems:
            raise InvalidParameter("tools", problems[0])
        params = {**self.params, **self.toolset.request_params()}
        return build_request(model=self.model, messages=messages, params=params)

    def preview(self, draft: str = "") -> dict[str, Any]:
        """The body the next send would post, without validation (for the live preview)."""
        messages = self.history()
        if draft.strip():
            messages = [*messages, {"role": "user", "content": draft}]
        body: dict[str, Any] = {"model": self.model, "messages": messages}
        body.update({k: v for k, v in self.params.items() if k not in ("model", "messages")})
        body.update(self.toolset.request_params())
        return body

    def start_turn(self, input_messages: list[dict[str, Any]], request: ChatRequest) -> Turn:
        turn = Turn(input=input_messages, request=request.body(), seed=request.seed)
        turn.live = StreamAccumulator()
        self.turns.append(turn)
        self.touch()
        return turn

    def truncate(self, index: int) -> None:
        """Drop turn ``index`` and everything after it."""
        del self.turns[index:]
        self.touch()

    def touch(self) -> None:
        self.updated = _now()

    # -- storage shape ----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        last_request = None
        for turn in reversed(self.turns):
            if turn.request:
                last_request = turn.request
                break
        return {
            "id": self.id,
            "title": self.title,
            "created": self.created,
            "updated": self.updated,
            "profile": self.profile,
            "model": self.model,
            "system": self.system,
            "params": self.params,
            "tools": self.toolset.to_dict(),
            "request": last_request,
            "turns": [t.to_dict() for t in self.turns],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Conversation:
        c = cls()
        for key in ("id", "title", "created", "updated", "profile", "model", "system"):
            if d.get(key) is not None:
                setattr(c, key, d[key])
        if not isinstance(c.id, str) or not SAFE_ID.match(c.id):
            c.id = uuid.uuid4().hex  # never let a file's id name a path outside the store
        c.params = dict(d.get("params") or {})
        c.toolset = ToolSettings.from_dict(d.get("tools"))
        c.turns = [Turn.from_dict(t) for t in d.get("turns") or []]
        return c


def _usable(choice: ChoiceRecord) -> bool:
    return bool(choice.content or choice.tool_calls or choice.function_call or choice.refusal)
