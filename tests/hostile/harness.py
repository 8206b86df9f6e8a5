"""The hostile tier's tools: hostile strings, the bytes that must never reach a terminal,
and the real app (or ``ask``) run in a pseudo-terminal so every byte it writes is seen."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Sequence
from pathlib import Path

import pyte

# Each control sequence carries a marker after its introducer, so the raw form can be
# told from anything Textual writes itself.
CONTROLS = (
    "\x1b]52;c;cHduZWQ=\x07"  # OSC 52: write the clipboard
    "\x1b]8;;http://evil.example/\x1b\\lnk\x1b]8;;\x1b\\"  # OSC 8 hyperlink
    "\x1b]0;pwn-title0\x07"  # OSC 0 / 2: window and icon titles
    "\x1b]2;pwn-title2\x1b\\"
    "\x1bPpwn-dcs\x1b\\"  # DCS
    "\x9b31mpwn-c1"  # C1 CSI
    "\x1b[2Jpwn-clear"  # clear the screen
    "\u202epwn-rlo\u202c"  # right-to-left override
)
MARKUP = "[/x] [@click=app.quit]clk[/] [link=http://evil-markup.example]ml[/link] [b]"


def hostile(marker: str) -> str:
    """A string that is hostile both ways and ends with a plain marker to wait for."""
    return f"{CONTROLS} {MARKUP} {marker}"


FORBIDDEN: Sequence[bytes] = (
    b"\x1b]52;",
    b"\x1b]8;;http://evil",
    b"\x1b]0;pwn",
    b"\x1b]2;pwn",
    b"\x1bPpwn",
    b"\xc2\x9b",  # C1 CSI, UTF-8 encoded
    b"\x1b[2Jpwn",
    b"\xe2\x80\xae",  # U+202E
)
# Markup parsed into a live link: Textual writes it as an OSC 8 hyperlink.
_LINKED = re.compile(rb"\x1b\]8;[^;\x07\x1b]*;[^\x07\x1b]*evil-markup")


def leaks(output: bytes) -> list[str]:
    """What of the hostile strings reached the terminal raw (empty when none did)."""
    found = [repr(seq) for seq in FORBIDDEN if seq in output]
    if _LINKED.search(output):
        found.append("markup [link=...] became a hyperlink")
    return found


class Pty:
    """A process in a pseudo-terminal of ``cols`` x ``rows``; all it writes is kept, and
    played into a terminal emulator (``screen``): the app writes only the cells that
    change (tui/app/term_diff.py), so text already on screen is not written again."""

    def __init__(
        self,
        argv: list[str],
        *,
        env: dict[str, str],
        cols: int = 160,
        rows: int = 40,
        cwd: str | Path | None = None,
    ) -> None:
        self.out = bytearray()
        self.screen = pyte.Screen(cols, rows)
        self._feed = pyte.ByteStream(self.screen).feed
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child
            if cwd is not None:
                os.chdir(cwd)
            os.execvpe(argv[0], argv, {**os.environ, "TERM": "xterm-256color", **env})
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.status: int | None = None

    def read_for(self, seconds: float) -> None:
        self.wait_for(b"\x00never", seconds)

    def shows(self, text: str) -> bool:
        """Whether the screen shows ``text`` now (on one row)."""
        return any(text in row for row in self.screen.display)

    def wait_for(self, needle: bytes | str, timeout: float = 30.0, since: int = 0) -> bool:
        """Read until ``needle`` appears in the output after offset ``since``, or (text)
        on the screen."""
        shown = needle if isinstance(needle, str) else None
        if isinstance(needle, str):
            needle = needle.encode()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if needle in self.out[since:] or (shown is not None and self.shows(shown)):
                return True
            r, _, _ = select.select([self.fd], [], [], 0.05)
            if not r:
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                break
            if not data:
                break
            self.out.extend(data)
            self._feed(data)
        return needle in self.out[since:] or (shown is not None and self.shows(shown))

    def type(self, data: bytes | str) -> None:
        os.write(self.fd, data.encode() if isinstance(data, str) else data)

    def alive(self) -> bool:
        if self.status is not None:
            return False
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            return True
        self.status = status
        return False

    def wait_exit(self, timeout: float = 30.0) -> int | None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.read_for(0.05)
            if not self.alive():
                return os.waitstatus_to_exitcode(self.status or 0)
        return None

    def text(self, since: int = 0) -> str:
        return bytes(self.out[since:]).decode("utf-8", "replace")

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        with contextlib.suppress(OSError):
            os.close(self.fd)


def app_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "tui", *args]


def dirs_env(tmp_path: Path) -> dict[str, str]:
    return {
        "REDPILL_TUI_CONFIG": str(tmp_path / "config" / "config.toml"),
        "REDPILL_TUI_DATA": str(tmp_path / "data"),
        "COLUMNS": "160",
        "LINES": "40",
    }
