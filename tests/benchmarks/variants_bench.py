"""``bench variants``: four variants of 2,000 deltas each (four requests at once, a column
each) against one n = 4 request of the same size (four choices in one stream, as tabs,
where only the tab shown is rendered, and side by side, where all four are), send ->
final state rendered. The issue's target: variants within 1.5 x the n = 4 time."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from .server import BenchServer

DELTAS = 2000
COUNT = 4
RUNS = 3


async def _columns_run(base_url: str, tmp: Path) -> float:
    """One n = 4 request with its choices side by side (F3), as variants are."""
    from . import bench

    app = bench._app(base_url, tmp, params={"n": COUNT})
    async with app.run_test(size=bench.SIZE) as pilot:
        await pilot.pause()
        await app.start_warm_up().wait()
        chat = app.chat
        await chat.action_toggle_columns()
        t0 = time.perf_counter()
        await chat.send_text("go")
        while chat.active_turn is not None:
            await asyncio.sleep(0.001)
        await pilot.pause()
        wall = time.perf_counter() - t0
        assert len(chat.conversation.turns[-1].choices) == COUNT
    return wall


async def _variants_run(base_url: str, tmp: Path) -> float:
    from . import bench

    app = bench._app(base_url, tmp)
    async with app.run_test(size=bench.SIZE) as pilot:
        await pilot.pause()
        await app.start_warm_up().wait()
        chat = app.chat
        t0 = time.perf_counter()
        await chat.send_text("go", variants=[{"seed": i} for i in range(COUNT)])
        while chat.active_turn is not None:
            await asyncio.sleep(0.001)
        await pilot.pause()  # the final state rendered
        wall = time.perf_counter() - t0
        replies = chat.conversation.turns[-1].all_replies()
        assert len(replies) == COUNT and not any(r.get("error") for r in replies), replies
    return wall


def variants(as_json: bool) -> dict[str, Any]:
    from . import bench

    n4: list[float] = []
    n4_columns: list[float] = []
    four: list[float] = []
    with BenchServer() as srv, tempfile.TemporaryDirectory() as tmp:
        srv.plan.deltas, srv.plan.rate = DELTAS, None
        for _ in range(RUNS):  # alternately, so a busy moment hits both
            srv.plan.n = COUNT
            n4.append(asyncio.run(bench._ui_run(srv.base_url, COUNT, Path(tmp)))[0])
            n4_columns.append(asyncio.run(_columns_run(srv.base_url, Path(tmp))))
            srv.plan.n = 1
            four.append(asyncio.run(_variants_run(srv.base_url, Path(tmp))))
    a, b = statistics.median(n4), statistics.median(four)
    c = statistics.median(n4_columns)
    bench._table(
        f"Variants ({COUNT} requests of {DELTAS} deltas at once) against one n = {COUNT} "
        f"request (median of {RUNS})",
        ["case", "wall s", "runs"],
        [
            [f"one request, n = {COUNT}", f"{a:.3f}", " ".join(f"{x:.2f}" for x in n4)],
            [
                f"one request, n = {COUNT}, side by side (F3)",
                f"{c:.3f}",
                " ".join(f"{x:.2f}" for x in n4_columns),
            ],
            [f"{COUNT} variants", f"{b:.3f}", " ".join(f"{x:.2f}" for x in four)],
            ["variants / n = 4 (target <= 1.5)", f"{b / a:.2f}", ""],
            ["variants / n = 4 side by side", f"{b / c:.2f}", ""],
        ],
    )
    return {
        "variants": {
            "n4_s": n4,
            "n4_columns_s": n4_columns,
            "variants_s": four,
            "ratio": b / a,
            "ratio_columns": b / c,
        }
    }
