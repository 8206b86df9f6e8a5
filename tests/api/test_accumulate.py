"""StreamAccumulator: fed directly (``feed_event``) and through ChatClient over real HTTP."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api import SSE, FakeClock, FakeSleep, chunk, request, text_stream
from tests.loopback import Reply, split_every, sse
from tests.refdata import request_validator
from tui.api.accumulate import StreamAccumulator
from tui.api.client import ChatClient
from tui.api.schema import validate_request
from tui.core.turn import Turn


def feed(events: list[Any], acc: StreamAccumulator | None = None) -> StreamAccumulator:
    acc = acc or StreamAccumulator()
    for e in events:
        acc.feed_event(e if isinstance(e, str) else json.dumps(e))
    return acc


def sent_back(acc: StreamAccumulator, index: int = 0) -> dict[str, Any]:
    """The assistant message the app adds to the history for choice ``index``: the reply
    as the turn keeps (and saves) it."""
    turn = Turn(input=[])
    turn.finish(acc)
    return next(c for c in turn.choices if c.index == index).message()


def tool(index: int | None = 0, **fields: Any) -> dict[str, Any]:
    call: dict[str, Any] = {} if index is None else {"index": index}
    for key in ("id", "type"):
        if key in fields:
            call[key] = fields.pop(key)
    if fields:
        call["function"] = fields
    return call


@pytest.fixture
async def client(loopback):
    async with ChatClient(loopback.base_url, sleep=FakeSleep(), read_timeout=5) as c:
        yield c


async def serve(loopback, client, body, **reply) -> StreamAccumulator:
    """Serve ``body`` (events, or raw bytes / pieces) as an event stream; return the result."""
    if isinstance(body, list) and body and not isinstance(body[0], bytes):
        body = sse(body)
    loopback.enqueue(Reply(headers=SSE, body=body, **reply))
    acc, _ = await client.chat(request())
    return acc


# ---------------------------------------------------------------------------------------
# Choices


N3 = [
    chunk(0, role="assistant", content=""),
    chunk(1, role="assistant", content=""),
    chunk(2, role="assistant", content=""),
    chunk(2, content="Gamma"),
    chunk(0, content="Alpha"),
    chunk(1, content="Beta"),
    chunk(2, finish="length"),
    chunk(0, content=" one"),
    chunk(1, content=" two"),
    chunk(0, finish="stop"),
    chunk(1, content="!"),
    chunk(1, finish="content_filter"),
    "[DONE]",
]


def test_choices_interleave_and_finish_in_any_order():
    acc = feed(N3)
    assert acc.error is None
    assert acc.done
    assert [c.index for c in acc.ordered()] == [0, 1, 2]
    assert [c.content for c in acc.ordered()] == ["Alpha one", "Beta two!", "Gamma"]
    assert [c.finish_reason for c in acc.ordered()] == ["stop", "content_filter", "length"]
    assert all(c.role == "assistant" for c in acc.ordered())


async def test_choices_interleave_over_http(loopback, client):
    acc = await serve(loopback, client, N3)
    assert acc.error is None
    assert [c.content for c in acc.ordered()] == ["Alpha one", "Beta two!", "Gamma"]
    assert [c.finish_reason for c in acc.ordered()] == ["stop", "content_filter", "length"]


def test_role_repeated_on_every_chunk_is_not_concatenated():
    acc = feed([chunk(role="assistant", content=w) for w in ("a", "b", "c")])
    assert acc.choices[0].role == "assistant"
    assert acc.choices[0].content == "abc"


def test_choices_from_a_choice_index_that_does_not_start_at_zero():
    acc = feed([chunk(3, content="late"), chunk(3, finish="stop")])
    assert list(acc.choices) == [3]
    assert acc.result()["choices"][0]["index"] == 3


def test_empty_choices_is_not_an_error():
    acc = feed(
        [
            chunk(choices=[]),
            {"choices": [], "prompt_filter_results": [{"prompt_index": 0}]},
            chunk(content="Hi"),
            chunk(choices=[]),
            chunk(finish="stop"),
            "[DONE]",
        ]
    )
    assert acc.error is None
    assert acc.choices[0].content == "Hi"
    assert list(acc.choices) == [0]


def test_null_choices_and_null_delta_are_not_errors():
    acc = feed(
        [
            chunk(content="Hi"),
            {"id": "x", "choices": None},
            {"choices": [{"index": 0, "delta": None, "content_filter_results": {}}]},
            chunk(finish="stop", usage={"prompt_tokens": 1, "completion_tokens": 1}),
            {"choices": None, "usage": {"prompt_tokens": 1, "completion_tokens": 2}},
        ]
    )
    assert acc.error is None
    assert acc.choices[0].content == "Hi"
    assert acc.usage == {"prompt_tokens": 1, "completion_tokens": 2}


def test_unknown_fields_are_ignored():
    plain = [chunk(content="Hi"), chunk(finish="stop"), "[DONE]"]
    noisy = [
        {
            **chunk(content="Hi"),
            "service_tier": "default",
            "obfuscation": "xyz",
            "choices": [
                {
                    "index": 0,
                    "delta": {"content": "Hi", "annotations": [], "audio": None, "x": 1},
                    "stop_reason": None,
                    "content_filter_results": {"hate": {"filtered": False}},
                }
            ],
        },
        {**chunk(finish="stop"), "prompt_filter_results": [], "stop_reason": 128001},
        "[DONE]",
    ]
    a, b = feed(plain).result(), feed(noisy).result()
    a.pop("timings")
    b.pop("timings")
    assert a == b
    assert b["error"] is None


def test_metadata_is_kept_from_the_first_chunk():
    acc = feed(
        [
            {**chunk(content="a"), "system_fingerprint": "fp_1"},
            {**chunk(content="b"), "id": "other", "model": "other"},
        ]
    )
    assert acc.id == "chatcmpl-test"
    assert acc.model == "test-model"
    assert acc.created == 1727346170
    assert acc.system_fingerprint == "fp_1"


def test_events_after_the_end_are_ignored():
    acc = feed([chunk(content="Hi")])
    acc.finish()
    feed([chunk(content=" more")], acc)
    assert acc.choices[0].content == "Hi"


# ---------------------------------------------------------------------------------------
# Tool calls


def test_tool_call_fragments_are_keyed_by_choice_and_index():
    acc = feed(
        [
            chunk(0, role="assistant", content=None),
            chunk(1, role="assistant", content=None),
            chunk(0, tool_calls=[tool(0, id="c0a", type="function", name="alpha", arguments="")]),
            chunk(1, tool_calls=[tool(0, id="c1a", type="function", name="beta", arguments="")]),
            chunk(0, tool_calls=[tool(1, id="c0b", type="function", name="gamma", arguments="")]),
            chunk(0, tool_calls=[tool(0, arguments='{"x"')]),
            chunk(1, tool_calls=[tool(0, arguments='{"y": ')]),
            chunk(0, tool_calls=[tool(1, arguments='{"z": 3}')]),
            chunk(0, tool_calls=[tool(0, arguments=": 1}")]),
            chunk(1, tool_calls=[tool(0, arguments="2}")]),
            chunk(1, finish="tool_calls"),
            chunk(0, finish="tool_calls"),
            "[DONE]",
        ]
    )
    assert acc.error is None
    first, second = acc.ordered()
    assert [(t.id, t.name, t.arguments) for t in first.ordered_tool_calls()] == [
        ("c0a", "alpha", '{"x": 1}'),
        ("c0b", "gamma", '{"z": 3}'),
    ]
    assert [(t.id, t.name, t.arguments) for t in second.ordered_tool_calls()] == [
        ("c1a", "beta", '{"y": 2}'),
    ]
    assert first.finish_reason == second.finish_reason == "tool_calls"
    assert first.content == ""
    assert first.to_dict()["content"] is None


def test_id_and_name_repeated_on_every_fragment_are_not_concatenated():
    pieces = ['{"ci', 'ty": "Pa', 'ris"}']
    acc = feed(
        [
            chunk(
                tool_calls=[tool(0, id="call_1", type="function", name="get_weather", arguments=p)]
            )
            for p in pieces
        ]
        + [chunk(finish="tool_calls")]
    )
    (call,) = acc.choices[0].ordered_tool_calls()
    assert call.id == "call_1"
    assert call.name == "get_weather"
    assert call.type == "function"
    assert json.loads(call.arguments) == {"city": "Paris"}


def test_tool_indexes_starting_at_one():
    acc = feed(
        [
            chunk(content="Let me check. "),
            chunk(tool_calls=[tool(1, id="call_a", type="function", name="f", arguments="")]),
            chunk(tool_calls=[tool(1, arguments='{"a": 1}')]),
            chunk(tool_calls=[tool(2, id="call_b", type="function", name="g", arguments="{}")]),
            chunk(finish="tool_calls"),
        ]
    )
    calls = acc.choices[0].ordered_tool_calls()
    assert [(c.index, c.id, c.name, c.arguments) for c in calls] == [
        (1, "call_a", "f", '{"a": 1}'),
        (2, "call_b", "g", "{}"),
    ]
    assert acc.choices[0].content == "Let me check. "
    message = sent_back(acc)
    assert [t["id"] for t in message["tool_calls"]] == ["call_a", "call_b"]


def test_every_call_sent_as_index_zero_with_its_own_id():
    # Some proxies number every call 0: a new id starts a new call, and the fragments that
    # follow it belong to it, not to the first call.
    acc = feed(
        [
            chunk(tool_calls=[tool(0, id="A", type="function", name="f", arguments="")]),
            chunk(tool_calls=[tool(0, arguments='{"a":')]),
            chunk(tool_calls=[tool(0, arguments="1}")]),
            chunk(tool_calls=[tool(0, id="B", type="function", name="g", arguments="")]),
            chunk(tool_calls=[tool(0, arguments='{"b":')]),
            chunk(tool_calls=[tool(0, arguments="2}")]),
            chunk(finish="tool_calls"),
        ]
    )
    calls = acc.choices[0].ordered_tool_calls()
    assert [(c.id, c.name, c.arguments) for c in calls] == [
        ("A", "f", '{"a":1}'),
        ("B", "g", '{"b":2}'),
    ]


def test_tool_calls_without_an_index():
    acc = feed(
        [
            chunk(tool_calls=[tool(None, id="A", type="function", name="f", arguments='{"a"')]),
            chunk(tool_calls=[tool(None, arguments=": 1}")]),
            chunk(tool_calls=[tool(None, id="B", type="function", name="g", arguments="{}")]),
            chunk(finish="tool_calls"),
        ]
    )
    calls = acc.choices[0].ordered_tool_calls()
    assert [(c.id, c.name, c.arguments) for c in calls] == [
        ("A", "f", '{"a": 1}'),
        ("B", "g", "{}"),
    ]


def test_parallel_calls_in_one_chunk():
    acc = feed(
        [
            chunk(
                tool_calls=[
                    tool(0, id="A", type="function", name="f", arguments='{"n": 1}'),
                    tool(1, id="B", type="function", name="f", arguments='{"n": 2}'),
                ]
            ),
            chunk(finish="tool_calls"),
        ]
    )
    assert [json.loads(c.arguments)["n"] for c in acc.choices[0].ordered_tool_calls()] == [1, 2]


def test_the_assistant_message_can_be_sent_back():
    acc = feed(
        [
            chunk(role="assistant", content=None),
            chunk(tool_calls=[tool(0, id="call_1", type="function", name="f", arguments="{}")]),
            chunk(finish="tool_calls"),
        ]
    )
    message = sent_back(acc)
    assert message == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        ],
    }
    follow_up = [
        {"role": "user", "content": "hi"},
        message,
        {"role": "tool", "tool_call_id": "call_1", "content": "done"},
    ]
    request_validator()(validate_request({"model": "m", "messages": follow_up}).body())


def test_legacy_function_call():
    acc = feed(
        [
            chunk(role="assistant", content=None, function_call={"name": "get_weather"}),
            chunk(function_call={"arguments": '{"city"'}),
            chunk(function_call={"name": "get_weather", "arguments": ': "Oslo"}'}),
            chunk(finish="function_call"),
        ]
    )
    choice = acc.choices[0]
    assert choice.function_call.name == "get_weather"
    assert json.loads(choice.function_call.arguments) == {"city": "Oslo"}
    assert choice.finish_reason == "function_call"
    assert choice.to_dict()["function_call"] == {
        "name": "get_weather",
        "arguments": '{"city": "Oslo"}',
    }
    assert sent_back(acc)["function_call"] == {
        "name": "get_weather",
        "arguments": '{"city": "Oslo"}',
    }


# ---------------------------------------------------------------------------------------
# Usage

U1 = {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}
U2 = {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}
U3 = {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}


@pytest.mark.parametrize(
    ("events", "usage"),
    [
        pytest.param(
            [
                chunk(content="a", usage=U1),
                chunk(content="b", usage=U2),
                chunk(finish="stop", usage=U3),
            ],
            U3,
            id="on-every-chunk",
        ),
        pytest.param(
            [
                chunk(0, content="a"),
                chunk(1, content="b"),
                chunk(1, finish="stop"),
                chunk(choices=[], usage=U1),
                chunk(0, finish="stop"),
                chunk(choices=[], usage=U2),
            ],
            U2,
            id="once-per-choice",
        ),
        pytest.param(
            [chunk(content="a"), chunk(finish="stop"), chunk(choices=[], usage=U3)],
            U3,
            id="final-empty-choices-chunk",
        ),
        pytest.param(
            [chunk(content="a", usage=U1), {**chunk(finish="stop"), "usage": None}],
            U1,
            id="null-after-a-value",
        ),
        pytest.param([chunk(content="a"), chunk(finish="stop")], None, id="absent"),
    ],
)
def test_usage_keeps_the_last_non_null_value(events, usage):
    acc = feed([*events, "[DONE]"])
    assert acc.error is None
    assert acc.usage == usage


def test_completion_tokens_from_usage_or_from_counting_deltas():
    assert feed([chunk(content="a"), chunk(content="b"), chunk(content="")]).completion_tokens == 2
    assert feed([chunk(content="a", usage=U3)]).completion_tokens == 3


# ---------------------------------------------------------------------------------------
# Refusal, reasoning, logprobs


def test_refusal_accumulates():
    acc = feed(
        [
            chunk(role="assistant", content=None, refusal=""),
            chunk(refusal="I'm sorry,"),
            chunk(refusal=" I can't."),
            chunk(finish="stop"),
        ]
    )
    choice = acc.choices[0]
    assert choice.refusal == "I'm sorry, I can't."
    assert choice.to_dict()["refusal"] == "I'm sorry, I can't."
    assert choice.to_dict()["content"] is None


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_accumulates(field):
    acc = feed(
        [
            chunk(role="assistant", **{field: "Let me think."}),
            chunk(**{field: " 2 + 2 = 4."}),
            chunk(content="Four."),
            chunk(finish="stop"),
        ]
    )
    assert acc.choices[0].reasoning == "Let me think. 2 + 2 = 4."
    assert acc.choices[0].content == "Four."
    assert acc.result()["choices"][0]["reasoning"] == "Let me think. 2 + 2 = 4."


def test_logprobs_accumulate():
    def lp(token: str, key: str = "content") -> dict[str, Any]:
        return {
            key: [
                {"token": token, "logprob": -0.5, "bytes": list(token.encode()), "top_logprobs": []}
            ]
        }

    events = [
        {**chunk(), "choices": [{"index": 0, "delta": {"content": "Foo"}, "logprobs": lp("Foo")}]},
        {**chunk(), "choices": [{"index": 0, "delta": {"content": "!"}, "logprobs": lp("!")}]},
        {
            **chunk(),
            "choices": [{"index": 0, "delta": {"refusal": "No"}, "logprobs": lp("No", "refusal")}],
        },
        {
            **chunk(),
            "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}],
        },
    ]
    logprobs = feed(events).choices[0].logprobs
    assert [t["token"] for t in logprobs["content"]] == ["Foo", "!"]
    assert [t["token"] for t in logprobs["refusal"]] == ["No"]


# ---------------------------------------------------------------------------------------
# Timings


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_timings():
    clock = ManualClock()
    clock.now = 10.0
    acc = StreamAccumulator(clock=clock)
    feed([chunk(role="assistant", content="")], acc)  # an empty delta is not a token
    clock.now = 10.5
    feed([chunk(content="a")], acc)
    clock.now = 11.0
    feed([chunk(content="b"), chunk(content="c"), chunk(finish="stop")], acc)
    clock.now = 12.5
    acc.finish()
    assert acc.timings.ttft == 0.5
    assert acc.timings.total == 2.5
    assert acc.completion_tokens == 3
    assert acc.tokens_per_second == 1.5  # 3 tokens over the 2 s after the first
    assert acc.result()["timings"] == {
        "ttft_s": 0.5,
        "total_s": 2.5,
        "tokens_per_s": 1.5,
        "completion_tokens": 3,
    }


def test_tokens_per_second_uses_usage_when_given():
    clock = ManualClock()
    acc = StreamAccumulator(clock=clock)
    clock.now = 1.0
    feed([chunk(content="a")], acc)
    clock.now = 3.0
    feed([chunk(finish="stop", usage={"completion_tokens": 40})], acc)
    acc.finish()
    assert acc.tokens_per_second == 20.0


async def test_timings_are_set_over_http(loopback, client):
    loopback.enqueue(Reply.sse(text_stream("one two three four"), gap=0.002))
    acc, _ = await client.chat(request(), accumulator=StreamAccumulator(clock=FakeClock()))
    t = acc.timings
    assert t.ttft is not None and t.ttft > 0
    assert t.total is not None and t.total > t.ttft
    assert acc.tokens_per_second is not None and acc.tokens_per_second > 0
    assert acc.result()["timings"]["completion_tokens"] == 4


# ---------------------------------------------------------------------------------------
# The end of a stream: [DONE], errors, drops


async def test_missing_done_is_fine_when_every_choice_finished(loopback, client):
    events = [chunk(0, content="a"), chunk(1, content="b"), chunk(1, finish="stop")]
    events.append(chunk(0, finish="length"))
    acc = await serve(loopback, client, events)
    assert acc.error is None
    assert not acc.done
    assert acc.finished
    assert [c.finish_reason for c in acc.ordered()] == ["length", "stop"]


async def test_missing_done_with_an_unfinished_choice_is_an_error(loopback, client):
    events = [chunk(0, content="a"), chunk(1, content="b"), chunk(1, finish="stop")]
    acc = await serve(loopback, client, events)
    assert acc.error is not None
    assert acc.error.kind == "connection"
    assert "before the reply was complete" in acc.error.message
    assert [c.content for c in acc.ordered()] == ["a", "b"]


async def test_an_empty_stream_is_an_error(loopback, client):
    acc = await serve(loopback, client, [b""])
    assert acc.error is not None
    assert acc.choices == {}


async def test_comments_pings_and_empty_events_are_skipped(loopback, client):
    body = (
        b": ping\n\n"
        b": OPENROUTER PROCESSING\n\n"
        b'event: ping\ndata: {"type": "ping"}\n\n'
        b"data: \n\n"
        b"data:\n\n"
        b"\n\n\n"
        b"retry: 1000\n\n"
        + b"".join(sse([chunk(content="Hello")]))
        + b": keep-alive\n\n"
        + b"event: ping\ndata: {}\n\n"
        + b"".join(sse([chunk(finish="stop"), "[DONE]"]))
    )
    acc = await serve(loopback, client, [body])
    assert acc.error is None
    assert acc.choices[0].content == "Hello"
    assert acc.events == 2


async def test_crlf_line_endings(loopback, client):
    body = b"".join(sse(text_stream("carriage returns too"))).replace(b"\n", b"\r\n")
    acc = await serve(loopback, client, split_every(body, 5))
    assert acc.error is None
    assert acc.choices[0].content == "carriage returns too"


async def test_multi_line_data_is_joined(loopback, client):
    payload = json.dumps(chunk(content="split", finish="stop"), indent=1)
    body = "".join(f"data: {line}\n" for line in payload.splitlines()) + "\n"
    acc = await serve(loopback, client, [body.encode()])
    assert acc.error is None
    assert acc.choices[0].content == "split"


PARTIAL = [
    chunk(0, role="assistant", content=""),
    chunk(1, role="assistant", content=""),
    chunk(0, content="The"),
    chunk(1, content="A"),
    chunk(0, content=" question"),
    chunk(1, finish="stop"),
]


@pytest.mark.parametrize("done", [True, False], ids=["then-DONE", "no-DONE"])
@pytest.mark.parametrize("code", ["server_error", 500, None], ids=["str", "int", "null"])
async def test_in_stream_error_ends_the_turn_and_keeps_partial_choices(
    loopback, client, code, done
):
    error = {"error": {"message": "The server had an error", "type": "server_error", "code": code}}
    events = [*PARTIAL, error, chunk(0, content=" ignored"), *(["[DONE]"] if done else [])]
    acc = await serve(loopback, client, events)
    assert acc.error is not None
    assert acc.error.kind == "stream"
    assert acc.error.message == "The server had an error"
    assert acc.error.code == code
    assert acc.error.type == "server_error"
    assert acc.finished
    assert [c.content for c in acc.ordered()] == ["The question", "A"]
    assert [c.finish_reason for c in acc.ordered()] == [None, "stop"]
    result = acc.result()
    assert result["error"]["message"] == "The server had an error"
    assert result["choices"][0]["content"] == "The question"


@pytest.mark.parametrize(
    ("error", "message"),
    [
        ({"error": "Upstream overloaded"}, "Upstream overloaded"),
        ({"error": {"code": 429}}, "the server reported an error in the stream"),
        ({"error": {"message": "bad"}, "choices": []}, "bad"),
    ],
)
def test_in_stream_error_shapes(error, message):
    acc = feed([*PARTIAL, error])
    assert acc.error.kind == "stream"
    assert acc.error.message == message
    assert acc.choices[0].content == "The question"


async def test_named_error_event(loopback, client):
    body = b"".join(sse(PARTIAL)) + (
        b'event: error\ndata: {"error": {"message": "quota exceeded", "code": "quota"}}\n\n'
    )
    acc = await serve(loopback, client, [body])
    assert acc.error.kind == "stream"
    assert acc.error.message == "quota exceeded"
    assert acc.error.code == "quota"
    assert acc.choices[0].content == "The question"


async def test_named_error_event_with_plain_text(loopback, client):
    body = b"".join(sse(PARTIAL)) + b"event: error\ndata: model crashed\n\n"
    acc = await serve(loopback, client, [body])
    assert acc.error.kind == "stream"
    assert acc.error.message == "model crashed"
    assert acc.choices[0].content == "The question"


async def test_dropped_connection_keeps_partial_choices(loopback, client):
    body = b"".join(sse(PARTIAL))
    cut = body + b'data: {"choices": [{"index": 0, "delta": {"content": " ha'
    acc = await serve(loopback, client, [cut], drop=True)
    assert acc.error.kind == "connection"
    assert "dropped" in acc.error.message
    assert [c.content for c in acc.ordered()] == ["The question", "A"]


async def test_a_stream_ending_in_the_middle_of_an_event(loopback, client):
    body = b"".join(sse(PARTIAL)) + b'data: {"choices": [{"index": 0, "delta": {"cont'
    acc = await serve(loopback, client, [body], framing="close")
    assert acc.error is not None
    # The half event is never dispatched; the stream ended before the choices finished.
    assert acc.error.kind == "connection"
    assert "before the reply was complete" in acc.error.message
    assert [c.content for c in acc.ordered()] == ["The question", "A"]


async def test_invalid_json_line_ends_the_turn_and_keeps_partial_choices(loopback, client):
    events = [
        *PARTIAL,
        '{"choices": [{"index": 0, "delta": {"content": "x"}',
        chunk(0, content="!"),
    ]
    acc = await serve(loopback, client, [*events, "[DONE]"])
    assert acc.error.kind == "protocol"
    assert "not JSON" in acc.error.message
    assert [c.content for c in acc.ordered()] == ["The question", "A"]


def test_a_chunk_that_is_not_an_object():
    acc = feed([*PARTIAL, "[1, 2, 3]"])
    assert acc.error.kind == "protocol"
    assert acc.choices[0].content == "The question"


def test_cancel_keeps_partial_choices():
    acc = feed(PARTIAL)
    acc.cancel()
    assert acc.cancelled
    assert acc.finished
    assert acc.result()["cancelled"] is True
    assert acc.result()["choices"][0]["content"] == "The question"


def test_load_completion():
    acc = StreamAccumulator()
    acc.load_completion(
        {
            "id": "c1",
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "reasoning_content": "hmm",
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": "f", "arguments": {"a": 1}},
                            }
                        ],
                    },
                    "finish_reason": "tool_calls",
                },
                {"index": 1, "message": {"content": "plain"}, "finish_reason": "stop"},
            ],
        }
    )
    assert acc.error is None
    first, second = acc.ordered()
    assert first.reasoning == "hmm"
    (call,) = first.ordered_tool_calls()
    assert (call.id, call.name, json.loads(call.arguments)) == ("call_1", "f", {"a": 1})
    assert second.content == "plain"
    assert second.finish_reason == "stop"


# ---------------------------------------------------------------------------------------
# Exact bytes: any split of the body gives the same text

UNICODE_TEXT = "Grüße, 世界! 👋🏽 café — naïve ✓"


def utf8_sse(events: list[Any]) -> bytes:
    """Events with raw UTF-8 in the JSON (as llama-server sends), not ``\\u`` escapes."""
    return b"".join(
        sse([e if isinstance(e, str) else json.dumps(e, ensure_ascii=False) for e in events])
    )


def unicode_body() -> bytes:
    events = [chunk(role="assistant", content="")]
    events += [chunk(content=ch) for ch in ("Grüße, ", "世界! ", "👋🏽", " café — naïve ✓")]
    events += [chunk(finish="stop"), "[DONE]"]
    return utf8_sse(events)


async def test_one_byte_pieces(loopback, client):
    body = unicode_body()
    acc = await serve(loopback, client, split_every(body, 1), gap=0.0005)
    assert acc.error is None
    assert acc.choices[0].content == UNICODE_TEXT
    assert acc.choices[0].finish_reason == "stop"


async def test_pieces_that_split_multibyte_characters(loopback, client):
    body = unicode_body()
    # Cut in the middle of every multi-byte character (after each lead byte).
    cuts = [i + 1 for i, b in enumerate(body) if b >= 0xC0]
    assert len(cuts) >= 10
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    assert all(pieces)
    with pytest.raises(UnicodeDecodeError):
        pieces[0].decode("utf-8")
    acc = await serve(loopback, client, pieces, gap=0.001)
    assert acc.error is None
    assert acc.choices[0].content == UNICODE_TEXT


# A body that exercises most of the accumulator at once, for the chunking property.
RICH_EVENTS: list[Any] = [
    chunk(0, role="assistant", content=""),
    chunk(1, role="assistant", content=None),
    chunk(0, reasoning_content="思考中…"),
    chunk(0, content="Grüße "),
    chunk(1, tool_calls=[tool(0, id="call_é", type="function", name="get_weather", arguments="")]),
    chunk(0, content="🌍!"),
    chunk(1, tool_calls=[tool(0, arguments='{"city": "Zürich"')]),
    chunk(1, tool_calls=[tool(1, id="call_2", type="function", name="lookup", arguments="{}")]),
    chunk(1, tool_calls=[tool(0, arguments="}")]),
    chunk(0, finish="stop"),
    chunk(1, finish="tool_calls"),
    chunk(choices=[], usage=U3),
    "[DONE]",
]
RICH_BODY = (
    b": ping\n\n"
    + utf8_sse(RICH_EVENTS[:6])
    + b"event: ping\ndata: {}\n\n"
    + utf8_sse(RICH_EVENTS[6:])
)


def _result(pieces: list[bytes]) -> dict[str, Any]:
    async def handler(req: httpx.Request) -> httpx.Response:
        async def body():
            for piece in pieces:
                yield piece

        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    async def run() -> tuple[dict[str, Any], bytes]:
        async with ChatClient(
            "http://test.invalid/v1", transport=httpx.MockTransport(handler)
        ) as client:
            acc, exchange = await client.chat(request())
            return acc.result(), exchange.response_body

    result, raw = asyncio.run(run())
    assert raw == b"".join(pieces)
    result.pop("timings")
    return result


def test_rich_body_result():
    assert "Grüße".encode() in RICH_BODY
    result = _result([RICH_BODY])
    assert result["error"] is None
    first, second = result["choices"]
    assert first["content"] == "Grüße 🌍!"
    assert first["reasoning"] == "思考中…"
    assert first["finish_reason"] == "stop"
    assert second["content"] is None
    assert [(t["id"], t["function"]["name"]) for t in second["tool_calls"]] == [
        ("call_é", "get_weather"),
        ("call_2", "lookup"),
    ]
    assert json.loads(second["tool_calls"][0]["function"]["arguments"]) == {"city": "Zürich"}
    assert result["usage"] == U3


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cuts=st.lists(st.integers(min_value=1, max_value=len(RICH_BODY) - 1), max_size=60),
    crlf=st.booleans(),
)
def test_any_chunking_gives_the_same_result(cuts, crlf):
    body = RICH_BODY.replace(b"\n", b"\r\n") if crlf else RICH_BODY
    points = sorted({c for c in cuts if c < len(body)})
    pieces = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    assert _result(pieces) == _result([RICH_BODY])


def test_tokens_per_second_of_a_whole_body_is_over_the_whole_request():
    now = [100.0]
    acc = StreamAccumulator(clock=lambda: now[0])
    now[0] = 102.0  # the body took two seconds to come
    acc.load_completion(
        {
            "id": "x",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 10, "total_tokens": 13},
        }
    )
    acc.finish()
    assert acc.tokens_per_second == 5.0
