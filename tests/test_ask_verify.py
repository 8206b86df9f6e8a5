"""``ask --verify`` and ``attest`` against the fixed-seed ACI gateway on loopback: each case
gives its own verdict in text and in --json, the exit status is 3 whenever the mark is not
confidential, and server fields with terminal escapes are neutralised in what is printed."""

from __future__ import annotations

import io
import json

import pytest

from tests.aci_gateway import Gateway, fake_quote_checker
from tui.config import Config, Endpoint
from tui.headless import AskOptions, ask
from tui.headless_attest import attest


def endpoint(loopback) -> Endpoint:
    return Endpoint(profile="t", base_url=loopback.base_url, key_env="TEST_KEY", model="m")


async def ask_verify(loopback, gateway: Gateway, json_out: bool = False):
    gateway.now = int(__import__("time").time())  # the attestor's clock is the real one
    gateway.install(loopback)
    out, err = io.StringIO(), io.StringIO()
    opts = AskOptions(prompt="hi", verify=True, json_out=json_out, quote_checker=fake_quote_checker)
    code = await ask(opts, endpoint(loopback), Config(max_retries=0), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("gen", ["G1", "G3"])
async def test_confidential_in_text_and_json(loopback, gen):
    code, out, err = await ask_verify(loopback, Gateway(gen=gen))
    assert code == 0, err
    assert out.startswith("Confidential hello.")
    assert err.splitlines()[0].startswith("receipt: confidential")
    assert "  ✓ receipt signature: valid under the attested receipt key" in err
    code, out, err = await ask_verify(loopback, Gateway(gen=gen), json_out=True)
    v = json.loads(out)["verification"]
    assert code == 0 and v["verdict"] == "confidential" and v["kind"] == "aci"
    assert {c["name"] for c in v["checks"]} >= {"request hash", "response hash", "upstream"}


@pytest.mark.parametrize(
    ("switch", "verdict", "says"),
    [
        ("routed", "routed", "upstream was not verified"),
        ("tamper_request", "unverified", "request hash"),
        ("tamper_response", "unverified", "response hash"),
        ("wrong_key", "unverified", "receipt signature"),
        ("unlisted_key", "unverified", "not in the attested keyset"),
        ("stale", "unverified", "report: not expired"),
        ("wrong_nonce", "unverified", "report: report_data"),
        ("quote_mismatch", "unverified", "report: quote binds the report"),
        ("expired", "unverified", "expired"),
    ],
)
async def test_every_other_mark_exits_3(loopback, switch, verdict, says):
    code, out, err = await ask_verify(loopback, Gateway(**{switch: True}), json_out=True)
    v = json.loads(out)["verification"]
    assert code == 3 and v["verdict"] == verdict and says in v["detail"], v


async def test_hostile_server_fields_are_neutralised(loopback):
    code, out, err = await ask_verify(loopback, Gateway(hostile=True, routed=True))
    assert code == 3
    assert "\x1b" not in err and "\x07" not in err


async def test_attest_verifies_on_its_own_and_says_why_not(loopback):
    gateway = Gateway(hostile=True)
    gateway.now = int(__import__("time").time())
    gateway.install(loopback)
    out, err = io.StringIO(), io.StringIO()
    code = await attest(
        endpoint(loopback), Config(max_retries=0), out=out, err=err,
        quote_checker=fake_quote_checker,
    )  # fmt: skip
    text = out.getvalue()
    assert code == 0, (text, err.getvalue())
    assert text.startswith("attestation: verified")
    assert "✓ report_data" in text and "tcb status: UpToDate" in text
    assert "repo_url: https://evil.example/" in text and "\x1b" not in text
    stale = Gateway(stale=True)
    stale.now = gateway.now
    stale.install(loopback)
    out = io.StringIO()
    code = await attest(
        endpoint(loopback), Config(max_retries=0), json_out=True, out=out, err=err,
        quote_checker=fake_quote_checker,
    )  # fmt: skip
    doc = json.loads(out.getvalue())
    assert code == 3 and doc["verified"] is False
    assert any(c["name"] == "not expired" and c["result"] == "fail" for c in doc["checks"])


async def test_attest_without_collateral_is_not_verified(loopback):
    """The real quote checker with no PCCS reachable: the quote is 'not done', never
    verified (the synthetic quote does not even parse as one: that is a failure)."""
    gateway = Gateway()
    gateway.now = int(__import__("time").time())
    gateway.install(loopback)
    out, err = io.StringIO(), io.StringIO()
    code = await attest(endpoint(loopback), Config(max_retries=0), out=out, err=err)
    assert code == 3, out.getvalue()
    assert out.getvalue().startswith("attestation: NOT verified")


async def test_ask_e2ee_round_trip_and_faults(loopback):
    secret = "the launch code is 0000"
    gateway = Gateway()
    gateway.now = int(__import__("time").time())
    gateway.install(loopback)
    out, err = io.StringIO(), io.StringIO()
    opts = AskOptions(
        prompt=secret, e2ee=True, verify=True, json_out=True, quote_checker=fake_quote_checker
    )
    code = await ask(opts, endpoint(loopback), Config(max_retries=0), out=out, err=err)
    doc = json.loads(out.getvalue())
    assert code == 0, err.getvalue()
    assert doc["choices"][0]["content"] == gateway.answer
    assert doc["verification"]["detail"].endswith("end-to-end encrypted")
    assert all(secret.encode() not in raw for raw in gateway.received)
    bad = Gateway(e2ee_tamper=True, now=gateway.now)
    bad.install(loopback)
    out, err = io.StringIO(), io.StringIO()
    opts = AskOptions(prompt=secret, e2ee=True, quote_checker=fake_quote_checker)
    code = await ask(opts, endpoint(loopback), Config(max_retries=0), out=out, err=err)
    assert code == 1 and "does not decrypt" in err.getvalue()
    assert gateway.answer not in out.getvalue()
