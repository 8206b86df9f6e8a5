"""Fixtures for driving the app headless against the loopback server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from tui.api.client import ChatClient
from tui.app.app import RedPillApp
from tui.config import Config, Endpoint


def make_app(
    base_url: str,
    *,
    model: str = "test-model",
    params: dict[str, Any] | None = None,
    config: Config | None = None,
    **kw: Any,
) -> RedPillApp:
    endpoint = Endpoint(profile="test", base_url=base_url, key_env="TEST_KEY", model=model)
    client = ChatClient(base_url, key_env="TEST_KEY", max_retries=0, read_timeout=5)
    return RedPillApp(
        config=config or Config(), endpoint=endpoint, client=client, params=params, **kw
    )


async def until(pilot: Any, cond: Callable[[], Any], timeout: float = 10.0) -> None:
    """Let the app run until ``cond()`` holds (workers talk to the loopback server)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond() and loop.time() < end:
        await pilot.pause(0.01)
    assert cond(), "the condition did not come true in time"
    await pilot.pause()


async def settle(app: RedPillApp, pilot: Any, timeout: float = 10.0) -> None:
    """Wait until no request is running and the screen has caught up."""
    chat = app.chat
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while chat.active_turn is not None and loop.time() < end:
        await asyncio.sleep(0.01)
    assert chat.active_turn is None, "the request did not finish in time"
    await pilot.pause()
    await pilot.pause()


def chunk(
    index: int = 0, content: str | None = None, finish: str | None = None, **delta: Any
) -> dict[str, Any]:
    d: dict[str, Any] = dict(delta)
    if content is not None:
        d["content"] = content
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "test-model",
        "choices": [{"index": index, "delta": d, "finish_reason": finish}],
    }


def body_of(request: Any) -> dict[str, Any]:
    return json.loads(request.body)


@pytest.fixture
def app_factory():
    return make_app


async def sidebar_built(app: RedPillApp, pilot: Any) -> None:
    """The sidebar's fields are built just after the first frame: wait for them, and for
    what their mounting posted."""
    from tui.app.widgets.sidebar import ParamSidebar

    await app.chat.query_one(ParamSidebar).built.wait()
    await pilot.pause()


@pytest.fixture
def frozen_clock(monkeypatch):
    """Live turns get an accumulator whose clock never moves: a snapshot of a reply
    mid-stream shows the same TTFT and rate every run."""
    import functools

    from tui.api.accumulate import StreamAccumulator

    monkeypatch.setattr(
        "tui.core.conversation.StreamAccumulator",
        functools.partial(StreamAccumulator, clock=lambda: 1000.0),
    )
