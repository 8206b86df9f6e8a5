"""The offline demo endpoint (``--demo``): a simulator that honours the request."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import jsonschema
import pytest

from tests.refdata import request_validator
from tui import cli
from tui.api.accumulate import StreamAccumulator
from tui.api.client import ChatClient
from tui.api.demo import MODELS, DemoTransport, example_for
from tui.config import DEMO_BASE_URL, Config, resolve_endpoint
from tui.core.turn import Turn
from tui.headless import AskOptions, ask

validate_body = request_validator()

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
            },
            "required": ["city", "unit", "days"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}

# The shape pydantic emits: $defs and $ref, anyOf with null, arrays, bounds.
BOOKING = {
    "type": "function",
    "function": {
        "name": "book_table",
        "parameters": {
            "$defs": {
                "Guest": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "minLength": 3},
                        "age": {"type": "integer", "exclusiveMinimum": 17, "maximum": 120},
                        "vip": {"type": "boolean"},
                    },
                    "required": ["name", "age", "vip"],
                    "additionalProperties": False,
                }
            },
            "type": "object",
            "properties": {
                "guests": {
                    "type": "array",
                    "items": {"$ref": "#/$defs/Guest"},
                    "minItems": 2,
                    "maxItems": 4,
                },
                "note": {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}]},
                "budget": {"type": "number", "minimum": 0.05, "maximum": 0.07},
                "when": {"type": "string", "format": "date-time"},
                "below_zero": {"type": "integer", "maximum": -5},
            },
            "required": ["guests", "note", "budget", "when", "below_zero"],
            "additionalProperties": False,
        },
    },
}

LEGACY = {
    "name": "lookup",
    "parameters": {
        "type": "object",
        "properties": {"query": {"type": "string"}, "limit": {"type": "integer", "minimum": 1}},
        "required": ["query", "limit"],
    },
}


class Recorder(DemoTransport):
    """The demo transport, keeping every body it is sent."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(delay=0, **kw)
        self.bodies: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.bodies.append(json.loads(await request.aread()))
        return await super().handle_async_request(request)


def body_for(prompt: str = "hello", **params: Any) -> dict[str, Any]:
    return {"model": "demo-small", "messages": [{"role": "user", "content": prompt}], **params}


async def chat(body: dict[str, Any]) -> StreamAccumulator:
    transport = Recorder()
    async with ChatClient(
        DEMO_BASE_URL, key_env=None, transport=transport, max_retries=0
    ) as client:
        acc, _ = await client.chat(body)
    for sent in transport.bodies:
        validate_body(sent)
    return acc


async def raw(body: Any, method: str = "POST", path: str = "/chat/completions") -> httpx.Response:
    if isinstance(body, dict):
        validate_body(body)
    async with httpx.AsyncClient(transport=DemoTransport(delay=0), base_url=DEMO_BASE_URL) as c:
        if method == "GET":
            return await c.get(path.lstrip("/"))
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = await c.post(path.lstrip("/"), content=content)
        await response.aread()
        return response


def events(response: httpx.Response) -> list[Any]:
    out = []
    for block in response.text.split("\n\n"):
        for line in block.split("\n"):
            if line.startswith("data: "):
                data = line[6:]
                out.append(data if data == "[DONE]" else json.loads(data))
    return out


def shape(acc: StreamAccumulator) -> list[dict[str, Any]]:
    out = []
    for c in acc.result()["choices"]:
        c = dict(c)
        c.pop("logprobs")
        out.append(c)
    return out


def args_of(choice: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        (t["function"]["name"], json.loads(t["function"]["arguments"]))
        for t in choice["tool_calls"]
    ]


def schema_of(tool: dict[str, Any]) -> dict[str, Any]:
    return tool["function"]["parameters"]


# -- n, max_tokens, stop, seed -----------------------------------------------------------


@pytest.mark.parametrize("stream", [True, False])
async def test_n_gives_n_different_choices(stream):
    acc = await chat(body_for(n=3, seed=11, stream=stream))
    assert acc.error is None
    choices = acc.result()["choices"]
    assert [c["index"] for c in choices] == [0, 1, 2]
    assert all(c["finish_reason"] == "stop" for c in choices)
    assert len({c["content"] for c in choices}) == 3


async def test_streamed_choices_interleave():
    response = await raw(body_for(n=3, seed=3, stream=True))
    assert response.headers["content-type"].startswith("text/event-stream")
    evs = events(response)
    assert evs[-1] == "[DONE]"
    order = [e["choices"][0]["index"] for e in evs[1:-1] if e["choices"]]
    last_of_0 = max(i for i, idx in enumerate(order) if idx == 0)
    first_of_2 = order.index(2)
    assert first_of_2 < last_of_0  # not one choice after another


@pytest.mark.parametrize("stream", [True, False])
async def test_max_tokens_cuts_with_length(stream):
    full = await chat(body_for(seed=5, stream=stream))
    cut = await chat(
        body_for(
            seed=5,
            max_tokens=4,
            stream=stream,
            **({"stream_options": {"include_usage": True}} if stream else {}),
        )
    )
    text = cut.choices[0].content
    assert cut.choices[0].finish_reason == "length"
    assert text and full.choices[0].content.startswith(text)
    assert len(text) < len(full.choices[0].content)
    assert cut.usage["completion_tokens"] == 4


@pytest.mark.parametrize("stream", [True, False])
async def test_stop_sequences_end_the_text_before_them(stream):
    full = (await chat(body_for(seed=8, stream=stream))).choices[0].content
    word = full.split()[7]
    start = full.index(word)
    acc = await chat(body_for(seed=8, stream=stream, stop=["never-in-the-text", word]))
    assert acc.choices[0].finish_reason == "stop"
    assert acc.choices[0].content == full[:start]
    assert word not in acc.choices[0].content
    single = await chat(body_for(seed=8, stream=stream, stop=word))
    assert single.choices[0].content == full[:start]


async def test_the_same_seed_gives_the_same_text_and_different_seeds_differ():
    a = await chat(body_for(seed=1234, n=2, stream=True))
    b = await chat(body_for(seed=1234, n=2, stream=True))
    c = await chat(body_for(seed=1234, n=2, stream=False))
    d = await chat(body_for(seed=4321, n=2, stream=True))
    assert shape(a) == shape(b) == shape(c)
    assert [x.content for x in a.ordered()] != [x.content for x in d.ordered()]
    e = await chat(body_for(seed=1235, n=2, stream=True))
    assert [x.content for x in a.ordered()] != [x.content for x in e.ordered()]


# -- formats -------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [True, False])
async def test_json_object_content_is_valid_json(stream):
    acc = await chat(
        body_for("reply in JSON", n=2, stream=stream, response_format={"type": "json_object"})
    )
    for c in acc.ordered():
        assert isinstance(json.loads(c.content), dict)


SCHEMAS = [
    {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "temp": {"type": "number", "minimum": -40, "maximum": 50},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "ok": {"type": "boolean"},
            "kind": {"enum": ["a", "b"]},
            "fixed": {"const": 3},
        },
        "required": ["city", "temp", "tags", "ok", "kind", "fixed"],
        "additionalProperties": False,
    },
    schema_of(BOOKING),
    {
        "type": "object",
        "properties": {"outer": {"allOf": [{"$ref": "#/definitions/In"}]}},
        "definitions": {
            "In": {
                "type": "object",
                "properties": {"x": {"type": ["integer", "null"]}},
                "required": ["x"],
            }
        },
        "required": ["outer"],
    },
]


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize("stream", [True, False])
async def test_json_schema_content_is_an_instance(schema, stream):
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": schema, "strict": True},
    }
    for seed in range(5):
        acc = await chat(body_for(seed=seed, stream=stream, response_format=fmt))
        jsonschema.validate(json.loads(acc.choices[0].content), schema)


@pytest.mark.parametrize("schema", SCHEMAS + [schema_of(WEATHER)])
def test_example_for_satisfies_the_schema(schema):
    import random

    for seed in range(20):
        jsonschema.validate(example_for(schema, random.Random(seed)), schema)


# -- tools -----------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [True, False])
async def test_auto_tool_choice_calls_a_tool_for_a_question(stream):
    acc = await chat(
        body_for("What is the weather in Oslo?", tools=[WEATHER, BOOKING], stream=stream)
    )
    (choice,) = acc.result()["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["content"] is None
    ((name, args),) = args_of(choice)
    assert name == "get_weather"
    jsonschema.validate(args, schema_of(WEATHER))
    assert args["city"] == "Oslo"  # taken from the prompt
    assert choice["tool_calls"][0]["id"] and choice["tool_calls"][0]["type"] == "function"


async def test_auto_without_a_question_answers_in_text():
    acc = await chat(body_for("Tell me a story.", tools=[WEATHER], tool_choice="auto", stream=True))
    (choice,) = acc.result()["choices"]
    assert choice["tool_calls"] is None
    assert choice["content"] and choice["finish_reason"] == "stop"


@pytest.mark.parametrize("stream", [True, False])
async def test_required_always_calls_a_tool(stream):
    acc = await chat(
        body_for(
            "Tell me a story.", tools=[WEATHER, BOOKING], tool_choice="required", stream=stream
        )
    )
    (choice,) = acc.result()["choices"]
    assert choice["finish_reason"] == "tool_calls"
    ((name, args),) = args_of(choice)
    jsonschema.validate(args, schema_of(WEATHER))


@pytest.mark.parametrize("stream", [True, False])
async def test_a_named_tool_choice_calls_that_tool(stream):
    named = {"type": "function", "function": {"name": "book_table"}}
    for seed in range(4):
        acc = await chat(
            body_for(
                "weather? get_weather!",
                tools=[WEATHER, BOOKING],
                tool_choice=named,
                seed=seed,
                stream=stream,
            )
        )
        (choice,) = acc.result()["choices"]
        ((name, args),) = args_of(choice)
        assert name == "book_table"
        jsonschema.validate(args, schema_of(BOOKING))


@pytest.mark.parametrize("stream", [True, False])
async def test_tool_choice_none_answers_in_text(stream):
    acc = await chat(
        body_for("get_weather in Oslo?", tools=[WEATHER], tool_choice="none", stream=stream)
    )
    (choice,) = acc.result()["choices"]
    assert choice["tool_calls"] is None
    assert choice["content"] and choice["finish_reason"] == "stop"


@pytest.mark.parametrize("stream", [True, False])
async def test_naming_several_tools_calls_them_in_parallel(stream):
    prompt = "Use get_weather and book_table, please."
    acc = await chat(body_for(prompt, tools=[WEATHER, BOOKING], n=2, stream=stream))
    for choice in acc.result()["choices"]:
        calls = args_of(choice)
        assert [name for name, _ in calls] == ["get_weather", "book_table"]
        jsonschema.validate(calls[0][1], schema_of(WEATHER))
        jsonschema.validate(calls[1][1], schema_of(BOOKING))
        assert [t["index"] for t in choice["tool_calls"]] == [0, 1]
        assert len({t["id"] for t in choice["tool_calls"]}) == 2
    one = await chat(
        body_for(prompt, tools=[WEATHER, BOOKING], parallel_tool_calls=False, stream=stream)
    )
    assert len(one.result()["choices"][0]["tool_calls"]) == 1


async def test_after_tool_results_it_answers_with_them():
    first = await chat(body_for("Weather in Lima?", tools=[WEATHER], stream=True))
    turn = Turn(input=[])
    turn.finish(first)
    message = turn.chosen_choice().message()
    call_id = message["tool_calls"][0]["id"]
    messages = [
        {"role": "user", "content": "Weather in Lima?"},
        message,
        {"role": "tool", "tool_call_id": call_id, "content": "sunny, 24 C"},
    ]
    acc = await chat(
        {"model": "demo-small", "messages": messages, "tools": [WEATHER], "stream": True}
    )
    (choice,) = acc.result()["choices"]
    assert choice["tool_calls"] is None
    assert "sunny, 24 C" in choice["content"]


@pytest.mark.parametrize("stream", [True, False])
async def test_legacy_functions_and_function_call(stream):
    auto = await chat(body_for("Can you look this up?", functions=[LEGACY], stream=stream))
    (choice,) = auto.result()["choices"]
    assert choice["finish_reason"] == "function_call"
    assert choice["tool_calls"] is None
    assert choice["function_call"]["name"] == "lookup"
    jsonschema.validate(json.loads(choice["function_call"]["arguments"]), LEGACY["parameters"])

    named = await chat(
        body_for("no question", functions=[LEGACY], function_call={"name": "lookup"}, stream=stream)
    )
    assert named.result()["choices"][0]["function_call"]["name"] == "lookup"

    none = await chat(body_for("lookup?", functions=[LEGACY], function_call="none", stream=stream))
    (choice,) = none.result()["choices"]
    assert choice["function_call"] is None and choice["content"]

    # a function result gets a text answer
    messages = [
        {"role": "user", "content": "lookup?"},
        {
            "role": "assistant",
            "content": None,
            "function_call": {"name": "lookup", "arguments": "{}"},
        },
        {"role": "function", "name": "lookup", "content": "42 results"},
    ]
    after = await chat(
        {"model": "demo-small", "messages": messages, "functions": [LEGACY], "stream": stream}
    )
    assert "42 results" in after.choices[0].content


# -- stream on and off -------------------------------------------------------------------------

SHAPES = [
    body_for("plain"),
    body_for("two", n=2, max_tokens=6),
    body_for("Weather in Kyoto?", tools=[WEATHER]),
    body_for("Use get_weather and book_table", tools=[WEATHER, BOOKING]),
    body_for("lookup?", functions=[LEGACY]),
    body_for("demo:refusal"),
    body_for("demo:reasoning please"),
    body_for("json", response_format={"type": "json_object"}),
    body_for("cut", stop=["e"]),
]


@pytest.mark.parametrize("body", SHAPES)
async def test_stream_on_and_off_give_the_same_reply(body):
    streamed = await chat(
        {**body, "seed": 99, "stream": True, "stream_options": {"include_usage": True}}
    )
    whole = await chat({**body, "seed": 99, "stream": False})
    assert streamed.error is None and whole.error is None
    assert shape(streamed) == shape(whole)
    assert streamed.usage == whole.usage
    assert streamed.id.startswith("chatcmpl-") and whole.system_fingerprint == "fp_demo_v1"


async def test_include_usage_sends_a_final_usage_chunk():
    without = events(await raw(body_for(seed=2, stream=True)))
    assert all("usage" not in e for e in without if isinstance(e, dict))
    with_usage = events(
        await raw(body_for(seed=2, stream=True, stream_options={"include_usage": True}))
    )
    assert with_usage[-1] == "[DONE]"
    last = with_usage[-2]
    assert last["choices"] == []
    usage = last["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    content_events = [
        e for e in with_usage[1:-2] if e["choices"] and e["choices"][0]["delta"].get("content")
    ]
    assert usage["completion_tokens"] == len(content_events)


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"temperature": 5}, "temperature"),
        ({"n": 0}, "n"),
        ({"tool_choice": "auto"}, "tool_choice"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"response_format": {"type": "yaml"}}, "response_format"),
    ],
)
async def test_an_invalid_parameter_is_a_400(params, param):
    async with httpx.AsyncClient(transport=DemoTransport(delay=0), base_url=DEMO_BASE_URL) as c:
        response = await c.post("chat/completions", json=body_for(**params))
    assert response.status_code == 400
    err = response.json()["error"]
    assert err["type"] == "invalid_request_error"
    assert param in err["message"]


async def test_a_body_that_is_not_json_is_a_400():
    for content in (b"{nope", b"[1, 2]"):
        async with httpx.AsyncClient(transport=DemoTransport(delay=0), base_url=DEMO_BASE_URL) as c:
            response = await c.post("chat/completions", content=content)
        assert response.status_code == 400


async def test_an_unknown_model_is_a_404():
    response = await raw({**body_for(), "model": "gpt-9"})
    assert response.status_code == 404
    err = response.json()["error"]
    assert err["code"] == "model_not_found" and "gpt-9" in err["message"]
    acc = await chat({**body_for(), "model": "gpt-9", "stream": True})
    assert acc.error.status == 404


@pytest.mark.parametrize("status", [429, 500, 503, 401])
async def test_demo_error_status_on_demand(status):
    response = await raw(body_for(f"please demo:error {status}", stream=True))
    assert response.status_code == status
    assert "as asked" in response.json()["error"]["message"]
    if status in (429, 503):
        assert response.headers["retry-after"] == "1"
    acc = await chat(body_for(f"demo:error {status}"))
    assert acc.error.status == status and acc.error.kind == "http"


@pytest.mark.parametrize("max_tokens", [None, 1])
async def test_demo_error_stream_fails_mid_stream(max_tokens):
    params = {"max_tokens": max_tokens} if max_tokens else {}
    acc = await chat(body_for("demo:error stream", stream=True, **params))
    assert acc.error.kind == "stream"
    assert acc.error.code == "demo_stream_error"
    assert acc.choices[0].content  # the part before the failure is kept
    assert acc.choices[0].finish_reason is None


@pytest.mark.parametrize("max_tokens", [None, 1])
async def test_demo_drop_drops_the_connection(max_tokens):
    params = {"max_tokens": max_tokens} if max_tokens else {}
    acc = await chat(body_for("demo:drop", stream=True, **params))
    assert acc.error.kind == "connection"
    assert acc.choices[0].content
    whole = await chat(body_for("demo:drop", stream=False))
    assert whole.error.kind == "connection"


@pytest.mark.parametrize("stream", [True, False])
async def test_demo_refusal(stream):
    acc = await chat(body_for("demo:refusal", n=2, stream=stream))
    for c in acc.result()["choices"]:
        assert c["refusal"] and "refuses" in c["refusal"]
        assert c["content"] is None
        assert c["finish_reason"] == "stop"


@pytest.mark.parametrize("stream", [True, False])
async def test_demo_reasoning(stream):
    acc = await chat(body_for("demo:reasoning", stream=stream))
    (c,) = acc.result()["choices"]
    assert c["reasoning"] and c["reasoning"].startswith("Let me think")
    assert c["content"]


async def test_triggers_only_count_in_the_last_user_message():
    messages = [
        {"role": "user", "content": "demo:error 500"},
        {"role": "assistant", "content": "failed"},
        {"role": "user", "content": "again, normally"},
    ]
    acc = await chat({"model": "demo-small", "messages": messages})
    assert acc.error is None and acc.choices[0].content


# -- models and the command line -------------------------------------------------------------


async def test_models_and_unknown_routes():
    response = await raw(None, method="GET", path="/models")
    data = response.json()["data"]
    assert [m["id"] for m in data] == [m["id"] for m in MODELS]
    assert {m["id"]: m["is_tee"] for m in data} == {"demo-small": False, "demo-tee": True}
    response = await raw(None, method="GET", path="/nothing-here")
    assert response.status_code == 404


async def test_ask_demo_in_process_wires_the_simulator():
    endpoint = resolve_endpoint(Config(), demo=True)
    assert endpoint.demo and endpoint.api_key is None
    out, err = io.StringIO(), io.StringIO()
    opts = AskOptions(prompt="Weather in Paris?", params={"seed": 3, "n": 2}, json_out=True)
    code = await ask(
        opts, endpoint, Config(), out=out, err=err, client_options={"demo_options": {"delay": 0}}
    )
    assert code == 0, err.getvalue()
    result = json.loads(out.getvalue())
    assert result["model"] == "demo-small"
    assert [c["index"] for c in result["choices"]] == [0, 1]


def test_cli_ask_and_models_demo(capsys):
    code = cli.main(["ask", "--demo", "--json", "-p", "n=2", "-p", "max_tokens=3", "hi"])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    result = json.loads(cap.out)
    assert [c["finish_reason"] for c in result["choices"]] == ["length", "length"]
    code = cli.main(["models", "--demo"])
    cap = capsys.readouterr()
    assert code == 0
    tee_row = next(line for line in cap.out.splitlines() if line.startswith("demo-tee"))
    assert tee_row.split()[-1] == "yes"
    code = cli.main(["ask", "--demo", "-m", "nope", "hi"])
    cap = capsys.readouterr()
    assert code == 1 and "HTTP 404" in cap.err
