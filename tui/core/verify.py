"""RedPill verification: a reply's signature made inside the enclave, and attestation.

``GET {base}/signature/{completion id}?model=...&signing_algo=ecdsa`` returns ``text``
(``sha256(request body):sha256(response body)``, possibly prefixed with the model name),
``signature``, ``signing_address`` and ``signing_algo``. We check both hashes against the
exact bytes we sent and received (kept by the client), and that the signature is a valid
EIP-191 (personal_sign) secp256k1 signature of ``text`` that recovers ``signing_address``.
Elliptic-curve work is done by coincurve (libsecp256k1) and keccak by pycryptodome.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from .aci import fresh_nonce

VERIFIED = "verified"
REQUEST_MISMATCH = "request hash mismatch"
RESPONSE_MISMATCH = "response hash mismatch"
SIGNATURE_INVALID = "signature invalid"
NOT_AVAILABLE = "not available"


def keccak256(data: bytes) -> bytes:
    from Crypto.Hash import keccak

    h = keccak.new(digest_bits=256)
    h.update(data)
    return h.digest()


def eip191_hash(message: bytes) -> bytes:
    return keccak256(b"\x19Ethereum Signed Message:\n" + str(len(message)).encode() + message)


def address_of(public_key_uncompressed: bytes) -> str:
    return "0x" + keccak256(public_key_uncompressed[1:])[-20:].hex()


def recover_address(message: bytes, signature_hex: str) -> str:
    """The address whose key made this personal_sign signature (raises ValueError)."""
    from coincurve import PublicKey

    sig = bytes.fromhex(signature_hex.removeprefix("0x"))
    if len(sig) != 65:
        raise ValueError(f"a signature has 65 bytes, this one {len(sig)}")
    v = sig[64]
    recid = v - 27 if v >= 27 else v
    if recid not in (0, 1):
        raise ValueError(f"bad recovery id {v}")
    try:
        pub = PublicKey.from_signature_and_message(
            sig[:64] + bytes([recid]), eip191_hash(message), hasher=None
        )
    except Exception as exc:  # coincurve raises plain Exception for unrecoverable signatures
        raise ValueError(f"cannot recover a key from the signature: {exc}") from None
    return address_of(pub.format(compressed=False))


def sign_personal(message: bytes, private_key: bytes) -> str:
    """Sign like an enclave does (used by the test server and for self-checks)."""
    from coincurve import PrivateKey

    sig = PrivateKey(private_key).sign_recoverable(eip191_hash(message), hasher=None)
    return "0x" + sig[:64].hex() + bytes([sig[64] + 27]).hex()


def address_of_key(private_key: bytes) -> str:
    from coincurve import PrivateKey

    return address_of(PrivateKey(private_key).public_key.format(compressed=False))


@dataclass
class Verification:
    verdict: str
    detail: str = ""
    signing_address: str | None = None
    signing_algo: str | None = None
    text: str | None = None
    request_sha256: str | None = None
    response_sha256: str | None = None
    checks: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def split_text(text: str) -> tuple[str | None, str, str]:
    """``[model:]request_hash:response_hash`` -> (model, request hash, response hash).

    The model id itself may contain ':' so the hashes are taken from the right."""
    parts = text.strip().split(":")
    if len(parts) < 2:
        raise ValueError("signed text is not request_hash:response_hash")
    req, resp = parts[-2].lower(), parts[-1].lower()
    model = ":".join(parts[:-2]) or None
    for h in (req, resp):
        if len(h) != 64 or any(c not in "0123456789abcdef" for c in h):
            raise ValueError(f"{h[:16]}… is not a sha256 hex digest")
    return model, req, resp


def check_signature(doc: Any, request_sha256: str, response_sha256: str) -> Verification:
    """Judge a signature document against the hashes of the exact bytes of our exchange."""
    if not isinstance(doc, dict):
        return Verification(
            NOT_AVAILABLE, "the signature endpoint returned something that is not an object"
        )
    text = doc.get("text")
    signature = doc.get("signature")
    address = doc.get("signing_address")
    algo = doc.get("signing_algo") or "ecdsa"
    v = Verification(
        SIGNATURE_INVALID,
        signing_address=address if isinstance(address, str) else None,
        signing_algo=algo if isinstance(algo, str) else None,
        text=text if isinstance(text, str) else None,
        request_sha256=request_sha256,
        response_sha256=response_sha256,
    )
    if not isinstance(text, str) or not isinstance(signature, str) or not isinstance(address, str):
        v.verdict = NOT_AVAILABLE
        v.detail = "the signature document lacks text, signature or signing_address"
        return v
    try:
        _model, req, resp = split_text(text)
    except ValueError as exc:
        v.detail = str(exc)
        return v
    if req != request_sha256.lower():
        v.verdict = REQUEST_MISMATCH
        v.detail = f"the signed request hash {req[:16]}… is not ours {request_sha256[:16]}…"
        if resp != response_sha256.lower():
            v.detail += "; the response hash differs too"
        return v
    v.checks.append("request hash matches the bytes we sent")
    if resp != response_sha256.lower():
        v.verdict = RESPONSE_MISMATCH
        v.detail = f"the signed response hash {resp[:16]}… is not ours {response_sha256[:16]}…"
        return v
    v.checks.append("response hash matches the bytes we received")
    if str(algo).lower() not in ("ecdsa", "secp256k1"):
        # We cannot tell a good signature from a bad one here: not available, not invalid.
        v.verdict = NOT_AVAILABLE
        v.detail = f"signing algorithm {algo!r} is not checked by this app (only ecdsa/secp256k1)"
        return v
    try:
        recovered = recover_address(text.encode(), signature)
    except ValueError as exc:
        v.detail = str(exc)
        return v
    if recovered.lower() != address.lower():
        v.detail = f"the signature recovers {recovered}, not the signing address {address}"
        return v
    v.checks.append("EIP-191 secp256k1 signature recovers the signing address")
    v.verdict = VERIFIED
    v.detail = f"signed by {address}"
    return v


async def verify_reply(
    client: Any,
    *,
    completion_id: str | None,
    model: str,
    request_sha256: str | None,
    response_sha256: str | None,
    complete: bool = True,
) -> Verification:
    """Fetch the signature of a finished reply and check it against our hashes."""
    import httpx

    from ..api.errors import APIError

    if not request_sha256 or not response_sha256:
        return Verification(NOT_AVAILABLE, "the hashes of this reply's exchange were not kept")
    if not complete:
        return Verification(
            NOT_AVAILABLE, "the reply did not arrive complete, so its hash cannot match"
        )
    if not completion_id:
        return Verification(NOT_AVAILABLE, "the reply has no completion id")
    try:
        doc, _ = await client.get_json(
            f"signature/{completion_id}", {"model": model, "signing_algo": "ecdsa"}
        )
    except APIError as exc:
        return Verification(NOT_AVAILABLE, _unavailable(exc))
    except httpx.HTTPError as exc:  # a body cut off while being read
        return Verification(NOT_AVAILABLE, f"the signature could not be fetched: {exc}")
    return check_signature(doc, request_sha256, response_sha256)


def _unavailable(exc: Any) -> str:
    if exc.status != 404:
        return f"the signature could not be fetched: {exc}"
    text = f"{exc.type or ''} {exc.message or ''}".lower()
    if "expired" in text or exc.type == "not_found":
        # RedPill: {"error": {"message": "Chat id not found or expired", "type": "not_found"}}
        return (
            "expired: the endpoint no longer has a signature for this reply "
            f"(404: {exc.message}; RedPill keeps them for a few minutes)"
        )
    return (
        f"this endpoint does not serve signatures (404: {exc.message}): "
        "probably not a RedPill endpoint"
    )


# -- attestation -------------------------------------------------------------------------


@dataclass
class Party:
    """One attested component: the gateway, or a model's enclave."""

    role: str
    model_name: str | None = None
    signing_address: str | None = None
    signing_algo: str | None = None
    request_nonce: str | None = None
    report_data: str | None = None
    intel_quote: str | None = None
    nvidia_payload: Any = None
    event_log: list[Any] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class AttestationSummary:
    shape: str
    parties: list[Party]
    nonce: str
    checks: list[tuple[str, bool | None, str]] = field(default_factory=list)
    quotes_checked: bool = False  # a TDX quote was verified (or failed) here

    def addresses(self) -> set[str]:
        return {p.signing_address.lower() for p in self.parties if p.signing_address}

    @property
    def not_checked(self) -> list[str]:
        if self.quotes_checked:  # the quote was verified and its REPORTDATA read
            return [NOT_CHECKED[1], NOT_CHECKED[2]]
        return list(NOT_CHECKED)

    def describe(self) -> list[str]:
        """Plain lines: what this app checked (✓ passed, ✗ failed, ? could not tell) and
        what it did not check."""
        lines = ["Checks this app performed:"]
        for label, ok, note in self.checks:
            mark = "✓" if ok else ("✗" if ok is False else "?")
            lines.append(f"{mark} {label}{f' ({note})' if note else ''}")
        lines.append("Not checked here:")
        lines += [f"– {line}" for line in self.not_checked]
        return lines


NOT_CHECKED = [
    "The Intel TDX quote is not verified against Intel's collateral (needs Intel's services, online).",
    "The NVIDIA GPU attestation payload is not verified against NVIDIA's service (online).",
    "The event log is not replayed against the quote's measurements.",
    "The quote is not parsed: that its report data binds the signing address and our nonce "
    "is not checked (the nonce check above reads the report's JSON fields only).",
]


def _party(obj: dict[str, Any], role: str) -> Party:
    payload = obj.get("nvidia_payload")
    if isinstance(payload, str):
        with contextlib.suppress(ValueError):
            payload = json.loads(payload)
    info = obj.get("info")
    return Party(
        role=role,
        model_name=obj.get("model_name") if isinstance(obj.get("model_name"), str) else None,
        signing_address=obj.get("signing_address")
        if isinstance(obj.get("signing_address"), str)
        else None,
        signing_algo=obj.get("signing_algo") if isinstance(obj.get("signing_algo"), str) else None,
        request_nonce=obj.get("request_nonce")
        if isinstance(obj.get("request_nonce"), str)
        else None,
        report_data=obj.get("report_data") if isinstance(obj.get("report_data"), str) else None,
        intel_quote=obj.get("intel_quote") if isinstance(obj.get("intel_quote"), str) else None,
        nvidia_payload=payload,
        event_log=obj.get("event_log") if isinstance(obj.get("event_log"), list) else [],
        info=info if isinstance(info, dict) else {},
    )


_FLAT_KEYS = ("signing_address", "intel_quote", "nvidia_payload", "all_attestations")


def parse_attestation(doc: Any, nonce: str, reply_address: str | None = None) -> AttestationSummary:
    """Read every known shape of ``/attestation/report`` into one summary with checks."""
    if not isinstance(doc, dict):
        raise ValueError("the attestation report is not a JSON object")
    known = ("gateway_attestation", "model_attestations", *_FLAT_KEYS)
    if not any(k in doc for k in known):
        err = doc.get("error")
        if isinstance(err, dict):
            what = " ".join(str(err.get(k)) for k in ("type", "message") if err.get(k))
            raise ValueError(f"the attestation endpoint returned an error: {what or err}")
        if err:
            raise ValueError(f"the attestation endpoint returned an error: {err}")
        raise ValueError("the attestation report has no attestation in a known shape")
    parties: list[Party] = []
    if isinstance(doc.get("gateway_attestation"), dict) or isinstance(
        doc.get("model_attestations"), list
    ):
        shape = "two-layer (gateway + models)"
        if isinstance(doc.get("gateway_attestation"), dict):
            parties.append(_party(doc["gateway_attestation"], "gateway"))
        for item in doc.get("model_attestations") or []:
            if isinstance(item, dict):
                parties.append(_party(item, "model"))
    elif doc.get("attestation_type") == "tinfoil":
        shape = "tinfoil"
        parties.append(_party(doc, "enclave"))
    else:
        shape = "flat" if "request_nonce" not in doc else "vllm-proxy"
        parties.append(_party(doc, "enclave"))
        seen = {parties[0].signing_address}
        for item in doc.get("all_attestations") or []:
            if isinstance(item, dict) and item.get("signing_address") not in seen:
                parties.append(_party(item, "enclave"))
                seen.add(item.get("signing_address"))
    if not parties:
        raise ValueError("the attestation report has no attestation in a known shape")
    summary = AttestationSummary(shape=shape, parties=parties, nonce=nonce)
    echoed = [p for p in parties if p.request_nonce]
    if echoed:
        ok = all(p.request_nonce.lower() == nonce.lower() for p in echoed)
        summary.checks.append(
            (
                "the nonce we sent is echoed back",
                ok,
                "" if ok else "a party echoed a different nonce",
            )
        )
    else:
        in_report = any(p.report_data and nonce.lower() in p.report_data.lower() for p in parties)
        summary.checks.append(
            (
                "the nonce we sent is echoed back",
                True if in_report else None,
                "found in report_data" if in_report else "the report does not echo request_nonce",
            )
        )
    if reply_address:
        found = reply_address.lower() in summary.addresses()
        summary.checks.append(
            (
                f"the verified reply's signing address {reply_address} appears in the report",
                found,
                "",
            )
        )
    else:
        summary.checks.append(
            (
                "the reply's signing address appears in the report",
                None,
                "not checked: no verified reply to compare",
            )
        )
    has_quote = any(p.intel_quote for p in parties)
    summary.checks.append(("an Intel TDX quote is present", has_quote, ""))
    return summary


async def fetch_attestation(
    client: Any, model: str, reply_address: str | None = None, quote_checker: Any = None
) -> AttestationSummary:
    """The legacy report with a fresh nonce, its checks, and its TDX quotes verified
    (``quote_checker``: tui/core/receipts.py's; by default dcap-qvl)."""
    from .legacy_quote import check_quotes

    nonce = fresh_nonce()
    doc, _ = await client.get_json("attestation/report", {"model": model, "nonce": nonce})
    summary = parse_attestation(doc, nonce, reply_address)
    if quote_checker is None:
        from .receipts import default_quote_checker

        quote_checker = default_quote_checker()
    await check_quotes(summary, quote_checker)
    return summary
