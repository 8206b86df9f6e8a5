"""One error type for everything that can go wrong talking to an endpoint."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .textfix import fix_surrogates

_TAG_RE = re.compile(r"<[^>]+>")
_HTML_RE = re.compile(r"<(?:!doctype|html|head|body|title|h[1-6]|p|div|center|pre)\b", re.I)
_WS_RE = re.compile(r"\s+")


@dataclass
class APIError(Exception):
    """An HTTP error, an error inside a stream, a dropped connection or a timeout.

    ``kind`` is one of ``http``, ``api`` (an error object in a 200 response), ``stream``,
    ``connection``, ``timeout``, ``protocol`` (a body we could not read), ``redirect``
    (to another origin, not followed) or ``cancelled``.
    """

    message: str
    kind: str = "http"
    status: int | None = None
    type: str | None = None
    code: str | int | None = None
    param: str | None = None
    request_id: str | None = None
    hint: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        parts = []
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        elif self.kind != "http":
            parts.append(self.kind)
        if self.type:
            parts.append(str(self.type))
        if self.code not in (None, "", self.status):
            parts.append(f"code {self.code}")
        head = " ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text

    @property
    def retryable(self) -> bool:
        if self.kind in ("connection", "timeout"):
            return True
        return self.status is not None and (self.status in (408, 409, 429) or self.status >= 500)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "type": self.type,
            "code": self.code,
            "param": self.param,
            "message": self.message,
            "request_id": self.request_id,
            "hint": self.hint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> APIError:
        fields = {k: data.get(k) for k in cls.__dataclass_fields__}
        fields["message"] = fields.get("message") or ""
        fields["kind"] = fields.get("kind") or "http"
        return cls(**fields)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return fix_surrogates(value)
    return fix_surrogates(json.dumps(value, ensure_ascii=False))


def from_error_object(obj: Any, *, status: int | None = None, kind: str = "http") -> APIError:
    """Read the error object of any provider's shape: ``{"error": {...}}``,
    ``{"error": "text"}``, ``{"message": ...}``, ``{"detail": ...}``, or a bare string."""
    if isinstance(obj, dict) and "error" in obj and obj["error"] not in (None, ""):
        inner = obj["error"]
        if isinstance(inner, dict):
            err = from_error_object(inner, status=status, kind=kind)
            if err.message == "" and isinstance(obj.get("message"), str):
                err.message = obj["message"]
            return err
        return APIError(message=_text(inner) or "", status=status, kind=kind)
    if isinstance(obj, dict):
        message = obj.get("message") or obj.get("detail") or obj.get("msg") or obj.get("error_msg")
        code = obj.get("code")
        if not isinstance(code, (str, int)) or isinstance(code, bool):
            code = None
        if isinstance(code, str):
            code = fix_surrogates(code)
        etype = obj.get("type")
        param = obj.get("param")
        return APIError(
            message=_text(message) or "",
            status=status,
            kind=kind,
            type=fix_surrogates(etype) if isinstance(etype, str) else None,
            code=code,
            param=fix_surrogates(param) if isinstance(param, str) else None,
        )
    return APIError(message=_text(obj) or "", status=status, kind=kind)


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    409: "Conflict",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def from_http(
    status: int,
    body: bytes,
    headers: Any = None,
    *,
    key_env: str | None = None,
) -> APIError:
    """Turn an HTTP error response of any shape (JSON, HTML, text, empty) into an APIError."""
    headers = headers or {}
    request_id = None
    for name in ("x-request-id", "request-id", "x-amzn-requestid", "cf-ray"):
        value = headers.get(name) if hasattr(headers, "get") else None
        if value:
            request_id = value
            break
    text = body.decode("utf-8", errors="replace").strip()
    err: APIError
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    if parsed is not None:
        err = from_error_object(parsed, status=status)
    elif text:
        # HTML from a gateway, or plain text: show the readable words, bounded.
        plain = text
        if _HTML_RE.search(text):
            title = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
            plain = title.group(1) if title else _TAG_RE.sub(" ", text)
        plain = _WS_RE.sub(" ", plain).strip()
        err = APIError(message=plain[:300], status=status)
    else:
        err = APIError(message="", status=status)
    if not err.message:
        err.message = _REASONS.get(status, "error") + ("" if text else " (empty body)")
    err.request_id = request_id
    if status == 401:
        err.hint = f"set {key_env} to your API key" if key_env else "this endpoint needs an API key"
    return err


class InvalidParameter(ValueError):
    """A request parameter that cannot be sent; names the parameter and what is allowed."""

    def __init__(self, param: str, message: str):
        self.param = param
        self.message = message
        super().__init__(f"{param}: {message}")
