"""``redpill-tui ask`` against hostile servers (loopback HTTP): split surrogates, errors in
200 responses, redirects elsewhere, keys over plain HTTP, bad timeouts, control characters
in the finish reason, and ``--verify`` that does not verify."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from tests.loopback import LoopbackServer, Reply, chunk, sse, text_stream
from tui import cli
from tui.config import Config, Endpoint
from tui.headless import AskOptions, ask

SECRET = "sk-test-Hostile-Key-0099"


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


class StrictOut(io.TextIOWrapper):
    """Like a real stdout: UTF-8, strict, so a lone surrogate raises."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", errors="strict", write_through=True)

    def text(self) -> str:
        return self.buffer.getvalue().decode("utf-8")


async def _ask(url: str, out: Any, err: Any, **opts: Any) -> int:
    endpoint = Endpoint(profile="test", base_url=url, key_env="TEST_KEY", model="test-model")
    options = AskOptions(prompt="hi", **opts)
    return await ask(options, endpoint, Config(max_retries=0), out=out, err=err)


SPLIT_EMOJI = [
    chunk(0, "", role="assistant"),
    chunk(0, "smile \ud83d"),
    chunk(0, "\ude00 and lone \ud83d"),
    chunk(0, " end"),
    chunk(0, finish="stop"),
    "[DONE]",
]


# -- surrogates -------------------------------------------------------------------------------


@pytest.mark.parametrize("json_out", [True, False], ids=["json", "text"])
async def test_ask_with_a_split_surrogate_pair_prints_the_emoji(loopback, json_out):
    loopback.enqueue(Reply.sse(SPLIT_EMOJI))
    out, err = StrictOut(), io.StringIO()
    assert await _ask(loopback.base_url, out, err, json_out=json_out) == 0, err.getvalue()
    want = "smile 😀 and lone \ufffd end"
    if json_out:
        (line,) = out.text().splitlines()
        assert json.loads(line)["choices"][0]["content"] == want
    else:
        assert out.text() == want + "\n"


def test_cli_ask_json_with_lone_surrogates_prints_one_valid_object(capsys, loopback):
    loopback.enqueue(Reply.sse(SPLIT_EMOJI))
    code, out, err = run_cli(
        capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "--json", "hi"
    )
    assert code == 0, err
    (line,) = out.splitlines()
    assert json.loads(line)["choices"][0]["content"] == "smile 😀 and lone \ufffd end"


# -- errors in a 200 response ----------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"object": "error", "message": "This model's maximum context is 4096", "code": 400},
        {"error": {"message": "This model's maximum context is 4096", "type": "invalid"}},
    ],
    ids=["vllm", "error-object"],
)
def test_ask_with_an_error_in_a_200_body_exits_1(capsys, loopback, body):
    loopback.enqueue(Reply.json(body))
    code, out, err = run_cli(
        capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "--no-stream", "hi"
    )
    assert code == 1
    assert out == ""
    assert "This model's maximum context is 4096" in err
    loopback.enqueue(Reply.json(body))
    code, out, err = run_cli(
        capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "--no-stream", "--json", "hi"
    )
    assert code == 1
    result = json.loads(out)
    assert result["error"]["kind"] == "api"
    assert result["error"]["message"] == "This model's maximum context is 4096"


def test_ask_with_llama_cpp_error_line_in_the_stream_exits_1_keeping_the_partial(capsys, loopback):
    body = (
        b"".join(sse(text_stream("half an ", "answer")[:-2]))
        + b'error: {"code":500,"message":"the slot was cancelled","type":"server_error"}\n\n'
        + b"data: [DONE]\n\n"
    )
    loopback.enqueue(Reply(headers=[("Content-Type", "text/event-stream")], body=[body]))
    code, out, err = run_cli(capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "hi")
    assert code == 1
    assert out == "half an answer\n"
    assert "the slot was cancelled" in err


# -- redirects ---------------------------------------------------------------------------------


def test_ask_never_follows_a_redirect_to_another_server(capsys, loopback, monkeypatch):
    monkeypatch.setenv("REDPILL_API_KEY", SECRET)
    with LoopbackServer() as other:
        target = f"{other.base_url}/chat/completions"
        loopback.enqueue(
            Reply(status=307, headers=[("Location", target)], body=b"", framing="length")
        )
        code, out, err = run_cli(capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "hi")
        assert other.requests == []
    assert code == 1
    assert out == ""
    assert f"the server redirected to {target}; not followed" in err
    assert "Traceback" not in err and SECRET not in err


# -- plain HTTP ---------------------------------------------------------------------------------


def test_ask_warns_when_the_key_would_go_over_plain_http_to_another_host(capsys, monkeypatch):
    monkeypatch.setenv("REDPILL_API_KEY", SECRET)
    from tests.test_headless import write_config

    # Nothing listens there; fail fast. The warning comes before any connection.
    write_config("[timeouts]\nconnect = 0.2\nmax_retries = 0\n")
    code, out, err = run_cli(capsys, "ask", "--base-url", "http://192.0.2.1:9/v1", "-m", "m", "hi")
    assert code == 1
    first = err.splitlines()[0]
    assert first == (
        "redpill-tui: warning: the API key is sent unencrypted (plain http://) to 192.0.2.1:9"
    )
    assert SECRET not in err


def test_ask_does_not_warn_for_loopback_or_without_a_key(capsys, loopback, monkeypatch):
    loopback.enqueue(Reply.sse(text_stream("ok")), Reply.sse(text_stream("ok")))
    code, _, err = run_cli(capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "hi")
    assert code == 0 and "warning" not in err
    monkeypatch.setenv("REDPILL_API_KEY", SECRET)
    code, _, err = run_cli(capsys, "ask", "--base-url", loopback.base_url, "-m", "m", "hi")
    assert code == 0 and "warning" not in err


# -- usage ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "-1", "0"])
def test_a_timeout_that_is_not_a_finite_positive_number_is_exit_2(capsys, loopback, value):
    code, out, err = run_cli(
        capsys, "ask", "--base-url", loopback.base_url, "-m", "m", f"--timeout={value}", "hi"
    )
    assert code == 2
    assert out == ""
    assert err.startswith("redpill-tui: --timeout must be a finite number of seconds more than 0")
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert loopback.requests == []


# -- what reaches the terminal ---------------------------------------------------------------


async def test_finish_reasons_in_choice_headers_are_neutralised_on_a_terminal(loopback):
    events = [
        chunk(0, "", role="assistant"),
        chunk(1, "", role="assistant"),
        chunk(0, "one"),
        chunk(1, "two"),
        chunk(0, finish="stop\x1b[2J\x1b]0;pwned\x07"),
        chunk(1, finish="\u202elength"),
        "[DONE]",
    ]
    loopback.enqueue(Reply.sse(events))
    out, err = TTY(), io.StringIO()
    assert await _ask(loopback.base_url, out, err) == 0
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "=== choice 0 (stop␛[2J␛]0;pwned␇) ===" in text
    assert "=== choice 1 (<U+202E>length) ===" in text


async def test_the_model_list_and_its_errors_are_neutralised_on_a_terminal(loopback):
    loopback.route(
        "/models",
        Reply.json({"object": "error", "message": "no \x1b]52;c;ZXZpbA==\x07 models"}),
    )
    endpoint = Endpoint(profile="test", base_url=loopback.base_url, key_env="TEST_KEY")
    out, err = TTY(), TTY()
    code = await ask(AskOptions(prompt="hi"), endpoint, Config(max_retries=0), out=out, err=err)
    assert code == 1
    assert "\x1b" not in err.getvalue() and "\x07" not in err.getvalue()
    assert "no ␛]52;c;ZXZpbA==␇ models" in err.getvalue()
