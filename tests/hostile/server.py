"""A hostile server: every string field it sends holds control sequences and markup.
A message ``field NAME`` gets the reply of scenario NAME; any other gets ``pong WORD``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.hostile.harness import hostile
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
    if messages and messages[-1].get("role") == "tool":
        return text_reply("pong tool-call")  # the answer to the (empty) tool result
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
