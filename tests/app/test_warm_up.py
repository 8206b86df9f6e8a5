"""A second after start-up, a thread loads what the first send needs (so the first send
does not wait ~0.2 s on imports) and settles the heap (tui/heap.py)."""

from __future__ import annotations

import gc

from textual.worker import WorkerState

from tests.app.conftest import make_app


async def test_the_first_send_is_warmed_up_in_a_thread_after_start_up(loopback):
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        # the timer fires a second on; wait for the worker it starts
        for _ in range(200):  # up to 10 s on a slow machine
            if [w for w in app.workers if w.name == "warm-up"]:
                break
            await pilot.pause(0.05)
        (worker,) = [w for w in app.workers if w.name == "warm-up"]
        await worker.wait()
        assert worker.state == WorkerState.SUCCESS
    assert gc.get_freeze_count() > 0
