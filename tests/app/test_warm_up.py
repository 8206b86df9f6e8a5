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


async def test_the_warm_up_makes_the_tls_context_the_first_request_needs(loopback, monkeypatch):
    """Loading the CA bundle (50-100 ms) paused the screen at the first request: the
    warm-up thread makes the TLS context, and the first request uses it."""
    import httpx

    from tests.app.conftest import chunk, settle
    from tests.loopback import Reply, sse
    from tui.app.app import RedPillApp
    from tui.config import Config, Endpoint

    made_in: list[threading.Thread] = []
    create = httpx.create_ssl_context

    def recorded(*args, **kwargs):
        made_in.append(threading.current_thread())
        return create(*args, **kwargs)

    monkeypatch.setattr(httpx, "create_ssl_context", recorded)
    events = [chunk(0, "", role="assistant"), chunk(0, "Hello"), chunk(0, None, "stop"), "[DONE]"]
    loopback.enqueue(Reply(headers=[("Content-Type", "text/event-stream")], body=sse(events)))
    endpoint = Endpoint(profile="t", base_url=loopback.base_url, key_env="TEST_KEY", model="m")
    app = RedPillApp(config=Config(), endpoint=endpoint)  # (its own client, made lazily)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        worker = app.start_warm_up()
        await asyncio.wait_for(worker.wait(), timeout=60)
        assert worker.state == WorkerState.SUCCESS
        await pilot.press(*"hi", "enter")
        await settle(app, pilot)
        assert "Hello" in app.chat.conversation.turns[-1].choices[0].content
    assert made_in and all(t is not threading.main_thread() for t in made_in), made_in
