"""The chat session without Textual, against a real HTTP server on 127.0.0.1: every way to
send, every check of the one prepare step, the events in order, cancel and failure."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.loopback import Reply, chunk, text_stream
from tui.api.client import ChatClient
from tui.core.conversation import ChoiceRecord, Conversation, Turn
from tui.core.events import (
    Checkpoint,
    ChoicesChanged,
    Failed,
    TurnChanged,
    TurnFinished,
    TurnStarted,
)
from tui.core.session import ChatSession

USER = {"role": "user"}


@pytest.fixture
async def client(loopback):
    c = ChatClient(loopback.base_url, key_env="TEST_KEY", max_retries=0, read_timeout=5)
    yield c
    await c.aclose()


def session_of(client: Any, conv: Conversation | None = None) -> tuple[ChatSession, list]:
    conv = conv or Conversation(model="test-model", params={"stream": True})
    session = ChatSession(conv, client)
    events: list = []
    session.subscribe(events.append)
    return session, events


def kinds(events: list) -> list[str]:
    """Event names, with runs of ChoicesChanged folded into one."""
    out: list[str] = []
    for e in events:
        name = type(e).__name__
        if not (out and out[-1] == name == "ChoicesChanged"):
            out.append(name)
    return out


def sent(loopback, i: int = -1) -> dict[str, Any]:
    chats = [r for r in loopback.requests if r.path.endswith("/chat/completions")]
    return chats[i].json()


def texts(body: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(m["role"], m.get("content")) for m in body["messages"]]


async def test_send_streams_a_reply_with_events_in_order(loopback, client):
    loopback.enqueue(Reply.sse(text_stream("Hel", "lo")))
    session, events = session_of(client)
    plan = session.send("hi")
    assert plan.ready and plan.blocked is None and plan.doubt is None
    turn = await session.run(plan)
    assert turn.choices[0].content == "Hello" and not turn.pending
    assert kinds(events) == ["TurnStarted", "ChoicesChanged", "TurnFinished"]
    assert all(e.turn is turn for e in events)
    assert events[-1].exchange is not None and events[-1].exchange.status == 200
    assert texts(sent(loopback)) == [("user", "hi")]
    assert turn.request_sha256 and turn.response_complete
    assert session.active is None


async def test_regenerate_sends_the_same_input_and_keeps_the_earlier_reply(loopback, client):
    loopback.enqueue(Reply.sse(text_stream("first")), Reply.sse(text_stream("second")))
    session, _ = session_of(client)
    await session.run(session.send("hi"))
    plan = session.regenerate()
    assert plan.ready and plan.upto == 0
    turn = await session.run(plan)
    conv = session.conversation
    assert len(conv.turns) == 1 and conv.turns[0] is turn
    assert turn.replies == 2 and turn.reply_no == 1
    assert turn.choices[0].content == "second"
    assert turn.earlier[0]["choices"][0]["content"] == "first"
    assert sent(loopback, 0)["messages"] == sent(loopback, 1)["messages"]


async def test_edit_and_resend_drops_that_turn_and_the_later_ones(loopback, client):
    loopback.enqueue(
        Reply.sse(text_stream("a1")), Reply.sse(text_stream("a2")), Reply.sse(text_stream("b"))
    )
    session, _ = session_of(client)
    await session.run(session.send("q1"))
    await session.run(session.send("q2"))
    first = session.conversation.turns[0]
    turn = await session.run(session.edit_and_resend(first, "q1 again"))
    assert [t.input[0]["content"] for t in session.conversation.turns] == ["q1 again"]
    assert turn.choices[0].content == "b"
    assert texts(sent(loopback)) == [("user", "q1 again")]


def tool_call_reply() -> Reply:
    call = {"index": 0, "id": "call_1", "type": "function"}
    call["function"] = {"name": "get_time", "arguments": "{}"}
    events = [
        chunk(0, role="assistant", tool_calls=[call]),
        chunk(0, finish="tool_calls"),
        "[DONE]",
    ]
    return Reply.sse(events)


async def test_unanswered_tool_calls_block_a_message_and_results_answer_them(loopback, client):
    loopback.enqueue(tool_call_reply(), Reply.sse(text_stream("it is noon")))
    session, _ = session_of(client)
    await session.run(session.send("time?"))
    n_requests = len(loopback.requests)
    plan = session.send("hello?")
    assert plan.blocked is not None and plan.blocked.title == "Not sent"
    assert "1 tool call that has no answer" in plan.blocked.message
    # an empty result is a doubt, answered or not
    plan = session.send_tool_results()
    assert plan.doubt is not None and plan.doubt.kind == "empty-results"
    session.conversation.turns[-1].tool_results["call_1"] = "12:00"
    plan = session.send_tool_results()
    assert plan.ready
    assert len(loopback.requests) == n_requests  # nothing was sent while preparing
    turn = await session.run(plan)
    assert turn.input == [{"role": "tool", "tool_call_id": "call_1", "content": "12:00"}]
    body = sent(loopback)
    assert body["messages"][1]["tool_calls"][0]["id"] == "call_1"
    assert body["messages"][2] == {"role": "tool", "tool_call_id": "call_1", "content": "12:00"}
    assert turn.choices[0].content == "it is noon"


async def test_tool_results_without_tool_calls_are_refused(client):
    session, _ = session_of(client)
    plan = session.send_tool_results()
    assert plan.blocked is not None and "no tool calls" in plan.blocked.message


async def test_an_invalid_parameter_blocks_every_send_until_fixed(loopback, client):
    loopback.enqueue(Reply.sse(text_stream("ok")))
    session, _ = session_of(client)
    assert session.type_param("temperature", "0.5") is None
    error = session.type_param("temperature", "5")
    assert error == "temperature must be in 0–2 (got 5)"
    assert session.params.value("temperature") == 0.5  # the value from before stays
    for plan in (session.send("hi"), session.regenerate()):
        assert plan.blocked is not None
    plan = session.send("hi")
    assert plan.blocked.title == "Invalid parameter" and plan.blocked.param == "temperature"
    assert plan.blocked.message == "Fix temperature before sending: " + error
    assert session.type_param("temperature", "1.5") is None
    turn = await session.run(session.send("hi"))
    assert sent(loopback)["temperature"] == 1.5 and turn.choices[0].content == "ok"


async def test_a_request_the_schema_refuses_is_blocked_as_an_invalid_parameter(client):
    session, _ = session_of(client)
    session.conversation.params["n"] = 0  # not through the sidebar: build() catches it
    plan = session.send("hi")
    assert plan.blocked is not None and plan.blocked.param == "n" and plan.request is None


async def test_no_model_blocks_the_send(loopback, client):
    session, _ = session_of(client, Conversation(model=""))
    plan = session.send("hi")
    assert plan.blocked is not None and plan.blocked.title == "No model"
    assert not loopback.requests


async def test_json_mode_without_json_is_a_doubt_until_confirmed(loopback, client):
    loopback.enqueue(Reply.sse(text_stream("{}")), Reply.sse(text_stream("{}")))
    session, _ = session_of(client)
    session.type_param("response_format", "json_object")
    plan = session.send("hi")
    assert plan.doubt is not None and plan.doubt.kind == "json" and not plan.ready
    assert session.send("hi as JSON").ready  # a message that mentions JSON: no doubt
    assert session.send("hi", confirmed=frozenset({"json"})).ready
    plan = session.confirm(plan)
    assert plan.ready
    await session.run(plan)
    assert sent(loopback)["response_format"] == {"type": "json_object"}
    assert session.send("again").ready  # the yes holds ...
    session.type_param("temperature", "1")
    assert session.send("again").doubt is not None  # ... until the parameters change


async def test_an_interrupted_reply_in_the_history_is_a_doubt_for_every_send(loopback, client):
    loopback.enqueue(Reply.sse(text_stream("fine")))
    conv = Conversation(model="test-model", params={"stream": True})
    cut = Turn(input=[{**USER, "content": "q"}], interrupted=True)
    cut.choices = [ChoiceRecord(index=0, content="half an ans")]
    conv.turns.append(cut)
    conv.turns.append(Turn(input=[{**USER, "content": "q2"}]))
    session, _ = session_of(client, conv)
    for plan in (session.send("next"), session.regenerate()):
        assert plan.doubt is not None and plan.doubt.kind == "cut"
    # resending the cut turn itself leaves it out of the history: no doubt
    assert session.edit_and_resend(cut, "q again").ready
    plan = session.confirm(session.send("next"))
    assert plan.ready
    assert session.regenerate().ready  # the same cut turn was let go once
    await session.run(plan)
    assert texts(sent(loopback))[1] == ("assistant", "half an ans")


async def test_the_checks_run_in_one_order(client):
    """Invalid parameter before no model before the blocker before the doubts."""
    conv = Conversation(model="", params={"stream": True})
    turn = Turn(input=[{**USER, "content": "q"}], interrupted=True)
    turn.choices = [ChoiceRecord(index=0, tool_calls=[{"id": "c", "function": {"name": "f"}}])]
    conv.turns.append(turn)
    session, _ = session_of(client, conv)
    session.type_param("n", "0")
    assert session.send("x").blocked.title == "Invalid parameter"
    session.type_param("n", "")
    assert session.send("x").blocked.title == "No model"
    session.set_model("test-model")
    assert session.send("x").blocked.title == "Not sent"
    assert session.send_tool_results().doubt.kind == "cut"


async def test_cancel_keeps_what_arrived_and_finishes_without_failing(loopback, client):
    events = [chunk(0, "", role="assistant"), chunk(0, "partial ")]
    loopback.enqueue(Reply.sse(events, stall=10))
    session, seen = session_of(client)
    arrived = asyncio.Event()

    def on_event(event: Any) -> None:
        if isinstance(event, ChoicesChanged) and "partial" in event.turn.live.choices[0].content:
            arrived.set()

    session.subscribe(on_event)
    turn = session.start(session.send("go"))
    assert session.send("meanwhile").blocked.title == "Busy"
    task = session.launch(turn)
    await asyncio.wait_for(arrived.wait(), 5)
    assert session.receiving and session.cancel()
    await task
    assert not session.receiving and not session.cancel()
    session.finish(turn)
    assert turn.cancelled and turn.choices[0].content == "partial "
    assert kinds(seen) == ["TurnStarted", "ChoicesChanged", "TurnFinished"]
    assert session.active is None and session.send("next").ready


async def test_a_failed_request_ends_the_turn_then_says_failed(loopback, client):
    error = {"error": {"message": "upstream overloaded", "type": "server_error"}}
    loopback.enqueue(Reply.json(error, status=503))
    session, events = session_of(client)
    turn = await session.run(session.send("hi"))
    assert kinds(events) == ["TurnStarted", "ChoicesChanged", "TurnFinished", "Failed"]
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.turn is turn
    assert failed.error["message"] == "upstream overloaded" and failed.error["status"] == 503
    assert session.regenerate().ready  # retry


async def test_a_checkpoint_is_offered_only_while_a_turn_runs(loopback, client):
    loopback.enqueue(Reply.sse(text_stream("x")))
    session, events = session_of(client)
    session.checkpoint()
    assert events == []
    turn = session.start(session.send("hi"))
    session.checkpoint()
    assert isinstance(events[-1], Checkpoint) and events[-1].turn is turn
    await session.launch(turn)
    session.finish(turn)
    assert isinstance(events[-1], TurnFinished)


async def test_showing_another_reply_is_a_change_to_save(loopback, client):
    loopback.enqueue(Reply.sse(text_stream("one")), Reply.sse(text_stream("two")))
    session, events = session_of(client)
    await session.run(session.send("hi"))
    turn = await session.run(session.regenerate())
    session.show_reply(turn, 0)
    assert events[-1] == TurnChanged(turn) and turn.choices[0].content == "one"


async def test_parameters_typed_reach_the_request_and_stop_escapes_are_read(loopback, client):
    loopback.enqueue(Reply.sse(text_stream("ok")))
    session, _ = session_of(client)
    session.type_param("seed", "42")
    session.type_param("logit_bias", "50256:-100, 13:5")
    session.type_stops(["END", "", "a\\nb"])
    session.set_system("be brief")
    assert session.errors() == {}
    await session.run(session.send("hi"))
    body = sent(loopback)
    assert body["seed"] == 42 and body["stop"] == ["END", "a\nb"]
    assert body["logit_bias"] == {"50256": -100, "13": 5}
    assert texts(body)[0] == ("system", "be brief")


async def test_the_model_list_is_read_once(loopback, client):
    models = {"object": "list", "data": [{"id": "m1", "object": "model"}]}
    loopback.route("/v1/models", Reply.json(models))
    session, _ = session_of(client)
    first = await session.models()
    second = await session.models()
    assert [m.id for m in first] == ["m1"] and second is first
    assert sum(r.path.endswith("/models") for r in loopback.requests) == 1
    session.forget_models()
    await session.models()
    assert sum(r.path.endswith("/models") for r in loopback.requests) == 2


def test_events_are_plain_data():
    turn = Turn(input=[])
    assert TurnStarted(turn) == TurnStarted(turn)
    assert json.dumps(Failed(turn, {"message": "x"}).error) == '{"message": "x"}'
