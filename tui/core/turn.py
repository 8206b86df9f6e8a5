"""One turn of a conversation: the messages sent, what was sent with them, and every
reply's choices. Plain Python."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..api.shapes import assistant_message

if TYPE_CHECKING:
    from ..api.accumulate import StreamAccumulator


def _now() -> float:
    return time.time()


# What an interrupted turn shows as its error (when it had none of its own).
INTERRUPTED_ERROR: dict[str, Any] = {
    "kind": "interrupted",
    "message": "the reply was cut off: the app stopped while it was still arriving",
}


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

    def message(self, reasoning_key: str | None = None) -> dict[str, Any]:
        """The assistant message this choice contributes to the history (API shape), with
        its reasoning under ``reasoning_key`` when that is given and there is some."""
        msg = assistant_message(
            self.index,
            content=self.content,
            refusal=self.refusal,
            tool_calls=self.tool_calls,
            function_call=self.function_call,
        )
        if reasoning_key and self.reasoning:
            msg[reasoning_key] = self.reasoning
        return msg


@dataclass
class Turn:
    """Messages sent (a user message, or tool results) and the reply's choices."""

    input: list[dict[str, Any]]
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    # What was sent (see tui/core/sent.py): the request's parameters (all but the
    # messages), the system prompt it began with, and, only when the request cannot be
    # rebuilt from the conversation, its body verbatim. ``Conversation.request_of``
    # gives the whole request.
    params: dict[str, Any] | None = None
    sent_system: str | None = None
    sent_body: dict[str, Any] | None = None
    choices: list[ChoiceRecord] = field(default_factory=list)
    chosen: int = 0
    completion_id: str | None = None
    model: str | None = None
    system_fingerprint: str | None = None
    seed: int | None = None
    usage: dict[str, Any] | None = None
    # What the reply cost at the prices of the moment it ended (tui/core/usage.py).
    cost: dict[str, Any] | None = None
    timings: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    cancelled: bool = False
    started_at: float = field(default_factory=_now)
    verification: dict[str, Any] | None = None
    # sha256 of the exact request and response bytes (for signature checks later).
    request_sha256: str | None = None
    response_sha256: str | None = None
    response_complete: bool = False
    # The gateway's receipt for this reply (RedPill ACI: the x-receipt-id header).
    receipt_id: str | None = None
    # Sent end-to-end encrypted (E2EE v2): the request's content, and the reply's.
    e2ee: bool = False
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
    # Sent as one of several variants (tui/core/variants.py): what it overrode ({} for
    # the base request itself); None for an ordinary reply.
    overrides: dict[str, Any] | None = None
    # Live state while a request runs; never saved.
    live: StreamAccumulator | None = field(default=None, repr=False, compare=False)
    # The other variants running with this one (each a turn of its own, not in the
    # conversation): when they end, they become this turn's other replies.
    others: list[Turn] = field(default_factory=list, repr=False, compare=False)

    def __setattr__(self, name: str, value: Any) -> None:
        # Any change drops the saved form cached by the store (tui/core/document.py).
        object.__setattr__(self, name, value)
        if name != "_saved":
            object.__setattr__(self, "_saved", None)

    @property
    def pending(self) -> bool:
        return self.live is not None

    def variant_numbers(self) -> list[int]:
        """The reply numbers (0-based, in order) sent together as variants, when the
        shown reply is one of them; else []."""
        if self.overrides is None:
            return []
        return [i for i, r in enumerate(self.all_replies()) if r.get("overrides") is not None]

    # -- replies to the same input -----------------------------------------------------

    @property
    def user_content(self) -> Any:
        """The content of the user message sent (a string, or a list of parts), or None
        when the input is not a user message (tool results)."""
        return next((m.get("content") for m in self.input if m.get("role") == "user"), None)

    @property
    def replies(self) -> int:
        return len(self.earlier) + 1

    def reply_snapshot(self) -> dict[str, Any]:
        d = self.to_dict()
        for key in ("id", "input", "earlier", "reply_no", "partial"):
            d.pop(key, None)
        return d

    def reply_fields(self, number: int) -> dict[str, Any]:
        """Reply ``number`` (0-based, in order) as a dict: the shown one is made here."""
        if number == self.reply_no:
            return self.reply_snapshot()
        return self.earlier[number if number < self.reply_no else number - 1]

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
        # An encrypted request: the restored plaintext's hash (what a receipt covers).
        self.request_sha256 = exchange.plain_sha256 or exchange.request_sha256
        self.e2ee = exchange.plain_sha256 is not None
        self.response_sha256 = exchange.response_sha256
        self.response_complete = bool(exchange.complete and exchange.status == 200)
        from .receipts import receipt_id_of

        self.receipt_id = receipt_id_of(exchange.response_headers)

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
            "params": self.params,
            "sent_system": self.sent_system,
            "sent_body": self.sent_body,
            "partial": self.live is not None,
            "interrupted": self.interrupted,
            "choices": [c.to_dict() for c in choices],
            "chosen": self.chosen,
            "completion_id": self.completion_id,
            "model": self.model,
            "system_fingerprint": self.system_fingerprint,
            "seed": self.seed,
            "usage": self.usage,
            "cost": self.cost,
            "timings": self.timings,
            "error": self.error,
            "cancelled": self.cancelled,
            "started_at": self.started_at,
            "verification": self.verification,
            "tool_results": self.tool_results,
            "request_sha256": self.request_sha256,
            "response_sha256": self.response_sha256,
            "response_complete": self.response_complete,
            "receipt_id": self.receipt_id,
            "e2ee": self.e2ee,
            "earlier": self.earlier + [o.reply_snapshot() for o in self.others],
            "reply_no": self.reply_no,
            "overrides": self.overrides,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Turn:
        # One construction with every field (each assignment goes through __setattr__:
        # a 1,000-turn file is read faster this way).
        kw: dict[str, Any] = {
            key: d[key]
            for key in ("id", *REPLY_FIELDS)
            if key not in ("choices", "interrupted") and d.get(key) is not None
        }
        kw["input"] = list(d.get("input") or [])
        kw["choices"] = [ChoiceRecord.from_dict(c) for c in d.get("choices") or []]
        earlier = d.get("earlier")
        if isinstance(earlier, list):
            kw["earlier"] = [e for e in earlier if isinstance(e, dict)]
        for key in ("overrides", "cost", "usage", "timings", "verification"):  # any type
            if not isinstance(kw.get(key), dict):
                kw.pop(key, None)
        for key in ("receipt_id", "request_sha256", "response_sha256", "completion_id"):
            if not isinstance(kw.get(key), str):
                kw.pop(key, None)
        kw["e2ee"] = d.get("e2ee") is True
        number = d.get("reply_no")
        if isinstance(number, int) and not isinstance(number, bool):
            kw["reply_no"] = max(0, min(number, len(kw.get("earlier") or [])))
        # Saved mid-stream ("partial") and never saved again: the reply was cut off.
        kw["interrupted"] = bool(d.get("interrupted") or d.get("partial"))
        if kw["interrupted"] and kw.get("error") is None and not kw.get("cancelled"):
            kw["error"] = dict(INTERRUPTED_ERROR)
        return cls(**kw)


# What one reply of a turn is (everything but its input and its other replies).
REPLY_FIELDS = (
    "params",
    "sent_system",
    "sent_body",
    "choices",
    "chosen",
    "completion_id",
    "model",
    "system_fingerprint",
    "seed",
    "usage",
    "cost",
    "timings",
    "error",
    "cancelled",
    "started_at",
    "verification",
    "tool_results",
    "request_sha256",
    "response_sha256",
    "response_complete",
    "receipt_id",
    "e2ee",
    "interrupted",
    "overrides",
)
