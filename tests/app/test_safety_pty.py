"""Model output is untrusted: run the real app in a pseudo-terminal, let the model send
escape sequences, and check what the app writes to the terminal."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import sys
import time

from tests.app.conftest import chunk
from tests.loopback import Reply, sse

HOSTILE = (
    "start \x1b[31mREDTEXT\x1b[0m "
    "\x1b]52;c;cHduZWQ=\x07 "
    "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\ "
    "\x1b]0;pwned-title\x07 "
    "\x1b[6n "
    "\x9b31mC1CSI "
    "\u202eevil-bidi\u202c "
    "[@click=app.quit]markup[/] "
    "zzfinalword"
)

FORBIDDEN = [
    b"\x1b[31mREDTEXT",
    b"\x1b]52;c;cHduZWQ",
    b"\x1b]8;;http://evil",
    b"\x1b]0;pwned-title",
    b"\xc2\x9b31m",  # C1 CSI, UTF-8 encoded
    b"\xe2\x80\xae",  # U+202E RIGHT-TO-LEFT OVERRIDE
]


def _read_until(fd: int, needle: bytes, timeout: float, buf: bytearray) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return needle in buf
            if not data:
                return needle in buf
            buf.extend(data)
            if needle in buf:
                return True
    return needle in buf


def test_escape_sequences_from_the_model_never_reach_the_terminal(loopback, tmp_path):
    # split the hostile text across deltas, inside sequences too
    parts = [HOSTILE[i : i + 3] for i in range(0, len(HOSTILE), 3)]
    events = (
        [chunk(0, "", role="assistant")]
        + [chunk(0, p) for p in parts]
        + [chunk(0, None, "stop"), "[DONE]"]
    )
    loopback.enqueue(
        Reply(status=200, headers=[("Content-Type", "text/event-stream")], body=sse(events))
    )

    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "COLUMNS": "160",
        "LINES": "40",
        "REDPILL_TUI_CONFIG": str(tmp_path / "config.toml"),
        "REDPILL_TUI_DATA": str(tmp_path / "data"),
    }
    pid, fd = pty.fork()
    if pid == 0:  # child: the app, full-screen in the pty
        os.execvpe(
            sys.executable,
            [sys.executable, "-m", "tui", "--base-url", loopback.base_url, "-m", "test-model"],
            env,
        )
    out = bytearray()
    try:
        import fcntl
        import struct
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
        assert _read_until(fd, b"essage", 30, out), "the app did not start:\n" + out[-2000:].decode(
            "utf-8", "replace"
        )
        # the first frame can come before the composer takes focus: let the app settle
        _read_until(fd, b"\x00never", 1.0, out)
        os.write(fd, b"show me\r")
        # the reply's last word, drawn on screen, means the whole reply was rendered
        assert _read_until(fd, b"zzfinalword", 30, out), "no reply rendered"
        _read_until(fd, b"\x00never", 1.0, out)  # a last frame or two
        os.write(fd, b"\x11")  # ctrl+q
        _read_until(fd, b"\x00never", 3.0, out)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        os.close(fd)

    screen = bytes(out)
    for seq in FORBIDDEN:
        assert seq not in screen, f"{seq!r} reached the terminal"
    # shown harmlessly instead: ESC as the visible control picture, markup as text
    assert "␛".encode() in screen
    assert b"@click=app.quit" in screen
    assert loopback.requests, "the app never sent the request"
