"""The text shown below a reply's content: its error and its tool calls."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .choice import ChoiceLike


def _fmt_args(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments), indent=2, ensure_ascii=False)
    except ValueError:
        return arguments


KIND_LABELS = {"api": "API error", "interrupted": "Interrupted", "redirect": "Redirect"}


def error_text(error: dict[str, Any] | str) -> str:
    if isinstance(error, dict):
        status = error.get("status")
        kind = error.get("kind") or "error"
        parts = [f"HTTP {status}" if status else KIND_LABELS.get(kind, kind.capitalize())]
        if error.get("type"):
            parts.append(str(error["type"]))
        head = " · ".join(parts)
        msg = error.get("message") or ""
        text = f"Error: {head}: {msg}"
        if error.get("hint"):
            text += f" ({error['hint']})"
        if error.get("request_id"):
            text += f"\nrequest id {error['request_id']}"
        return text + "\nctrl+g retries."
    return f"Error: {error}\nctrl+g retries."


def tool_calls_text(state: ChoiceLike) -> list[str]:
    """Each tool call (and a legacy function call) of ``state``, as shown below it."""
    if not state.tool_calls and not state.function_call:
        return []  # (to_dict() is not free: most frames of most replies stop here)
    d = state.to_dict()
    out: list[str] = []
    for c in d.get("tool_calls") or []:
        fn = c.get("function") or {}
        out.append(
            f"🔧 {fn.get('name') or '?'}  ({c.get('id') or 'no id'})\n"
            f"{_fmt_args(fn.get('arguments') or '')}"
        )
    fc = d.get("function_call")
    if fc:
        out.append(
            f"ƒ {fc.get('name') or '?'} (legacy function_call)\n"
            f"{_fmt_args(fc.get('arguments') or '')}"
        )
    return out
