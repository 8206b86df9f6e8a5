"""Secrets: which headers carry one, keeping their values out of everything shown, saved or
exported (a server may echo the key back in an error), and whether they would cross the
network in clear text."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

REDACTED = "<redacted>"
# Header names that always carry a secret; any name containing one of the words below
# does too ("x-auth-token", "x-goog-api-key", "ocp-apim-subscription-key"...).
SECRET_HEADER_NAMES = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "ocp-apim-subscription-key",
        "cookie",
        "set-cookie",
    }
)
SECRET_WORDS = ("key", "token", "secret", "auth", "cookie", "password")
# Shorter values are not redacted: replacing them would mangle ordinary text. A header
# value is held to more, since the name rule is broad ("x-auth-mode: bearer").
MIN_SECRET = 4
MIN_HEADER_SECRET = 8


def is_secret_header(name: str) -> bool:
    low = name.strip().lower()
    return low in SECRET_HEADER_NAMES or any(word in low for word in SECRET_WORDS)


def redact_headers(headers: Any, *, by_name: bool = True) -> list[tuple[str, str]]:
    """Header pairs with the value of every secret-looking header replaced; with
    ``by_name=False`` (response headers, where "x-ratelimit-remaining-tokens" is no
    secret) only the names that always carry one."""
    items = headers.items() if hasattr(headers, "items") else headers
    secret = is_secret_header if by_name else (lambda k: k.lower() in SECRET_HEADER_NAMES)
    return [(k, REDACTED if secret(k) else v) for k, v in items]


def _variants(secret: str) -> set[str]:
    out = {secret}
    scheme, _, rest = secret.partition(" ")
    if rest.strip() and scheme.lower() in ("bearer", "basic", "token", "key"):
        out.add(rest.strip())  # "Bearer sk-..." is echoed as "sk-..." too
    for value in list(out):
        escaped = json.dumps(value, ensure_ascii=False)[1:-1]  # inside a JSON string
        out |= {escaped, escaped.replace("/", "\\/")}  # "\/" is valid JSON too
    return {v for v in out if len(v) >= MIN_SECRET}


class Redactor:
    """Replaces known secret values in text, bytes and JSON-like values."""

    def __init__(self, secrets: Iterable[str | None] = ()):
        found: set[str] = set()
        for secret in secrets:
            if secret:
                found |= _variants(secret)
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted(found, key=len, reverse=True)
        self._bytes = [s.encode("utf-8", "replace") for s in self._secrets]

    @classmethod
    def for_endpoint(
        cls, api_key: str | None, headers: Mapping[str, str] | None = None
    ) -> Redactor:
        """The key, and the value of every secret-looking header."""
        values = [
            v
            for k, v in (headers or {}).items()
            if is_secret_header(k) and len(v.partition(" ")[2] or v) >= MIN_HEADER_SECRET
        ]
        return cls([api_key, *values])

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def __call__(self, text: str) -> str:
        return self.text(text)

    def text(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def bytes(self, data: bytes) -> bytes:
        marker = REDACTED.encode()
        for secret in self._bytes:
            if secret in data:
                data = data.replace(secret, marker)
        return data

    def value(self, value: Any) -> Any:
        if not self._secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value

    def error(self, err: Any) -> Any:
        """An APIError with every string field redacted, in place; returned."""
        if not self._secrets or err is None:
            return err
        for name in ("message", "type", "code", "param", "request_id", "hint"):
            current = getattr(err, name, None)
            if isinstance(current, str):
                setattr(err, name, self.text(current))
        err.args = (err.message,)
        return err


# -- clear text ----------------------------------------------------------------------------


def is_loopback_host(host: str | None) -> bool:
    """127.0.0.0/8, ::1 (also IPv4-mapped), ``localhost`` and ``*.localhost``."""
    if not host:
        return False
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def sends_secret_in_clear(base_url: str, has_secret: bool) -> bool:
    """Whether a key would go over plain ``http://`` to a host that is not this machine."""
    if not has_secret:
        return False
    try:
        parts = urlsplit(base_url)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme.lower() == "http" and not is_loopback_host(host)


def plain_http_warning(
    base_url: str, api_key: str | None, headers: Mapping[str, str] | None = None
) -> str | None:
    """A one-line warning when the key (or a secret header) would be sent unencrypted,
    else None. For ``ask`` and the app's top bar."""
    has_secret = bool(api_key) or any(is_secret_header(k) and v for k, v in (headers or {}).items())
    if not sends_secret_in_clear(base_url, has_secret):
        return None
    try:
        host = urlsplit(base_url).netloc.rpartition("@")[2]
    except ValueError:
        host = "the server"
    shown = "".join(c for c in host if c.isprintable() and c.isascii())[:100]
    return f"the API key is sent unencrypted (plain http://) to {shown}"
