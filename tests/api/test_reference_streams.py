"""Every recorded stream in tests/data/streams, served over real HTTP, read by ChatClient.

The expected values were read from the files themselves (see tests/data/README.md)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.api import SSE, FakeSleep, request
from tests.loopback import Reply, split_every
from tests.refdata import stream_files
from tui.api.client import ChatClient

OPENAI_USAGE = {"completion_tokens_details": {"reasoning_tokens": 0}}


def _usage(prompt: int, completion: int, **extra: Any) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        **extra,
    }


# scenario -> what the client must give: per choice (content, refusal, finish_reason), the
# tool calls of choice 0 as (id, name, parsed arguments), and the usage.
EXPECTED: dict[str, dict[str, Any]] = {
    "n2_stream_include_usage": {
        "id": "chatcmpl-wtC2ndJfhOiP3NlJL0uT3MQFx7LTt92B",
        "model": "/tmp/models/gemma-3-270m-q4_k_m.gguf",
        "choices": [
            ("<|im_end|>\n<|im_start", None, "length"),
            ("<|im_end|>user\nName a person.<", None, "length"),
        ],
        "usage": _usage(27, 12, prompt_tokens_details={"cached_tokens": 1}),
    },
    "stop_sequence": {
        "id": "chatcmpl-zPXc6LSjqnHJa3Bx0OuolFxm5RZlSKXa",
        "model": "/tmp/models/gemma-3-270m-q4_k_m.gguf",
        "choices": [
            (
                "Fill out the blanks with the correct form of the word in the box.\n\n"
                "<|im_start|>user\n1. When I was a child, I was very happy to have a pet",
                None,
                "length",
            )
        ],
        "usage": None,
    },
    "content_logprobs": {
        "id": "chatcmpl-ABfw5EzoqmfXjnnsXY7Yd8OC6tb3c",
        "choices": [("Foo!", None, "stop")],
        "logprobs": {"content": ["Foo", "!"]},
        "usage": _usage(9, 2, **OPENAI_USAGE),
    },
    "max_tokens_reached_length": {
        "id": "chatcmpl-ABfw3Oqj8RD0z6aJiiX37oTjV2HFh",
        "choices": [('{"', None, "length")],
        "usage": _usage(79, 1, **OPENAI_USAGE),
    },
    "multiple_parallel_tools": {
        "id": "chatcmpl-ABfwAwrNePHUgBBezonVC6MX3zd63",
        "choices": [(None, None, "tool_calls")],
        "tool_calls": [
            (
                "call_JMW1whyEaYG438VE1OIflxA2",
                "GetWeatherArgs",
                {"city": "Edinburgh", "country": "GB", "units": "c"},
            ),
            (
                "call_DNYTawLBoN8fj3KN6qU9N1Ou",
                "get_stock_price",
                {"ticker": "AAPL", "exchange": "NASDAQ"},
            ),
        ],
        "usage": _usage(149, 60, **OPENAI_USAGE),
    },
    "n3_multiple_choices": {
        "id": "chatcmpl-ABfw2KKFuVXmEJgVwYfBvejMAdWtq",
        "choices": [
            ('{"city":"San Francisco","temperature":65,"units":"f"}', None, "stop"),
            ('{"city":"San Francisco","temperature":61,"units":"f"}', None, "stop"),
            ('{"city":"San Francisco","temperature":59,"units":"f"}', None, "stop"),
        ],
        "usage": _usage(79, 42, **OPENAI_USAGE),
    },
    "non_pydantic_response_format": {
        "id": "chatcmpl-ABfwCjPMi0ubw56UyMIIeNfJzyogq",
        "choices": [(str, None, "stop")],
        "json_content": {"location": "San Francisco, CA", "temperature": "18°C"},
        "usage": _usage(19, 177, **OPENAI_USAGE),
    },
    "non_strict_tools": {
        "id": "chatcmpl-ABfwERreu9s99xXsVuOWtIB2UOx62",
        "choices": [(None, None, "tool_calls")],
        "tool_calls": [
            ("call_4XzlGBLtUe9dy3GVNV4jhq7h", "get_weather", {"city": "New York City"}),
        ],
        "usage": _usage(44, 16, **OPENAI_USAGE),
    },
    "parse_nothing": {
        "id": "chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL",
        "choices": [
            (
                "I'm unable to provide real-time weather updates. To get the current weather "
                "in San Francisco, I recommend checking a reliable weather website or a "
                "weather app.",
                None,
                "stop",
            )
        ],
        "usage": _usage(14, 30, **OPENAI_USAGE),
    },
    "parse_pydantic_model": {
        "id": "chatcmpl-ABfw1e5abtU8OwGr15vOreYVb2MiF",
        "choices": [('{"city":"San Francisco","temperature":61,"units":"f"}', None, "stop")],
        "usage": _usage(79, 14, **OPENAI_USAGE),
    },
    "pydantic_tool": {
        "id": "chatcmpl-ABfw8AOXnoa2kzy11vVTSjuQhHCQr",
        "choices": [(None, None, "tool_calls")],
        "tool_calls": [
            (
                "call_c91SqDXlYFuETYv8mUHzz6pp",
                "GetWeatherArgs",
                {"city": "Edinburgh", "country": "UK", "units": "c"},
            ),
        ],
        "usage": _usage(76, 24, **OPENAI_USAGE),
    },
    "refusal": {
        "id": "chatcmpl-ABfw4IfQfCCrcuybFm41wJyxjbkz7",
        "choices": [(None, "I'm sorry, I can't assist with that request.", "stop")],
        "usage": _usage(79, 11, **OPENAI_USAGE),
    },
    "refusal_logprobs": {
        "id": "chatcmpl-ABfw5GEVqPbLY576l46FZDQoNJ2KC",
        "choices": [(None, "I'm very sorry, but I can't assist with that.", "stop")],
        "logprobs": {
            "refusal": [
                "I'm",
                " very",
                " sorry",
                ",",
                " but",
                " I",
                " can't",
                " assist",
                " with",
                " that",
                ".",
            ]
        },
        "usage": _usage(79, 12, **OPENAI_USAGE),
    },
    "strict_tools": {
        "id": "chatcmpl-ABfwCgi41eStOcARjZq97ohCEGBPO",
        "choices": [(None, None, "tool_calls")],
        "tool_calls": [
            (
                "call_CTf1nWJLqSeRgDqaCG27xZ74",
                "get_weather",
                {"city": "San Francisco", "state": "CA"},
            ),
        ],
        "usage": _usage(48, 19, **OPENAI_USAGE),
    },
}


def scenario(path: Path) -> str:
    return path.stem.split("__")[0]


FILES = stream_files()


def test_every_recorded_stream_has_expectations():
    assert sorted(scenario(p) for p in FILES) == sorted(EXPECTED)


@pytest.fixture
async def client(loopback):
    async with ChatClient(loopback.base_url, sleep=FakeSleep()) as c:
        yield c


@pytest.mark.parametrize("piece", [None, 37], ids=["whole", "37-byte-pieces"])
@pytest.mark.parametrize("path", FILES, ids=scenario)
async def test_recorded_stream(loopback, client, path, piece):
    raw = path.read_bytes()
    body = [raw] if piece is None else split_every(raw, piece)
    loopback.enqueue(Reply(headers=SSE, body=body))
    acc, exchange = await client.chat(request())
    expected = EXPECTED[scenario(path)]

    assert acc.error is None, str(acc.error)
    assert acc.done  # every file ends with [DONE]
    assert acc.id == expected["id"]
    if "model" in expected:
        assert acc.model == expected["model"]
    result = acc.result()
    choices = result["choices"]
    assert [c["index"] for c in choices] == list(range(len(expected["choices"])))
    for got, (content, refusal, finish) in zip(choices, expected["choices"], strict=True):
        if content is str:
            assert isinstance(got["content"], str)
        else:
            assert got["content"] == content
        assert got["refusal"] == refusal
        assert got["finish_reason"] == finish
        assert got["reasoning"] is None
        assert got["function_call"] is None

    calls = choices[0]["tool_calls"]
    if "tool_calls" in expected:
        assert [
            (c["id"], c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls
        ] == expected["tool_calls"]
        assert [c["index"] for c in calls] == list(range(len(expected["tool_calls"])))
        assert all(c["type"] == "function" for c in calls)
    else:
        assert calls is None

    if "json_content" in expected:
        parsed = json.loads(choices[0]["content"])
        assert parsed["location"] == expected["json_content"]["location"]
        assert parsed["weather"]["temperature"] == expected["json_content"]["temperature"]

    for key, tokens in expected.get("logprobs", {}).items():
        assert [t["token"] for t in choices[0]["logprobs"][key]] == tokens

    assert acc.usage == expected["usage"]
    if expected["usage"]:
        assert acc.completion_tokens == expected["usage"]["completion_tokens"]

    # The raw bytes are exactly the file.
    assert exchange.response_body == raw
    assert exchange.response_sha256 == hashlib.sha256(raw).hexdigest()
    assert len(loopback.requests) == 1


async def test_llama_server_sends_one_usage_chunk_per_choice(loopback, client):
    (path,) = [p for p in FILES if scenario(p) == "n2_stream_include_usage"]
    raw = path.read_bytes()
    usage_chunks = [
        json.loads(line[6:])
        for line in raw.decode().splitlines()
        if line.startswith("data: {") and '"usage"' in line
    ]
    # Two usage chunks (one per choice), each with choices: [] and llama-server timings.
    assert len(usage_chunks) == 2
    assert all(c["choices"] == [] for c in usage_chunks)

    loopback.enqueue(Reply(headers=SSE, body=[raw]))
    acc, exchange = await client.chat(request(n=2, stream_options={"include_usage": True}))
    assert acc.error is None
    assert acc.usage == usage_chunks[-1]["usage"]
    # The llama-server timings (not shown, not parsed) stay in the raw exchange.
    assert exchange.response_body == raw
    assert usage_chunks[-1]["timings"]["predicted_ms"] == 496.076


async def test_stop_sequence_stream_first_delta_has_null_content(loopback, client):
    (path,) = [p for p in FILES if scenario(p) == "stop_sequence"]
    raw = path.read_bytes()
    first = json.loads(raw.decode().split("\n", 1)[0][6:])
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": None}

    loopback.enqueue(Reply(headers=SSE, body=[raw]))
    acc, _ = await client.chat(request())
    assert acc.choices[0].role == "assistant"
    assert acc.choices[0].content.startswith("Fill out the blanks")
