"""The offline demo endpoint: a simulator of the chat-completions API as an httpx transport.

It lets a new user with no key and no network try everything, and it is honest about being
a simulator: the text is generated from a word list, not by a model. What it does honour:

- ``n`` (choices interleave like a real server's), ``max_tokens`` (finish ``length``),
  ``stop`` (up to 4 sequences, finish ``stop``), ``seed`` (same seed, same text),
  ``stream`` on and off, ``stream_options.include_usage`` (a final usage chunk);
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
import math
import random
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

from .schema import InvalidParameter, validate_request
from .shapes import content_text


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

_WORDS = (
    "the simulator streams these words one token at a time so you can watch deltas "
    "arrive try changing the temperature or the seed and send again every parameter in "
    "the sidebar goes into the request body the preview shows exactly what is posted "
    "choices stream side by side when n is more than one stop sequences cut the reply "
    "max tokens ends it with length and json mode returns an object"
).split()

_CITIES = ["Paris", "Oslo", "Lisbon", "Kyoto", "Nairobi", "Lima"]
_TRIGGER = re.compile(r"demo:(error|drop|refusal|reasoning)(?:\s+(\d{3}|stream))?", re.I)


def _tokens_of(text: str) -> list[str]:
    """Split text into token-sized pieces that join back to it exactly."""
    return re.findall(r"\s*\S{1,6}|\s+", text) or [text]


def _prompt_tokens(messages: list[dict[str, Any]]) -> int:
    count = 0
    for m in messages:
        count += 4 + len(content_text(m.get("content")).split())
    return count


class _Choice:
    """What one choice will say, as a list of deltas, plus its finish reason."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.deltas: list[dict[str, Any]] = []
        self.finish = "stop"
        self.tokens = 0


def example_for(
    schema: Any, rng: random.Random, name: str = "", prompt: str = "", root: Any = None
) -> Any:
    """A value that satisfies a (simple) JSON Schema: what a well-behaved model would send.

    Local ``$ref`` (``#/$defs/...``, ``#/definitions/...``) is followed, as pydantic and
    zod emit them."""
    if not isinstance(schema, dict):
        return {}
    root = schema if root is None else root
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = _resolve_ref(root, ref)
        if target is not None:
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            return example_for({**target, **rest}, rng, name, prompt, root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return rng.choice(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return example_for(schema[key][0], rng, name, prompt, root)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            if isinstance(part, dict):
                if isinstance(part.get("$ref"), str):
                    part = _resolve_ref(root, part["$ref"]) or {}
                merged.update(part)
        return example_for(merged, rng, name, prompt, root)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        props = schema.get("properties") or {}
        out = {}
        for key, sub in props.items():
            out[key] = example_for(sub, rng, key, prompt, root)
        return out
    if kind == "array":
        count = max(int(schema.get("minItems", 1)), 1)
        count = min(count, int(schema.get("maxItems", count)))
        return [
            example_for(schema.get("items") or {}, rng, name, prompt, root) for _ in range(count)
        ]
    if kind in ("integer", "number"):
        return _number(schema, rng, kind == "integer")
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    lname = name.lower()
    if lname in ("city", "location", "place", "town"):
        named = [c for c in _CITIES if c.lower() in prompt.lower()]
        return named[0] if named else rng.choice(_CITIES)
    if schema.get("format") == "date-time":
        return "2026-01-01T12:00:00Z"
    if schema.get("format") == "date":
        return "2026-01-01"
    text = rng.choice(_WORDS)
    min_len = int(schema.get("minLength", 0))
    while len(text) < min_len:
        text += " " + rng.choice(_WORDS)
    if "maxLength" in schema:
        text = text[: int(schema["maxLength"])]
    return text


def _resolve_ref(root: Any, ref: str) -> dict[str, Any] | None:
    if not ref.startswith("#"):
        return None
    node = root
    for part in ref.lstrip("#").strip("/").split("/") if ref != "#" else ():
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, dict) else None


def _number(schema: dict[str, Any], rng: random.Random, integer: bool) -> int | float:
    """A number within minimum/maximum and their exclusive forms."""
    lo, hi = schema.get("minimum"), schema.get("maximum")
    xlo, xhi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    step = 1 if integer else 0.1
    if isinstance(xlo, (int, float)) and not isinstance(xlo, bool):
        lo = xlo + step if lo is None else max(lo, xlo + step)
    if isinstance(xhi, (int, float)) and not isinstance(xhi, bool):
        hi = xhi - step if hi is None else min(hi, xhi - step)
    if lo is None and hi is None:
        lo, hi = 0, 10 if integer else 30
    elif lo is None:
        lo = hi - (10 if integer else 30)
    elif hi is None:
        hi = lo + (10 if integer else 30)
    if integer:
        low, high = math.ceil(lo), math.floor(hi)
        return rng.randint(low, max(low, high))
    value = round(rng.uniform(lo, max(lo, hi)), 1)
    return value if lo <= value <= hi else rng.uniform(lo, max(lo, hi))


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
            _TRIGGER.search(content_text(last_user.get("content")))
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
        choices = self._plan(body, rng, trigger)
        completion_id = (
            "chatcmpl-demo"
            + hashlib.sha256(f"{seed}-{self._count}-{time.time_ns()}".encode()).hexdigest()[:20]
        )
        usage = {
            "prompt_tokens": _prompt_tokens(messages),
            "completion_tokens": sum(c.tokens for c in choices),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        meta = {
            "id": completion_id,
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": "fp_demo_v1",
        }
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            stream = _DemoStream(
                self, choices, meta, usage if include_usage else None, trigger, rng
            )
            return httpx.Response(
                200,
                headers={"content-type": "text/event-stream", "x-request-id": "req_demo"},
                stream=stream,
            )
        if trigger and trigger.group(1).lower() == "drop":
            raise httpx.RemoteProtocolError("the demo dropped the connection, as asked")
        return self._json(200, self._complete(choices, meta, usage))

    @staticmethod
    def _complete(choices: list[_Choice], meta: dict[str, Any], usage: dict[str, Any]) -> Any:
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
            out.append(
                {"index": c.index, "message": msg, "logprobs": None, "finish_reason": c.finish}
            )
        return {**meta, "object": "chat.completion", "choices": out, "usage": usage}

    # -- what each choice says ----------------------------------------------------------

    def _plan(self, body: dict[str, Any], rng: random.Random, trigger: Any) -> list[_Choice]:
        n = body.get("n") or 1
        max_tokens = body.get("max_tokens")
        stop = body.get("stop")
        stops = [stop] if isinstance(stop, str) else list(stop or [])
        messages = body["messages"]
        prompt = content_text(messages[-1].get("content")) if messages else ""
        fmt = (body.get("response_format") or {}).get("type")
        out = []
        for i in range(n):
            crng = random.Random(rng.random())
            c = _Choice(i)
            calls = self._tool_calls(body, crng, prompt, i)
            kind = trigger.group(1).lower() if trigger else ""
            if kind == "reasoning":
                thought = (
                    "Let me think about this. "
                    + " ".join(crng.choice(_WORDS) for _ in range(12))
                    + ". "
                )
                c.deltas += [{"reasoning_content": t} for t in _tokens_of(thought)]
            if kind == "refusal":
                c.deltas += [
                    {"refusal": t}
                    for t in _tokens_of("I'm sorry, the demo refuses this one, as asked.")
                ]
                c.finish = "stop"
            elif calls is not None:
                legacy, items = calls
                c.deltas += items
                c.finish = "function_call" if legacy else "tool_calls"
            else:
                text = self._text(fmt, body, crng, messages, prompt)
                c.deltas += [{"content": t} for t in _tokens_of(text)]
                c.finish = "stop"
            self._limit(c, max_tokens, stops)
            out.append(c)
        return out

    @staticmethod
    def _limit(c: _Choice, max_tokens: int | None, stops: list[str]) -> None:
        """Apply stop sequences (to content) and max_tokens to a planned choice."""
        if stops:
            text = "".join(d.get("content") or "" for d in c.deltas)
            cut = min((p for s in stops if (p := text.find(s)) >= 0), default=-1)
            if cut >= 0:
                kept: list[dict[str, Any]] = []
                seen = 0
                for d in c.deltas:
                    piece = d.get("content")
                    if piece is None:
                        kept.append(d)
                        continue
                    if seen + len(piece) > cut:
                        if cut > seen:
                            kept.append({"content": piece[: cut - seen]})
                        break
                    kept.append(d)
                    seen += len(piece)
                c.deltas = kept
                c.finish = "stop"
        if max_tokens is not None and len(c.deltas) > max_tokens:
            c.deltas = c.deltas[:max_tokens]
            c.finish = "length"
        c.tokens = len(c.deltas)

    def _text(
        self,
        fmt: str | None,
        body: dict[str, Any],
        rng: random.Random,
        messages: list[dict[str, Any]],
        prompt: str,
    ) -> str:
        if fmt == "json_schema":
            spec = (body.get("response_format") or {}).get("json_schema") or {}
            return json.dumps(example_for(spec.get("schema") or {}, rng, prompt=prompt))
        if fmt == "json_object":
            words = [rng.choice(_WORDS) for _ in range(6)]
            return json.dumps(
                {"answer": " ".join(words), "words": words, "confidence": round(rng.random(), 2)},
                indent=2,
            )
        if messages and messages[-1].get("role") in ("tool", "function"):
            results = []
            for m in reversed(messages):
                if m.get("role") not in ("tool", "function"):
                    break
                results.append(content_text(m.get("content")))
            joined = "; ".join(reversed(results))
            return f"The tool said: {joined}. That is what the demo knows about it."
        sentences = []
        for _ in range(rng.randint(2, 4)):
            words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 16))]
            sentences.append(" ".join(words).capitalize() + ".")
        text = "**Demo reply** (offline simulator). " + " ".join(sentences)
        if rng.random() < 0.5:
            text += (
                "\n\n- first point\n- second point\n\n```python\nprint('hello from the demo')\n```"
            )
        if prompt.strip():
            text += f"\n\nYou wrote {len(prompt.split())} word(s)."
        return text

    def _tool_calls(
        self, body: dict[str, Any], rng: random.Random, prompt: str, choice: int
    ) -> tuple[bool, list[dict[str, Any]]] | None:
        messages = body["messages"]
        if messages[-1].get("role") in ("tool", "function"):
            return None  # answer the results with text
        legacy = not body.get("tools") and bool(body.get("functions"))
        if legacy:
            defs = body["functions"]
            choice_param = body.get("function_call", "auto")
        else:
            defs = [t["function"] for t in body.get("tools") or ()]
            choice_param = body.get("tool_choice", "auto")
        if not defs or choice_param == "none":
            return None
        names = [d["name"] for d in defs]
        if isinstance(choice_param, dict):
            named = (choice_param.get("function") or choice_param).get("name")
            chosen = [d for d in defs if d["name"] == named]
        else:
            low = prompt.lower()
            chosen = [
                d
                for d in defs
                if d["name"].lower() in low or d["name"].lower().replace("_", " ") in low
            ]
            if not chosen and choice_param == "required":
                chosen = [defs[0]]
            if not chosen and choice_param == "auto" and names:
                # a real model would decide; the demo calls the first tool for a question
                chosen = [defs[0]] if "?" in prompt else []
        if not chosen:
            return None
        if legacy or body.get("parallel_tool_calls") is False:
            chosen = chosen[:1]  # legacy mode has one function call per reply
        deltas: list[dict[str, Any]] = []
        for k, d in enumerate(chosen):
            args = json.dumps(example_for(d.get("parameters") or {}, rng, prompt=prompt))
            pieces = [args[i : i + 8] for i in range(0, len(args), 8)] or [""]
            if legacy:
                deltas.append({"function_call": {"name": d["name"], "arguments": ""}})
                deltas += [{"function_call": {"arguments": p}} for p in pieces]
            else:
                call_id = f"call_demo{choice}{k}{rng.randrange(16**8):08x}"
                deltas.append(
                    {
                        "tool_calls": [
                            {
                                "index": k,
                                "id": call_id,
                                "type": "function",
                                "function": {"name": d["name"], "arguments": ""},
                            }
                        ]
                    }
                )
                deltas += [
                    {"tool_calls": [{"index": k, "function": {"arguments": p}}]} for p in pieces
                ]
        return legacy, deltas


class _DemoStream(httpx.AsyncByteStream):
    """The SSE body of a streamed demo reply, paced like a real server."""

    def __init__(
        self,
        transport: DemoTransport,
        choices: list[_Choice],
        meta: dict[str, Any],
        usage: dict[str, Any] | None,
        trigger: Any,
        rng: random.Random,
    ) -> None:
        self.t = transport
        self.choices = choices
        self.meta = meta
        self.usage = usage
        self.trigger = trigger
        self.rng = rng

    def _event(self, choices: list[dict[str, Any]], **extra: Any) -> bytes:
        obj = {**self.meta, "object": "chat.completion.chunk", "choices": choices, **extra}
        return b"data: " + json.dumps(obj, ensure_ascii=False).encode() + b"\n\n"

    @staticmethod
    def _opening(c: _Choice) -> dict[str, Any]:
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
                                    "logprobs": None,
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
