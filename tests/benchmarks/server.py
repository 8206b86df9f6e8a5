"""A loopback chat-completions server for benchmarks: streams pre-built SSE bodies as fast
as the socket takes them (or at a steady rate), in a thread of its own."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass

WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "streaming",
    "tokens",
    "arrive",
    "fast",
    "and",
    "markdown",
    "renders",
    "`inline",
    "code`",
    "with",
    "**bold**",
    "and",
    "_italic_",
    "text",
    "in",
    "every",
    "paragraph",
]


def delta_texts(count: int, seed: int = 0) -> list[str]:
    """About six characters a delta, with paragraphs and a code fence now and then."""
    out = []
    for i in range(count):
        w = WORDS[(i * 7 + seed) % len(WORDS)]
        if i % 120 == 119:
            out.append("\n\n```python\nprint('hello')\n```\n\n")
        elif i % 40 == 39:
            out.append(w + ".\n\n")
        else:
            out.append(w + " ")
    return out


def sse_body(deltas: int, n: int) -> bytes:
    texts = delta_texts(deltas)
    head = '{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"bench",'
    parts = []
    for c in range(n):
        parts.append(
            f'data: {head}"choices":[{{"index":{c},"delta":{{"role":"assistant","content":""}}}}]}}\n\n'
        )
    for t in texts:
        enc = json.dumps(t)
        for c in range(n):
            parts.append(
                f'data: {head}"choices":[{{"index":{c},"delta":{{"content":{enc}}}}}]}}\n\n'
            )
    for c in range(n):
        parts.append(
            f'data: {head}"choices":[{{"index":{c},"delta":{{}},"finish_reason":"stop"}}]}}\n\n'
        )
    parts.append("data: [DONE]\n\n")
    return "".join(parts).encode()


@dataclass
class Plan:
    deltas: int = 2000
    n: int = 1
    rate: float | None = None  # deltas per second per choice; None = as fast as possible


class BenchServer:
    def __init__(self) -> None:
        self.plan = Plan()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    def __enter__(self) -> BenchServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                length = 0
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    if k.lower() == "content-length":
                        length = int(v)
                if length:
                    await reader.readexactly(length)
                path = lines[0].split(" ")[1]
                if path.endswith("/models"):
                    body = b'{"object":"list","data":[{"id":"bench"}]}'
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                        + str(len(body)).encode()
                        + b"\r\n\r\n"
                        + body
                    )
                    await writer.drain()
                    continue
                plan = self.plan
                body = sse_body(plan.deltas, plan.n)
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\n\r\n"
                )
                if plan.rate is None:
                    writer.write(body)
                    await writer.drain()
                else:
                    events = body.split(b"\n\n")
                    per_tick = plan.n  # one delta for every choice per tick
                    interval = 1.0 / plan.rate
                    start = time.perf_counter()
                    for i in range(0, len(events) - 1, per_tick):
                        writer.write(b"\n\n".join(events[i : i + per_tick]) + b"\n\n")
                        await writer.drain()
                        due = start + (i // per_tick + 1) * interval
                        delay = due - time.perf_counter()
                        if delay > 0:
                            await asyncio.sleep(delay)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
