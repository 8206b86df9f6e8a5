"""RedPill ACI ("aci/1"): the checks of a gateway's attestation report and of a reply's
receipt, as pure functions of the documents, the bytes we sent and received, a nonce and
the time. No network here (tui/core/receipts.py fetches); plain Python.

Three wire generations exist (the docs show G1, the gateway has served G3 since August
2026): a receipt whose ``signature`` is an object is G1/G2, one with a top-level
``key_id`` and a hex ``signature`` is G3; a report whose keyset has ``workload_identity``
is G1/G2, one whose keyset has a top-level ``not_after`` is G3. Anything else cannot be
verified, and says so.

Hashes and signatures are over RFC 8785 canonical JSON (JCS) of the parsed documents;
ACI documents hold only ASCII member names and integers, for which JCS is Python's
sorted, compact ``json.dumps`` (floats are refused: their JCS form is not Python's).
Ed25519 and secp256k1 are ``cryptography``'s; we write no crypto."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

PASS, FAIL, NOT_DONE, INFO = "pass", "fail", "not done", "info"
CONFIDENTIAL, ROUTED, UNVERIFIED = "confidential", "routed", "unverified"
G12, G3 = "G1/G2", "G3"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass
class Check:
    """One check: what, its result (pass, fail, not done, info), why, and its inputs."""

    name: str
    result: str
    detail: str = ""
    inputs: dict[str, str] = field(default_factory=dict)


# -- canonical JSON and digests ----------------------------------------------------------


def jcs(value: Any) -> bytes:
    """RFC 8785 canonical bytes of an ACI document (integers only; ValueError else)."""
    try:
        _no_floats(value)
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except RecursionError:
        raise ValueError("a document nested too deeply to check") from None


def _no_floats(value: Any) -> None:
    if isinstance(value, float):
        raise ValueError("a number that is not an integer (ACI documents hold integers only)")
    if isinstance(value, dict):
        for v in value.values():
            _no_floats(v)
    elif isinstance(value, list):
        for v in value:
            _no_floats(v)


def shown(value: Any, limit: int = 200) -> str:
    """A server value as bounded text for a check's inputs or detail (it may be huge or
    nested beyond Python's recursion limit)."""
    if not isinstance(value, str):
        try:
            value = str(value)
        except RecursionError:
            value = f"(a {type(value).__name__} nested too deeply to show)"
    return value if len(value) <= limit else value[:limit] + f"… ({len(value)} characters)"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest_of(value: Any) -> str:
    return "sha256:" + sha256_hex(jcs(value))


def statement(digest: str, nonce: str | None) -> bytes:
    """G3's attestation statement (its sha256 is report_data)."""
    n = "null" if nonce is None else f'"{nonce}"'
    return f'{{"keyset_digest":"{digest}","nonce":{n},"purpose":"aci.report_data.v1"}}'.encode()


# -- signatures ----------------------------------------------------------------------------


def _bytes(hex_text: Any) -> bytes:
    if not isinstance(hex_text, str):
        raise ValueError("not a hex string")
    text = hex_text[2:] if hex_text[:2] in ("0x", "0X") else hex_text
    return bytes.fromhex(text)


def verify_ed25519(public_hex: Any, signature_hex: Any, data: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(_bytes(public_hex))
        key.verify(_bytes(signature_hex), data)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def verify_secp256k1(public_hex: Any, signature_hex: Any, data: bytes) -> bool:
    """ECDSA secp256k1 over sha256(data): a 64-byte r||s, or a 65-byte r||s||v (v 0..3
    or 27..30; the key comes from the keyset, so v only has to be in range)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    try:
        sig, key = _bytes(signature_hex), _bytes(public_hex)
        if len(sig) == 65 and sig[64] not in (0, 1, 2, 3, 27, 28, 29, 30):
            return False
        if len(sig) not in (64, 65):
            return False
        if len(key) == 64:
            key = b"\x04" + key
        pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256K1(), key)
        r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big")
        pub.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def verify_with(algo: str, public_hex: Any, signature_hex: Any, data: bytes) -> bool | None:
    """None: an algorithm this app does not check."""
    if algo == "ed25519":
        return verify_ed25519(public_hex, signature_hex, data)
    if algo == "ecdsa-secp256k1":
        return verify_secp256k1(public_hex, signature_hex, data)
    return None


# -- generations ---------------------------------------------------------------------------


def receipt_generation(doc: Any) -> str | None:
    if not isinstance(doc, dict):
        return None
    if isinstance(doc.get("signature"), dict):
        return G12
    if isinstance(doc.get("key_id"), str) and isinstance(doc.get("signature"), str):
        return G3
    return None


def report_generation(doc: Any) -> str | None:
    keyset = keyset_of(doc)
    if keyset is None:
        return None
    if isinstance(keyset.get("workload_identity"), dict):
        return G12
    if "not_after" in keyset:
        return G3
    return None


def keyset_of(doc: Any) -> dict[str, Any] | None:
    att = doc.get("attestation") if isinstance(doc, dict) else None
    keyset = att.get("workload_keyset") if isinstance(att, dict) else None
    return keyset if isinstance(keyset, dict) else None


def keys_of(entries: Any) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for e in entries if isinstance(entries, list) else ():
        if isinstance(e, dict) and all(
            isinstance(e.get(k), str) for k in ("key_id", "algo", "public_key")
        ):
            out[e["key_id"]] = (e["algo"], e["public_key"])
    return out


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# How a check's result is shown in text: ✓ passed, ✗ failed, – not done, · for information.
SIGNS = {PASS: "✓", FAIL: "✗", NOT_DONE: "–", INFO: "·"}


def check_lines(checks: Any, *, inputs: bool = False, unknown: str = "?") -> list[str]:
    """Checks (as dicts) as indented lines: sign, name and detail, then each input when
    asked. Server text in them is the caller's to neutralise."""
    lines: list[str] = []
    for c in checks if isinstance(checks, list) else ():
        if not isinstance(c, dict):
            continue
        line = f"  {SIGNS.get(str(c.get('result')), unknown)} {c.get('name')}"
        if c.get("detail"):
            line += f": {c.get('detail')}"
        lines.append(line)
        if inputs and isinstance(c.get("inputs"), dict):
            lines += [f"      {k}: {val}" for k, val in c["inputs"].items()]
    return lines


def fresh_nonce() -> str:
    """32 random bytes as 64 lowercase hex (what G3 requires)."""
    import secrets

    return secrets.token_hex(32)


def checks_dicts(checks: list[Check]) -> list[dict[str, Any]]:
    return [asdict(c) for c in checks]
