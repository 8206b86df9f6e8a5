"""The async chat-completions client: ``POST /chat/completions`` streaming and not,
``GET /models``, and GET of a JSON document (signatures, attestation). Sending, retries
and redirects are :mod:`.http`'s."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from .e2ee import E2EEError, E2EERequest
from .errors import APIError, from_error_object
from .exchange import RAW_LIMIT, Exchange, RecordingTransport
from .http import Connection, retry_delay
from .redact import redact_headers
from .sse import Event, SSEDecoder, aiter_events, looks_like_sse, split_lines

if TYPE_CHECKING:
    # pydantic's models: imported at the first request, not at start-up
    from .accumulate import StreamAccumulator
    from .responses import ModelInfo
    from .schema import ChatRequest

__all__ = [
    "RAW_LIMIT",
    "ChatClient",
    "Exchange",
    "RecordingTransport",
    "redact_headers",
    "retry_delay",
]

OnUpdate = Callable[["StreamAccumulator"], None]


def _decrypted(sse: Event, e2ee: E2EERequest | None) -> Event:
    """An SSE event with its content decrypted (E2EE); raises :class:`E2EEError`."""
    data = sse.data.strip()
    if e2ee is None or sse.event not in ("", "message") or not data.startswith("{"):
        return sse
    try:
        obj = json.loads(data)
    except ValueError:
        raise E2EEError("a reply event is not JSON: it cannot be decrypted") from None
    return Event(event=sse.event, data=json.dumps(e2ee.decrypt_reply(obj, True)))


class ChatClient(Connection):
    """Talks to one endpoint. Knows nothing of the UI."""

    # -- chat -------------------------------------------------------------------------

    async def chat(
        self,
        request: ChatRequest | dict[str, Any],
        accumulator: StreamAccumulator | None = None,
        on_update: OnUpdate | None = None,
        e2ee: E2EERequest | None = None,
    ) -> tuple[StreamAccumulator, Exchange]:
        """Send one chat request and fold the answer into ``accumulator``. With ``e2ee``
        the content goes encrypted (tui/api/e2ee.py), is never resent by a retry (the
        enclave refuses a nonce twice), and the reply is decrypted as it arrives.

        Never raises for API trouble: errors end up in ``accumulator.error`` with every
        partial choice kept. Cancellation (``CancelledError``) marks it cancelled and
        propagates.
        """
        from .accumulate import StreamAccumulator
        from .schema import ChatRequest

        body = request.body() if isinstance(request, ChatRequest) else dict(request)
        acc = accumulator or StreamAccumulator()
        acc.redactor = self.redactor
        wire = body
        if e2ee is not None:
            try:
                wire = e2ee.encrypt_body(body)
            except (E2EEError, ValueError) as exc:
                acc.fail(APIError(message=f"not sent: {exc}", kind="e2ee"))
                return acc, Exchange(method="POST")
        raw = json.dumps(wire, ensure_ascii=False).encode()
        exchange = Exchange(method="POST", request_body=raw)
        if e2ee is not None:
            exchange.plain_sha256 = e2ee.plain_sha256(body)
        self.last_exchange = exchange
        acc.restart_clock()
        try:
            response = await self._send(
                "POST",
                "chat/completions",
                body=raw,
                stream=bool(body.get("stream")),
                exchange=exchange,
                notice=acc.set_notice,
                extra_headers=e2ee.headers() if e2ee is not None else None,
                retries=0 if e2ee is not None else None,
            )
        except APIError as err:
            acc.fail(self.redactor.error(err))
            if on_update:
                on_update(acc)
            return acc, exchange
        except asyncio.CancelledError:
            acc.cancel()
            raise
        request_id = response.headers.get("x-request-id")
        try:
            if e2ee is not None:
                e2ee.check_headers(response.headers)
            await self._read(response, acc, on_update, e2ee)
        except E2EEError as exc:
            acc.fail(APIError(message=str(exc), kind="e2ee"))
            # the raw exchange keeps what came (ciphertext); a stream already begun
            # cannot be read again (StreamConsumed): it keeps what was read
            with contextlib.suppress(httpx.HTTPError, httpx.StreamError):
                await response.aread()
        except asyncio.CancelledError:
            acc.cancel()
            raise
        except RecursionError:  # JSON nested deeper than Python parses
            acc.fail(APIError(message="the reply is nested too deeply to read", kind="protocol"))
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
        self.redactor.error(acc.error)
        if on_update:
            on_update(acc)
        return acc, exchange

    async def _read(
        self,
        response: httpx.Response,
        acc: StreamAccumulator,
        on_update: OnUpdate | None,
        e2ee: E2EERequest | None = None,
    ) -> None:
        ctype = response.headers.get("content-type", "").partition(";")[0].strip().lower()
        if ctype == "text/event-stream":
            async for sse in aiter_events(response.aiter_lines()):
                self._event(_decrypted(sse, e2ee), acc)
                if on_update:
                    on_update(acc)
                if acc.finished:
                    return
            return
        raw = await response.aread()
        text = raw.decode("utf-8", errors="replace")
        if looks_like_sse(text):
            # An event stream with the wrong content type.
            for sse in SSEDecoder().lines([*split_lines(text), ""]):
                self._event(_decrypted(sse, e2ee), acc)
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
                acc.load_completion(obj if e2ee is None else e2ee.decrypt_reply(obj, False))
        if on_update:
            on_update(acc)

    @staticmethod
    def _event(sse: Event, acc: StreamAccumulator) -> None:
        if sse.event not in ("", "message", "error"):
            return  # pings and other named events
        if sse.event == "error":
            # "event: error" + data, or llama.cpp's "error: {...}" line.
            data = sse.data.strip()
            obj: Any = data
            if data.startswith("{"):
                try:
                    obj = json.loads(data)
                except ValueError:
                    obj = data
            if isinstance(obj, dict):
                err = from_error_object(obj, kind="stream")
            else:
                err = APIError(message=data[:300], kind="stream")
            if not err.message:
                err.message = "the server reported an error in the stream"
            acc.fail(err)
            return
        acc.feed_event(sse.data)

    # -- models -----------------------------------------------------------------------

    async def list_models(self) -> list[ModelInfo]:
        exchange = Exchange(method="GET")
        response = await self._send("GET", "models", body=None, stream=False, exchange=exchange)
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
        if (
            isinstance(obj, dict)
            and "data" not in obj
            and ("error" in obj or obj.get("object") == "error")
        ):
            raise self.redactor.error(from_error_object(obj, kind="api"))
        try:
            from .responses import ModelList

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
