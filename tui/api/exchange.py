"""The raw bytes of one exchange (bounded, hashed as they pass) and the transport that
records them, for the raw view (F2) and signature checks."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from .redact import Redactor

RAW_LIMIT = 4 * 1024 * 1024


@dataclass
class Exchange:
    """One request and its response, as bytes on the wire (bounded) plus their hashes."""

    method: str = "POST"
    url: str = ""
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    request_body: bytes = b""
    status: int | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    attempts: int = 0
    limit: int = RAW_LIMIT
    _chunks: list[bytes] = field(default_factory=list)
    _size: int = 0
    _hash: Any = field(default_factory=hashlib.sha256)
    truncated: bool = False
    complete: bool = False
    # An encrypted request (E2EE): sha256 of the restored plaintext body, the bytes a
    # receipt's request hash covers (the wire carries ciphertext).
    plain_sha256: str | None = None
    # Secrets to keep out of the shown body (a server may echo the key back).
    redactor: Redactor = field(default_factory=Redactor, repr=False)

    def reset_response(self) -> None:
        self._chunks.clear()
        self._size = 0
        self._hash = hashlib.sha256()
        self.truncated = False
        self.complete = False

    def record(self, data: bytes) -> None:
        self._hash.update(data)
        room = self.limit - self._size
        if room > 0:
            self._chunks.append(data[:room])
        if len(data) > room:
            self.truncated = True
        self._size += len(data)

    @property
    def raw_response_body(self) -> bytes:
        """The response bytes exactly as received (bounded by ``limit``)."""
        if len(self._chunks) > 1:
            self._chunks[:] = [b"".join(self._chunks)]
        return self._chunks[0] if self._chunks else b""

    @property
    def response_body(self) -> bytes:
        """The response bytes as shown (raw view): every known secret replaced. The
        sha256 is of the exact bytes (:attr:`response_sha256`)."""
        return self.redactor.bytes(self.raw_response_body)

    @property
    def response_size(self) -> int:
        return self._size

    @property
    def request_sha256(self) -> str:
        return hashlib.sha256(self.request_body).hexdigest()

    @property
    def response_sha256(self) -> str:
        return self._hash.hexdigest()

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.response_headers if k.lower() == name), None)


class _TapStream(httpx.AsyncByteStream):
    def __init__(self, inner: Any, exchange: Exchange):
        self._inner = inner
        self._exchange = exchange

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._exchange.record(chunk)
            yield chunk
        self._exchange.complete = True

    async def aclose(self) -> None:
        await self._inner.aclose()


class RecordingTransport(httpx.AsyncBaseTransport):
    """Wraps a transport; a request carrying an ``Exchange`` in its extensions has its
    response bytes recorded as they pass."""

    def __init__(self, inner: httpx.AsyncBaseTransport):
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        exchange = request.extensions.get("redpill_exchange")
        if isinstance(exchange, Exchange):
            response.stream = _TapStream(response.stream, exchange)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
