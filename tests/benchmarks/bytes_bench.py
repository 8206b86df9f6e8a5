"""Bytes the app writes to its terminal (what SSH carries), issue 18.

The real app runs in a pseudo-terminal at 120x40 (``python -m tui``, as a user starts it)
against the loopback bench server, which streams a Markdown-like reply at a steady rate
(50 deltas/s for 8 s by default). Every byte the app writes is read from the pty's master
side and counted: at start-up (until the screen is quiet), and while the reply streams
(from the Enter that sends it until the screen is quiet again).

A pty, not Textual's headless driver: the headless driver writes nothing (it keeps no
terminal), and the pty sees exactly what a terminal (and so ssh) would get, escape
sequences, synchronized-output markers and all.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.hostile.harness import Pty

from .server import BenchServer

COLS, ROWS = 120, 40
F3 = "\x1bOR"
CTRL_Q = "\x11"
QUIET = 1.0  # seconds without output that mean the screen is done


def _quiet(app: Pty, quiet: float = QUIET, timeout: float = 60.0) -> None:
    """Read until the app has written nothing for ``quiet`` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        before = len(app.out)
        app.read_for(quiet)
        if len(app.out) == before:
            return


def _case(
    base_url: str, tmp: Path, n: int, columns: bool, file: Path | None, flags: tuple[str, ...] = ()
) -> dict[str, Any]:
    env = {
        "REDPILL_TUI_CONFIG": str(tmp / "config.toml"),
        "REDPILL_TUI_DATA": str(tmp / "data"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "COLUMNS": str(COLS),
        "LINES": str(ROWS),
    }
    for flag in flags:
        if "=" in flag and not flag.startswith("-"):  # (an environment variable)
            key, _, value = flag.partition("=")
            env[key] = value
    flags = tuple(f for f in flags if f.startswith("-"))
    argv = [sys.executable, "-m", "tui", "--base-url", base_url, "-m", "bench", *flags]
    if n > 1:
        argv += ["-p", f"n={n}"]
    if file is not None:
        argv.append(str(file))
    app = Pty(argv, env=env, cols=COLS, rows=ROWS, cwd=Path(__file__).resolve().parents[2])
    try:
        if not app.wait_for("essage", 60):
            raise RuntimeError("the app did not start:\n" + app.text()[-2000:])
        _quiet(app)
        startup = len(app.out)
        if columns:
            app.type(F3)
            _quiet(app, quiet=3.0)  # the toast comes and goes
        start = len(app.out)
        t0 = time.monotonic()
        app.type("go\r")
        _quiet(app)
        streaming = len(app.out) - start
        seconds = time.monotonic() - t0 - QUIET
        app.type(CTRL_Q)
        app.wait_exit(15)
    finally:
        app.close()
    return {"startup": startup, "streaming": streaming, "seconds": seconds}


def _conversation_file(tmp: Path, turns: int) -> Path:
    from .long_bench import make_long_conversation

    path = tmp / f"conv{turns}.json"
    make_long_conversation(path, turns)
    return path


WHOLE = ("REDPILL_TUI_WHOLE_FRAMES=1",)  # (the driver writes Textual's frames as they are)
CASES = [  # label, n, columns, turns already in the conversation, command-line flags
    ("n=1", 1, False, 0, ()),
    ("n=3 columns", 3, True, 0, ()),
    ("20 turns, n=1", 1, False, 20, ()),
    ("n=1 --low-bandwidth", 1, False, 0, ("--low-bandwidth",)),
    ("n=1, whole frames", 1, False, 0, WHOLE),
    ("n=3 columns, whole frames", 3, True, 0, WHOLE),
]


def bytes_written(rate: float = 50.0, seconds: float = 8.0, runs: int = 3) -> dict[str, Any]:
    from .bench import _table

    deltas = int(rate * seconds)
    out: dict[str, Any] = {}
    rows = []
    with BenchServer() as srv, tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        files = {0: None, 20: _conversation_file(tmp, 20)}
        for label, n, columns, turns, flags in CASES:
            srv.plan.deltas, srv.plan.n, srv.plan.rate = deltas, n, rate
            results = []
            for r in range(runs):
                run_dir = tmp / f"{label}-{r}".replace(" ", "_").replace(",", "")
                os.makedirs(run_dir, exist_ok=True)
                results.append(_case(srv.base_url, run_dir, n, columns, files[turns], flags))
            med = {k: statistics.median(x[k] for x in results) for k in results[0]}
            med["per_delta"] = med["streaming"] / deltas
            med["all_runs_streaming"] = [x["streaming"] for x in results]
            out[label] = med
            rows.append(
                [
                    label,
                    f"{med['startup'] / 1024:.1f}",
                    f"{med['streaming'] / 1024:.1f}",
                    f"{med['per_delta']:.0f}",
                    f"{med['seconds']:.1f}",
                    " ".join(f"{x / 1024:.0f}" for x in med["all_runs_streaming"]),
                ]
            )
    _table(
        f"Bytes written to the terminal, pty {COLS}x{ROWS}, {rate:.0f} deltas/s for "
        f"{seconds:.0f} s ({deltas} deltas), median of {runs} runs",
        ["case", "start-up KB", "streaming KB", "B/delta", "stream s", "runs KB"],
        rows,
    )
    one = out["n=1"]["streaming"]
    print(
        "  targets: n=1 streaming <= 100 KB (<= 250 B/delta), start-up <= 40 KB, "
        f"n=3 <= 3x n=1 (now {out['n=3 columns']['streaming'] / one:.2f}x)"
    )
    return {"bytes": out}
