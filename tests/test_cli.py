"""The real ``redpill-tui`` command as a subprocess: stdin prompts, exit codes, stderr text,
a pseudo-terminal for stdout, a reader that goes away."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.loopback import Reply, chunk, sse, text_stream
from tests.refdata import STREAMS, request_validator

SECRET = "sk-subprocess-V3ryS3cretKey"
EXE = Path(sys.executable).parent / "redpill-tui"
COMMAND = [str(EXE)] if EXE.exists() else [sys.executable, "-m", "tui"]
TIMEOUT = 60

# every chat request body sent to the loopback server in this file validates
pytestmark = pytest.mark.usefixtures("valid_bodies")
validate_body = request_validator()


def env(**extra: str) -> dict[str, str]:
    e = dict(os.environ)  # the per-test config and data dirs from conftest
    e.pop("REDPILL_API_KEY", None)
    e.update(extra)
    return e


def run(*args: str, stdin: bytes | None = None, **env_extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*COMMAND, *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        env=env(**env_extra),
        timeout=TIMEOUT,
    )


def test_prompt_from_stdin_streams_json(loopback):
    raw = (STREAMS / "llama-server" / "stop_sequence.sse").read_bytes()
    loopback.enqueue(Reply(headers=[("Content-Type", "text/event-stream")], body=[raw]))
    prompt = "Fill in: the cat sat on the ___\nsecond line ünïcode\n"
    p = run("ask", "--base-url", loopback.base_url, "-m", "gemma", "--json", stdin=prompt.encode())
    assert p.returncode == 0, p.stderr.decode()
    assert p.stderr == b""
    result = json.loads(p.stdout)
    assert result["choices"][0]["content"].startswith("Fill out the blanks")
    assert result["choices"][0]["finish_reason"] == "length"
    assert result["error"] is None
    body = loopback.requests[0].json()
    validate_body(body)
    assert body["messages"] == [{"role": "user", "content": prompt}]
    assert "authorization" not in loopback.requests[0].headers


def test_text_to_a_pipe_is_exact_and_newline_terminated(loopback):
    loopback.enqueue(Reply.sse(text_stream("one ", "two\n", "thr\x1b[1mee")))
    p = run("ask", "--base-url", loopback.base_url, "-m", "m", "count")
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout.decode() == "one two\nthr\x1b[1mee\n"  # not a terminal: exact bytes


def test_api_error_is_exit_1_with_a_readable_stderr_and_no_key(loopback):
    def echo(request):
        auth = request.headers["authorization"]
        return Reply.json({"error": {"message": f"Incorrect API key provided: {auth}"}}, status=401)

    loopback.route("/chat/completions", echo)
    p = run("ask", "--base-url", loopback.base_url, "-m", "m", "hi", REDPILL_API_KEY=SECRET)
    assert p.returncode == 1
    err = p.stderr.decode()
    assert "HTTP 401" in err and "set REDPILL_API_KEY to your API key" in err
    assert "Traceback" not in err
    assert 1 <= len(err.strip().splitlines()) <= 2
    assert SECRET not in err and SECRET.encode() not in p.stdout
    assert loopback.requests[0].headers["authorization"] == f"Bearer {SECRET}"


def test_partial_output_is_printed_before_a_network_error(loopback):
    body = sse([chunk(0, "", role="assistant"), chunk(0, "partial")])
    loopback.enqueue(Reply(headers=[("Content-Type", "text/event-stream")], body=body, drop=True))
    p = run("ask", "--base-url", loopback.base_url, "-m", "m", "hi")
    assert p.returncode == 1
    assert p.stdout == b"partial\n"
    assert "dropped" in p.stderr.decode() or "ended" in p.stderr.decode()


def test_stalled_stream_with_timeout(loopback):
    body = sse([chunk(0, "", role="assistant"), chunk(0, "wait")])
    loopback.enqueue(Reply(headers=[("Content-Type", "text/event-stream")], body=body, stall=30))
    p = run("ask", "--base-url", loopback.base_url, "-m", "m", "--timeout", "0.5", "--json", "hi")
    assert p.returncode == 1
    result = json.loads(p.stdout)
    assert result["error"]["kind"] == "timeout"
    assert result["choices"][0]["content"] == "wait"
    assert "timed out" in p.stderr.decode()


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (["ask", "-m", "m", "-p", "temperature=9", "hi"], None, "invalid parameter temperature"),
        (["ask", "-m", "m", "-p", "nokey", "hi"], None, "KEY=VALUE"),
        (["ask", "-m", "m"], b"", "prompt is empty"),
        (["ask", "-m", "m"], b"\xff\xfe not utf-8", "UTF-8"),
        (["ask", "--profile", "missing", "hi"], None, "no profile named 'missing'"),
        (["ask", "--bogus-flag", "hi"], None, "unrecognized arguments"),
    ],
)
def test_bad_usage_is_exit_2(loopback, args, stdin, says):
    p = run(*args, "--base-url", loopback.base_url, stdin=stdin)
    assert p.returncode == 2
    assert p.stdout == b""
    err = p.stderr.decode()
    assert says in err
    assert "Traceback" not in err
    assert loopback.requests == []


def test_models_subprocess(loopback):
    loopback.enqueue(
        Reply.json(
            {
                "data": [
                    {
                        "id": "tee-model",
                        "context_length": 8192,
                        "pricing": {"prompt": "1e-7", "completion": "2e-7"},
                        "is_tee": True,
                    },
                    {"id": "plain-model"},
                ]
            }
        )
    )
    p = run("models", "--base-url", loopback.base_url)
    assert p.returncode == 0, p.stderr.decode()
    lines = p.stdout.decode().splitlines()
    assert lines[1].split() == ["tee-model", "8192", "1e-7", "/", "2e-7", "yes"]
    assert lines[2].split() == ["plain-model"]


def test_ask_demo_subprocess_works_offline():
    p = run(
        "ask",
        "--demo",
        "-p",
        "seed=7",
        "--json",
        "What is the weather in Oslo?",
        "--tools",
        str(_tools_file()),
    )
    assert p.returncode == 0, p.stderr.decode()
    result = json.loads(p.stdout)
    (choice,) = result["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert json.loads(choice["tool_calls"][0]["function"]["arguments"]) == {"city": "Oslo"}


def _tools_file() -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "tools.json"
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ]
    path.write_text(json.dumps(tools), encoding="utf-8")
    return path


def test_help_lists_the_options():
    p = run("ask", "--help")
    assert p.returncode == 0
    text = p.stdout.decode()
    for option in (
        "--base-url",
        "--profile",
        "--model",
        "--system",
        "--param",
        "--tools",
        "--no-stream",
        "--json",
        "--timeout",
        "--demo",
        "REDPILL_API_KEY",
    ):
        assert option in text


# -- a terminal, and a reader that leaves ------------------------------------------------------

HOSTILE = "a\x1b[31mRED\x1b]0;title\x07b\x9bc\u202ed\r\nend"


def _read_all(fd: int, deadline: float) -> bytes:
    out = bytearray()
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if not r:
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        out.extend(data)
    return bytes(out)


def test_on_a_terminal_control_sequences_are_neutralised(loopback):
    parts = [HOSTILE[i : i + 2] for i in range(0, len(HOSTILE), 2)]
    loopback.enqueue(Reply.sse(text_stream(*parts)))
    loopback.enqueue(Reply.sse(text_stream(*parts)))
    for extra in ([], ["--json"]):
        master, slave = pty.openpty()
        proc = subprocess.Popen(
            [*COMMAND, "ask", "--base-url", loopback.base_url, "-m", "m", *extra, "hi"],
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=subprocess.PIPE,
            env=env(TERM="xterm"),
        )
        os.close(slave)
        try:
            screen = _read_all(master, time.monotonic() + TIMEOUT)
            assert proc.wait(TIMEOUT) == 0, proc.stderr.read().decode()
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.stderr.close()
            os.close(master)
        for bad in (b"\x1b", b"\x07", "\x9b".encode(), "\u202e".encode()):
            assert bad not in screen, (extra, bad, screen)
        if extra:
            line = screen.decode().replace("\r\n", "\n").strip()
            assert json.loads(line)["choices"][0]["content"] == HOSTILE
        else:
            assert b"RED" in screen and b"title" in screen and b"end" in screen


def test_a_reader_that_goes_away_is_not_a_traceback():
    proc = subprocess.Popen(
        [*COMMAND, "ask", "--demo", "-p", "seed=1", "hello"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(),
    )
    try:
        first = proc.stdout.read(4)  # the demo streams slowly; leave after the first bytes
        assert first
        proc.stdout.close()
        code = proc.wait(TIMEOUT)
        err = proc.stderr.read().decode()
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.stderr.close()
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert code == 1
