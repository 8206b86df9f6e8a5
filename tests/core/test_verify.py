"""RedPill verification: signed replies and attestation reports.

A signing server on the loopback answers chat completions and, like an enclave, signs
``sha256(request bytes it received):sha256(response bytes it sent)`` with a test key
(EIP-191 personal_sign, secp256k1), served at ``/signature/{id}``. Tampered variants
change one byte of the request or response, sign with another key, or forget the id.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.loopback import Reply, Request, sse
from tui.api.client import ChatClient
from tui.api.errors import APIError
from tui.config import Config, Endpoint
from tui.core.verify import (
    NOT_AVAILABLE,
    NOT_CHECKED,
    REQUEST_MISMATCH,
    RESPONSE_MISMATCH,
    SIGNATURE_INVALID,
    VERIFIED,
    address_of_key,
    check_signature,
    eip191_hash,
    fetch_attestation,
    parse_attestation,
    recover_address,
    sign_personal,
    split_text,
    verify_reply,
)
from tui.headless import AskOptions, ask

KEY = hashlib.sha256(b"redpill-tui test enclave key").digest()
OTHER_KEY = hashlib.sha256(b"redpill-tui other key").digest()
ADDRESS = "0xd2f9b48b1985764f41018dcf3157d3c1e5159bdd"  # of KEY; in the attestation fixtures
OTHER_ADDRESS = "0x4c019759b5222e74640e14e4eaa16293be55c615"  # of OTHER_KEY
GATEWAY = "0x96e61d9a4109d3c33cb8235b746222db3f884b91"
SECOND = "0xd4ef5d5af91639b217f4273e0256ccf3d46529da"
MODEL = "test-model"

ATTESTATION = Path(__file__).parent.parent / "data" / "attestation"
FIXTURE_NONCE = "1b0911a9f1ea105dc329cc7580b8f256d2c0919c3a7ced7917fbfd6449e681d6"
SHAPES = {
    "legacy-flat.json": "flat",
    "vllm-proxy.json": "vllm-proxy",
    "two-layer.json": "two-layer (gateway + models)",
    "tinfoil.json": "tinfoil",
}

# RedPill's answer for an id it does not know (any more).
EXPIRED = Reply.json(
    {
        "error": {
            "message": "Chat id not found or expired",
            "type": "not_found",
            "param": None,
            "code": None,
        }
    },
    status=404,
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def flip(data: bytes, at: int) -> bytes:
    out = bytearray(data)
    out[at] ^= 0x01
    return bytes(out)


@dataclass
class SigningServer:
    """A RedPill-like endpoint on the loopback server.

    ``tamper`` picks a variant: ``request`` (signs the hash of a request with one byte
    changed), ``response`` (signs the reply, then sends it with one byte changed),
    ``other-key`` (signature made by another key than ``signing_address``'s), ``prefix``
    (``text`` is ``model:req:resp``), ``expired`` (404 for the id), ``none`` (no
    signature route at all; the test queues what the path answers).
    """

    loopback: Any
    tamper: str | None = None
    reported_model: str = MODEL
    parts: list[str] = field(default_factory=lambda: ["Signed", ", sealed", " and delivered."])
    count: int = 0
    seen: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (req, resp) hashes
    signature_queries: list[dict[str, str]] = field(default_factory=list)
    attestation_queries: list[dict[str, str]] = field(default_factory=list)
    attestation_doc: str = "vllm-proxy.json"

    def __post_init__(self) -> None:
        self.loopback.route("/chat/completions", self.chat)
        self.loopback.route("/attestation/report", self.attestation)

    def _chunk(self, cid: str, delta: dict[str, Any], finish: str | None = None) -> dict:
        return {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": 1,
            "model": self.reported_model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    def chat(self, request: Request) -> Reply:
        self.count += 1
        cid = f"chatcmpl-signed{self.count}"
        if request.json().get("stream"):
            events: list[Any] = [self._chunk(cid, {"role": "assistant", "content": ""})]
            events += [self._chunk(cid, {"content": p}) for p in self.parts]
            events += [self._chunk(cid, {}, "stop"), "[DONE]"]
            pieces = sse(events)
            headers = [("Content-Type", "text/event-stream")]
        else:
            doc = {
                "id": cid,
                "object": "chat.completion",
                "created": 1,
                "model": self.reported_model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "".join(self.parts)},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9},
            }
            pieces = [json.dumps(doc).encode()]
            headers = [("Content-Type", "application/json")]
        req_hash, resp_hash = sha(request.body), sha(b"".join(pieces))
        self.seen[cid] = (req_hash, resp_hash)
        signed_req = (
            sha(flip(request.body, len(request.body) // 2))
            if self.tamper == "request"
            else req_hash
        )
        if self.tamper == "response":
            # Signed as sent by the enclave, changed by one byte on the way.
            at = next(i for i, p in enumerate(pieces) if b"Signed" in p)
            pieces[at] = pieces[at].replace(b"Signed", b"Sighed", 1)
        text = f"{signed_req}:{resp_hash}"
        if self.tamper == "prefix":
            text = f"{request.json()['model']}:{text}"
        signature = sign_personal(text.encode(), OTHER_KEY if self.tamper == "other-key" else KEY)
        sig_doc = {
            "text": text,
            "signature": signature,
            "signing_address": ADDRESS,
            "signing_algo": "ecdsa",
        }
        if self.tamper != "none":

            def answer(req: Request) -> Reply:
                self.signature_queries.append(req.query)
                return EXPIRED if self.tamper == "expired" else Reply.json(sig_doc)

            self.loopback.route(f"/signature/{cid}", answer)
        return Reply(headers=headers, body=pieces)

    def attestation(self, request: Request) -> Reply:
        """Answer with a fixture document, echoing the nonce asked for."""
        self.attestation_queries.append(request.query)
        raw = (ATTESTATION / self.attestation_doc).read_text(encoding="utf-8")
        return Reply.json(json.loads(raw.replace(FIXTURE_NONCE, request.query.get("nonce", ""))))


async def chat_and_verify(loopback, *, stream: bool = True, model: str = MODEL):
    """One chat request through the real client, then the verification of its reply."""
    async with ChatClient(loopback.base_url, max_retries=0, read_timeout=5) as client:
        body = {"model": model, "messages": [{"role": "user", "content": "héllo"}]}
        body["stream"] = stream
        acc, exchange = await client.chat(body)
        assert acc.error is None, acc.error
        result = await verify_reply(
            client,
            completion_id=acc.id,
            model=model,
            request_sha256=exchange.request_sha256,
            response_sha256=exchange.response_sha256,
            complete=exchange.complete,
        )
    return acc, exchange, result


# -- the crypto, against a published vector -----------------------------------------------


def test_personal_sign_matches_the_web3js_documented_vector():
    # web3.eth.accounts.sign('Some data', key), from the web3.js API docs
    key = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
    sig = (
        "0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd"
        "6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c"
    )
    assert eip191_hash(b"Some data").hex() == (
        "1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655"
    )
    assert sign_personal(b"Some data", key) == sig
    assert recover_address(b"Some data", sig) == "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23"


def test_test_keys_are_the_fixture_addresses():
    assert address_of_key(KEY) == ADDRESS
    assert address_of_key(OTHER_KEY) == OTHER_ADDRESS


def test_split_text_takes_hashes_from_the_right():
    req, resp = "a" * 64, "B" * 64
    assert split_text(f"{req}:{resp}") == (None, req, "b" * 64)
    assert split_text(f"ns/model:v2:{req}:{resp}") == ("ns/model:v2", req, "b" * 64)
    with pytest.raises(ValueError):
        split_text("not-a-hash:" + resp)
    with pytest.raises(ValueError):
        split_text(req)


def test_check_signature_edge_documents():
    req, resp = "1" * 64, "2" * 64
    text = f"{req}:{resp}"
    good = {
        "text": text,
        "signature": sign_personal(text.encode(), KEY),
        "signing_address": ADDRESS,
    }
    assert check_signature(good, req, resp).verdict == VERIFIED
    # the address compares case-insensitively (checksummed addresses)
    assert (
        check_signature({**good, "signing_address": ADDRESS.upper()}, req, resp).verdict == VERIFIED
    )
    # garbage and truncated signatures are invalid, not crashes
    for bad in ("0x1234", "zz" * 65, "0x" + "00" * 65):
        v = check_signature({**good, "signature": bad}, req, resp)
        assert v.verdict == SIGNATURE_INVALID, bad
    # the older docs' form (signature as an object) and non-objects: not available
    older = {"request_id": "chatcmpl-123", "signature": {"algorithm": "ecdsa", "value": "30"}}
    assert check_signature(older, req, resp).verdict == NOT_AVAILABLE
    assert check_signature(["x"], req, resp).verdict == NOT_AVAILABLE
    # an algorithm we do not check is not called invalid
    v = check_signature({**good, "signing_algo": "ed25519"}, req, resp)
    assert v.verdict == NOT_AVAILABLE and "ed25519" in v.detail
    # both hashes wrong: the request is named, and the response too
    v = check_signature(good, "3" * 64, "4" * 64)
    assert v.verdict == REQUEST_MISMATCH and "response hash differs too" in v.detail


# -- signed replies over the loopback -----------------------------------------------------


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "complete"])
async def test_signed_reply_verifies_from_the_exact_bytes(loopback, stream):
    server = SigningServer(loopback)
    acc, exchange, result = await chat_and_verify(loopback, stream=stream)
    assert result.verdict == VERIFIED, result.detail
    assert result.signing_address == ADDRESS and result.signing_algo == "ecdsa"
    assert len(result.checks) == 3
    # our hashes are those of the bytes the server received and sent
    sent = loopback.requests[0].body
    assert exchange.request_sha256 == sha(sent) == server.seen[acc.id][0]
    assert exchange.response_sha256 == server.seen[acc.id][1]
    assert server.signature_queries == [{"model": MODEL, "signing_algo": "ecdsa"}]
    assert loopback.requests[-1].path.startswith(f"/v1/signature/{acc.id}?")


async def test_request_byte_changed_is_a_request_hash_mismatch(loopback):
    SigningServer(loopback, tamper="request")
    _, _, result = await chat_and_verify(loopback)
    assert result.verdict == REQUEST_MISMATCH
    assert "request hash" in result.detail and "response hash" not in result.detail
    assert result.checks == []


async def test_response_byte_changed_is_a_response_hash_mismatch(loopback):
    SigningServer(loopback, tamper="response")
    acc, _, result = await chat_and_verify(loopback)
    assert acc.choices[0].content == "Sighed, sealed and delivered."
    assert result.verdict == RESPONSE_MISMATCH
    assert "response hash" in result.detail
    assert result.checks == ["request hash matches the bytes we sent"]


async def test_signature_by_another_key_is_invalid(loopback):
    SigningServer(loopback, tamper="other-key")
    _, _, result = await chat_and_verify(loopback)
    assert result.verdict == SIGNATURE_INVALID
    assert OTHER_ADDRESS in result.detail and ADDRESS in result.detail
    # both hashes did match: only the signature is wrong
    assert len(result.checks) == 2


async def test_model_prefixed_text_verifies(loopback):
    SigningServer(loopback, tamper="prefix")
    _, _, result = await chat_and_verify(loopback)
    assert result.verdict == VERIFIED, result.detail
    assert result.text is not None and result.text.startswith(f"{MODEL}:")


async def test_expired_id_is_not_available(loopback):
    server = SigningServer(loopback, tamper="expired")
    _, _, result = await chat_and_verify(loopback)
    assert result.verdict == NOT_AVAILABLE
    assert result.detail.startswith("expired")
    assert len(server.signature_queries) == 1


@pytest.mark.parametrize(
    "reply",
    [
        # OpenAI's answer for an unknown URL
        Reply.json(
            {
                "error": {
                    "message": "Invalid URL (GET /v1/signature/x)",
                    "type": "invalid_request_error",
                }
            },
            status=404,
        ),
        # llama-server
        Reply.json(
            {"error": {"code": 404, "message": "File Not Found", "type": "not_found_error"}},
            status=404,
        ),
        # a plain-text 404 (Go's default mux, e.g. Ollama)
        Reply(status=404, headers=[("Content-Type", "text/plain")], body=b"404 page not found"),
    ],
    ids=["openai", "llama-server", "plain"],
)
async def test_endpoint_that_is_not_redpill_is_not_available(loopback, reply):
    SigningServer(loopback, tamper="none")
    loopback.enqueue(reply)
    _, _, result = await chat_and_verify(loopback)
    assert result.verdict == NOT_AVAILABLE
    assert "not a RedPill endpoint" in result.detail


async def test_a_signature_endpoint_that_answers_html_is_not_available(loopback):
    SigningServer(loopback, tamper="none")
    loopback.enqueue(Reply(headers=[("Content-Type", "text/html")], body=b"<html>hi</html>"))
    _, _, result = await chat_and_verify(loopback)
    assert result.verdict == NOT_AVAILABLE and "could not be fetched" in result.detail


async def test_incomplete_or_unhashed_replies_are_not_fetched(loopback):
    async with ChatClient(loopback.base_url, max_retries=0) as client:
        for kw in (
            {
                "completion_id": "x",
                "request_sha256": "1" * 64,
                "response_sha256": "2" * 64,
                "complete": False,
            },
            {"completion_id": "x", "request_sha256": None, "response_sha256": None},
            {"completion_id": None, "request_sha256": "1" * 64, "response_sha256": "2" * 64},
        ):
            result = await verify_reply(client, model=MODEL, **kw)
            assert result.verdict == NOT_AVAILABLE
    assert loopback.requests == []


# -- ask --verify -------------------------------------------------------------------------


def endpoint(loopback) -> Endpoint:
    return Endpoint(profile="test", base_url=loopback.base_url, key_env="TEST_KEY", model=MODEL)


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "complete"])
async def test_ask_verify_adds_a_verification_object_to_json(loopback, stream):
    SigningServer(loopback)
    out, err = io.StringIO(), io.StringIO()
    opts = AskOptions(prompt="hi", json_out=True, verify=True, stream=stream)
    code = await ask(opts, endpoint(loopback), Config(), out=out, err=err)
    assert code == 0, err.getvalue()
    doc = json.loads(out.getvalue())
    v = doc["verification"]
    assert v["verdict"] == VERIFIED, v
    assert v["signing_address"] == ADDRESS
    assert v["request_sha256"] == sha(loopback.requests[0].body)


async def test_ask_verify_reports_an_expired_signature_with_exit_3(loopback):
    SigningServer(loopback, tamper="expired")
    out, err = io.StringIO(), io.StringIO()
    opts = AskOptions(prompt="hi", json_out=True, verify=True)
    # The answer is there; exit 3 says it could not be verified.
    assert await ask(opts, endpoint(loopback), Config(), out=out, err=err) == 3
    doc = json.loads(out.getvalue())
    assert doc["error"] is None and doc["choices"][0]["content"]
    v = doc["verification"]
    assert v["verdict"] == NOT_AVAILABLE and v["detail"].startswith("expired")


async def test_ask_without_verify_has_no_verification_and_no_signature_request(loopback):
    server = SigningServer(loopback)
    out = io.StringIO()
    opts = AskOptions(prompt="hi", json_out=True)
    assert await ask(opts, endpoint(loopback), Config(), out=out, err=io.StringIO()) == 0
    assert "verification" not in json.loads(out.getvalue())
    assert server.signature_queries == []


def test_cli_ask_verify_json(loopback, capsys):
    from tui.cli import main

    SigningServer(loopback, tamper="response")
    argv = ["ask", "--base-url", loopback.base_url, "-m", MODEL, "--json", "--verify", "hi"]
    assert main(argv) == 3
    doc = json.loads(capsys.readouterr().out)
    assert doc["verification"]["verdict"] == RESPONSE_MISMATCH


@pytest.mark.parametrize("tamper", ["response", "request", "other-key", "expired"])
def test_cli_ask_verify_text_mode_exits_3_when_not_verified(loopback, capsys, tamper):
    from tui.cli import main

    SigningServer(loopback, tamper=tamper)
    assert main(["ask", "--base-url", loopback.base_url, "-m", MODEL, "--verify", "hi"]) == 3
    captured = capsys.readouterr()
    assert "sealed and delivered." in captured.out  # the answer is still printed
    assert "signature: " in captured.err and "signature: verified" not in captured.err


def test_cli_ask_verify_text_mode_reports_on_stderr(loopback, capsys):
    from tui.cli import main

    SigningServer(loopback)
    assert main(["ask", "--base-url", loopback.base_url, "-m", MODEL, "--verify", "hi"]) == 0
    captured = capsys.readouterr()
    assert "Signed, sealed and delivered." in captured.out
    assert f"signature: verified: signed by {ADDRESS}" in captured.err


# -- attestation --------------------------------------------------------------------------


def load(name: str) -> dict[str, Any]:
    return json.loads((ATTESTATION / name).read_text(encoding="utf-8"))


def check(summary, prefix: str):
    found = [c for c in summary.checks if c[0].startswith(prefix)]
    assert len(found) == 1, summary.checks
    return found[0]


def test_every_documented_shape_has_a_fixture():
    assert sorted(p.name for p in ATTESTATION.glob("*.json")) == sorted(SHAPES)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_attestation_shape_parses(name):
    summary = parse_attestation(load(name), FIXTURE_NONCE)
    assert summary.shape == SHAPES[name]
    assert summary.parties
    assert all(p.intel_quote and p.intel_quote.startswith("0400") for p in summary.parties)
    assert check(summary, "an Intel TDX quote")[1] is True
    for party in summary.parties:
        # a JSON-encoded GPU payload is decoded for the readable view
        assert party.nvidia_payload is None or isinstance(party.nvidia_payload, dict)


def test_shape_details():
    flat = parse_attestation(load("legacy-flat.json"), FIXTURE_NONCE)
    assert [p.signing_address for p in flat.parties] == [ADDRESS, SECOND]  # duplicate dropped
    assert flat.parties[0].nvidia_payload["arch"] == "HOPPER"

    vllm = parse_attestation(load("vllm-proxy.json"), FIXTURE_NONCE)
    assert len(vllm.parties) == 1  # all_attestations repeats the same enclave
    p = vllm.parties[0]
    assert p.signing_algo == "ecdsa" and p.request_nonce == FIXTURE_NONCE
    assert len(p.event_log) == 3 and p.info["app_name"] == "vllm-proxy-test"

    two = parse_attestation(load("two-layer.json"), FIXTURE_NONCE)
    assert [(p.role, p.signing_address) for p in two.parties] == [
        ("gateway", GATEWAY),
        ("model", ADDRESS),
    ]
    assert two.parties[1].model_name == "phala/test-model-27b"
    assert two.addresses() == {GATEWAY, ADDRESS}

    tinfoil = parse_attestation(load("tinfoil.json"), FIXTURE_NONCE)
    assert tinfoil.addresses() == set()


@pytest.mark.parametrize(
    ("name", "echoed"),
    [
        ("vllm-proxy.json", True),
        ("two-layer.json", True),
        ("legacy-flat.json", None),
        ("tinfoil.json", None),
    ],
)
def test_nonce_echo_is_detected(name, echoed):
    same = check(parse_attestation(load(name), FIXTURE_NONCE), "the nonce we sent")
    assert same[1] is echoed
    other = check(parse_attestation(load(name), "ab" * 32), "the nonce we sent")
    # a different nonce echoed back fails; a report that echoes none cannot tell
    assert other[1] is (False if echoed else None)
    if echoed is None:
        assert "does not echo" in other[2]


def test_nonce_found_in_report_data_when_not_echoed():
    doc = load("two-layer.json")
    del doc["gateway_attestation"]["request_nonce"]
    ok = check(parse_attestation(doc, FIXTURE_NONCE), "the nonce we sent")
    assert ok[1] is True and "report_data" in ok[2]
    assert check(parse_attestation(doc, "cd" * 32), "the nonce we sent")[1] is None


@pytest.mark.parametrize("name", ["vllm-proxy.json", "two-layer.json", "legacy-flat.json"])
def test_reply_signing_address_found_or_not(name):
    found = check(
        parse_attestation(load(name), FIXTURE_NONCE, ADDRESS.upper()), "the verified reply"
    )
    assert found[1] is True
    missing = check(
        parse_attestation(load(name), FIXTURE_NONCE, OTHER_ADDRESS), "the verified reply"
    )
    assert missing[1] is False
    unchecked = check(parse_attestation(load(name), FIXTURE_NONCE), "the reply's signing address")
    assert unchecked[1] is None and "no verified reply" in unchecked[2]


def test_summary_states_checks_performed_and_not_performed():
    summary = parse_attestation(load("two-layer.json"), FIXTURE_NONCE, ADDRESS)
    lines = summary.describe()
    text = "\n".join(lines)
    performed = lines.index("Checks this app performed:")
    not_performed = lines.index("Not checked here:")
    assert performed < not_performed
    assert "✓ the nonce we sent is echoed back" in text
    assert f"✓ the verified reply's signing address {ADDRESS} appears in the report" in text
    assert "✓ an Intel TDX quote is present" in text
    assert lines[not_performed + 1 :] == [f"– {line}" for line in NOT_CHECKED]
    assert "Intel" in text.split("Not checked here:")[1]
    assert "NVIDIA" in text.split("Not checked here:")[1]


@pytest.mark.parametrize(
    "doc",
    [
        {"error": {"message": "enclave unreachable", "type": "tinfoil_attestation_error"}},
        {"error": {"message": "no chute", "type": "chutes_attestation_error"}},
        {"message": "Not Found", "ok": False},
        {"status": "failure", "message": "Something went wrong"},
    ],
)
def test_error_documents_are_not_read_as_reports(doc):
    with pytest.raises(ValueError):
        parse_attestation(doc, FIXTURE_NONCE)
    with pytest.raises(ValueError):
        parse_attestation([doc], FIXTURE_NONCE)


@pytest.mark.parametrize("name", sorted(SHAPES))
async def test_fetch_attestation_sends_a_fresh_nonce_and_checks_the_echo(loopback, name):
    server = SigningServer(loopback, attestation_doc=name)
    async with ChatClient(loopback.base_url, max_retries=0) as client:
        first = await fetch_attestation(client, MODEL, ADDRESS)
        second = await fetch_attestation(client, MODEL)
    q1, q2 = server.attestation_queries
    assert q1["model"] == MODEL and re.fullmatch("[0-9a-f]{64}", q1["nonce"])
    assert q1["nonce"] != q2["nonce"] != FIXTURE_NONCE
    assert first.nonce == q1["nonce"] and second.nonce == q2["nonce"]
    assert check(second, "the reply's signing address")[1] is None  # no verified reply given
    assert first.shape == SHAPES[name]
    echoed = check(first, "the nonce we sent")[1]
    assert echoed is (True if name in ("vllm-proxy.json", "two-layer.json") else None)
    if name != "tinfoil.json":
        assert check(first, "the verified reply")[1] is True


async def test_fetch_attestation_error_status_raises(loopback):
    body = {
        "error": {
            "message": "Invalid signing algorithm. Must be 'ed25519' or 'ecdsa'",
            "type": "invalid_signing_algo",
            "param": None,
            "code": None,
        }
    }
    loopback.route("/attestation/report", Reply.json(body, status=400))
    async with ChatClient(loopback.base_url, max_retries=0) as client:
        with pytest.raises(APIError) as info:
            await fetch_attestation(client, MODEL)
    assert info.value.status == 400
