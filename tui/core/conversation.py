"""A conversation: turns of (input messages -> n choices), the chosen choice of each, and
the parameters and tools of the next request. Plain Python; the UI renders it."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..api.errors import InvalidParameter
from ..api.shapes import content_text
from . import sent
from .params import build_request
from .tools import ToolSettings
from .turn import INTERRUPTED_ERROR, REPLY_FIELDS, ChoiceRecord, Turn, _now

if TYPE_CHECKING:
    from ..api.schema import ChatRequest

__all__ = ["INTERRUPTED_ERROR", "REPLY_FIELDS", "ChoiceRecord", "Conversation", "Turn"]


# A conversation id names its file: letters, digits, "-" and "_" only, so a file from
# elsewhere cannot make the store write or delete outside its folder.
SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")

# The keys a reply's reasoning can be sent back under: DeepSeek, llama.cpp and vLLM read
# ``reasoning_content``; OpenRouter, vLLM and Ollama ``reasoning``.
RESEND_REASONING = ("reasoning_content", "reasoning")


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
    # Send each reply's reasoning back with the history, under this key (one of
    # RESEND_REASONING); None (the default) sends only the answers.
    resend_reasoning: str | None = None
    # The file name of each image sent (by :func:`image_key` of its data URL): shown with
    # the image, never sent.
    image_names: dict[str, str] = field(default_factory=dict)
    # Encrypt every request's content to the attested enclave (RedPill E2EE v2).
    e2ee: bool = False

    # -- history ----------------------------------------------------------------------

    def history(self, upto: int | None = None) -> list[dict[str, Any]]:
        """Messages in API shape: system, then each turn's input and chosen reply."""
        msgs: list[dict[str, Any]] = []
        if self.system.strip():
            msgs.append({"role": "system", "content": self.system})
        upto = len(self.turns) if upto is None else upto
        return msgs + self._prior(upto, self.resend_reasoning)

    def _prior(self, upto: int, reasoning_key: str | None = None) -> list[dict[str, Any]]:
        """The messages of the first ``upto`` turns: each input and the reply it got (with
        its reasoning under ``reasoning_key``, when given). Saved turns are rebuilt
        without reasoning: a request that sent it is kept verbatim, so it stays exact
        whatever the setting is later."""
        msgs: list[dict[str, Any]] = []
        for turn in self.turns[:upto]:
            msgs.extend(turn.input)
            chosen = turn.chosen_choice()
            if chosen is not None and not turn.pending and _usable(chosen):
                msgs.append(chosen.message(reasoning_key))
        return msgs

    # -- what each turn sent ----------------------------------------------------------

    def request_of(self, index: int, reply: int | None = None) -> dict[str, Any] | None:
        """The exact request body turn ``index`` sent (for its reply number ``reply``,
        0-based among all its replies; the shown one by default), rebuilt from the
        history. None when the turn sent nothing (an old file)."""
        turn = self.turns[index]
        fields = turn.reply_snapshot() if reply is None else turn.reply_fields(reply)
        return self._rebuild(index, fields)

    def _rebuild(self, index: int, fields: dict[str, Any]) -> dict[str, Any] | None:
        if isinstance(fields.get("sent_body"), dict):
            return fields["sent_body"]
        params = fields.get("params")
        if not isinstance(params, dict):
            return None
        system = fields.get("sent_system")
        system = system if isinstance(system, str) else None
        return sent.assemble(params, system, self._prior(index), self.turns[index].input)

    def request_matches(self, index: int, reply: int | None = None) -> bool | None:
        """Whether the rebuilt request of turn ``index`` hashes to the sha256 recorded
        when it was sent (None when no hash was recorded)."""
        import hashlib

        turn = self.turns[index]
        fields = turn.reply_snapshot() if reply is None else turn.reply_fields(reply)
        want = fields.get("request_sha256")
        body = self._rebuild(index, fields)
        if not isinstance(want, str) or body is None:
            return None
        return hashlib.sha256(sent.body_bytes(body)).hexdigest() == want.lower()

    def compact(self, index: int) -> None:
        """Replace the verbatim bodies kept by turn ``index`` (and its other replies) with
        parameters, where the request rebuilds exactly from the conversation."""
        turn = self.turns[index]
        if turn.sent_body is not None:
            found = self._compacted(index, turn.sent_body)
            if found is not None:
                turn.params, turn.sent_system = found
                turn.sent_body = None
        for reply in turn.earlier:
            body = reply.get("sent_body")
            if isinstance(body, dict):
                found = self._compacted(index, body)
                if found is not None:
                    reply["params"], reply["sent_system"] = found
                    reply["sent_body"] = None

    def _compacted(
        self, index: int, body: dict[str, Any]
    ) -> tuple[dict[str, Any], str | None] | None:
        params, system = sent.split(body)
        want = sent.body_bytes(body)
        prior = self._prior(index)
        for guess in dict.fromkeys((system, None)):
            rebuilt = sent.assemble(params, guess, prior, self.turns[index].input)
            if sent.body_bytes(rebuilt) == want:
                return params, guess
        return None

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
                text = content_text(m.get("content")).strip() if m.get("role") == "user" else ""
                if text:
                    line = text.splitlines()[0].strip()
                    return line[:60] + ("…" if len(line) > 60 else "")
        return "New conversation"

    def search_text(self) -> str:
        """Everything a person reads in this conversation, for the list's search."""
        parts = [self.display_title(), self.system, self.model]
        for turn in self.turns:
            parts.extend(content_text(m.get("content")) for m in turn.input if isinstance(m, dict))
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
        body = request.body()
        turn = Turn(input=input_messages, seed=request.seed)
        turn.params, _ = sent.split(body)
        turn.sent_body = body
        self.turns.append(turn)
        # Kept as parameters when the history rebuilds it exactly (it does, unless the
        # send path changed): the history is not stored again with every turn.
        self.compact(len(self.turns) - 1)
        turn.live = new_accumulator()
        self.touch()
        return turn

    def variant_turn(self, main: Turn, request: ChatRequest, overrides: dict[str, Any]) -> Turn:
        """A turn for one more variant of ``main`` (the last turn, just started): not in
        the conversation; it becomes one of ``main``'s replies when it ends."""
        body = request.body()
        turn = Turn(input=main.input, seed=request.seed, overrides=dict(overrides))
        turn.params, _ = sent.split(body)
        turn.sent_body = body
        found = self._compacted(len(self.turns) - 1, body)
        if found is not None:
            turn.params, turn.sent_system = found
            turn.sent_body = None
        turn.live = new_accumulator()
        return turn

    def keep_verification(self, turn: Turn) -> Turn:
        """The turn that keeps ``turn``'s verification: itself, or the turn of which it is
        another variant (shown in a column of its own), with it written into that
        reply."""
        if any(t is turn for t in self.turns):
            return turn
        key = (turn.completion_id, turn.request_sha256)
        for owner in self.turns:
            for i, reply in enumerate(owner.earlier):
                found = (reply.get("completion_id"), reply.get("request_sha256")) == key
                if found and reply.get("overrides") is not None:
                    reply = {**reply, "verification": turn.verification}
                    owner.earlier = [*owner.earlier[:i], reply, *owner.earlier[i + 1 :]]
                    return owner
        return turn

    def truncate(self, index: int) -> None:
        """Drop turn ``index`` and everything after it."""
        del self.turns[index:]
        self.touch()

    def touch(self) -> None:
        self.updated = _now()

    # -- storage shape ----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Everything, in memory's shape (the file's is tui/core/document.py's)."""
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
            "resend_reasoning": self.resend_reasoning,
            "image_names": self.image_names,
            "e2ee": self.e2ee,
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
        names = d.get("image_names")
        if isinstance(names, dict):
            c.image_names = {
                k: v for k, v in names.items() if isinstance(k, str) and isinstance(v, str)
            }
        c.e2ee = d.get("e2ee") is True
        if d.get("resend_reasoning") in RESEND_REASONING:
            c.resend_reasoning = d["resend_reasoning"]
        c.turns = [Turn.from_dict(t) for t in d.get("turns") or []]
        return c


def _usable(choice: ChoiceRecord) -> bool:
    return bool(choice.content or choice.tool_calls or choice.function_call or choice.refusal)


def __getattr__(name: str) -> Any:
    """``StreamAccumulator`` is imported at the first send (it loads pydantic's models,
    which the first frame does not need); it stays a name of this module."""
    if name == "StreamAccumulator":
        from ..api.accumulate import StreamAccumulator

        return StreamAccumulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def new_accumulator() -> Any:
    """A fresh accumulator for a live turn (``StreamAccumulator`` here, or what replaced it)."""
    factory = globals().get("StreamAccumulator") or __getattr__("StreamAccumulator")
    return factory()
