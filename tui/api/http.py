"""Sending a request to one endpoint: headers and the key, timeouts, retries (with the
server's ``retry-after``), same-origin redirects only, and the raw bytes of every exchange
(for the raw view and signature checks). The endpoints themselves are in :mod:`.client`."""

from __future__ import annotations

import asyncio
import email.utils
import random
import ssl
import time
from collections.abc import Callable
from typing import Any, Self

import httpx

from . import DEFAULT_BASE_URL
from .errors import APIError, from_http
from .exchange import Exchange, RecordingTransport
from .redact import Redactor, redact_headers

MAX_RETRY_AFTER = 120.0
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
# Same-origin redirects followed for one request; another origin is never followed.
MAX_REDIRECTS = 5


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


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    scheme = url.scheme.lower()
    return scheme, url.host.lower(), url.port or _DEFAULT_PORTS.get(scheme)


def _shown_url(url: httpx.URL, limit: int = 200) -> str:
    """A URL from a server, fit to show: printable ASCII only (httpx percent-encodes the
    rest), bounded."""
    text = "".join(c if 0x20 < ord(c) < 0x7F else "?" for c in str(url))
    return text if len(text) <= limit else text[:limit] + "…"


class Connection:
    """One endpoint's HTTP side: what every request to it shares. Knows nothing of the UI."""

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
        # Every secret the client sends, to keep out of errors and the raw view.
        self.redactor = Redactor.for_endpoint(api_key, base_headers)
        self._transport = transport
        self._base_headers = base_headers
        self._client: httpx.AsyncClient | None = None  # made at the first request
        self._tls: ssl.SSLContext | None = None  # (see prepare)
        self.last_exchange: Exchange | None = None

    @property
    def _http(self) -> httpx.AsyncClient:
        """The pooled HTTP client, made when first needed: its TLS context (the CA bundle
        loaded) costs about 0.1 s, which start-up does not wait for."""
        if self._client is None:
            inner = self._transport
            if inner is None:
                self.prepare()  # (unless the warm-up made it already)
                inner = httpx.AsyncHTTPTransport(retries=0, verify=self._tls)
            self._client = httpx.AsyncClient(
                transport=RecordingTransport(inner),
                headers=self._base_headers,
                timeout=self.timeout,
                # Redirects are followed by hand (same origin only): see _follow.
                follow_redirects=False,
            )
        return self._client

    def prepare(self) -> None:
        """Make the TLS context now (the CA bundle loaded: 50-100 ms), in a thread the
        UI does not wait on, so that the first request does not pause the screen."""
        if self._transport is None and self._tls is None:
            self._tls = httpx.create_ssl_context()  # (as httpx makes it by default)

    def __repr__(self) -> str:  # never show the key
        return f"{type(self).__name__}({self.base_url!r}, key={'set' if self._api_key else 'none'})"

    @property
    def has_key(self) -> bool:
        return bool(self._api_key)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
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
        where = httpx.URL(self.base_url)
        port = where.port or (443 if where.scheme == "https" else 80)
        return APIError(
            message=f"connection to {where.host}:{port} failed: {text}",
            kind="connection",
        )

    async def _send(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None,
        stream: bool,
        exchange: Exchange,
        notice: Callable[[str], None] | None = None,
        extra_headers: dict[str, str] | None = None,
        retries: int | None = None,
    ) -> httpx.Response:
        """Send with retries (``retries``, else the client's); returns a response whose
        status is 2xx, body unread. ``notice`` is told what a retry waits for ("429 ·
        retrying in 1.0 s (1/2)")."""
        say = notice or (lambda _text: None)
        max_retries = self.max_retries if retries is None else retries
        headers = {"Content-Type": "application/json"} if body is not None else {}
        headers.update(extra_headers or {})
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
            exchange.redactor = self.redactor
            exchange.url = self.redactor.text(str(request.url))
            exchange.request_headers = redact_headers(request.headers)
            try:
                response = await self._follow(request, exchange)
            except httpx.TransportError as exc:
                err = self._transport_error(exc)
                if attempt < max_retries:
                    delay = retry_delay(attempt)
                    say(f"{err.message} · retrying in {delay:.1f} s ({attempt + 1}/{max_retries})")
                    await self._sleep(delay)
                    attempt += 1
                    continue
                say("")
                raise err from None
            exchange.status = response.status_code
            exchange.response_headers = [
                (k, self.redactor.text(v))
                for k, v in redact_headers(response.headers, by_name=False)
            ]
            if response.is_success:
                say("")
                return response
            try:
                raw = await response.aread()
            except httpx.TransportError:
                raw = exchange.response_body
            finally:
                await response.aclose()
            if attempt < max_retries and _should_retry(response.status_code, response.headers):
                delay = retry_delay(attempt, response.headers)
                say(
                    f"HTTP {response.status_code} · retrying in {delay:.1f} s "
                    f"({attempt + 1}/{max_retries})"
                )
                await self._sleep(delay)
                attempt += 1
                continue
            say("")
            raise self.redactor.error(
                from_http(response.status_code, raw, response.headers, key_env=self.key_env)
            )

    async def _follow(self, request: httpx.Request, exchange: Exchange) -> httpx.Response:
        """Send, following redirects within the same origin only: a key (or a request body)
        must never go to a host the user did not name."""
        response = await self._http.send(request, stream=True)
        hops = 0
        while response.next_request is not None:
            target = response.next_request
            status = response.status_code
            await response.aclose()
            if _origin(target.url) != _origin(request.url):
                raise self.redactor.error(
                    APIError(
                        message=f"the server redirected to {_shown_url(target.url)}; not followed",
                        kind="redirect",
                        status=status,
                        hint="set the base URL to where the endpoint really is",
                    )
                )
            hops += 1
            if hops > MAX_REDIRECTS:
                raise self.redactor.error(
                    APIError(
                        message=f"too many redirects (more than {MAX_REDIRECTS}); last to "
                        f"{_shown_url(target.url)}",
                        kind="redirect",
                        status=status,
                    )
                )
            exchange.reset_response()
            exchange.url = self.redactor.text(str(target.url))
            response = await self._http.send(target, stream=True)
        return response
