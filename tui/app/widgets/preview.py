"""The request preview: the exact JSON the next send will post (updated live), and the raw
exchange of the last request. Keys and auth headers are redacted."""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import TabbedContent, TabPane, TextArea

from ...core.sanitize import neutralize

RAW_SHOWN = 256 * 1024


def exchange_text(exchange: Any) -> str:
    if exchange is None:
        return "No request sent yet."
    lines = [f"{exchange.method} {exchange.url}"]
    lines += [f"{k}: {v}" for k, v in exchange.request_headers]
    lines.append("")
    try:
        lines.append(json.dumps(json.loads(exchange.request_body), indent=2, ensure_ascii=False))
    except ValueError:
        lines.append(exchange.request_body.decode("utf-8", "replace"))
    lines.append("")
    lines.append(
        f"── response: HTTP {exchange.status if exchange.status is not None else '(none)'}"
        f" · attempts {exchange.attempts} · {exchange.response_size} bytes"
        f" · sha256 {exchange.response_sha256[:16]}…"
    )
    lines += [f"{k}: {v}" for k, v in exchange.response_headers]
    lines.append("")
    body = exchange.response_body
    if len(body) > RAW_SHOWN:
        lines.append(f"… {len(body) - RAW_SHOWN} earlier bytes not shown …")
        body = body[-RAW_SHOWN:]
    lines.append(body.decode("utf-8", "replace"))
    if exchange.truncated:
        lines.append("… (response larger than the kept limit; the hash covers all of it)")
    return neutralize("\n".join(lines))


class RequestPreview(Vertical):
    DEFAULT_CSS = """
    RequestPreview { height: 1fr; }
    RequestPreview TextArea { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        with TabbedContent(id="preview-tabs"):
            with TabPane("Next request", id="tab-next"):
                yield TextArea("", language="json", read_only=True, id="next-body", soft_wrap=True)
            with TabPane("Last exchange (raw)", id="tab-raw"):
                yield TextArea("", read_only=True, id="raw-exchange", soft_wrap=True)

    def show_body(self, body: dict[str, Any], problems: list[str]) -> None:
        text = json.dumps(elide_data_urls(body), indent=2, ensure_ascii=False)
        if problems:
            text = "// " + "\n// ".join(problems) + "\n" + text
        self.query_one("#next-body", TextArea).load_text(neutralize(text))

    def show_exchange(self, exchange: Any) -> None:
        self.query_one("#raw-exchange", TextArea).load_text(exchange_text(exchange))


def elide_data_urls(value: Any) -> Any:
    """``value`` with each long data URL (an attached image) cut to its start and its
    size: megabytes of base64 in the preview would only slow it down."""
    if isinstance(value, dict):
        return {k: elide_data_urls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [elide_data_urls(v) for v in value]
    if isinstance(value, str) and value.startswith("data:") and len(value) > 200:
        return f"{value[:60]}…({len(value):,} characters in all, not shown)"
    return value
