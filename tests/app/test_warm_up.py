"""A second after start-up, a thread loads what the first send needs (so the first send
does not wait ~0.2 s on imports) and settles the heap (tui/heap.py)."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading

from textual.worker import WorkerState

from tests.app.conftest import make_app
from tui import heap
from tui.app import app as app_module


async def test_the_warm_up_loads_the_first_send_in_a_thread(loopback, monkeypatch):
    threads: list[threading.Thread] = []

    def recorded() -> None:
        threads.append(threading.current_thread())
        heap.warm_up()

    monkeypatch.setattr(app_module, "warm_up", recorded)
    gc.unfreeze()
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        worker = app.start_warm_up()  # what the start-up timer calls a second on
        await asyncio.wait_for(worker.wait(), timeout=60)
        assert worker.state == WorkerState.SUCCESS
        assert threads and threads[0] is not threading.main_thread()
    assert all(name in sys.modules for name in heap.FIRST_SEND)
    assert gc.get_freeze_count() > 0
