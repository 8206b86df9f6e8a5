"""A reply growing in a screenful of text writes only what changed to the terminal
(widgets/growing.py): a block replaced in the piece a reply streams into (a paragraph
that becomes a code block with its third backtick) does not repaint the whole piece.
Bytes counted in a real pty, the piece growing or not (measured: about 2 KB against
7.7 KB, the whole screen, at 80x24)."""

from __future__ import annotations

import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.hostile.harness import Pty

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def growing_app(growing: bool) -> Iterator[Pty]:
    """tests/app/growing_app.py in a pty at 80x24, its start-up written; quit after."""
    argv = [sys.executable, "-m", "tests.app.growing_app", "on" if growing else "off"]
    app = Pty(argv, env={"PYTHONPATH": str(ROOT)}, cols=80, rows=24, cwd=ROOT)
    try:
        assert app.wait_for("Paragraph 29", 60), app.text()[-500:]
        app.read_for(1.0)  # start-up done
        yield app
        app.type("q")
        app.wait_exit(15)
    finally:
        app.close()


def bytes_for_a_paragraph(growing: bool) -> tuple[int, str]:
    with growing_app(growing) as app:
        start = len(app.out)
        app.type("a")
        assert app.wait_for("x = 1", 30, since=start)
        app.read_for(1.0)  # and whatever comes after it
        return len(app.out) - start, app.text(start)


def test_a_block_replaced_while_growing_repaints_the_block_not_the_piece():
    repainted, _ = bytes_for_a_paragraph(growing=False)
    grown, text = bytes_for_a_paragraph(growing=True)
    assert "New paragraph 1" in text
    # Not growing: the whole visible piece (a screenful) is sent again.
    assert grown * 3 < repainted, (grown, repainted)


def bytes_per_word(growing: bool) -> tuple[float, str]:
    """The median of the bytes written for each of ten words added, one at a time, to a
    paragraph of about fifteen rows at the end of the piece (a word that starts a new row
    moves the anchored view: the median leaves that one out)."""
    with growing_app(growing) as app:
        for _ in range(120):  # a long last paragraph
            app.type("w")
        assert app.wait_for("word120", 60)
        app.read_for(1.0)
        first, sizes = len(app.out), []
        for i in range(121, 131):
            start = len(app.out)
            app.type("w")
            assert app.wait_for(f"word{i}", 30, since=start)
            app.read_for(0.3)
            sizes.append(len(app.out) - start)
        return statistics.median(sizes), app.text(first)


def test_a_word_added_to_a_long_paragraph_repaints_its_last_row_only():
    whole, _ = bytes_per_word(growing=False)
    last_row, text = bytes_per_word(growing=True)
    assert "word130" in text
    # Not growing: each word sends the whole paragraph (about fifteen rows) again;
    # growing, the row it lands on (about 130 bytes at 80 columns).
    assert last_row * 5 < whole, (last_row, whole)
