"""Variants: one message sent as several requests at once, each the current parameters
plus overrides (another model, another temperature, a seed, a system prompt …). Plain
Python: parsing what the user typed, applying overrides to a request body, naming them.

An override is a request parameter (``temperature=1.4``, ``model=phala/qwen-2.5-7b``,
``response_format={"type": "json_object"}``), ``KEY=null`` to leave a parameter unset, or
``system=TEXT``: the system prompt of that variant (replacing the conversation's, or
added when it has none; ``system=null`` sends none)."""

from __future__ import annotations

import json
from typing import Any

from ..api.errors import InvalidParameter
from .params import parse_param

SYSTEM = "system"
MAX_VARIANTS = 8


def _split_top(text: str, sep: str = ",") -> list[str]:
    """``text`` split at ``sep`` outside brackets, braces and double quotes."""
    parts, depth, quoted, escaped, start = [], 0, False, False, 0
    for i, ch in enumerate(text):
        if quoted:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth = max(0, depth - 1)
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def parse_variant(text: str) -> dict[str, Any]:
    """``KEY=VALUE[,KEY=VALUE…]`` -> overrides (VALUE is JSON when it parses as JSON).
    An empty text is the base request itself. Raises :class:`InvalidParameter`."""
    out: dict[str, Any] = {}
    for item in _split_top(text):
        if not item.strip():
            continue
        key, value = parse_param(item.strip())
        if key in ("messages", "stream"):
            raise InvalidParameter(key, f"a variant cannot change {key}")
        out[key] = value
    return out


def parse_sweep(text: str) -> tuple[str, list[dict[str, Any]]]:
    """``KEY: V1, V2, …`` (or ``KEY=V1,V2``) -> the parameter and one override per value.
    Raises :class:`InvalidParameter`."""
    key, sep, rest = text.partition(":")
    if not sep or "=" in key:
        key, sep, rest = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InvalidParameter(
            key or "sweep", "write a parameter and its values, e.g. temperature: 0, 0.7, 1.4"
        )
    values = [v.strip() for v in _split_top(rest) if v.strip()]
    if len(values) < 2:
        raise InvalidParameter(key, "a sweep needs at least two values, separated by commas")
    if len(values) > MAX_VARIANTS:
        raise InvalidParameter(key, f"at most {MAX_VARIANTS} values at once")
    return key, [dict([parse_param(f"{key}={v}")]) for v in values]


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def describe(overrides: dict[str, Any] | None) -> str:
    """``temperature 1.4 · model phala/qwen-2.5-7b`` (``base`` without overrides)."""
    if not overrides:
        return "base"
    parts = []
    for key, value in overrides.items():
        if key == SYSTEM and isinstance(value, str):
            text = " ".join(value.split())
            parts.append(f"system “{text[:40]}{'…' if len(text) > 40 else ''}”")
        elif value is None:
            parts.append(f"{key} unset")
        else:
            parts.append(f"{key} {_shown(value)}")
    return " · ".join(parts)


def apply(body: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """The request ``body`` with ``overrides`` (a new dict; ``body`` is not changed)."""
    out = {k: v for k, v in body.items()}
    for key, value in overrides.items():
        if key == SYSTEM:
            messages = list(out.get("messages") or [])
            if messages and isinstance(messages[0], dict) and messages[0].get("role") == "system":
                messages = messages[1:]
            if value is not None:
                messages.insert(0, {"role": "system", "content": _shown(value)})
            out["messages"] = messages
        elif value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def variant_requests(request: Any, overrides: tuple[dict[str, Any], ...]) -> list[Any]:
    """Each variant's request: ``request`` (a validated ``ChatRequest``) with its
    overrides, validated again. Raises :class:`InvalidParameter` naming the variant."""
    from ..api.schema import validate_request

    if len(overrides) > MAX_VARIANTS:
        raise InvalidParameter("variants", f"at most {MAX_VARIANTS} variants at once")
    body = request.body()
    out = []
    for number, o in enumerate(overrides, 1):
        try:
            out.append(validate_request(apply(body, o)))
        except InvalidParameter as exc:
            raise InvalidParameter(
                exc.param, f"{exc.message} (variant {number}: {describe(o)})"
            ) from None
    return out
