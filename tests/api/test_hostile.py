"""Hostile servers, over real HTTP on 127.0.0.1: surrogates split across chunks, errors
inside 200 responses, redirects to another origin, keys echoed back."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.api import SSE, FakeSleep, chunk, request, text_stream
from tests.loopback import LoopbackServer, Reply, sse
from tui.api.client import ChatClient
from tui.api.errors import APIError
from tui.api.redact import (
    REDACTED,
    Redactor,
    is_loopback_host,
    is_secret_header,
    plain_http_warning,
)
from tui.api.textfix import SurrogateJoiner, has_surrogates

SECRET = "sk-hostile-Xy7Qp2TopSecret99"
HEADER_SECRET = "goog-Secret-Value-7731"


@pytest.fixture
async def client(loopback):
    async with ChatClient(
        loopback.base_url, sleep=FakeSleep(), read_timeout=5, key_env="TEST_KEY"
    ) as c:
        yield c


@pytest.fixture
def other_server():
    """A second server on another port: what a redirect must never reach."""
    with LoopbackServer() as server:
        yield server


def encodable(value) -> bool:
    """What saving, printing and ``ask --json`` need: the value encodes as UTF-8."""
    json.dumps(value, ensure_ascii=False).encode("utf-8")
    return not has_surrogates(json.dumps(value, ensure_ascii=False))


async def chat_sse(loopback, client, events):
    """Serve ``events`` (chunks, or raw byte pieces) as an event stream."""
    body = events if isinstance(events[0], bytes) else sse(events)
    loopback.enqueue(Reply(headers=SSE, body=body))
    acc, _ = await client.chat(request())
    return acc


# -- lone surrogates ------------------------------------------------------------------------


async def test_a_surrogate_pair_split_across_two_chunks_is_the_real_character(loopback, client):
    events = text_stream("x")[:1] + [
        chunk(content="smile \ud83d"),  # sent as JSON "\ud83d": one half of 😀
        chunk(content="\ude00!"),
        chunk(finish="stop"),
        "[DONE]",
    ]
    assert b"\\ud83d" in b"".join(sse(events))  # really split on the wire
    acc = await chat_sse(loopback, client, events)
    assert acc.error is None
    assert acc.choices[0].content == "smile 😀!"
    assert encodable(acc.result())


async def test_lone_surrogates_become_replacement_characters_in_every_field(loopback, client):
    events = [
        {
            "id": "id-\ud800",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "model-\udfff",
            "system_fingerprint": "fp-\ud801",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}],
        },
        chunk(content="a\ud83d"),  # high half, then no low half
        chunk(content="b \ude00 c"),  # a low half alone
        chunk(reasoning_content="think \udc00"),
        chunk(refusal="no \ud83d"),
        chunk(
            tool_calls=[
                {
                    "index": 0,
                    "id": "call-\ud83d",
                    "type": "function",
                    "function": {"name": "fn\udc00", "arguments": '{"x": "\ud83d'},
                }
            ]
        ),
        chunk(tool_calls=[{"index": 0, "function": {"arguments": '"}'}}]),
        chunk(content=" end \ud83d"),  # the last delta ends with a high half
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "delta": {},
                    "finish_reason": "stop\ud83d",
                    "logprobs": {"content": [{"token": "\ud83d", "logprob": -0.1}]},
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        },
        "[DONE]",
    ]
    acc = await chat_sse(loopback, client, events)
    assert acc.error is None
    choice = acc.choices[0]
    assert choice.content == "a\ufffdb \ufffd c end \ufffd"
    assert choice.reasoning == "think \ufffd"
    assert choice.refusal == "no \ufffd"
    (call,) = choice.ordered_tool_calls()
    assert (call.id, call.name, call.arguments) == ("call-\ufffd", "fn\ufffd", '{"x": "\ufffd"}')
    assert choice.finish_reason == "stop\ufffd"
    assert (acc.id, acc.model, acc.system_fingerprint) == ("id-\ufffd", "model-\ufffd", "fp-\ufffd")
    result = acc.result()
    assert encodable(result)
    assert result["choices"][0]["logprobs"]["content"][0]["token"] == "\ufffd"


async def test_a_complete_body_with_lone_surrogates_is_made_valid(loopback, client):
    body = {
        "id": "x\ud83d",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "pair \ud83d\ude00 lone \ud83d",
                    "tool_calls": [
                        {
                            "id": "c\udc00",
                            "type": "function",
                            "function": {"name": "f\ud83d", "arguments": "{}"},
                        }
                    ],
                },
                "finish_reason": "stop",
            }
        ],
    }
    loopback.enqueue(Reply.json(body))
    acc, _ = await client.chat(request(stream=False))
    assert acc.error is None
    assert acc.choices[0].content == "pair 😀 lone \ufffd"
    assert acc.id == "x\ufffd"
    assert acc.choices[0].ordered_tool_calls()[0].name == "f\ufffd"
    assert encodable(acc.result())


def test_the_joiner_holds_a_high_half_back_until_the_next_piece():
    joiner = SurrogateJoiner()
    assert joiner.feed("a\ud83d") == "a"
    assert joiner.feed("\ude00b") == "😀b"
    assert joiner.feed("\ud83d") == ""
    assert joiner.feed("\ud83d") == "\ufffd"  # two high halves: the first is lone
    assert joiner.flush() == "\ufffd"
    assert joiner.flush() == ""


# -- errors inside a 200 response -----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        # vLLM
        {
            "object": "error",
            "message": "max_tokens is too large",
            "type": "BadRequest",
            "code": 400,
        },
        # OpenAI-shaped, with status 200
        {"error": {"message": "max_tokens is too large", "type": "BadRequest", "code": 400}},
    ],
    ids=["vllm", "error-object"],
)
async def test_an_error_object_in_a_200_body_is_an_error(loopback, client, body):
    loopback.enqueue(Reply.json(body))
    acc, _ = await client.chat(request(stream=False))
    assert acc.error is not None
    assert acc.error.kind == "api"
    assert acc.error.message == "max_tokens is too large"
    assert acc.error.code == 400
    assert "max_tokens is too large" in str(acc.error)
    assert acc.result()["choices"] == []


async def test_an_error_field_line_in_a_stream_is_an_error_and_keeps_the_partial(loopback, client):
    # What llama.cpp's server sends: an "error:" field (not "data:"), then [DONE].
    body = (
        b"".join(sse(text_stream("partial answer", done=False)[:-1]))
        + b'error: {"code":500,"message":"context shift is disabled","type":"server_error"}\n\n'
        + b"data: [DONE]\n\n"
    )
    acc = await chat_sse(loopback, client, [body])
    assert acc.error is not None
    assert acc.error.kind == "stream"
    assert acc.error.message == "context shift is disabled"
    assert acc.choices[0].content == "partial answer"


@pytest.mark.parametrize(
    "tail",
    [
        b'event: error\ndata: {"message": "upstream went away"}\n\n',
        b'data: {"error": {"message": "upstream went away"}}\n\n',
        b"event: error\ndata: upstream went away\n\n",
    ],
    ids=["event-error-object", "data-error", "event-error-text"],
)
async def test_error_events_in_a_stream(loopback, client, tail):
    body = b"".join(sse(text_stream("so far", done=False)[:-1])) + tail + b"data: [DONE]\n\n"
    acc = await chat_sse(loopback, client, [body])
    assert acc.error is not None and acc.error.kind == "stream"
    assert acc.error.message == "upstream went away"
    assert acc.choices[0].content == "so far"


async def test_an_error_field_line_in_an_event_stream_with_the_wrong_content_type(loopback, client):
    body = b'error: {"message":"bad grammar"}\n\ndata: [DONE]\n\n'
    loopback.enqueue(Reply(headers=[("Content-Type", "text/plain")], body=body))
    acc, _ = await client.chat(request())
    assert acc.error is not None and acc.error.message == "bad grammar"


# -- redirects --------------------------------------------------------------------------------


def _redirect(location: str, status: int = 307) -> Reply:
    return Reply(status=status, headers=[("Location", location)], body=b"", framing="length")


async def test_a_redirect_to_another_origin_is_never_followed(loopback, other_server):
    target = f"{other_server.base_url}/chat/completions"
    loopback.enqueue(_redirect(target))
    other_server.enqueue(Reply.sse(text_stream("stolen")))
    async with ChatClient(loopback.base_url, api_key=SECRET, sleep=FakeSleep()) as client:
        acc, _ = await client.chat(request())
    assert acc.error is not None
    assert acc.error.kind == "redirect"
    assert f"the server redirected to {target}; not followed" in acc.error.message
    assert other_server.requests == []  # not the key, not the prompt: nothing
    assert len(loopback.requests) == 1


async def test_a_redirect_to_another_origin_of_the_model_list_is_an_error(loopback, other_server):
    loopback.route("/models", _redirect(f"{other_server.base_url}/models", 302))
    async with ChatClient(loopback.base_url, api_key=SECRET, sleep=FakeSleep()) as client:
        with pytest.raises(APIError) as info:
            await client.list_models()
    assert "not followed" in info.value.message
    assert other_server.requests == []


async def test_a_same_origin_redirect_is_followed(loopback, client):
    loopback.route("/old/chat/completions", _redirect("/v1/chat/completions", 308))
    loopback.route("/v1/chat/completions", Reply.sse(text_stream("moved fine")))
    async with ChatClient(loopback.base_url.replace("/v1", "/old"), sleep=FakeSleep()) as moved:
        acc, exchange = await moved.chat(request())
    assert acc.error is None
    assert acc.choices[0].content == "moved fine"
    assert [r.path for r in loopback.requests] == ["/old/chat/completions", "/v1/chat/completions"]
    assert loopback.requests[1].json() == request()  # 308 keeps the method and body
    assert exchange.url.endswith("/v1/chat/completions")


async def test_a_redirect_loop_is_a_clean_error(loopback, client):
    loopback.route("/chat/completions", _redirect("/v1/chat/completions"))
    acc, _ = await client.chat(request())
    assert acc.error is not None
    assert acc.error.kind == "redirect"
    assert "too many redirects" in acc.error.message
    assert len(loopback.requests) == 6  # the request and five redirects, no more


# -- keys echoed back -----------------------------------------------------------------------


def _echo(status: int = 401):
    def handler(req):
        auth = req.headers.get("authorization", "")
        goog = req.headers.get("x-goog-api-key", "")
        return Reply.json(
            {"error": {"message": f"Invalid key: {auth} (also {goog})", "param": goog}},
            status=status,
        )

    return handler


async def _secret_client(loopback) -> ChatClient:
    return ChatClient(
        loopback.base_url,
        api_key=SECRET,
        headers={"X-Goog-Api-Key": HEADER_SECRET, "x-trace": "visible"},
        sleep=FakeSleep(),
        max_retries=0,
    )


@pytest.mark.parametrize("status", [401, 200])
async def test_a_key_echoed_in_an_error_is_redacted_everywhere(loopback, status):
    loopback.route("/chat/completions", _echo(status))
    async with await _secret_client(loopback) as client:
        acc, exchange = await client.chat(request(stream=False))
    sent = loopback.requests[0]
    assert sent.headers["authorization"] == f"Bearer {SECRET}"
    assert sent.headers["x-goog-api-key"] == HEADER_SECRET
    shown = json.dumps(acc.result()) + str(acc.error) + repr(acc.error)
    assert SECRET not in shown and HEADER_SECRET not in shown
    assert acc.error.message == f"Invalid key: {REDACTED} (also {REDACTED})"
    assert acc.error.param == REDACTED
    # The raw view shows the body without the secrets; the hash is of the exact bytes.
    assert SECRET.encode() not in exchange.response_body
    assert HEADER_SECRET.encode() not in exchange.response_body
    assert REDACTED.encode() in exchange.response_body
    assert SECRET.encode() in exchange.raw_response_body
    assert exchange.response_sha256 == hashlib.sha256(exchange.raw_response_body).hexdigest()
    headers = {k.lower(): v for k, v in exchange.request_headers}
    assert headers["x-goog-api-key"] == REDACTED and headers["x-trace"] == "visible"


async def test_a_key_echoed_in_a_stream_error_and_in_the_model_list_is_redacted(loopback):
    def in_stream(req):
        auth = req.headers["authorization"]
        return Reply.sse([chunk(content="hi"), {"error": {"message": f"quota for {auth}"}}])

    loopback.route("/chat/completions", in_stream)
    loopback.route("/models", _echo(403))
    updates: list[str] = []
    async with await _secret_client(loopback) as client:
        acc, exchange = await client.chat(
            request(), on_update=lambda a: updates.append(str(a.error))
        )
        with pytest.raises(APIError) as info:
            await client.list_models()
    assert acc.error.message == f"quota for {REDACTED}"
    assert all(SECRET not in u for u in updates)  # never shown, even for a moment
    assert SECRET.encode() not in exchange.response_body
    assert SECRET not in str(info.value) and HEADER_SECRET not in str(info.value)


def test_which_headers_are_secret():
    for name in (
        "Authorization",
        "x-api-key",
        "api-key",
        "X-Goog-Api-Key",
        "Ocp-Apim-Subscription-Key",
        "X-Auth-Token",
        "x-client-secret",
        "Proxy-Authorization",
    ):
        assert is_secret_header(name), name
    for name in ("x-trace", "Content-Type", "User-Agent", "HTTP-Referer", "X-Title"):
        assert not is_secret_header(name), name


def test_the_redactor_takes_the_bare_key_out_of_bearer_and_json_escapes():
    r = Redactor.for_endpoint(None, {"Authorization": "Bearer ab/cd-secret"})
    assert r("got Bearer ab/cd-secret") == f"got {REDACTED}"
    assert r("got ab/cd-secret") == f"got {REDACTED}"
    assert r.bytes(b'{"m": "ab\\/cd-secret"}') == b'{"m": "' + REDACTED.encode() + b'"}'
    assert Redactor.for_endpoint("abc")("abc stays") == "abc stays"  # too short to matter


# -- keys in clear text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://api.example.com/v1", True),
        ("http://10.0.0.5:8080/v1", True),
        ("HTTP://Example.COM/v1", True),
        ("http://127.0.0.1:8080/v1", False),
        ("http://127.9.9.9/v1", False),
        ("http://localhost:8080/v1", False),
        ("http://[::1]:8080/v1", False),
        ("http://[::ffff:127.0.0.1]/v1", False),
        ("https://api.example.com/v1", False),
    ],
)
def test_plain_http_warning(url, warned):
    warning = plain_http_warning(url, SECRET)
    assert (warning is not None) == warned
    if warning:
        assert "unencrypted" in warning and SECRET not in warning
    assert plain_http_warning(url, None) is None  # no key, nothing to leak
    assert (plain_http_warning(url, None, {"X-Api-Key": "v"}) is not None) == warned


def test_loopback_hosts():
    assert is_loopback_host("localhost") and is_loopback_host("LOCALHOST.")
    assert is_loopback_host("127.0.0.1") and is_loopback_host("::1")
    assert not is_loopback_host("128.0.0.1") and not is_loopback_host("localhost.example.com")
    assert not is_loopback_host("") and not is_loopback_host(None)
