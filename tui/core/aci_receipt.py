"""An ACI receipt checked against an established report and the hashes of the exact bytes
we sent and received: its generation, its signature under an attested receipt key, the
keyset it names, both body hashes, and ``upstream.verified``, which makes the reply's
mark: confidential, routed or unverified (and why). Plain Python."""

from __future__ import annotations

from typing import Any

from .aci import (
    CONFIDENTIAL,
    FAIL,
    G3,
    G12,
    INFO,
    NOT_DONE,
    PASS,
    ROUTED,
    UNVERIFIED,
    Check,
    jcs,
    receipt_generation,
    shown,
    verify_with,
)
from .aci_report import Report

# -- the receipt ---------------------------------------------------------------------------


def _event(doc: dict[str, Any], kind: str) -> dict[str, Any] | None:
    log = doc.get("event_log")
    for e in log if isinstance(log, list) else ():
        if isinstance(e, dict) and e.get("type") == kind:
            return e
    return None


def check_receipt(
    doc: Any, rep: Report, request_sha256: str, response_sha256: str
) -> tuple[str, str, list[Check]]:
    """(mark, why, checks) of a receipt against an established report and our hashes."""
    checks: list[Check] = []
    gen = receipt_generation(doc)
    if not isinstance(doc, dict) or doc.get("api_version") != "aci/1" or gen is None:
        checks.append(Check("receipt", FAIL, "not an aci/1 receipt of a known generation"))
        return UNVERIFIED, "the receipt is of no known shape", checks
    checks.append(Check("receipt generation", INFO, gen))
    same = doc.get("workload_keyset_digest") == rep.digest
    checks.append(
        Check(
            "receipt names the attested keyset",
            PASS if same else FAIL,
            "" if same else "signed under another keyset than the attested one",
            {"receipt": shown(doc.get("workload_keyset_digest")), "report": str(rep.digest)},
        )
    )
    checks.append(_receipt_signature(doc, gen, rep))
    if gen == G12 and rep.workload_id is not None:
        ok = doc.get("workload_id") == rep.workload_id
        checks.append(
            Check(
                "workload id", PASS if ok else FAIL, "", {"receipt": shown(doc.get("workload_id"))}
            )
        )
    received = _event(doc, "request.received") or {}
    returned = _event(doc, "response.returned") or {}
    resp_key = "body_hash" if gen == G3 else "wire_hash"
    for name, got, ours in (
        ("request hash", received.get("body_hash"), request_sha256),
        ("response hash", returned.get(resp_key), response_sha256),
    ):
        want = "sha256:" + ours.lower()
        checks.append(
            Check(
                name,
                PASS if got == want else FAIL,
                "equals the sha256 of the exact bytes "
                + ("we sent" if name.startswith("request") else "we received")
                if got == want
                else "is not the sha256 of the bytes of our exchange",
                {"receipt": shown(got), "ours": want},
            )
        )
    upstream = _event(doc, "upstream.verified")
    up = _upstream_check(upstream, rep)
    checks.append(up)
    bad = next((c for c in checks if c is not up and c.result in (FAIL, NOT_DONE)), None)
    if bad is not None:
        return UNVERIFIED, f"{bad.name}: {bad.detail or bad.result}", checks
    if up.result == PASS:
        return CONFIDENTIAL, up.detail, checks
    if upstream is None:
        return UNVERIFIED, up.detail, checks
    return ROUTED, up.detail, checks


def _receipt_signature(doc: dict[str, Any], gen: str, rep: Report) -> Check:
    if gen == G3:
        key_id, sig = doc["key_id"], doc["signature"]
        signed = {k: v for k, v in doc.items() if k != "signature"}
    else:
        obj = doc["signature"]
        key_id, sig = obj.get("key_id"), obj.get("value")
        signed = {**doc, "signature": {k: v for k, v in obj.items() if k != "value"}}
    entry = rep.receipt_keys.get(key_id) if isinstance(key_id, str) else None
    inputs = {"key_id": shown(key_id)}
    if entry is None:
        return Check(
            "receipt signature", FAIL, "signed by a key not in the attested keyset", inputs
        )
    algo, public = entry
    inputs["algo"], inputs["public_key"] = shown(algo), shown(public)
    if gen == G3 and algo != "ed25519":
        return Check(
            "receipt signature", FAIL, f"G3 receipts are Ed25519, not {shown(algo, 40)}", inputs
        )
    if gen == G12 and doc["signature"].get("algo") != algo:
        return Check("receipt signature", FAIL, "its algorithm is not the key's", inputs)
    try:
        data = jcs(signed)
    except ValueError as exc:
        return Check("receipt signature", FAIL, str(exc), inputs)
    good = verify_with(algo, public, sig, data)
    if good is None:
        return Check(
            "receipt signature", NOT_DONE, f"{shown(algo, 40)} is not checked by this app", inputs
        )
    return Check(
        "receipt signature",
        PASS if good else FAIL,
        "valid under the attested receipt key" if good else "does not verify",
        inputs,
    )


def _upstream_check(event: dict[str, Any] | None, rep: Report) -> Check:
    if event is None:
        if rep.serving == "aggregator":
            return Check("upstream", FAIL, "an aggregator's receipt without upstream.verified")
        return Check("upstream", PASS, "served directly by the attested gateway (no upstream)")
    inputs = {k: shown(event.get(k)) for k in ("result", "required", "model_id", "session_id")}
    session = event.get("session_id")
    if event.get("result") == "verified" and event.get("required") is True and session:
        return Check("upstream", PASS, "the upstream enclave was verified", inputs)
    reason = event.get("reason")
    return Check(
        "upstream",
        FAIL,
        "routed: the gateway is attested, the upstream was not verified"
        + (f" ({shown(reason)})" if isinstance(reason, str) and reason else ""),
        inputs,
    )
