"""Hostile input to the trust code: receipts, reports, E2EE replies, saved verifications
and pictures from a server or a file. Each must end in a failed check or an error on the
turn, never in an exception, a hang, unbounded text, or plaintext shown as encrypted."""

from __future__ import annotations

import base64
import io
import json
from types import SimpleNamespace
from typing import Any

import pytest

from tests.loopback import Reply
from tui.api.client import ChatClient
from tui.api.e2ee import X25519, E2EERequest
from tui.core.aci_receipt import check_receipt
from tui.core.aci_report import Report, check_report
from tui.core.receipts import receipt_id_of, report_summary, trust_lines, verify_aci
from tui.core.turn import Turn

SERVICE_PUB = "5dfedd3b6bd47f6fa28ee15d969d5bb0ea53774d488bdaf9df1c6e0124b3ef22"
E2EE_HEADERS = [("X-E2EE-Applied", "true"), ("X-E2EE-Version", "2"), ("X-E2EE-Algo", X25519)]
LIMIT = 1000  # no check's detail or input may be longer than this


def deep(depth: int = 3000) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def bounded(checks: list[Any]) -> bool:
    for c in checks:
        c = c if isinstance(c, dict) else c.__dict__
        if len(c["detail"]) > LIMIT or any(len(v) > LIMIT for v in c["inputs"].values()):
            return False
    return True


# -- ACI documents ---------------------------------------------------------------------


def test_a_deeply_nested_receipt_fails_its_checks_without_raising():
    rep = Report(digest="sha256:" + "0" * 64, receipt_keys={"k": ("ed25519", "00" * 32)})
    doc = {
        "api_version": "aci/1",
        "key_id": "k",
        "signature": "00",
        "workload_keyset_digest": deep(),
        "event_log": [{"type": "upstream.verified", "model_id": deep()}],
        "x": deep(),
    }
    mark, _, checks = check_receipt(doc, rep, "a" * 64, "b" * 64)
    assert mark == "unverified" and bounded(checks)


def test_a_deeply_nested_report_fails_its_checks_without_raising():
    nested = {
        "api_version": "aci/1",
        "attestation": {"workload_keyset": {"not_after": 9, "x": deep()}},
    }
    assert not check_report(nested, "n", 0).ok
    doc = {
        "api_version": "aci/1",
        "workload_keyset_digest": deep(),
        "service_capabilities": {"supported_e2ee_versions": [deep()]},
        "attestation": {"workload_keyset": {"not_after": 9}, "report_data": deep()},
    }
    rep = check_report(doc, "n", 0)
    assert not rep.ok and bounded(rep.checks)


def test_long_server_strings_are_bounded_in_checks_and_the_summary():
    huge = "A" * 1_000_000
    doc = {
        "api_version": "aci/1",
        "workload_keyset_digest": huge,
        "service_capabilities": {"supported_e2ee_versions": [huge], "serving": huge},
        "attestation": {
            "workload_keyset": {"not_after": 9},
            "report_data": huge,
            "source_provenance": {"repo_url": huge},
        },
    }
    rep = check_report(doc, "n", 0)
    assert bounded(rep.checks)
    assert len(json.dumps(report_summary(rep))) < 10 * LIMIT
    receipt = {
        "api_version": "aci/1",
        "key_id": huge,
        "signature": huge,
        "workload_keyset_digest": huge,
        "event_log": [
            {"type": "request.received", "body_hash": huge},
            {"type": "upstream.verified", "result": huge, "model_id": huge, "reason": huge},
        ],
    }
    rep.receipt_keys = {huge: ("ed25519" + huge, huge)}
    _, why, checks = check_receipt(receipt, rep, "a" * 64, "b" * 64)
    assert bounded(checks) and len(why) <= 2 * LIMIT


# -- fetching receipts ---------------------------------------------------------------------


class FakeClient:
    def __init__(self, doc: Any = None) -> None:
        self.doc, self.paths = doc, []

    async def get_json(self, path: str, params: Any = None) -> tuple[Any, None]:
        self.paths.append(path)
        return self.doc, None


class FakeAttestor:
    async def report(self, digest: str | None = None) -> Report:
        return Report(digest="sha256:" + "0" * 64)


@pytest.mark.parametrize("rid", ["..", ".", "abc\n", "rcpt-1\n"])
async def test_a_receipt_id_that_is_a_path_or_ends_in_a_newline_is_not_fetched(rid):
    assert receipt_id_of([("x-receipt-id", rid)]) in (None, rid.strip())
    client = FakeClient()
    kw: dict[str, Any] = {"request_sha256": "a" * 64, "response_sha256": "b" * 64}
    t = await verify_aci(
        client, FakeAttestor(), receipt_id=rid, completion_id=None, complete=True, **kw
    )
    assert t is not None and t.verdict == "unverified"
    assert (
        await verify_aci(
            client, FakeAttestor(), receipt_id=None, completion_id=rid, complete=True, **kw
        )
        is None
    )
    assert client.paths == []


async def test_hashes_of_the_wrong_type_from_a_saved_file_do_not_raise():
    doc = {"api_version": "aci/1", "key_id": "k", "signature": "00", "event_log": []}
    t = await verify_aci(
        FakeClient(doc),
        FakeAttestor(),
        receipt_id="rcpt-1",
        completion_id=None,
        request_sha256=12345,  # type: ignore[arg-type]
        response_sha256=["b"],  # type: ignore[arg-type]
        complete=True,
    )
    assert t is not None and t.verdict == "unverified"


def test_trust_lines_of_a_junk_saved_verification():
    assert trust_lines({"kind": "aci", "checks": 5})[0].startswith("receipt")
    junk = {"kind": "aci", "checks": [3, {"inputs": [1]}, {"name": "n", "inputs": {"a": [1]}}]}
    assert trust_lines(junk, inputs=True)[-1] == "      a: [1]"
    assert trust_lines([1])  # type: ignore[arg-type]
    assert trust_lines(None)  # type: ignore[arg-type]


async def test_verifying_a_turn_whose_saved_params_are_not_a_dict():
    from tui.core.conversation import Conversation
    from tui.core.session import ChatSession

    session = ChatSession(Conversation(model="m"), SimpleNamespace())
    session.attestor = FakeAttestor()
    turn = Turn.from_dict({"input": [], "params": [1], "verification": [2]})
    session.conversation.turns.append(turn)
    result = await session.verify(turn, complete=True)
    assert result.verdict in ("unverified", "not available")


def test_the_verify_screen_opens_on_a_turn_with_junk_params():
    from tui.app.screens.verify import VerifyScreen

    turn = Turn.from_dict({"input": [], "params": "x", "verification": [2]})
    assert VerifyScreen(turn, SimpleNamespace(client=None), "m").model == "m"  # type: ignore[arg-type]


# -- E2EE replies ----------------------------------------------------------------------


def e2ee() -> E2EERequest:
    return E2EERequest(algo=X25519, service_key=SERVICE_PUB, model="m")


async def chat(loopback: Any, reply: Reply, *, stream: bool, encrypted: bool = True) -> Any:
    loopback.route("/chat/completions", reply)
    client = ChatClient(loopback.base_url, key_env="TEST_KEY", max_retries=0, read_timeout=5)
    try:
        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": stream}
        acc, _ = await client.chat(body, e2ee=e2ee() if encrypted else None)
    finally:
        await client.aclose()
    return acc


async def test_an_error_member_does_not_let_plaintext_through(loopback):
    event = {
        "id": "c",
        "error": None,
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": "INJECTED"}}],
    }
    done = {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    reply = Reply.sse([event, done, "[DONE]"])
    reply.headers += E2EE_HEADERS
    acc = await chat(loopback, reply, stream=True)
    assert acc.error is not None and "INJECTED" not in json.dumps(acc.result()["choices"])
    whole = {
        "id": "c",
        "object": "chat.completion",
        "error": {"message": "x"},
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "INJECTED"},
                "finish_reason": "stop",
            }
        ],
    }
    acc = await chat(loopback, Reply.json(whole, headers=E2EE_HEADERS), stream=False)
    assert acc.error is not None and "INJECTED" not in json.dumps(acc.result()["choices"])


async def test_choices_that_are_not_a_list_are_an_error_not_an_exception(loopback):
    assert e2ee().decrypt_reply({"choices": 5}, True) == {"choices": 5}
    reply = Reply.sse([{"id": "c", "choices": 5}, "[DONE]"])
    reply.headers += E2EE_HEADERS
    acc = await chat(loopback, reply, stream=True)
    assert acc.error is not None


@pytest.mark.parametrize("encrypted", [True, False], ids=["e2ee", "clear"])
@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
async def test_a_reply_nested_too_deeply_is_an_error_not_an_exception(loopback, stream, encrypted):
    data = '{"id":"c","x":' + "[" * 5000 + "]" * 5000 + "}"
    headers = E2EE_HEADERS if encrypted else []
    if stream:
        reply = Reply(headers=[("Content-Type", "text/event-stream"), *headers])
        reply.body = f"data: {data}\n\ndata: [DONE]\n\n".encode()
    else:
        reply = Reply(headers=[("Content-Type", "application/json"), *headers], body=data.encode())
    acc = await chat(loopback, reply, stream=stream, encrypted=encrypted)
    assert acc.error is not None


def test_decrypting_a_deep_reply_does_not_recurse():
    obj = {"id": "c", "x": deep(), "choices": []}
    assert e2ee().decrypt_reply(obj, True)["x"] is obj["x"]


# -- pictures --------------------------------------------------------------------------


def test_a_picture_is_decoded_only_from_the_formats_we_send():
    from PIL import Image

    from tui.core.thumbnail import data_url_bytes, thumbnail

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (255, 0, 0)).save(out, "TIFF")
    url = "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
    assert thumbnail(data_url_bytes(url) or b"") is None
    png = io.BytesIO()
    Image.new("RGB", (8, 8), (255, 0, 0)).save(png, "PNG")
    assert thumbnail(png.getvalue()) is not None


async def test_a_fault_in_a_reply_streamed_in_pieces_is_an_error_not_an_exception(loopback):
    """An E2EE fault in the first of several network reads: the stream has begun, the
    rest cannot be read again (httpx's StreamConsumed) and must not escape chat()."""
    role = {"id": "c", "choices": [{"index": 0, "delta": {"role": "assistant"}}]}
    clear = {"id": "c", "choices": [{"index": 0, "delta": {"content": "in clear"}}]}
    reply = Reply.sse([role, clear, clear, "[DONE]"], gap=0.01)
    reply.headers += E2EE_HEADERS
    acc = await chat(loopback, reply, stream=True)
    assert acc.error is not None and "not hex" in acc.error.message


async def test_the_attestation_view_with_a_junk_saved_verification():
    """The saved verification is read before this reply's check replaces it (a file's:
    any type, its signing address too)."""
    import asyncio

    from textual.app import App
    from textual.widgets import Static

    from tests.app.conftest import until
    from tui.app.screens.verify import VerifyScreen

    async def never(*args: Any, **kw: Any) -> None:
        await asyncio.Event().wait()

    doc = {"signing_address": "0x" + "11" * 20, "signing_algo": "ecdsa"}
    session = SimpleNamespace(client=FakeClient(doc), verify=never)
    for saved in ([1], "x", {"verdict": "verified", "signing_address": 5}):
        turn = Turn.from_dict({"input": [], "verification": saved})
        app: App[None] = App()
        async with app.run_test() as pilot:
            screen = VerifyScreen(turn, session, "m")  # type: ignore[arg-type]
            await app.push_screen(screen)
            await pilot.press("a")
            status = screen.query_one("#attest-status", Static)
            await until(pilot, lambda s=status: "Attestation report (flat)" in str(s.render()))


async def test_the_legacy_fallback_gets_no_junk_completion_id():
    from tui.core.receipts import verify_turn

    client = FakeClient({"text": "t", "signature": "s", "signing_address": "a"})
    turn = Turn.from_dict({"input": [], "completion_id": ["x"]})
    turn.request_sha256, turn.response_sha256 = "a" * 64, "b" * 64
    result = await verify_turn(client, FakeAttestor(), turn, "m", True)
    assert result.verdict == "not available" and client.paths == []


def test_a_saved_turn_with_junk_trust_fields_loads_clean():
    from tui.core.turn import Turn

    turn = Turn.from_dict(
        {
            "input": [],
            "verification": ["not", "a", "dict"],
            "receipt_id": {"x": 1},
            "request_sha256": 5,
            "completion_id": ["id"],
            "e2ee": "yes",
        }
    )
    assert turn.verification is None and turn.receipt_id is None
    assert turn.request_sha256 is None and turn.completion_id is None and turn.e2ee is False


def test_a_refusal_in_clear_in_an_encrypted_reply_is_refused():
    import pytest

    from tui.api.e2ee import X25519, E2EEError, E2EERequest

    ctx = E2EERequest(
        algo=X25519,
        service_key="5dfedd3b6bd47f6fa28ee15d969d5bb0ea53774d488bdaf9df1c6e0124b3ef22",
        model="m",
    )
    chunk = {"id": "c", "choices": [{"index": 0, "delta": {"refusal": "INJECTED"}}]}
    with pytest.raises(E2EEError, match="refusal came in clear"):
        ctx.decrypt_reply(chunk, True)
