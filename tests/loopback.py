"""A real HTTP server on 127.0.0.1 for tests, in a thread of its own.

It answers each request with the next queued :class:`Reply` (or a fixed route), writing
the body in exactly the pieces it is given, so tests control byte boundaries (a split
multi-byte character, an event cut in half), delays, stalls and dropped connections.
Every request is recorded, body bytes included.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Piece = bytes | float  # bytes are written as one write; a float sleeps that many seconds


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def query(self) -> dict[str, str]:
        from urllib.parse import parse_qsl, urlsplit

        return dict(parse_qsl(urlsplit(self.path).query))


@dataclass
class Reply:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | list[Piece] = b""
    # How the body is framed: "chunked" (each piece one chunk), "length"
    # (Content-Length), or "close" (body ends when the connection closes).
    framing: str = "chunked"
    stall: float | None = None  # after the body, wait this long before ending it
    drop: bool = False  # close the connection instead of ending the body
    gap: float = 0.0  # sleep between pieces, so each arrives as its own read

    @classmethod
    def json(
        cls, obj: Any, status: int = 200, headers: list[tuple[str, str]] | None = None, **kw: Any
    ) -> Reply:
        return cls(
            status=status,
            headers=[("Content-Type", "application/json"), *(headers or [])],
            body=json.dumps(obj).encode(),
            framing=kw.pop("framing", "length"),
            **kw,
        )

    @classmethod
    def sse(cls, events: list[Any], **kw: Any) -> Reply:
        return cls(headers=[("Content-Type", "text/event-stream")], body=sse(events), **kw)

    def pieces(self) -> list[Piece]:
        return [self.body] if isinstance(self.body, bytes) else list(self.body)


Handler = Reply | Callable[[Request], Reply]


def sse(events: list[Any]) -> list[bytes]:
    """One ``data:`` event per item: a dict is JSON-encoded, a str sent as it is."""
    out = []
    for e in events:
        data = e if isinstance(e, str) else json.dumps(e)
        out.append(f"data: {data}\n\n".encode())
    return out


def chunk(
    index: int = 0,
    content: str | None = None,
    *,
    role: str | None = None,
    finish: str | None = None,
    **delta: Any,
) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if role:
        d["role"] = role
    if content is not None:
        d["content"] = content
    d.update(delta)
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "test-model",
        "system_fingerprint": "fp_test",
        "choices": [{"index": index, "delta": d, "logprobs": None, "finish_reason": finish}],
    }


def text_stream(*pieces: str, finish: str = "stop", done: bool = True) -> list[Any]:
    events: list[Any] = [chunk(0, "", role="assistant")]
    events += [chunk(0, p) for p in pieces]
    events.append(chunk(0, finish=finish))
    if done:
        events.append("[DONE]")
    return events


def split_every(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class LoopbackServer:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._queue: deque[Handler] = deque()
        self._routes: dict[str, Handler] = {}
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="loopback")
        self._server: asyncio.base_events.Server | None = None
        self.port = 0
        self.connections = 0

    # -- control, from the test's thread --------------------------------------------------

    def start(self) -> LoopbackServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("loopback server did not start")
        return self

    def stop(self) -> None:
        async def _close() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(_close(), self._loop).result(5)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def enqueue(self, *replies: Handler) -> None:
        """Answer the next requests (any path without a route), in order."""
        self._queue.extend(replies)

    def route(self, path: str, handler: Handler) -> None:
        """Answer every request whose path (without the query) ends with ``path``."""
        self._routes[path] = handler

    # -- the server ---------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def _pick(self, request: Request) -> Reply:
        plain = request.path.partition("?")[0]
        handler: Handler | None = None
        for suffix, h in self._routes.items():
            if plain.endswith(suffix):
                handler = h
                break
        if handler is None and self._queue:
            handler = self._queue.popleft()
        if handler is None:
            return Reply.json(
                {
                    "error": {
                        "message": f"loopback: nothing queued for {request.path}",
                        "type": "test_error",
                    }
                },
                status=599,
            )
        return handler(request) if callable(handler) else handler

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, _, v = line.partition(":")
                        headers[k.strip().lower()] = v.strip()
                body = b""
                if "content-length" in headers:
                    body = await reader.readexactly(int(headers["content-length"]))
                request = Request(method, path, headers, body)
                self.requests.append(request)
                reply = self._pick(request)
                if not await self._write(writer, reply):
                    return
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _write(self, writer: asyncio.StreamWriter, reply: Reply) -> bool:
        """Write one response; return whether the connection stays open."""
        pieces = reply.pieces()
        status = f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}\r\n"
        head = [status.encode()]
        for k, v in reply.headers:
            head.append(f"{k}: {v}\r\n".encode())
        if reply.framing == "chunked":
            head.append(b"Transfer-Encoding: chunked\r\n")
        elif reply.framing == "length":
            size = sum(len(p) for p in pieces if isinstance(p, bytes))
            head.append(f"Content-Length: {size}\r\n".encode())
        keep = reply.framing != "close" and not reply.drop
        head.append(b"Connection: keep-alive\r\n\r\n" if keep else b"Connection: close\r\n\r\n")
        writer.write(b"".join(head))
        await writer.drain()
        first = True
        for piece in pieces:
            if isinstance(piece, (int, float)):
                await asyncio.sleep(piece)
                continue
            if not piece:
                continue
            if reply.gap and not first:
                await asyncio.sleep(reply.gap)
            first = False
            if reply.framing == "chunked":
                writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            else:
                writer.write(piece)
            await writer.drain()
        if reply.stall:
            await asyncio.sleep(reply.stall)
        if reply.drop:
            return False
        if reply.framing == "chunked":
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        return keep
