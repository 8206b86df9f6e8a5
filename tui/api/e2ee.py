"""RedPill E2EE v2 (the ACI extension): a request's content encrypted so that only the
attested enclave can read it, and the reply's content encrypted back so that only this
client can. One :class:`E2EERequest` per request: a fresh client key pair (in memory only,
never saved, logged or exported), a fresh 32-byte nonce and the time.

Per field: a fresh ephemeral key, ECDH with the recipient's key (X25519, or secp256k1's
x-coordinate), HKDF-SHA256 (no salt, the suite's info) to a 32-byte key, AES-256-GCM
with a 12-byte random nonce and canonical-JSON associated data naming the field, the
model, the request nonce and time; the value is hex of ephemeral key || nonce ||
ciphertext || tag. The primitives are ``cryptography``'s; none is written here.

Encrypted request fields: every message's content (a string as ``messages.M.content``;
a list of parts part by part: ``.content.C.text``, ``.image_url.url``,
``.input_audio.data``). Reply fields: ``content``, ``reasoning``, ``reasoning_content``
of each choice's message or delta. Everything else (roles, tool calls and their
arguments, ids, usage) travels in clear, as the protocol defines."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

X25519 = "x25519-aes-256-gcm-hkdf-sha256"
SECP256K1 = "secp256k1-aes-256-gcm-hkdf-sha256"
SUITES = {X25519: b"aci.e2ee.v2.x25519", SECP256K1: b"aci.e2ee.v2.secp256k1"}
REPLY_FIELDS = ("content", "reasoning", "reasoning_content")
_PART_FIELDS = {
    "text": ("text",),
    "image_url": ("image_url", "url"),
    "input_audio": ("input_audio", "data"),
}


class E2EEError(ValueError):
    """Why a reply cannot be trusted as encrypted (shown on the turn; nothing of it is
    shown as the model's text)."""


def jcs(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _key_bytes(algo: str, hex_key: str) -> bytes:
    text = hex_key[2:] if hex_key[:2] in ("0x", "0X") else hex_key
    raw = bytes.fromhex(text)
    if algo == SECP256K1 and len(raw) == 64:
        raw = b"\x04" + raw  # the 64-byte form without 04 is the same key
    return raw


@dataclass
class _Suite:
    algo: str

    def generate(self) -> Any:
        if self.algo == X25519:
            from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

            return X25519PrivateKey.generate()
        from cryptography.hazmat.primitives.asymmetric import ec

        return ec.generate_private_key(ec.SECP256K1())

    def public_bytes(self, private: Any) -> bytes:
        from cryptography.hazmat.primitives import serialization

        if self.algo == X25519:
            return private.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        return private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )

    def load_public(self, raw: bytes) -> Any:
        if self.algo == X25519:
            from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

            return X25519PublicKey.from_public_bytes(raw)
        from cryptography.hazmat.primitives.asymmetric import ec

        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256K1(), raw)

    def shared(self, private: Any, public: Any) -> bytes:
        if self.algo == X25519:
            return private.exchange(public)
        from cryptography.hazmat.primitives.asymmetric import ec

        return private.exchange(ec.ECDH(), public)  # the x-coordinate

    @property
    def ephemeral_len(self) -> int:
        return 32 if self.algo == X25519 else 65

    def aead(self, shared: bytes) -> Any:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=SUITES[self.algo])
        return AESGCM(key.derive(shared))


def seal(
    algo: str,
    recipient_hex: str,
    plaintext: bytes,
    aad: bytes,
    *,
    ephemeral: Any = None,
    nonce: bytes | None = None,
) -> str:
    """One field encrypted to ``recipient_hex`` (``ephemeral`` and ``nonce`` are fixed
    only by tests; each field gets fresh ones otherwise)."""
    suite = _Suite(algo)
    eph = ephemeral or suite.generate()
    recipient = suite.load_public(_key_bytes(algo, recipient_hex))
    iv = nonce or os.urandom(12)
    sealed = suite.aead(suite.shared(eph, recipient)).encrypt(iv, plaintext, aad)
    return (suite.public_bytes(eph) + iv + sealed).hex()


def open_sealed(algo: str, private: Any, value: Any, aad: bytes) -> bytes:
    """A field sealed to ``private``'s public key; :class:`E2EEError` when it is not a
    ciphertext, or does not authenticate (tampered, another key, moved, replayed)."""
    from cryptography.exceptions import InvalidTag

    suite = _Suite(algo)
    if not isinstance(value, str):
        raise E2EEError("an encrypted field is not a string: the reply came in clear")
    try:
        blob = bytes.fromhex(value)
    except ValueError:
        raise E2EEError("an encrypted field is not hex: the reply came in clear") from None
    n = suite.ephemeral_len
    if len(blob) < n + 12 + 16:
        raise E2EEError("an encrypted field is too short to be a ciphertext")
    try:
        eph = suite.load_public(blob[:n])
        return suite.aead(suite.shared(private, eph)).decrypt(blob[n : n + 12], blob[n + 12 :], aad)
    except InvalidTag:
        raise E2EEError("a reply field does not decrypt: tampered, or not for our key") from None
    except ValueError as exc:
        raise E2EEError(f"a reply field has a bad ephemeral key: {exc}") from None


@dataclass
class E2EERequest:
    """One encrypted request: the service key it encrypts to, and this request's own
    client key pair, nonce and time (the client key never leaves memory)."""

    algo: str
    service_key: str  # hex, from a verified attestation's keyset
    model: str
    clock: Callable[[], float] = time.time
    nonce: str = field(default_factory=lambda: os.urandom(32).hex())
    ts: int = 0
    _private: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.algo not in SUITES:
            raise E2EEError(f"unknown E2EE suite {self.algo!r}")
        if not isinstance(self.model, str) or not self.model:
            raise E2EEError("an encrypted request needs a model id")
        _Suite(self.algo).load_public(_key_bytes(self.algo, self.service_key))  # valid key
        self.ts = self.ts or int(self.clock())
        self._private = self._private or _Suite(self.algo).generate()

    @property
    def client_key(self) -> str:
        return _Suite(self.algo).public_bytes(self._private).hex()

    def headers(self) -> dict[str, str]:
        return {
            "X-E2EE-Version": "2",
            "X-Client-Pub-Key": self.client_key,
            "X-Model-Pub-Key": self.service_key,
            "X-E2EE-Nonce": self.nonce,
            "X-E2EE-Timestamp": str(self.ts),
        }

    def _aad(self, path: str, reply_id: str | None = None) -> bytes:
        doc: dict[str, Any] = {
            "algo": self.algo,
            "field": path,
            "model": self.model,
            "nonce": self.nonce,
            "purpose": "aci.e2ee.request.v2" if reply_id is None else "aci.e2ee.response.v2",
            "ts": self.ts,
        }
        if reply_id is not None:
            doc["id"] = reply_id
        return jcs(doc)

    # -- the request ----------------------------------------------------------------

    def plain_body(self, body: dict[str, Any]) -> dict[str, Any]:
        """The body as the enclave restores it (a string content that reads as a JSON
        array is sent as one text part: whole-content plaintext that parses as an array
        is restored as parts)."""
        out = copy.deepcopy(body)
        for msg in out.get("messages") or []:
            if not isinstance(msg, dict):
                continue
            for key in ("reasoning_content", "reasoning"):
                msg.pop(key, None)  # not a protocol field: it would travel in clear
            content = msg.get("content")
            if isinstance(content, str) and _reads_as_array(content):
                msg["content"] = [{"type": "text", "text": content}]
        return out

    def plain_sha256(self, body: dict[str, Any]) -> str:
        """sha256 of the compact restored body: what the receipt's request hash covers."""
        plain = self.plain_body(body)
        compact = json.dumps(plain, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(compact.encode()).hexdigest()

    def encrypt_body(self, body: dict[str, Any]) -> dict[str, Any]:
        """The body to send: every message's content encrypted in place."""
        out = self.plain_body(body)
        sealed = 0
        for m, msg in enumerate(out.get("messages") or []):
            if not isinstance(msg, dict):
                continue
            content = msg.get("content")
            if isinstance(content, str):
                msg["content"] = self._seal(f"messages.{m}.content", content)
                sealed += 1
            elif isinstance(content, list):
                for c, part in enumerate(content):
                    sealed += self._seal_part(f"messages.{m}.content.{c}", part)
        if not sealed:
            raise E2EEError("nothing to encrypt: the request has no message content")
        return out

    def _seal(self, path: str, text: str) -> str:
        return seal(self.algo, self.service_key, text.encode(), self._aad(path))

    def _seal_part(self, path: str, part: Any) -> int:
        if not isinstance(part, dict) or part.get("type") not in _PART_FIELDS:
            raise E2EEError(f"a content part of type {part.get('type')!r} cannot be encrypted")
        keys = _PART_FIELDS[part["type"]]
        holder: Any = part
        for key in keys[:-1]:
            holder = holder.get(key) if isinstance(holder, dict) else None
        if not isinstance(holder, dict) or not isinstance(holder.get(keys[-1]), str):
            return 0
        holder[keys[-1]] = self._seal(".".join((path, *keys)), holder[keys[-1]])
        return 1

    # -- the reply ------------------------------------------------------------------

    def check_headers(self, headers: Any) -> None:
        """A reply to an encrypted request must say it is encrypted, with our version and
        suite; anything else is a downgrade (nothing of it is shown)."""
        applied = str(headers.get("x-e2ee-applied", "")).strip().lower()
        if applied != "true":
            raise E2EEError(
                "the server answered an encrypted request in clear (no X-E2EE-Applied): "
                "nothing of the reply is shown"
            )
        version = str(headers.get("x-e2ee-version", "")).strip()
        algo = str(headers.get("x-e2ee-algo", "")).strip()
        if version != "2" or (algo and algo != self.algo):
            raise E2EEError(f"the reply is encrypted with another protocol ({version}, {algo})")

    def decrypt_reply(self, obj: Any, streamed: bool) -> Any:
        """A chunk (``streamed``) or a whole completion with its content decrypted. An
        error object has no choices to decrypt (errors are not encrypted); one with an
        ``error`` member and choices too has them decrypted like any other. Only what is
        decrypted is copied: the rest may be nested too deeply to copy."""
        if not isinstance(obj, dict) or not isinstance(obj.get("choices"), list):
            return obj
        out = {**obj, "choices": list(obj["choices"])}
        reply_id = out.get("id") if isinstance(out.get("id"), str) else ""
        where = "delta" if streamed else "message"
        for pos, choice in enumerate(out["choices"]):
            if not isinstance(choice, dict) or not isinstance(choice.get(where), dict):
                continue
            index = choice.get("index", pos)
            part = {**choice[where]}
            out["choices"][pos] = {**choice, where: part}
            for name in REPLY_FIELDS:
                value = part.get(name)
                if value is None or (streamed and value == ""):
                    continue
                aad = self._aad(f"choices.{index}.{where}.{name}", reply_id)
                part[name] = open_sealed(self.algo, self._private, value, aad).decode(
                    "utf-8", errors="replace"
                )
            if part.get("refusal"):  # not a protocol field: it could only come in clear
                raise E2EEError("a refusal came in clear in an encrypted reply: not shown")
        return out


def _reads_as_array(text: str) -> bool:
    if not text.lstrip().startswith("["):
        return False
    try:
        return isinstance(json.loads(text), list)
    except ValueError:
        return False


def pick_key(e2ee_keys: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    """(algo, public key) of a v2 suite the keyset publishes (X25519 first)."""
    for algo in (X25519, SECP256K1):
        for key_algo, public in e2ee_keys.values():
            if key_algo == algo:
                return algo, public
    return None
