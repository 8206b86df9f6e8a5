"""Snapshots of every screen and of the states a user sees, at 120x40 and 80x24.

Update with: pytest tests/app/test_snapshots.py --snapshot-update (then look at the SVGs).

Determinism:
- Conversations, turns and tool calls have fixed ids, titles and timestamps; the F5 list
  is rendered in UTC (it shows local times).
- A live reply's meta line shows TTFT and tok/s, measured with the accumulator's clock.
  Live turns here get an accumulator whose clock is frozen (``frozen_clock``): TTFT then
  reads "0 ms" and tok/s is left out (no time has passed), whatever the machine's speed.
  Finished turns loaded from a conversation show their saved, fixed timings.
- The streaming snapshot is taken while the loopback stream stalls (30 s) after its
  deltas, once every character that arrived has been handed to the screen.
- ``snap_compare`` runs the app with notifications on, so toasts are in the frame. A toast
  that is part of the state (the error's "Request failed") is kept with a long timeout;
  incidental ones (F3's "Choices side by side") are cleared so a slow machine cannot
  catch one half-way through its timeout.
- Cursors are made steady (no blink) before each frame is taken.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any

import pytest

from tests.loopback import Reply, chunk, sse
from tui.api.client import ChatClient
from tui.app.app import RedPillApp
from tui.app.screens.confirm import ConfirmScreen
from tui.app.screens.model_picker import ModelPickerScreen
from tui.app.screens.verify import VerifyScreen
from tui.app.widgets.choice import ChoiceView
from tui.app.widgets.tool_calls import ToolCallsPanel
from tui.config import Config, Endpoint, make_client, resolve_endpoint
from tui.core.conversation import ChoiceRecord, Conversation, Turn
from tui.core.store import Store
from tui.core.tools import ToolSpec

BASE = "http://127.0.0.1:9/v1"  # never contacted: these apps only render
SSE = [("Content-Type", "text/event-stream")]
SIZES = pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")


def sample_conversation() -> Conversation:
    conv = Conversation(id="snap", title="Snapshot", model="test-model", created=0, updated=0)
    conv.params = {"stream": True, "temperature": 0.7, "n": 2}
    t1 = Turn(
        input=[{"role": "user", "content": "Write a haiku about terminals."}], id="t1", started_at=0
    )
    t1.params = {"model": "test-model", "n": 1}
    t1.choices = [
        ChoiceRecord(
            index=0,
            content="Green glyphs on the dark,\n\nthe cursor blinks, patient still —\n\n"
            "**enter** sends the night.",
            finish_reason="stop",
        )
    ]
    t1.model = "test-model"
    t1.usage = {"prompt_tokens": 12, "completion_tokens": 17, "total_tokens": 29}
    t1.timings = {"ttft_s": 0.12, "total_s": 0.5, "tokens_per_s": 42.0}
    t2 = Turn(
        input=[{"role": "user", "content": "Two ways to reverse a list in Python?"}],
        id="t2",
        started_at=0,
    )
    t2.params = {"model": "test-model", "n": 2}
    t2.choices = [
        ChoiceRecord(
            index=0, content="Use slicing:\n\n```python\nitems[::-1]\n```", finish_reason="stop"
        ),
        ChoiceRecord(
            index=1,
            content="Use `reversed(items)` or `items.reverse()` in place.",
            finish_reason="length",
        ),
    ]
    t2.model = "test-model"
    t2.usage = {"prompt_tokens": 40, "completion_tokens": 30, "total_tokens": 70}
    t2.timings = {"ttft_s": 0.08, "total_s": 0.4, "tokens_per_s": 75.0}
    t2.seed = 7
    t2.completion_id = "chatcmpl-snap"
    t2.request_sha256 = "a" * 64
    t2.response_sha256 = "b" * 64
    t2.response_complete = True
    conv.turns = [t1, t2]
    return conv


def three_choices() -> Conversation:
    conv = Conversation(id="n3", title="Three", model="test-model", created=0, updated=0)
    conv.params = {"stream": True, "n": 3}
    turn = Turn(input=[{"role": "user", "content": "Name a colour."}], id="t1", started_at=0)
    turn.request = {"model": "test-model", "n": 3}
    turn.choices = [
        ChoiceRecord(index=0, content="**Teal**: green and blue at once.", finish_reason="stop"),
        ChoiceRecord(index=1, content="Vermilion, the red of old maps.", finish_reason="stop"),
        ChoiceRecord(index=2, content="Ochre —", finish_reason="length"),
    ]
    turn.model = "test-model"
    turn.usage = {"prompt_tokens": 9, "completion_tokens": 24, "total_tokens": 33}
    turn.timings = {"ttft_s": 0.05, "total_s": 0.3, "tokens_per_s": 80.0}
    conv.turns = [turn]
    return conv


def build(conv: Conversation | None = None, server: Any = None, **kw: Any) -> RedPillApp:
    """The app, on ``conv`` (None: a new conversation, as the app starts one). With a
    loopback ``server`` its client talks to it while the endpoint (in the top bar) keeps
    the fixed BASE: the server's port changes from run to run."""
    endpoint = Endpoint(profile="test", base_url=BASE, key_env="TEST_KEY", model="test-model")
    client = ChatClient(
        server.base_url if server else BASE, key_env="TEST_KEY", max_retries=0, read_timeout=5
    )
    return RedPillApp(
        config=Config(autosave=False), endpoint=endpoint, client=client, conversation=conv, **kw
    )


def app_with(conv: Conversation | None = None, server: Any = None, **kw: Any) -> RedPillApp:
    return build(conv or sample_conversation(), server, **kw)


def empty_app(server: Any = None, **kw: Any) -> RedPillApp:
    return build(None, server, **kw)


async def _settle(pilot):
    await pilot.pause()
    await pilot.pause()
    # A focused Input blinks its cursor every 0.5 s: the frame would depend on when it is
    # taken. A steady cursor stays visible.
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    await pilot.pause()


def pressing(*keys: str, then: Any = None):
    async def run(pilot):
        await _settle(pilot)
        await pilot.press(*keys)
        await _settle(pilot)
        if then is not None:
            await then(pilot)
            await _settle(pilot)

    return run


async def until(pilot, cond, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        assert loop.time() < end, "the app did not reach the state in time"
        await pilot.pause(0.02)
    await _settle(pilot)


async def until_idle(pilot) -> None:
    await until(pilot, lambda: pilot.app.chat.active_turn is None)


# -- the chat screen ------------------------------------------------------------------------


@SIZES
def test_chat_empty(snap_compare, size):
    assert snap_compare(empty_app(), terminal_size=size, run_before=_settle)


@SIZES
def test_chat_conversation(snap_compare, size):
    """Two finished turns, the second with n=2 as tabs; the sidebar hides below 100 columns."""
    assert snap_compare(app_with(), terminal_size=size, run_before=_settle)


@SIZES
def test_demo_banner(snap_compare, size):
    config = Config(autosave=False)
    endpoint = resolve_endpoint(config, demo=True)
    app = RedPillApp(config=config, endpoint=endpoint, client=make_client(endpoint, config))
    assert snap_compare(app, terminal_size=size, run_before=_settle)


STREAMED = ["Streaming ", "a reply ", "about **terminals**:\n\n", "- one\n", "- two"]


@SIZES
def test_reply_streaming_midway(snap_compare, size, loopback, frozen_clock):
    events = [chunk(0, "", role="assistant"), *[chunk(0, p) for p in STREAMED]]
    loopback.enqueue(Reply(headers=SSE, body=[*sse(events), 30.0]))  # then stalls

    async def streaming(pilot):
        await _settle(pilot)
        await pilot.press(*"tell me", "enter")
        want = "".join(STREAMED)

        def drawn() -> bool:
            turn = pilot.app.chat.active_turn
            if turn is None or turn.live is None or 0 not in turn.live.choices:
                return False
            view = pilot.app.chat.query_one(ChoiceView)
            return turn.live.choices[0].content == want and view._shown == len(want)

        await until(pilot, drawn)
        await pilot.pause(0.1)  # the meta line and tab labels of that frame

    assert snap_compare(empty_app(loopback), terminal_size=size, run_before=streaming)


@SIZES
def test_reply_error_with_partial_text(snap_compare, size, loopback, frozen_clock):
    events = [
        chunk(0, "", role="assistant"),
        chunk(0, "The first half of an answer, "),
        chunk(0, "then"),
    ]
    error = {"error": {"message": "upstream overloaded", "type": "server_error", "code": 503}}
    loopback.enqueue(Reply(headers=SSE, body=sse([*events, error])))
    app = empty_app(loopback)
    app.NOTIFICATION_TIMEOUT = 600  # the "Request failed" toast is part of this state

    async def failed(pilot):
        await _settle(pilot)
        await pilot.press(*"go", "enter")
        await until(pilot, lambda: pilot.app.chat.conversation.turns[-1].error is not None)
        await until_idle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=failed)


def tool_call_reply() -> Reply:
    calls = [
        ("call_weather_1", "get_weather", '{"city": "Rome", "unit": "c"}'),
        ("call_time_2", "get_time", '{"timezone": "Europe/Rome"}'),
    ]
    events: list[Any] = [chunk(0, None, role="assistant")]
    for i, (cid, name, args) in enumerate(calls):
        fn = {"name": name, "arguments": args}
        events.append(
            chunk(0, None, tool_calls=[{"index": i, "id": cid, "type": "function", "function": fn}])
        )
    events += [chunk(0, None, finish="tool_calls"), "[DONE]"]
    return Reply(headers=SSE, body=sse(events))


WEATHER = (
    '{"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string"}}}'
)
TIME = (
    '{"type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]}'
)


@SIZES
def test_tool_call_panel(snap_compare, size, loopback, frozen_clock):
    """Two calls of defined tools: one result pre-filled from its canned result."""
    loopback.enqueue(tool_call_reply())
    conv = Conversation(id="tools", title="", model="test-model", created=0, updated=0)
    conv.params = {"stream": True}
    conv.toolset.specs = [
        ToolSpec(name="get_weather", parameters=WEATHER, canned_result='{"temp_c": 21}'),
        ToolSpec(name="get_time", parameters=TIME),
    ]

    async def called(pilot):
        await _settle(pilot)
        await pilot.press(*"weather and time in Rome?", "enter")
        await until(pilot, lambda: bool(pilot.app.chat.query(ToolCallsPanel)))
        await until_idle(pilot)

    assert snap_compare(build(conv, loopback), terminal_size=size, run_before=called)


@SIZES
def test_request_preview_f2(snap_compare, size):
    assert snap_compare(app_with(), terminal_size=size, run_before=pressing("f2"))


@SIZES
def test_three_choices_as_tabs(snap_compare, size):
    assert snap_compare(app_with(three_choices()), terminal_size=size, run_before=_settle)


@SIZES
def test_three_choices_as_columns_f3(snap_compare, size):
    async def clear(pilot):
        pilot.app.clear_notifications()  # "Choices side by side": timing-dependent

    assert snap_compare(
        app_with(three_choices()), terminal_size=size, run_before=pressing("f3", then=clear)
    )


# -- the other screens ----------------------------------------------------------------------


@SIZES
def test_help_f1(snap_compare, size):
    assert snap_compare(app_with(), terminal_size=size, run_before=pressing("f1"))


MODELS = [
    {"id": "test-model", "owned_by": "loopback", "context_length": 32768},
    {"id": "big-model", "pricing": {"prompt": "0.0000005", "completion": "0.0000015"}},
    {"id": "enclave-model", "is_tee": True, "context_length": 128000},
]


@SIZES
def test_model_picker_f4(snap_compare, size, loopback):
    loopback.route("/models", Reply.json({"object": "list", "data": MODELS}))

    async def loaded(pilot):
        await until(pilot, lambda: isinstance(pilot.app.screen, ModelPickerScreen))
        await until(pilot, lambda: pilot.app.screen.loaded)

    assert snap_compare(
        app_with(server=loopback), terminal_size=size, run_before=pressing("f4", then=loaded)
    )


@pytest.fixture
def utc():
    """The F5 list shows local times."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


@SIZES
def test_conversations_f5(snap_compare, size, tmp_path, monkeypatch, utc):
    data = tmp_path / "list-data"
    monkeypatch.setenv("REDPILL_TUI_DATA", str(data))
    store = Store(data / "conversations")
    for i, title in enumerate(["Haiku about terminals", "Reversing lists", "Tool calls in Rome"]):
        conv = sample_conversation()
        conv.id, conv.title = f"c{i}", title
        store.save(conv)
    # fixed times so the snapshot is stable
    for entry in store.list():
        doc = json.loads(entry.path.read_text())
        doc["updated"] = 1_700_000_000 + int(entry.path.stem[1:]) * 3600
        entry.path.write_text(json.dumps(doc))
    assert snap_compare(app_with(), terminal_size=size, run_before=pressing("f5"))


@SIZES
def test_tool_editor_f8(snap_compare, size):
    conv = sample_conversation()
    conv.toolset.specs = [
        ToolSpec(
            name="get_weather",
            description="Weather in a city",
            parameters='{\n  "type": "object",\n  "properties": {"city": {"type": "string"}},\n  "required": ["city"]\n}',
        ),
        ToolSpec(name="bad name", parameters='{"type": "array"}'),
    ]
    assert snap_compare(app_with(conv), terminal_size=size, run_before=pressing("f8"))


@SIZES
def test_export_f10(snap_compare, size):
    assert snap_compare(app_with(), terminal_size=size, run_before=pressing("f10"))


@SIZES
def test_verify_not_available_ctrl_f(snap_compare, size, loopback):
    loopback.route(
        "/signature/chatcmpl-snap",
        Reply.json({"error": {"message": "not found", "type": "not_found"}}, status=404),
    )

    async def checked(pilot):
        await until(pilot, lambda: isinstance(pilot.app.screen, VerifyScreen))
        await until(pilot, lambda: pilot.app.chat.conversation.turns[-1].verification is not None)
        await pilot.pause(0.1)

    app = app_with(server=loopback)
    app.NOTIFICATION_TIMEOUT = 600
    assert snap_compare(app, terminal_size=size, run_before=pressing("ctrl+f", then=checked))


@SIZES
def test_confirm_json_mode_without_json(snap_compare, size):
    async def asked(pilot):
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))

    app = empty_app(params={"response_format": {"type": "json_object"}})
    assert snap_compare(
        app, terminal_size=size, run_before=pressing(*"give me data", "enter", then=asked)
    )


# -- themes ---------------------------------------------------------------------------------


def test_theme_light(snap_compare):
    assert snap_compare(
        app_with(theme_name="redpill-light"), terminal_size=(120, 40), run_before=_settle
    )


def test_theme_terminal_ansi(snap_compare):
    assert snap_compare(
        app_with(theme_name="terminal-ansi"), terminal_size=(120, 40), run_before=_settle
    )
