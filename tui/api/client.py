"""The async chat-completions client: streaming and not, ``GET /models``, retries, timeouts,
and the raw bytes of every exchange (for the raw view and signature checks)."""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import EventSource, ServerSentEvent

from .accumulate import StreamAccumulator
from .errors import APIError, from_error_object, from_http
from .schema import ChatRequest, ModelInfo, ModelList

DEFAULT_BASE_URL = "https://api.red-pill.ai/v1"
RAW_LIMIT = 4 * 1024 * 1024
MAX_RETRY_AFTER = 120.0
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
_REDACT = {"authorization", "x-api-key", "api-key", "cookie", "set-cookie", "proxy-authorization"}


def redact_headers(headers: Any) -> list[tuple[str, str]]:
    out = []
    for k, v in headers.items() if hasattr(headers, "items") else headers:
        out.append((k, "<redacted>" if k.lower() in _REDACT else v))
    return out


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
    def response_body(self) -> bytes:
        if len(self._chunks) > 1:
            self._chunks[:] = [b"".join(self._chunks)]
        return self._chunks[0] if self._chunks else b""

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


def retry_delay(attempt: int, headers: Any = None) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based), like the OpenAI SDK:
    honour ``retry-after-ms`` / ``retry-after`` up to 120 s, else exponential backoff with
    jitter from 0.5 s to 8 s."""
    if headers is not None:
        ms = headers.get("retry-after-ms")
        if ms:
            try:
                value = float(ms) / 1000
                if 0 <= value <= MAX_RETRY_AFTER:
                    return value
            except ValueError:
                pass
        ra = headers.get("retry-after")
        if ra:
            value = None
            try:
                value = float(ra)
            except ValueError:
                try:
                    value = email.utils.parsedate_to_datetime(ra).timestamp() - time.time()
                except (TypeError, ValueError):
                    value = None  # neither seconds nor an HTTP date
            if value is not None and 0 <= value <= MAX_RETRY_AFTER:
                return value
    delay = min(INITIAL_RETRY_DELAY * (2**attempt), MAX_RETRY_DELAY)
    return delay * (1 - 0.25 * random.random())


def _should_retry(status: int, headers: Any) -> bool:
    forced = (headers.get("x-should-retry") or "").lower()
    if forced == "true":
        return True
    if forced == "false":
        return False
    return status in (408, 409, 429) or status >= 500


OnUpdate = Callable[[StreamAccumulator], None]


class ChatClient:
    """Talks to one endpoint. Knows nothing of the UI."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        api_key: str | None = None,
        key_env: str | None = "REDPILL_API_KEY",
        headers: dict[str, str] | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 120.0,
        max_retries: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self.key_env = key_env
        self.max_retries = max_retries
        self._api_key = api_key
        self._sleep = sleep
        self.timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=30.0, pool=30.0
        )
        base_headers = {"Accept-Encoding": "identity", "User-Agent": "redpill-tui"}
        base_headers.update(headers or {})
        if api_key:
            base_headers["Authorization"] = f"Bearer {api_key}"
        inner = transport or httpx.AsyncHTTPTransport(retries=0)
        self._http = httpx.AsyncClient(
            transport=RecordingTransport(inner),
            headers=base_headers,
            timeout=self.timeout,
            follow_redirects=True,
        )
        self.last_exchange: Exchange | None = None

    def __repr__(self) -> str:  # never show the key
        return f"ChatClient({self.base_url!r}, key={'set' if self._api_key else 'none'})"

    @property
    def has_key(self) -> bool:
        return bool(self._api_key)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    # -- low-level --------------------------------------------------------------------

    def _transport_error(self, exc: Exception) -> APIError:
        if isinstance(exc, httpx.TimeoutException):
            what = "connecting" if isinstance(exc, httpx.ConnectTimeout) else "waiting for data"
            return APIError(message=f"timed out {what} ({type(exc).__name__})", kind="timeout")
        text = str(exc) or type(exc).__name__
        return APIError(message=f"connection failed: {text}", kind="connection")

    async def _send(
        self, method: str, path: str, *, body: bytes | None, stream: bool, exchange: Exchange
    ) -> httpx.Response:
        """Send with retries; returns a response whose status is 2xx, body unread."""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if stream:
            headers["Accept"] = "text/event-stream"
        attempt = 0
        while True:
            exchange.attempts = attempt + 1
            exchange.reset_response()
            request = self._http.build_request(
                method,
                self.url(path),
                content=body,
                headers=headers,
                extensions={"redpill_exchange": exchange},
            )
            exchange.url = str(request.url)
            exchange.request_headers = redact_headers(request.headers)
            try:
                response = await self._http.send(request, stream=True)
            except httpx.TransportError as exc:
                err = self._transport_error(exc)
                if attempt < self.max_retries:
                    await self._sleep(retry_delay(attempt))
                    attempt += 1
                    continue
                raise err from None
            exchange.status = response.status_code
            exchange.response_headers = redact_headers(response.headers)
            if response.is_success:
                return response
            try:
                raw = await response.aread()
            except httpx.TransportError:
                raw = exchange.response_body
            finally:
                await response.aclose()
            if attempt < self.max_retries and _should_retry(response.status_code, response.headers):
                await self._sleep(retry_delay(attempt, response.headers))
                attempt += 1
                continue
            raise from_http(response.status_code, raw, response.headers, key_env=self.key_env)

    # -- chat -------------------------------------------------------------------------

    async def chat(
        self,
        request: ChatRequest | dict[str, Any],
        accumulator: StreamAccumulator | None = None,
        on_update: OnUpdate | None = None,
    ) -> tuple[StreamAccumulator, Exchange]:
        """Send one chat request and fold the answer into ``accumulator``.

        Never raises for API trouble: errors end up in ``accumulator.error`` with every
        partial choice kept. Cancellation (``CancelledError``) marks it cancelled and
        propagates.
        """
        body = request.body() if isinstance(request, ChatRequest) else dict(request)
        acc = accumulator or StreamAccumulator()
        raw = json.dumps(body, ensure_ascii=False).encode()
        exchange = Exchange(method="POST", request_body=raw)
        self.last_exchange = exchange
        acc.restart_clock()
        try:
            response = await self._send(
                "POST",
                "chat/completions",
                body=raw,
                stream=bool(body.get("stream")),
                exchange=exchange,
            )
        except APIError as err:
            acc.fail(err)
            if on_update:
                on_update(acc)
            return acc, exchange
        except asyncio.CancelledError:
            acc.cancel()
            raise
        request_id = response.headers.get("x-request-id")
        try:
            await self._read(response, acc, on_update)
        except asyncio.CancelledError:
            acc.cancel()
            raise
        except (httpx.TransportError, httpx.StreamError) as exc:
            err = self._transport_error(exc)
            if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
                err = APIError(
                    message=f"the connection dropped before the reply was complete ({exc or type(exc).__name__})",
                    kind="connection",
                )
            acc.fail(err)
        finally:
            await response.aclose()
        if acc.error is not None and acc.error.request_id is None:
            acc.error.request_id = request_id
        if acc.error is None and not acc.done and body.get("stream"):
            # The stream ended without [DONE]: fine if every choice finished.
            unfinished = [c.index for c in acc.ordered() if c.finish_reason is None]
            if unfinished or not acc.choices:
                acc.fail(
                    APIError(
                        message="the stream ended before the reply was complete",
                        kind="connection",
                        request_id=request_id,
                    )
                )
        acc.finish()
        if on_update:
            on_update(acc)
        return acc, exchange

    async def _read(
        self, response: httpx.Response, acc: StreamAccumulator, on_update: OnUpdate | None
    ) -> None:
        ctype = response.headers.get("content-type", "").partition(";")[0].strip().lower()
        if ctype == "text/event-stream":
            async for sse in EventSource(response).aiter_sse():
                self._event(sse, acc)
                if on_update:
                    on_update(acc)
                if acc.finished:
                    return
            return
        raw = await response.aread()
        text = raw.decode("utf-8", errors="replace")
        if text.lstrip().startswith(("data:", "event:", ":")):
            # An event stream with the wrong content type.
            for block in text.replace("\r\n", "\n").split("\n\n"):
                data = "\n".join(
                    line[5:].removeprefix(" ")
                    for line in block.split("\n")
                    if line.startswith("data:")
                )
                if data:
                    acc.feed_event(data)
                if acc.finished:
                    break
        else:
            try:
                obj = json.loads(text) if text.strip() else None
            except ValueError:
                obj = None
            if obj is None:
                acc.fail(
                    APIError(
                        message=f"the server's reply is not JSON: {text[:120]!r}"
                        if text.strip()
                        else "empty reply",
                        kind="protocol",
                        status=response.status_code,
                    )
                )
            else:
                acc.load_completion(obj)
        if on_update:
            on_update(acc)

    @staticmethod
    def _event(sse: ServerSentEvent, acc: StreamAccumulator) -> None:
        if sse.event not in ("", "message", "error"):
            return  # pings and other named events
        if sse.event == "error" and sse.data.strip() and not sse.data.lstrip().startswith("{"):
            acc.fail(APIError(message=sse.data.strip()[:300], kind="stream"))
            return
        if sse.event == "error":
            try:
                obj = json.loads(sse.data)
            except ValueError:
                obj = sse.data
            err = from_error_object(obj, kind="stream")
            acc.fail(err)
            return
        acc.feed_event(sse.data)

    # -- models -----------------------------------------------------------------------

    async def list_models(self) -> list[ModelInfo]:
        exchange = Exchange(method="GET")
        try:
            response = await self._send("GET", "models", body=None, stream=False, exchange=exchange)
        except APIError:
            raise
        try:
            raw = await response.aread()
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from None
        finally:
            await response.aclose()
        try:
            obj = json.loads(raw)
        except ValueError:
            raise APIError(message="the model list is not JSON", kind="protocol") from None
        if isinstance(obj, list):
            obj = {"data": obj}
        if isinstance(obj, dict) and "data" not in obj and "error" in obj:
            raise from_error_object(obj, status=response.status_code)
        try:
            return ModelList.model_validate(obj).data
        except Exception as exc:  # pydantic.ValidationError
            raise APIError(message=f"unexpected model list: {exc}", kind="protocol") from None

    async def get_json(
        self, path: str, params: dict[str, Any] | None = None
    ) -> tuple[Any, Exchange]:
        """GET a JSON document (used for RedPill's signature and attestation endpoints)."""
        exchange = Exchange(method="GET")
        if params:
            path = f"{path}?{httpx.QueryParams(params)}"
        response = await self._send("GET", path, body=None, stream=False, exchange=exchange)
        try:
            raw = await response.aread()
        finally:
            await response.aclose()
        try:
            return json.loads(raw), exchange
        except ValueError:
            raise APIError(message="the reply is not JSON", kind="protocol") from None
