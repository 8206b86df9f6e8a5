"""Verifying a reply the ACI way: the gateway's attestation report (fetched with a fresh
nonce, checked, its TDX quote verified locally, then kept for its lifetime) and the
reply's receipt (fetched by ``x-receipt-id`` or the chat id, checked against the report
and the exact bytes of our exchange). The result is a :class:`Trust`: a one-word mark
(confidential, routed, unverified) with every check, its result and its inputs.

A gateway that serves no receipts gives None here: the caller falls back to the legacy
signature (tui/core/verify.py). Plain Python; the network is the client's."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .aci import (
    CONFIDENTIAL,
    FAIL,
    NOT_DONE,
    PASS,
    ROUTED,
    UNVERIFIED,
    Check,
    check_lines,
    fresh_nonce,
    shown,
)
from .aci_receipt import check_receipt
from .aci_report import Report, check_quote_binding, check_report

# an id names a URL path: never only dots (".." climbs), nothing after it (not even "\n")
SAFE_RECEIPT_ID = re.compile(r"^(?!\.+\Z)[A-Za-z0-9_.:-]{1,128}\Z")
# What checks a quote: (raw quote bytes, now) -> (Check of the quote, its REPORTDATA hex)
QuoteChecker = Callable[[bytes, int], Awaitable[tuple[Check, str | None]]]


@dataclass
class Trust:
    """A reply's verification: the mark, why, and every check made."""

    verdict: str  # confidential, routed, unverified
    detail: str
    kind: str = "aci"
    receipt_id: str | None = None
    generation: str | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def receipt_id_of(headers: list[tuple[str, str]] | None) -> str | None:
    """The ``x-receipt-id`` response header, when it is a plain id (it names a URL path)."""
    for name, value in headers or ():
        if name.lower() == "x-receipt-id" and SAFE_RECEIPT_ID.match(value.strip()):
            return value.strip()
    return None


def dcap_quote_check(cache_dir: Path | None, pccs_url: str | None) -> QuoteChecker:
    """The real quote checker: collateral from the PCCS (cached on disk), dcap-qvl."""
    from . import tdx

    cache = tdx.CollateralCache(cache_dir) if cache_dir is not None else None

    async def check(raw: bytes, now: int) -> tuple[Check, str | None]:
        collateral, note = await tdx.fetch_collateral(raw, pccs_url or tdx.DEFAULT_PCCS, cache, now)
        qc = tdx.verify_quote(raw, collateral, now)
        inputs = {"collateral": note, "fmspc": str(qc.fmspc)}
        if qc.status:
            inputs["tcb status"] = qc.status
        if qc.advisory_ids:
            inputs["advisories"] = ", ".join(qc.advisory_ids)
        result = NOT_DONE if not qc.done else (PASS if qc.ok else FAIL)
        return Check("TDX quote", result, qc.detail, inputs), qc.report_data

    return check


class Attestor:
    """The gateway's report, fetched and checked once, kept until it expires (or until a
    receipt names another keyset)."""

    def __init__(
        self,
        client: Any,
        quote_checker: QuoteChecker,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.quote_checker = quote_checker
        self.clock = clock
        self.cached: Report | None = None

    def _usable(self, digest: str | None) -> bool:
        rep = self.cached
        if rep is None or rep.not_after is None or self.clock() >= rep.not_after:
            return False
        return digest is None or digest == rep.digest

    async def report(self, digest: str | None = None) -> Report:
        """The verified report (cached), or a fresh one with its failures."""
        if self._usable(digest):
            assert self.cached is not None
            return self.cached
        nonce = fresh_nonce()
        now = int(self.clock())
        doc, _ = await self.client.get_json("aci/attestation", {"nonce": nonce})
        rep = check_report(doc, nonce, now)
        if rep.ok:
            await self._check_quote(rep, now)
        self.cached = rep if rep.ok and _quote_passed(rep) else None
        return rep

    async def _check_quote(self, rep: Report, now: int) -> None:
        from .tdx import quote_bytes

        if not rep.quote:
            rep.checks.append(Check("TDX quote", NOT_DONE, "the report carries no quote"))
            return
        try:
            raw = quote_bytes(rep.quote)
        except ValueError as exc:
            rep.checks.append(Check("TDX quote", FAIL, str(exc)))
            return
        check, report_data = await self.quote_checker(raw, now)
        rep.checks.append(check)
        if report_data is not None:
            rep.checks.append(check_quote_binding(rep, report_data))


def _quote_passed(rep: Report) -> bool:
    return any(c.name == "TDX quote" and c.result == PASS for c in rep.checks) and any(
        c.name == "quote binds the report" and c.result == PASS for c in rep.checks
    )


def report_summary(rep: Report) -> dict[str, Any]:
    return {
        "generation": rep.generation,
        "nonce": rep.nonce,
        "keyset_digest": rep.digest,
        "not_after": rep.not_after,
        "serving": rep.serving,
        "e2ee_versions": rep.e2ee_versions,
        "provenance": {
            shown(k, 40): v if v is None else shown(v)
            for k, v in list(rep.provenance.items())[:16]
            if isinstance(v, (str, type(None)))
        },
    }


async def verify_aci(
    client: Any,
    attestor: Attestor,
    *,
    receipt_id: str | None,
    completion_id: str | None,
    request_sha256: str | None,
    response_sha256: str | None,
    complete: bool,
) -> Trust | None:
    """The reply's mark. None when the gateway serves no receipts (no ``x-receipt-id``
    and ``/aci/receipts`` unknown): the legacy signature is the way then."""
    from ..api.errors import APIError

    receipt_id = receipt_id if isinstance(receipt_id, str) else None
    rid = receipt_id or (completion_id if isinstance(completion_id, str) else None)
    if not (request_sha256 and isinstance(request_sha256, str)) or not (
        response_sha256 and isinstance(response_sha256, str)
    ):  # (a saved file's: any type)
        return Trust(UNVERIFIED, "the hashes of this reply's exchange were not kept")
    if not complete:
        return Trust(UNVERIFIED, "the reply did not arrive complete: its hash cannot match")
    if not rid or not SAFE_RECEIPT_ID.match(rid):
        return None if receipt_id is None else Trust(UNVERIFIED, "no usable receipt id")
    try:
        doc, _ = await client.get_json(f"aci/receipts/{rid}")
    except APIError as exc:
        if receipt_id is None:
            return None  # no receipt header, no receipt by chat id: the legacy signature
        why = (
            "expired or unknown: the gateway no longer has this receipt (404)"
            if exc.status == 404
            else f"the receipt could not be fetched: {exc}"
        )
        return Trust(UNVERIFIED, why, receipt_id=rid)
    except Exception as exc:  # a connection cut mid-body
        return Trust(UNVERIFIED, f"the receipt could not be fetched: {exc}", receipt_id=rid)
    stated = doc.get("workload_keyset_digest") if isinstance(doc, dict) else None
    try:
        rep = await attestor.report(stated if isinstance(stated, str) else None)
    except APIError as exc:
        return Trust(
            UNVERIFIED, f"the attestation report could not be fetched: {exc}", receipt_id=rid
        )
    except Exception as exc:
        return Trust(UNVERIFIED, f"the attestation report could not be read: {exc}", receipt_id=rid)
    checks = [Check("report: " + c.name, c.result, c.detail, c.inputs) for c in rep.checks]
    mark, why, receipt_checks = check_receipt(doc, rep, request_sha256, response_sha256)
    bad = next((c for c in checks if c.result == FAIL), None)
    quote_ok = _quote_passed(rep)
    if bad is not None:
        mark, why = UNVERIFIED, f"{bad.name}: {bad.detail}"
    elif mark in (CONFIDENTIAL, ROUTED) and not quote_ok:
        quote = next((c for c in rep.checks if c.name == "TDX quote"), None)
        mark = UNVERIFIED
        why = "the TDX quote was " + (
            f"not checked ({quote.detail})" if quote is not None else "not checked"
        )
    return Trust(
        mark,
        why,
        receipt_id=rid,
        generation=next((c.detail for c in receipt_checks if c.name == "receipt generation"), None),
        checks=[asdict(c) for c in receipt_checks + checks],
        report=report_summary(rep),
    )


def default_quote_checker() -> QuoteChecker:
    """dcap-qvl, collateral cached under the data folder (``REDPILL_TUI_PCCS`` names
    another PCCS than Phala's)."""
    import os

    from ..config import data_dir

    return dcap_quote_check(data_dir() / "collateral", os.environ.get("REDPILL_TUI_PCCS"))


def default_attestor(client: Any) -> Attestor:
    return Attestor(client, default_quote_checker())


async def verify_turn(
    client: Any, attestor: Attestor, turn: Any, model: str, complete: bool
) -> Any:
    """A finished reply's verification: its receipt when the gateway serves them, else
    the legacy signature (a :class:`~tui.core.verify.Verification`)."""
    from .verify import verify_reply

    def text(value: Any) -> str | None:  # a saved turn's fields: any type
        return value if isinstance(value, str) else None

    hashes = {"request_sha256": text(turn.request_sha256)}
    hashes["response_sha256"] = text(turn.response_sha256)
    completion_id = text(turn.completion_id)
    trust = await verify_aci(
        client,
        attestor,
        receipt_id=text(turn.receipt_id),
        completion_id=completion_id,
        complete=complete,
        **hashes,
    )
    if trust is not None:
        return trust
    return await verify_reply(
        client, completion_id=completion_id, model=model, complete=complete, **hashes
    )


def trust_lines(v: dict[str, Any], *, inputs: bool = False) -> list[str]:
    """A verification (saved dict) as plain lines: the mark and why, then each check
    (with its inputs when asked). Server text in them is the caller's to neutralise."""
    v = v if isinstance(v, dict) else {}  # (a saved file's: any type)
    verdict, detail = str(v.get("verdict") or "?"), str(v.get("detail") or "")
    if v.get("kind") != "aci":
        return [f"signature: {verdict}" + (f": {detail}" if detail else "")]
    head = f"receipt: {verdict}" + (f": {detail}" if detail else "")
    return [head, *check_lines(v.get("checks"), inputs=inputs)]


def trusted(v: dict[str, Any] | None) -> bool:
    """The mark ask's exit status accepts: confidential (receipt) or verified (legacy)."""
    return isinstance(v, dict) and v.get("verdict") in (CONFIDENTIAL, "verified")
