"""The file format of a conversation, and snapshots of it that are cheap to take.

Version 2 (``"format": "redpill-tui.conversation"``, ``"version": 2``): a turn keeps what
it sent as ``sent``: its parameters as they differ from the previous turn's (``set``,
``unset``; or all of them as ``params``), ``system`` when the system prompt it began with
differs from the previous turn's (null: none), and ``body`` only for a request that the
conversation cannot rebuild exactly (see tui/core/sent.py). The history is never stored
again; ``Conversation.request_of(i)`` rebuilds the exact body, and the recorded
``request_sha256`` checks it. Keys whose value is null, false or empty are left out.

Version 1 (every turn's whole ``request``, history included) is upgraded on open.

A :class:`Snapshot` is taken on the UI thread in well under a millisecond per changed turn:
each finished turn's saved form is made once and cached on the turn (any assignment to the
turn drops it; ``tool_results``, edited in place, is compared). Encoding the snapshot can
then run in any thread: it shares nothing that the app changes in place.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from ..api.shapes import content_text
from ..api.textfix import fix_surrogates
from . import sent
from .conversation import Conversation, Turn

FORMAT = "redpill-tui.conversation"
VERSION = 2

_LOCAL = ("params", "sent_system", "sent_body")
_NO_PARAMS: dict[str, Any] = {}  # the first turn's base (one object: cached forms check it)


class DocumentError(Exception):
    """Not a conversation this version can read: ``newer`` when from a newer version."""

    def __init__(self, message: str, *, newer: bool = False) -> None:
        super().__init__(message)
        self.newer = newer


def _dumps(value: Any) -> str:
    return fix_surrogates(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def _lean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if not (v is None or v is False or v == {} or v == [])}


def _sent(fields: dict[str, Any], base: dict[str, Any], base_system: str | None) -> Any:
    if isinstance(fields.get("sent_body"), dict):
        return {"body": fields["sent_body"]}
    params = fields.get("params")
    if not isinstance(params, dict):
        return None
    spec = sent.diff(base, params)
    if fields.get("sent_system") != base_system:
        spec["system"] = fields.get("sent_system")
    return spec


def _reply_doc(fields: dict[str, Any], base: dict[str, Any], base_system: str | None) -> Any:
    out = _lean({k: v for k, v in fields.items() if k not in _LOCAL})
    spec = _sent(fields, base, base_system)
    if spec is not None:
        out["sent"] = spec  # even when empty: the same parameters as the turn before
    if isinstance(out.get("choices"), list):
        out["choices"] = [_lean(c) if isinstance(c, dict) else c for c in out["choices"]]
    return out


class _Saved:
    """One turn's saved form, made once; its JSON text is made once too (any thread)."""

    __slots__ = ("base", "base_system", "doc", "text_", "tool_results", "words_")

    def __init__(self, turn: Turn, base: dict[str, Any], base_system: str | None) -> None:
        self.base, self.base_system = base, base_system
        self.tool_results = dict(turn.tool_results)
        fields = turn.to_dict()  # (mid-stream, the other variants are among its replies)
        doc = _reply_doc({**fields, "tool_results": self.tool_results}, base, base_system)
        if fields["earlier"]:
            doc["earlier"] = [_reply_doc(e, base, base_system) for e in fields["earlier"]]
        if turn.pending:
            doc = json.loads(json.dumps(doc))  # nothing shared with the live stream
        self.doc = doc
        self.text_: str | None = None
        self.words_: str | None = None

    def fits(self, turn: Turn, base: dict[str, Any], base_system: str | None) -> bool:
        return (
            self.base is base
            and self.base_system == base_system
            and self.tool_results == turn.tool_results
        )

    def text(self) -> str:
        if self.text_ is None:
            self.text_ = _dumps(self.doc)
        return self.text_

    def words(self) -> str:
        """The turn's text a person reads (for the search index), made once."""
        if self.words_ is None:
            d = self.doc
            parts = [
                content_text(m.get("content")) for m in d.get("input") or [] if isinstance(m, dict)
            ]
            for c in d.get("choices") or []:
                parts += [c.get("content") or "", c.get("refusal") or "", c.get("reasoning") or ""]
                for call in c.get("tool_calls") or []:
                    fn = call.get("function") if isinstance(call, dict) else None
                    if isinstance(fn, dict):
                        parts += [str(fn.get("name") or ""), str(fn.get("arguments") or "")]
            self.words_ = "\n".join(p for p in parts if isinstance(p, str) and p)
        return self.words_


def _base_after(turn: Turn, base: dict[str, Any], system: str | None) -> tuple[dict, str | None]:
    if isinstance(turn.params, dict):
        return turn.params, turn.sent_system
    return base, system


class Snapshot:
    """A conversation as it will be written: immutable, encoded in any thread."""

    def __init__(self, conv: Conversation) -> None:
        self.head: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "id": conv.id,
            "title": conv.title,
            "created": conv.created,
            "updated": conv.updated,
            "profile": conv.profile,
            "model": conv.model,
            "system": conv.system,
            "params": copy.deepcopy(conv.params),
            "tools": copy.deepcopy(conv.toolset.to_dict()),
            "resend_reasoning": conv.resend_reasoning,
            "image_names": dict(conv.image_names),
            "e2ee": conv.e2ee,
        }
        self.turns: list[_Saved] = []
        base: dict[str, Any] = _NO_PARAMS
        system: str | None = None
        for turn in conv.turns:
            saved = getattr(turn, "_saved", None)
            if saved is None or turn.pending or not saved.fits(turn, base, system):
                saved = _Saved(turn, base, system)
                if not turn.pending:
                    object.__setattr__(turn, "_saved", saved)
            self.turns.append(saved)
            base, system = _base_after(turn, base, system)

    def summary(self) -> tuple[str, int, list[str]]:
        """What the list shows and searches: the title, the number of turns, and the text
        a person reads in parts (title, system prompt and model; then each turn's), as
        ``Conversation.display_title`` and ``search_text`` have them."""
        title = self.head["title"]
        if not title:
            title = "New conversation"
            lines = (
                content_text(m.get("content")).strip()
                for s in self.turns
                for m in s.doc.get("input") or []
                if isinstance(m, dict) and m.get("role") == "user"
            )
            line = next((t.splitlines()[0].strip() for t in lines if t), None)
            if line is not None:
                title = line[:60] + ("…" if len(line) > 60 else "")
        head = [title, self.head["system"], self.head["model"]]
        first = "\n".join(p for p in head if isinstance(p, str) and p)
        return title, len(self.turns), [first, *(s.words() for s in self.turns)]

    def document(self) -> dict[str, Any]:
        return {**self.head, "turns": [s.doc for s in self.turns]}

    def encode(self) -> bytes:
        """The file's bytes: compact JSON, one turn a line."""
        head = _dumps({**self.head, "turns": []})
        assert head.endswith("[]}")
        if not self.turns:
            return head.encode()
        body = ",\n".join(s.text() for s in self.turns)
        return f"{head[:-2]}\n{body}\n]}}".encode()


def cache_saved_forms(conv: Conversation) -> None:
    """Make every turn's saved form now (after loading), so the first save is cheap."""
    Snapshot(conv)


# -- reading ------------------------------------------------------------------------------


def read(doc: Any, source: str, *, cache_forms: bool = True) -> Conversation:
    """A conversation from a parsed document of any version this one reads."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise DocumentError(f"{source} is not a redpill-tui conversation")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise DocumentError(f"{source} has no format version")
    if version > VERSION:
        raise DocumentError(
            f"{source} was written by a newer redpill-tui (format version {version}; "
            f"this one reads up to {VERSION})",
            newer=True,
        )
    problem = shape_problem(doc, version)
    if problem:
        raise DocumentError(f"{source}: {problem}")
    try:
        conv = _read_v1(doc) if version < 2 else _read_v2(doc)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise DocumentError(f"{source}: {exc}") from None
    if cache_forms:
        cache_saved_forms(conv)
    return conv


def _read_v1(doc: dict[str, Any]) -> Conversation:
    """Version 1 kept every turn's whole request: kept verbatim, then made parameters
    wherever the history rebuilds it exactly."""

    def local(fields: dict[str, Any]) -> dict[str, Any]:
        out = dict(fields)
        request = out.pop("request", None)
        if isinstance(request, dict):
            out["params"], out["sent_system"] = sent.split(request)
            out["sent_body"] = request
        return out

    turns = []
    for t in doc.get("turns") or []:
        d = local(t)
        d["earlier"] = [local(e) for e in t.get("earlier") or [] if isinstance(e, dict)]
        turns.append(d)
    conv = Conversation.from_dict({**doc, "turns": turns})
    for i in range(len(conv.turns)):
        conv.compact(i)
    return conv


def _resolve(fields: dict[str, Any], base: dict[str, Any], system: str | None) -> dict:
    out = {k: v for k, v in fields.items() if k != "sent"}
    spec = fields.get("sent")
    if not isinstance(spec, dict):
        return out
    if isinstance(spec.get("body"), dict):
        out["sent_body"] = spec["body"]
        out["params"], out["sent_system"] = sent.split(spec["body"])
        return out
    out["params"] = sent.apply(base, spec)
    out["sent_system"] = spec.get("system", system)
    return out


def _read_v2(doc: dict[str, Any]) -> Conversation:
    conv = Conversation.from_dict({**doc, "turns": []})
    base: dict[str, Any] = {}
    system: str | None = None
    for t in doc.get("turns") or []:
        d = _resolve(t, base, system)
        d["earlier"] = [
            Turn.from_dict({**_resolve(e, base, system), "input": []}).reply_snapshot()
            for e in t.get("earlier") or []
        ]
        turn = Turn.from_dict(d)
        conv.turns.append(turn)
        base, system = _base_after(turn, base, system)
    return conv


def shape_problem(doc: dict[str, Any], version: int = VERSION) -> str | None:
    """What is of the wrong type in a document, so a hand-edited file is reported at
    load time instead of breaking the list or the chat later."""

    def wrong(value: Any, kinds: tuple[type, ...]) -> bool:
        return value is not None and (not isinstance(value, kinds) or isinstance(value, bool))

    for key in ("id", "title", "profile", "model", "system"):
        if wrong(doc.get(key), (str,)):
            return f"{key}: expected a string"
    for key in ("created", "updated"):
        if wrong(doc.get(key), (int, float)):
            return f"{key}: expected a number"
    for key in ("params", "tools", "request"):
        if wrong(doc.get(key), (dict,)):
            return f"{key}: expected an object"
    turns = doc.get("turns")
    if wrong(turns, (list,)):
        return "turns: expected a list"
    for i, turn in enumerate(turns or []):
        where = f"turns[{i}]"
        if not isinstance(turn, dict):
            return f"{where}: expected an object"
        for key in ("input", "choices", "earlier"):
            items = turn.get(key)
            if wrong(items, (list,)) or any(not isinstance(x, dict) for x in items or []):
                return f"{where}.{key}: expected a list of objects"
        for key in ("request", "sent", "usage", "timings", "error", "tool_results"):
            if wrong(turn.get(key), (dict,)):
                return f"{where}.{key}: expected an object"
        for reply in turn.get("earlier") or []:
            for key in ("request", "sent"):
                if wrong(reply.get(key), (dict,)):
                    return f"{where}.earlier.{key}: expected an object"
        sent_spec = turn.get("sent") or {}
        for key in ("set", "params", "body"):
            if wrong(sent_spec.get(key), (dict,)):
                return f"{where}.sent.{key}: expected an object"
        if wrong(sent_spec.get("system"), (str,)):
            return f"{where}.sent.system: expected a string"
        if wrong(turn.get("chosen"), (int,)):
            return f"{where}.chosen: expected an integer"
    return None
