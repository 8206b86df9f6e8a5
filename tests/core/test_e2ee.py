"""End-to-end encryption (RedPill E2EE v2): the spec's AAD vectors (Dstack-TEE/private-ai-
gateway, Apache-2.0, tests/data/aci); key agreement, HKDF and AES-GCM pinned for fixed
keys and nonces and checked by an independent decryption; then a loopback enclave with
the test attestation's fixed-seed key decrypts what the client sends and answers
encrypted, streamed and not: the round trip works, each fault gives its own error, and
no prompt ever crosses the wire in clear."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tests.aci_gateway import NOW, Gateway, fake_quote_checker
from tui.api.client import ChatClient
from tui.api.e2ee import SECP256K1, X25519, E2EEError, E2EERequest, open_sealed, seal
from tui.core.conversation import Conversation
from tui.core.receipts import Attestor
from tui.core.session import ChatSession

VECTORS = (Path(__file__).parent.parent / "data" / "aci" / "e2ee-v2-test-vectors.md").read_text()
SERVICE_PUB = "5dfedd3b6bd47f6fa28ee15d969d5bb0ea53774d488bdaf9df1c6e0124b3ef22"
NONCE = bytes(range(32)).hex()
SECRET = "my bank PIN is 4921"
# "hi" sealed for messages.0.content with the ephemeral seed 32 x 04 and a zero AES nonce
PINNED = (
    "ac01b2209e86354fb853237b5de0f4fab13c7fcbf433a61c019369617fecf10b"
    "000000000000000000000000"
    "5b2eaa2386df451dd5c15cebba982f37cd7b"
)


def vector_blocks() -> list[str]:
    return [b.strip() for b in re.findall(r"```text\n(.*?)```", VECTORS, re.S)]


def fixed_request() -> E2EERequest:
    return E2EERequest(
        algo=X25519, service_key=SERVICE_PUB, model="demo-model", nonce=NONCE, ts=1750000000
    )


def test_the_spec_aad_vectors():
    request_aad, response_aad = vector_blocks()
    ctx = fixed_request()
    assert ctx._aad("messages.0.content").decode() == request_aad
    assert ctx._aad("choices.0.message.content", "chatcmpl-123").decode() == response_aad
    assert ctx.headers()["X-E2EE-Nonce"] == NONCE and ctx.headers()["X-E2EE-Version"] == "2"


def test_the_client_key_is_not_in_its_repr():
    ctx = fixed_request()
    assert "_private" not in repr(ctx) and "X25519PrivateKey" not in repr(ctx)


def test_fixed_keys_and_nonces_give_a_pinned_ciphertext_an_independent_decrypt_reads():
    eph = X25519PrivateKey.from_private_bytes(bytes([4]) * 32)
    aad = fixed_request()._aad("messages.0.content")
    value = seal(X25519, SERVICE_PUB, b"hi", aad, ephemeral=eph, nonce=bytes(12))
    blob = bytes.fromhex(value)
    assert blob[:32] == eph.public_key().public_bytes_raw() and blob[32:44] == bytes(12)
    # independently: the service's ECDH, HKDF and AES-GCM
    service = X25519PrivateKey.from_private_bytes(bytes([3]) * 32)
    assert service.public_key().public_bytes_raw().hex() == SERVICE_PUB
    shared = service.exchange(eph.public_key())
    key = HKDF(hashes.SHA256(), 32, None, b"aci.e2ee.v2.x25519").derive(shared)
    assert AESGCM(key).decrypt(bytes(12), blob[44:], aad) == b"hi"
    assert value == PINNED
    assert len(blob) == 32 + 12 + 2 + 16
    with pytest.raises(E2EEError, match="does not decrypt"):
        open_sealed(X25519, service, value, fixed_request()._aad("messages.1.content"))


def test_secp256k1_suite_round_trip_and_the_64_byte_key_form():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    service = ec.derive_private_key(5, ec.SECP256K1())
    pub = service.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    for key_hex in (pub.hex(), pub[1:].hex(), "0x" + pub.hex()):
        value = seal(SECP256K1, key_hex, b"secret", b"aad")
        assert len(bytes.fromhex(value)) == 65 + 12 + 6 + 16
        assert open_sealed(SECP256K1, service, value, b"aad") == b"secret"


def test_the_request_body_is_encrypted_field_by_field():
    ctx = fixed_request()
    body = {
        "model": "demo-model",
        "messages": [
            {"role": "system", "content": "be brief"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": SECRET},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                ],
            },
            {"role": "assistant", "content": "ok", "reasoning_content": "private thought"},
            {"role": "user", "content": "[1, 2]"},
        ],
    }
    wire = ctx.encrypt_body(body)
    text = str(wire)
    for plain in ("be brief", SECRET, "AAAA", "private thought", "[1, 2]"):
        assert plain not in text
    assert wire["messages"][3]["content"][0]["type"] == "text"  # an array-looking string
    service = X25519PrivateKey.from_private_bytes(bytes([3]) * 32)
    part = wire["messages"][1]["content"][0]["text"]
    assert (
        open_sealed(X25519, service, part, ctx._aad("messages.1.content.0.text")) == SECRET.encode()
    )
    with pytest.raises(E2EEError):
        E2EERequest(algo="rot13", service_key=SERVICE_PUB, model="m")


@pytest.fixture
async def client(loopback):
    c = ChatClient(loopback.base_url, key_env="TEST_KEY", max_retries=2, read_timeout=5)
    yield c
    await c.aclose()


async def encrypted_session(loopback, client, gateway: Gateway, stream: bool = True):
    gateway.install(loopback)
    conv = Conversation(model="m", params={"stream": stream}, e2ee=True)
    session = ChatSession(conv, client)
    session.attestor = Attestor(client, fake_quote_checker, clock=lambda: NOW)
    return session


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
async def test_round_trip_no_plaintext_on_the_wire_and_the_receipt_says_so(
    loopback, client, stream, tmp_path
):
    gateway = Gateway()
    session = await encrypted_session(loopback, client, gateway, stream)
    await session.run(session.send(SECRET))
    await session.run(session.send("and a second question"))
    turn = session.conversation.turns[-1]
    assert turn.error is None, turn.error
    assert turn.choices[0].content == gateway.answer and turn.e2ee
    assert SECRET in gateway.plaintexts and "and a second question" in gateway.plaintexts
    assert gateway.answer in gateway.plaintexts  # the history's answer went back encrypted
    for raw in gateway.received:  # everything the server got, as it came
        assert SECRET.encode() not in raw and b"second question" not in raw
        assert gateway.answer.encode() not in raw
    wire = session.last_exchange.raw_response_body
    assert gateway.answer.encode() not in wire  # F2 shows ciphertext
    chats = [r for r in loopback.requests if r.path.endswith("/chat/completions")]
    assert all(r.headers["x-e2ee-version"] == "2" for r in chats)
    assert len({r.headers["x-client-pub-key"] for r in chats}) == 2  # a fresh key each
    result = await session.verify(turn)
    assert result.verdict == "confidential", (result.detail, result.checks)
    assert result.detail.endswith("end-to-end encrypted")
    # no key of the exchange is kept: not in the saved conversation, not in the exports
    from tui.core.export import curl_command, markdown_transcript
    from tui.core.store import save_file

    save_file(session.conversation, tmp_path / "c.json")
    kept = (tmp_path / "c.json").read_text() + markdown_transcript(session.conversation)
    kept += curl_command(session.conversation.request_of(1), "http://x/v1", "KEY")
    for r in chats:
        assert r.headers["x-client-pub-key"] not in kept
        assert r.headers["x-e2ee-nonce"] not in kept


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ("e2ee_tamper", "does not decrypt"),
        ("e2ee_wrong_key", "does not decrypt"),
        ("e2ee_clear", "answered an encrypted request in clear"),
        ("e2ee_clear_fields", "not hex: the reply came in clear"),
        ("e2ee_no_version", "another protocol"),
    ],
)
@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
async def test_each_fault_is_its_own_error_and_nothing_is_shown(
    loopback, client, fault, says, stream
):
    gateway = Gateway(**{fault: True})
    session = await encrypted_session(loopback, client, gateway, stream)
    await session.run(session.send(SECRET))
    turn = session.conversation.turns[-1]
    assert turn.error is not None and says in turn.error["message"], turn.error
    shown = "".join(c.content or "" for c in turn.choices)
    assert gateway.answer[:8] not in shown and gateway.answer[8:] not in shown
    chats = [r for r in loopback.requests if r.path.endswith("/chat/completions")]
    assert len(chats) == 1  # an encrypted request is never resent by a retry


async def test_without_a_verified_attestation_nothing_is_sent(loopback, client):
    gateway = Gateway(wrong_nonce=True)
    session = await encrypted_session(loopback, client, gateway)
    await session.run(session.send(SECRET))
    turn = session.conversation.turns[-1]
    assert "not sent" in turn.error["message"] and "report_data" in turn.error["message"]
    assert not any(r.path.endswith("/chat/completions") for r in loopback.requests)
