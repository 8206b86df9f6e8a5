"""The shapes every layer shares: one definition each (tui/api/shapes.py)."""

from __future__ import annotations

from typing import Any

from tests.api import chunk
from tests.refdata import request_validator
from tui.api.accumulate import StreamAccumulator
from tui.api.schema import validate_request
from tui.api.shapes import (
    api_tool_calls,
    assistant_message,
    content_text,
    prune_stream_options,
    with_text,
)
from tui.core.conversation import Conversation
from tui.core.sendcheck import calls_of, result_messages
from tui.core.turn import Turn

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}


def test_content_text_of_a_string_a_list_and_nothing():
    assert content_text("hello") == "hello"
    parts = [{"type": "text", "text": "one"}, IMAGE, {"type": "text", "text": "two"}]
    assert content_text(parts) == "one\ntwo"
    shown = content_text(parts, placeholders=True)  # an image: its type, size, hash
    assert shown.startswith("one\n[image image/png, 0.0 KB, sha256 ") and shown.endswith("]\ntwo")
    other = [{"type": "input_audio", "input_audio": {}}, {"type": "image_url", "image_url": {}}]
    assert content_text(other, placeholders=True) == "[input_audio]\n[image]"
    url = [{"type": "image_url", "image_url": {"url": "https://x/cat.png"}}]
    assert content_text(url, placeholders=True) == "[image https://x/cat.png]"
    assert content_text(None) == ""
    assert content_text([{"type": "text", "text": 3}, "junk"]) == ""


def test_a_call_without_an_id_gets_the_same_id_in_the_history_and_in_the_results():
    # Streamed with wire indexes 1 and 2 and no ids: the history's assistant message and
    # the tool messages answering it must name the same calls.
    acc = StreamAccumulator()
    for c in (
        chunk(tool_calls=[{"index": 1, "type": "function", "function": {"name": "f"}}]),
        chunk(tool_calls=[{"index": 1, "function": {"arguments": "{}"}}]),
        chunk(tool_calls=[{"index": 2, "function": {"name": "g", "arguments": "{}"}}]),
        chunk(finish="tool_calls"),
    ):
        acc.feed_chunk(c)
    acc.finish()
    conv = Conversation(model="m")
    turn = Turn(input=[{"role": "user", "content": "go"}])
    turn.finish(acc)
    conv.turns.append(turn)
    ids = [c["id"] for c in conv.history()[-1]["tool_calls"]]
    assert ids == ["call_0_0", "call_0_1"]
    assert [c["id"] for c in calls_of(turn)] == ids
    results = result_messages(turn)
    assert [m["tool_call_id"] for m in results] == ids
    body = conv.build(results).body()
    request_validator()(body)


def test_given_ids_are_kept_and_a_bare_reply_sends_its_refusal():
    calls = [{"id": "call_x", "function": {"name": "f", "arguments": '{"a": 1}'}}, {}]
    assert api_tool_calls(2, calls) == [
        {"id": "call_x", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}},
        {"id": "call_2_1", "type": "function", "function": {"name": "", "arguments": ""}},
    ]
    assert assistant_message(0, content=None, refusal="no") == {
        "role": "assistant",
        "content": "no",
    }
    fc: dict[str, Any] = {"name": "f"}
    assert assistant_message(0, content="", function_call=fc) == {
        "role": "assistant",
        "content": None,
        "function_call": {"name": "f", "arguments": ""},
    }


def test_stream_options_only_with_stream():
    opts = {"include_usage": True}
    assert prune_stream_options({"stream": False, "stream_options": opts}) == {"stream": False}
    assert prune_stream_options({"stream_options": opts}) == {}
    kept = prune_stream_options({"stream": True, "stream_options": opts})
    validate_request({"model": "m", "messages": [{"role": "user", "content": "x"}], **kept})


def test_with_text_replaces_the_text_and_keeps_every_other_part() -> None:
    image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    audio = {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}
    assert with_text("old", "new") == "new"
    assert with_text(None, "new") == "new"
    two = [{"type": "text", "text": "a"}, image, {"type": "text", "text": "b"}, audio]
    assert with_text(two, "new") == [{"type": "text", "text": "new"}, image, audio]
    assert with_text([image], "new") == [{"type": "text", "text": "new"}, image]
    assert with_text([image, {"type": "text", "text": "x"}], "y") == [
        image,
        {"type": "text", "text": "y"},
    ]
