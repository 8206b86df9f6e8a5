"""Stepping between sent messages (up) in a conversation with every turn mounted: time
from the key to the focus moved and the next refresh drawn.

    python -m tests.benchmarks.focus_bench [--turns N]

Figures, never assertions."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from textual import events

from .bench import _app
from .store_bench import build_conversation


async def _steps(turns: int, presses: int) -> tuple[int, list[float]]:
    app = _app(
        "http://127.0.0.1:9/v1", Path(tempfile.mkdtemp()), conversation=build_conversation(turns)
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        view = app.chat.query_one("#conversation")
        while await view.show_earlier():  # every turn mounted: no batch loads mid-probe
            await pilot.pause()
        widgets = len(list(app.screen.walk_children()))
        await pilot.press("ctrl+up")
        await pilot.pause()
        times = []
        for _ in range(presses):
            before = app.focused
            drawn = asyncio.Event()
            t0 = time.perf_counter()
            app.post_message(events.Key("up", None))
            while app.focused is before and time.perf_counter() - t0 < 10:
                await asyncio.sleep(0)
            app.call_after_refresh(drawn.set)
            await drawn.wait()
            times.append(time.perf_counter() - t0)
            await asyncio.sleep(0.2)  # a person's pace
    return widgets, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--presses", type=int, default=12)
    args = parser.parse_args()
    widgets, times = asyncio.run(_steps(args.turns, args.presses))
    ms = sorted(t * 1000 for t in times)
    print(f"up between messages, {args.turns} turns mounted ({widgets} widgets), 120x40")
    print(f"  median {statistics.median(ms):.0f} ms   max {ms[-1]:.0f} ms   n={len(ms)}")


if __name__ == "__main__":
    main()
