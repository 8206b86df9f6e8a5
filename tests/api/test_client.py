"""ChatClient over real HTTP on 127.0.0.1: auth, retries, timeouts, raw bytes, model lists."""

from __future__ import annotations

import email.utils
import hashlib
import json
import socket
from datetime import UTC, datetime, timedelta

import pytest

from tests.api import SSE, FakeSleep, chunk, request, text_stream
from tests.loopback import Reply, split_every, sse
from tests.refdata import http_file, request_validator
from tui.api.accumulate import StreamAccumulator
from tui.api.client import ChatClient, Exchange, retry_delay
from tui.api.schema import validate_request


@pytest.fixture
def fake_sleep():
    return FakeSleep()


@pytest.fixture
async def make_client(loopback, fake_sleep):
    clients: list[ChatClient] = []

    def make(**kw) -> ChatClient:
        kw.setdefault("sleep", fake_sleep)
        kw.setdefault("key_env", "TEST_KEY")
        client = ChatClient(kw.pop("base_url", loopback.base_url), **kw)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def _error(status: int, message: str = "boom", **headers: str) -> Reply:
    return Reply.json(
        {"error": {"message": message, "type": "server_error", "code": None}},
        status=status,
        headers=list(headers.items()),
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _hang_up(_request):
    # The server closes the connection before writing any response.
    raise ConnectionResetError


COMPLETION = {
    "id": "chatcmpl-full",
    "object": "chat.completion",
    "created": 1727346170,
    "model": "test-model",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello there!"},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
}


# ---------------------------------------------------------------------------------------
# Requests and authentication


async def test_bearer_header_sent_when_a_key_is_set(loopback, make_client):
    loopback.enqueue(Reply.sse(text_stream("Hi")))
    client = make_client(api_key="sk-test-123")
    acc, exchange = await client.chat(request())
    assert acc.error is None
    assert loopback.requests[0].headers["authorization"] == "Bearer sk-test-123"
    # The key is never kept in what the raw view shows.
    assert {k.lower(): v for k, v in exchange.request_headers}["authorization"] == "<redacted>"
    assert "sk-test-123" not in repr(exchange.request_headers)
    assert "sk-test-123" not in repr(client)


@pytest.mark.parametrize("key", [None, ""])
async def test_no_authorization_header_without_a_key(loopback, make_client, key):
    loopback.enqueue(Reply.sse(text_stream("Hi")))
    client = make_client(api_key=key)
    acc, _ = await client.chat(request())
    assert acc.error is None
    assert "authorization" not in loopback.requests[0].headers
    assert not client.has_key


async def test_request_line_headers_and_body(loopback, make_client):
    loopback.enqueue(Reply.sse(text_stream("Hi")))
    chat_request = validate_request(
        request(temperature=0.3, stream_options={"include_usage": True}, seed=7)
    )
    acc, exchange = await make_client().chat(chat_request)
    sent = loopback.requests[0]
    assert sent.method == "POST"
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["accept"] == "text/event-stream"
    assert sent.json() == chat_request.body()
    request_validator()(sent.json())
    assert exchange.url == f"{loopback.base_url}/chat/completions"
    assert exchange.method == "POST"


async def test_a_non_stream_request_does_not_ask_for_an_event_stream(loopback, make_client):
    loopback.enqueue(Reply.json(COMPLETION))
    acc, _ = await make_client().chat(request(stream=False))
    assert acc.error is None
    assert loopback.requests[0].headers.get("accept") != "text/event-stream"
    assert "stream" not in loopback.requests[0].json()
    assert acc.choices[0].content == "Hello there!"


# ---------------------------------------------------------------------------------------
# Retries


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
async def test_retried_statuses_then_success(loopback, make_client, fake_sleep, status):
    loopback.enqueue(_error(status), _error(status), Reply.sse(text_stream("Finally here")))
    acc, exchange = await make_client().chat(request())
    assert acc.error is None
    assert acc.choices[0].content == "Finally here"
    assert len(loopback.requests) == 3
    assert exchange.attempts == 3
    assert exchange.status == 200
    assert len(fake_sleep.delays) == 2
    # Every attempt sent the same bytes.
    assert {r.body for r in loopback.requests} == {exchange.request_body}


@pytest.mark.parametrize("max_retries", [0, 1, 2, 4])
async def test_at_most_max_retries(loopback, make_client, fake_sleep, max_retries):
    loopback.route("/chat/completions", _error(503, "overloaded"))
    acc, exchange = await make_client(max_retries=max_retries).chat(request())
    assert len(loopback.requests) == max_retries + 1
    assert len(fake_sleep.delays) == max_retries
    assert exchange.attempts == max_retries + 1
    assert acc.error is not None
    assert acc.error.status == 503
    assert acc.error.message == "overloaded"
    assert acc.finished


async def test_default_is_two_retries(loopback, make_client):
    loopback.route("/chat/completions", _error(500))
    client = make_client()
    assert client.max_retries == 2
    await client.chat(request())
    assert len(loopback.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_client_errors_are_not_retried(loopback, make_client, fake_sleep, status):
    loopback.route("/chat/completions", _error(status, "no"))
    acc, exchange = await make_client().chat(request())
    assert len(loopback.requests) == 1
    assert fake_sleep.delays == []
    assert acc.error.status == status
    assert exchange.attempts == 1


async def test_401_error_names_the_key_variable(loopback, make_client):
    loopback.enqueue(_error(401, "Invalid API key provided"))
    acc, _ = await make_client(key_env="MY_PROVIDER_KEY").chat(request())
    assert acc.error.status == 401
    assert "MY_PROVIDER_KEY" in str(acc.error)


async def test_retry_after_seconds(loopback, make_client, fake_sleep):
    loopback.enqueue(_error(429, **{"Retry-After": "3"}), Reply.sse(text_stream("ok")))
    acc, _ = await make_client().chat(request())
    assert acc.error is None
    assert fake_sleep.delays == [3.0]


async def test_retry_after_ms(loopback, make_client, fake_sleep):
    loopback.enqueue(
        _error(429, **{"retry-after-ms": "250", "Retry-After": "9"}),
        _error(503, **{"retry-after-ms": "1500"}),
        Reply.sse(text_stream("ok")),
    )
    acc, _ = await make_client().chat(request())
    assert acc.error is None
    assert fake_sleep.delays == [0.25, 1.5]


async def test_retry_after_http_date(loopback, make_client, fake_sleep):
    when = datetime.now(UTC) + timedelta(seconds=30)
    date = email.utils.format_datetime(when, usegmt=True)
    loopback.enqueue(_error(503, **{"Retry-After": date}), Reply.sse(text_stream("ok")))
    await make_client().chat(request())
    assert len(fake_sleep.delays) == 1
    assert 20 < fake_sleep.delays[0] <= 31


async def test_without_retry_after_the_backoff_grows(loopback, make_client, fake_sleep):
    loopback.route("/chat/completions", _error(500))
    await make_client(max_retries=3).chat(request())
    first, second, third = fake_sleep.delays
    assert 0.375 <= first <= 0.5
    assert 0.75 <= second <= 1.0
    assert 1.5 <= third <= 2.0


@pytest.mark.parametrize("value", ["1000", "-1", "soon"])
async def test_unreasonable_retry_after_falls_back_to_backoff(
    loopback, make_client, fake_sleep, value
):
    loopback.enqueue(_error(429, **{"Retry-After": value}), Reply.sse(text_stream("ok")))
    await make_client().chat(request())
    assert len(fake_sleep.delays) == 1
    assert 0.375 <= fake_sleep.delays[0] <= 0.5


def test_retry_delay_is_capped():
    for attempt in range(10):
        assert 0 < retry_delay(attempt) <= 8.0


async def test_x_should_retry_header(loopback, make_client, fake_sleep):
    loopback.enqueue(_error(400, **{"x-should-retry": "true"}), Reply.sse(text_stream("ok")))
    acc, _ = await make_client().chat(request())
    assert acc.error is None
    assert len(loopback.requests) == 2

    loopback.enqueue(_error(503, **{"x-should-retry": "false"}))
    acc, _ = await make_client().chat(request())
    assert acc.error.status == 503
    assert len(loopback.requests) == 3


async def test_connection_refused_is_retried_then_reported(make_client, fake_sleep):
    port = _closed_port()
    client = make_client(base_url=f"http://127.0.0.1:{port}/v1")
    notices: list[str] = []
    acc = StreamAccumulator()
    acc.set_notice = notices.append  # what the meta line shows while a retry waits
    acc, exchange = await client.chat(request(), acc)
    assert acc.error is not None
    assert acc.error.kind == "connection"
    assert f"connection to 127.0.0.1:{port} failed" in acc.error.message
    assert len(fake_sleep.delays) == 2
    assert [n.split(" · ")[-1] for n in notices[:2]] == [
        f"retrying in {fake_sleep.delays[0]:.1f} s (1/2)",
        f"retrying in {fake_sleep.delays[1]:.1f} s (2/2)",
    ]
    assert notices[-1] == ""
    assert exchange.attempts == 3
    assert exchange.status is None
    assert acc.finished


async def test_a_hang_up_before_the_response_is_retried(loopback, make_client, fake_sleep):
    loopback.enqueue(_hang_up, Reply.sse(text_stream("after a hang-up")))
    acc, exchange = await make_client().chat(request())
    assert acc.error is None
    assert acc.choices[0].content == "after a hang-up"
    assert len(loopback.requests) == 2
    assert len(fake_sleep.delays) == 1
    assert exchange.attempts == 2


async def test_a_stream_is_never_retried_once_started(loopback, make_client, fake_sleep):
    events = [chunk(role="assistant", content=""), chunk(content="Partial"), chunk(content=" text")]
    loopback.route("/chat/completions", Reply.sse(events, drop=True))
    acc, exchange = await make_client().chat(request())
    assert len(loopback.requests) == 1
    assert fake_sleep.delays == []
    assert exchange.attempts == 1
    assert acc.error is not None
    assert acc.error.kind == "connection"
    assert "dropped" in acc.error.message
    assert acc.choices[0].content == "Partial text"
    assert acc.choices[0].finish_reason is None
    assert acc.finished


async def test_a_stalled_stream_times_out_keeping_the_partial_text(loopback, make_client):
    events = [chunk(role="assistant", content=""), chunk(content="Half an")]
    loopback.route("/chat/completions", Reply.sse(events, stall=3))
    acc, exchange = await make_client(read_timeout=0.3).chat(request())
    assert acc.error is not None
    assert acc.error.kind == "timeout"
    assert "timed out" in str(acc.error)
    assert acc.choices[0].content == "Half an"
    assert len(loopback.requests) == 1
    assert exchange.response_body == b"".join(sse(events))
    assert not exchange.complete


async def test_a_silent_server_times_out(loopback, make_client, fake_sleep):
    # Headers arrive, then nothing at all: a timeout, not a hang.
    loopback.route("/chat/completions", Reply(headers=SSE, body=[], stall=3))
    acc, _ = await make_client(read_timeout=0.3).chat(request())
    assert acc.error.kind == "timeout"
    assert acc.choices == {}


# ---------------------------------------------------------------------------------------
# Raw bytes of the exchange


@pytest.mark.parametrize("framing", ["chunked", "length", "close"])
async def test_raw_bytes_and_sha256(loopback, make_client, framing):
    pieces = split_every(b"".join(sse(text_stream("Bonjour à tous 👋 ça va ?"))), 7)
    loopback.enqueue(Reply(headers=SSE, body=pieces, framing=framing))
    client = make_client()
    acc, exchange = await client.chat(request(temperature=0.5))
    assert acc.error is None
    assert acc.choices[0].content == "Bonjour à tous 👋 ça va ?"
    assert client.last_exchange is exchange
    sent = b"".join(pieces)
    assert exchange.response_body == sent
    assert exchange.response_size == len(sent)
    assert exchange.response_sha256 == hashlib.sha256(sent).hexdigest()
    assert exchange.request_body == loopback.requests[0].body
    assert exchange.request_sha256 == hashlib.sha256(loopback.requests[0].body).hexdigest()
    assert json.loads(exchange.request_body) == request(temperature=0.5)
    assert exchange.complete
    assert not exchange.truncated
    assert exchange.status == 200
    assert exchange.header("content-type") == "text/event-stream"


async def test_raw_bytes_of_a_json_reply(loopback, make_client):
    reply = Reply.json(COMPLETION, headers=[("x-request-id", "req_9")])
    loopback.enqueue(reply)
    acc, exchange = await make_client().chat(request(stream=False))
    assert exchange.response_body == reply.body
    assert exchange.response_sha256 == hashlib.sha256(reply.body).hexdigest()
    assert exchange.header("X-Request-ID") == "req_9"


async def test_raw_bytes_are_those_of_the_last_attempt(loopback, make_client):
    final = b"".join(sse(text_stream("second time")))
    loopback.enqueue(_error(500, "first"), Reply(headers=SSE, body=final))
    acc, exchange = await make_client().chat(request())
    assert exchange.attempts == 2
    assert exchange.response_body == final
    assert exchange.response_sha256 == hashlib.sha256(final).hexdigest()


async def test_raw_bytes_of_an_error_reply(loopback, make_client):
    reply = _error(400, "bad temperature")
    loopback.enqueue(reply)
    acc, exchange = await make_client().chat(request())
    assert exchange.status == 400
    assert exchange.response_body == reply.body
    assert exchange.response_sha256 == hashlib.sha256(reply.body).hexdigest()
    assert acc.error.message == "bad temperature"


def test_raw_bytes_are_bounded_but_hashed_whole():
    body = b"".join(sse(text_stream("word " * 400)))
    exchange = Exchange(limit=100)
    for piece in split_every(body, 64):
        exchange.record(piece)
    assert exchange.truncated
    assert exchange.response_body == body[:100]
    assert exchange.response_size == len(body)
    assert exchange.response_sha256 == hashlib.sha256(body).hexdigest()
    exchange.reset_response()
    assert exchange.response_body == b""
    assert exchange.response_sha256 == hashlib.sha256(b"").hexdigest()


async def test_stream_error_keeps_the_request_id(loopback, make_client):
    events = [chunk(content="Hi"), {"error": {"message": "overloaded", "type": "server_error"}}]
    loopback.enqueue(Reply(headers=[*SSE, ("x-request-id", "req_stream")], body=sse(events)))
    acc, _ = await make_client().chat(request())
    assert acc.error.kind == "stream"
    assert acc.error.request_id == "req_stream"


# ---------------------------------------------------------------------------------------
# A JSON reply where a stream was asked, and other content types


async def test_full_completion_where_a_stream_was_asked(loopback, make_client):
    loopback.enqueue(Reply.json(COMPLETION))
    acc, _ = await make_client().chat(request(stream=True))
    assert acc.error is None
    assert acc.done
    assert acc.id == "chatcmpl-full"
    assert acc.choices[0].content == "Hello there!"
    assert acc.choices[0].finish_reason == "stop"
    assert acc.usage == {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}


@pytest.mark.parametrize(
    ("body", "message", "code"),
    [
        ({"error": {"message": "model not loaded", "code": 503}}, "model not loaded", 503),
        (
            {"error": {"message": "quota", "code": "insufficient_quota"}},
            "quota",
            "insufficient_quota",
        ),
        ({"error": "Failed to fetch models"}, "Failed to fetch models", None),
    ],
)
async def test_error_json_with_status_200_where_a_stream_was_asked(
    loopback, make_client, body, message, code
):
    loopback.enqueue(Reply.json(body))
    acc, _ = await make_client().chat(request(stream=True))
    assert acc.error is not None
    assert acc.error.message == message
    assert acc.error.code == code
    assert acc.choices == {}


async def test_an_event_stream_with_the_wrong_content_type(loopback, make_client):
    body = b"".join(sse(text_stream("plain but sse")))
    # The space after "data:" is optional.
    body = body.replace(b"data: {", b"data:{", 2)
    loopback.enqueue(Reply(headers=[("Content-Type", "text/plain")], body=body))
    acc, _ = await make_client().chat(request())
    assert acc.error is None
    assert acc.choices[0].content == "plain but sse"
    assert acc.choices[0].finish_reason == "stop"


@pytest.mark.parametrize(("body", "says"), [(b"<html>oops</html>", "not JSON"), (b"", "empty")])
async def test_a_200_reply_that_is_not_json(loopback, make_client, body, says):
    loopback.enqueue(Reply(headers=[("Content-Type", "text/html")], body=body, framing="length"))
    acc, _ = await make_client().chat(request(stream=False))
    assert acc.error.kind == "protocol"
    assert says in acc.error.message


async def test_on_update_is_called_as_events_arrive(loopback, make_client):
    loopback.enqueue(Reply.sse(text_stream("one two three")))
    seen: list[str] = []
    acc, _ = await make_client().chat(
        request(), on_update=lambda a: seen.append(a.choices[0].content if a.choices else "")
    )
    assert "one" in seen
    assert "one two" in seen
    assert seen[-1] == "one two three"


# ---------------------------------------------------------------------------------------
# Model lists


async def test_openai_model_list(loopback, make_client):
    loopback.route(
        "/models",
        Reply.json(
            {
                "object": "list",
                "data": [
                    {
                        "id": "gpt-4o",
                        "object": "model",
                        "created": 1715367049,
                        "owned_by": "system",
                    },
                    {
                        "id": "gpt-4o-mini",
                        "object": "model",
                        "created": 1721172741,
                        "owned_by": "x",
                    },
                ],
            }
        ),
    )
    models = await make_client(api_key="sk-1").list_models()
    assert [m.id for m in models] == ["gpt-4o", "gpt-4o-mini"]
    assert models[0].owned_by == "system"
    assert models[0].context_length is None
    sent = loopback.requests[0]
    assert sent.method == "GET"
    assert sent.path == "/v1/models"
    assert sent.headers["authorization"] == "Bearer sk-1"


async def test_redpill_model_list(loopback, make_client):
    entry = {
        "id": "phala/qwen-2.5-7b-instruct",
        "name": "Qwen 2.5 7B Instruct",
        "created": 1733760000,
        "input_modalities": ["text"],
        "output_modalities": ["text"],
        "context_length": 32768,
        "max_output_length": 8192,
        "pricing": {"prompt": "0.00000004", "completion": "0.0000001"},
        "supported_parameters": ["temperature", "top_p", "seed"],
        "is_tee": True,
        "providers": ["phala"],
        "description": "Runs in a TEE",
        "metadata": {"appid": "abc"},
    }
    plain = {"id": "openai/gpt-4o", "context_length": 128000, "pricing": {"prompt": "0.0000025"}}
    loopback.route("/models", Reply.json({"data": [entry, plain]}))
    models = await make_client().list_models()
    first, second = models
    assert first.id == "phala/qwen-2.5-7b-instruct"
    assert first.name == "Qwen 2.5 7B Instruct"
    assert first.context_length == 32768
    assert first.max_output_length == 8192
    assert first.pricing == {"prompt": "0.00000004", "completion": "0.0000001"}
    assert first.is_tee is True
    assert first.supported_parameters == ["temperature", "top_p", "seed"]
    assert second.is_tee is None
    assert second.context_length == 128000


async def test_llama_server_model_list(loopback, make_client):
    status, headers, body = http_file("llama-server/models.http")
    ctype = next(v for k, v in headers if k.lower() == "content-type")
    loopback.route("/models", Reply(status, [("Content-Type", ctype)], body=body, framing="length"))
    models = await make_client().list_models()
    assert len(models) == 1
    assert models[0].id == "/tmp/models/gemma-3-270m-q4_k_m.gguf"
    assert models[0].owned_by == "llamacpp"
    assert models[0].context_length == 2048  # from meta.n_ctx


async def test_a_bare_list_of_models(loopback, make_client):
    loopback.route("/models", Reply.json([{"id": "a"}, {"id": "b"}]))
    assert [m.id for m in await make_client().list_models()] == ["a", "b"]


async def test_model_list_error_is_raised(loopback, make_client, fake_sleep):
    from tui.api.errors import APIError

    loopback.route("/models", Reply.json({"error": "Failed to fetch models"}, status=500))
    with pytest.raises(APIError) as info:
        await make_client().list_models()
    assert info.value.status == 500
    assert info.value.message == "Failed to fetch models"
    assert len(loopback.requests) == 3  # retried like any 5xx

    loopback.route("/models", _error(401, "Invalid API key provided"))
    with pytest.raises(APIError) as info:
        await make_client().list_models()
    assert info.value.status == 401
    assert "TEST_KEY" in str(info.value)


async def test_model_list_that_is_not_json(loopback, make_client):
    from tui.api.errors import APIError

    loopback.route("/models", Reply(headers=[("Content-Type", "text/html")], body=b"<html>"))
    with pytest.raises(APIError) as info:
        await make_client().list_models()
    assert info.value.kind == "protocol"


async def test_get_json(loopback, make_client):
    loopback.route("/signature/chatcmpl-1", Reply.json({"text": "a:b", "signature": "0x1"}))
    obj, exchange = await make_client().get_json(
        "signature/chatcmpl-1", {"model": "m", "signing_algo": "ecdsa"}
    )
    assert obj == {"text": "a:b", "signature": "0x1"}
    assert loopback.requests[0].query == {"model": "m", "signing_algo": "ecdsa"}
    assert exchange.response_sha256 == hashlib.sha256(exchange.response_body).hexdigest()
