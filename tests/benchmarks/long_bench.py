"""The long-conversation benchmarks: open a conversation of many realistic turns (first
frame, peak RSS, scrolling) and idle CPU with it open."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .bench import _table, pace


def make_long_conversation(path: Path, turns: int = 1000) -> int:
    """A conversation as the app saves it: each turn's request built through the send
    path (parameters, system prompt, history), ~1 KB messages, some code blocks."""
    from tui.core.store import save_file

    from .store_bench import build_conversation

    conv = build_conversation(turns)
    conv.title = f"{turns} turns"
    save_file(conv, path)
    return path.stat().st_size


LONG_SNIPPET = r"""
import asyncio, json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
from tests.benchmarks.bench import _app
from tui.heap import settle
async def main():
    tmp = Path(sys.argv[2])
    # As `python -m tui FILE` does: the app opens the file as it mounts, after settle().
    opened = sys.argv[1] != "-"
    app = _app("http://127.0.0.1:9/v1", tmp, open_file=sys.argv[1] if opened else None)
    settle()
    out = {}
    async with app.run_test(size=(120, 40)) as pilot:
        while not (app.focused is not None and app.focused.id == "composer"):
            await asyncio.sleep(0.001)
        await pilot.pause()
        out["first_frame_s"] = time.perf_counter() - t0
        if not opened:
            print(json.dumps(out))
            return
        view = app.chat.query_one("#conversation")
        view.scroll_home(animate=False)
        await pilot.pause()
        s0 = time.perf_counter()
        steps = 0
        while view.scroll_y < view.max_scroll_y and steps < 20000:
            view.scroll_page_down(animate=False)
            await pilot.pause()
            steps += 1
        out["scroll_s"] = time.perf_counter() - s0
        out["scroll_pages"] = steps
        c0 = time.process_time()
        await asyncio.sleep(float(sys.argv[3]))
        out["idle_cpu_s"] = time.process_time() - c0
        out["idle_s"] = float(sys.argv[3])
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
asyncio.run(main())
"""


def _open(path: str, tmp: str, idle_seconds: float) -> dict[str, Any]:
    res = subprocess.run(
        [sys.executable, "-c", LONG_SNIPPET, path, tmp, str(idle_seconds)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    if res.returncode != 0:
        print(res.stderr[-3000:])
        raise SystemExit(1)
    return json.loads(res.stdout.strip().splitlines()[-1])


def _long_run(idle_seconds: float, turns: int, runs: int = 1) -> dict[str, Any]:
    """Open the conversation ``runs`` times, each in a fresh process, and as many times
    the app with no conversation (start-up alone): medians of each, and the difference,
    which is what the conversation costs the first frame."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.json"
        size = make_long_conversation(path, turns)
        opened, empty, paces = [], [], [pace()]
        for _ in range(runs):
            empty.append(_open("-", tmp, 0.0)["first_frame_s"])
            opened.append(_open(str(path), tmp, idle_seconds))
            paces.append(pace())
        out = sorted(opened, key=lambda r: r["first_frame_s"])[len(opened) // 2]
        out["startup_s"] = statistics.median(empty)
        out["after_startup_s"] = out["first_frame_s"] - out["startup_s"]
        out["runs"] = runs
        out["pace"] = statistics.median(paces)
        out["file_mb"] = size / 1e6
        return out


def long(turns: int, runs: int = 3) -> dict[str, Any]:
    r = _long_run(0.0, turns, runs)
    _table(
        f"Long conversation: {turns} turns (realistic requests), median of {runs} runs",
        [
            "file MB",
            "first frame s",
            "empty app s",
            "first frame - empty s",
            "peak RSS MB",
            "scroll top->bottom s",
            "pages",
        ],
        [
            [
                f"{r['file_mb']:.2f}",
                f"{r['first_frame_s']:.2f}",
                f"{r['startup_s']:.2f}",
                f"{r['after_startup_s']:.2f}",
                f"{r['peak_rss_mb']:.0f}",
                f"{r['scroll_s']:.2f}",
                r["scroll_pages"],
            ]
        ],
    )
    print(
        f"  machine pace {r['pace']:.2f} (1.00: quiet; see bench.pace):"
        f" first frame - empty at quiet pace ~{r['after_startup_s'] / r['pace']:.2f} s"
    )
    print("  target: first frame - empty <= 0.5 s, peak RSS <= 150 MB")
    return {"long": r}


def idle(turns: int) -> dict[str, Any]:
    r = _long_run(10.0, turns)
    pct = r["idle_cpu_s"] / r["idle_s"] * 100
    _table(
        f"Idle: CPU over 10 s with the {turns}-turn conversation open",
        ["CPU s", "CPU %"],
        [[f"{r['idle_cpu_s']:.3f}", f"{pct:.2f}"]],
    )
    return {"idle": {"cpu_s": r["idle_cpu_s"], "cpu_pct": pct}}
