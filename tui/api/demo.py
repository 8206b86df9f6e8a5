"""The offline demo endpoint: a simulator of the chat-completions API as an httpx transport.

It lets a new user with no key and no network try everything, and it is honest about being
a simulator: the text is generated from a word list, not by a model. What it does honour:

- ``n`` (choices interleave like a real server's), ``max_tokens`` (finish ``length``),
  ``stop`` (up to 4 sequences, finish ``stop``), ``seed`` (same seed, same text),
  ``stream`` on and off, ``stream_options.include_usage`` (a final usage chunk);
``logprobs`` and ``top_logprobs`` (made-up probabilities, one entry per streamed piece);
- ``response_format`` ``json_object`` (valid JSON) and ``json_schema`` (an instance of it);
- ``tools`` / ``tool_choice`` and the deprecated ``functions`` / ``function_call``: calls
  whose arguments satisfy the tool's schema (local ``$ref`` included), in parallel when
  the prompt names several tools (one with ``parallel_tool_calls: false``); with
  ``auto`` a question (``?``) gets the first tool; after tool results come back, a text
  answer that uses them;
- invalid parameters are answered with a 400 like a real server's;
- errors on demand, typed in the message: ``demo:error 429`` (or any status),
  ``demo:error stream`` (an error event mid-stream), ``demo:drop`` (the connection drops
  mid-reply), ``demo:refusal``, ``demo:reasoning`` (reasoning text before the answer).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

from .demo_replies import TRIGGER, Choice, example_for, plan, prompt_tokens, token_logprobs
from .schema import InvalidParameter, validate_request
from .shapes import content_text

__all__ = ["MODELS", "DemoTransport", "example_for"]


def _model(id_: str, name: str, context: int, tee: bool, extra: list[str]) -> dict[str, Any]:
    """A demo model as ``GET /models`` lists it."""
    basic = ["max_tokens", "temperature", "top_p", "stop", "seed", "n"]
    formats = ["response_format", "tools", "tool_choice"]
    return {
        "id": id_,
        "object": "model",
        "owned_by": "redpill-tui demo",
        "name": name,
        "context_length": context,
        "pricing": {"prompt": "0", "completion": "0"},
        "is_tee": tee,
        "supported_parameters": [*basic, *extra, *formats],
    }


MODELS: list[dict[str, Any]] = [
    _model(
        "demo-small",
        "Demo Small (offline simulator)",
        8192,
        False,
        ["presence_penalty", "frequency_penalty", "logit_bias"],
    ),
    _model("demo-tee", "Demo TEE (offline simulator, no real enclave)", 32768, True, []),
]


class DemoTransport(httpx.AsyncBaseTransport):
    """Answers chat-completions and model-list requests offline."""

    def __init__(self, *, delay: float = 0.012, seed: int | None = None) -> None:
        self.delay = delay  # seconds between stream ticks (one delta for every choice)
        self._rng = random.Random(seed)
        self._count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.rstrip("/")
        if request.method == "GET" and path.endswith("/models"):
            return self._json(200, {"object": "list", "data": MODELS})
        if request.method == "POST" and path.endswith("/chat/completions"):
            body = await request.aread()
            return self._chat(body)
        if "/signature/" in path or "/attestation/" in path:
            return self._error(
                404, "the demo endpoint is a simulator and signs nothing", "not_found_error"
            )
        return self._error(404, f"no route for {request.method} {path}", "not_found_error")

    # -- plumbing -----------------------------------------------------------------------

    @staticmethod
    def _json(status: int, obj: Any, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.Response(
            status,
            headers={
                "content-type": "application/json",
                "x-request-id": "req_demo",
                **(headers or {}),
            },
            content=json.dumps(obj).encode(),
        )

    def _error(
        self,
        status: int,
        message: str,
        etype: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> httpx.Response:
        headers = {"retry-after": "1"} if status in (429, 503) else None
        err = {"message": message, "type": etype, "param": param, "code": code}
        return self._json(status, {"error": err}, headers)

    # -- chat ---------------------------------------------------------------------------

    def _chat(self, raw: bytes) -> httpx.Response:
        try:
            body = json.loads(raw)
        except ValueError:
            return self._error(400, "the request body is not valid JSON")
        if not isinstance(body, dict):
            return self._error(400, "the request body must be a JSON object")
        try:
            validate_request(body)
        except InvalidParameter as exc:
            return self._error(400, f"{exc.param}: {exc.message}", param=exc.param)
        model = body["model"]
        if model not in {m["id"] for m in MODELS}:
            return self._error(
                404,
                f"The model `{model}` does not exist (the demo has "
                + ", ".join(m["id"] for m in MODELS)
                + ")",
                code="model_not_found",
            )
        messages = body["messages"]
        last_user = next((m for m in reversed(messages) if m.get("role") == "user"), {})
        trigger = (
            TRIGGER.search(content_text(last_user.get("content")))
            if messages[-1].get("role") == "user"
            else None
        )
        if trigger and trigger.group(1).lower() == "error" and (trigger.group(2) or "").isdigit():
            status = int(trigger.group(2))
            if status >= 400:
                return self._error(
                    status,
                    f"the demo endpoint failed on purpose with {status}, as asked",
                    "server_error" if status >= 500 else "invalid_request_error",
                )
        seed = body.get("seed")
        self._count += 1
        rng = random.Random(seed if seed is not None else self._rng.random())
        choices = plan(body, rng, trigger)
        completion_id = (
            "chatcmpl-demo"
            + hashlib.sha256(f"{seed}-{self._count}-{time.time_ns()}".encode()).hexdigest()[:20]
        )
        usage = {
            "prompt_tokens": prompt_tokens(messages),
            "completion_tokens": sum(c.tokens for c in choices),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        meta = {
            "id": completion_id,
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": "fp_demo_v1",
        }
        top = (body.get("top_logprobs") or 0) if body.get("logprobs") else None
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            stream = _DemoStream(
                self, choices, meta, usage if include_usage else None, trigger, rng, top
            )
            return httpx.Response(
                200,
                headers={"content-type": "text/event-stream", "x-request-id": "req_demo"},
                stream=stream,
            )
        if trigger and trigger.group(1).lower() == "drop":
            raise httpx.RemoteProtocolError("the demo dropped the connection, as asked")
        return self._json(200, self._complete(choices, meta, usage, rng, top))

    @staticmethod
    def _complete(
        choices: list[Choice],
        meta: dict[str, Any],
        usage: dict[str, Any],
        rng: random.Random,
        top: int | None,
    ) -> Any:
        out = []
        for c in choices:
            msg: dict[str, Any] = {"role": "assistant", "content": None}
            text = "".join(d.get("content") or "" for d in c.deltas)
            refusal = "".join(d.get("refusal") or "" for d in c.deltas)
            reasoning = "".join(d.get("reasoning_content") or "" for d in c.deltas)
            calls: dict[int, dict[str, Any]] = {}
            fcall: dict[str, Any] | None = None
            for d in c.deltas:
                for tc in d.get("tool_calls") or ():
                    cur = calls.setdefault(
                        tc["index"],
                        {
                            "id": tc.get("id"),
                            "type": "function",
                            "function": {"name": tc["function"].get("name"), "arguments": ""},
                        },
                    )
                    cur["function"]["arguments"] += tc["function"].get("arguments") or ""
                if "function_call" in d:
                    fc = d["function_call"]
                    if fcall is None:
                        fcall = {"name": fc.get("name"), "arguments": ""}
                    fcall["arguments"] += fc.get("arguments") or ""
            if text or not (calls or fcall or refusal):
                msg["content"] = text
            if refusal:
                msg["refusal"] = refusal
            if reasoning:
                msg["reasoning_content"] = reasoning
            if calls:
                msg["tool_calls"] = [calls[k] for k in sorted(calls)]
            if fcall:
                msg["function_call"] = fcall
            logprobs = None
            if top is not None and text:
                pieces = [d["content"] for d in c.deltas if d.get("content")]
                logprobs = {"content": [token_logprobs(t, rng, top) for t in pieces]}
            out.append(
                {"index": c.index, "message": msg, "logprobs": logprobs, "finish_reason": c.finish}
            )
        return {**meta, "object": "chat.completion", "choices": out, "usage": usage}


class _DemoStream(httpx.AsyncByteStream):
    """The SSE body of a streamed demo reply, paced like a real server."""

    def __init__(
        self,
        transport: DemoTransport,
        choices: list[Choice],
        meta: dict[str, Any],
        usage: dict[str, Any] | None,
        trigger: Any,
        rng: random.Random,
        top: int | None = None,
    ) -> None:
        self.t = transport
        self.choices = choices
        self.meta = meta
        self.usage = usage
        self.trigger = trigger
        self.rng = rng
        self.top = top  # logprobs asked for: alternatives per token (None: not asked)

    def _event(self, choices: list[dict[str, Any]], **extra: Any) -> bytes:
        obj = {**self.meta, "object": "chat.completion.chunk", "choices": choices, **extra}
        return b"data: " + json.dumps(obj, ensure_ascii=False).encode() + b"\n\n"

    @staticmethod
    def _opening(c: Choice) -> dict[str, Any]:
        """The first delta, shaped like the complete message: ``content`` is ``""`` for a
        text reply and null for a tool call or refusal (as OpenAI sends them)."""
        has = {k for d in c.deltas for k in d}
        text = any(d.get("content") for d in c.deltas)
        delta: dict[str, Any] = {"role": "assistant"}
        delta["content"] = (
            "" if text or not has & {"tool_calls", "function_call", "refusal"} else None
        )
        if "refusal" in has:
            delta["refusal"] = ""
        return delta

    def _logprobs(self, delta: dict[str, Any]) -> dict[str, Any] | None:
        text = delta.get("content")
        if self.top is None or not text:
            return None
        return {"content": [token_logprobs(text, self.rng, self.top)], "refusal": None}

    def _failure(self, kind: str) -> bytes:
        if kind == "drop":
            raise httpx.RemoteProtocolError("the demo dropped the connection, as asked")
        err = {
            "message": "the demo failed mid-stream, as asked",
            "type": "server_error",
            "code": "demo_stream_error",
        }
        return b"data: " + json.dumps({"error": err}).encode() + b"\n\n"

    async def __aiter__(self) -> AsyncIterator[bytes]:
        kind = self.trigger.group(1).lower() if self.trigger else ""
        fail_stream = kind == "error" and (self.trigger.group(2) or "").lower() == "stream"
        failing = fail_stream or kind == "drop"
        yield b": demo endpoint (offline simulator)\n\n"
        yield self._event(
            [
                {
                    "index": c.index,
                    "delta": self._opening(c),
                    "logprobs": None,
                    "finish_reason": None,
                }
                for c in self.choices
            ]
        )
        longest = max((len(c.deltas) for c in self.choices), default=0)
        fail_at = max(1, longest // 2)
        for tick in range(longest):
            if failing and tick == fail_at:
                yield self._failure(kind)
                return
            order = list(self.choices)
            self.rng.shuffle(order)
            parts = []
            for c in order:
                if tick < len(c.deltas):
                    parts.append(
                        self._event(
                            [
                                {
                                    "index": c.index,
                                    "delta": c.deltas[tick],
                                    "logprobs": self._logprobs(c.deltas[tick]),
                                    "finish_reason": None,
                                }
                            ]
                        )
                    )
            yield b"".join(parts)
            if self.t.delay:
                await asyncio.sleep(self.t.delay)
        if failing:
            # A reply too short to fail halfway fails before it finishes.
            yield self._failure(kind)
            return
        for c in self.choices:
            yield self._event(
                [{"index": c.index, "delta": {}, "logprobs": None, "finish_reason": c.finish}]
            )
        if self.usage is not None:
            yield self._event([], usage=self.usage)
        yield b"data: [DONE]\n\n"

    async def aclose(self) -> None:
        return None
