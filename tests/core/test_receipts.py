"""A reply verified by its receipt, end to end over loopback HTTP: a gateway with fixed-
seed keys (tests/aci_gateway.py) issues G1 and G3 receipts and reports; each fault gives
its own verdict and names the failing check; the report is fetched once and kept; a
gateway without receipts falls back to the legacy signature."""

from __future__ import annotations

import hashlib

import pytest

from tests.aci_gateway import NOW, Gateway, fake_quote_checker
from tests.loopback import Reply
from tui.api.client import ChatClient
from tui.core.conversation import Conversation
from tui.core.receipts import Attestor
from tui.core.session import ChatSession
from tui.core.verify import address_of_key, sign_personal


@pytest.fixture
async def client(loopback):
    c = ChatClient(loopback.base_url, key_env="TEST_KEY", max_retries=0, read_timeout=5)
    yield c
    await c.aclose()


async def reply_and_verify(loopback, client, gateway: Gateway, times: int = 1):
    gateway.install(loopback)
    session = ChatSession(Conversation(model="m", params={"stream": True}), client)
    session.attestor = Attestor(client, fake_quote_checker, clock=lambda: NOW)
    results = []
    for i in range(times):
        await session.run(session.send(f"hello {i}"))
        results.append(await session.verify(session.conversation.turns[-1]))
    return session, results


def failed(result) -> list[str]:
    return [c["name"] for c in result.checks if c["result"] == "fail"]


@pytest.mark.parametrize("gen", ["G1", "G3"])
async def test_a_good_receipt_is_confidential_and_the_report_is_kept(loopback, client, gen):
    gateway = Gateway(gen=gen)
    session, (first, second) = await reply_and_verify(loopback, client, gateway, times=2)
    assert first.verdict == "confidential", (first.detail, first.checks)
    assert second.verdict == "confidential" and gateway.reports == 1  # kept, not refetched
    names = {c["name"] for c in first.checks if c["result"] == "pass"}
    assert {"request hash", "response hash", "receipt signature", "upstream"} <= names
    assert {"report: report_data", "report: TDX quote", "report: quote binds the report"} <= names
    turn = session.conversation.turns[-1]
    assert turn.verification["verdict"] == "confidential" and turn.receipt_id.startswith("rcpt-")
    assert first.generation == ("G1/G2" if gen == "G1" else "G3")


CASES = [
    ("tamper_request", "request hash"),
    ("tamper_response", "response hash"),
    ("wrong_key", "receipt signature"),
    ("unlisted_key", "receipt signature"),
    ("stale", "report: not expired"),
    ("wrong_nonce", "report: report_data"),
    ("quote_mismatch", "report: quote binds the report"),
]


@pytest.mark.parametrize("gen", ["G1", "G3"])
@pytest.mark.parametrize(("fault", "check"), CASES, ids=[c[0] for c in CASES])
async def test_each_fault_is_unverified_and_names_its_check(loopback, client, gen, fault, check):
    gateway = Gateway(gen=gen, **{fault: True})
    _, (result,) = await reply_and_verify(loopback, client, gateway)
    assert result.verdict == "unverified", result
    assert check in failed(result), (failed(result), result.detail)
    assert result.detail.startswith(check), result.detail


async def test_routed_and_expired(loopback, client):
    _, (routed,) = await reply_and_verify(loopback, client, Gateway(routed=True))
    assert routed.verdict == "routed" and "upstream was not verified" in routed.detail
    _, (gone,) = await reply_and_verify(loopback, client, Gateway(expired=True))
    assert gone.verdict == "unverified" and "expired" in gone.detail


async def test_a_gateway_without_receipts_falls_back_to_the_legacy_signature(loopback, client):
    gateway = Gateway(no_receipts=True)
    key = bytes([7]) * 32

    def signature(request):
        sent, received = gateway.issued[next(iter(gateway.issued))]
        text = f"{hashlib.sha256(sent).hexdigest()}:{hashlib.sha256(received).hexdigest()}"
        return Reply.json(
            {
                "text": text,
                "signature": sign_personal(text.encode(), key),
                "signing_address": address_of_key(key),
                "signing_algo": "ecdsa",
            }
        )

    loopback.route("/signature/chatcmpl-test", signature)
    loopback.route("/aci/receipts/chatcmpl-test", Reply.json({"detail": "Not Found"}, status=404))
    _, (result,) = await reply_and_verify(loopback, client, gateway)
    assert result.verdict == "verified", result
    assert result.signing_address == address_of_key(key)
    assert not any("/aci/attestation" in r.path for r in loopback.requests)
