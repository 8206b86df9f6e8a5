"""The opt-in GPU evidence check in the verify screen, driven with the Pilot: the legacy
report from the signing loopback server, NVIDIA's NRAS on the same loopback server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from textual.widgets import Button, Collapsible, Static

from tests.app.conftest import make_app, until
from tests.app.test_verify_app import screen_text, send
from tests.core.test_gpu import nras_answer
from tests.core.test_verify import ATTESTATION, FIXTURE_NONCE, SigningServer
from tests.loopback import Reply, Request
from tui.app.screens.verify import VerifyScreen

LABEL = "Check GPU evidence with NVIDIA (sends it to nras.attestation.nvidia.com, a third party)"


@pytest.fixture
def nras(loopback, monkeypatch):
    monkeypatch.setenv("REDPILL_TUI_NRAS_URL", loopback.base_url + "/v3/attest/gpu")
    return loopback


def nras_requests(loopback: Any) -> list[Request]:
    return [r for r in loopback.requests if r.path.endswith("/v3/attest/gpu")]


async def open_attestation(app: Any, pilot: Any) -> VerifyScreen:
    turn = await send(app, pilot)
    await pilot.press("ctrl+f")
    await until(pilot, lambda: turn.verification is not None)
    screen = app.screen
    assert isinstance(screen, VerifyScreen)
    await pilot.press("a")
    await until(pilot, lambda: len(screen.query(Collapsible)) > 0)
    return screen


async def press(pilot: Any, button: Button) -> Static:
    button.focus()
    await pilot.press("enter")
    out = button.screen.query_one(f"#{button.id}-result", Static)
    await until(pilot, lambda: "NVIDIA (a third party):" in str(out.render()))
    return out


async def test_passed_only_after_the_button_and_with_the_payload_alone(nras):
    server = SigningServer(nras, attestation_doc="two-layer.json")
    nras.route("/v3/attest/gpu", Reply.json(nras_answer(True)))
    app = make_app(nras.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_attestation(app, pilot)
        nonce = server.attestation_queries[0]["nonce"]
        text = screen_text(screen)
        assert "GPU evidence: 1 GPU(s), HOPPER, nonce matches ours" in text
        [button] = screen.query(".gpu-check").results(Button)
        assert str(button.label) == LABEL
        await pilot.pause(0.2)
        assert nras_requests(nras) == []  # nothing goes to NVIDIA before the press
        out = await press(pilot, button)
        shown = str(out.render())
        assert "NVIDIA (a third party): PASSED" in shown
        assert "the token's signature is not checked" in shown
        assert "x-nvidia-ver: 2.0" in shown and "GPU-0: measres success" in shown
        assert out.has_class("ok")
        [sent] = nras_requests(nras)
        doc = json.loads((ATTESTATION / "two-layer.json").read_text(encoding="utf-8"))
        payload = json.loads(doc["model_attestations"][0]["nvidia_payload"])
        payload["nonce"] = nonce
        assert sent.json() == payload
        assert "authorization" not in sent.headers and "cookie" not in sent.headers


async def test_failed_is_shown_as_failed(nras):
    SigningServer(nras, attestation_doc="legacy-flat.json")
    nras.route("/v3/attest/gpu", Reply.json(nras_answer(False, gpu_ok=False)))
    app = make_app(nras.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_attestation(app, pilot)
        buttons = list(screen.query(".gpu-check").results(Button))
        assert len(buttons) >= 2 and nras_requests(nras) == []
        out = await press(pilot, buttons[-1])
        shown = str(out.render())
        assert "NVIDIA (a third party): FAILED" in shown
        assert "the token's signature is not checked" in shown
        assert "false: x-nvidia-gpu-attestation-report-nonce-match" in shown
        assert out.has_class("bad") and len(nras_requests(nras)) == 1


async def test_an_error_and_a_placeholder_and_a_foreign_nonce(nras):
    SigningServer(nras)

    def report(request: Request) -> Reply:
        doc = json.loads((ATTESTATION / "two-layer.json").read_text(encoding="utf-8"))
        gpu = json.loads(doc["model_attestations"][0]["nvidia_payload"])
        gpu["nonce"] = "ab" * 32  # not ours
        doc["model_attestations"][0]["nvidia_payload"] = json.dumps(gpu)
        doc["gateway_attestation"]["nvidia_payload"] = json.dumps(
            {"nonce": request.query["nonce"], "evidence_list": [], "arch": "HOPPER"}
        )
        raw = json.dumps(doc).replace(FIXTURE_NONCE, request.query["nonce"])
        return Reply(headers=[("Content-Type", "application/json")], body=raw.encode())

    nras.route("/attestation/report", report)
    nras.route("/v3/attest/gpu", Reply.json({"error": "\x1b[2J[b]no"}, status=403))
    app = make_app(nras.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_attestation(app, pilot)
        text = screen_text(screen)
        assert "GPU evidence: no GPU evidence (empty evidence list)" in text
        assert "nonce does NOT match ours" in text
        [button] = screen.query(".gpu-check").results(Button)  # none for the placeholder
        out = await press(pilot, button)
        shown = str(out.render())
        assert "NVIDIA (a third party): ERROR" in shown and "HTTP 403" in shown
        assert "\x1b" not in shown and out.has_class("unknown")
