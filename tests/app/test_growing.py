"""A reply growing in a screenful of text writes only what changed to the terminal
(widgets/growing.py): a block replaced in the piece a reply streams into (a paragraph
that becomes a code block with its third backtick) does not repaint the whole piece.
Bytes counted in a real pty, the piece growing or not (measured: about 2 KB against
7.7 KB, the whole screen, at 80x24)."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.hostile.harness import Pty

ROOT = Path(__file__).resolve().parents[2]


def bytes_for_a_paragraph(growing: bool) -> tuple[int, str]:
    argv = [sys.executable, "-m", "tests.app.growing_app", "on" if growing else "off"]
    env = {"PYTHONPATH": str(ROOT)}
    app = Pty(argv, env=env, cols=80, rows=24, cwd=ROOT)
    try:
        assert app.wait_for("Paragraph 29", 60), app.text()[-500:]
        app.read_for(1.0)  # start-up done
        start = len(app.out)
        app.type("a")
        assert app.wait_for("x = 1", 30, since=start)
        app.read_for(1.0)  # and whatever comes after it
        written = len(app.out) - start
        app.type("q")
        app.wait_exit(15)
        return written, app.text(start)
    finally:
        app.close()


def test_a_block_replaced_while_growing_repaints_the_block_not_the_piece():
    repainted, _ = bytes_for_a_paragraph(growing=False)
    grown, text = bytes_for_a_paragraph(growing=True)
    assert "New paragraph 1" in text
    # Not growing: the whole visible piece (a screenful) is sent again.
    assert grown * 3 < repainted, (grown, repainted)
