"""The parameters of the next request as the user typed them: for each parameter the value
it parses to, or why it does not parse. The sidebar shows this; the session sends it.

Plain Python: the text typed in a field comes in, the value (kept from before when the new
text is invalid) and the error go out."""

from __future__ import annotations

from typing import Any

from .params import loads_strict
from .paramspec import (
    EXTRA_SPEC_BY_NAME,
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


# Keys the extra body cannot set: the request's own (the messages, the model and the tools
# have their places), and the sidebar's named parameters (set them there).
RESERVED = frozenset({"model", "messages", "tools", "tool_choice", "functions", "function_call"})
EXTRA = "extra_body"  # the extra body's name among the errors


def _named(key: str) -> bool:
    return key in SPEC_BY_NAME or key == "stream_options"


def _schema_format(value: Any) -> bool:
    """A response_format the sidebar's choice cannot hold (json_schema): the extra body
    carries it."""
    return isinstance(value, dict) and value.get("type") not in (None, "text", "json_object")


class ParamState:
    """Sidebar-shaped values (see :mod:`tui.core.paramspec`) with their validation state,
    and the extra body: request keys the sidebar does not name (``top_k``, ``min_p``,
    ``chat_template_kwargs``, ``reasoning`` …), sent as they are."""

    def __init__(self, request_params: dict[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.extra: dict[str, Any] = {}
        self.conflicts: list[str] = []  # keys of the extra body left out (named elsewhere)
        self.load(request_params or {})

    def load(self, request_params: dict[str, Any]) -> None:
        """Take request parameters from outside (a saved conversation, a preset, -p): all
        valid. What the sidebar does not name is kept as the extra body."""
        schema_format = request_params.get("response_format")
        if _schema_format(schema_format):
            request_params = {k: v for k, v in request_params.items() if k != "response_format"}
        shaped = request_to_params(request_params)
        self.values = {s.name: shaped.get(s.name) for s in SPECS}  # the sidebar's order
        self.extra = {k: v for k, v in shaped.items() if not _named(k) and k not in RESERVED}
        if _schema_format(schema_format):
            self.extra["response_format"] = schema_format
        self.errors = {}
        self.conflicts = []

    def type_extra(self, text: str) -> str | None:
        """The extra body as typed (a JSON object): its error, if any (the one from before
        stays). Keys the sidebar names, or the request's own, are listed in
        :attr:`conflicts` and not sent."""
        text = text.strip()
        try:
            value = loads_strict(text) if text else {}
        except ValueError as exc:
            self.errors[EXTRA] = f"extra body: not JSON ({exc})"
            return self.errors[EXTRA]
        if not isinstance(value, dict):
            self.errors[EXTRA] = 'extra body: write a JSON object, {"key": value, …}'
            return self.errors[EXTRA]
        self.errors.pop(EXTRA, None)
        self.conflicts = [
            k
            for k, v in value.items()
            if (_named(k) or k in RESERVED)
            and not (k == "response_format" and _schema_format(v) and not self.values.get(k))
        ]
        self.extra = {k: v for k, v in value.items() if k not in self.conflicts}
        return None

    def type_extra_field(self, name: str, text: str) -> str | None:
        """Text typed in the field of a known extra (``top_k``, ``min_p``,
        ``repetition_penalty``): set in the extra body, or taken out of it when empty.
        Returns the error, if any (the value from before stays)."""
        try:
            value = parse_value(EXTRA_SPEC_BY_NAME[name], text)
        except ParamValueError as exc:
            self.errors[name] = str(exc)
            return self.errors[name]
        self.errors.pop(name, None)
        if value is None:
            self.extra.pop(name, None)
        else:
            self.extra[name] = value
        return None

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

    def set_schema_format(self, response_format: dict[str, Any] | None) -> None:
        """Structured output on (a json_schema response_format, carried by the extra
        body: the sidebar's choice, JSON mode, is cleared) or off."""
        if response_format:
            self.values["response_format"] = None
            self.extra["response_format"] = response_format
        else:
            self.extra.pop("response_format", None)

    def request_params(self) -> dict[str, Any]:
        return {**params_to_request(self.values), **self.extra}
