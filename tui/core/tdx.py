"""Local verification of Intel TDX quotes, with Intel's collateral cached on disk.

A TDX quote is only worth something once it is checked against Intel's root of trust: the
PCK certificate chain, the CRLs, the signed TCB info and QE identity ("collateral"). We do
not write that code; dcap-qvl (Phala's Rust library, MIT) does it. This module adds what a
client needs around it: a result that never claims success without a real check, bounded
and crash-proof handling of hostile quotes, and a disk cache so collateral (valid about a
month) is not fetched for every reply. Plain Python: no textual/rich, dcap_qvl imported
lazily so importing this module stays cheap.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEFAULT_PCCS = "https://pccs.phala.network"
MAX_QUOTE_BYTES = 64 * 1024  # real quotes are ~5-10 KB; anything bigger is refused unparsed
MAX_COLLATERAL_BYTES = 1024 * 1024  # a cached file bigger than this is not read
FETCH_TIMEOUT = 20.0
TDX_TEE_TYPE = 0x81
_FMSPC = re.compile(r"[0-9A-Fa-f]{12}")
_CAS = ("platform", "processor")


@dataclass
class QuoteCheck:
    """What checking one quote found. ``done`` is False when no check could be made (for
    example no collateral); ``ok`` is True only after dcap-qvl verified the quote."""

    done: bool
    ok: bool
    status: str | None = None
    advisory_ids: list[str] = field(default_factory=list)
    report_data: str | None = None
    fmspc: str | None = None
    rtmr3: str | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _neutral(exc: BaseException, limit: int = 300) -> str:
    """An exception's text as plain words, bounded: it may come from a hostile quote."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_binding_error(exc: BaseException) -> bool:
    """pyo3 turns a Rust panic into PanicException, a BaseException: treat it as a failed
    check, but let KeyboardInterrupt, SystemExit and cancellation through."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def quote_bytes(value: str) -> bytes:
    """A quote as servers send it: hex (optionally 0x-prefixed) or base64."""
    if not isinstance(value, str):
        raise ValueError("quote is not a string")
    text = "".join(value.split())
    if not text:
        raise ValueError("quote is empty")
    if len(text) > 4 * MAX_QUOTE_BYTES:
        raise ValueError("quote is too long")
    prefixed = text[:2] in ("0x", "0X")
    hex_text = text[2:] if prefixed else text
    if re.fullmatch(r"(?:[0-9A-Fa-f]{2})+", hex_text):
        return bytes.fromhex(hex_text)
    if prefixed:
        raise ValueError("quote has a 0x prefix but is not hex")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("quote is neither hex nor base64") from None


def verify_quote(raw: bytes, collateral_json: str | None, now: int) -> QuoteCheck:
    """Parse the quote (so REPORTDATA is known even when verification fails), then verify
    it with dcap-qvl against ``collateral_json`` at time ``now`` (Unix seconds)."""
    if len(raw) > MAX_QUOTE_BYTES:
        return QuoteCheck(True, False, detail=f"quote refused: {len(raw)} bytes, over 64 KiB")
    import dcap_qvl

    raw = bytes(raw)
    try:
        quote = dcap_qvl.parse_quote(raw)
        tee_type = quote.header.tee_type
        report = quote.report
        report_data = bytes(report.report_data).hex()
    except BaseException as exc:
        if not _is_binding_error(exc):
            raise
        return QuoteCheck(True, False, detail=f"quote does not parse: {_neutral(exc)}")
    check = QuoteCheck(False, False, report_data=report_data)
    rtmr3 = getattr(report, "rt_mr3", None)
    check.rtmr3 = bytes(rtmr3).hex() if rtmr3 is not None else None
    with contextlib.suppress(Exception):  # fmspc needs the embedded PCK certificate
        check.fmspc = quote.fmspc()
    if tee_type != TDX_TEE_TYPE:
        check.done, check.detail = True, f"not a TDX quote (TEE type {tee_type:#x})"
        return check
    if collateral_json is None:
        check.detail = "not done: no collateral"
        return check
    check.done = True
    try:
        collateral = dcap_qvl.QuoteCollateralV3.from_json(collateral_json)
        verified = dcap_qvl.verify(raw, collateral, int(now))
        check.status = str(verified.status)
        check.advisory_ids = [str(a) for a in verified.advisory_ids]
    except BaseException as exc:
        if not _is_binding_error(exc):
            raise
        check.detail = f"verification failed: {_neutral(exc)}"
        return check
    # dcap-qvl's verify() fails only Revoked; OutOfDate & co. pass with their status,
    # which callers show (status and advisories are part of the result, not hidden).
    check.ok = True
    advisories = ", ".join(check.advisory_ids) or "none"
    check.detail = (
        f"verified against Intel's root: TCB status {check.status}, advisories {advisories}"
    )
    return check


def _timestamp(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def collateral_window(collateral_json: str) -> tuple[int, int] | None:
    """The time span in which collateral can verify a quote: from the latest issueDate of
    TCB info and QE identity to the earliest nextUpdate of those and of both CRLs. None
    when it cannot be read (such collateral is never served from the cache)."""
    try:
        doc = json.loads(collateral_json)
        starts, ends = [], []
        for key in ("tcb_info", "qe_identity"):
            inner = json.loads(doc[key])
            starts.append(_timestamp(inner["issueDate"]))
            ends.append(_timestamp(inner["nextUpdate"]))
        from cryptography import x509

        for key in ("pck_crl", "root_ca_crl"):
            crl = x509.load_der_x509_crl(bytes.fromhex(doc[key]))
            if crl.next_update_utc is None:
                return None
            ends.append(int(crl.next_update_utc.timestamp()))
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        return None
    start, end = max(starts), min(ends)
    return (start, end) if start < end else None


class CollateralCache:
    """Collateral on disk, one file per FMSPC and PCK CA, served only inside its window.

    Collateral is per platform family (FMSPC), not per machine, so one fetch serves every
    node of a fleet for about a month. Files are written atomically in a 0700 folder; a
    file that is unreadable, corrupt, for another FMSPC or out of its window is ignored.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _path(self, fmspc: str, ca: str) -> Path:
        if not isinstance(fmspc, str) or not _FMSPC.fullmatch(fmspc):
            raise ValueError("FMSPC must be 12 hex digits")
        if ca not in _CAS:
            raise ValueError(f"CA must be one of {', '.join(_CAS)}")
        return self.folder / f"{fmspc.upper()}-{ca}.json"

    def get(self, fmspc: str, now: int, ca: str = "platform") -> str | None:
        path = self._path(fmspc, ca)
        try:
            if path.stat().st_size > MAX_COLLATERAL_BYTES:
                return None
            text = path.read_text(encoding="utf-8")
            window = collateral_window(text)
            tcb_fmspc = json.loads(json.loads(text)["tcb_info"])["fmspc"]
        except (OSError, UnicodeError, ValueError, TypeError, KeyError):
            return None
        if window is None or str(tcb_fmspc).upper() != fmspc.upper():
            return None
        return text if window[0] <= now < window[1] else None

    def put(self, fmspc: str, collateral_json: str, ca: str = "platform") -> None:
        path = self._path(fmspc, ca)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".collateral-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(collateral_json)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def _date(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


async def fetch_collateral(
    raw: bytes, pccs_url: str, cache: CollateralCache | None, now: int
) -> tuple[str | None, str]:
    """Collateral for ``raw``: from the cache while valid, else from the PCCS. Returns
    (collateral JSON or None, a note saying where it came from or why there is none).
    Never raises for network or quote trouble."""
    if len(raw) > MAX_QUOTE_BYTES:
        return None, "not fetched: quote over 64 KiB"
    import dcap_qvl

    raw = bytes(raw)
    pccs_url = pccs_url.strip() or DEFAULT_PCCS
    try:
        quote = dcap_qvl.parse_quote(raw)
        fmspc, ca = quote.fmspc(), quote.ca()
        # Quotes without an embedded PCK chain get a per-machine chain in their
        # collateral: not shareable across machines, so not cached.
        shareable = quote.cert_chain_pem_bytes() is not None and ca in _CAS
    except BaseException as exc:
        if not _is_binding_error(exc):
            raise
        return None, f"not fetched: quote does not parse: {_neutral(exc)}"
    if cache is not None and shareable:
        hit = cache.get(fmspc, now, ca=ca)
        window = collateral_window(hit) if hit else None
        if hit and window:
            return hit, f"cached until {_date(window[1])}"
    try:
        collateral = await asyncio.wait_for(dcap_qvl.get_collateral(pccs_url, raw), FETCH_TIMEOUT)
        text = collateral.to_json()
    except TimeoutError:
        return None, f"not fetched: {pccs_url} did not answer within {FETCH_TIMEOUT:.0f} s"
    except BaseException as exc:
        if not _is_binding_error(exc):
            raise
        return None, f"not fetched: {_neutral(exc)}"
    if cache is not None and shareable:
        with contextlib.suppress(Exception):
            # The fetched PCK chain is this machine's and verify() would prefer it to the
            # quote's own: drop it so the file serves every machine of this FMSPC. Only
            # collateral that verifies this quote is kept (its signatures were checked).
            doc = json.loads(text)
            doc.pop("pck_certificate_chain", None)
            shared = json.dumps(doc)
            if verify_quote(raw, shared, now).ok:
                cache.put(fmspc, shared, ca=ca)
    return text, f"fetched from {pccs_url}"
