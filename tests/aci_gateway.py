"""A RedPill ACI gateway played on the loopback server, with fixed-seed keys: it answers
chat requests (streamed) with an ``x-receipt-id``, issues G1 or G3 receipts over the exact
bytes it received and sent, and attestation reports whose ``report_data`` commits to the
nonce asked and the keyset. Its "TDX quote" is synthetic (``FAKEQUOTE`` + REPORTDATA):
:func:`fake_quote_checker` plays dcap-qvl for it. Each fault a test needs is a switch."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.loopback import Reply, chunk, sse
from tui.core import aci
from tui.core.aci import Check

RECEIPT_SEED = bytes([2]) * 32
IDENTITY_SEED = bytes([1]) * 32
OTHER_SEED = bytes([9]) * 32
SECP_SECRET = int.from_bytes(bytes([5]) * 32, "big")
NOW = 1_750_000_000
FAKE = b"FAKEQUOTE"


def ed_key(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed)


def ed_public(seed: bytes) -> str:
    raw = (
        ed_key(seed)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return raw.hex()


def secp_key() -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(SECP_SECRET, ec.SECP256K1())


def secp_public() -> str:
    return (
        secp_key()
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        .hex()
    )


def secp_sign(data: bytes) -> str:
    r, s = decode_dss_signature(secp_key().sign(data, ec.ECDSA(hashes.SHA256())))
    return (r.to_bytes(32, "big") + s.to_bytes(32, "big") + b"\x00").hex()


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


async def fake_quote_checker(raw: bytes, now: int) -> tuple[Check, str | None]:
    """dcap-qvl's part for the synthetic quote: it 'verifies' and gives its REPORTDATA."""
    if not raw.startswith(FAKE):
        return Check("TDX quote", aci.FAIL, "not a quote"), None
    inputs = {"tcb status": "UpToDate"}
    return Check("TDX quote", aci.PASS, "verified (synthetic)", inputs), raw[len(FAKE) :].hex()


@dataclass
class Gateway:
    """Switches: ``gen`` ("G1" or "G3"), and the faults below."""

    gen: str = "G3"
    now: int = NOW
    stale: bool = False  # the keyset's not_after (G1: stale_after) has passed
    wrong_nonce: bool = False  # report_data commits to another nonce than ours
    quote_mismatch: bool = False  # the quote's REPORTDATA is not the report's
    wrong_key: bool = False  # receipt signed by another key under the listed key id
    unlisted_key: bool = False  # receipt names a key id the keyset does not have
    tamper_request: bool = False  # receipt's request hash is not of what we sent
    tamper_response: bool = False  # one byte of the SSE changed in the hashed body
    routed: bool = False  # upstream.verified failed
    expired: bool = False  # /aci/receipts answers 404
    no_receipts: bool = False  # an older gateway: no header, no /aci/receipts
    hostile: bool = False  # server fields carry terminal escapes
    answer: str = "Confidential hello."
    # E2EE v2: the enclave decrypts what it gets and answers encrypted (faults below)
    e2ee_tamper: bool = False  # one byte of one ciphertext changed
    e2ee_wrong_key: bool = False  # the reply encrypted to another client key
    e2ee_clear: bool = False  # the reply in clear, without the E2EE headers
    e2ee_clear_fields: bool = False  # headers say encrypted, content is in clear
    e2ee_no_version: bool = False  # X-E2EE-Applied without X-E2EE-Version
    received: list[bytes] = field(default_factory=list)  # every chat body, as it came
    plaintexts: list[str] = field(default_factory=list)  # what the enclave decrypted
    issued: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)
    reports: int = 0  # attestation reports served
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def install(self, loopback: Any) -> None:
        self.loopback = loopback
        loopback.route("/chat/completions", self.chat)
        loopback.route("/aci/attestation", self.attestation)

    # -- chat -----------------------------------------------------------------------

    def chat(self, request: Any) -> Reply:
        self.received.append(request.body)
        if request.headers.get("x-e2ee-version"):
            return self.e2ee_chat(request)
        pieces = sse(
            [
                chunk(0, "", role="assistant"),
                chunk(0, self.answer),
                chunk(0, finish="stop"),
                "[DONE]",
            ]
        )
        body = b"".join(p for p in pieces if isinstance(p, bytes))
        return self._issue(request.body, body, [("Content-Type", "text/event-stream")])

    def _issue(self, hashed_request: bytes, body: bytes, headers: list) -> Reply:
        rid = f"rcpt-{next(self._ids):024x}"
        self.issued[rid] = (hashed_request, body)
        if not self.no_receipts:
            headers.append(("x-receipt-id", rid))
            self.loopback.route(f"/aci/receipts/{rid}", self.receipt)
        return Reply(headers=headers, body=body)

    def e2ee_chat(self, request: Any) -> Reply:
        """The enclave's side of E2EE v2 (X25519 key e2ee-1, seed 0x03)."""
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        from tui.api.e2ee import X25519, E2EEError, E2EERequest, open_sealed, seal

        h = request.headers
        names = ("x-client-pub-key", "x-model-pub-key", "x-e2ee-nonce", "x-e2ee-timestamp")
        if not all(h.get(n) for n in names):
            return self._e2ee_error("e2ee_header_missing")
        service = X25519PrivateKey.from_private_bytes(bytes([3]) * 32)
        body = json.loads(request.body)
        ctx = E2EERequest(
            algo=X25519,
            service_key=h["x-model-pub-key"],
            model=body["model"],
            nonce=h["x-e2ee-nonce"],
            ts=int(h["x-e2ee-timestamp"]),
        )
        try:
            for m, msg in enumerate(body["messages"]):
                content = msg.get("content")
                if isinstance(content, str):
                    plain = open_sealed(X25519, service, content, ctx._aad(f"messages.{m}.content"))
                    msg["content"] = plain.decode()
                    self.plaintexts.append(msg["content"])
                elif isinstance(content, list):
                    for c, part in enumerate(content):
                        path = f"messages.{m}.content.{c}"
                        if part.get("type") == "text":
                            aad = ctx._aad(f"{path}.text")
                            part["text"] = open_sealed(X25519, service, part["text"], aad).decode()
                            self.plaintexts.append(part["text"])
                        elif part.get("type") == "image_url":
                            aad = ctx._aad(f"{path}.image_url.url")
                            url = part["image_url"]["url"]
                            part["image_url"]["url"] = open_sealed(
                                X25519, service, url, aad
                            ).decode()
        except E2EEError:
            return self._e2ee_error("e2ee_decryption_failed")
        restored = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        client_key = h["x-client-pub-key"]
        if self.e2ee_wrong_key:
            other = X25519PrivateKey.from_private_bytes(bytes([8]) * 32).public_key()
            client_key = other.public_bytes_raw().hex()
        stream = bool(body.get("stream"))
        words = [self.answer[:8], self.answer[8:]]
        reply_id = "chatcmpl-e2ee"

        def enc(path: str, text: str) -> str:
            if self.e2ee_clear or self.e2ee_clear_fields:
                return text
            aad = ctx._aad(path, reply_id)
            value = seal(X25519, client_key, text.encode(), aad)
            if self.e2ee_tamper:
                value = value[:-2] + ("00" if value[-2:] != "00" else "01")
            return value

        headers = []
        if not self.e2ee_clear:
            headers.append(("X-E2EE-Applied", "true"))
            if not self.e2ee_no_version:
                headers.append(("X-E2EE-Version", "2"))
            headers.append(("X-E2EE-Algo", X25519))
        if stream:
            events = [{**chunk(0, "", role="assistant"), "id": reply_id}]
            for w in words:
                c = chunk(0, enc("choices.0.delta.content", w))
                events.append({**c, "id": reply_id})
            events += [{**chunk(0, finish="stop"), "id": reply_id}, "[DONE]"]
            out = b"".join(p for p in sse(events) if isinstance(p, bytes))
            headers.append(("Content-Type", "text/event-stream"))
        else:
            doc = {
                "id": reply_id,
                "object": "chat.completion",
                "created": 1,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": enc("choices.0.message.content", self.answer),
                        },
                        "finish_reason": "stop",
                    }
                ],
            }
            out = json.dumps(doc).encode()
            headers.append(("Content-Type", "application/json"))
        return self._issue(restored, out, headers)

    def _e2ee_error(self, kind: str) -> Reply:
        return Reply.json({"error": {"message": kind, "type": kind}}, status=400)

    # -- keys and keyset --------------------------------------------------------------

    def keyset(self) -> dict[str, Any]:
        receipt_key = {
            "key_id": "receipt-1",
            "algo": "ed25519" if self.gen == "G3" else "ecdsa-secp256k1",
            "public_key": ed_public(RECEIPT_SEED) if self.gen == "G3" else secp_public(),
        }
        e2ee = {
            "key_id": "e2ee-1",
            "algo": "x25519-aes-256-gcm-hkdf-sha256",
            "public_key": "5dfedd3b6bd47f6fa28ee15d969d5bb0ea53774d488bdaf9df1c6e0124b3ef22",
        }
        not_after = self.now - 10 if self.stale else self.now + 3600
        if self.gen == "G3":
            return {
                "subject": "dstack-app://loopback",
                "not_after": not_after,
                "receipt_signing_keys": [receipt_key],
                "e2ee_public_keys": [e2ee],
                "tls_public_keys": [],
            }
        return {
            "workload_identity": {
                "public_key": {"algo": "ed25519", "public_key": ed_public(IDENTITY_SEED)},
                "subject": None,
            },
            "keyset_epoch": {"version": 1, "not_after": 18446744073709551615},
            "receipt_signing_keys": [receipt_key],
            "e2ee_public_keys": [e2ee],
            "tls_public_keys": [],
        }

    def attestation(self, request: Any) -> Reply:
        self.reports += 1
        nonce = request.query.get("nonce")
        if self.wrong_nonce:
            nonce = "ab" * 32
        keyset = self.keyset()
        digest = aci.digest_of(keyset)
        doc: dict[str, Any] = {"api_version": "aci/1", "workload_keyset_digest": digest}
        att: dict[str, Any] = {"tee_type": "tdx", "workload_keyset": keyset}
        if self.gen == "G3":
            report_data = aci.sha256_hex(aci.statement(digest, nonce))
        else:
            workload_id = aci.digest_of(keyset["workload_identity"]["public_key"])
            doc["workload_id"] = workload_id
            statement = {
                "nonce": nonce,
                "purpose": "aci.report_data.v1",
                "workload_id": workload_id,
                "workload_keyset_digest": digest,
            }
            report_data = aci.sha256_hex(aci.jcs(statement))
            payload = aci.jcs(
                {"purpose": "aci.keyset.endorsement.v1", "workload_keyset_digest": digest}
            )
            att["keyset_endorsement"] = {
                "algo": "ed25519",
                "value": ed_key(IDENTITY_SEED).sign(payload).hex(),
            }
            stale_after = self.now - 10 if self.stale else self.now + 600
            att["freshness"] = {"fetched_at": self.now, "stale_after": stale_after}
        att["report_data"] = report_data
        quoted = bytes.fromhex(report_data) + bytes(32)
        if self.quote_mismatch:
            quoted = bytes(64)
        att["evidence"] = {"quote": (FAKE + quoted).hex()}
        repo = "https://github.com/Dstack-TEE/private-ai-gateway"
        if self.hostile:
            repo = "https://evil.example/\x1b]52;c;aGk=\x07[b]x[/b]"
        att["source_provenance"] = {
            "repo_url": repo,
            "repo_commit": "b6b5c1b",
            "image_digest": "sha256:" + "ee" * 32,
        }
        doc["attestation"] = att
        doc["service_capabilities"] = {"supported_e2ee_versions": ["2"], "serving": "aggregator"}
        return Reply.json(doc)

    # -- receipts ---------------------------------------------------------------------

    def receipt(self, request: Any) -> Reply:
        if self.expired:
            return Reply.json(
                {"error": {"message": "receipt not found", "type": "not_found"}}, status=404
            )
        rid = request.path.partition("?")[0].rsplit("/", 1)[1]
        sent, received = self.issued[rid]
        if self.tamper_request:
            sent = sent + b" "
        if self.tamper_response:
            received = received.replace(b"hello", b"hellp", 1)
        upstream: dict[str, Any] = {
            "type": "upstream.verified",
            "result": "verified",
            "required": True,
            "model_id": "m",
            "session_id": "95" * 32,
        }
        if self.routed:
            upstream = {
                "type": "upstream.verified",
                "result": "failed",
                "required": False,
                "model_id": "m",
                "reason": "upstream has no attestation",
            }
        if self.hostile:
            upstream["model_id"] = "m\x1b[2J\x1b]0;owned\x07[red]x"
        doc: dict[str, Any] = {
            "api_version": "aci/1",
            "receipt_id": rid,
            "chat_id": "chatcmpl-test",
            "model": "m",
            "workload_keyset_digest": aci.digest_of(self.keyset()),
            "endpoint": "/v1/chat/completions",
            "method": "POST",
            "served_at": self.now,
        }
        key_id = "receipt-9" if self.unlisted_key else "receipt-1"
        if self.gen == "G3":
            doc["event_log"] = [
                {"type": "request.received", "body_hash": sha(sent)},
                {"type": "request.forwarded", "body_hash": sha(sent)},
                upstream,
                {"type": "response.returned", "body_hash": sha(received)},
            ]
            doc["key_id"] = key_id
            seed = OTHER_SEED if self.wrong_key else RECEIPT_SEED
            doc["signature"] = ed_key(seed).sign(aci.jcs(doc)).hex()
        else:
            keyset = self.keyset()
            doc["workload_id"] = aci.digest_of(keyset["workload_identity"]["public_key"])
            events = [
                {"type": "request.received", "body_hash": sha(sent)},
                {"type": "request.forwarded", "body_hash": sha(sent)},
                upstream,
                {
                    "type": "response.returned",
                    "cleartext_hash": sha(received),
                    "wire_hash": sha(received),
                },
            ]
            doc["event_log"] = [{"seq": i, **e} for i, e in enumerate(events)]
            doc["signature"] = {"algo": "ecdsa-secp256k1", "key_id": key_id}
            value = secp_sign(aci.jcs(doc))
            if self.wrong_key:
                value = ed_key(OTHER_SEED).sign(b"x").hex()[:128] + "00"
            doc["signature"]["value"] = value
        return Reply.json(doc)
