"""The terminal driver writes only the cells that changed (tui/app/term_diff.py), and the
terminal shows exactly what Textual's own frames would have shown: checked with a
terminal emulator (pyte) fed both byte streams, on random frames in Textual's format."""

from __future__ import annotations

import pyte
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.app.sgr import Pen
from tui.app.term_diff import ScreenDiff

W, H = 30, 8
LINK = "\x1b]8;id=7;https://example.com\x1b\\"
STYLES = [
    None,
    "\x1b[1m",
    "\x1b[38;5;1;48;5;2m",
    "\x1b[1;38;5;1;48;5;2m",
    "\x1b[7;38;5;167m",
    "\x1b[3;9;38;2;10;20;30;48;5;2m",
    "\x1b[4;31m\x1b[1m",  # (two sequences: their effects add up)
    "\x1b[1;2;45m",
    LINK,
]


def terminal() -> tuple[pyte.Screen, pyte.Stream]:
    screen = pyte.Screen(W, H)
    return screen, pyte.Stream(screen)


def shown(screen: pyte.Screen) -> tuple:
    rows = tuple(tuple(screen.buffer[y][x] for x in range(W)) for y in range(H))
    return rows, screen.cursor.x, screen.cursor.y


def piece(style: str | None, text: str) -> str:
    """One styled segment, as Rich renders it for Textual."""
    if style is None:
        return text
    if style == LINK:
        return f"{LINK}\x1b[4m{text}\x1b[0m\x1b]8;;\x1b\\"
    return f"{style}{text}\x1b[0m"


@st.composite
def segments(draw, x: int, width: int) -> str:
    """Styled text exactly ``width`` cells wide from column ``x``. Wide characters start
    on even columns only, and every write is an even number of cells from an even column:
    no write covers half of one.
    (A terminal blanks the other half; pyte does not. term_diff.py treats that half as
    not known, and test_a_wide_character_half_overwritten_is_written_again checks it.)"""
    out, used = [], 0
    while used < width:
        style = draw(st.sampled_from(STYLES))
        text = ""
        for ch in draw(st.text(alphabet="ab █字", min_size=1, max_size=6)):
            if ch == "字" and (x + used) % 2:
                ch = "b"
            cells = 2 if ch == "字" else 1
            if used + cells > width:
                break
            text += ch
            used += cells
        if not text:
            text, used = " " * (width - used), width
        out.append(piece(style, text))
    return "".join(out)


@st.composite
def frames(draw) -> str:
    """A frame as Textual's compositor writes one: whole rows of a region (a layout
    update) or pieces of rows (chops), then the cursor placed."""
    out = []
    if draw(st.booleans()):  # a region's rows, newline-separated
        x = draw(st.integers(0, W // 2 - 1)) * 2
        top = draw(st.integers(0, H - 1))
        bottom = draw(st.integers(top, H - 1))
        rows = [f"\x1b[{y + 1};{x + 1}H" + draw(segments(x, W - x)) for y in range(top, bottom + 1)]
        out.append("\n".join(rows))
    else:
        for _ in range(draw(st.integers(1, 6))):
            y, x = draw(st.integers(0, H - 1)), draw(st.integers(0, W // 2 - 1)) * 2
            width = draw(st.integers(1, (W - x) // 2)) * 2
            out.append(f"\x1b[{y + 1};{x + 1}H" + draw(segments(x, width)))
    out.append(f"\x1b[{draw(st.integers(1, H))};{draw(st.integers(1, W))}H")
    return "".join(out)


OTHER = ["\x1b[?25l", "\x1b[?2026h", "\x1b]22;default\x07", "\x07", "\x1b[2J", "\x1b[?1049h"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(frames(), st.sampled_from(OTHER), st.just("again")), max_size=12))
def test_the_terminal_shows_what_the_whole_frames_would_show(writes):
    raw, raw_stream = terminal()
    diffed, diffed_stream = terminal()
    diff = ScreenDiff()
    last = ""
    for data in writes:
        data = last if data == "again" else data  # (the same frame twice, as after a layout)
        last = data
        raw_stream.feed(data)
        diffed_stream.feed(diff.filter(data))
        assert shown(diffed) == shown(raw), repr(data)


FRAME = "\x1b[2;1H\x1b[1mhello\x1b[0m world\n\x1b[3;1Hsecond row\x1b[5;3H"


def test_a_frame_written_again_writes_only_the_cursor_move():
    diff = ScreenDiff()
    assert "hello" in diff.filter(FRAME)
    assert diff.filter(FRAME) == "\x1b[5;3H"
    diff.filter("\x1b[9;1Hx\x1b[5;3H")  # (another frame between: the same cells again)
    assert diff.filter(FRAME) == "\x1b[5;3H"


def test_a_changed_word_writes_that_word_only():
    diff = ScreenDiff()
    diff.filter(FRAME)
    assert diff.filter(FRAME.replace("world", "there")) == "\x1b[2;7Hthere\x1b[5;3H"
    assert diff.filter(FRAME.replace("world", "there").replace("\x1b[1m", "")) == (
        "\x1b[2;1Hhello\x1b[5;3H"  # (the style changed: the same letters written again)
    )


def test_after_a_write_it_cannot_read_the_next_frame_is_written_whole():
    diff = ScreenDiff()
    diff.filter(FRAME)
    assert diff.filter("\x1b[?25l") == "\x1b[?25l"  # (changes no cell: still known)
    assert diff.filter(FRAME) == "\x1b[5;3H"
    assert diff.filter("\x1b[2J") == "\x1b[2J"
    assert "second row" in diff.filter(FRAME)
    diff.forget()  # (a resize, a suspend)
    assert "second row" in diff.filter(FRAME)


def test_a_wide_character_half_overwritten_is_written_again():
    """A terminal blanks the other half of a wide character written over: the cell is not
    known, so the character drawn there again is written, not skipped."""
    diff = ScreenDiff()
    diff.filter("\x1b[1;1Hab字cd\x1b[1;1H")
    diff.filter("\x1b[1;4Hx\x1b[1;1H")  # (the right half of 字)
    assert "字" in diff.filter("\x1b[1;1Hab字cd\x1b[1;1H")


def test_the_pen_writes_only_the_codes_that_change():
    pen = Pen()
    assert pen.to("\x1b[1;38;5;188;48;5;16m") == "\x1b[1;38;5;188;48;5;16m"
    assert pen.to("\x1b[38;5;188;48;5;16m") == "\x1b[22m"  # (bold off; colours kept)
    assert pen.to("\x1b[48;5;16m") == "\x1b[39m"  # (the default foreground)
    assert pen.to("\x1b[48;5;16m") == ""
    assert pen.to("\x1b[2;48;5;16m") == "\x1b[2m"
    assert pen.to("\x1b[1;48;5;16m") == "\x1b[22;1m"  # (22 turns dim and bold off)
    assert pen.to("") == "\x1b[0m"


def test_a_style_code_the_pen_does_not_know_is_written_whole():
    pen = Pen()
    pen.to("\x1b[1m")
    assert pen.to("\x1b[1;73m") == "\x1b[0m\x1b[1;73m"
    assert pen.to("\x1b[1m") == "\x1b[0;1m"  # (after it, the style is not known)


def test_a_bug_in_the_rewriting_writes_textuals_own_bytes(monkeypatch):
    diff = ScreenDiff()
    diff.filter(FRAME)

    def broken(data: str) -> None:
        raise IndexError("a bug")

    monkeypatch.setattr(diff, "_apply", broken)
    changed = FRAME.replace("world", "there")
    assert diff.filter(changed) == changed
    monkeypatch.undo()
    assert "second row" in diff.filter(FRAME)  # (and what the screen showed is forgotten)


def test_a_row_with_an_emoji_is_written_as_textual_wrote_it():
    """Terminals disagree on the width of an emoji with VS16, a ZWJ sequence or a flag
    (xterm and VTE draw "⚠️" one cell wide, Rich counts two): after one, only Textual's
    own cursor moves put text where it belongs. Were only the changed cells written, at
    the columns Rich counts, "12 errors" would read "312 errors" there."""
    diff = ScreenDiff()
    first = "\x1b[1;1H⚠️ build failed: 3 errors \x1b[2;1H"
    second = "\x1b[1;1H⚠️ build failed: 12 errors\x1b[2;1H"
    diff.filter(first)
    assert diff.filter(second) == second
    assert diff.filter(first) == first  # (every time: after it, the row is not known)
    assert diff.filter(first) == "\x1b[2;1H"  # (the very same frame again: on screen)
    # Left of it the row is known, and only what changed there is written.
    assert diff.filter("\x1b[1;1HX\x1b[2;1H") == "\x1b[1;1HX\x1b[2;1H"
    assert diff.filter("\x1b[1;1HX\x1b[2;1H") == "\x1b[2;1H"


def test_one_underline_at_a_time():
    """4 and 21 set one underline, the last one wins: 4;21 is a double underline, and
    must not be written 21;4 (single)."""
    pen = Pen()
    assert pen.to("\x1b[4;21m") == "\x1b[21m"
    assert pen.to("\x1b[4m") == "\x1b[0;4m"  # (shorter than 24;4)


def test_a_mode_that_changes_the_screen_forgets_it():
    diff = ScreenDiff()
    diff.filter(FRAME)
    for mode in ("\x1b[?25;1049h", "\x1b[?3h", "\x1b[?6h"):
        assert diff.filter(mode) == mode
        assert "second row" in diff.filter(FRAME), mode
    assert diff.filter("\x1b[?1000;1006h") == "\x1b[?1000;1006h"  # (the mouse: no cell)
    assert diff.filter(FRAME) == "\x1b[5;3H"


def test_a_cursor_move_textual_never_writes_passes_as_it_is():
    diff = ScreenDiff()
    diff.filter(FRAME)
    for odd in ("\x1b[1;0HX\x1b[2;1H", "\x1b[1;30000000HX\x1b[2;1H"):
        assert diff.filter(odd) == odd
