"""GPU evidence: reading the payload locally, and the opt-in check with NVIDIA's NRAS,
here a loopback server answering with hand-made JWTs (fake signatures: we never check one)."""

from __future__ import annotations

import base64
import json
import socket
from typing import Any

import pytest

from tests.loopback import Reply
from tui.core.gpu import NRAS_URL, UNSIGNED, check_with_nras, gpu_evidence, nras_url

NONCE = "1b0911a9f1ea105dc329cc7580b8f256d2c0919c3a7ced7917fbfd6449e681d6"
ENTRY = {"certificate": "LS0tLS1CRUdJTg==", "evidence": "ZXZpZGVuY2U=", "arch": "HOPPER"}
PAYLOAD = {"nonce": NONCE, "arch": "HOPPER", "evidence_list": [ENTRY, dict(ENTRY)]}
PLACEHOLDER = {"nonce": NONCE, "evidence_list": [], "arch": "HOPPER"}


def b64url(obj: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def jwt(claims: dict[str, Any]) -> str:
    return f"{b64url({'alg': 'ES384', 'typ': 'JWT'})}.{b64url(claims)}.ZmFrZS1zaWduYXR1cmU"


def nras_answer(overall: bool, gpu_ok: bool = True) -> list[Any]:
    gpu = {"measres": "success", "x-nvidia-gpu-arch-check": True}
    gpu["x-nvidia-gpu-attestation-report-nonce-match"] = gpu_ok
    return [
        [
            "JWT",
            jwt(
                {
                    "iss": "https://nras.attestation.nvidia.com",
                    "sub": "NVIDIA-PLATFORM-ATTESTATION",
                    "eat_nonce": NONCE,
                    "x-nvidia-ver": "2.0",
                    "x-nvidia-overall-att-result": overall,
                    "submods": {"GPU-0": ["DIGEST", ["SHA256", "ab" * 32]]},
                }
            ),
        ],
        {"GPU-0": jwt(gpu), "GPU-1": jwt(gpu | {"x-nvidia-gpu-arch-check": True})},
    ]


@pytest.fixture
def nras(loopback, monkeypatch):
    monkeypatch.setenv("REDPILL_TUI_NRAS_URL", loopback.base_url + "/v3/attest/gpu")
    return loopback


# -- reading the payload ----------------------------------------------------------------


def test_the_default_url_is_nvidias(monkeypatch):
    monkeypatch.delenv("REDPILL_TUI_NRAS_URL", raising=False)
    assert nras_url() == NRAS_URL == "https://nras.attestation.nvidia.com/v3/attest/gpu"


@pytest.mark.parametrize("payload", [PAYLOAD, json.dumps(PAYLOAD)], ids=["dict", "json"])
def test_a_payload_is_read_from_a_dict_or_a_json_string(payload):
    ev = gpu_evidence(payload, NONCE.upper())
    assert ev.readable and ev.has_evidence and not ev.placeholder
    assert (ev.gpus, ev.archs, ev.nonce, ev.nonce_matches) == (2, ["HOPPER"], NONCE, True)
    assert ev.to_dict()["has_evidence"] is True


def test_the_placeholder_means_no_gpu_evidence():
    ev = gpu_evidence(json.dumps(PLACEHOLDER), NONCE)
    assert ev.readable and ev.placeholder and not ev.has_evidence and ev.gpus == 0
    assert "no GPU evidence" in ev.detail


def test_a_different_nonce_is_reported():
    ev = gpu_evidence(PAYLOAD, "00" * 32)
    assert ev.has_evidence and ev.nonce_matches is False
    assert gpu_evidence(PAYLOAD | {"nonce": 7}, NONCE).nonce_matches is False
    assert gpu_evidence(PAYLOAD, None).nonce_matches is None


def test_chutes_gpu_evidence_is_read_too():
    ev = gpu_evidence({"nonce": NONCE, "gpu_evidence": [ENTRY]}, NONCE)
    assert ev.has_evidence and ev.gpus == 1 and ev.nonce_matches is True


@pytest.mark.parametrize(
    "junk",
    [
        "not json {",
        "",
        None,
        42,
        [PAYLOAD],
        json.dumps([PAYLOAD]),
        {"nonce": NONCE},
        {"nonce": NONCE, "evidence_list": {"0": ENTRY}},
        {"nonce": NONCE, "evidence_list": ["ZXZpZGVuY2U="]},
        {"nonce": NONCE, "evidence_list": [{"evidence": 1, "certificate": "x"}]},
        {"nonce": NONCE, "evidence_list": [ENTRY, {"certificate": "x"}]},
    ],
)
def test_junk_is_unreadable_never_an_exception(junk):
    ev = gpu_evidence(junk, NONCE)
    assert not ev.readable and not ev.has_evidence and ev.detail


def test_hostile_strings_survive_as_bounded_data():
    evil = "\x1b]52;c;ZXZpbA==\x07\x1b[2J[b]x[/]"
    ev = gpu_evidence({"nonce": evil, "arch": evil, "evidence_list": [ENTRY]}, NONCE)
    assert ev.readable and ev.nonce == evil and ev.nonce_matches is False
    assert evil[:32] in ev.archs[0]
    long = gpu_evidence({"nonce": "a" * 10_000, "evidence_list": [ENTRY]}, NONCE)
    assert len(long.nonce) < 200


# -- the check with NRAS ------------------------------------------------------------------


async def test_passed(nras):
    nras.route("/v3/attest/gpu", Reply.json(nras_answer(True)))
    r = await check_with_nras(json.dumps(PAYLOAD))
    assert r.outcome == "passed" and UNSIGNED in r.detail and r.signature_checked is False
    assert r.claims["eat_nonce"] == NONCE and r.claims["x-nvidia-ver"] == "2.0"
    assert r.claims["iss"] == "https://nras.attestation.nvidia.com"
    assert [(g.gpu, g.measres, g.false) for g in r.gpus] == [
        ("GPU-0", "success", []),
        ("GPU-1", "success", []),
    ]
    assert r.to_dict()["outcome"] == "passed"


async def test_failed_when_the_overall_result_is_false(nras):
    nras.route("/v3/attest/gpu", Reply.json(nras_answer(False, gpu_ok=False)))
    r = await check_with_nras(PAYLOAD)
    assert r.outcome == "failed" and "false" in r.detail and UNSIGNED in r.detail
    assert r.gpus[0].false == ["x-nvidia-gpu-attestation-report-nonce-match"]


async def test_the_body_is_the_payload_and_nothing_else(nras):
    nras.route("/v3/attest/gpu", Reply.json(nras_answer(True)))
    await check_with_nras(json.dumps(PAYLOAD))
    [sent] = nras.requests
    assert sent.method == "POST" and sent.path.endswith("/v3/attest/gpu")
    assert sent.json() == PAYLOAD
    assert sent.headers["content-type"] == "application/json"
    assert "authorization" not in sent.headers and "cookie" not in sent.headers


async def test_no_evidence_is_never_sent(nras):
    for payload in (PLACEHOLDER, "junk", [PAYLOAD]):
        r = await check_with_nras(payload)
        assert r.outcome == "error" and "nothing was sent" in r.detail
    assert nras.requests == []


@pytest.mark.parametrize("status", [401, 500])
async def test_an_http_error_gives_its_status(nras, status):
    nras.route("/v3/attest/gpu", Reply.json({"error": "\x1b[2J" + "x" * 5000}, status=status))
    r = await check_with_nras(PAYLOAD)
    assert (r.outcome, r.status) == ("error", status)
    assert f"HTTP {status}" in r.detail and "\x1b" not in r.detail and len(r.detail) < 200


@pytest.mark.parametrize(
    "body",
    [
        b"<html>not json</html>",
        b"{}",
        b"[]",
        json.dumps([["JWT", "not-a-jwt"], {}]).encode(),
        json.dumps([["JWT", "a." + b64url([1, 2]) + ".c"]]).encode(),
        json.dumps([["JWT", jwt({"x-nvidia-overall-att-result": "true"})]]).encode(),
    ],
)
async def test_a_body_not_in_the_expected_shape_is_an_error(nras, body):
    nras.route("/v3/attest/gpu", Reply(headers=[("Content-Type", "application/json")], body=body))
    r = await check_with_nras(PAYLOAD)
    assert r.outcome == "error" and r.status == 200


async def test_a_huge_answer_is_refused(nras):
    nras.route("/v3/attest/gpu", Reply(body=[b"[" + b" " * 65536] * 20))
    r = await check_with_nras(PAYLOAD)
    assert r.outcome == "error" and "1 MiB" in r.detail


async def test_hostile_claims_are_bounded(nras):
    evil = "\x1b]8;;http://x\x07" + "y" * 10_000
    answer = [["JWT", jwt({"iss": evil, "x-nvidia-overall-att-result": True})], {evil: "junk"}]
    nras.route("/v3/attest/gpu", Reply.json(answer))
    r = await check_with_nras(PAYLOAD)
    assert r.outcome == "passed" and r.claims["iss"].startswith("\x1b]8")
    assert len(r.claims["iss"]) <= 201 and len(r.gpus[0].gpu) <= 65
    assert r.gpus[0].measres is None


async def test_unreachable(monkeypatch):
    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("REDPILL_TUI_NRAS_URL", f"http://127.0.0.1:{port}/v3/attest/gpu")
    r = await check_with_nras(PAYLOAD, timeout=5)
    assert r.outcome == "error" and "could not reach" in r.detail and r.status is None
