"""The suite's structural checks against a real llama.cpp ``llama-server`` (a 270M model).

These assert the shape of what comes back, never the model's words. Every request body
sent is checked against the OpenAI ``CreateChatCompletionRequest`` schema, except the one
that is invalid on purpose. Generation is kept short (a few to 24 tokens) so the tier
stays quick on two cores.

What llama-server does differently from OpenAI is pinned where it matters to us:
the first delta carries ``content: null``, ``n > 1`` streams send one usage chunk per
choice, chunks and bodies carry a ``timings`` object, the model id is the ``-m`` path.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.refdata import request_validator
from tui.api.accumulate import StreamAccumulator
from tui.api.client import ChatClient, Exchange
from tui.api.errors import APIError
from tui.api.schema import ChatRequest, InvalidParameter
from tui.core.params import build_request

pytestmark = pytest.mark.live

PROMPT = "Say hello."
CHAT_KEYS = {"id", "model", "system_fingerprint", "choices", "usage", "error", "timings"}
CHOICE_KEYS = {
    "index",
    "content",
    "refusal",
    "reasoning",
    "tool_calls",
    "function_call",
    "finish_reason",
}
FINISHED = ("stop", "length")


# -- helpers ---------------------------------------------------------------------------


def request(server, prompt: str = PROMPT, **params: Any) -> ChatRequest:
    """A request built the way the app builds one (so our validator passes it too)."""
    return build_request(
        model=server.model, messages=[{"role": "user", "content": prompt}], params=params
    )


async def send(
    client: ChatClient, req: ChatRequest | dict[str, Any], *, valid: bool = True
) -> tuple[StreamAccumulator, Exchange]:
    acc, exchange = await client.chat(req)
    if valid:
        request_validator()(json.loads(exchange.request_body))
    return acc, exchange


def sse_data(raw: bytes) -> list[str]:
    """The ``data`` payloads of an event-stream body, in order."""
    out = []
    for block in raw.decode("utf-8").replace("\r\n", "\n").split("\n\n"):
        lines = [ln[5:].removeprefix(" ") for ln in block.split("\n") if ln.startswith("data:")]
        if lines:
            out.append("\n".join(lines))
    return out


def chunks(raw: bytes) -> list[dict[str, Any]]:
    return [json.loads(d) for d in sse_data(raw) if d != "[DONE]"]


def assert_ok(acc: StreamAccumulator, server) -> None:
    assert acc.error is None, f"unexpected error: {acc.error}\n{server.log_tail(15)}"
    assert acc.done and acc.finished and not acc.cancelled
    assert acc.id and acc.id.startswith("chatcmpl-")
    assert acc.model == server.model
    assert isinstance(acc.created, int) and acc.created > 0
    assert acc.system_fingerprint  # llama-server sends "b<build>-<commit>"


def assert_usage(usage: dict[str, Any] | None, *, max_completion: int) -> None:
    assert isinstance(usage, dict), usage
    assert usage["prompt_tokens"] > 0
    assert 1 <= usage["completion_tokens"] <= max_completion
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def cli_command() -> list[str]:
    """The installed ``redpill-tui`` console script (beside the running Python)."""
    name = "redpill-tui.exe" if os.name == "nt" else "redpill-tui"
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("redpill-tui")
    return [found] if found else [sys.executable, "-m", "tui"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cli_command(), *args],
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
    )


# -- models ----------------------------------------------------------------------------


async def test_list_models(client, llama_server):
    models = await client.list_models()
    assert [m.id for m in models] == [llama_server.model]
    (model,) = models
    # The id is the -m path, as given on the command line.
    assert model.id == str(llama_server.model_path)
    assert model.owned_by == "llamacpp"
    # meta.n_ctx is the context of one slot: --ctx-size 4096 over -np 4.
    assert model.context_length == 1024


def test_models_command(llama_server):
    proc = run_cli("models", "--base-url", llama_server.base_url, "--json")
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    assert [m["id"] for m in listed] == [llama_server.model]
    assert listed[0]["context_length"] == 1024

    proc = run_cli("models", "--base-url", llama_server.base_url)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines()]
    assert [r[:2] for r in rows if r and r[0] == llama_server.model] == [
        [llama_server.model, "1024"]
    ]


# -- chat ------------------------------------------------------------------------------


async def test_streamed_reply(client, llama_server):
    req = request(llama_server, max_tokens=12, stream=True, stream_options={"include_usage": True})
    acc, exchange = await send(client, req)
    assert_ok(acc, llama_server)
    assert exchange.status == 200
    assert (exchange.header("content-type") or "").startswith("text/event-stream")
    assert list(acc.choices) == [0]
    choice = acc.choices[0]
    assert choice.role == "assistant"
    assert choice.content
    assert choice.finish_reason in FINISHED
    assert choice.deltas >= 1
    assert_usage(acc.usage, max_completion=12)
    assert acc.timings.ttft is not None and acc.timings.total >= acc.timings.ttft
    # llama-server's own timings ride along on the last chunk (kept in the raw exchange).
    last = chunks(exchange.response_body)[-1]
    assert last["timings"]["predicted_n"] == acc.usage["completion_tokens"]

    events = chunks(exchange.response_body)
    assert sse_data(exchange.response_body)[-1] == "[DONE]"
    # The first delta says only the role, with content null (OpenAI sends content "").
    assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": None}
    # The usage chunk has no choices, as OpenAI's does.
    usage_chunks = [e for e in events if e.get("usage")]
    assert len(usage_chunks) == 1 and usage_chunks[0]["choices"] == []
    assert all(e["object"] == "chat.completion.chunk" for e in events)
    assert len({e["id"] for e in events}) == 1


async def test_non_streamed_reply(client, llama_server):
    acc, exchange = await send(client, request(llama_server, max_tokens=12))
    assert_ok(acc, llama_server)
    assert (exchange.header("content-type") or "").startswith("application/json")
    body = json.loads(exchange.response_body)
    assert body["object"] == "chat.completion"
    assert isinstance(body["timings"], dict)
    choice = acc.choices[0]
    assert choice.role == "assistant" and choice.content
    assert choice.finish_reason in FINISHED
    assert_usage(acc.usage, max_completion=12)
    assert choice.to_dict()["content"] == body["choices"][0]["message"]["content"]


async def test_two_choices_streamed_interleaved(client, llama_server):
    req = request(
        llama_server, max_tokens=8, n=2, stream=True, stream_options={"include_usage": True}
    )
    acc, exchange = await send(client, req)
    assert_ok(acc, llama_server)
    assert sorted(acc.choices) == [0, 1]
    for choice in acc.ordered():
        assert choice.role == "assistant"
        assert choice.content
        assert choice.finish_reason in FINISHED

    events = chunks(exchange.response_body)
    order = [c["index"] for e in events for c in e["choices"]]
    assert set(order) == {0, 1}
    # One usage chunk per choice, each counting that choice alone (OpenAI sends one for
    # the request); the accumulator keeps the last.
    usage_chunks = [e["usage"] for e in events if e.get("usage")]
    assert len(usage_chunks) == 2
    for usage in usage_chunks:
        assert_usage(usage, max_completion=8)
    assert acc.usage == usage_chunks[-1]


async def test_max_tokens_gives_length(client, llama_server):
    acc, _ = await send(client, request(llama_server, max_tokens=3, temperature=0))
    assert_ok(acc, llama_server)
    assert acc.choices[0].finish_reason == "length"
    assert acc.usage["completion_tokens"] == 3

    req = request(llama_server, max_tokens=3, temperature=0, stream=True)
    acc, exchange = await send(client, req)
    assert_ok(acc, llama_server)
    assert acc.choices[0].finish_reason == "length"
    # Without include_usage no usage chunk comes, but timings still do.
    assert acc.usage is None
    assert chunks(exchange.response_body)[-1]["timings"]["predicted_n"] == 3


async def test_stop_sequence(client, llama_server):
    base = {"max_tokens": 16, "temperature": 0, "seed": 7}
    acc, _ = await send(client, request(llama_server, **base))
    assert_ok(acc, llama_server)
    text = acc.choices[0].content
    assert len(text) >= 4, f"too little text to cut: {text!r}"
    # A stop sequence from the middle of the greedy reply: the same reply ends just before it.
    start = len(text) // 3
    stop = text[start : start + 3]
    if not stop.strip():
        stop = text[start : start + 4]
    cut = text.find(stop)

    for stream in (False, True):
        acc, _ = await send(client, request(llama_server, stop=[stop], stream=stream, **base))
        assert_ok(acc, llama_server)
        choice = acc.choices[0]
        assert choice.finish_reason == "stop"
        assert stop not in choice.content
        assert choice.content == text[:cut]


async def test_seed_and_temperature_zero_repeat(client, llama_server):
    params = {"max_tokens": 16, "temperature": 0, "seed": 1234}
    texts = []
    for stream in (False, False, True):
        acc, _ = await send(
            client, request(llama_server, "Tell me a story.", stream=stream, **params)
        )
        assert_ok(acc, llama_server)
        assert acc.choices[0].finish_reason in FINISHED
        texts.append(acc.choices[0].content)
    assert texts[0], texts
    assert texts[0] == texts[1] == texts[2]


async def test_invalid_parameter_is_a_typed_400(client, llama_server):
    body = {
        "model": llama_server.model,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": 4,
        "temperature": "hot",
        "stream": True,
    }
    # Invalid on purpose: both the reference schema and our own validator refuse it.
    with pytest.raises(AssertionError):
        request_validator()(body)
    with pytest.raises(InvalidParameter):
        build_request(model=body["model"], messages=body["messages"], params=body)

    acc, exchange = await send(client, body, valid=False)
    assert json.loads(exchange.request_body) == body
    assert exchange.status == 400 and exchange.attempts == 1
    err = acc.error
    assert isinstance(err, APIError)
    assert err.kind == "http" and err.status == 400
    assert err.type == "invalid_request_error"
    assert err.code == 400  # llama-server repeats the status as an integer code
    assert "temperature" in err.message and "number" in err.message
    assert err.param is None  # llama-server names the field only inside the message
    assert acc.choices == {} and acc.finished and not acc.done
    assert "HTTP 400" in str(err)
    raw = json.loads(exchange.response_body)
    assert raw == {"error": {"code": 400, "message": err.message, "type": err.type}}


async def test_response_format_json_object(client, llama_server):
    req = request(
        llama_server,
        "Is the sky blue? Answer in JSON.",
        max_tokens=24,
        temperature=0,
        response_format={"type": "json_object"},
    )
    acc, _ = await send(client, req)
    assert_ok(acc, llama_server)
    # llama-server enforces JSON mode with a grammar: the reply is (the start of) an object.
    choice = acc.choices[0]
    assert choice.content.lstrip().startswith("{")
    assert choice.finish_reason in FINISHED
    if choice.finish_reason == "stop":
        assert isinstance(json.loads(choice.content), dict)

    # json_schema is honoured too, and a small schema completes well inside the budget.
    schema = {
        "type": "object",
        "properties": {"ok": {"type": "boolean"}},
        "required": ["ok"],
        "additionalProperties": False,
    }
    req = request(
        llama_server,
        "Is the sky blue? Answer in JSON.",
        max_tokens=24,
        temperature=0,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "answer", "strict": True, "schema": schema},
        },
    )
    acc, _ = await send(client, req)
    assert_ok(acc, llama_server)
    assert acc.choices[0].finish_reason == "stop"
    answer = json.loads(acc.choices[0].content)
    assert set(answer) == {"ok"} and isinstance(answer["ok"], bool)


async def test_raw_exchange_bytes(client, llama_server):
    req = request(llama_server, max_tokens=8, stream=True, stream_options={"include_usage": True})
    acc, exchange = await send(client, req)
    assert_ok(acc, llama_server)
    assert client.last_exchange is exchange
    assert exchange.complete and not exchange.truncated
    raw = exchange.response_body
    assert exchange.response_size == len(raw) > 0
    assert exchange.response_sha256 == hashlib.sha256(raw).hexdigest()
    assert exchange.request_sha256 == hashlib.sha256(exchange.request_body).hexdigest()
    assert json.loads(exchange.request_body) == req.body()
    assert exchange.url == f"{llama_server.base_url}/chat/completions"

    # The recorded bytes alone rebuild the same reply.
    replay = StreamAccumulator()
    for data in sse_data(raw):
        replay.feed_event(data)
    replay.finish()
    assert replay.error is None and replay.done
    assert replay.result()["choices"] == acc.result()["choices"]
    assert replay.usage == acc.usage and replay.id == acc.id


# -- the headless command --------------------------------------------------------------


def test_ask_json_command(llama_server):
    proc = run_cli(
        "ask",
        "--json",
        "--base-url",
        llama_server.base_url,
        "-m",
        llama_server.model,
        "-p",
        "max_tokens=8",
        "hi",
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    result = json.loads(lines[0])
    assert set(result) >= CHAT_KEYS
    assert result["error"] is None
    assert result["id"].startswith("chatcmpl-")
    assert result["model"] == llama_server.model
    assert result["system_fingerprint"]
    (choice,) = result["choices"]
    assert set(choice) >= CHOICE_KEYS
    assert choice["index"] == 0
    assert isinstance(choice["content"], str) and choice["content"]
    assert choice["refusal"] is None and choice["reasoning"] is None
    assert choice["tool_calls"] is None and choice["function_call"] is None
    assert choice["finish_reason"] in FINISHED
    # ask streams without include_usage unless told; llama-server then sends no usage.
    if result["usage"] is not None:
        assert_usage(result["usage"], max_completion=8)
    timings = result["timings"]
    assert {"ttft_s", "total_s", "tokens_per_s", "completion_tokens"} <= set(timings)
    assert 1 <= timings["completion_tokens"] <= 8

    # The body ask sent, rebuilt the way ask builds it, is a valid request.
    body = build_request(
        model=llama_server.model,
        messages=[{"role": "user", "content": "hi"}],
        params={"max_tokens": 8, "stream": True},
    ).body()
    request_validator()(body)
