"""Reasoning sent inline in the content, as ``<think>…</think>`` before the answer
(llama.cpp with ``--reasoning-format none``, many open models): split out of the content
as it streams, a tag cut across chunks at any position included.

Only a think block that opens the reply counts (leading whitespace allowed): a model
writing about ``<think>`` tags later in an answer is left alone. Text that could still be
the start of a tag is held back until the next piece says what it is, so nothing shown
as the answer is ever taken back. A reply cut off inside the block (max_tokens) leaves
all of it as reasoning. Plain Python, a few string operations per piece; once the answer
has started, pieces pass straight through."""

from __future__ import annotations

OPEN = "<think>"
CLOSE = "</think>"
# Leading whitespace is held back at most this long (then it is the answer): a server
# streaming only whitespace must not make each piece re-read all of it.
HOLD_MAX = 4096


def _held(text: str, tag: str) -> int:
    """How many characters at the end of ``text`` could begin ``tag``."""
    for k in range(min(len(text), len(tag) - 1), 0, -1):
        if tag.startswith(text[-k:]):
            return k
    return 0


class ThinkSplitter:
    __slots__ = ("_held", "_state")

    def __init__(self) -> None:
        self._state = "start"  # start (only whitespace so far), think, after, answer
        self._held = ""

    @property
    def thinking(self) -> bool:
        return self._state == "think"

    def feed(self, text: str) -> tuple[str, str]:
        """One piece of content -> (answer text, reasoning text) to append now."""
        if self._state == "answer":
            return text, ""
        buf, self._held = self._held + text, ""
        answer: list[str] = []
        reasoning: list[str] = []
        while buf:
            if self._state == "start":
                stripped = buf.lstrip()
                if stripped.startswith(OPEN):
                    self._state, buf = "think", stripped[len(OPEN) :]
                elif (not stripped or OPEN.startswith(stripped)) and len(buf) < HOLD_MAX:
                    self._held = buf  # whitespace, or maybe a tag cut short: wait
                    break
                else:
                    self._state = "answer"
                    answer.append(buf)
                    break
            elif self._state == "think":
                end = buf.find(CLOSE)
                if end >= 0:
                    reasoning.append(buf[:end])
                    self._state, buf = "after", buf[end + len(CLOSE) :]
                else:
                    keep = _held(buf, CLOSE)
                    reasoning.append(buf[: len(buf) - keep])
                    self._held = buf[len(buf) - keep :]
                    break
            else:  # after: the blank lines between the block and the answer
                stripped = buf.lstrip()
                if stripped:
                    self._state = "answer"
                    answer.append(stripped)
                break
        return "".join(answer), "".join(reasoning)

    def flush(self) -> tuple[str, str]:
        """The content ended: what was held back, as answer or reasoning."""
        held, self._held = self._held, ""
        if self._state == "think":
            return "", held
        if self._state == "start":
            return held, ""
        return "", ""


def split_think(text: str) -> tuple[str, str]:
    """A whole reply's content -> (answer, reasoning)."""
    splitter = ThinkSplitter()
    answer, reasoning = splitter.feed(text)
    more_answer, more_reasoning = splitter.flush()
    return answer + more_answer, reasoning + more_reasoning
