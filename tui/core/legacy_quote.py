"""The Intel TDX quotes of a legacy attestation report (``/attestation/report``), verified
locally like an ACI report's (dcap-qvl, tui/core/receipts.py's checker), and what their
REPORTDATA binds: in the legacy layout the first 32 bytes are the signing address padded
with zeros (v1; v2 hashes in a TLS key we cannot check) and the last 32 our nonce. A
legacy report is still never called verified: its quote binds an address, not a keyset
this app can check receipts against. Plain Python."""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


def nonce_slot(nonce: str) -> bytes:
    """REPORTDATA[32:64] for ``nonce``: its bytes when it is 64 hex, else its sha256."""
    return bytes.fromhex(nonce) if _HEX64.match(nonce) else hashlib.sha256(nonce.encode()).digest()


def address_slot(address: str | None) -> bytes | None:
    """REPORTDATA[0:32] in the v1 layout: the 20-byte address, then zeros."""
    text = (address or "").removeprefix("0x").removeprefix("0X")
    if len(text) != 40:
        return None
    try:
        return bytes.fromhex(text) + bytes(12)
    except ValueError:
        return None


async def check_quotes(summary: Any, checker: Any, now: int | None = None) -> None:
    """Add to ``summary.checks`` each party's quote verification and what it binds."""
    from .tdx import quote_bytes

    now = int(time.time()) if now is None else now
    for party in summary.parties:
        if not party.intel_quote:
            continue
        who = f"{party.role}{f' {party.model_name}' if party.model_name else ''}"
        try:
            raw = quote_bytes(party.intel_quote)
        except ValueError as exc:
            summary.checks.append((f"the {who} TDX quote verifies", False, str(exc)))
            summary.quotes_checked = True
            continue
        check, report_data = await checker(raw, now)
        ok = {"pass": True, "fail": False}.get(check.result)
        status = check.inputs.get("tcb status")
        note = check.detail + (f" (TCB {status})" if status else "")
        summary.checks.append((f"the {who} TDX quote verifies (dcap-qvl)", ok, note))
        summary.quotes_checked = summary.quotes_checked or ok is not None
        if not report_data or len(report_data) != 128:
            continue
        data = bytes.fromhex(report_data)
        echoed = data[32:] == nonce_slot(summary.nonce)
        summary.checks.append((f"the {who} quote's REPORTDATA ends with our nonce", echoed, ""))
        slot = address_slot(party.signing_address)
        if slot is not None:
            bound = data[:32] == slot
            summary.checks.append(
                (
                    f"the {who} quote's REPORTDATA starts with its signing address",
                    True if bound else None,
                    "" if bound else "not the v1 layout (v2 binds a TLS key: not checked)",
                )
            )
