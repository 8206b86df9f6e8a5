"""A second after start-up, a thread loads what the first send needs (so the first send
does not wait ~0.2 s on imports) and settles the heap (tui/heap.py)."""

from __future__ import annotations

import asyncio
import gc
import threading

from tests.app.conftest import make_app
from tui import heap
from tui.app import app as app_module


async def test_the_first_send_is_warmed_up_in_a_thread_after_start_up(loopback, monkeypatch):
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    ran_in: list[threading.Thread] = []

    def recorded_warm_up() -> None:
        # The worker finishes at once when the modules are already imported, and a
        # finished worker leaves app.workers: record the run itself instead.
        heap.warm_up()
        ran_in.append(threading.current_thread())
        loop.call_soon_threadsafe(done.set)

    monkeypatch.setattr(app_module, "warm_up", recorded_warm_up)
    gc.unfreeze()
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)):
        await asyncio.wait_for(done.wait(), timeout=15)  # the timer fires a second on
        assert ran_in and ran_in[0] is not threading.main_thread()
    assert gc.get_freeze_count() > 0
