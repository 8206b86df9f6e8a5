"""A whole session of the real app in a pty: the terminal, fed what the driver wrote (only
the cells that changed, tui/app/term_diff.py), shows at every pause exactly what it
would have shown fed Textual's whole frames, tapped before the driver rewrote them
(tests/app/tapped_app.py). Both are played into a terminal emulator (pyte): start-up,
two choices of a streamed reply, the raw exchange screen and back, columns, a resize,
a second reply."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import struct
import sys
import termios
from pathlib import Path

import pyte

from tests.benchmarks.server import BenchServer
from tests.hostile.harness import Pty, dirs_env

ROOT = Path(__file__).resolve().parents[2]
F2, F3, ESC, CTRL_Q = "\x1bOQ", "\x1bOR", "\x1b", "\x11"


class Terminals:
    """Two emulated terminals: one fed the tapped whole frames, one the pty's bytes."""

    def __init__(self, app: Pty, tap: Path, cols: int, rows: int) -> None:
        self.app, self.tap = app, tap
        self.whole = pyte.Screen(cols, rows)
        self.diffed = pyte.Screen(cols, rows)
        self._whole = pyte.Stream(self.whole)
        self._diffed = pyte.ByteStream(self.diffed)
        self.lines_read = self.bytes_read = 0
        self.whole_bytes = self.diffed_bytes = 0

    def settle(self, quiet: float = 1.0) -> None:
        """Read until the app has been quiet for ``quiet`` seconds; feed both terminals."""
        while True:
            before = len(self.app.out)
            self.app.read_for(quiet)
            if len(self.app.out) == before:
                break
        lines = self.tap.read_text(encoding="utf-8").splitlines()
        for line in lines[self.lines_read :]:
            data = json.loads(line)
            self.whole_bytes += len(data.encode())
            self._whole.feed(data)
        self.lines_read = len(lines)
        out = bytes(self.app.out[self.bytes_read :])
        self.diffed_bytes += len(out)
        self._diffed.feed(out)
        self.bytes_read = len(self.app.out)

    def resize(self, cols: int, rows: int) -> None:
        self.whole.resize(rows, cols)
        self.diffed.resize(rows, cols)
        fcntl.ioctl(self.app.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.kill(self.app.pid, signal.SIGWINCH)

    def assert_same(self, step: str) -> None:
        def shown(screen: pyte.Screen) -> list:
            return [
                [screen.buffer[y][x] for x in range(screen.columns)] for y in range(screen.lines)
            ]

        assert self.diffed.display == self.whole.display, step
        assert shown(self.diffed) == shown(self.whole), step  # (colours and attributes)
        assert (self.diffed.cursor.x, self.diffed.cursor.y) == (
            self.whole.cursor.x,
            self.whole.cursor.y,
        ), step


def test_a_session_shows_what_whole_frames_would_show(tmp_path):
    tap = tmp_path / "tap.jsonl"
    tap.touch()
    cols, rows = 100, 30
    env = {**dirs_env(tmp_path), "TAP": str(tap), "PYTHONPATH": str(ROOT)}
    env |= {"COLUMNS": "", "LINES": ""}  # (the pty's size, which the test changes)
    with BenchServer() as server:
        server.plan.deltas, server.plan.n, server.plan.rate = 200, 2, 100.0
        argv = [sys.executable, "-m", "tests.app.tapped_app", "--base-url", server.base_url]
        app = Pty([*argv, "-m", "bench", "-p", "n=2"], env=env, cols=cols, rows=rows, cwd=ROOT)
        try:
            assert app.wait_for("essage", 60), app.text()[-2000:]
            terminals = Terminals(app, tap, cols, rows)
            terminals.settle()
            terminals.assert_same("start-up")
            assert "Message" in "\n".join(terminals.diffed.display)

            start_whole, start_diffed = terminals.whole_bytes, terminals.diffed_bytes
            app.type("go\r")
            terminals.settle()
            terminals.assert_same("a streamed reply")
            assert "tokens" in "\n".join(terminals.diffed.display)
            whole = terminals.whole_bytes - start_whole
            diffed = terminals.diffed_bytes - start_diffed
            assert diffed * 2 < whole, (diffed, whole)  # (measured: about a fifth)

            for step, keys in (("raw exchange", F2), ("back", ESC), ("columns", F3)):
                app.type(keys)
                terminals.settle(quiet=1.5)
                terminals.assert_same(step)
            terminals.resize(80, 24)
            terminals.settle()
            terminals.assert_same("resized to 80x24")
            app.type("again\r")
            terminals.settle()
            terminals.assert_same("a second reply, in columns at 80x24")
            app.type(CTRL_Q)
            assert app.wait_exit(15) == 0
        finally:
            app.close()
