"""Reasoning sent back with the history only when the user asks: off by default; on, the
assistant message carries it under the key chosen (reasoning_content or reasoning); the
setting is saved with the conversation; and what each turn sent rebuilds exactly whatever
the setting is later."""

from __future__ import annotations

import hashlib

import pytest

from tests.loopback import Reply, chunk
from tests.refdata import request_validator
from tui.api.client import ChatClient
from tui.core import sent as sent_mod
from tui.core.conversation import Conversation
from tui.core.session import ChatSession
from tui.core.store import load_file, save_file


def thinking_reply(answer: str) -> Reply:
    return Reply.sse(
        [
            chunk(0, role="assistant", reasoning_content="Let me think. "),
            chunk(0, f"<think>more</think>{answer}" if answer == "B" else answer),
            chunk(0, finish="stop"),
            "[DONE]",
        ]
    )


@pytest.fixture
async def client(loopback):
    c = ChatClient(loopback.base_url, key_env="TEST_KEY", max_retries=0, read_timeout=5)
    yield c
    await c.aclose()


def chats(loopback) -> list[dict]:
    return [r.json() for r in loopback.requests if r.path.endswith("/chat/completions")]


async def test_reasoning_goes_back_only_when_asked_and_each_request_stays_exact(
    loopback, client, tmp_path
):
    for answer in ("A", "B", "C", "D"):
        loopback.enqueue(thinking_reply(answer))
    session = ChatSession(Conversation(model="m", params={"stream": True}), client)
    await session.run(session.send("one"))
    await session.run(session.send("two"))
    off = chats(loopback)[-1]["messages"]
    assert off[1] == {"role": "assistant", "content": "A"}  # not sent back by default

    session.set_resend_reasoning("reasoning_content")
    await session.run(session.send("three"))
    on = chats(loopback)[-1]["messages"]
    assert on[1] == {"role": "assistant", "content": "A", "reasoning_content": "Let me think. "}
    # the inline <think> block is reasoning too, and goes back the same way
    assert on[3]["reasoning_content"] == "Let me think. more" and on[3]["content"] == "B"
    request_validator()(chats(loopback)[-1])  # the OpenAI schema allows the extra key

    session.set_resend_reasoning("reasoning")
    assert session.preview()["messages"][1]["reasoning"] == "Let me think. "
    session.set_resend_reasoning("bogus")  # not a key we know: off
    assert session.conversation.resend_reasoning is None
    await session.run(session.send("four"))
    assert "reasoning_content" not in chats(loopback)[-1]["messages"][1]

    # each saved turn rebuilds to the bytes it sent (the third verbatim, the others from
    # parameters), whatever the setting is now
    conv = session.conversation
    conv.resend_reasoning = "reasoning_content"
    path = tmp_path / "c.json"
    save_file(conv, path)
    loaded = load_file(path)
    assert loaded.resend_reasoning == "reasoning_content"
    loaded.resend_reasoning = None
    for i, body in enumerate(chats(loopback)):
        rebuilt = loaded.request_of(i)
        assert sent_mod.body_bytes(rebuilt) == sent_mod.body_bytes(body), i
        want = hashlib.sha256(sent_mod.body_bytes(body)).hexdigest()
        assert loaded.turns[i].request_sha256 in (None, want) or loaded.request_matches(i)


def test_a_hand_edited_setting_is_ignored():
    conv = Conversation.from_dict({"resend_reasoning": "x\x1b[31m"})
    assert conv.resend_reasoning is None
