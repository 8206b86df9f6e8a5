"""An ACI attestation report checked: the keyset digest, report_data (our nonce), the
keyset's lifetime, and for G1/G2 the workload id and the keyset endorsement. The TDX quote
itself is tui/core/tdx.py's; :func:`check_quote_binding` ties it to report_data. Pure
functions of the document, the nonce and the time; plain Python."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .aci import (
    FAIL,
    G3,
    INFO,
    PASS,
    Check,
    as_int,
    digest_of,
    jcs,
    keys_of,
    keyset_of,
    report_generation,
    sha256_hex,
    shown,
    statement,
    verify_with,
)


@dataclass
class Report:
    """What a verified (or not) attestation report establishes."""

    generation: str | None = None
    nonce: str | None = None
    digest: str | None = None  # the workload keyset's, recomputed
    workload_id: str | None = None  # G1/G2
    not_after: int | None = None  # the keyset's (or G1's freshness) end
    receipt_keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> algo, key
    e2ee_keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    e2ee_versions: list[str] = field(default_factory=list)
    report_data: str | None = None  # the 32 bytes the quote must carry, hex
    quote: str | None = None  # as served (hex or base64)
    provenance: dict[str, Any] = field(default_factory=dict)
    serving: str | None = None  # direct or aggregator
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every check that was made passed (the quote may still be 'not done')."""
        return bool(self.checks) and not any(c.result == FAIL for c in self.checks)

    def failure(self) -> Check | None:
        return next((c for c in self.checks if c.result == FAIL), None)


# -- the report ----------------------------------------------------------------------------


def check_report(doc: Any, nonce: str | None, now: int) -> Report:
    """Every check of an attestation report we can make without the quote's collateral
    (the quote itself is checked by tui/core/tdx.py; :func:`check_quote_binding` ties it
    to ``report_data``)."""
    rep = Report(nonce=nonce, generation=report_generation(doc))
    add = rep.checks.append
    if not isinstance(doc, dict) or doc.get("api_version") != "aci/1":
        add(Check("api version", FAIL, "not an aci/1 report"))
        return rep
    if rep.generation is None:
        add(Check("generation", FAIL, "a keyset of no known shape (G1, G2 or G3)"))
        return rep
    att, keyset = doc["attestation"], keyset_of(doc) or {}
    add(Check("generation", INFO, rep.generation))
    try:
        rep.digest = digest_of(keyset)
    except ValueError as exc:
        add(Check("keyset digest", FAIL, str(exc)))
        return rep
    restated = doc.get("workload_keyset_digest")
    add(
        Check(
            "keyset digest",
            PASS if restated == rep.digest else FAIL,
            "sha256 of the keyset's canonical JSON equals the digest the report states"
            if restated == rep.digest
            else "the report states another digest than its keyset's",
            {"computed": rep.digest, "stated": shown(restated)},
        )
    )
    rep.receipt_keys = keys_of(keyset.get("receipt_signing_keys"))
    rep.e2ee_keys = keys_of(keyset.get("e2ee_public_keys"))
    caps = doc.get("service_capabilities")
    caps = caps if isinstance(caps, dict) else {}
    versions = caps.get("supported_e2ee_versions")
    rep.e2ee_versions = [shown(v, 16) for v in versions[:16]] if isinstance(versions, list) else []
    rep.serving = shown(caps["serving"], 32) if isinstance(caps.get("serving"), str) else None
    prov = att.get("source_provenance")
    rep.provenance = prov if isinstance(prov, dict) else {}
    evidence = att.get("evidence")
    quote = evidence.get("quote") if isinstance(evidence, dict) else None
    rep.quote = quote if isinstance(quote, str) else None
    if rep.generation == G3:
        _report_g3(rep, att, keyset, now)
    else:
        _report_g12(rep, doc, att, keyset, now)
    return rep


def _report_data_check(rep: Report, want: str, att: dict[str, Any]) -> None:
    rep.report_data = want
    got = att.get("report_data")
    rep.checks.append(
        Check(
            "report_data",
            PASS if got == want else FAIL,
            "commits to our nonce and the keyset"
            if got == want
            else "does not commit to our nonce and this keyset (nonce not echoed?)",
            {"computed": want, "stated": shown(got), "nonce": str(rep.nonce)},
        )
    )


def _report_g3(rep: Report, att: dict[str, Any], keyset: dict[str, Any], now: int) -> None:
    assert rep.digest is not None
    _report_data_check(rep, sha256_hex(statement(rep.digest, rep.nonce)), att)
    rep.not_after = as_int(keyset.get("not_after"))
    _lifetime(rep, now, "the keyset's not_after")


def _lifetime(rep: Report, now: int, what: str) -> None:
    ok = rep.not_after is not None and now < rep.not_after
    rep.checks.append(
        Check(
            "not expired",
            PASS if ok else FAIL,
            f"{what} is after now" if ok else f"{what} has passed (a stale report)",
            {"not_after": str(rep.not_after), "now": str(now)},
        )
    )


def _report_g12(
    rep: Report, doc: dict[str, Any], att: dict[str, Any], keyset: dict[str, Any], now: int
) -> None:
    identity = keyset["workload_identity"]
    key = identity.get("public_key") if isinstance(identity.get("public_key"), dict) else {}
    try:
        rep.workload_id = digest_of(key)
    except ValueError:
        rep.workload_id = None
    stated = doc.get("workload_id")
    rep.checks.append(
        Check(
            "workload id",
            PASS if stated == rep.workload_id else FAIL,
            "sha256 of the identity key equals the stated workload_id"
            if stated == rep.workload_id
            else "the stated workload_id is not the identity key's",
            {"computed": str(rep.workload_id), "stated": shown(stated)},
        )
    )
    st = {
        "nonce": rep.nonce,
        "purpose": "aci.report_data.v1",
        "workload_id": rep.workload_id,
        "workload_keyset_digest": rep.digest,
    }
    _report_data_check(rep, sha256_hex(jcs(st)), att)
    endorsement = att.get("keyset_endorsement")
    endorsement = endorsement if isinstance(endorsement, dict) else {}
    payload = jcs({"purpose": "aci.keyset.endorsement.v1", "workload_keyset_digest": rep.digest})
    algo = shown(endorsement.get("algo"))
    good = algo == key.get("algo") and verify_with(
        algo, key.get("public_key"), endorsement.get("value"), payload
    )
    rep.checks.append(
        Check(
            "keyset endorsement",
            PASS if good else FAIL,
            "the identity key signed this keyset" if good else "not signed by the identity key",
            {"algo": algo},
        )
    )
    epoch = keyset.get("keyset_epoch")
    rep.not_after = as_int(epoch.get("not_after")) if isinstance(epoch, dict) else None
    fresh = att.get("freshness")
    stale = as_int(fresh.get("stale_after")) if isinstance(fresh, dict) else None
    if stale is not None:
        rep.not_after = min(stale, rep.not_after or stale)
    _lifetime(rep, now, "the report's stale_after / keyset epoch")


def check_quote_binding(rep: Report, quote_report_data: str | None) -> Check:
    """The quote's 64-byte REPORTDATA must be report_data followed by 32 zero bytes."""
    want = (rep.report_data or "") + "00" * 32
    got = (quote_report_data or "").lower()
    ok = bool(rep.report_data) and got == want
    return Check(
        "quote binds the report",
        PASS if ok else FAIL,
        "the TDX quote's REPORTDATA is report_data + 32 zero bytes"
        if ok
        else "the TDX quote's REPORTDATA is not this report's report_data",
        {"quote": got, "expected": want},
    )
