"""``redpill-tui ask`` and ``models`` in-process (``tui.cli.main`` and ``tui.headless``)
against the loopback server: every recorded stream, every failure shape, keys, output."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.loopback import Reply, chunk, split_every, sse, text_stream
from tests.refdata import STREAMS, http_file, request_validator, stream_files
from tui import cli
from tui.config import Config, Endpoint
from tui.headless import AskOptions, ask, models

SECRET = "sk-test-Zq81xTopSecretKey42"
# every chat request body sent to the loopback server in this file validates
pytestmark = pytest.mark.usefixtures("valid_bodies")
validate_body = request_validator()


# -- helpers -----------------------------------------------------------------------------


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def ask_json(capsys, url: str, *extra: str, prompt: str = "hi") -> tuple[int, dict, str]:
    code, out, err = run_cli(
        capsys, "ask", "--base-url", url, "-m", "test-model", "--json", *extra, prompt
    )
    lines = out.splitlines()
    assert len(lines) == 1, out
    return code, json.loads(lines[0]), err


def check_bodies(loopback) -> list[dict[str, Any]]:
    """Every chat request the client sent validates against the OpenAPI schema."""
    bodies = [r.json() for r in loopback.requests if r.path.endswith("/chat/completions")]
    for body in bodies:
        validate_body(body)
    return bodies


def write_config(text: str) -> None:
    import os

    path = Path(os.environ["REDPILL_TUI_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def reference(raw: bytes) -> dict[str, Any]:
    """An independent fold of an event stream, written from the API reference."""
    meta: dict[str, Any] = {"id": None, "model": None, "system_fingerprint": None}
    usage = None
    choices: dict[int, dict[str, Any]] = {}
    text = raw.decode("utf-8").replace("\r\n", "\n")
    for block in text.split("\n\n"):
        data = "\n".join(
            line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")
        )
        if not data.strip() or data.strip() == "[DONE]":
            continue
        obj = json.loads(data)
        for key in ("id", "model"):
            if meta[key] is None and obj.get(key):
                meta[key] = obj[key]
        if obj.get("system_fingerprint"):
            meta["system_fingerprint"] = obj["system_fingerprint"]
        if obj.get("usage"):
            usage = obj["usage"]
        for ch in obj.get("choices") or ():
            c = choices.setdefault(
                ch["index"],
                {"content": None, "refusal": None, "calls": {}, "finish_reason": None},
            )
            delta = ch.get("delta") or {}
            for key in ("content", "refusal"):
                if delta.get(key) is not None:
                    c[key] = (c[key] or "") + delta[key]
            for tc in delta.get("tool_calls") or ():
                call = c["calls"].setdefault(tc["index"], {"id": None, "name": None, "args": ""})
                call["id"] = call["id"] or tc.get("id")
                fn = tc.get("function") or {}
                call["name"] = call["name"] or fn.get("name")
                call["args"] += fn.get("arguments") or ""
            if ch.get("finish_reason"):
                c["finish_reason"] = ch["finish_reason"]
    return {**meta, "usage": usage, "choices": choices}


STREAM_IDS = [str(p.relative_to(STREAMS)) for p in stream_files()]


# -- every recorded stream -----------------------------------------------------------------


def test_the_recorded_streams_are_all_there():
    names = {p.parent.name for p in stream_files()}
    assert names == {"openai-python", "llama-server"}
    assert len(stream_files()) >= 14


@pytest.mark.parametrize("name", STREAM_IDS)
def test_ask_json_gives_the_right_result_for_every_recorded_stream(capsys, loopback, name):
    raw = (STREAMS / name).read_bytes()
    # odd-sized pieces: events and multi-byte characters are cut at every place
    loopback.enqueue(
        Reply(headers=[("Content-Type", "text/event-stream")], body=split_every(raw, 97))
    )
    code, result, err = ask_json(capsys, loopback.base_url)
    assert code == 0, err
    assert err == ""
    want = reference(raw)
    assert result["error"] is None
    assert result["id"] == want["id"]
    assert result["model"] == want["model"]
    assert result["system_fingerprint"] == want["system_fingerprint"]
    assert result["usage"] == want["usage"]
    assert [c["index"] for c in result["choices"]] == sorted(want["choices"])
    for got in result["choices"]:
        ref = want["choices"][got["index"]]
        assert set(got) >= {
            "index",
            "content",
            "refusal",
            "reasoning",
            "tool_calls",
            "function_call",
            "finish_reason",
        }
        assert got["content"] == ref["content"]
        assert got["refusal"] == ref["refusal"]
        assert got["finish_reason"] == ref["finish_reason"]
        assert got["function_call"] is None
        calls = [ref["calls"][k] for k in sorted(ref["calls"])]
        if not calls:
            assert got["tool_calls"] is None
        else:
            assert [(t["id"], t["function"]["name"]) for t in got["tool_calls"]] == [
                (c["id"], c["name"]) for c in calls
            ]
            assert [t["function"]["arguments"] for t in got["tool_calls"]] == [
                c["args"] for c in calls
            ]
            for t in got["tool_calls"]:
                json.loads(t["function"]["arguments"])  # complete calls are complete JSON
    assert set(result["timings"]) >= {"ttft_s", "total_s"}
    (body,) = check_bodies(loopback)
    assert body["stream"] is True
    assert body["model"] == "test-model"
    assert body["messages"] == [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize("name", STREAM_IDS)
def test_ask_prints_every_recorded_stream_as_text(capsys, loopback, name):
    raw = (STREAMS / name).read_bytes()
    loopback.enqueue(Reply(headers=[("Content-Type", "text/event-stream")], body=[raw]))
    code, out, err = run_cli(capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "hi")
    assert code == 0, err
    want = reference(raw)["choices"]
    if len(want) == 1:
        (c,) = want.values()
        if c["content"] and not c["calls"]:
            assert out == c["content"] + "\n"
    else:
        for index, c in want.items():
            assert f"=== choice {index} ({c['finish_reason']}) ===\n" in out
            assert (c["content"] or "") in out
        # choices in index order
        heads = [out.index(f"=== choice {i} ") for i in sorted(want)]
        assert heads == sorted(heads)
    for c in want.values():
        if c["refusal"]:
            assert f"[refusal] {c['refusal']}" in out
        for call in c["calls"].values():
            assert f"[tool call {call['id']}] {call['name']}({call['args']})" in out
    assert out.endswith("\n")


# -- the request ---------------------------------------------------------------------------


def test_params_system_prompt_and_tools_go_into_a_valid_body(capsys, loopback, tmp_path):
    tools = [
        {
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
    ]
    tools_file = tmp_path / "tools.json"
    tools_file.write_text(json.dumps(tools), encoding="utf-8")
    loopback.enqueue(Reply.sse(text_stream("ok")))
    code, out, err = run_cli(
        capsys,
        "ask",
        "--base-url",
        loopback.base_url,
        "-m",
        "test-model",
        "-s",
        "be brief",
        "-p",
        "temperature=0.2",
        "-p",
        'stop=["\\n"]',
        "-p",
        "n=3",
        "-p",
        "seed=42",
        "-p",
        'logit_bias={"50256": -100}',
        "-p",
        "top_k=40",  # provider extras pass through
        "-p",
        "user=plain words, not JSON",
        "-p",
        'tool_choice={"type": "function", "function": {"name": "get_weather"}}',
        "--tools",
        str(tools_file),
        "what now?",
    )
    assert code == 0, err
    (body,) = check_bodies(loopback)
    assert body["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "what now?"},
    ]
    assert body["temperature"] == 0.2
    assert body["stop"] == ["\n"]
    assert body["n"] == 3 and isinstance(body["n"], int)
    assert body["seed"] == 42
    assert body["logit_bias"] == {"50256": -100}
    assert body["top_k"] == 40
    assert body["user"] == "plain words, not JSON"
    assert body["tools"] == tools
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert body["stream"] is True
    # nothing the user did not set
    assert "top_p" not in body and "max_tokens" not in body and "stream_options" not in body


def test_no_stream_sends_stream_false_and_reads_one_json_body(capsys, loopback):
    completion = {
        "id": "chatcmpl-ns",
        "object": "chat.completion",
        "created": 5,
        "model": "test-model",
        "system_fingerprint": "fp_ns",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "whole answer"},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }
    loopback.enqueue(Reply.json(completion))
    code, result, err = ask_json(capsys, loopback.base_url, "--no-stream")
    assert code == 0, err
    assert result["id"] == "chatcmpl-ns"
    assert result["system_fingerprint"] == "fp_ns"
    assert result["choices"][0]["content"] == "whole answer"
    assert result["choices"][0]["finish_reason"] == "stop"
    assert result["usage"] == completion["usage"]
    (body,) = check_bodies(loopback)
    assert body["stream"] is False
    assert "stream_options" not in body

    loopback.enqueue(Reply.json(completion))
    code, out, err = run_cli(
        capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "--no-stream", "hi"
    )
    assert (code, out, err) == (0, "whole answer\n", "")


def test_include_usage_can_be_asked_for_with_a_param(capsys, loopback):
    events = text_stream("a", "b", done=False)
    events.append(
        {
            **chunk(0),
            "choices": [],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        }
    )
    events.append("[DONE]")
    loopback.enqueue(Reply.sse(events))
    code, result, err = ask_json(
        capsys, loopback.base_url, "-p", 'stream_options={"include_usage": true}'
    )
    assert code == 0, err
    assert result["usage"] == {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
    (body,) = check_bodies(loopback)
    assert body["stream_options"] == {"include_usage": True}


def test_without_a_model_the_first_listed_one_is_used(capsys, loopback):
    loopback.route(
        "/models", Reply.json({"object": "list", "data": [{"id": "first"}, {"id": "second"}]})
    )
    loopback.route("/chat/completions", Reply.sse(text_stream("ok")))
    code, out, err = run_cli(capsys, "ask", "--base-url", loopback.base_url, "hi")
    assert (code, out) == (0, "ok\n"), err
    (body,) = check_bodies(loopback)
    assert body["model"] == "first"


def test_a_model_list_that_cannot_be_read_is_an_api_error(capsys, loopback):
    loopback.route("/models", Reply.json({"error": {"message": "nope"}}, status=404))
    code, out, err = run_cli(capsys, "ask", "--base-url", loopback.base_url, "hi")
    assert code == 1
    assert out == ""
    assert "-m MODEL" in err and "nope" in err
    assert len(err.strip().splitlines()) <= 2


def test_with_json_a_model_list_failure_is_still_one_json_object(capsys, loopback):
    loopback.route("/models", Reply.json({"error": {"message": "nope"}}, status=500))
    write_config("[timeouts]\nmax_retries = 0\n")
    code, out, err = run_cli(capsys, "ask", "--base-url", loopback.base_url, "--json", "hi")
    assert code == 1
    result = json.loads(out)
    assert result["choices"] == []
    assert result["error"]["status"] == 500 and "nope" in result["error"]["message"]
    assert "nope" in err


def test_an_empty_model_list_is_a_usage_error(capsys, loopback):
    loopback.route("/models", Reply.json({"object": "list", "data": []}))
    code, out, err = run_cli(capsys, "ask", "--base-url", loopback.base_url, "hi")
    assert code == 2
    assert "-m MODEL" in err


@pytest.mark.parametrize(
    ("param", "named"),
    [
        ("temperature=3", "temperature"),
        ("temperature=hot", "temperature"),
        ("n=0", "n"),
        ('stop=["a","b","c","d","e"]', "stop"),
        ("max_tokens=1.5", "max_tokens"),
        ('response_format={"type": "xml"}', "response_format"),
        ("tool_choice=required", "tool_choice"),  # no tools given
        ('stream_options={"usage": true}', "stream_options"),
        ("no-equals-sign", "no-equals-sign"),
    ],
)
def test_an_invalid_parameter_is_exit_2_and_nothing_is_sent(capsys, loopback, param, named):
    code, out, err = run_cli(
        capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "-p", param, "hi"
    )
    assert code == 2
    assert out == ""
    assert err.startswith("redpill-tui: invalid parameter") and named in err
    assert len(err.strip().splitlines()) == 1
    assert loopback.requests == []


def test_a_bad_tools_file_is_exit_2(capsys, loopback, tmp_path):
    bad = tmp_path / "tools.json"
    bad.write_text("{not json", encoding="utf-8")
    for path in (str(bad), str(tmp_path / "missing.json")):
        code, out, err = run_cli(
            capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "--tools", path, "hi"
        )
        assert code == 2 and out == ""
        assert "invalid parameter tools" in err
    bad.write_text('[{"type": "function", "function": {"name": "bad name!"}}]', encoding="utf-8")
    code, out, err = run_cli(
        capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "--tools", str(bad), "hi"
    )
    assert code == 2 and "tools" in err
    assert loopback.requests == []


@pytest.mark.parametrize(
    "argv",
    [
        ["ask", "--timeout", "0", "-m", "m", "hi"],
        ["ask", "--timeout", "-1", "-m", "m", "hi"],
        ["ask", "--profile", "nosuch", "-m", "m", "hi"],
        ["ask", "--base-url", "ftp://example.com/v1", "-m", "m", "hi"],
        ["ask", "--base-url", "http://", "-m", "m", "hi"],
        ["ask", "-m", "m", "   "],
        ["models", "--profile", "nosuch"],
        ["models", "--base-url", "not a url"],
    ],
)
def test_bad_usage_is_exit_2_with_one_line_on_stderr(capsys, argv):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("redpill-tui: ")
    assert len(err.strip().splitlines()) == 1


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["ask", "--timeout", "soon", "hi"])
    assert exc.value.code == 2
    assert "--timeout" in capsys.readouterr().err


# -- failures ------------------------------------------------------------------------------


def test_401_names_the_key_variable_and_never_shows_the_key(capsys, loopback, monkeypatch):
    monkeypatch.setenv("REDPILL_API_KEY", SECRET)

    def echo(request):  # a server that quotes the key back, as some do
        return Reply.json(
            {
                "error": {
                    "message": f"Incorrect API key provided: {request.headers['authorization']}",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            },
            status=401,
            headers=[("x-request-id", "req_401")],
        )

    loopback.route("/chat/completions", echo)
    code, out, err = run_cli(capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "hi")
    assert code == 1
    assert out == ""
    assert "HTTP 401" in err and "REDPILL_API_KEY" in err
    assert "req_401" in err
    assert len(err.strip().splitlines()) <= 2
    assert SECRET not in out + err
    assert loopback.requests[0].headers["authorization"] == f"Bearer {SECRET}"

    code, result, err = ask_json(capsys, loopback.base_url)
    assert code == 1
    assert result["error"]["status"] == 401
    assert result["error"]["code"] == "invalid_api_key"
    assert "REDPILL_API_KEY" in result["error"]["hint"]
    assert SECRET not in json.dumps(result) + err
    assert len(loopback.requests) == 2  # 401 is not retried


def test_401_hint_names_the_profiles_variable(capsys, loopback):
    write_config(
        f'[profiles.local]\nbase_url = "{loopback.base_url}"\napi_key_env = "LOCAL_LLM_KEY"\n'
    )
    loopback.enqueue(Reply.json({"error": {"message": "no key"}}, status=401))
    code, out, err = run_cli(capsys, "ask", "--profile", "local", "-m", "m", "hi")
    assert code == 1
    assert "LOCAL_LLM_KEY" in err


def test_llama_server_400_is_reported_with_its_message(capsys, loopback):
    status, headers, body = http_file("llama-server/error_400_bad_param.http")
    keep = [(k, v) for k, v in headers if k.lower() not in ("content-length", "connection")]
    loopback.enqueue(Reply(status=status, headers=keep, body=body, framing="length"))
    code, result, err = ask_json(capsys, loopback.base_url)
    assert code == 1
    e = result["error"]
    assert e["status"] == 400
    assert e["type"] == "invalid_request_error"
    assert "temperature" in e["message"] and "type must be number" in e["message"]
    assert result["choices"] == []
    assert "HTTP 400" in err and "temperature" in err
    assert len(loopback.requests) == 1  # 400 is not retried


def test_429_is_retried_then_the_answer_streams(capsys, loopback):
    loopback.enqueue(
        Reply.json(
            {"error": {"message": "slow down", "type": "rate_limit_error"}},
            status=429,
            headers=[("retry-after-ms", "5")],
        ),
        Reply.sse(text_stream("after ", "retry")),
    )
    code, out, err = run_cli(capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "hi")
    assert (code, out, err) == (0, "after retry\n", "")
    first, second = check_bodies(loopback)
    assert first == second


def test_500_with_an_html_body_gives_its_title(capsys, loopback):
    html = (
        b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title>"
        b"<style>body{font:x}</style></head><body><h1>nginx</h1></body></html>"
    )
    loopback.route(
        "/chat/completions",
        Reply(
            status=500,
            headers=[("Content-Type", "text/html"), ("retry-after-ms", "1")],
            body=html,
            framing="length",
        ),
    )
    code, result, err = ask_json(capsys, loopback.base_url)
    assert code == 1
    assert result["error"]["status"] == 500
    assert result["error"]["message"] == "502 Bad Gateway"
    assert "<" not in err and "HTTP 500" in err
    assert len(err.strip().splitlines()) <= 2
    assert len(loopback.requests) == 3  # retried twice (the default), then given up


def test_an_error_inside_the_stream_keeps_the_partial_answer(capsys, loopback):
    events = [
        chunk(0, "", role="assistant"),
        chunk(0, "partial "),
        chunk(0, "text"),
        {
            "error": {
                "message": "overloaded mid-stream",
                "type": "server_error",
                "code": "overloaded",
            }
        },
    ]
    loopback.enqueue(Reply.sse(events), Reply.sse(events))
    code, out, err = run_cli(capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "hi")
    assert code == 1
    assert out == "partial text\n"
    assert "overloaded mid-stream" in err and err.startswith("redpill-tui: stream")

    code, result, err = ask_json(capsys, loopback.base_url)
    assert code == 1
    assert result["choices"][0]["content"] == "partial text"
    assert result["choices"][0]["finish_reason"] is None
    assert result["error"]["kind"] == "stream"
    assert result["error"]["code"] == "overloaded"
    assert len(loopback.requests) == 2  # never retried once the stream started


def test_an_error_event_in_the_stream(capsys, loopback):
    body = sse([chunk(0, "", role="assistant"), chunk(0, "so far")])
    body.append(b'event: error\ndata: {"error": {"message": "boom", "type": "server_error"}}\n\n')
    loopback.enqueue(Reply(headers=[("Content-Type", "text/event-stream")], body=body))
    code, result, err = ask_json(capsys, loopback.base_url)
    assert code == 1
    assert result["choices"][0]["content"] == "so far"
    assert result["error"]["kind"] == "stream" and result["error"]["message"] == "boom"


def test_a_dropped_connection_keeps_the_partial_answer(capsys, loopback):
    events = sse([chunk(0, "", role="assistant"), chunk(0, "half an ")])
    events.append(b'data: {"id": "chatcmpl-test", "choices": [{"index": 0, "delta": {"cont')
    loopback.enqueue(Reply(headers=[("Content-Type", "text/event-stream")], body=events, drop=True))
    code, result, err = ask_json(capsys, loopback.base_url)
    assert code == 1
    assert result["choices"][0]["content"] == "half an "
    assert result["error"]["kind"] == "connection"
    assert "dropped" in err or "ended" in err
    assert len(loopback.requests) == 1


def test_a_stream_that_ends_without_finishing_is_an_error(capsys, loopback):
    loopback.enqueue(Reply.sse([chunk(0, "", role="assistant"), chunk(0, "cut")]))
    code, result, err = ask_json(capsys, loopback.base_url)
    assert code == 1
    assert result["choices"][0]["content"] == "cut"
    assert result["error"]["kind"] == "connection"


def test_a_stream_without_done_but_finished_is_fine(capsys, loopback):
    loopback.enqueue(Reply.sse(text_stream("all", " here", done=False)))
    code, result, err = ask_json(capsys, loopback.base_url)
    assert code == 0, err
    assert result["choices"][0]["content"] == "all here"


def test_an_invalid_json_line_is_a_protocol_error(capsys, loopback):
    events = [
        chunk(0, "", role="assistant"),
        chunk(0, "before"),
        "{this is not json",
        chunk(0, "after"),
    ]
    loopback.enqueue(Reply.sse(events), Reply.sse(events))
    code, result, err = ask_json(capsys, loopback.base_url)
    assert code == 1
    assert result["choices"][0]["content"] == "before"
    assert result["error"]["kind"] == "protocol"
    assert "not JSON" in result["error"]["message"]

    code, out, err = run_cli(capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "hi")
    assert code == 1
    assert out == "before\n"
    assert "not JSON" in err


def test_a_stalled_stream_times_out_with_timeout(capsys, loopback):
    events = sse([chunk(0, "", role="assistant"), chunk(0, "waiting")])
    loopback.enqueue(Reply(headers=[("Content-Type", "text/event-stream")], body=events, stall=30))
    code, result, err = ask_json(capsys, loopback.base_url, "--timeout", "0.3")
    assert code == 1
    assert result["choices"][0]["content"] == "waiting"
    assert result["error"]["kind"] == "timeout"
    assert "timed out" in err
    assert len(loopback.requests) == 1


def test_a_reply_that_is_not_json_is_a_protocol_error(capsys, loopback):
    loopback.enqueue(
        Reply(headers=[("Content-Type", "text/plain")], body=b"hello?", framing="length")
    )
    code, result, err = ask_json(capsys, loopback.base_url, "--no-stream")
    assert code == 1
    assert result["error"]["kind"] == "protocol"


def test_connection_refused_is_exit_1(capsys, loopback):
    write_config("[timeouts]\nmax_retries = 0\n")
    url = loopback.base_url
    loopback.stop()
    code, out, err = run_cli(capsys, "ask", "--base-url", url, "-m", "m", "hi")
    assert code == 1
    assert out == ""
    port = url.split(":")[2].split("/")[0]
    assert f"connection to 127.0.0.1:{port} failed" in err  # says where it tried
    code, out, err = run_cli(capsys, "models", "--base-url", url)
    assert code == 1 and "connection" in err


# -- what reaches the terminal ---------------------------------------------------------------

HOSTILE = "ok \x1b[31mRED\x1b[0m \x1b]0;title\x07 \x9b2J \u202eevil\u202c \r\nend\ttab"


async def _ask(url: str, out: io.StringIO, err: io.StringIO, **opts: Any) -> int:
    endpoint = Endpoint(profile="test", base_url=url, key_env="TEST_KEY", model="test-model")
    options = AskOptions(prompt="hi", **opts)
    return await ask(options, endpoint, Config(max_retries=0), out=out, err=err)


def _hostile_stream() -> list[Any]:
    # split inside the escape sequences too
    return text_stream(*[HOSTILE[i : i + 2] for i in range(0, len(HOSTILE), 2)])


@pytest.mark.parametrize("stream", [True, False])
async def test_on_a_terminal_control_sequences_are_neutralised(loopback, stream):
    if stream:
        loopback.enqueue(Reply.sse(_hostile_stream()))
    else:
        loopback.enqueue(
            Reply.json(
                {
                    "id": "x",
                    "choices": [
                        {"index": 0, "message": {"content": HOSTILE}, "finish_reason": "stop"}
                    ],
                }
            )
        )
    out, err = TTY(), io.StringIO()
    assert await _ask(loopback.base_url, out, err, stream=stream) == 0
    text = out.getvalue()
    for bad in ("\x1b", "\x07", "\x9b", "\u202e", "\r"):
        assert bad not in text
    assert "RED" in text and "title" in text and "evil" in text and "end\ttab" in text
    check_bodies(loopback)


async def test_not_on_a_terminal_the_text_is_exact(loopback):
    loopback.enqueue(Reply.sse(_hostile_stream()))
    out, err = io.StringIO(), io.StringIO()
    assert await _ask(loopback.base_url, out, err) == 0
    assert out.getvalue() == HOSTILE + "\n"


async def test_json_carries_the_exact_text_escaped_even_on_a_terminal(loopback):
    loopback.enqueue(Reply.sse(_hostile_stream()))
    out, err = TTY(), io.StringIO()
    assert await _ask(loopback.base_url, out, err, json_out=True) == 0
    raw = out.getvalue()
    for bad in ("\x1b", "\x07", "\x9b", "\r"):
        assert bad not in raw  # JSON-escaped, so nothing raw reaches the terminal
    assert json.loads(raw)["choices"][0]["content"] == HOSTILE


async def test_error_text_from_the_server_is_neutralised(loopback):
    loopback.enqueue(
        Reply.json({"error": {"message": "bad \x1b]0;pwned\x07 \x1b[2J thing"}}, status=400)
    )
    out, err = TTY(), io.StringIO()
    assert await _ask(loopback.base_url, out, err) == 1
    assert "\x1b" not in err.getvalue() and "\x07" not in err.getvalue()
    assert "pwned" in err.getvalue()


async def test_refusal_reasoning_and_tool_calls_as_text(loopback):
    events = [
        chunk(0, None, role="assistant", reasoning_content="thinking..."),
        chunk(0, None, refusal="I can't"),
        chunk(0, finish="stop"),
        "[DONE]",
    ]
    loopback.enqueue(Reply.sse(events))
    out, err = io.StringIO(), io.StringIO()
    assert await _ask(loopback.base_url, out, err) == 0
    assert out.getvalue() == "[refusal] I can't\n"

    fc_events = [
        chunk(0, None, role="assistant", function_call={"name": "lookup", "arguments": ""}),
        chunk(0, None, function_call={"arguments": '{"q": 1}'}),
        chunk(0, finish="function_call"),
        "[DONE]",
    ]
    loopback.enqueue(Reply.sse(fc_events), Reply.sse(fc_events))
    out = io.StringIO()
    assert await _ask(loopback.base_url, out, err) == 0
    assert out.getvalue() == '[function call] lookup({"q": 1})\n'

    out = io.StringIO()
    assert await _ask(loopback.base_url, out, err, json_out=True) == 0
    (choice,) = json.loads(out.getvalue())["choices"]
    assert choice["function_call"] == {"name": "lookup", "arguments": '{"q": 1}'}
    assert choice["finish_reason"] == "function_call"
    assert choice["content"] is None


async def test_reasoning_is_in_the_json(loopback):
    events = [
        chunk(0, None, role="assistant", reasoning_content="step one. "),
        chunk(0, None, reasoning="step two."),
        chunk(0, "answer"),
        chunk(0, finish="stop"),
        "[DONE]",
    ]
    loopback.enqueue(Reply.sse(events))
    out, err = io.StringIO(), io.StringIO()
    assert await _ask(loopback.base_url, out, err, json_out=True) == 0
    (choice,) = json.loads(out.getvalue())["choices"]
    assert choice["reasoning"] == "step one. step two."
    assert choice["content"] == "answer"


# -- keys ------------------------------------------------------------------------------------


def test_with_no_key_there_is_no_authorization_header(capsys, loopback):
    loopback.route("/models", Reply.json({"data": [{"id": "m1"}]}))
    loopback.route("/chat/completions", Reply.sse(text_stream("fine")))
    code, out, err = run_cli(capsys, "ask", "--base-url", loopback.base_url, "hi")
    assert code == 0, err
    code, out, err = run_cli(capsys, "models", "--base-url", loopback.base_url)
    assert code == 0, err
    assert len(loopback.requests) == 3
    for r in loopback.requests:
        assert "authorization" not in r.headers


def test_the_key_comes_from_the_default_profiles_variable(capsys, loopback, monkeypatch):
    write_config(
        'default_profile = "work"\n'
        '[profiles.work]\nbase_url = "https://unused.invalid/v1"\napi_key_env = "WORK_KEY"\n'
    )
    monkeypatch.setenv("WORK_KEY", SECRET)
    monkeypatch.setenv("REDPILL_API_KEY", "sk-the-wrong-one")
    loopback.route("/chat/completions", Reply.sse(text_stream("ok")))
    code, out, err = run_cli(capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "hi")
    assert code == 0, err
    assert loopback.requests[-1].headers["authorization"] == f"Bearer {SECRET}"

    # without a config file, --base-url uses REDPILL_API_KEY (the default profile's)
    write_config("")
    code, out, err = run_cli(capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "hi")
    assert code == 0, err
    assert loopback.requests[-1].headers["authorization"] == "Bearer sk-the-wrong-one"


def test_a_profile_brings_its_url_key_model_and_params(capsys, loopback, monkeypatch):
    write_config(
        "[profiles.local]\n"
        f'base_url = "{loopback.base_url}"\n'
        'api_key_env = "LOCAL_KEY"\n'
        'model = "profile-model"\n'
        "[profiles.local.params]\ntemperature = 0.5\nmax_tokens = 7\n"
    )
    monkeypatch.setenv("LOCAL_KEY", SECRET)
    loopback.enqueue(Reply.sse(text_stream("ok")))
    code, out, err = run_cli(capsys, "ask", "--profile", "local", "-p", "max_tokens=9", "hi")
    assert code == 0, err
    (body,) = check_bodies(loopback)
    assert body["model"] == "profile-model"
    assert body["temperature"] == 0.5 and body["max_tokens"] == 9
    assert loopback.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    assert SECRET not in out + err


def test_the_key_never_appears_in_any_output(capsys, loopback, monkeypatch):
    monkeypatch.setenv("REDPILL_API_KEY", SECRET)

    def echo_in_stream(request):
        auth = request.headers["authorization"]
        return Reply.sse(
            [
                chunk(0, "", role="assistant"),
                {"error": {"message": f"key {auth} over quota", "param": auth}},
            ]
        )

    loopback.route("/chat/completions", echo_in_stream)
    loopback.route(
        "/models",
        lambda r: Reply.json(
            {"error": {"message": f"bad {r.headers['authorization']}"}}, status=403
        ),
    )
    for argv in (
        ["ask", "--base-url", loopback.base_url, "-m", "m", "hi"],
        ["ask", "--base-url", loopback.base_url, "-m", "m", "--json", "hi"],
        ["ask", "--base-url", loopback.base_url, "hi"],  # the model list fails
        ["ask", "--base-url", loopback.base_url, "--json", "hi"],
        ["models", "--base-url", loopback.base_url],
        ["models", "--base-url", loopback.base_url, "--json"],
    ):
        code, out, err = run_cli(capsys, *argv)
        assert code == 1, argv
        assert SECRET not in out + err, argv
        assert "redacted" in out + err, argv


@pytest.mark.parametrize("key", [SECRET + "\n", "sk-with space", "sk-é-unicode", "sk-\x1b[2J"])
def test_a_key_that_cannot_be_sent_is_exit_2_and_not_shown(capsys, loopback, monkeypatch, key):
    monkeypatch.setenv("REDPILL_API_KEY", key)
    for argv in (
        ["ask", "--base-url", loopback.base_url, "-m", "m", "hi"],
        ["models", "--base-url", loopback.base_url],
    ):
        code, out, err = run_cli(capsys, *argv)
        assert code == 2
        assert "REDPILL_API_KEY" in err
        assert key.strip() not in out + err
        assert len(err.strip().splitlines()) == 1
    assert loopback.requests == []


# -- models ----------------------------------------------------------------------------------


def test_models_lists_llama_server_models_with_context(capsys, loopback):
    status, headers, body = http_file("llama-server/models.http")
    keep = [(k, v) for k, v in headers if k.lower() not in ("content-length", "keep-alive")]
    loopback.enqueue(Reply(status=status, headers=keep, body=body, framing="length"))
    code, out, err = run_cli(capsys, "models", "--base-url", loopback.base_url)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[0] == "MODEL"
    assert lines[1].split()[:2] == ["/tmp/models/gemma-3-270m-q4_k_m.gguf", "2048"]
    assert loopback.requests[0].path.endswith("/v1/models")


REDPILL_MODELS = {
    "object": "list",
    "data": [
        {
            "id": "phala/deepseek-chat-v3-0324",
            "name": "DeepSeek V3",
            "context_length": 163840,
            "pricing": {"prompt": "0.00000028", "completion": "0.00000114"},
            "is_tee": True,
        },
        {"id": "openai/gpt-4o", "context_length": 128000, "is_tee": False},
        {"id": "bare"},
        {"id": "evil\x1b]0;t\x07model"},
    ],
}


def test_models_shows_context_pricing_and_tee(capsys, loopback):
    loopback.enqueue(Reply.json(REDPILL_MODELS))
    code, out, err = run_cli(capsys, "models", "--base-url", loopback.base_url)
    assert code == 0, err
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "TEE" in out.splitlines()[0]
    tee = rows["phala/deepseek-chat-v3-0324"]
    assert "163840" in tee and "0.00000028" in tee and "0.00000114" in tee
    assert tee.split()[-1] == "yes"
    assert "128000" in rows["openai/gpt-4o"] and "yes" not in rows["openai/gpt-4o"]
    assert rows["bare"].strip() == "bare"
    assert "\x1b" not in out and "\x07" not in out


def test_models_json(capsys, loopback):
    loopback.enqueue(Reply.json(REDPILL_MODELS))
    code, out, err = run_cli(capsys, "models", "--base-url", loopback.base_url, "--json")
    assert code == 0, err
    items = json.loads(out)
    assert items[0]["id"] == "phala/deepseek-chat-v3-0324"
    assert items[0]["is_tee"] is True and items[0]["context_length"] == 163840
    assert items[0]["pricing"]["prompt"] == "0.00000028"
    assert items[2] == {"id": "bare"}


def test_models_error_is_exit_1_with_hint(capsys, loopback):
    loopback.enqueue(Reply.json({"error": {"message": "who are you"}}, status=401))
    code, out, err = run_cli(capsys, "models", "--base-url", loopback.base_url)
    assert code == 1
    assert out == ""
    assert "HTTP 401" in err and "REDPILL_API_KEY" in err


async def test_models_in_process_with_a_sleep_stub(loopback):
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(0)

    loopback.enqueue(
        Reply.json({"error": {"message": "busy"}}, status=503),
        Reply.json({"data": [{"id": "a"}]}),
    )
    endpoint = Endpoint(profile="t", base_url=loopback.base_url, key_env="TEST_KEY")
    out, err = io.StringIO(), io.StringIO()
    code = await models(endpoint, Config(), out=out, err=err, client_options={"sleep": sleep})
    assert code == 0, err.getvalue()
    assert len(slept) == 1
    assert out.getvalue().splitlines()[1] == "a"


# -- params and sanitising, as units ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("temperature=0.2", ("temperature", 0.2)),
        ('stop=["\\n"]', ("stop", ["\n"])),
        ("n=3", ("n", 3)),
        ("user=bob", ("user", "bob")),
        ('user="007"', ("user", "007")),
        ("seed=007", ("seed", "007")),  # not JSON: a string (then rejected as a seed)
        ("note=a=b", ("note", "a=b")),
        ("empty=", ("empty", "")),
        ("flag=true", ("flag", True)),
        ("nothing=null", ("nothing", None)),
        ("top_k=NaN", ("top_k", "NaN")),  # Python's json takes NaN; JSON does not
        ("x=[1, Infinity]", ("x", "[1, Infinity]")),
        (
            ' response_format = {"type": "json_object"}',
            ("response_format", {"type": "json_object"}),
        ),
    ],
)
def test_parse_param(text, want):
    from tui.core.params import parse_param

    assert parse_param(text) == want


@pytest.mark.parametrize("text", ["novalue", "=1", ""])
def test_parse_param_needs_key_and_equals(text):
    from tui.api.schema import InvalidParameter
    from tui.core.params import parse_param

    with pytest.raises(InvalidParameter):
        parse_param(text)


def test_a_nan_param_is_sent_as_valid_json(capsys, loopback):
    loopback.enqueue(Reply.sse(text_stream("ok")))
    code, out, err = run_cli(
        capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "-p", "top_k=NaN", "hi"
    )
    assert code == 0, err

    def strict(name):
        raise AssertionError(f"{name} in the body")

    body = json.loads(loopback.requests[0].body, parse_constant=strict)
    assert body["top_k"] == "NaN"


def test_load_tools_accepts_every_shape_the_tool_editor_imports():
    from tui.api.schema import InvalidParameter
    from tui.core.params import load_tools
    from tui.core.tools import parse_tool_file

    fn = {"name": "f", "parameters": {"type": "object", "properties": {}}}
    tool = {"type": "function", "function": fn}
    for shape in ([tool], {"tools": [tool]}, [fn], {"functions": [fn]}):
        text = json.dumps(shape)
        assert load_tools(text) == [tool]
        assert [s.to_tool() for s in parse_tool_file(text)] == [tool]
    bad_files = {
        "{}": "t.json must hold a JSON array of tool definitions",
        "3": "t.json must hold a JSON array of tool definitions",
        "[oops": "t.json is not valid JSON",
        '[{"type": "function", "function": {"name": "f"}}, 3]': (
            "t.json: tool 2: each tool must be a JSON object"
        ),
        '[{"description": "no name"}]': "t.json: tool 1: a tool has no name",
    }
    for bad, message in bad_files.items():
        with pytest.raises(InvalidParameter) as caught:
            load_tools(bad, "t.json")
        assert caught.value.param == "tools"
        assert message in caught.value.message
        with pytest.raises(ValueError, match=message.split(":")[-1].strip()):
            parse_tool_file(bad, "t.json")


def test_neutralize_and_json_safe():
    from tui.core.sanitize import is_safe, json_safe, neutralize

    assert neutralize("plain\ttext\nünï 文字") == "plain\ttext\nünï 文字"
    shown = neutralize("a\x1b[2Jb\x07c\x9bd\u202ee\r\nf\x7f")
    assert is_safe(shown)
    assert shown == "a\u241b[2Jb\u2407c<U+009B>d<U+202E>e\nf\u2421"
    raw = json.dumps({"t": "x\x9by\u202ez\u2066ü\x1b"}, ensure_ascii=False)
    safe = json_safe(raw)
    assert is_safe(safe) and "ü" in safe
    assert json.loads(safe) == json.loads(raw)
