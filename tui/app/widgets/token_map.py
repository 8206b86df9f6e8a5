"""A reply's tokens, each coloured by its probability, with a cursor on one of them.

The tokens are laid out here (wrapped at the widget's width, a newline token shown as
``↵`` and then a line break) and drawn a line at a time (the line API), so a reply of
thousands of tokens costs only the rows on screen. Arrows, home/end and the mouse move
the cursor; ``[`` and ``]`` jump to the previous or next token under 20 %. The parent
hears :class:`TokenMap.Moved`. Token text is from a server: it is neutralised before it
is measured or drawn."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...core.logprobs import BANDS, UNKNOWN_BAND, TokenProb
from ...core.sanitize import neutralize

# Band colours (text on background): readable on dark and light themes alike.
BAND_COLOURS: tuple[str, ...] = (
    "#ffffff on #2e7d32",
    "#000000 on #9ccc65",
    "#000000 on #fdd835",
    "#000000 on #fb8c00",
    "#ffffff on #c62828",
    "#ffffff on #616161",  # unknown probability
)
BAND_STYLES: tuple[Style, ...] = tuple(Style.parse(c) for c in BAND_COLOURS)
CURSOR = Style(reverse=True, bold=True, underline=True)
LOW = 0.2  # what [ and ] jump to


def shown_token(token: str) -> list[str]:
    """A token as the rows it shows: newline as ``↵`` ending a row, tab as ``⇥``,
    every other control character made visible."""
    text = neutralize(token.replace("\t", "⇥").replace("\r", ""))
    rows = text.split("\n")
    return [row + "↵" for row in rows[:-1]] + [rows[-1]] if len(rows) > 1 else rows


@dataclass(frozen=True)
class Piece:
    text: str
    token: int
    x: int  # the column it starts at


def layout(tokens: list[TokenProb], width: int) -> tuple[list[list[Piece]], list[tuple[int, int]]]:
    """Rows of pieces, and each token's first (row, column)."""
    width = max(width, 2)
    rows: list[list[Piece]] = [[]]
    x = 0
    where: list[tuple[int, int]] = []
    for i, tok in enumerate(tokens):
        parts = shown_token(tok.token) or [""]
        if not tok.token or not any(cell_len(part) for part in parts):
            parts = ["∅"]  # an empty (or zero-width) token still gets a cell to stand on
        first = True
        for n, part in enumerate(parts):
            text = part
            if x > 0 and cell_len(text) > width - x and cell_len(text) <= width:
                rows.append([])  # a token that fits on a row of its own is not cut
                x = 0
            while True:
                room = width - x
                fit, used = "", 0
                for ch in text:
                    w = cell_len(ch)
                    if used + w > room:
                        break
                    fit += ch
                    used += w
                if not fit and text and x > 0:
                    rows.append([])
                    x = 0
                    continue
                if not fit and text:  # a character wider than the row
                    fit, used = text[0], cell_len(text[0])
                if first:
                    where.append((len(rows) - 1, x))
                    first = False
                if fit:
                    rows[-1].append(Piece(fit, i, x))
                    x += used
                text = text[len(fit) :]
                if not text:
                    break
                rows.append([])
                x = 0
            if n < len(parts) - 1:  # the token's newline
                rows.append([])
                x = 0
        if first:
            where.append((len(rows) - 1, x))
    return rows, where


class TokenMap(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    TokenMap { height: 1fr; background: $surface; }
    TokenMap:focus { background-tint: $foreground 3%; }
    """
    BINDINGS = [
        Binding("left", "move(-1)", "Previous token", show=False),
        Binding("right", "move(1)", "Next token", show=False),
        Binding("up", "row(-1)", "Row up", show=False),
        Binding("down", "row(1)", "Row down", show=False),
        Binding("home", "jump('first')", "First token", show=False),
        Binding("end", "jump('last')", "Last token", show=False),
        Binding("left_square_bracket", "low(-1)", "Previous unlikely"),
        Binding("right_square_bracket", "low(1)", "Next unlikely"),
    ]

    @dataclass
    class Moved(Message):
        index: int

    cursor: reactive[int] = reactive(0, init=False)

    def __init__(self, tokens: list[TokenProb], **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.tokens = tokens
        self._rows: list[list[Piece]] = []
        self._where: list[tuple[int, int]] = []
        self._width = 0

    # -- layout ------------------------------------------------------------------------

    def _relayout(self, width: int) -> None:
        if width == self._width and self._rows:
            return
        self._width = width
        self._rows, self._where = layout(self.tokens, width)
        self.virtual_size = Size(width, len(self._rows))

    def on_resize(self, event: events.Resize) -> None:
        self._relayout(self.scrollable_content_region.width)
        self._show_cursor()
        self.refresh()

    def set_tokens(self, tokens: list[TokenProb]) -> None:
        self.tokens = tokens
        self._width = 0
        self._relayout(self.scrollable_content_region.width)
        self.cursor = 0
        self.refresh()

    # -- drawing -----------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row_no = y + scroll_y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if row_no >= len(self._rows):
            return Strip.blank(width, base)
        segments = []
        for piece in self._rows[row_no]:
            style = BAND_STYLES[self.tokens[piece.token].band]
            if piece.token == self.cursor:
                style = style + CURSOR
            segments.append(Segment(piece.text, base + style))
        strip = Strip(segments)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    # -- the cursor --------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        for index in (old, new):
            self._refresh_token(index)
        self._show_cursor()
        self.post_message(self.Moved(new))

    def _refresh_token(self, index: int) -> None:
        if not 0 <= index < len(self._where):
            return
        row = self._where[index][0]
        last = row
        while last + 1 < len(self._rows) and any(p.token == index for p in self._rows[last + 1]):
            last += 1
        top = row - self.scroll_offset.y
        self.refresh(Region(0, top, self.size.width, last - row + 1))

    def _show_cursor(self) -> None:
        if 0 <= self.cursor < len(self._where):
            row, x = self._where[self.cursor]
            self.scroll_to_region(Region(x, row, 1, 1), animate=False, immediate=True)

    def _set(self, index: int) -> None:
        if self.tokens:
            self.cursor = max(0, min(index, len(self.tokens) - 1))

    def action_move(self, step: int) -> None:
        self._set(self.cursor + step)

    def action_jump(self, where: str) -> None:
        self._set(0 if where == "first" else len(self.tokens) - 1)

    def action_row(self, step: int) -> None:
        if not self._where:
            return
        row, x = self._where[self.cursor]
        target = row + step
        if not 0 <= target < len(self._rows):
            return
        pieces = self._rows[target]
        if not pieces:  # an empty row (a blank line): the next token after it
            self._set(self._token_after(target, step))
            return
        best = min(
            pieces, key=lambda p: (0 if p.x <= x < p.x + cell_len(p.text) else 1, abs(p.x - x))
        )
        self._set(best.token)

    def _token_after(self, row: int, step: int) -> int:
        while 0 <= row < len(self._rows):
            if self._rows[row]:
                return self._rows[row][0].token
            row += step
        return self.cursor

    def action_low(self, step: int) -> None:
        i = self.cursor + step
        while 0 <= i < len(self.tokens):
            p = self.tokens[i].prob
            if p is not None and p < LOW:
                self._set(i)
                return
            i += step
        self.notify("No less likely token that way.", timeout=2)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row_no = offset.y + self.scroll_offset.y
        x = offset.x + self.scroll_offset.x
        if 0 <= row_no < len(self._rows):
            for piece in self._rows[row_no]:
                if piece.x <= x < piece.x + cell_len(piece.text):
                    self._set(piece.token)
                    break


def legend() -> list[tuple[str, str]]:
    """(label, style) for each band, the unknown one last (for ``Content.assemble``)."""
    return [(f" {name} ", BAND_COLOURS[i]) for i, (_, name) in enumerate(BANDS)] + [
        (" unknown ", BAND_COLOURS[UNKNOWN_BAND])
    ]
