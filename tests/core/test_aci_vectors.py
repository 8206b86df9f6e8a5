"""The gateway spec's own test vectors (Dstack-TEE/private-ai-gateway, Apache-2.0, copied
into tests/data/aci with its licence): canonical JSON, the keyset digest, report_data with
and without a nonce, the G3 receipt's signature, and the G2 (old spec) workload id,
report_data, keyset endorsement and receipt signature. Each value is read from the
vector files, so a change in our canonical form or hashing fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tui.core import aci
from tui.core.aci_receipt import check_receipt
from tui.core.aci_report import check_report

DATA = Path(__file__).parent.parent / "data" / "aci"
G3_TEXT = (DATA / "test-vectors.md").read_text()
G2_TEXT = (DATA / "test-vectors-g2.md").read_text()
NONCE = bytes(range(32)).hex()
REQUEST = b'{"messages":[{"content":"hi","role":"user"}],"model":"demo-model"}'
RESPONSE = b'{"choices":[],"id":"chatcmpl-123"}'


def blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```text\n(.*?)```", text, re.S)]


def value(text: str, name: str) -> str:
    m = re.search(re.escape(name) + r"[^=\n]*=\s*(\S+)", text)
    assert m, name
    return m.group(1)


def g3_report(nonce: str | None = NONCE) -> dict:
    keyset = json.loads(blocks(G3_TEXT)[0])
    digest = value(G3_TEXT, "workload_keyset_digest")
    rd = value(G3_TEXT, "report_data = sha256(statement)")
    return {
        "api_version": "aci/1",
        "workload_keyset_digest": digest,
        "attestation": {"tee_type": "tdx", "workload_keyset": keyset, "report_data": rd},
    }


def test_g3_keyset_digest_and_report_data():
    keyset_jcs = blocks(G3_TEXT)[0]
    keyset = json.loads(keyset_jcs)
    assert aci.jcs(keyset).decode() == keyset_jcs
    assert aci.digest_of(keyset) == value(G3_TEXT, "workload_keyset_digest")
    digest = aci.digest_of(keyset)
    with_nonce, without = blocks(G3_TEXT)[2], blocks(G3_TEXT)[4]
    assert aci.statement(digest, NONCE).decode() == with_nonce
    assert aci.statement(digest, None).decode() == without
    assert aci.sha256_hex(aci.statement(digest, NONCE)) == value(G3_TEXT, "sha256(statement)")
    assert aci.sha256_hex(aci.statement(digest, None)).startswith("0633919c")


def test_g3_receipt_signature_and_verdict():
    texts = blocks(G3_TEXT)
    signing_input = next(t for t in texts if t.startswith('{"api_version":"aci/1","chat_id"'))
    served = texts[-1]
    doc = json.loads(served)
    assert aci.receipt_generation(doc) == aci.G3
    unsigned = {k: v for k, v in doc.items() if k != "signature"}
    assert aci.jcs(unsigned).decode() == signing_input
    assert aci.sha256_hex(aci.jcs(unsigned)) == value(G3_TEXT, "sha256(signing input)")
    pub = "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394"
    assert aci.verify_ed25519(pub, doc["signature"], aci.jcs(unsigned))
    assert not aci.verify_ed25519(pub, doc["signature"], aci.jcs(unsigned) + b" ")
    rep = check_report(g3_report(), NONCE, now=1_750_000_000)
    assert rep.ok and rep.generation == aci.G3, rep.checks
    # the vector's receipt names keys by "receipt-1": the report's keyset has it
    mark, why, checks = check_receipt(doc, rep, aci.sha256_hex(REQUEST), aci.sha256_hex(RESPONSE))
    assert mark == aci.CONFIDENTIAL, (why, checks)
    assert {c.name for c in checks if c.result == aci.PASS} >= {
        "receipt signature",
        "request hash",
        "response hash",
        "upstream",
        "receipt names the attested keyset",
    }


def test_g3_report_checks_fail_as_they_should():
    assert not check_report(g3_report(), NONCE, now=1_800_000_000).ok  # not_after passed
    other = "ff" * 32
    rep = check_report(g3_report(), other, now=1_750_000_000)  # another nonce: not echoed
    assert rep.failure().name == "report_data"
    doc = g3_report()
    doc["workload_keyset_digest"] = "sha256:" + "0" * 64
    assert check_report(doc, NONCE, now=1_750_000_000).failure().name == "keyset digest"
    doc = g3_report()
    doc["attestation"]["workload_keyset"]["not_after"] = 1.8e9  # a float: no JCS form
    assert not check_report(doc, NONCE, now=1_750_000_000).ok


def test_g2_vectors():
    identity = json.loads(blocks(G2_TEXT)[0])
    assert aci.digest_of(identity) == value(G2_TEXT, "workload_id")
    statement_jcs = next(b for b in blocks(G2_TEXT) if b.startswith('{"nonce":"test-nonce"'))
    st = json.loads(statement_jcs)
    assert aci.jcs(st).decode() == statement_jcs
    assert aci.sha256_hex(aci.jcs(st)) == value(G2_TEXT, 'report_data (nonce "test-nonce")')
    payload = next(b for b in blocks(G2_TEXT) if "endorsement.v1" in b)
    endorsement = value(G2_TEXT, "keyset_endorsement.value (ed25519, identity key)")
    assert aci.verify_ed25519(identity["public_key"], endorsement, payload.encode())
    receipt_input = next(b for b in blocks(G2_TEXT) if b.startswith('{"api_version":"aci/1"'))
    doc = json.loads(receipt_input)
    assert aci.receipt_generation(doc) == aci.G12
    assert aci.jcs(doc).decode() == receipt_input
    signature = value(G2_TEXT, "signature.value (ed25519, receipt-1)")
    pub = "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394"
    assert aci.verify_ed25519(pub, signature, receipt_input.encode())


def test_canonical_json_refuses_floats_and_keeps_big_integers():
    assert aci.jcs({"b": 1, "a": [18446744073709551615, None, True]}) == (
        b'{"a":[18446744073709551615,null,true],"b":1}'
    )
    try:
        aci.jcs({"a": 2.0})
    except ValueError:
        pass
    else:
        raise AssertionError("a float was canonicalised")
