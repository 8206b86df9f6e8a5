"""Format 2: a turn stores what it sent without the history; the exact request of every
turn is rebuilt on demand, version 1 files are upgraded, snapshots are immutable."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tui.core.conversation import ChoiceRecord, Conversation
from tui.core.document import Snapshot
from tui.core.sent import body_bytes
from tui.core.store import VERSION, Store, load_file
from tui.core.tools import ToolSettings, ToolSpec

V1 = Path(__file__).parents[1] / "data" / "store" / "conversation-v1.json"

WEATHER = ToolSpec(
    name="get_weather",
    description="Weather for a city",
    parameters='{"type": "object", "properties": {"city": {"type": "string"}}}',
)


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def sha(body: dict) -> str:
    return hashlib.sha256(body_bytes(body)).hexdigest()


class Sender:
    """The core's send path as the chat screen drives it; keeps every body sent."""

    def __init__(self, conv: Conversation) -> None:
        self.conv = conv
        self.sent: list[tuple[int, dict]] = []  # (turn index, body), in order

    def send(self, messages, *, upto=None, again=None, reply="ok", n=1, tool_call=False):
        conv = self.conv
        request = conv.build(messages, upto=upto)
        body = request.body()
        if upto is not None:
            conv.truncate(upto)
        turn = conv.start_turn(messages, request)
        if again is not None:
            turn.earlier = again.all_replies()
            turn.reply_no = len(turn.earlier)
        turn.finish(turn.live)
        turn.choices = [
            ChoiceRecord(index=i, content=f"{reply} #{i}", finish_reason="stop") for i in range(n)
        ]
        if tool_call:
            turn.choices[0].content = None
            turn.choices[0].tool_calls = [
                {
                    "id": f"call_{len(conv.turns)}",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                }
            ]
        turn.request_sha256 = sha(body)
        self.sent.append((len(conv.turns) - 1, body))
        return turn


def long_conversation() -> tuple[Conversation, list[tuple[int, dict]]]:
    """60 turns: changed parameters, tools and system prompt, n=2 with another choice
    kept, tool calls and results, edits (truncate and resend) and regenerates."""
    conv = Conversation(model="m", system="Be brief.", params={"stream": True})
    s = Sender(conv)
    for i in range(60):
        if i == 5:
            conv.params["temperature"] = 0.5
        if i == 9:
            conv.toolset = ToolSettings(specs=[copy.deepcopy(WEATHER)], choice="auto")
        if i == 12:
            conv.system = "Be very brief. ☃"
        if i == 15:
            conv.params.pop("temperature")
            conv.params["n"] = 2
        if i == 20:
            conv.params.pop("n")
            conv.system = "   "  # blank: no system message at all
        if i == 25:
            conv.model = "other-model"
            conv.system = "Back again."
        if i % 11 == 10 and conv.toolset.specs:
            s.send([user(f"weather {i}?")], tool_call=True)
            call = conv.turns[-1].choices[0].tool_calls[0]["id"]
            s.send([{"role": "tool", "tool_call_id": call, "content": "sunny"}])
            continue
        turn = s.send(
            [user(f'question {i} ¿"quoted"?\n```py\nx = {i}\n```')], n=2 if 15 <= i < 20 else 1
        )
        if 15 <= i < 20:
            turn.chosen = 1  # "use this choice" on the last turn, before the next send
        if i % 7 == 3:  # edit the last message and resend
            s.send([user(f"edited {i}")], upto=len(conv.turns) - 1)
        if i % 9 == 4:  # regenerate the last reply with other settings
            conv.params["seed"] = i
            last = conv.turns[-1]
            s.send(last.input, upto=len(conv.turns) - 1, again=last, reply=f"again {i}")
            conv.params.pop("seed")
        if i % 13 == 6:  # flip back to the first reply (only the last turn can)
            last = conv.turns[-1]
            if last.replies > 1:
                last.show_reply(0)
    return conv, s.sent


def check_every_request(conv: Conversation, sent: list[tuple[int, dict]]) -> None:
    """Each turn's (and each of its replies') rebuilt request is the body sent."""
    for index, turn in enumerate(conv.turns):
        for number in range(turn.replies):
            fields = turn.reply_fields(number)
            body = conv.request_of(index, number)
            assert sha(body) == fields["request_sha256"], (index, number)
            assert conv.request_matches(index, number) is True
            assert any(body == b and index == i for i, b in sent)


def test_every_turn_of_a_long_conversation_rebuilds_its_request(tmp_path):
    conv, sent = long_conversation()
    assert len(conv.turns) > 50
    assert all(t.sent_body is None for t in conv.turns)  # none kept verbatim
    check_every_request(conv, sent)
    loaded = load_file(Store(tmp_path).save(conv))
    check_every_request(loaded, sent)
    assert loaded.to_dict() == conv.to_dict()


def test_the_file_does_not_grow_with_the_square_of_the_turns(tmp_path):
    conv, _ = long_conversation()
    path = Store(tmp_path).save(conv)
    text = path.read_text(encoding="utf-8")
    assert "question 0 " in text and text.count("question 0 ") == 1
    assert json.loads(text)["version"] == VERSION == 2


def test_only_the_last_turn_flips_and_earlier_requests_stay_exact():
    """The invariant: a turn's history never changes once a later turn exists. The
    replies of a regenerated turn each keep the request they were sent with."""
    conv, sent = long_conversation()
    s = Sender(conv)
    s.sent = sent
    first = s.send([user("one")], reply="first")
    s.send(first.input, upto=len(conv.turns) - 1, again=first, reply="second")
    last = conv.turns[-1]
    last.show_reply(0)
    check_every_request(conv, s.sent)
    s.send([user("after the flip")])  # continues from reply 0
    assert s.sent[-1][1]["messages"][-2] == {"role": "assistant", "content": "first #0"}
    check_every_request(conv, s.sent)


def test_a_request_that_cannot_be_rebuilt_is_kept_verbatim(tmp_path):
    conv = Conversation(model="m")
    s = Sender(conv)
    s.send([user("hi")])
    odd = {"model": "m", "messages": [user("not the history"), user("hi")], "x_vendor": 1}
    conv.turns[0].sent_body = odd
    conv.turns[0].request_sha256 = sha(odd)
    loaded = load_file(Store(tmp_path).save(conv))
    assert loaded.request_of(0) == odd and loaded.request_matches(0) is True


# -- version 1 -------------------------------------------------------------------------------


def test_a_version_1_file_is_upgraded_on_open_with_every_request_exact(tmp_path):
    v1 = json.loads(V1.read_text(encoding="utf-8"))
    assert v1["version"] == 1
    path = tmp_path / "conversations" / V1.name
    path.parent.mkdir()
    shutil.copy(V1, path)
    conv = load_file(path)
    assert len(conv.turns) == 5
    assert conv.turns[3].replies == 2 and conv.turns[0].chosen == 1
    assert conv.turns[4].error is not None
    for index, (turn, old) in enumerate(zip(conv.turns, v1["turns"], strict=True)):
        olds = [*old["earlier"][: old["reply_no"]], old, *old["earlier"][old["reply_no"] :]]
        for number, reply in enumerate(olds):
            assert conv.request_of(index, number) == reply["request"]
            assert body_bytes(conv.request_of(index, number)) == body_bytes(reply["request"])
            assert conv.request_matches(index, number) is True
        assert turn.sent_body is None  # every one of them rebuilt: none kept verbatim
    # written back as version 2, smaller, and the same on the next open
    store = Store(path.parent)
    saved = store.save(conv)
    doc = json.loads(saved.read_text(encoding="utf-8"))
    assert doc["version"] == 2 and '"request":' not in json.dumps(doc["turns"])
    assert saved.stat().st_size < V1.stat().st_size
    again = load_file(saved)
    for index, old in enumerate(v1["turns"]):
        assert again.request_of(index) == old["request"]


def test_a_newer_version_is_refused_with_a_clear_message(tmp_path):
    from tui.core.store import NewerFormat

    doc = json.loads(V1.read_text(encoding="utf-8"))
    doc["version"] = VERSION + 1
    path = tmp_path / "x.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(NewerFormat, match="newer redpill-tui"):
        load_file(path)


# -- snapshots ------------------------------------------------------------------------------


def test_a_snapshot_does_not_change_when_the_conversation_does():
    conv, _ = long_conversation()
    snap = Snapshot(conv)
    before = snap.encode()
    last = conv.turns[-1]
    last.chosen = 5
    last.tool_results["call_x"] = "typed"
    last.verification = {"verdict": "verified"}
    conv.params["temperature"] = 1.5
    conv.toolset.specs[0].name = "renamed"
    conv.turns[-2].input.append(user("never done, but still"))
    assert snap.encode() == before


def test_a_new_snapshot_sees_every_change_even_in_place():
    conv, _ = long_conversation()
    Snapshot(conv).encode()
    last = conv.turns[-1]
    last.tool_results["call_x"] = "typed"  # edited in place by the tool-result boxes
    doc = json.loads(Snapshot(conv).encode())
    assert doc["turns"][-1]["tool_results"] == {"call_x": "typed"}
    last.verification = {"verdict": "verified"}
    last.chosen = 0
    doc = json.loads(Snapshot(conv).encode())
    assert doc["turns"][-1]["verification"] == {"verdict": "verified"}
    # the cached turns are the same objects; the changed one is new
    a, b = Snapshot(conv), Snapshot(conv)
    assert all(x is y for x, y in zip(a.turns, b.turns, strict=True))
