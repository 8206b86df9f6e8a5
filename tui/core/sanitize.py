"""Make untrusted text (model output, tool results, error bodies) safe for a terminal.

Textual and Rich pass ESC, C1 controls and bidi overrides straight to the terminal, so
every string from outside goes through :func:`neutralize` before it is shown. It works
per character, so a sequence split across two deltas is harmless too. Tab and newline
are kept; everything else that could steer the terminal becomes a visible symbol.
"""

from __future__ import annotations

import re

# C0 controls except \t and \n become the Unicode "control picture" for them (U+2400+);
# DEL, C1 controls, and bidi/invisible format characters become a visible escape.
_C0 = {c: chr(0x2400 + c) for c in range(0x20) if c not in (0x09, 0x0A)}
_C0[0x0D] = ""  # a lone CR would only move the cursor; drop it (CRLF -> LF)
_TABLE: dict[int, str] = dict(_C0)
_TABLE[0x7F] = "\u2421"
for _c in range(0x80, 0xA0):
    _TABLE[_c] = f"<U+{_c:04X}>"
for _c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)):
    _TABLE[_c] = f"<U+{_c:04X}>"

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def neutralize(text: str) -> str:
    """Return ``text`` with every terminal control character made visible and inert."""
    if not _UNSAFE.search(text):
        return text
    return text.translate(_TABLE)


def is_safe(text: str) -> bool:
    return _UNSAFE.search(text) is None


def json_safe(json_text: str) -> str:
    """Escape, as ``\\uXXXX``, the terminal-steering characters JSON leaves raw (C1
    controls, DEL, bidi overrides). Only valid for JSON text: outside strings JSON is
    ASCII, so every such character is inside a string and the escape keeps its value."""
    if not _UNSAFE.search(json_text):
        return json_text
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json_text)
