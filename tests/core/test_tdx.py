"""TDX quote verification with dcap-qvl, offline, on real quotes and collateral from the
dcap-qvl repository (tests/data/dcap, see tests/data/README.md)."""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from types import SimpleNamespace

import dcap_qvl
import pytest

from tui.core.tdx import (
    DEFAULT_PCCS,
    CollateralCache,
    QuoteCheck,
    collateral_window,
    fetch_collateral,
    quote_bytes,
    verify_quote,
)

DCAP = Path(__file__).parent.parent / "data" / "dcap"
QUOTE = (DCAP / "tdx_quote").read_bytes()
COLLATERAL = (DCAP / "tdx_quote_collateral.json").read_text(encoding="utf-8")
OUTDATED = (DCAP / "tdx_quote_outdated").read_bytes()
OUTDATED_COLLATERAL = (DCAP / "tdx_quote_outdated_collateral.json").read_text(encoding="utf-8")
NOW = 1750329207  # inside the sample collateral's window (dcap-qvl's own tests use it)
OUTDATED_NOW = 1771500000  # 2026-02-19, inside the outdated collateral's window
FMSPC = "B0C06F000000"


def test_sample_quote_verifies():
    check = verify_quote(QUOTE, COLLATERAL, NOW)
    assert isinstance(check, QuoteCheck)
    assert check.done and check.ok
    assert check.status == "UpToDate"
    assert check.advisory_ids == []
    assert check.report_data.startswith("9a9d48e7")
    assert len(check.report_data) == 128
    assert check.fmspc == FMSPC
    assert check.rtmr3 == "00" * 48
    assert "UpToDate" in check.detail
    assert check.to_dict()["status"] == "UpToDate"


def test_outdated_sample_fails_to_match_a_tcb_level():
    window = collateral_window(OUTDATED_COLLATERAL)
    assert window and window[0] <= OUTDATED_NOW < window[1]
    check = verify_quote(OUTDATED, OUTDATED_COLLATERAL, OUTDATED_NOW)
    assert check.done and not check.ok
    assert "TCB level" in check.detail
    assert check.status is None
    assert check.report_data and check.fmspc == "90C06F000000"


def test_flipped_report_data_byte_fails():
    at = QUOTE.find(bytes.fromhex("9a9d48e7"))
    assert at == 48 + 520  # REPORTDATA: last 64 bytes of the TD report after the header
    tampered = bytearray(QUOTE)
    tampered[at] ^= 0x01
    check = verify_quote(bytes(tampered), COLLATERAL, NOW)
    assert check.done and not check.ok
    assert check.report_data.startswith("9b9d48e7")  # parsed even though it fails
    assert "verification failed" in check.detail


def test_no_collateral_is_not_done_and_never_ok():
    check = verify_quote(QUOTE, None, NOW)
    assert not check.done and not check.ok
    assert check.detail == "not done: no collateral"
    assert check.report_data.startswith("9a9d48e7")


def test_stored_collateral_has_expired_today():
    check = verify_quote(QUOTE, COLLATERAL, int(time.time()))
    assert check.done and not check.ok
    assert "Expired" in check.detail or "expired" in check.detail


def test_collateral_of_another_platform_fails():
    check = verify_quote(QUOTE, OUTDATED_COLLATERAL, OUTDATED_NOW)
    assert check.done and not check.ok


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x00" * 10, os.urandom(5006), QUOTE[:600], QUOTE[:-1500], b"\x03\x00" + QUOTE[2:]],
    ids=["empty", "zeros", "random", "header-and-part-of-body", "truncated", "version-3"],
)
def test_junk_does_not_crash(raw):
    check = verify_quote(raw, COLLATERAL, NOW)
    assert check.done and not check.ok
    assert check.detail and len(check.detail) <= 330


def test_oversized_quote_is_refused_unparsed(monkeypatch):
    def boom(_raw):
        raise AssertionError("parsed an oversized quote")

    monkeypatch.setattr(dcap_qvl, "parse_quote", boom)
    check = verify_quote(QUOTE + b"\x00" * (100 * 1024), COLLATERAL, NOW)
    assert check.done and not check.ok and "64 KiB" in check.detail


def test_non_tdx_quote_is_not_accepted(monkeypatch):
    real = dcap_qvl.parse_quote

    class AsSgx:  # the sample quote, claiming TEE type 0 (SGX) in its header
        def __init__(self, raw):
            self._quote = real(raw)
            self.header = SimpleNamespace(tee_type=0)
            self.report = self._quote.report

        def fmspc(self):
            return self._quote.fmspc()

    monkeypatch.setattr(dcap_qvl, "parse_quote", AsSgx)
    check = verify_quote(QUOTE, COLLATERAL, NOW)
    assert check.done and not check.ok
    assert check.detail == "not a TDX quote (TEE type 0x0)"


def test_bad_collateral_json_fails():
    for bad in ("", "{}", "not json", json.dumps({"tcb_info": 1})):
        check = verify_quote(QUOTE, bad, NOW)
        assert check.done and not check.ok


def test_quote_bytes_formats():
    assert quote_bytes(QUOTE.hex()) == QUOTE
    assert quote_bytes("0x" + QUOTE.hex().upper()) == QUOTE
    assert quote_bytes(base64.b64encode(QUOTE).decode()) == QUOTE
    assert quote_bytes(base64.b64encode(QUOTE).decode().rstrip("=")) == QUOTE
    assert quote_bytes(" " + QUOTE.hex()[:64] + "\n" + QUOTE.hex()[64:]) == QUOTE
    for junk in ("", "   ", "0x", "not a quote!", "0xzz", "abcde", "0xabc"):
        with pytest.raises(ValueError, match="quote"):
            quote_bytes(junk)


def test_window_of_sample_collateral():
    start, end = collateral_window(COLLATERAL)
    assert start == 1750329147  # QE identity issueDate 2025-06-19T10:32:27Z
    assert end == 1752919235  # PCK CRL nextUpdate 2025-07-19T10:00:35Z
    assert collateral_window("{}") is None
    doc = json.loads(COLLATERAL)
    tcb = json.loads(doc["tcb_info"])
    tcb["nextUpdate"] = tcb["issueDate"]  # an empty window: never valid
    doc["tcb_info"] = json.dumps(tcb)
    assert collateral_window(json.dumps(doc)) is None
    assert collateral_window("garbage") is None


def test_cache_round_trip_inside_window_only(tmp_path):
    folder = tmp_path / "dcap"
    cache = CollateralCache(folder)
    assert cache.get(FMSPC, NOW) is None
    cache.put(FMSPC, COLLATERAL)
    assert (folder.stat().st_mode & 0o777) == 0o700
    assert [p.name for p in folder.iterdir()] == [f"{FMSPC}-platform.json"]
    assert cache.get(FMSPC, NOW) == COLLATERAL
    assert cache.get(FMSPC.lower(), NOW) == COLLATERAL
    start, end = collateral_window(COLLATERAL)
    assert cache.get(FMSPC, start) == COLLATERAL
    assert cache.get(FMSPC, start - 1) is None
    assert cache.get(FMSPC, end) is None
    assert cache.get(FMSPC, int(time.time())) is None
    assert cache.get(FMSPC, NOW, ca="processor") is None


def test_cache_ignores_corrupt_and_foreign_files(tmp_path):
    cache = CollateralCache(tmp_path)
    path = tmp_path / f"{FMSPC}-platform.json"
    for content in (b"", b"{", b"\xff\xfe\x00", b"[]", b'{"tcb_info": "{}"}'):
        path.write_bytes(content)
        assert cache.get(FMSPC, NOW) is None
    # valid collateral for another FMSPC filed under this one
    cache.put(FMSPC, OUTDATED_COLLATERAL)
    assert cache.get(FMSPC, OUTDATED_NOW) is None
    cache.put("90C06F000000", OUTDATED_COLLATERAL)
    assert cache.get("90C06F000000", OUTDATED_NOW) == OUTDATED_COLLATERAL


@pytest.mark.parametrize("fmspc", ["", "../etc/passwd", "B0C06F00000", "B0C06F00000G", "a/b"])
def test_cache_refuses_bad_fmspc(tmp_path, fmspc):
    cache = CollateralCache(tmp_path)
    with pytest.raises(ValueError):
        cache.put(fmspc, COLLATERAL)
    with pytest.raises(ValueError):
        cache.get(fmspc, NOW)
    assert list(tmp_path.iterdir()) == []


def _no_network(monkeypatch, exc: Exception | None = None):
    calls = []

    async def fake(pccs_url, raw):
        calls.append(pccs_url)
        raise exc or AssertionError("network used")

    monkeypatch.setattr(dcap_qvl, "get_collateral", fake)
    return calls


async def test_fetch_uses_valid_cache_without_network(tmp_path, monkeypatch):
    calls = _no_network(monkeypatch)
    cache = CollateralCache(tmp_path)
    cache.put(FMSPC, COLLATERAL)
    collateral, note = await fetch_collateral(QUOTE, DEFAULT_PCCS, cache, NOW)
    assert collateral == COLLATERAL
    assert note == "cached until 2025-07-19 10:00 UTC"
    assert calls == []
    assert verify_quote(QUOTE, collateral, NOW).ok


async def test_fetch_unreachable_pccs(tmp_path, monkeypatch):
    calls = _no_network(monkeypatch, ValueError("connection refused"))
    cache = CollateralCache(tmp_path)
    cache.put(FMSPC, COLLATERAL)  # out of its window today, so the PCCS is asked
    collateral, note = await fetch_collateral(
        QUOTE, "https://pccs.invalid", cache, int(time.time())
    )
    assert collateral is None
    assert note.startswith("not fetched: ") and "connection refused" in note
    assert calls == ["https://pccs.invalid"]


async def test_fetch_timeout(monkeypatch):
    import asyncio

    import tui.core.tdx as tdx

    async def slow(pccs_url, raw):
        await asyncio.sleep(10)

    monkeypatch.setattr(dcap_qvl, "get_collateral", slow)
    monkeypatch.setattr(tdx, "FETCH_TIMEOUT", 0.05)
    collateral, note = await fetch_collateral(QUOTE, DEFAULT_PCCS, None, NOW)
    assert collateral is None and "did not answer" in note


async def test_fetch_stores_shareable_collateral(tmp_path, monkeypatch):
    class Fetched:
        def to_json(self):
            doc = json.loads(COLLATERAL)
            doc["pck_certificate_chain"] = (
                dcap_qvl.parse_quote(QUOTE).cert_chain_pem_bytes().decode()
            )
            return json.dumps(doc)

    async def fake(pccs_url, raw):
        return Fetched()

    monkeypatch.setattr(dcap_qvl, "get_collateral", fake)
    cache = CollateralCache(tmp_path / "c")
    collateral, note = await fetch_collateral(QUOTE, DEFAULT_PCCS, cache, NOW)
    assert note == f"fetched from {DEFAULT_PCCS}"
    assert "pck_certificate_chain" in json.loads(collateral)
    stored = cache.get(FMSPC, NOW)
    assert stored and "pck_certificate_chain" not in json.loads(stored)
    assert verify_quote(QUOTE, stored, NOW).ok
    # collateral that does not verify the quote is returned but not kept
    cache2 = CollateralCache(tmp_path / "c2")
    await fetch_collateral(QUOTE, DEFAULT_PCCS, cache2, int(time.time()))
    assert cache2.get(FMSPC, NOW) is None


async def test_fetch_junk_quote(monkeypatch):
    calls = _no_network(monkeypatch)
    for raw in (b"", b"junk", b"\x00" * (100 * 1024)):
        collateral, note = await fetch_collateral(raw, DEFAULT_PCCS, None, NOW)
        assert collateral is None and note.startswith("not fetched: ")
    assert calls == []


def test_import_is_cheap():
    import subprocess
    import sys

    code = (
        "import sys, tui.core.tdx; "
        "print(any(m in sys.modules for m in ('dcap_qvl', 'textual', 'rich', 'cryptography')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
