"""A hostile server: every string field it sends holds control sequences and markup. The
real app runs in a pty; for each field it must survive, write none of those bytes, and
still answer the next message."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.hostile.harness import Pty, app_argv, dirs_env, hostile, leaks
from tests.loopback import Reply, Request, sse

SSE = [("Content-Type", "text/event-stream")]
H = hostile  # H("marker"): a hostile string ending with a plain marker


def completion_chunk(choice: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-x",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m1",
        "choices": [choice],
        **top,
    }


def delta(index: int = 0, finish: str | None = None, **d: Any) -> dict[str, Any]:
    return {"index": index, "delta": d, "finish_reason": finish}


def stream(*events: Any) -> Reply:
    return Reply(status=200, headers=SSE, body=sse([*events, "[DONE]"]))


def text_reply(text: str, **top: Any) -> Reply:
    return stream(
        completion_chunk(delta(role="assistant", content=text), **top),
        completion_chunk(delta(finish="stop"), **top),
    )


# Each scenario: the reply to a message naming it, and the marker that shows it rendered.
SCENARIOS: dict[str, Callable[[], Reply]] = {
    "content": lambda: text_reply(H("zzcontent")),
    "meta-fields": lambda: text_reply(
        "zzmeta", id=H("id"), model=H("model"), system_fingerprint=H("fp")
    ),
    "finish-n1": lambda: stream(
        completion_chunk(delta(role="assistant", content="zzfinish1 ")),
        completion_chunk(delta(finish=H("f1"))),
    ),
    "finish-n2": lambda: stream(
        completion_chunk(delta(0, role="assistant", content="zzfinish2 ")),
        completion_chunk(delta(1, role="assistant", content="other ")),
        completion_chunk(delta(0, finish=H("f2a"))),
        completion_chunk(delta(1, finish="[/oops]")),
    ),
    "reasoning": lambda: stream(
        completion_chunk(delta(role="assistant", reasoning_content=H("r1"))),
        completion_chunk(delta(reasoning=H("r2"))),
        completion_chunk(delta(content="zzreasoning")),
        completion_chunk(delta(finish="stop")),
    ),
    "refusal": lambda: stream(
        completion_chunk(delta(role="assistant", refusal=H("zzrefusal"))),
        completion_chunk(delta(finish="stop")),
    ),
    "tool-call": lambda: stream(
        completion_chunk(
            delta(
                role="assistant",
                content="zztoolcall ",
                tool_calls=[
                    {
                        "index": 0,
                        "id": H("id"),
                        "type": "function",
                        "function": {"name": H("name"), "arguments": json.dumps({"a": H("arg")})},
                    }
                ],
            )
        ),
        completion_chunk(delta(finish="tool_calls")),
    ),
    "http-error": lambda: Reply.json(
        {"error": {"message": H("zzhttperr"), "type": H("t"), "code": H("c")}}, status=400
    ),
    "stream-error": lambda: Reply(
        status=200,
        headers=SSE,
        body=sse(
            [
                completion_chunk(delta(role="assistant", content="zzstreamerr ")),
                {"error": {"message": H("e"), "type": H("t")}},
            ]
        ),
    ),
    "non-stream": lambda: Reply.json(
        {
            "id": H("id"),
            "object": "chat.completion",
            "created": 1,
            "model": H("model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": H("zznonstream")},
                    "finish_reason": H("fin"),
                }
            ],
        }
    ),
}


def answer(request: Request) -> Reply:
    messages = request.json().get("messages") or []
    last = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    said = str(last.get("content") or "")
    for name, make in SCENARIOS.items():
        if said == f"field {name}":
            return make()
    return text_reply(f"pong {said.split()[-1] if said else ''}")


def models(_: Request) -> Reply:
    return Reply.json(
        {
            "object": "list",
            "data": [
                {"id": H("model0"), "object": "model", "owned_by": H("owner"), "name": H("n")},
                {"id": "plain-model", "object": "model", "owned_by": "me"},
            ],
        }
    )


@pytest.fixture
def hostile_server(loopback):
    loopback.route("/chat/completions", answer)
    loopback.route("/models", models)
    return loopback


def test_every_hostile_field_is_inert_and_the_chat_goes_on(hostile_server, tmp_path):
    # No -m: the app picks the first model of /models, a hostile id, by itself.
    app = Pty(app_argv("--base-url", hostile_server.base_url), env=dirs_env(tmp_path))
    try:
        assert app.wait_for("essage", 30), "the app did not start:\n" + app.text()[-2000:]
        # the sidebar's model field shows the start of the id, made visible
        assert app.wait_for("␛]52", 15), "the auto-picked model never showed"
        app.read_for(0.5)
        for name in SCENARIOS:
            start = len(app.out)
            app.type(f"field {name}\r")
            marker = {
                "http-error": "zzhttperr",
                "stream-error": "zzstreamerr",
            }.get(name, f"zz{name.replace('-', '')}")
            if name == "meta-fields":
                marker = "zzmeta"
            elif name.startswith("finish"):
                marker = "zzfinish" + name[-1]
            assert app.wait_for(marker, 20, since=start), f"{name}: nothing rendered"
            app.read_for(0.3)
            assert app.alive(), f"{name}: the app died:\n{app.text(start)[-3000:]}"
            app.type("\x0c")  # ctrl+l: back to the composer, wherever focus went
            app.type(f"ping {name}\r")
            assert app.wait_for(f"pong {name}", 20, since=start), (
                f"{name}: the chat did not answer the next message"
            )
            assert not leaks(bytes(app.out[start:])), f"{name}: {leaks(bytes(app.out[start:]))}"
        # F4: the model list, hostile ids included, then pick the plain one
        start = len(app.out)
        app.type("\x1bOS")  # F4
        assert app.wait_for("plain-model", 15, since=start)
        app.read_for(0.3)
        app.type("\x1b")  # esc
        app.read_for(0.5)
        assert app.alive()
        assert not leaks(bytes(app.out)), leaks(bytes(app.out))
    finally:
        app.close()
    # the exact hostile model id went on the wire; the screen only ever showed it inert
    sent = [r.json() for r in hostile_server.requests if r.path.endswith("/chat/completions")]
    assert sent and sent[0]["model"] == H("model0")
