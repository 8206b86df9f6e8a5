"""The parameters of the next request as the user typed them: for each parameter the value
it parses to, or why it does not parse. The sidebar shows this; the session sends it.

Plain Python: the text typed in a field comes in, the value (kept from before when the new
text is invalid) and the error go out."""

from __future__ import annotations

from typing import Any

from .paramspec import (
    SPEC_BY_NAME,
    SPECS,
    ParamValueError,
    params_to_request,
    parse_value,
    request_to_params,
)

_STOP_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\"}


def stop_to_text(stop: str) -> str:
    """A stop sequence as typed in its field: newline, tab and backslash escaped."""
    return stop.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def stop_from_text(text: str) -> str:
    """Typed text -> the stop sequence: ``\\n``, ``\\t`` and ``\\\\`` are interpreted; any
    other backslash stays as typed."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in _STOP_ESCAPES:
            out.append(_STOP_ESCAPES[text[i + 1]])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


class ParamState:
    """Sidebar-shaped values (see :mod:`tui.core.paramspec`) with their validation state."""

    def __init__(self, request_params: dict[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.load(request_params or {})

    def load(self, request_params: dict[str, Any]) -> None:
        """Take request parameters from outside (a saved conversation, a preset): all valid.
        Only the parameters the sidebar edits are kept (the others go at the first edit)."""
        shaped = request_to_params(request_params)
        self.values = {s.name: shaped.get(s.name) for s in SPECS}  # the sidebar's order
        self.errors = {}

    def value(self, name: str) -> Any:
        return self.values.get(name)

    def type_text(self, name: str, text: str) -> str | None:
        """The user typed ``text`` for parameter ``name``: parse it. Returns the error, if
        any (the value from before stays, as the request would send it)."""
        spec = SPEC_BY_NAME[name]
        try:
            self.values[name] = parse_value(spec, text)
        except ParamValueError as exc:
            self.errors[name] = str(exc)
            return self.errors[name]
        self.errors.pop(name, None)
        return None

    def type_stops(self, texts: list[str]) -> None:
        """The stop fields as typed (escapes interpreted); empty fields are left out."""
        stops = [stop_from_text(t) for t in texts if t != ""]
        self.values["stop"] = stops or None
        self.errors.pop("stop", None)

    def request_params(self) -> dict[str, Any]:
        return params_to_request(self.values)
