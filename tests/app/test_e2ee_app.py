"""End-to-end encryption in the app, against the loopback enclave (tests/aci_gateway.py):
the sidebar's switch turns on only after the attestation verifies (else it says why and
stays off); the reply streams decrypted, its line says so, the top bar says E2EE is on;
no prompt crosses the wire; F2's raw exchange shows the ciphertext; a tampered reply is
an error with nothing of it shown; the switch is saved with the conversation."""

from __future__ import annotations

import time
from typing import Any

from textual.widgets import Static

from tests.aci_gateway import Gateway, fake_quote_checker
from tests.app.conftest import make_app, settle, sidebar_built, until
from tests.app.test_verify_app import meta_text
from tui.app.widgets.preview import RequestPreview
from tui.app.widgets.topbar import TopBar
from tui.core.receipts import Attestor

SECRET = "the vault opens at dawn"


def start(app: Any, gateway: Gateway, loopback: Any) -> None:
    gateway.install(loopback)
    session = app.chat.session
    session.attestor = Attestor(session.client, fake_quote_checker)


async def turn_on(app: Any, pilot: Any) -> None:
    await sidebar_built(app, pilot)
    app.chat.query_one("#e2ee-toggle").press()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_switch_round_trip_and_ciphertext_in_f2(loopback):
    gateway = Gateway(now=int(time.time()))
    app = make_app(loopback.base_url, model="m")
    async with app.run_test(size=(120, 40)) as pilot:
        start(app, gateway, loopback)
        await turn_on(app, pilot)
        assert app.chat.conversation.e2ee
        assert "E2EE on" in str(app.chat.query_one(TopBar).render())
        assert str(app.chat.query_one("#e2ee-state", Static).render()) == "on"
        await pilot.press(*SECRET, "enter")
        await settle(app, pilot)
        assert app.chat.last_reply_text() == gateway.answer
        assert "end-to-end encrypted" in meta_text(app)
        assert all(SECRET.encode() not in raw for raw in gateway.received)
        assert SECRET in gateway.plaintexts
        await pilot.press("f2")
        await pilot.pause()
        shown = app.chat.query_one(RequestPreview).query_one("#raw-exchange").text
        assert "X-E2EE-Version: 2" in shown or "x-e2ee-version: 2" in shown.lower()
        assert SECRET not in shown and gateway.answer not in shown  # ciphertext both ways
        exchange = app.chat.session.client.last_exchange
        assert gateway.answer.encode() not in exchange.raw_response_body
        assert SECRET.encode() not in exchange.request_body
        assert ("x-e2ee-version", "2") in [(k.lower(), v) for k, v in exchange.request_headers]
        # turned off: in clear again (over TLS)
        app.chat.query_one("#e2ee-toggle").press()
        await pilot.pause()
        assert not app.chat.conversation.e2ee
        assert "E2EE on" not in str(app.chat.query_one(TopBar).render())


async def test_an_unverified_gateway_keeps_the_switch_off(loopback):
    gateway = Gateway(now=int(time.time()), wrong_nonce=True)
    app = make_app(loopback.base_url, model="m")
    async with app.run_test(size=(120, 40)) as pilot:
        start(app, gateway, loopback)
        await turn_on(app, pilot)
        assert not app.chat.conversation.e2ee
        said = [str(n.message) for n in app._notifications]
        assert any("stays off" in m and "report_data" in m for m in said), said


async def test_a_tampered_reply_is_an_error_and_nothing_of_it_shows(loopback):
    gateway = Gateway(now=int(time.time()), e2ee_tamper=True)
    app = make_app(loopback.base_url, model="m")
    async with app.run_test(size=(120, 40)) as pilot:
        start(app, gateway, loopback)
        await turn_on(app, pilot)
        await pilot.press(*SECRET, "enter")
        await settle(app, pilot)
        turn = app.chat.conversation.turns[-1]
        assert "does not decrypt" in turn.error["message"]
        assert gateway.answer[:8] not in (app.chat.last_reply_text() or "")


async def test_f10_says_a_command_of_an_encrypted_conversation_goes_in_clear(loopback):
    gateway = Gateway(now=int(time.time()))
    app = make_app(loopback.base_url, model="m")
    async with app.run_test(size=(120, 40)) as pilot:
        start(app, gateway, loopback)
        await turn_on(app, pilot)
        await pilot.press(*SECRET, "enter")
        await settle(app, pilot)
        await pilot.press("f10")
        await until(pilot, lambda: app.screen.query("#export-text"))
        screen = app.screen
        screen.query_one("#format").value = "curl"
        await pilot.pause()
        text = screen.query_one("#export-text").text
        assert text.startswith("# This conversation is end-to-end encrypted in the app.")
        assert "sends the messages in clear" in screen.output()
        note = str(screen.query_one(".note").render())
        assert "a request exported here is the plaintext" in note
        # tools defined: the sidebar says they go in clear
        app.chat.conversation.toolset.specs.append(
            __import__("tui.core.tools", fromlist=["ToolSpec"]).ToolSpec(
                name="f", parameters='{"type": "object"}'
            )
        )
        hints = app.chat.session.hints(app.chat.current_request_body())
        assert any("tools and tool calls go in clear" in h for h in hints)


async def test_the_offline_demo_says_it_has_no_enclave():
    from tui.app.app import RedPillApp
    from tui.config import Config, make_client, resolve_endpoint

    config = Config(autosave=False)
    endpoint = resolve_endpoint(config, demo=True)
    app = RedPillApp(config=config, endpoint=endpoint, client=make_client(endpoint, config))
    async with app.run_test(size=(120, 40)) as pilot:
        await turn_on(app, pilot)
        assert not app.chat.conversation.e2ee
        said = [str(n.message) for n in app._notifications]
        assert any("offline demo has no enclave" in m for m in said), said
