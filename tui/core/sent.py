"""What a turn sent, kept small: the request's parameters (everything but the messages),
the system prompt it began with, and nothing of the history.

The messages of turn ``i``'s request are rebuilt from the conversation: the system prompt,
then each earlier turn's input and the reply it continued with, then turn ``i``'s input,
normalised by the same validation the send path uses (``validate_request(...).body()``).
That is exact because a turn's history never changes once a later turn exists: an edit or
a regenerate drops the turns after it, and only the last turn can change which reply or
choice it continues with (``Turn.show_reply``, ``choose``). A request that cannot be rebuilt
exactly (a file edited by hand, a future change of the send path) is kept verbatim.

On disk a turn's parameters are stored as they differ from the previous turn's.
"""

from __future__ import annotations

import json
from typing import Any

from ..api.errors import InvalidParameter


def body_bytes(body: dict[str, Any]) -> bytes:
    """The bytes the client posts for ``body`` (tui/api/client.py ``chat``)."""
    return json.dumps(body, ensure_ascii=False).encode()


def split(body: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The parameters of a request body (all but its messages) and the system prompt it
    began with (None without one)."""
    params = {k: v for k, v in body.items() if k != "messages"}
    messages = body.get("messages")
    first = messages[0] if isinstance(messages, list) and messages else None
    system = None
    if isinstance(first, dict) and first.get("role") == "system":
        content = first.get("content")
        system = content if isinstance(content, str) else None
    return params, system


def assemble(
    params: dict[str, Any],
    system: str | None,
    prior: list[dict[str, Any]],
    input_messages: list[dict[str, Any]],
) -> dict[str, Any]:
    """The body as the send path makes it: validated and normalised."""
    messages = [{"role": "system", "content": system}] if system is not None else []
    messages += prior
    messages += input_messages
    raw = {"model": params.get("model"), "messages": messages}
    raw.update((k, v) for k, v in params.items() if k != "model")
    try:
        from ..api.schema import validate_request  # pydantic: loaded when first needed

        return validate_request(raw).body()
    except (InvalidParameter, TypeError, ValueError):
        return raw


def _same(a: Any, b: Any) -> bool:
    # ``1 == 1.0 == True`` in Python: compare as JSON so a changed type is a change.
    return a is b or json.dumps(a, sort_keys=False) == json.dumps(b, sort_keys=False)


def diff(base: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """``params`` as it differs from ``base``: ``set`` and ``unset`` keys, or the whole
    ``params`` when applying the difference would not give its key order back."""
    out: dict[str, Any] = {}
    changed = {k: v for k, v in params.items() if k not in base or not _same(base[k], v)}
    if changed:
        out["set"] = changed
    gone = [k for k in base if k not in params]
    if gone:
        out["unset"] = gone
    if list(apply(base, out)) != list(params):
        return {"params": params}
    return out


def apply(base: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """The parameters that ``spec`` (made by :func:`diff`) describes."""
    if isinstance(spec.get("params"), dict):
        return dict(spec["params"])
    unset = spec.get("unset") or []
    out = {k: v for k, v in base.items() if k not in unset}
    changed = spec.get("set")
    if isinstance(changed, dict):
        out.update(changed)
    return out
