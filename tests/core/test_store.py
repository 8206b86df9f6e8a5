"""Saved conversations: the file format, atomic writes, unreadable and newer files, the
conversation list (open, search, rename, duplicate, delete) and autosave mid-stream."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from tests.loopback import Reply
from tests.refdata import STREAMS, request_validator
from tui.config import data_dir, load_config, make_client, resolve_endpoint
from tui.core import store as store_mod
from tui.core.conversation import ChoiceRecord, Conversation
from tui.core.store import (
    FORMAT,
    VERSION,
    CorruptFile,
    NewerFormat,
    Store,
    StoreError,
    load_file,
    save_file,
)
from tui.core.tools import ToolSettings, ToolSpec

SECRET = "sk-test-DO-NOT-SAVE-4242"
WEATHER = ToolSpec(
    name="get_weather",
    description="Weather for a city",
    parameters='{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}',
)


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def finished_conversation(
    first: str = "What is the capital of France?", reply: str = "Paris."
) -> Conversation:
    """A conversation with one finished turn, built the way the chat screen builds it."""
    conv = Conversation(
        model="phala/test-model",
        system="Be brief.",
        profile="redpill",
        params={"stream": True, "temperature": 0.3, "stream_options": {"include_usage": True}},
    )
    conv.toolset = ToolSettings(specs=[copy.deepcopy(WEATHER)], choice="auto")
    msg = [user(first)]
    turn = conv.start_turn(msg, conv.build(msg))
    acc = turn.live
    acc.feed_chunk(
        {
            "id": "chatcmpl-1",
            "model": "phala/test-model",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": reply}}],
        }
    )
    acc.feed_chunk(
        {"id": "chatcmpl-1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    )
    acc.feed_chunk(
        {
            "id": "chatcmpl-1",
            "choices": [],
            "usage": {"prompt_tokens": 20, "completion_tokens": 2, "total_tokens": 22},
        }
    )
    acc.feed_event("[DONE]")
    acc.finish()
    turn.finish(acc)
    return conv


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "conversations")


def litter(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# -- the file format --------------------------------------------------------------------


def test_saved_file_has_the_documented_versioned_shape(store):
    conv = finished_conversation()
    path = store.save(conv)

    assert path.parent == store.root and path.name == f"{conv.id}.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format"] == FORMAT and doc["version"] == VERSION
    assert doc["id"] == conv.id
    assert doc["title"] is None  # not renamed: the list shows the first message
    assert doc["profile"] == "redpill"
    assert doc["model"] == "phala/test-model"
    assert isinstance(doc["created"], float) and doc["updated"] >= doc["created"]
    assert doc["tools"]["specs"][0]["name"] == "get_weather"
    (turn,) = doc["turns"]
    assert turn["input"] == [user("What is the capital of France?")]
    # format 2 leaves out null, false and empty values
    assert turn["choices"] == [{"index": 0, "content": "Paris.", "finish_reason": "stop"}]
    assert turn["usage"] == {"prompt_tokens": 20, "completion_tokens": 2, "total_tokens": 22}
    assert set(turn["timings"]) >= {"ttft_s", "total_s", "tokens_per_s", "completion_tokens"}
    assert turn["completion_id"] == "chatcmpl-1"
    assert "partial" not in turn
    assert isinstance(turn["started_at"], float)
    # what it sent: the parameters, never the history
    assert "messages" not in json.dumps(turn["sent"])
    assert turn["sent"]["set"]["model"] == "phala/test-model"


def test_saved_request_is_the_api_body_and_replays(store):
    conv = finished_conversation()
    # A second turn: the saved request carries the whole history, in the API's shape.
    msg = [user("And of Italy?")]
    turn = conv.start_turn(msg, conv.build(msg))
    turn.live.feed_chunk({"choices": [{"index": 0, "delta": {"content": "Rome."}}]})
    turn.live.feed_chunk({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    turn.finish(turn.live)
    path = store.save(conv)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["turns"][1]["sent"] == {}  # the same parameters as the turn before
    loaded = load_file(path)

    request = loaded.request_of(1)
    request_validator()(request)
    assert request["messages"] == [
        {"role": "system", "content": "Be brief."},
        user("What is the capital of France?"),
        {"role": "assistant", "content": "Paris."},
        user("And of Italy?"),
    ]
    assert request["temperature"] == 0.3
    assert request["tools"][0]["function"]["name"] == "get_weather"
    assert request["tool_choice"] == "auto"
    for i in range(len(loaded.turns)):
        request_validator()(loaded.request_of(i))


@pytest.mark.parametrize(
    "params",
    [
        {"n": 3, "seed": 7, "stop": ["\n\n"], "max_tokens": 50},
        {"logprobs": True, "top_logprobs": 3, "logit_bias": {"50256": -100}},
        {"response_format": {"type": "json_object"}, "presence_penalty": 0.5, "top_k": 40},
    ],
)
def test_saved_request_validates_with_other_parameters(store, params):
    conv = Conversation(model="m", params=params)
    conv.toolset = ToolSettings(specs=[copy.deepcopy(WEATHER)], choice="get_weather", legacy=True)
    msg = [user("hi, answer in JSON")]
    turn = conv.start_turn(msg, conv.build(msg))
    turn.finish(turn.live)
    request = load_file(store.save(conv)).request_of(0)
    request_validator()(request)
    for key, value in params.items():
        assert request[key] == value


def test_tool_call_turns_round_trip_and_their_history_validates(store):
    conv = Conversation(model="m", params={"stream": True})
    conv.toolset = ToolSettings(specs=[copy.deepcopy(WEATHER)])
    msg = [user("Weather in Paris?")]
    turn = conv.start_turn(msg, conv.build(msg))
    turn.finish(turn.live)
    turn.choices = [
        ChoiceRecord(
            index=0,
            tool_calls=[
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
            finish_reason="tool_calls",
        )
    ]
    turn.tool_results = {"call_1": "sunny"}
    result = [{"role": "tool", "tool_call_id": "call_1", "content": "sunny"}]
    conv.start_turn(result, conv.build(result)).finish(conv.turns[-1].live)
    path = store.save(conv)

    loaded = load_file(path)
    assert loaded.to_dict() == conv.to_dict()
    assert loaded.turns[0].tool_results == {"call_1": "sunny"}
    assert loaded.turns[0].choices[0].finish_reason == "tool_calls"
    request = loaded.request_of(1)
    request_validator()(request)
    assert request["messages"][-2]["tool_calls"][0]["id"] == "call_1"


def test_round_trip_keeps_everything(store):
    conv = finished_conversation()
    conv.title = "Capitals"
    conv.turns[0].verification = {"ok": True}
    loaded = load_file(store.save(conv))
    assert loaded.to_dict() == conv.to_dict()
    assert loaded.display_title() == "Capitals"
    assert loaded.history() == conv.history()


# -- atomic writes ----------------------------------------------------------------------


def test_a_failed_rename_leaves_the_old_file_and_no_temp(store, monkeypatch):
    conv = finished_conversation()
    path = store.save(conv)
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_mod.os, "replace", boom)
    conv.title = "changed"
    with pytest.raises(OSError):
        store.save(conv)
    assert path.read_bytes() == before
    assert litter(store.root) == []


def test_a_failed_write_or_fsync_leaves_the_old_file_and_no_temp(store, monkeypatch):
    conv = finished_conversation()
    path = store.save(conv)
    before = path.read_bytes()

    def boom(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(store_mod.os, "fsync", boom)
    conv.turns[0].choices[0].content = "something else entirely"
    with pytest.raises(OSError):
        store.save(conv)
    assert path.read_bytes() == before
    assert litter(store.root) == []
    assert load_file(path).turns[0].choices[0].content == "Paris."


def test_an_interrupt_during_json_encoding_leaves_the_old_file(store, monkeypatch):
    conv = finished_conversation()
    path = store.save(conv)
    before = path.read_bytes()

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(store_mod.json, "dumps", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.save(conv)
    assert path.read_bytes() == before
    assert litter(store.root) == []


def test_a_process_killed_mid_save_never_leaves_a_half_written_file(tmp_path):
    """A real SIGKILL between writing the temp file and renaming it."""
    root = tmp_path / "conversations"
    conv = finished_conversation()
    path = Store(root).save(conv)
    before = path.read_bytes()
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from tui.core import store as s
        conv = s.load_file(Path({str(path)!r}))
        conv.turns[0].choices[0].content = "x" * 2_000_000
        def die(*a):
            os.kill(os.getpid(), signal.SIGKILL)
        s.os.replace = die
        s.Store(Path({str(root)!r})).save(conv)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[2])
    assert proc.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    assert load_file(path).turns[0].choices[0].content == "Paris."
    # The killed process's temp file is hidden from the list, and swept once stale.
    (tmp,) = litter(root)
    entries = Store(root).list()
    assert [e.id for e in entries] == [conv.id]
    old = time.time() - store_mod.STALE_TEMP_SECONDS - 60
    os.utime(root / tmp, (old, old))
    Store(root).list()
    assert litter(root) == []


def test_a_fresh_temp_file_of_another_instance_is_not_swept(store):
    store.save(finished_conversation())
    other = store.root / ".abc.json.x1y2.tmp"
    other.write_bytes(b"{half")
    store.list()
    assert other.exists()


# -- unreadable, newer and older files ---------------------------------------------------


def test_an_unparsable_file_is_kept_aside_and_reported_not_deleted(store):
    good = store.save(finished_conversation())
    bad = store.root / "broken.json"
    bad.write_bytes(b'{"format": "redpill-tui.conversation", "version": 1, "turns": [')

    entries = store.list()

    assert [e.path for e in entries] == [good]
    assert not bad.exists()
    (aside,) = store.root.glob("broken.json.corrupt-*")
    assert aside.read_bytes() == b'{"format": "redpill-tui.conversation", "version": 1, "turns": ['
    (problem,) = store.problems
    assert "broken.json" in problem and "not valid JSON" in problem and aside.name in problem
    # Reported once: the next listing is clean, and the kept file is still there.
    store.list()
    assert store.problems == [] and aside.exists()


def test_two_broken_files_set_aside_in_the_same_second_are_both_kept(store):
    store.root.mkdir(parents=True)
    (store.root / "a.json").write_text("nope")
    store.list()
    (store.root / "a.json").write_text("nope again")
    store.list()
    kept = sorted(p.read_text() for p in store.root.glob("a.json.corrupt-*"))
    assert kept == ["nope", "nope again"]


@pytest.mark.parametrize(
    "doc, reason",
    [
        ({"hello": "world"}, "not a redpill-tui conversation"),
        ({"format": FORMAT}, "no format version"),
        ({"format": FORMAT, "version": 1, "title": 5}, "title: expected a string"),
        ({"format": FORMAT, "version": 1, "turns": "many"}, "turns: expected a list"),
        ({"format": FORMAT, "version": 1, "turns": [{"input": "hi"}]}, "turns[0].input"),
        ({"format": FORMAT, "version": 1, "params": [1, 2]}, "params: expected an object"),
    ],
)
def test_a_file_of_the_wrong_shape_is_kept_aside_with_the_reason(store, doc, reason):
    store.root.mkdir(parents=True)
    path = store.root / "odd.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(CorruptFile, match=reason.replace("[", r"\[").replace("]", r"\]")):
        load_file(path)
    assert store.list() == []
    assert reason in store.problems[0]
    assert list(store.root.glob("odd.json.corrupt-*"))


def test_a_newer_format_is_refused_listed_as_a_problem_and_never_overwritten(store):
    conv = finished_conversation()
    path = store.save(conv)
    doc = json.loads(path.read_text())
    doc["version"] = VERSION + 1
    doc["new_field"] = {"from": "the future"}
    newer = json.dumps(doc).encode()
    path.write_bytes(newer)

    with pytest.raises(NewerFormat, match=f"format version {VERSION + 1}"):
        load_file(path)
    assert store.list() == []
    assert "newer redpill-tui" in store.problems[0]
    with pytest.raises(NewerFormat):
        store.save(conv)
    assert path.read_bytes() == newer  # neither overwritten nor moved aside
    assert not list(store.root.glob("*.corrupt-*"))


def test_saving_over_a_file_that_became_unreadable_keeps_it_aside_first(store):
    conv = finished_conversation()
    path = store.save(conv)
    path.write_bytes(b"\x00garbage")
    store.save(conv)
    assert load_file(path).id == conv.id
    (aside,) = store.root.glob(f"{path.name}.corrupt-*")
    assert aside.read_bytes() == b"\x00garbage"
    store.list()
    assert any(aside.name in p for p in store.problems)


def test_an_older_version_without_newer_fields_still_loads(store):
    """What the first files looked like: no tools, no timings, no verification."""
    store.root.mkdir(parents=True)
    old = {
        "format": FORMAT,
        "version": 1,
        "id": "0123abcd",
        "model": "m",
        "request": {"model": "m", "messages": [user("hello there")]},
        "turns": [
            {
                "input": [user("hello there")],
                "choices": [{"index": 0, "content": "hi", "finish_reason": "stop"}],
            }
        ],
    }
    (store.root / "0123abcd.json").write_text(json.dumps(old))
    (entry,) = store.list()
    assert (entry.title, entry.turns, entry.model) == ("hello there", 1, "m")
    conv = load_file(entry.path)
    assert conv.history()[-1] == {"role": "assistant", "content": "hi"}
    assert conv.toolset.specs == []


def test_a_file_whose_id_is_a_path_cannot_write_outside_the_store(store, tmp_path):
    store.root.mkdir(parents=True)
    doc = {"format": FORMAT, "version": 1, "id": "../../escaped", "turns": []}
    (store.root / "planted.json").write_text(json.dumps(doc))
    (entry,) = store.list()
    conv = load_file(entry.path)
    assert "/" not in conv.id
    path = store.save(conv)
    assert path.parent == store.root
    assert not list(tmp_path.rglob("escaped.json"))
    with pytest.raises(StoreError):
        store.delete("../../escaped")


# -- the conversation list --------------------------------------------------------------


def make_saved(store: Store, first: str, reply: str, updated: float) -> Conversation:
    conv = finished_conversation(first, reply)
    store.save(conv)
    # Order by last change, set by hand so the test does not depend on the clock.
    doc = json.loads(store.path_for(conv).read_text())
    doc["updated"] = updated
    store.path_for(conv).write_text(json.dumps(doc))
    conv.updated = updated
    return conv


def test_list_newest_first_with_titles_from_the_first_message(store):
    a = make_saved(store, "Plan a trip to Lisbon\nwith details", "Sure.", 1000.0)
    b = make_saved(store, "x" * 80, "ok", 2000.0)
    entries = store.list()
    assert [e.id for e in entries] == [b.id, a.id]
    assert entries[1].title == "Plan a trip to Lisbon"
    assert entries[0].title == "x" * 60 + "…"
    assert entries[0].turns == 1 and entries[0].model == "phala/test-model"


def test_search_finds_text_in_messages_and_replies_not_json_keys(store):
    lisbon = make_saved(store, "Plan a trip to Lisbon", "Take the tram 28.", 1.0)
    soup = make_saved(store, 'Recipe for "stone soup"', "Boil a stone.", 2.0)

    def ids(q):
        return {e.id for e in store.search(q)}

    assert ids("lisbon") == {lisbon.id}  # title, any case
    assert ids("TRAM") == {lisbon.id}  # a reply
    assert ids('"stone soup"') == {soup.id}  # quotes as typed, not as JSON escapes them
    assert ids("boil stone") == {soup.id}  # every word, anywhere
    assert ids("be brief") == {lisbon.id, soup.id}  # the system prompt
    assert ids("") == {lisbon.id, soup.id}
    # Words that are only JSON keys or values of the format match nothing.
    for word in ("user", "content", "finish_reason", "stop", "choices", "assistant"):
        assert ids(word) == set(), word


def test_rename_then_title_sticks_and_is_searchable(store):
    conv = make_saved(store, "Plan a trip to Lisbon", "ok", 1.0)
    loaded = load_file(store.path_for(conv))
    loaded.title = "Portugal 2025"
    store.save(loaded)
    (entry,) = store.list()
    assert entry.title == "Portugal 2025"
    assert [e.id for e in store.search("portugal")] == [conv.id]
    assert load_file(entry.path).display_title() == "Portugal 2025"


def test_duplicate_is_an_independent_copy(store):
    conv = make_saved(store, "Plan a trip to Lisbon", "ok", 1.0)
    dup = copy.deepcopy(load_file(store.path_for(conv)))
    dup.id = uuid.uuid4().hex
    dup.title = f"{dup.display_title()} (copy)"
    dup.turns[0].choices[0].content = "changed in the copy"
    store.save(dup)
    entries = {e.id: e for e in store.list()}
    assert set(entries) == {conv.id, dup.id}
    assert entries[dup.id].title == "Plan a trip to Lisbon (copy)"
    assert load_file(store.path_for(conv)).turns[0].choices[0].content == "ok"


def test_delete_removes_only_that_conversation(store):
    a = make_saved(store, "first", "ok", 1.0)
    b = make_saved(store, "second", "ok", 2.0)
    store.delete(a.id)
    assert [e.id for e in store.list()] == [b.id]
    store.delete(a.id)  # already gone: no error


def test_delete_an_entry_removes_its_own_file_even_if_named_otherwise(store):
    conv = make_saved(store, "first", "ok", 1.0)
    copied = store.root / "copied-by-hand.json"
    copied.write_bytes(store.path_for(conv).read_bytes())
    entry = next(e for e in store.list() if e.path == copied)
    store.delete(entry)
    assert not copied.exists()
    assert store.path_for(conv).exists()


def test_list_of_a_missing_folder_is_empty(tmp_path):
    s = Store(tmp_path / "nowhere")
    assert s.list() == [] and s.search("x") == [] and s.problems == []


# -- autosave during a stream, end to end -----------------------------------------------


async def test_stream_saved_mid_way_and_at_the_end_without_the_key(loopback, monkeypatch):
    monkeypatch.setenv("REDPILL_API_KEY", SECRET)
    cfg = load_config()
    endpoint = resolve_endpoint(cfg, base_url=loopback.base_url)
    assert endpoint.api_key == SECRET
    raw = (STREAMS / "llama-server" / "n2_stream_include_usage.sse").read_bytes()
    events = [e + b"\n\n" for e in raw.replace(b"\r\n", b"\n").split(b"\n\n") if e.strip()]
    loopback.enqueue(Reply(headers=[("Content-Type", "text/event-stream")], body=events))

    store = Store(data_dir() / "conversations")
    conv = Conversation(model="gemma", profile=endpoint.profile, params={"stream": True})
    conv.params.update({"n": 2, "stream_options": {"include_usage": True}})
    msg = [user("Say hello")]
    request = conv.build(msg)
    turn = conv.start_turn(msg, request)
    snapshots: list[dict] = []

    def autosave(acc):
        # What the chat screen's timer does every few seconds during a stream.
        if not snapshots and any(c.content for c in acc.choices.values()):
            snapshots.append(json.loads(store.save(conv).read_text(encoding="utf-8")))

    client = make_client(endpoint, cfg)
    try:
        _, exchange = await client.chat(request, turn.live, on_update=autosave)
    finally:
        await client.aclose()
    turn.record_exchange(exchange)
    turn.finish(turn.live)
    path = store.save(conv)

    # The server got the key, the file never did.
    (sent,) = loopback.requests
    assert sent.headers["authorization"] == f"Bearer {SECRET}"
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text
    assert SECRET not in json.dumps(snapshots)

    (mid,) = snapshots
    assert mid["turns"][0]["partial"] is True
    assert all(c.get("finish_reason") is None for c in mid["turns"][0]["choices"])
    assert any(c["content"] for c in mid["turns"][0]["choices"])

    doc = json.loads(text)
    # The rebuilt request is exactly what went over the wire, and valid for replay.
    assert load_file(path).request_of(0) == sent.json()
    assert load_file(path).request_matches(0) is True
    request_validator()(sent.json())
    t = doc["turns"][0]
    assert "partial" not in t
    assert [c["index"] for c in t["choices"]] == [0, 1]
    assert all(c["finish_reason"] for c in t["choices"])
    assert t["usage"]["total_tokens"] == 39
    assert t["timings"]["completion_tokens"] == 12
    assert t["completion_id"] == "chatcmpl-wtC2ndJfhOiP3NlJL0uT3MQFx7LTt92B"
    assert t["response_complete"] is True and len(t["request_sha256"]) == 64
    assert doc["profile"] == "redpill"
    # Reopened from the list, it is the same conversation.
    (entry,) = store.list()
    assert load_file(entry.path).to_dict() == conv.to_dict()


def test_save_file_for_an_opened_path_writes_there(tmp_path):
    conv = finished_conversation()
    target = tmp_path / "elsewhere" / "mine.json"
    save_file(conv, target)
    assert load_file(target).id == conv.id
    assert litter(target.parent) == []
