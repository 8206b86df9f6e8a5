"""Where Markdown text can be cut into independent pieces: after a blank line that is not
inside a fenced code block. A long reply is rendered as several Markdown widgets cut at
such points, so the finished ones stop costing layout work while the last one grows."""

from __future__ import annotations

import re

# Any indent: fences inside list items are indented past the usual three spaces.
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})([^\n]*)$", re.M)


def inside_fence(text: str) -> bool:
    """Does ``text`` end inside a fenced code block?"""
    open_char, open_len = "", 0
    for match in _FENCE.finditer(text):
        fence, rest = match.group(1), match.group(2)
        if not open_char:
            if fence[0] == "`" and "`" in rest:
                continue  # ```inline``` code, not a fence
            open_char, open_len = fence[0], len(fence)
        elif fence[0] == open_char and len(fence) >= open_len and not rest.strip():
            open_char, open_len = "", 0
    return bool(open_char)


def first_cut(text: str, lo: int) -> int | None:
    """The first index ``>= lo`` just after a blank line outside any code fence, with
    known text after it that does not continue the block above (no indent)."""
    i = text.find("\n\n", max(lo - 2, 0))
    while i >= 0:
        cut = i + 2
        if (
            cut >= lo
            and cut < len(text)
            and text[cut] not in " \t\n"
            and not inside_fence(text[:cut])
        ):
            return cut
        i = text.find("\n\n", i + 1)
    return None


def split_markdown(text: str, size: int) -> list[str]:
    """``text`` in pieces of about ``size`` characters or more, each cut at a safe point."""
    parts: list[str] = []
    start = 0
    while len(text) - start > size:
        cut = first_cut(text[start:], size)
        if cut is None:
            break
        parts.append(text[start : start + cut])
        start += cut
    parts.append(text[start:])
    return parts
