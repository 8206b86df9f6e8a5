"""Request parameters from the command line, the config and the sidebar, into a request."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..api.errors import InvalidParameter
from .tools import read_tool_file

if TYPE_CHECKING:
    from ..api.schema import ChatRequest


def parse_param(text: str) -> tuple[str, Any]:
    """``KEY=VALUE``: VALUE is JSON when it parses as JSON, else a string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InvalidParameter(key or text, f"expected KEY=VALUE, got {text!r}")
    try:
        value = loads_strict(raw)
    except ValueError:
        value = raw
    return key, value


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):  # 1e400: no server reads it back
        raise ValueError(f"{text} is too large a number")
    return value


def loads_strict(text: str) -> Any:
    """JSON typed or pasted by a user: NaN, Infinity and numbers too large for a float
    are refused (Python's parser takes them; a server's would not), and so is nesting
    too deep to parse (RecursionError), all as ValueError."""
    try:
        return json.loads(text, parse_constant=_not_json, parse_float=_finite)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def load_tools(text: str, source: str = "tools file") -> list[dict[str, Any]]:
    """The ``tools`` of a tools file (any shape the tool editor imports, see
    :func:`tui.core.tools.read_tool_file`), as written. Raises :class:`InvalidParameter`."""
    try:
        return [tool for tool, _ in read_tool_file(text, source)]
    except ValueError as exc:
        raise InvalidParameter("tools", str(exc)) from None


def build_request(
    *,
    model: str,
    messages: list[dict[str, Any]],
    params: dict[str, Any] | None = None,
    tools: list[dict[str, Any]] | None = None,
) -> ChatRequest:
    """Validate everything before anything is sent. Raises :class:`InvalidParameter`."""
    body: dict[str, Any] = {"model": model, "messages": messages}
    for key, value in (params or {}).items():
        if key in ("model", "messages"):
            if key == "model" and value:
                body["model"] = value
            continue
        body[key] = value
    if tools:
        body["tools"] = tools
    from ..api.schema import validate_request  # pydantic: loaded at the first send

    return validate_request(body)
