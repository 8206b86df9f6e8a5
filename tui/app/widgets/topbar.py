"""The chat screen's top line: the model first (at 80 columns the end is cut), then the
endpoint, a missing key, warnings (offline demo, plain HTTP), and last the conversation's
running total of tokens and cost."""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.widgets import Static

from ...core.sanitize import neutralize


class TopBar(Static):
    def show(
        self, model: str, endpoint: Any, has_key: bool, totals: str = "", e2ee: bool = False
    ) -> None:
        ep = endpoint
        parts = ["redpill-tui", model or "no model"]
        if e2ee:
            parts.append("E2EE on")
        if ep.demo:
            parts.append("OFFLINE DEMO — simulated replies, nothing leaves this machine")
        else:
            parts.append(f"{ep.profile} · {ep.base_url}")
            if not has_key and ep.key_env:
                parts.append(f"no key (${ep.key_env} unset)")
        warning = ep.plain_http_warning()
        if warning:
            parts.append(f"⚠ {warning}")
        if totals:
            parts.append(f"this chat: {totals}")
        self.update(Content(neutralize("  ·  ".join(parts))))
        self.set_class(ep.demo, "demo")
        self.set_class(bool(warning), "insecure")
