"""Verifying a reply inside the chat, driven with the Pilot against a signing loopback
server (see tests/core/test_verify.py): the verify action, auto-verify, attestation."""

from __future__ import annotations

import json
from typing import Any

from textual.widgets import Collapsible, Static

from tests.app.conftest import make_app, settle, until
from tests.core.test_verify import (
    ADDRESS,
    ATTESTATION,
    FIXTURE_NONCE,
    GATEWAY,
    MODEL,
    SigningServer,
)
from tests.loopback import Reply, Request
from tui.app.screens.verify import VerifyScreen
from tui.app.widgets.turn import TurnView
from tui.config import Config
from tui.core.store import load_file


def meta_text(app: Any) -> str:
    return str(app.chat.query_one(TurnView).query_one(".meta", Static).render())


def saved_turn(app: Any) -> Any:
    return load_file(app.store.path_for(app.chat.conversation)).turns[-1]


def screen_text(screen: Any) -> str:
    return "\n".join(str(s.render()) for s in screen.query(Static).results(Static))


async def send(app: Any, pilot: Any, text: str = "hi") -> Any:
    await pilot.pause()
    await pilot.press(*text, "enter")
    await settle(app, pilot)
    return app.chat.conversation.turns[-1]


async def test_verify_action_shows_verified_on_the_reply_and_saves_it(loopback):
    server = SigningServer(loopback)
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        turn = await send(app, pilot)
        assert turn.choices[0].content == "Signed, sealed and delivered."
        assert turn.verification is None and server.signature_queries == []
        await pilot.press("ctrl+f")
        await until(pilot, lambda: turn.verification is not None)
        assert isinstance(app.screen, VerifyScreen)
        sig = str(app.screen.query_one("#sig", Static).render())
        assert "Signature: VERIFIED" in sig and ADDRESS in sig
        assert turn.request_sha256 in sig and turn.response_sha256 in sig
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, VerifyScreen)
        assert "signature: verified" in meta_text(app)
        assert server.signature_queries == [{"model": MODEL, "signing_algo": "ecdsa"}]
        await app.workers.wait_for_complete()  # saves run in a thread
        saved = saved_turn(app)
        assert saved.verification["verdict"] == "verified"
        assert saved.verification["signing_address"] == ADDRESS


async def test_verify_action_shows_which_hash_differs(loopback):
    SigningServer(loopback, tamper="response")
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        turn = await send(app, pilot)
        await pilot.press("ctrl+f")
        await until(pilot, lambda: turn.verification is not None)
        sig = str(app.screen.query_one("#sig", Static).render())
        assert "RESPONSE HASH MISMATCH" in sig
        assert app.screen.query_one("#sig", Static).has_class("bad")
        await pilot.press("escape")
        await pilot.pause()
        assert "signature: response hash mismatch" in meta_text(app)
        await app.workers.wait_for_complete()  # saves run in a thread
        assert saved_turn(app).verification["verdict"] == "response hash mismatch"


async def test_auto_verify_checks_every_reply(loopback):
    server = SigningServer(loopback)
    app = make_app(loopback.base_url, config=Config(auto_verify=True))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        first = await send(app, pilot, "one")
        await until(pilot, lambda: first.verification is not None)
        second = await send(app, pilot, "two")
        await until(pilot, lambda: second.verification is not None)
        assert [first.verification["verdict"], second.verification["verdict"]] == [
            "verified",
            "verified",
        ]
        assert not isinstance(app.screen, VerifyScreen)
        assert len(server.signature_queries) == 2
        await until(pilot, lambda: "signature: verified" in meta_text(app))
        await app.workers.wait_for_complete()  # saves run in a thread
        conv = load_file(app.store.path_for(app.chat.conversation))
        assert [t.verification["verdict"] for t in conv.turns] == ["verified", "verified"]
        # a verified reply is quiet; nothing to warn about
        assert not any("Signature" in n.message for n in app._notifications)


async def test_auto_verify_warns_when_a_signature_is_not_available(loopback):
    SigningServer(loopback, tamper="expired")
    app = make_app(loopback.base_url, config=Config(auto_verify=True))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        turn = await send(app, pilot)
        await until(pilot, lambda: turn.verification is not None)
        assert turn.verification["verdict"] == "not available"
        await until(pilot, lambda: "signature: not available" in meta_text(app))
        assert any("expired" in n.message for n in app._notifications)


async def test_no_verification_without_the_option(loopback):
    server = SigningServer(loopback)
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        turn = await send(app, pilot)
        await pilot.pause()
        assert turn.verification is None and server.signature_queries == []
        assert "signature" not in meta_text(app)


async def test_attestation_view_shows_addresses_and_the_checks(loopback):
    server = SigningServer(loopback, attestation_doc="two-layer.json")
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        turn = await send(app, pilot)
        await pilot.press("ctrl+f")
        await until(pilot, lambda: turn.verification is not None)
        screen = app.screen
        assert isinstance(screen, VerifyScreen)
        await pilot.press("a")
        await until(pilot, lambda: len(screen.query(Collapsible)) > 0)
        assert server.attestation_queries[0]["model"] == MODEL
        nonce = server.attestation_queries[0]["nonce"]
        text = screen_text(screen)
        assert f"nonce {nonce}" in text
        assert "Checks this app performed" in text and "Not checked here" in text
        assert "✓ the nonce we sent is echoed back" in text
        assert f"✓ the verified reply's signing address {ADDRESS} appears in the report" in text
        assert "✓ an Intel TDX quote is present" in text
        # its quotes are verified here (dcap-qvl): the fixture's are made up, and fail
        assert "✗ the gateway TDX quote verifies (dcap-qvl)" in text
        assert "Intel TDX quote is not verified" not in text
        assert "NVIDIA GPU attestation payload is not verified" in text
        assert "signing algorithm: ecdsa" in text
        titles = [str(c.title) for c in screen.query(Collapsible).results(Collapsible)]
        assert any(GATEWAY in t and t.startswith("gateway") for t in titles)
        assert any(ADDRESS in t and "phala/test-model-27b" in t for t in titles)
        assert any(t.startswith("Intel TDX quote") for t in titles)
        assert "NVIDIA GPU attestation payload" in titles
        assert "Event log (3 entries)" in titles


async def test_attestation_from_a_server_is_never_read_as_markup(loopback):
    SigningServer(loopback)

    def report(request: Request) -> Reply:
        doc = json.loads((ATTESTATION / "two-layer.json").read_text(encoding="utf-8"))
        doc["model_attestations"][0]["model_name"] = "evil [/] [b]model"
        raw = json.dumps(doc).replace(FIXTURE_NONCE, request.query["nonce"])
        return Reply(headers=[("Content-Type", "application/json")], body=raw.encode())

    loopback.route("/attestation/report", report)
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        turn = await send(app, pilot)
        await pilot.press("ctrl+f")
        await until(pilot, lambda: turn.verification is not None)
        screen = app.screen
        await pilot.press("a")
        await until(pilot, lambda: len(screen.query(Collapsible)) > 0)
        titles = [str(c.title) for c in screen.query(Collapsible).results(Collapsible)]
        assert any("evil [/] [b]model" in t for t in titles)


async def test_attestation_not_available_is_said_plainly(loopback):
    SigningServer(loopback, tamper="expired")
    loopback.route(
        "/attestation/report", Reply.json({"message": "Not Found", "ok": False}, status=404)
    )
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        turn = await send(app, pilot)
        await pilot.press("ctrl+f")
        await until(pilot, lambda: turn.verification is not None)
        screen = app.screen
        assert "NOT AVAILABLE" in str(screen.query_one("#sig", Static).render())
        await pilot.press("a")
        status = screen.query_one("#attest-status", Static)
        await until(pilot, lambda: "Attestation not available" in str(status.render()))
        assert "404" in str(status.render())


async def test_verify_uses_the_model_asked_for_not_the_one_reported(loopback):
    # vLLM behind the gateway may report a path as the model; the gateway routes by id.
    server = SigningServer(loopback, reported_model="/mnt/models/test-model")
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        turn = await send(app, pilot)
        assert turn.model == "/mnt/models/test-model"
        await pilot.press("ctrl+f")
        await until(pilot, lambda: turn.verification is not None)
        await pilot.press("a")
        await until(pilot, lambda: len(server.attestation_queries) == 1)
        assert server.signature_queries[0]["model"] == MODEL
        assert server.attestation_queries[0]["model"] == MODEL
