"""Text from the wire that Python can hold but not encode: lone UTF-16 surrogates.

JSON may carry ``"\\ud83d"`` in one chunk and ``"\\ude00"`` in the next (a proxy splitting
an emoji). ``json.loads`` gives each as a lone surrogate, which no UTF-8 writer accepts
(saving, printing, ``ask --json``). Everything the API layer keeps goes through
:func:`fix_surrogates`; streamed text pairs a high surrogate with a low one from the next
delta through :class:`SurrogateJoiner`.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogates(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def fix_surrogates(text: str) -> str:
    """Join each high+low surrogate pair into its character; every lone one becomes
    U+FFFD."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def fix_value(value: Any) -> Any:
    """:func:`fix_surrogates` on every string (keys included) in a JSON-like value."""
    if isinstance(value, str):
        return fix_surrogates(value)
    if isinstance(value, dict):
        return {fix_value(k): fix_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [fix_value(v) for v in value]
    return value


def optional(value: Any) -> Any:
    """A string fixed, anything else as it is (for ``str | None`` fields)."""
    return fix_surrogates(value) if isinstance(value, str) else value


def _is_high(ch: str) -> bool:
    return "\ud800" <= ch <= "\udbff"


class SurrogateJoiner:
    """The pieces of one streamed field, made safe one delta at a time: a high surrogate
    at the end of a delta is held back until the next delta says whether it starts with
    the low half; :meth:`flush` gives what is held back (as U+FFFD) when the field ends."""

    __slots__ = ("_held",)

    def __init__(self) -> None:
        self._held = ""

    def feed(self, text: str) -> str:
        if self._held:
            text, self._held = self._held + text, ""
        if not _SURROGATE.search(text):
            return text
        if _is_high(text[-1]):
            text, self._held = text[:-1], text[-1]
        return fix_surrogates(text)

    def flush(self) -> str:
        held, self._held = self._held, ""
        return REPLACEMENT if held else ""
