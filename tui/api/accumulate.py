"""Fold chat-completion chunks into per-choice state.

Written for what real providers send, not for the happy path: choices interleave and
finish in any order, tool-call fragments are keyed by (choice, tool index) and their id
and name are never concatenated, usage keeps the last non-null value, a chunk with
``choices: []`` is fine, unknown fields are ignored, ``[DONE]`` may be missing. An error
(in the stream, a dropped connection, invalid JSON) ends the turn and keeps every partial
choice. Every string kept is valid Unicode: a surrogate pair split across two deltas is
joined, a lone surrogate becomes U+FFFD (see :mod:`.textfix`).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError

from .choice_state import ChoiceState, ToolCallState
from .errors import APIError, from_error_object
from .responses import ChatCompletion, ChatCompletionChunk, ChunkChoice, DeltaToolCall
from .textfix import fix_surrogates, fix_value, optional

_M = TypeVar("_M", ChatCompletion, ChatCompletionChunk)


@dataclass
class Timings:
    started: float = 0.0
    first_token: float | None = None
    finished: float | None = None

    @property
    def ttft(self) -> float | None:
        return None if self.first_token is None else self.first_token - self.started

    @property
    def total(self) -> float | None:
        return None if self.finished is None else self.finished - self.started


class StreamAccumulator:
    """Per-request state: the choices and everything the response says about itself."""

    def __init__(self, *, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self.id: str | None = None
        self.model: str | None = None
        self.created: int | None = None
        self.system_fingerprint: str | None = None
        self.usage: dict[str, Any] | None = None
        self.server_rates: dict[str, float] = {}  # llama.cpp's timings: prompt, gen tok/s
        self.choices: dict[int, ChoiceState] = {}
        self.error: APIError | None = None
        # Set by the client: takes its secrets out of an error before anyone sees it.
        self.redactor: Any = None
        self.done = False  # [DONE] seen, or a complete (non-stream) body read
        self.finished = False  # nothing more will arrive
        self.cancelled = False
        self.whole_body = False  # the reply came as one JSON body, not a stream
        self.events = 0
        self.timings = Timings(started=clock())
        self._dirty: set[int] = set()
        self._meta_dirty = False
        # What the client is doing while no reply arrives (a retry's wait), for the UI.
        self.notice = ""

    # -- feeding ----------------------------------------------------------------------

    def restart_clock(self) -> None:
        self.timings = Timings(started=self._clock())

    def feed_event(self, data: str) -> None:
        """One SSE ``data`` payload. Comments, pings and empty events never get here."""
        if self.finished:
            return
        data = data.strip()
        if not data:
            return
        if data == "[DONE]":
            self.done = True
            return
        self.events += 1
        try:
            obj = json.loads(data)
        except ValueError:
            self.fail(
                APIError(
                    message=f"the server sent a line that is not JSON: {data[:120]!r}",
                    kind="protocol",
                )
            )
            return
        self.feed_chunk(obj)

    def feed_chunk(self, obj: Any) -> None:
        if not isinstance(obj, dict):
            self.fail(APIError(message=f"unexpected event: {str(obj)[:120]!r}", kind="protocol"))
            return
        chunk = self._read(
            obj,
            ChatCompletionChunk,
            "chunk",
            error=("stream", "the server reported an error in the stream"),
        )
        if chunk is None:
            return
        self._meta(chunk.id, chunk.model, chunk.created, chunk.system_fingerprint)
        if chunk.usage is not None:
            self.usage = fix_value(chunk.usage.model_dump(exclude_none=True))
            self._meta_dirty = True
        if chunk.timings is not None:
            self._server_timings(chunk.timings)
        for choice in chunk.choices:
            self._fold(choice)

    def _read(
        self, obj: Any, model: type[_M], what: str, *, error: tuple[str, str] | None
    ) -> _M | None:
        """``obj`` as ``model``, or None when the request failed: ``obj`` is an error body
        (when ``error`` gives the error's kind and the message used when it has none), or
        it does not fit the model."""
        if error is not None and isinstance(obj, dict) and _is_error_body(obj):
            kind, no_message = error
            err = from_error_object(obj, kind=kind)
            if not err.message:
                err.message = no_message
            self.fail(err)
            return None
        try:
            return model.model_validate(obj)
        except ValidationError as exc:
            self.fail(
                APIError(message=f"malformed {what}: {exc.errors()[0]['msg']}", kind="protocol")
            )
            return None

    def _meta(self, id_: Any, model: Any, created: Any, fingerprint: Any) -> None:
        id_, model, fingerprint = optional(id_), optional(model), optional(fingerprint)
        if id_ and self.id is None:
            self.id = id_
        if model and self.model is None:
            self.model = model
        if created and self.created is None:
            self.created = created
        if fingerprint:
            self.system_fingerprint = fingerprint

    def choice(self, index: int) -> ChoiceState:
        state = self.choices.get(index)
        if state is None:
            state = self.choices[index] = ChoiceState(index=index)
        return state

    def _first_token(self) -> None:
        if self.timings.first_token is None:
            self.timings.first_token = self._clock()

    def _fold(self, choice: ChunkChoice) -> None:
        state = self.choice(choice.index)
        self._dirty.add(choice.index)
        delta = choice.delta
        if delta is not None:
            if delta.role and state.role is None:
                state.role = fix_surrogates(delta.role)
            if delta.content is not None:
                state.has_content = True
                if delta.content:
                    state.add_content(delta.content)
                    state.deltas += 1
                    self._first_token()
            if delta.refusal is not None:
                state.has_refusal = True
                if delta.refusal:
                    state._refusal.append(delta.refusal)
                    self._first_token()
            reasoning = delta.reasoning_content or delta.reasoning
            if reasoning:
                state._reasoning.append(reasoning)
                self._first_token()
            for call in delta.tool_calls or ():
                self._fold_tool_call(state, call)
            if delta.function_call is not None:
                fc = state.function_call
                if fc is None:
                    fc = state.function_call = ToolCallState(index=0)
                if delta.function_call.name and not fc.name:
                    fc.name = fix_surrogates(delta.function_call.name)
                if delta.function_call.arguments:
                    fc._args.append(delta.function_call.arguments)
                self._first_token()
        if choice.logprobs:
            lp = state.logprobs if state.logprobs is not None else {}
            for key in ("content", "refusal"):
                items = choice.logprobs.get(key)
                if items and isinstance(items, list):  # (anything else: left out)
                    lp.setdefault(key, []).extend(fix_value(items))
            state.logprobs = lp
        if choice.finish_reason:
            state.finish_reason = fix_surrogates(choice.finish_reason)

    def _fold_tool_call(self, state: ChoiceState, call: DeltaToolCall) -> None:
        self._first_token()
        key = call.index
        if key is None:
            # No index: find the call by id, else continue the last one.
            key = next(
                (k for k, t in state.tool_calls.items() if call.id and t.id == call.id), None
            )
            if key is None:
                key = (
                    max(state.tool_calls)
                    if state.tool_calls and not call.id
                    else len(state.tool_calls)
                )
        else:
            key = state._tool_alias.get(key, key)
        current = state.tool_calls.get(key)
        if current is not None and call.id and current.id and call.id != current.id:
            # A new call reusing an index (some proxies send every call as index 0); the
            # fragments after it with that index and no id belong to the new call.
            key = max(state.tool_calls) + 1
            if call.index is not None:
                state._tool_alias[call.index] = key
            current = None
        if current is None:
            current = state.tool_calls[key] = ToolCallState(index=key)
        if call.id and not current.id:
            current.id = fix_surrogates(call.id)
        if call.type and not current.type:
            current.type = fix_surrogates(call.type)
        fn = call.function
        if fn is not None:
            if fn.name and not current.name:
                current.name = fix_surrogates(fn.name)
            if fn.arguments:
                current._args.append(fn.arguments)

    def load_completion(self, obj: Any) -> None:
        """A complete (non-stream) response body, or an error body in its place."""
        self.whole_body = True
        # An error in a 200 body ({"error": {...}}, or vLLM's {"object": "error"}), when
        # no reply came with it.
        has_reply = isinstance(obj, dict) and bool(obj.get("choices"))
        error = None if has_reply else ("api", "the server answered with an error and no reply")
        resp = self._read(fix_value(obj), ChatCompletion, "response", error=error)
        if resp is None:
            return
        self._meta(resp.id, resp.model, resp.created, resp.system_fingerprint)
        if resp.usage is not None:
            self.usage = resp.usage.model_dump(exclude_none=True)
        if resp.timings is not None:
            self._server_timings(resp.timings)
        if resp.choices:
            self._first_token()
        for ch in resp.choices:
            state = self.choice(ch.index)
            self._dirty.add(ch.index)
            msg = ch.message
            state.role = msg.role or "assistant"
            reasoning = msg.reasoning_content or msg.reasoning
            if msg.content is not None:
                state.has_content = True
                state.set_content(msg.content, reasoning)
                state.deltas = 1
            elif reasoning:
                state._reasoning.set(reasoning)
            if msg.refusal is not None:
                state.has_refusal = True
                state._refusal.set(msg.refusal)
            for i, raw in enumerate(msg.tool_calls or ()):
                fn = raw.get("function") or {}
                tc = state.tool_calls[i] = ToolCallState(
                    index=i, id=raw.get("id"), type=raw.get("type"), name=fn.get("name")
                )
                args = fn.get("arguments")
                if args is not None:
                    tc._args.append(args if isinstance(args, str) else json.dumps(args))
            if msg.function_call:
                args = msg.function_call.get("arguments")
                state.function_call = ToolCallState(index=0, name=msg.function_call.get("name"))
                if args is not None:
                    state.function_call._args.append(
                        args if isinstance(args, str) else json.dumps(args)
                    )
            state.logprobs = ch.logprobs
            state.finish_reason = ch.finish_reason
        self.done = True

    def fail(self, error: APIError) -> None:
        if self.error is None:
            if self.redactor is not None:
                self.redactor.error(error)
            self.error = error
        self.finish()

    def cancel(self) -> None:
        self.cancelled = True
        self.finish()

    def finish(self) -> None:
        if not self.finished:
            self.finished = True
            for state in self.choices.values():
                state.flush()
            self.timings.finished = self._clock()
            self._meta_dirty = True
            self._dirty.update(self.choices)

    # -- reading ----------------------------------------------------------------------

    def set_notice(self, text: str) -> None:
        """Say what the request is waiting for (empty: nothing)."""
        if text != self.notice:
            self.notice = text
            self._meta_dirty = True

    def take_dirty(self) -> tuple[set[int], bool]:
        """The choices changed since the last call, and whether request-level state did."""
        dirty, meta = self._dirty, self._meta_dirty
        self._dirty, self._meta_dirty = set(), False
        return dirty, meta

    def ordered(self) -> list[ChoiceState]:
        return [self.choices[k] for k in sorted(self.choices)]

    @property
    def completion_tokens(self) -> int:
        if self.usage and isinstance(self.usage.get("completion_tokens"), int):
            return self.usage["completion_tokens"]
        return sum(c.deltas for c in self.choices.values())

    @property
    def tokens_per_second(self) -> float | None:
        t = self.timings
        end = t.finished if t.finished is not None else self._clock()
        # A complete (non-stream) body arrives all at once: the rate is over the whole
        # request, not over the microseconds between its first and last token.
        start = t.started if self.whole_body else t.first_token
        if start is None or end <= start:
            return None
        return self.completion_tokens / (end - start)

    def _server_timings(self, raw: dict[str, Any]) -> None:
        """llama.cpp's measured rates (kept when they are finite non-negative numbers)."""
        for key, name in (("prompt_per_second", "prompt"), ("predicted_per_second", "gen")):
            value = raw.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            try:
                rate = float(value)
            except OverflowError:
                continue
            if math.isfinite(rate) and rate >= 0:
                self.server_rates[name] = round(rate, 1)
        self._meta_dirty = True

    def timings_dict(self) -> dict[str, Any]:
        t = self.timings
        tps = self.tokens_per_second
        out = {
            "ttft_s": None if t.ttft is None else round(t.ttft, 4),
            "total_s": None if t.total is None else round(t.total, 4),
            "tokens_per_s": None if tps is None else round(tps, 2),
            "completion_tokens": self.completion_tokens,
        }
        if self.server_rates:  # as the server measured them (llama.cpp)
            out["server_tokens_per_s"] = dict(self.server_rates)
        return out

    def result(self) -> dict[str, Any]:
        """Everything a script wants to know, in the shape of ``ask --json``."""
        return {
            "id": self.id,
            "model": self.model,
            "created": self.created,
            "system_fingerprint": self.system_fingerprint,
            "choices": [c.to_dict() for c in self.ordered()],
            "usage": self.usage,
            "error": self.error.to_dict() if self.error else None,
            "cancelled": self.cancelled,
            "timings": self.timings_dict(),
        }


def _is_error_body(obj: dict[str, Any]) -> bool:
    """``{"error": ...}`` (OpenAI, llama.cpp) or ``{"object": "error", ...}`` (vLLM)."""
    return obj.get("error") not in (None, "", {}) or obj.get("object") == "error"
