"""A legacy report's TDX quotes: verified by the quote checker (here a stand-in for
dcap-qvl returning a chosen REPORTDATA; and dcap-qvl itself on the fixtures' made-up
quotes, which fail), and what their REPORTDATA binds: our nonce in the last 32 bytes,
the signing address (v1 layout) in the first. The 'not checked' list drops what was
checked."""

from __future__ import annotations

import hashlib

from tests.core.test_verify import ADDRESS, FIXTURE_NONCE, load
from tui.core.aci import FAIL, PASS, Check
from tui.core.legacy_quote import address_slot, check_quotes, nonce_slot
from tui.core.receipts import default_quote_checker
from tui.core.verify import NOT_CHECKED, parse_attestation


def checker(report_data: bytes | None, result: str = PASS):
    async def check(raw: bytes, now: int):
        detail = "verified (stand-in)" if result == PASS else "bad quote"
        return Check("TDX quote", result, detail, {"tcb status": "UpToDate"}), (
            report_data.hex() if report_data is not None else None
        )

    return check


def lines(summary) -> dict[str, bool | None]:
    """Each check's result, the first party's when several parties have one."""
    out: dict[str, bool | None] = {}
    for label, ok, _ in summary.checks:
        out.setdefault(label, ok)
    return out


async def test_a_verified_quote_binding_address_and_nonce():
    summary = parse_attestation(load("legacy-flat.json"), FIXTURE_NONCE, ADDRESS)
    data = address_slot(summary.parties[0].signing_address) + nonce_slot(FIXTURE_NONCE)
    await check_quotes(summary, checker(data))
    got = lines(summary)
    assert got["the enclave TDX quote verifies (dcap-qvl)"] is True
    assert got["the enclave quote's REPORTDATA ends with our nonce"] is True
    assert got["the enclave quote's REPORTDATA starts with its signing address"] is True
    assert summary.not_checked == [NOT_CHECKED[1], NOT_CHECKED[2]]
    assert "TCB UpToDate" in "\n".join(summary.describe())


async def test_another_nonce_or_layout_and_a_failed_quote():
    summary = parse_attestation(load("legacy-flat.json"), FIXTURE_NONCE, ADDRESS)
    other = hashlib.sha256(b"tls").digest() + nonce_slot("ab" * 32)
    await check_quotes(summary, checker(other))
    got = lines(summary)
    assert got["the enclave quote's REPORTDATA ends with our nonce"] is False
    assert got["the enclave quote's REPORTDATA starts with its signing address"] is None
    failed = parse_attestation(load("legacy-flat.json"), FIXTURE_NONCE, ADDRESS)
    await check_quotes(failed, checker(None, FAIL))
    assert lines(failed)["the enclave TDX quote verifies (dcap-qvl)"] is False
    assert nonce_slot("not hex") == hashlib.sha256(b"not hex").digest()
    assert address_slot("0x123") is None


async def test_dcap_on_the_fixtures_made_up_quotes_fails_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("REDPILL_TUI_DATA", str(tmp_path))
    summary = parse_attestation(load("two-layer.json"), FIXTURE_NONCE, ADDRESS)
    await check_quotes(summary, default_quote_checker())
    quote_lines = [c for c in summary.checks if "TDX quote verifies" in c[0]]
    assert quote_lines and all(ok is False for _, ok, _ in quote_lines), quote_lines
