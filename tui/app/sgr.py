"""The shortest SGR codes from one terminal style to the next (for term_diff.py).

Textual writes every run of text with all of its style (``ESC[38;5;188;48;5;16m``) and a
reset after it: a row of a reply in three colours is more escape codes than text. A
:class:`Pen` knows the style the terminal is in and writes only what changes: bold off,
another foreground, the same background left as it is. The terminal ends up in the
style Textual's own codes would have set.
"""

from __future__ import annotations

from typing import NamedTuple

# The code that turns an attribute off (22, 24, 25 and 54 turn off two or more).
OFF = {
    "1": "22",
    "2": "22",
    "3": "23",
    "4": "24",
    "21": "24",
    "5": "25",
    "6": "25",
    "7": "27",
    "8": "28",
    "9": "29",
    "51": "54",
    "52": "54",
    "53": "55",
}
_COLOURS = {"38": "fg", "48": "bg", "58": "ul"}


class Style(NamedTuple):
    attrs: frozenset[str] = frozenset()
    fg: str = ""  # "" is the terminal's default
    bg: str = ""
    ul: str = ""

    def codes(self) -> list[str]:
        return [*sorted(self.attrs), *(c for c in (self.fg, self.bg, self.ul) if c)]


DEFAULT = Style()


def parse(sgr: str) -> Style | None:
    """The style ``sgr`` (one or more ``ESC[...m``) sets from the default; None if it has
    a code this does not know."""
    style = DEFAULT
    for body in sgr.split("\x1b[")[1:]:
        if not body.endswith("m"):
            return None
        params = body[:-1].split(";")
        i = 0
        while i < len(params):
            p = params[i]
            i += 1
            if p in ("", "0"):
                style = DEFAULT
            elif p in OFF or (p.startswith("4:") and p != "4:0"):
                # One underline (4, 21, 4:n) and one frame (51, 52) at a time: the last wins.
                group = _group(p)
                kept = frozenset(a for a in style.attrs if _group(a) != group)
                style = style._replace(attrs=kept | {p})
            elif p in OFF.values() or p == "4:0":
                off = "24" if p == "4:0" else p
                attrs = frozenset(a for a in style.attrs if _off(a) != off)
                style = style._replace(attrs=attrs)
            elif p.isdigit() and (30 <= int(p) <= 37 or 90 <= int(p) <= 97):
                style = style._replace(fg=p)
            elif p.isdigit() and (40 <= int(p) <= 47 or 100 <= int(p) <= 107):
                style = style._replace(bg=p)
            elif p in ("39", "49", "59"):
                style = style._replace(**{_COLOURS[str(int(p) - 1)]: ""})
            elif p in _COLOURS:
                size = {"5": 2, "2": 4}.get(params[i] if i < len(params) else "")
                if size is None or i + size > len(params):
                    return None
                style = style._replace(**{_COLOURS[p]: ";".join(params[i - 1 : i + size])})
                i += size
            elif p[:3] in ("38:", "48:", "58:"):
                style = style._replace(**{_COLOURS[p[:2]]: p})
            else:
                return None
    return style


def _off(attr: str) -> str:
    return "24" if attr.startswith("4:") else OFF[attr]


def _group(attr: str) -> str:
    """Attributes of which a terminal keeps one: every underline (4, 21, 4:n) is "24",
    both frames (51, 52) "54"; any other attribute is its own."""
    off = _off(attr)
    return off if off in ("24", "54") else attr


class Pen:
    """The style the terminal is in; the codes that change it to another."""

    def __init__(self) -> None:
        self.style: Style | None = DEFAULT  # None: not known
        self._parsed: dict[str, Style | None] = {}

    def to(self, sgr: str) -> str:
        """The codes to write before text that Textual styled with ``sgr``."""
        if sgr not in self._parsed:
            if len(self._parsed) > 4096:  # (styles made on the fly, as colour fades)
                self._parsed.clear()
            self._parsed[sgr] = parse(sgr)
        new = self._parsed[sgr]
        old, self.style = self.style, new
        if new is None:
            return "\x1b[0m" + sgr  # (a code not known here: the whole of it)
        if old == new:
            return ""
        whole = "\x1b[" + ";".join(["0", *new.codes()]) + "m"
        if old is None:
            return whole
        codes = sorted({_off(a) for a in old.attrs - new.attrs})
        again = {a for a in new.attrs if _off(a) in codes}  # (turned off with another)
        codes += sorted((new.attrs - old.attrs) | again)
        colours = zip(new[1:], ("39", "49", "59"), old[1:], strict=True)
        codes += [c or default for c, default, o in colours if c != o]
        short = "\x1b[" + ";".join(codes) + "m"
        return short if len(short) < len(whole) else whole
