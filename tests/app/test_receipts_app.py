"""Receipts in the app, against the fixed-seed ACI gateway on loopback: ctrl+f shows the
mark and every check with its inputs; auto-verify marks each reply; each fault gives its
own mark on the reply's line (saved with the turn); hostile server fields are shown as
text. The detail screen is snapshot-tested at both sizes."""

from __future__ import annotations

import time
from typing import Any

import pytest
from textual.widgets import Static

from tests.aci_gateway import NOW, Gateway, fake_quote_checker
from tests.app.conftest import make_app, settle, until
from tests.app.test_snapshots import empty_app
from tests.app.test_verify_app import meta_text, saved_turn, screen_text, send
from tui.app.screens.verify import VerifyScreen
from tui.config import Config
from tui.core import receipts
from tui.core.receipts import Attestor


def attach(app: Any, gateway: Gateway, loopback: Any, clock: Any = time.time) -> None:
    gateway.install(loopback)
    session = app.chat.session
    session.attestor = Attestor(session.client, fake_quote_checker, clock=clock)


async def test_ctrl_f_shows_the_mark_and_every_check(loopback):
    gateway = Gateway(now=int(time.time()))
    app = make_app(loopback.base_url, model="m")
    async with app.run_test(size=(120, 40)) as pilot:
        attach(app, gateway, loopback)
        turn = await send(app, pilot)
        assert turn.receipt_id == "rcpt-" + "0" * 23 + "1"
        await pilot.press("ctrl+f")
        await until(pilot, lambda: turn.verification is not None)
        await until(pilot, lambda: len(app.screen.query(".check")) > 5)
        assert isinstance(app.screen, VerifyScreen)
        text = screen_text(app.screen)
        assert "CONFIDENTIAL: the upstream enclave was verified" in text
        assert "✓ request hash: equals the sha256 of the exact bytes we sent" in text
        assert f"ours: sha256:{turn.request_sha256}" in text
        assert "✓ report: TDX quote" in text and "tcb status: UpToDate" in text
        assert "repo_url: https://github.com/Dstack-TEE/private-ai-gateway" in text
        await pilot.press("escape")
        await pilot.pause()
        assert "receipt: confidential" in meta_text(app)
        await app.workers.wait_for_complete()
        assert saved_turn(app).verification["verdict"] == "confidential"


@pytest.mark.parametrize(
    ("switch", "line"),
    [
        ("tamper_request", "receipt: unverified (request hash:"),
        ("tamper_response", "receipt: unverified (response hash:"),
        ("wrong_key", "receipt: unverified (receipt signature: does not verify"),
        ("unlisted_key", "receipt: unverified (receipt signature: signed by a key not in"),
        ("stale", "receipt: unverified (report: not expired:"),
        ("wrong_nonce", "receipt: unverified (report: report_data:"),
        ("quote_mismatch", "receipt: unverified (report: quote binds the report:"),
        ("routed", "receipt: routed (routed: the gateway is attested"),
        ("expired", "receipt: unverified (expired or unknown"),
    ],
)
async def test_auto_verify_gives_each_case_its_own_mark(loopback, switch, line):
    gateway = Gateway(now=int(time.time()), **{switch: True})
    app = make_app(loopback.base_url, model="m", config=Config(auto_verify=True))
    async with app.run_test(size=(120, 40)) as pilot:
        attach(app, gateway, loopback)
        turn = await send(app, pilot)
        await until(pilot, lambda: turn.verification is not None)
        await pilot.pause()
        assert line in meta_text(app), meta_text(app)
        said = [str(n.message) for n in app._notifications]
        assert any(m.startswith("Receipt: ") for m in said), said


async def test_hostile_fields_on_the_detail_screen_are_text(loopback):
    gateway = Gateway(now=int(time.time()), hostile=True, routed=True)
    app = make_app(loopback.base_url, model="m")
    async with app.run_test(size=(120, 40)) as pilot:
        attach(app, gateway, loopback)
        turn = await send(app, pilot)
        await pilot.press("ctrl+f")
        await until(pilot, lambda: turn.verification is not None)
        await until(pilot, lambda: len(app.screen.query(".check")) > 5)
        text = screen_text(app.screen)
        assert "\x1b" not in text and "\x07" not in text
        assert "model_id: m␛[2J␛]0;owned␇[red]x" in text  # shown, not obeyed, not markup
        assert "[b]x[/b]" in text


SIZES = pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])


@SIZES
def test_receipt_detail_screen(snap_compare, size, loopback, monkeypatch):
    monkeypatch.setattr(receipts, "fresh_nonce", lambda: "42" * 32)
    gateway = Gateway(now=NOW)
    app = empty_app(server=loopback)  # the top bar shows a fixed URL, not the port

    async def run(pilot):
        attach(app, gateway, loopback, clock=lambda: NOW)
        turn = await send(app, pilot)
        await pilot.press("ctrl+f")
        await until(pilot, lambda: turn.verification is not None)
        await until(pilot, lambda: len(app.screen.query(".check")) > 5)
        for node in app.screen.query(Static):
            node.refresh()
        await settle(app, pilot)
        app.screen.query_one("#verify-body").scroll_home(animate=False)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run)
