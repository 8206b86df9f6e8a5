"""Verify a reply: its enclave signature, then the attestation report of the model, in a
readable, collapsible view that says plainly what was and was not checked."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Collapsible, Static

from ...core.aci import SIGNS
from ...core.conversation import Turn
from ...core.gpu import NrasResult, check_with_nras, gpu_evidence
from ...core.session import ChatSession
from ...core.verify import fetch_attestation
from ..safe import safe
from ..workers import ReportsWorkerFailures


def _short(value: Any, limit: int = 4000) -> str:
    if not isinstance(value, str):
        value = json.dumps(value, indent=2, ensure_ascii=False)
    return (
        value
        if len(value) <= limit
        else value[:limit] + f"\n… ({len(value) - limit} more characters)"
    )


def nras_lines(r: NrasResult, nonce: str) -> list[str]:
    """NVIDIA's answer as plain lines (its text is untrusted: shown only through safe())."""
    lines = [f"NVIDIA (a third party): {r.outcome.upper()}: {r.detail}"]
    for key, value in r.claims.items():
        same = ""
        if key == "eat_nonce":
            same = " (our nonce)" if value.lower() == nonce.lower() else " (NOT our nonce)"
        lines.append(f"  {key}: {value}{same}")
    for g in r.gpus:
        false = f"; false: {', '.join(g.false)}" if g.false else ""
        lines.append(f"  {g.gpu}: measres {g.measres or '—'}; {g.true} claim(s) true{false}")
    if r.outcome == "error":
        lines.append(f"  ({r.url}; no token was read, so nothing about it was checked)")
    return lines


class VerifyScreen(ReportsWorkerFailures, ModalScreen[None]):
    DEFAULT_CSS = """
    VerifyScreen { align: center middle; }
    VerifyScreen > Vertical { width: 95%; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    VerifyScreen VerticalScroll { height: 1fr; }
    VerifyScreen .ok { color: $success; }
    VerifyScreen .bad { color: $error; }
    VerifyScreen .unknown { color: $warning; }
    VerifyScreen .muted { color: $text-muted; }
    VerifyScreen .head { text-style: bold; margin: 1 0 0 0; }
    VerifyScreen Horizontal { height: auto; }
    VerifyScreen #checks { height: auto; }
    VerifyScreen .inputs { margin: 0 0 0 2; }
    """
    BINDINGS = [Binding("escape", "close", "Close"), Binding("a", "attest", "Attestation")]

    def __init__(self, turn: Turn, session: ChatSession, model: str) -> None:
        super().__init__()
        self.turn = turn
        self.session = session  # verifies, stores the result on the turn (and saves it)
        self.client = session.client
        # The model id we asked for: the endpoints route by it, while the id a reply
        # reports may be the backend's own name (e.g. a path to the weights).
        params = turn.params if isinstance(turn.params, dict) else {}  # a file's: any type
        self.model = params.get("model") or model or turn.model or ""
        self.gpu_payloads: dict[str, tuple[Any, str]] = {}  # button id -> (payload, nonce)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                safe(
                    f"Verify reply {self.turn.receipt_id or self.turn.completion_id or '(no id)'}"
                    f" · model {self.model}"
                ),
                classes="head",
            )
            with VerticalScroll(id="verify-body"):
                yield Static("Checking the receipt or signature…", id="sig", classes="muted")
                yield Vertical(id="checks")
                yield Static("", id="attest-status", classes="muted")
                yield Vertical(id="attest")
            with Horizontal():
                yield Button("Fetch attestation (a)", id="attest-btn", compact=True)
                yield Button("Close", id="close", compact=True)

    def on_mount(self) -> None:
        self.check_signature()

    @work(group="sig", exit_on_error=False)
    async def check_signature(self) -> None:
        t = self.turn
        result = await self.session.verify(t, self.model)
        node = self.query_one("#sig", Static)
        good = result.verdict in ("confidential", "verified")
        node.set_classes(
            "ok" if good else ("bad" if result.verdict != "not available" else "unknown")
        )
        if getattr(result, "kind", None) == "aci":
            await self._show_receipt(result.to_dict())
            return
        lines = [f"Signature: {result.verdict.upper()}", result.detail]
        if result.checks:
            lines += [f"✓ {c}" for c in result.checks]
        if result.text:
            lines.append(f"signed text: {result.text}")
        lines.append(f"our request sha256:  {t.request_sha256 or '—'}")
        lines.append(f"our response sha256: {t.response_sha256 or '—'}")
        node.update(safe("\n".join(line for line in lines if line)))

    async def _show_receipt(self, v: dict[str, Any]) -> None:
        """The mark, then every check (✓ passed, ✗ failed, – not done) with its inputs."""
        head = f"{str(v.get('verdict')).upper()}: {v.get('detail') or ''}"
        self.query_one("#sig", Static).update(safe(head))
        box = self.query_one("#checks", Vertical)
        rows: list[Any] = []
        for c in v.get("checks") or []:
            result = str(c.get("result"))
            sign = SIGNS.get(result, "·")
            cls = {"pass": "ok", "fail": "bad", "not done": "unknown"}.get(result, "muted")
            text = f"{sign} {c.get('name')}" + (f": {c.get('detail')}" if c.get("detail") else "")
            rows.append(Static(safe(text), classes=f"check {cls}"))
            inputs = c.get("inputs") or {}
            if inputs:
                rows.append(
                    Static(
                        safe("\n".join(f"    {k}: {val}" for k, val in inputs.items())),
                        classes="inputs muted",
                    )
                )
        report = v.get("report") or {}
        if report:
            rows.append(Static("Attestation report", classes="head"))
            lines = [
                f"{k}: {report.get(k)}"
                for k in ("generation", "keyset_digest", "nonce", "not_after", "serving")
            ]
            for key, value in (report.get("provenance") or {}).items():
                lines.append(f"{key}: {value}")
            rows.append(Static(safe("\n".join(lines)), classes="muted"))
        await box.remove_children()
        await box.mount_all(rows)

    def action_attest(self) -> None:
        self.attest()

    @on(Button.Pressed, "#attest-btn")
    def _attest_pressed(self) -> None:
        self.attest()

    @on(Button.Pressed, "#close")
    def _close_pressed(self) -> None:
        self.dismiss(None)

    @work(group="attest", exclusive=True, exit_on_error=False)
    async def attest(self) -> None:
        status = self.query_one("#attest-status", Static)
        status.update("Fetching the attestation report with a fresh nonce…")
        address = None
        v = self.turn.verification if isinstance(self.turn.verification, dict) else {}
        if v.get("verdict") == "verified" and isinstance(v.get("signing_address"), str):
            address = v.get("signing_address")
        try:
            summary = await fetch_attestation(self.client, self.model, address)
        except Exception as exc:  # APIError or a shape we cannot read
            status.update(safe(f"Attestation not available: {exc}"))
            status.set_classes("unknown")
            return
        status.update(safe(f"Attestation report ({summary.shape}), nonce {summary.nonce}"))
        box = self.query_one("#attest", Vertical)
        await box.remove_children()
        self.gpu_payloads.clear()
        widgets: list[Any] = [Static("Checks this app performed", classes="head")]
        for label, ok, note in summary.checks:
            mark, cls = ("✓", "ok") if ok else (("✗", "bad") if ok is False else ("?", "unknown"))
            widgets.append(
                Static(safe(f"{mark} {label}{f' ({note})' if note else ''}"), classes=cls)
            )
        widgets.append(Static("Not checked here", classes="head"))
        widgets += [Static(safe(f"– {line}"), classes="muted") for line in summary.not_checked]
        for party in summary.parties:
            title = f"{party.role}{f' · {party.model_name}' if party.model_name else ''} · {party.signing_address or 'no address'}"
            parts = [
                Static(
                    safe(
                        f"signing algorithm: {party.signing_algo or '—'}\nrequest nonce: {party.request_nonce or '—'}"
                        f"\nreport data: {party.report_data or '—'}"
                    )
                ),
            ]
            if party.intel_quote:
                parts.append(
                    Collapsible(
                        Static(safe(_short(party.intel_quote))),
                        title=f"Intel TDX quote ({len(party.intel_quote)} hex chars)",
                    )
                )
            if party.nvidia_payload:
                parts += self.gpu_widgets(party.nvidia_payload, summary.nonce)
                parts.append(
                    Collapsible(
                        Static(safe(_short(party.nvidia_payload))),
                        title="NVIDIA GPU attestation payload",
                    )
                )
            if party.event_log:
                parts.append(
                    Collapsible(
                        Static(safe(_short(party.event_log))),
                        title=f"Event log ({len(party.event_log)} entries)",
                    )
                )
            if party.info:
                parts.append(Collapsible(Static(safe(_short(party.info))), title="Info"))
            # The title holds text from the server: Content, so it is never read as markup.
            widgets.append(Collapsible(*parts, title=safe(title), collapsed=False))  # type: ignore[arg-type]
        await box.mount_all(widgets)

    def gpu_widgets(self, payload: Any, nonce: str) -> list[Any]:
        """What the GPU payload says (read here), and a button to check it with NVIDIA:
        only on that press is anything sent, and only to NVIDIA (a third party)."""
        ev = gpu_evidence(payload, nonce)
        if not ev.has_evidence:
            return [Static(safe(f"GPU evidence: {ev.detail}"), classes="unknown")]
        n = len(self.gpu_payloads)
        self.gpu_payloads[f"gpu-check-{n}"] = (payload, nonce)
        match = "matches ours" if ev.nonce_matches else "does NOT match ours"
        line = (
            f"GPU evidence: {ev.gpus} GPU(s), {'/'.join(ev.archs) or 'arch unknown'}, nonce {match}"
        )
        return [
            Static(safe(line), classes="ok" if ev.nonce_matches else "bad"),
            Button(
                "Check GPU evidence with NVIDIA (sends it to nras.attestation.nvidia.com, a third party)",
                id=f"gpu-check-{n}",
                classes="gpu-check",
                compact=True,
            ),
            Static("", id=f"gpu-check-{n}-result", classes="muted"),
        ]

    @on(Button.Pressed, ".gpu-check")
    def gpu_check_pressed(self, event: Button.Pressed) -> None:
        if event.button.id in self.gpu_payloads:
            self.check_gpu(event.button.id)

    @work(exclusive=True, group="gpu", exit_on_error=False)
    async def check_gpu(self, button_id: str) -> None:
        payload, nonce = self.gpu_payloads[button_id]
        out = self.query_one(f"#{button_id}-result", Static)
        out.set_classes("muted")
        out.update("Sending the GPU evidence to NVIDIA (a third party)…")
        try:
            r = await check_with_nras(payload)
        except asyncio.CancelledError:
            out.update("The check with NVIDIA was cancelled.")
            raise
        out.set_classes({"passed": "ok", "failed": "bad"}.get(r.outcome, "unknown"))
        out.update(safe("\n".join(nras_lines(r, nonce))))

    def action_close(self) -> None:
        self.dismiss(None)
