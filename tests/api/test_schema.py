"""The request model: every parameter of the API reference, valid bodies that pass the
OpenAI schema, unset parameters left out, and bad values named with their allowed range."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.refdata import request_validator
from tui.api.schema import RANGES, ChatRequest, InvalidParameter, validate_request
from tui.core.params import build_request

USER = [{"role": "user", "content": "Hello"}]
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
FUNCTION = {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}

check_body = request_validator()


def _body(**params: Any) -> dict[str, Any]:
    return {"model": "gpt-4o", "messages": USER, **params}


# ---------------------------------------------------------------------------------------
# Valid values: the body carries exactly what was set and passes the OpenAI schema.

VALID: list[tuple[str, Any, dict[str, Any]]] = [
    ("model", "phala/qwen-2.5-7b-instruct", {}),
    ("n", 1, {}),
    ("n", 3, {}),
    ("n", 128, {}),
    ("temperature", 0, {}),
    ("temperature", 0.7, {}),
    ("temperature", 1.0, {}),
    ("temperature", 2, {}),
    ("top_p", 0, {}),
    ("top_p", 0.1, {}),
    ("top_p", 1, {}),
    ("max_tokens", 1, {}),
    ("max_tokens", 4096, {}),
    ("presence_penalty", -2, {}),
    ("presence_penalty", 0.5, {}),
    ("presence_penalty", 2, {}),
    ("frequency_penalty", -2.0, {}),
    ("frequency_penalty", 2.0, {}),
    ("logit_bias", {"50256": -100}, {}),
    ("logit_bias", {"50256": 100, "1": 0, "198": -5}, {}),
    ("response_format", {"type": "text"}, {}),
    ("response_format", {"type": "json_object"}, {}),
    (
        "response_format",
        {
            "type": "json_schema",
            "json_schema": {
                "name": "weather-report_1",
                "description": "A report",
                "schema": {"type": "object", "properties": {"t": {"type": "number"}}},
                "strict": True,
            },
        },
        {},
    ),
    ("seed", 42, {}),
    ("seed", -7, {}),
    ("stop", "\n\n", {}),
    ("stop", ["a"], {}),
    ("stop", ["a", "b", "c", "d"], {}),
    ("stream", True, {}),
    ("stream", False, {}),
    ("stream_options", {"include_usage": True}, {"stream": True}),
    ("stream_options", {"include_usage": False}, {"stream": True}),
    ("tools", [TOOL], {}),
    (
        "tools",
        [
            {"type": "function", "function": {"name": "a" * 64}},
            {"type": "function", "function": {"name": "A-b_9", "strict": True}},
        ],
        {},
    ),
    ("tool_choice", "none", {"tools": [TOOL]}),
    ("tool_choice", "auto", {"tools": [TOOL]}),
    ("tool_choice", "required", {"tools": [TOOL]}),
    ("tool_choice", {"type": "function", "function": {"name": "get_weather"}}, {"tools": [TOOL]}),
    ("functions", [FUNCTION], {}),
    ("function_call", "none", {"functions": [FUNCTION]}),
    ("function_call", "auto", {"functions": [FUNCTION]}),
    ("function_call", {"name": "get_weather"}, {"functions": [FUNCTION]}),
    ("user", "user-1234", {}),
    ("logprobs", True, {}),
    ("logprobs", False, {}),
    ("top_logprobs", 0, {"logprobs": True}),
    ("top_logprobs", 20, {"logprobs": True}),
]


@pytest.mark.parametrize(
    ("param", "value", "extra"), VALID, ids=[f"{p}={v!r}"[:60] for p, v, _ in VALID]
)
def test_valid_value_is_sent_as_set_and_passes_the_openai_schema(param, value, extra):
    body = validate_request(_body(**extra, **{param: value})).body()
    check_body(body)
    assert body[param] == value
    for key, val in extra.items():
        assert body[key] == val
    # Nothing else was added.
    assert set(body) == {"model", "messages", param, *extra}


@pytest.mark.parametrize(("param", "value", "extra"), VALID[::4])
def test_build_request_gives_the_same_body(param, value, extra):
    params = {**extra, param: value}
    request = build_request(model="gpt-4o", messages=USER, params=params)
    body = request.body()
    check_body(body)
    assert body == validate_request(_body(**params)).body()


# ---------------------------------------------------------------------------------------
# Messages of every role.

MESSAGES: dict[str, list[dict[str, Any]]] = {
    "system": [{"role": "system", "content": "Be brief."}, *USER],
    "system_parts": [{"role": "system", "content": [{"type": "text", "text": "Be brief."}]}],
    "system_name": [{"role": "system", "content": "x", "name": "boss"}],
    "developer": [{"role": "developer", "content": "Answer in French."}, *USER],
    "developer_parts": [{"role": "developer", "content": [{"type": "text", "text": "x"}]}],
    "user_string": USER,
    "user_name": [{"role": "user", "content": "hi", "name": "alice"}],
    "user_parts": [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this image?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"},
                },
                {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
            ],
        }
    ],
    "assistant_text": [*USER, {"role": "assistant", "content": "Hi! How can I help?"}],
    "assistant_parts": [
        *USER,
        {"role": "assistant", "content": [{"type": "text", "text": "Hi"}]},
    ],
    "assistant_refusal": [
        *USER,
        {
            "role": "assistant",
            "content": [{"type": "refusal", "refusal": "I can't help with that."}],
            "refusal": "I can't help with that.",
        },
    ],
    "assistant_tool_calls_and_tool": [
        *USER,
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "18 C"},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "3 C"}]},
    ],
    "legacy_function": [
        *USER,
        {"role": "assistant", "function_call": {"name": "get_weather", "arguments": "{}"}},
        {"role": "function", "name": "get_weather", "content": "18 C"},
    ],
    "legacy_function_null_content": [
        *USER,
        {"role": "assistant", "content": None, "function_call": {"name": "f", "arguments": "{}"}},
        {"role": "function", "name": "f", "content": None},
    ],
}


def _without_nulls(msgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for m in msgs:
        keep = {k: v for k, v in m.items() if v is not None or m["role"] == "function"}
        out.append(keep)
    return out


@pytest.mark.parametrize("name", list(MESSAGES))
def test_messages_of_every_role(name):
    messages = MESSAGES[name]
    body = validate_request({"model": "m", "messages": messages}).body()
    check_body(body)
    assert body["messages"] == _without_nulls(messages)


def test_function_message_keeps_its_null_content():
    # ``content`` is required (nullable) in a function message: dropping it breaks the schema.
    body = validate_request(
        {"model": "m", "messages": [{"role": "function", "name": "f", "content": None}]}
    ).body()
    assert body["messages"] == [{"role": "function", "name": "f", "content": None}]
    check_body(body)


BAD_MESSAGES = [
    ([], "non-empty"),
    ([{"role": "bot", "content": "x"}], "bot"),
    ([{"role": "tool", "content": "x"}], "tool_call_id"),
    ([{"role": "assistant"}], "content, tool_calls or function_call"),
    ([{"role": "user"}], "content"),
    ([{"role": "function", "content": "x"}], "name"),
    ([{"role": "user", "content": [{"type": "video", "video": "x"}]}], "video"),
    ([{"role": "system", "content": [{"type": "image_url", "image_url": {"url": "u"}}]}], "text"),
]


@pytest.mark.parametrize(("messages", "says"), BAD_MESSAGES)
def test_bad_messages_are_named(messages, says):
    with pytest.raises(InvalidParameter) as info:
        validate_request({"model": "m", "messages": messages})
    assert info.value.param == "messages"
    assert says in str(info.value)


# ---------------------------------------------------------------------------------------
# Unset parameters are not sent.

OPTIONAL = [p for p in RANGES if p not in ("model", "messages")]


def test_a_bare_request_sends_only_model_and_messages():
    body = validate_request(_body()).body()
    assert body == {"model": "gpt-4o", "messages": USER}
    check_body(body)


@pytest.mark.parametrize("param", OPTIONAL)
def test_unset_parameter_is_absent(param):
    body = validate_request(_body(**{param: None})).body()
    assert param not in body
    assert body == {"model": "gpt-4o", "messages": USER}


def test_unset_parameters_are_absent_from_build_request():
    body = build_request(model="gpt-4o", messages=USER, params={}).body()
    assert body == {"model": "gpt-4o", "messages": USER}


def test_a_value_equal_to_the_api_default_is_still_sent_when_set():
    body = validate_request(_body(temperature=1, top_p=1, n=1, stream=False)).body()
    assert body["temperature"] == 1
    assert body["top_p"] == 1
    assert body["n"] == 1
    assert body["stream"] is False


def test_nested_unset_fields_are_absent_but_user_schemas_are_kept_whole():
    tool = {
        "type": "function",
        "function": {
            "name": "f",
            "parameters": {
                "type": "object",
                "properties": {"x": {"type": ["string", "null"], "default": None}},
            },
        },
    }
    body = validate_request(_body(tools=[tool])).body()
    # description and strict were not set: not sent; a null inside the JSON Schema stays.
    assert body["tools"] == [tool]
    check_body(body)


def test_provider_specific_parameters_pass_through():
    body = validate_request(_body(top_k=40, min_p=0.05, reasoning_effort="low")).body()
    assert body["top_k"] == 40
    assert body["min_p"] == 0.05
    assert body["reasoning_effort"] == "low"


# ---------------------------------------------------------------------------------------
# Out-of-range or malformed values: named, with what is allowed.

INVALID: list[tuple[str, Any, dict[str, Any], str]] = [
    ("model", "", {}, "model id"),
    ("model", 5, {}, "model id"),
    ("n", 0, {}, "1 to 128"),
    ("n", 129, {}, "1 to 128"),
    ("n", 1.5, {}, "1 to 128"),
    ("n", "two", {}, "1 to 128"),
    ("n", True, {}, "1 to 128"),
    ("temperature", -0.1, {}, "0 to 2"),
    ("temperature", 2.01, {}, "0 to 2"),
    ("temperature", "hot", {}, "0 to 2"),
    ("temperature", True, {}, "0 to 2"),
    ("top_p", -0.01, {}, "0 to 1"),
    ("top_p", 1.5, {}, "0 to 1"),
    ("max_tokens", 0, {}, "at least 1"),
    ("max_tokens", -5, {}, "at least 1"),
    ("max_tokens", 10.5, {}, "at least 1"),
    ("presence_penalty", -2.1, {}, "-2 to 2"),
    ("presence_penalty", 2.5, {}, "-2 to 2"),
    ("frequency_penalty", -3, {}, "-2 to 2"),
    ("frequency_penalty", 2.0001, {}, "-2 to 2"),
    ("logit_bias", {"50256": 101}, {}, "-100 and 100"),
    ("logit_bias", {"50256": -101}, {}, "-100 and 100"),
    ("logit_bias", {"1": 1.5}, {}, "-100 to 100"),
    ("logit_bias", {"hello": 1}, {}, "integer"),
    ("logit_bias", {"-1": 1}, {}, "integer"),
    ("logit_bias", [1, 2], {}, "-100 to 100"),
    ("response_format", {"type": "xml"}, {}, "json_object"),
    ("response_format", "json", {}, "json_object"),
    ("response_format", {"type": "json_schema"}, {}, "json_schema"),
    (
        "response_format",
        {"type": "json_schema", "json_schema": {"name": "has space"}},
        {},
        "1-64 characters",
    ),
    ("seed", 1.5, {}, "an integer"),
    ("seed", "abc", {}, "an integer"),
    ("stop", ["a", "b", "c", "d", "e"], {}, "1 to 4"),
    ("stop", [], {}, "1 to 4"),
    ("stop", "", {}, "empty"),
    ("stop", ["ok", ""], {}, "empty"),
    ("stop", 7, {}, "up to 4"),
    ("stream", "yes", {}, "true or false"),
    ("stream", 2, {}, "true or false"),
    ("stream_options", {"include_usage": True}, {}, "stream"),
    ("stream_options", {"include_usage": True}, {"stream": False}, "stream"),
    ("stream_options", {"include_usage": "maybe"}, {"stream": True}, "include_usage"),
    ("stream_options", {"usage": True}, {"stream": True}, "include_usage"),
    ("tools", "get_weather", {}, "function tools"),
    ("tools", [{"type": "retrieval"}], {}, "function"),
    ("tools", [{"type": "function", "function": {"name": "has space"}}], {}, "1-64 characters"),
    ("tools", [{"type": "function", "function": {"name": "a" * 65}}], {}, "1-64 characters"),
    ("tools", [{"type": "function", "function": {"name": ""}}], {}, "1-64 characters"),
    ("tools", [{"type": "function", "function": {"name": "é"}}], {}, "1-64 characters"),
    (
        "tools",
        [{"type": "function", "function": {"name": "f", "parameters": {"type": "array"}}}],
        {},
        "'object'",
    ),
    (
        "tools",
        [{"type": "function", "function": {"name": "f", "parameters": "string"}}],
        {},
        "dictionary",
    ),
    ("tools", [TOOL, TOOL], {}, "duplicate"),
    ("tool_choice", "always", {"tools": [TOOL]}, '"required"'),
    ("tool_choice", "auto", {}, "only allowed when tools"),
    (
        "tool_choice",
        {"type": "function", "function": {"name": "nope"}},
        {"tools": [TOOL]},
        "not among the tools",
    ),
    ("functions", [], {}, "function definitions"),
    ("functions", [{"name": "bad name"}], {}, "1-64 characters"),
    ("function_call", "maybe", {"functions": [FUNCTION]}, '"auto"'),
    ("function_call", {"name": "nope"}, {"functions": [FUNCTION]}, "not among the functions"),
    ("user", 5, {}, "string"),
    ("logprobs", "yes", {}, "true or false"),
    ("top_logprobs", 21, {"logprobs": True}, "0 to 20"),
    ("top_logprobs", -1, {"logprobs": True}, "0 to 20"),
]


@pytest.mark.parametrize(
    ("param", "value", "extra", "says"),
    INVALID,
    ids=[f"{p}={v!r}"[:60] for p, v, _, _ in INVALID],
)
def test_invalid_value_is_named_with_what_is_allowed(param, value, extra, says):
    with pytest.raises(InvalidParameter) as info:
        validate_request(_body(**extra, **{param: value}))
    err = info.value
    assert err.param == param
    assert says in err.message
    assert str(err).startswith(f"{param}: ")


@pytest.mark.parametrize("param", [p for p, *_ in INVALID[2:20:3]])
def test_build_request_raises_the_same_error(param):
    _, value, extra, says = next(row for row in INVALID if row[0] == param)
    with pytest.raises(InvalidParameter) as info:
        build_request(model="m", messages=USER, params={**extra, param: value})
    assert info.value.param == param
    assert says in info.value.message


def test_the_range_message_states_the_bounds_and_the_value():
    with pytest.raises(InvalidParameter) as info:
        validate_request(_body(temperature=3))
    assert info.value.message == "must be a number from 0 to 2 (got 3)"


# ---------------------------------------------------------------------------------------
# Properties: any value in range is accepted and validates; any value out of it is not.

NUMERIC = {
    "temperature": (0, 2),
    "top_p": (0, 1),
    "presence_penalty": (-2, 2),
    "frequency_penalty": (-2, 2),
}


@settings(max_examples=60, deadline=None)
@given(
    param=st.sampled_from(sorted(NUMERIC)),
    value=st.floats(min_value=-5, max_value=5, allow_nan=False),
)
def test_numeric_ranges(param, value):
    low, high = NUMERIC[param]
    if low <= value <= high:
        body = validate_request(_body(**{param: value})).body()
        assert body[param] == value
        check_body(body)
    else:
        with pytest.raises(InvalidParameter) as info:
            validate_request(_body(**{param: value}))
        assert info.value.param == param
        assert f"from {low} to {high}" in info.value.message


@settings(max_examples=40, deadline=None)
@given(token=st.integers(min_value=0, max_value=300_000), bias=st.integers(-150, 150))
def test_logit_bias_range(token, bias):
    params = _body(logit_bias={str(token): bias})
    if -100 <= bias <= 100:
        check_body(validate_request(params).body())
    else:
        with pytest.raises(InvalidParameter) as info:
            validate_request(params)
        assert info.value.param == "logit_bias"
        assert "-100 and 100" in info.value.message


@settings(max_examples=40, deadline=None)
@given(name=st.text(min_size=0, max_size=70))
def test_function_name_pattern(name):
    import re

    ok = re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", name) is not None
    params = _body(tools=[{"type": "function", "function": {"name": name}}])
    if ok:
        check_body(validate_request(params).body())
    else:
        with pytest.raises(InvalidParameter) as info:
            validate_request(params)
        assert info.value.param == "tools"


def test_nan_and_infinity_are_refused():
    for value in (math.nan, math.inf):
        with pytest.raises(InvalidParameter) as info:
            validate_request(_body(temperature=value))
        assert info.value.param == "temperature"


def test_chat_request_round_trip():
    params = _body(
        temperature=0.2,
        stream=True,
        stream_options={"include_usage": True},
        tools=[TOOL],
        tool_choice="auto",
    )
    request = validate_request(params)
    assert isinstance(request, ChatRequest)
    assert ChatRequest.model_validate(request.body()).body() == request.body()
