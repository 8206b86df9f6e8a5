"""Write to the terminal only the cells that changed (issue 18).

Textual repaints whole regions: a widget that was resized or scrolled is painted again
whole, and after a layout it is often painted twice, the second time with exactly the
same content. Over SSH every one of those bytes crosses the link. :class:`ScreenDiff`
keeps what the terminal shows (one cell per column: its character and the escape codes
that style it) and rewrites each of Textual's frames to the cells that differ from it,
as curses does. It is lossless: after every frame the terminal shows what Textual's own
bytes would have shown (``tests/app/test_term_diff.py`` checks that with a terminal
emulator, on random frames and on a whole session of the app).

It understands what Textual's compositor writes (cursor moves, SGR styles, OSC 8
links, text and newlines). Anything else passes through untouched: a write that only
sets modes or asks the terminal something changes no cell; any other write, or one
it cannot read, makes it forget the screen, so the next frames are written whole. A
frame that starts at the top-left corner and paints its first two rows from the first
column (what Textual writes after a resize, a new screen or a theme change) is written
whole as well, so such a repaint still repairs a screen something else wrote on.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import NamedTuple

from rich.cells import split_graphemes

from .sgr import DEFAULT, Pen

# One cell: (style, text). The style is the link opener and SGR codes in force; the text
# is one grapheme, "" for the right half of a wide character. None: not known.
Cell = tuple[tuple[str, str], str] | None

_TOKEN = re.compile(
    r"\x1b\[(\d+);(\d+)H"  # 1, 2: cursor position (1-based row; column)
    r"|(\x1b\[[0-9;:]*m)"  # 3: SGR
    r"|(\x1b\]8;[^\x07\x1b]*(?:\x1b\\|\x07))"  # 4: OSC 8 link open / close
    r"|(\n)"  # 5
    r"|([^\x00-\x1f\x7f-\x9f]+)"  # 6: printable text
)
# Writes that change no cell: private modes (except the alternate screen), mode and
# cursor queries, keyboard protocol switches, OSC strings (titles, clipboard, pointer
# shapes), the bell.
_HARMLESS = re.compile(
    r"(?:\x1b\[\?[0-9;]*[hl]"
    r"|\x1b\[\?[0-9;]*\$p|\x1b\[[<>=]?[0-9;]*u|\x1b\[[56]n"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x07)+"
)
_PRIVATE = re.compile(r"\x1b\[\?([0-9;]*)[hl]")
# Private modes after which the screen is not what it was: 132 columns (clears it),
# origin and left/right margin modes (cursor moves mean other cells), alternate screen.
_SCREEN_MODES = {"3", "6", "47", "69", "1047", "1049"}
_RESET = "\x1b[0m"
_LINK_CLOSE = "\x1b]8;;\x1b\\"
GAP = 6  # unchanged cells written anyway to join two changes (a cursor move is 6-8 bytes)


LIMIT = 10_000  # rows or columns past this are not a terminal's


class Applied(NamedTuple):
    """A frame read: its rows as they will be, and what it wrote in each."""

    rows: dict[int, list[Cell]]
    runs: dict[int, list[list[int]]]  # row: the column spans written
    unsure: dict[int, int]  # row: the column of a grapheme of doubtful width (see _sure)
    cursor: str  # the cursor move that ends the frame


class Unreadable(Exception):
    """A frame with something in it that is not a cell write."""


class ScreenDiff:
    """What the terminal shows, and each frame rewritten to what changes it."""

    def __init__(self) -> None:
        self._rows: dict[int, list[Cell]] = {}
        self._pen = Pen()  # (the style codes: only what changes from one run to the next)
        self._graphemes: dict[str, tuple[tuple[str, ...], int]] = {}  # (see _cells)
        self._last: tuple[str, str] | None = None  # the last frame, and its cursor move

    def forget(self) -> None:
        """The terminal's contents are not known (resized, restarted, written by others)."""
        self._rows.clear()
        self._pen.style = None
        self._last = None

    def filter(self, data: str) -> str:
        """The bytes to write instead of ``data``, with the same result on screen."""
        try:
            return self._filter(data)
        except Exception:  # (a bug here must not take the app down: Textual's bytes go)
            self.forget()
            return data

    def _filter(self, data: str) -> str:
        if not data.startswith("\x1b[") or _TOKEN.match(data) is None or not data[2].isdigit():
            if not _harmless(data):
                self.forget()
            return data
        if self._last is not None and data == self._last[0]:
            # The same frame again (Textual often paints a region twice after a layout):
            # the screen shows it already.
            return self._last[1]
        if data.startswith("\x1b[1;1H") and "\n\x1b[2;1H" in data:
            self.forget()  # a whole-screen repaint: written as it is (see the docstring)
        try:
            frame = self._apply(data)
        except Unreadable:
            self.forget()
            return data
        out: list[str] = []
        new = frame.rows
        for y in sorted(frame.runs):
            if y in frame.unsure:
                # A grapheme terminals disagree on the width of (an emoji with VS16, a ZWJ
                # sequence, a flag): where the text after it lands is the terminal's
                # call. Its row is written as Textual wrote it, and from it to the end of
                # the row nothing is known.
                for start, stop in frame.runs[y]:
                    self._write(out, y, new[y], start, stop)
                row, col = new[y], frame.unsure[y]
                row[col:] = [None] * (len(row) - col)
            else:
                spans = frame.runs[y]
                lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
                self._emit(out, y, self._rows.get(y, []), new[y], lo, hi)
        self._rows.update(new)
        if self._pen.style != DEFAULT:
            out.append(self._pen.to(""))  # (the terminal left in its default style)
        out.append(frame.cursor)
        self._last = (data, frame.cursor)
        return "".join(out)

    def _apply(self, data: str) -> Applied:
        """The rows ``data`` writes to, as they will be, and what it wrote where."""
        new: dict[int, list[Cell]] = {}
        runs: dict[int, list[list[int]]] = {}
        unsure: dict[int, int] = {}
        y = x = -1
        sgr = link = ""
        last, kind = "", 0
        pos = 0
        for token in _TOKEN.finditer(data):
            if token.start() != pos:
                raise Unreadable
            pos = token.end()
            kind = token.lastindex
            last = token.group()
            if kind == 2:  # (a cursor move: groups 1 and 2)
                y, x = int(token.group(1)) - 1, int(token.group(2)) - 1
                if not (0 <= y < LIMIT and 0 <= x < LIMIT):
                    raise Unreadable  # (a terminal takes 0 as 1, and clamps: not Textual's)
            elif kind == 3:
                sgr = "" if last in (_RESET, "\x1b[m") else sgr + last
            elif kind == 4:
                link = "" if last in (_LINK_CLOSE, "\x1b]8;;\x07") else last
            elif kind == 5:
                y = x = -1  # (Textual moves the cursor after each newline)
            else:
                if y < 0:
                    raise Unreadable
                row = new.get(y)
                if row is None:
                    row = new[y] = list(self._rows.get(y, ()))
                start = x
                cells, doubt = self._cells(last)
                x = _put(row, x, (link, sgr), cells)
                written = runs.setdefault(y, [])
                if written and written[-1][1] == start:
                    written[-1][1] = x
                else:
                    written.append([start, x])
                if doubt >= 0:
                    unsure[y] = min(unsure.get(y, LIMIT), start + doubt)
        if pos != len(data) or kind != 2:
            raise Unreadable  # (Textual ends each frame by placing the cursor)
        return Applied(new, runs, unsure, last)

    def _cells(self, text: str) -> tuple[tuple[str, ...], int]:
        """The cells ``text`` takes (a grapheme each, "" for the right half of a wide
        one), and the first whose width terminals disagree on (-1: none, see _sure)."""
        found = self._graphemes.get(text)
        if found is None:
            if text.isascii():
                found = (tuple(text), -1)
            else:
                out: list[str] = []
                unsure = -1
                spans, _ = split_graphemes(text)
                for start, stop, width in spans:
                    if width == 0 or width > 2:
                        raise Unreadable  # (a lone combining mark: the terminal places it)
                    grapheme = text[start:stop]
                    if unsure < 0 and not _sure(grapheme):
                        unsure = len(out)
                    out += (grapheme, "") if width == 2 else (grapheme,)
                found = (tuple(out), unsure)
            if len(self._graphemes) > 4096:
                self._graphemes.clear()
            self._graphemes[text] = found
        return found

    def _emit(
        self, out: list[str], y: int, old: list[Cell], new: list[Cell], lo: int, hi: int
    ) -> None:
        """Append to ``out`` what turns ``old`` into ``new`` between columns lo and hi."""
        if old[lo:hi] == new[lo:hi]:
            return
        spans: list[list[int]] = []
        for col in range(lo, hi):
            cell = new[col]
            if cell is None or (col < len(old) and old[col] == cell):
                continue
            if (
                spans
                and col - spans[-1][1] <= GAP
                and all(new[c] is not None for c in range(spans[-1][1], col))
            ):
                spans[-1][1] = col + 1
            else:
                spans.append([col, col + 1])
        for start, stop in spans:
            if new[start][1] == "":  # (the right half of a wide character)
                head = new[start - 1] if start > 0 else None
                if head is not None and head[1] != "":
                    start -= 1  # (write the character)
                else:
                    start += 1  # (its left half is not known: nothing to write there)
                    if start >= stop:
                        continue
            if stop < len(new) and new[stop] is not None and new[stop][1] == "":
                stop += 1
            self._write(out, y, new, start, stop)

    def _write(self, out: list[str], y: int, row: list[Cell], start: int, stop: int) -> None:
        """Append to ``out`` the cells of ``row`` from ``start`` to ``stop`` (all known)."""
        out.append(f"\x1b[{y + 1};{start + 1}H")
        style, text = None, []
        for cell in row[start:stop]:
            assert cell is not None
            if cell[0] != style:
                self._flush(out, style, text)
                style, text = cell[0], []
            text.append(cell[1])
        self._flush(out, style, text)

    def _flush(self, out: list[str], style: tuple[str, str] | None, text: list[str]) -> None:
        if style is None or not text:
            return
        link, sgr = style
        out.append(self._pen.to(sgr))
        out.append(f"{link}{''.join(text)}{_LINK_CLOSE if link else ''}")


# Code points every terminal gives the width Rich does (1, or 2 for the CJK blocks), as
# (first, last) ranges. Anything else (emoji, symbols with an emoji form, marks, anything
# of two code points or more) some terminals draw a cell wider or narrower.
_SURE = (
    (0x20, 0x7E),
    (0xA0, 0x2FF),  # Latin-1, Latin extended, IPA, modifiers
    (0x370, 0x52F),  # Greek, Cyrillic
    (0x2010, 0x2027),  # dashes, quotes, bullets, ellipsis
    (0x2030, 0x205E),
    (0x2190, 0x21FF),  # arrows
    (0x2500, 0x25FA),  # box drawing, blocks, shapes
    (0x2800, 0x28FF),  # braille
    (0x2E80, 0x303E),  # CJK (wide)
    (0x3041, 0x33FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xA000, 0xA4CF),
    (0xAC00, 0xD7A3),
    (0xF900, 0xFAFF),
    (0xFF01, 0xFF60),
    (0xFFE0, 0xFFE6),
)
_SURE_STARTS = tuple(first for first, _ in _SURE)


def _harmless(data: str) -> bool:
    """Whether ``data`` changes no cell: modes, queries, OSC strings, the bell."""
    if not _HARMLESS.fullmatch(data):
        return False
    modes = (m for found in _PRIVATE.findall(data) for m in found.split(";"))
    return not any(mode in _SCREEN_MODES for mode in modes)


def _sure(grapheme: str) -> bool:
    if len(grapheme) != 1:
        return False
    code = ord(grapheme)
    i = bisect_right(_SURE_STARTS, code) - 1
    return i >= 0 and code <= _SURE[i][1]


def _put(row: list[Cell], x: int, style: tuple[str, str], graphemes: tuple[str, ...]) -> int:
    """Write ``graphemes`` (see ScreenDiff._cells) into ``row`` from column ``x``; the
    column after them."""
    stop = x + len(graphemes)
    if len(row) < stop + 1:
        row.extend([None] * (stop + 1 - len(row)))
    # A wide character half overwritten is blanked by the terminal: not known any more.
    if row[x] is not None and row[x][1] == "" and x > 0:
        row[x - 1] = None
    if row[stop] is not None and row[stop][1] == "":
        row[stop] = None
    row[x:stop] = [(style, g) for g in graphemes]
    return stop
