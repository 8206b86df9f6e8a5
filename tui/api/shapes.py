"""Pieces of the API's shapes that the client, the core, the app and ``ask`` all read or
build: one definition each, so they cannot drift apart.

- :func:`content_text`: a message's ``content`` (a string, or a list of parts) as text;
- :func:`api_tool_calls` and :func:`assistant_message`: the assistant message a saved
  reply adds to the history, with an id for every tool call (the tool results answer it);
- :func:`prune_stream_options`: ``stream_options`` is only allowed with ``stream`` on;
- :data:`NAME_RE` and :data:`NAME_RULE`: what a function (tool) name may be, in words.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
NAME_RULE = "1-64 characters of a-z, A-Z, 0-9, _ or -"


def content_text(
    content: Any, *, placeholders: bool = False, names: dict[str, str] | None = None
) -> str:
    """The text of a message's content: a string, or the text parts of a list joined by
    newlines. With ``placeholders``, a part that is not text (an image) shows as
    ``[its type]`` (an image with its file's name from ``names``, see
    :func:`image_key`); without, it is left out. Anything else is no text."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    out = []
    for part in content:
        if not isinstance(part, dict):
            continue
        text = part.get("text")
        if isinstance(text, str):
            out.append(text)
        elif placeholders:
            out.append(part_label(part, names))
    return "\n".join(out)


def with_text(content: Any, text: str) -> Any:
    """``content`` with its text replaced by ``text`` (an edited message): a string
    becomes ``text``; a list of parts keeps every part that is not text (an image, an
    audio clip) where it was, with one text part where the first one was (or first)."""
    if not isinstance(content, list):
        return text
    out: list[Any] = []
    placed = False
    for part in content:
        if isinstance(part, dict) and isinstance(part.get("text"), str):
            if not placed:
                out.append({"type": "text", "text": text})
                placed = True
            continue
        out.append(part)
    return out if placed else [{"type": "text", "text": text}, *out]


def tool_call_id(choice_index: int, position: int, call: dict[str, Any]) -> str:
    """A call's id, or the one made up for a call that came without one: the same
    everywhere (the history, the tool-results panel, the saved results)."""
    given = call.get("id")
    return given if isinstance(given, str) and given else f"call_{choice_index}_{position}"


def api_tool_calls(choice_index: int, tool_calls: list[Any] | None) -> list[dict[str, Any]]:
    """A reply's tool calls in request shape: every one with an id, a type, a name and
    arguments (strings, possibly empty)."""
    out = []
    for i, call in enumerate(tool_calls or []):
        call = call if isinstance(call, dict) else {}
        fn = call.get("function")
        fn = fn if isinstance(fn, dict) else {}
        out.append(
            {
                "id": tool_call_id(choice_index, i, call),
                "type": "function",
                "function": {
                    "name": fn.get("name") or "",
                    "arguments": fn.get("arguments") or "",
                },
            }
        )
    return out


def assistant_message(
    choice_index: int,
    *,
    content: str | None,
    refusal: str | None = None,
    tool_calls: list[Any] | None = None,
    function_call: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The assistant message a reply adds to the history (API shape). A reply with no
    content and no call sends its refusal as content (or an empty string)."""
    msg: dict[str, Any] = {"role": "assistant", "content": content or None}
    if tool_calls:
        msg["tool_calls"] = api_tool_calls(choice_index, tool_calls)
    if function_call:
        msg["function_call"] = {
            "name": function_call.get("name") or "",
            "arguments": function_call.get("arguments") or "",
        }
    if msg["content"] is None and "tool_calls" not in msg and "function_call" not in msg:
        msg["content"] = refusal or ""
    return msg


def prune_stream_options(params: dict[str, Any]) -> dict[str, Any]:
    """Drop ``stream_options`` when ``stream`` is not on (the API refuses it then).
    Changes ``params`` and returns it."""
    if not params.get("stream"):
        params.pop("stream_options", None)
    return params


_DATA_URL = re.compile(r"^data:(image/[a-z0-9.+-]+);base64,", re.I)


def image_key(url: str) -> str:
    """What names an image in a conversation's ``image_names``: its URL's short hash."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def part_label(part: dict[str, Any], names: dict[str, str] | None = None) -> str:
    """How a sent image part shows in the conversation: its file's name when known
    (``names``), type, size and a short hash of a data URL (never its bytes), or the
    URL."""
    if part.get("type") != "image_url":
        return f"[{part.get('type')}]"
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else None
    if not isinstance(url, str):
        return "[image]"
    m = _DATA_URL.match(url)
    if m is None:
        return f"[image {url[:120]}]"
    size = (len(url) - m.end()) * 3 // 4
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    name = (names or {}).get(image_key(url))
    named = f"{name[:120]}, " if isinstance(name, str) and name else ""
    return f"[image {named}{m.group(1)}, {size / 1024:.1f} KB, sha256 {digest}]"
