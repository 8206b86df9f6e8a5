"""The index behind the conversation list and its search: in step with the files, rebuilt
when missing or broken, never the source of truth, and never touching a file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import tui.core.store as store_module
from tui.core.conversation import ChoiceRecord, Conversation, Turn
from tui.core.index import NAME, Index, fts5_available
from tui.core.store import VERSION, Store, load_file


def saved(store: Store, question: str, reply: str, when: float = 1.0) -> Conversation:
    conv = Conversation(model="m", system="Be brief.")
    turn = Turn(input=[{"role": "user", "content": question}])
    turn.choices = [ChoiceRecord(index=0, content=reply, finish_reason="stop")]
    conv.turns.append(turn)
    store.save(conv)
    # the list orders by ``updated``: set it as saved, the way another save would
    path = store.path_for(conv)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["updated"] = conv.updated = when
    path.write_text(json.dumps(doc), encoding="utf-8")
    return conv


@pytest.fixture(params=["fts5", "plain"])
def store(request, tmp_path) -> Store:
    s = Store(tmp_path / "conversations")
    if request.param == "plain":
        s.index = Index(s.root / NAME, fts=False)  # an SQLite built without FTS5
    elif not fts5_available():
        pytest.skip("this SQLite has no FTS5")
    return s


def ids(store: Store, text: str) -> set[str]:
    return {e.id for e in store.search(text)}


def folder_state(root: Path) -> dict[str, tuple[int, bytes]]:
    return {
        p.name: (p.stat().st_mtime_ns, p.read_bytes())
        for p in root.iterdir()
        if not p.name.startswith(NAME)
    }


def test_search_queries_the_index_and_reads_no_unchanged_file(store, monkeypatch):
    lisbon = saved(store, "Plan a trip to Lisbon", "Take the tram 28.", 2.0)
    saved(store, "Recipe for stone soup", "Boil a stone.", 1.0)
    assert [e.id for e in store.list()][0] == lisbon.id

    def no_reading(path):
        raise AssertionError(f"{path} read during a search")

    monkeypatch.setattr(store_module, "load_file", no_reading)
    for typed in ("l", "li", "lis", "lisb", "lisbo", "lisbon"):
        assert ids(store, typed) == {lisbon.id}
    assert ids(store, "TRAM 28") == {lisbon.id}


def test_the_index_follows_save_rename_and_delete(store):
    a = saved(store, "first topic", "ok")
    b = saved(store, "second topic", "ok", 2.0)
    assert ids(store, "topic") == {a.id, b.id}
    loaded = load_file(store.path_for(a))
    loaded.title = "Portugal 2025"
    store.save(loaded)  # a rename, as the list does it
    (entry,) = store.search("portugal")
    assert entry.id == a.id and entry.title == "Portugal 2025"
    loaded.turns[0].choices = [ChoiceRecord(index=0, content="now about zebras")]
    loaded.turns.append(Turn(input=[{"role": "user", "content": "and giraffes"}]))
    store.save(loaded)
    (entry,) = store.search("zebras giraffes")
    assert entry.turns == 2
    store.delete(b.id)
    assert ids(store, "topic") == {a.id}
    assert [e.id for e in store.list()] == [a.id]


def test_a_file_changed_by_another_instance_is_read_again(store):
    conv = saved(store, "old words", "ok")
    assert ids(store, "old") == {conv.id}
    path = store.path_for(conv)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["turns"][0]["input"][0]["content"] = "brand new words, longer than before"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert ids(store, "old") == set()
    assert ids(store, "brand") == {conv.id}
    (store.root / "copied.json").write_bytes(path.read_bytes())
    assert len(store.search("brand")) == 2


@pytest.mark.parametrize("damage", ["deleted", "garbage", "truncated", "foreign"])
def test_a_missing_or_broken_index_is_rebuilt_from_the_files(store, damage):
    a = saved(store, "alpha question", "ok")
    b = saved(store, "beta question", "ok", 2.0)
    store.list()
    index = store.root / NAME
    assert index.exists()
    if damage == "deleted":
        index.unlink()
    elif damage == "garbage":
        index.write_bytes(b"this is not a database at all" * 100)
    elif damage == "truncated":
        index.write_bytes(index.read_bytes()[:200])
    else:
        import sqlite3

        index.unlink()
        with sqlite3.connect(index) as db:
            db.execute("create table conv (x)")
    assert [e.id for e in store.list()] == [b.id, a.id]
    assert ids(store, "alpha") == {a.id}
    assert store.problems == []


@pytest.mark.parametrize(
    "typed",
    ['"', "AND (", "OR", "NOT x", "a*", "*", "NEAR(a b)", "^x", "col:x", "-x", "'", "((", "\\"],
)
def test_query_syntax_typed_is_text_never_an_error(store, typed):
    conv = saved(store, 'Say "hello" AND (then) NOT OR', "ok")
    found = ids(store, typed)
    assert found <= {conv.id}


def test_search_never_renames_or_modifies_a_file(store):
    saved(store, "good one", "ok")
    store.root.joinpath("broken.json").write_text('{"format": "redpill-tui.conversation", "ver')
    newer = json.loads(store.path_for(saved(store, "from the future", "ok")).read_text())
    newer["version"] = VERSION + 1
    store.root.joinpath("newer.json").write_text(json.dumps(newer))
    store.root.joinpath("odd.json").write_text(json.dumps({"format": "x"}))
    before = folder_state(store.root)
    for typed in ("", "g", "go", "good", '"', "AND (", "broken"):
        store.search(typed)
        assert any("broken.json" in p for p in store.problems)
        assert any("newer" in p for p in store.problems)
    assert folder_state(store.root) == before
    # Opening the list (not typing) keeps an unreadable file aside, as before.
    store.list()
    assert not store.root.joinpath("broken.json").exists()
    assert list(store.root.glob("broken.json.corrupt-*"))
    assert store.root.joinpath("newer.json").exists()


def test_a_fifo_is_reported_not_read(store):
    saved(store, "good one", "ok")
    os.mkfifo(store.root / "fifo.json")
    assert len(store.search("good")) == 1
    assert any("not a regular file" in p for p in store.problems)
