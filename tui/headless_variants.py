"""``redpill-tui ask --variant …``: one question sent as several requests at once, each
the base request plus overrides; the answers printed in the order given (text under a
header naming each variant's overrides, or one JSON object ``{"variants": [...]}``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from .core.receipts import trusted
from .core.sanitize import neutralize
from .core.session import ChatSession, Plan
from .core.turn import Turn
from .core.variants import describe
from .headless import EXIT_API, EXIT_OK, EXIT_UNVERIFIED, _json_line, _redacted


async def run_variants(
    session: ChatSession,
    plan: Plan,
    *,
    json_out: bool,
    verify: bool,
    out: TextIO,
    err: TextIO,
    redact: Callable[[str], str],
    safe: bool,
) -> int:
    """Send ``plan`` (prepared with overrides), wait for every variant, print them."""
    turn = session.start(plan)
    try:
        await session.launch(turn)
    finally:
        session.finish(turn)
    await session.price(turn)  # the model list read once, when not yet read
    replies = turn.all_replies()
    results = []
    for number, reply in enumerate(replies):
        request = session.conversation.request_of(len(session.conversation.turns) - 1, number)
        result = {
            "overrides": reply.get("overrides") or {},
            "request": request,
            "id": reply.get("completion_id"),
            "model": reply.get("model"),
            "system_fingerprint": reply.get("system_fingerprint"),
            "choices": reply.get("choices") or [],
            "usage": reply.get("usage"),
            "timings": reply.get("timings"),
            "cost": reply.get("cost"),
            "cancelled": bool(reply.get("cancelled")),
            "error": _redacted(reply["error"], redact) if reply.get("error") else None,
        }
        if verify:
            one = Turn.from_dict({**reply, "input": turn.input})
            model = (reply.get("params") or {}).get("model") or reply.get("model")
            complete = one.response_complete and one.error is None
            checked = await session.verify(one, model, complete=complete)
            result["verification"] = checked.to_dict()
        results.append(result)
    if json_out:
        out.write(_json_line({"variants": results}))
    else:
        _print(results, out, safe)
    out.flush()
    code = EXIT_OK
    for number, r in enumerate(results, 1):
        name = describe(r["overrides"])
        if r["error"] is not None:
            message = r["error"].get("message") or "request failed"
            err.write(f"redpill-tui: variant {number} ({neutralize(name)}): ")
            err.write(f"{redact(neutralize(str(message)))}\n")
            code = EXIT_API
        elif verify and not trusted(r.get("verification")):
            code = max(code, EXIT_UNVERIFIED) if code != EXIT_API else code
    return code


def _print(results: list[dict[str, Any]], out: TextIO, safe: bool) -> None:
    clean = neutralize if safe else (lambda s: s)
    for number, r in enumerate(results, 1):
        if number > 1:
            out.write("\n")
        out.write(clean(f"=== variant {number}: {describe(r['overrides'])} ===") + "\n")
        choices = r["choices"]
        for choice in choices:
            if len(choices) > 1:
                finish = choice.get("finish_reason") or "unfinished"
                out.write(clean(f"--- choice {choice.get('index', 0) + 1} ({finish}) ---") + "\n")
            text = choice.get("content") or ""
            if choice.get("refusal"):
                text += ("\n" if text else "") + f"[refusal] {choice['refusal']}"
            for call in choice.get("tool_calls") or []:
                fn = call.get("function") or {}
                line = (
                    f"[tool call {call.get('id') or '?'}] {fn.get('name')}({fn.get('arguments')})"
                )
                text += ("\n" if text else "") + line
            if text:
                out.write(clean(text) + "\n")
        if r["error"] is not None:
            out.write(clean(f"[error] {r['error'].get('message') or 'request failed'}") + "\n")
