"""Exports: Markdown transcript, request JSON, a curl command and an httpx snippet that
reproduce the request. Keys never appear: the snippets read the key's variable."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys

import pytest

from tests.loopback import Reply
from tests.refdata import request_validator
from tui.config import load_config, resolve_endpoint
from tui.core.conversation import ChoiceRecord, Conversation
from tui.core.export import curl_command, httpx_snippet, markdown_transcript, request_json
from tui.core.tools import ToolSettings, ToolSpec

SECRET = "sk-export-SECRET-0042"
# Everything a shell or a Python literal could trip over.
TRICKY = 'It\'s "quoted", $(whoami) `id` $HOME \\n back\\slash\nnew line – héllo 日本 🐍'


def body(stream: bool = False) -> dict:
    b = {
        "model": "phala/test",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": TRICKY},
        ],
        "temperature": 0.2,
        "n": 2,
        "stop": ["'", '"'],
    }
    if stream:
        b["stream"] = True
        b["stream_options"] = {"include_usage": True}
    request_validator()(b)
    return b


def curl_args(cmd: str) -> list[str]:
    """The argument vector a POSIX shell would build (line continuations removed)."""
    return shlex.split(cmd.replace("\\\n", " "))


def option_values(args: list[str], flag: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args[:-1]) if a == flag]


COMPLETION = {
    "id": "chatcmpl-x",
    "object": "chat.completion",
    "created": 1,
    "model": "phala/test",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "one"}, "finish_reason": "stop"},
        {"index": 1, "message": {"role": "assistant", "content": "two"}, "finish_reason": "stop"},
    ],
}


def sse_reply() -> Reply:
    chunk = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "streamed!"}}],
    }
    return Reply.sse([chunk, "[DONE]"])


# -- request JSON -----------------------------------------------------------------------


def test_request_json_is_the_body():
    b = body()
    text = request_json(b)
    assert json.loads(text) == b
    assert "héllo 日本" in text  # readable, not \u-escaped
    assert text.endswith("\n")


# -- curl -------------------------------------------------------------------------------


def test_curl_posts_the_exact_body_with_the_key_variable():
    b = body()
    cmd = curl_command(b, "https://api.red-pill.ai/v1/", "REDPILL_API_KEY")
    args = curl_args(cmd)
    assert args[0] == "curl"
    assert "https://api.red-pill.ai/v1/chat/completions" in args
    (data,) = option_values(args, "-d")
    assert json.loads(data) == b
    headers = option_values(args, "-H")
    assert "Content-Type: application/json" in headers
    assert "Authorization: Bearer $REDPILL_API_KEY" in headers
    # In double quotes, so the shell expands the variable (single quotes would not).
    assert '-H "Authorization: Bearer $REDPILL_API_KEY"' in cmd
    assert "-N" not in args


def test_curl_for_a_stream_does_not_buffer():
    args = curl_args(curl_command(body(stream=True), "http://h/v1", "K"))
    assert "-N" in args
    assert json.loads(option_values(args, "-d")[0])["stream"] is True


def test_curl_never_carries_a_key_from_the_profile_headers():
    headers = {
        "Authorization": f"Bearer {SECRET}",
        "X-Api-Key": SECRET,
        "x-trace": "it's me",
    }
    cmd = curl_command(body(), "http://h/v1", "LOCAL_KEY", headers)
    assert SECRET not in cmd
    args = curl_args(cmd)
    assert "x-trace: it's me" in option_values(args, "-H")
    assert "Authorization: Bearer $LOCAL_KEY" in option_values(args, "-H")


def test_curl_without_a_key_variable_sends_no_authorization():
    args = curl_args(curl_command(body(), "http://h/v1", None))
    assert not any(h.lower().startswith("authorization") for h in option_values(args, "-H"))


@pytest.mark.skipif(not shutil.which("curl") or not shutil.which("bash"), reason="needs curl")
def test_curl_command_run_by_bash_sends_the_same_request(loopback):
    b = body()
    loopback.enqueue(Reply.json(COMPLETION))
    cmd = curl_command(b, loopback.base_url, "REDPILL_API_KEY", {"x-trace": "t1"})
    env = {**os.environ, "REDPILL_API_KEY": SECRET}
    proc = subprocess.run(["bash", "-c", cmd], env=env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["choices"][1]["message"]["content"] == "two"
    (req,) = loopback.requests
    assert req.method == "POST" and req.path == "/v1/chat/completions"
    assert req.json() == b
    assert req.headers["authorization"] == f"Bearer {SECRET}"
    assert req.headers["content-type"] == "application/json"
    assert req.headers["x-trace"] == "t1"
    # Nothing in the command ran: $(whoami) and `id` arrived as text.
    assert "$(whoami) `id` $HOME" in req.json()["messages"][1]["content"]


# -- httpx ------------------------------------------------------------------------------


def test_httpx_snippet_compiles_and_holds_no_key():
    for stream in (False, True):
        code = httpx_snippet(
            body(stream), "http://h/v1", "REDPILL_API_KEY", {"Authorization": SECRET}
        )
        compile(code, "snippet.py", "exec")
        assert SECRET not in code
        assert "os.environ.get('REDPILL_API_KEY')" in code


def run_snippet(code: str, tmp_path, key: str | None) -> subprocess.CompletedProcess:
    script = tmp_path / "snippet.py"
    script.write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "REDPILL_API_KEY"}
    if key:
        env["REDPILL_API_KEY"] = key
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60
    )


def test_httpx_snippet_run_sends_the_same_request(loopback, tmp_path):
    b = body()
    loopback.enqueue(Reply.json(COMPLETION))
    code = httpx_snippet(b, loopback.base_url, "REDPILL_API_KEY", {"x-trace": "t2"})
    proc = run_snippet(code, tmp_path, SECRET)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["one", "two"]
    (req,) = loopback.requests
    assert req.path == "/v1/chat/completions"
    assert req.json() == b
    assert req.headers["authorization"] == f"Bearer {SECRET}"
    assert req.headers["x-trace"] == "t2"


def test_httpx_snippet_streams_and_goes_without_a_key_when_unset(loopback, tmp_path):
    b = body(stream=True)
    loopback.enqueue(sse_reply())
    proc = run_snippet(httpx_snippet(b, loopback.base_url, "REDPILL_API_KEY"), tmp_path, None)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "streamed!"
    (req,) = loopback.requests
    assert req.json() == b
    assert "authorization" not in req.headers


def test_exports_from_a_resolved_profile_use_its_variable(monkeypatch):
    """What the export screen passes: the endpoint's key variable, never its key."""
    monkeypatch.setenv("REDPILL_API_KEY", SECRET)
    endpoint = resolve_endpoint(load_config(), base_url="http://127.0.0.1:9/v1")
    assert endpoint.api_key == SECRET
    b = body()
    curl = curl_command(b, endpoint.base_url, endpoint.key_env, endpoint.headers)
    snippet = httpx_snippet(b, endpoint.base_url, endpoint.key_env, endpoint.headers)
    for text in (curl, snippet, request_json(b), markdown_transcript(conversation())):
        assert SECRET not in text
    assert "http://127.0.0.1:9/v1/chat/completions" in curl_args(curl)
    assert "$REDPILL_API_KEY" in curl and "'REDPILL_API_KEY'" in snippet


# -- Markdown ---------------------------------------------------------------------------


def conversation() -> Conversation:
    conv = Conversation(
        model="phala/test", system="Be brief.", profile="local", params={"n": 2}, created=0
    )
    conv.toolset = ToolSettings(specs=[ToolSpec(name="get_weather")])
    msg = [{"role": "user", "content": "Weather in Oslo?"}]
    turn = conv.start_turn(msg, conv.build(msg))
    turn.finish(turn.live)
    turn.choices = [
        ChoiceRecord(0, content="Let me check.", reasoning="need a tool", finish_reason="stop"),
        ChoiceRecord(
            1,
            tool_calls=[
                {
                    "id": "call_9",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                }
            ],
            finish_reason="tool_calls",
        ),
    ]
    turn.chosen = 1
    result = [{"role": "tool", "tool_call_id": "call_9", "content": "-3 °C"}]
    t2 = conv.start_turn(result, conv.build(result))
    t2.finish(t2.live)
    t2.choices = [ChoiceRecord(0, content="It is -3 °C.", finish_reason="stop")]
    t2.usage = {"total_tokens": 77}
    msg3 = [{"role": "user", "content": "Thanks"}]
    t3 = conv.start_turn(msg3, conv.build(msg3))
    t3.finish(t3.live)
    t3.error = {"message": "rate limited"}
    return conv


def test_markdown_transcript_reads_like_the_conversation():
    md = markdown_transcript(conversation())
    assert md.startswith("# Weather in Oslo?\n")
    assert "model `phala/test` · profile local" in md
    order = [
        "## System",
        "Be brief.",
        "## You",
        "Weather in Oslo?",
        "## Assistant — choice 1",
        "<details><summary>Reasoning</summary>",
        "Let me check.",
        "## Assistant — choice 2 (continued)",
        "Tool call `get_weather` (`call_9`):",
        '{"city":"Oslo"}',
        "## Tool result `call_9`",
        "-3 °C",
        "It is -3 °C.",
        "*finish: stop · tokens: 77*",
        "## You",
        "Thanks",
        "> Error: rate limited",
    ]
    pos = 0
    for part in order:
        found = md.find(part, pos)
        assert found >= 0, f"{part!r} missing or out of order"
        pos = found + len(part)
    assert "*finish: tool_calls*" in md


def test_markdown_shows_a_legacy_function_call():
    conv = Conversation(model="m")
    msg = [{"role": "user", "content": "weather?"}]
    turn = conv.start_turn(msg, conv.build(msg))
    turn.finish(turn.live)
    fc = {"name": "get_weather", "arguments": '{"city": "Oslo"}'}
    turn.choices = [ChoiceRecord(0, function_call=fc, finish_reason="function_call")]
    md = markdown_transcript(conv)
    assert "Function call `get_weather`" in md and '{"city": "Oslo"}' in md


def test_markdown_of_image_messages_keeps_the_text():
    conv = Conversation(model="m")
    content = [
        {"type": "text", "text": "Describe this"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
    ]
    msg = [{"role": "user", "content": content}]
    turn = conv.start_turn(msg, conv.build(msg))
    turn.finish(turn.live)
    md = markdown_transcript(conv)
    assert "Describe this\n[image image/png, 0.0 KB, sha256 " in md  # never its bytes
    assert "AAAA" not in md
