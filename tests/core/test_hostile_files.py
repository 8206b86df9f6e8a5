"""Hostile files and values in the core: lone surrogates in a conversation, FIFOs and
other non-files in the conversations folder, replies cut off by a killed process, secret
profile headers in exports and in the config file."""

from __future__ import annotations

import json
import os
import shlex
import socket
import stat
import threading
from pathlib import Path

import pytest

from tests.loopback import Reply
from tui.api.accumulate import StreamAccumulator
from tui.config import load_config
from tui.core.conversation import Conversation
from tui.core.export import curl_command, httpx_snippet
from tui.core.store import Store, StoreError, encode_document, load_file, to_document

HEADER_SECRET = "goog-Header-Secret-5150"


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def conversation(reply: str = "Paris.", question: str = "Capital of France?") -> Conversation:
    conv = Conversation(model="m", params={"stream": True})
    msg = [user(question)]
    turn = conv.start_turn(msg, conv.build(msg))
    turn.live.feed_chunk({"id": "c1", "choices": [{"index": 0, "delta": {"content": reply}}]})
    turn.live.feed_chunk({"id": "c1", "choices": [{"index": 0, "finish_reason": "stop"}]})
    turn.live.finish()
    turn.finish(turn.live)
    return conv


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "conversations")


def in_thread(fn, timeout: float = 10.0):
    """Run ``fn`` where a hang fails the test instead of blocking it forever."""
    box: dict = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 (re-raised below)
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "hung"
    if "error" in box:
        raise box["error"]
    return box["value"]


# -- lone surrogates -------------------------------------------------------------------------


def test_a_conversation_with_lone_surrogates_saves_and_reloads(store):
    conv = conversation(reply="pair \ud83d\ude00")
    conv.turns[0].input[0]["content"] = "pasted \udcff text"
    conv.turns[0].choices[0].content = "lone \ud83d end"  # e.g. from an old file
    conv.system = "sys \ud800"
    path = store.save(conv)
    back = load_file(path)
    assert back.turns[0].input[0]["content"] == "pasted \ufffd text"
    assert back.turns[0].choices[0].content == "lone \ufffd end"
    assert back.system == "sys \ufffd"
    compact = encode_document(to_document(conv), compact=True)
    assert json.loads(compact)["system"] == "sys \ufffd"


# -- not regular files ----------------------------------------------------------------------


def test_fifos_sockets_and_directories_named_json_are_skipped_never_opened(store):
    good = conversation()
    store.save(good)
    os.mkfifo(store.root / "x.json")
    (store.root / "dir.json").mkdir()
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(store.root / "s.json"))
        (store.root / "null.json").symlink_to(os.devnull)
        entries = in_thread(store.list)
        assert [e.id for e in entries] == [good.id]
        for name in ("x.json", "dir.json", "s.json", "null.json"):
            assert any(name in p and "not a regular file" in p for p in store.problems), name
        assert [e.id for e in in_thread(lambda: store.search("France"))] == [good.id]
        with pytest.raises(StoreError, match="not a regular file"):
            in_thread(lambda: load_file(store.root / "x.json"))
        # Nothing was moved aside or deleted: they are not ours.
        assert stat.S_ISFIFO(os.lstat(store.root / "x.json").st_mode)
        assert (store.root / "dir.json").is_dir()
    finally:
        sock.close()


# -- replies cut off by a killed process -----------------------------------------------------


def saved_mid_stream(store: Store) -> Path:
    """What the app's autosave leaves when the process is killed while a reply streams."""
    conv = conversation()
    msg = [user("And of Italy?")]
    turn = conv.start_turn(msg, conv.build(msg))
    turn.live.feed_chunk({"id": "c2", "choices": [{"index": 0, "delta": {"content": "Ro"}}]})
    return store.save(conv)  # ... and then kill -9: never saved again


def test_a_reply_saved_mid_stream_reopens_as_interrupted(store):
    path = saved_mid_stream(store)
    conv = load_file(path)
    first, second = conv.turns
    assert not first.interrupted
    assert second.interrupted
    assert second.choices[0].content == "Ro"
    assert second.error is not None and "cut off" in second.error["message"]
    assert conv.interrupted_turns() == [second]
    assert conv.interrupted_turns(upto=1) == []
    # Saved again, it stays interrupted; a finished reply clears the mark.
    again = load_file(store.save(conv))
    assert again.turns[1].interrupted
    assert again.interrupted_turns() == [again.turns[1]]


def test_a_finished_turn_clears_the_interrupted_mark(store):
    conv = load_file(saved_mid_stream(store))
    turn = conv.turns[1]
    turn.live = StreamAccumulator()  # continued (what the app does when it resumes)
    turn.live.feed_chunk({"id": "c3", "choices": [{"index": 0, "delta": {"content": "Rome"}}]})
    turn.live.finish()
    turn.finish(turn.live)
    assert not turn.interrupted
    assert conv.interrupted_turns() == []


def test_old_files_load_with_or_without_the_partial_field(store):
    path = saved_mid_stream(store)
    doc = json.loads(path.read_text(encoding="utf-8"))
    for turn in doc["turns"]:
        turn.pop("interrupted", None)  # format 2 leaves out false values
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert [t.interrupted for t in load_file(path).turns] == [False, True]
    for turn in doc["turns"]:
        turn.pop("partial", None)
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert [t.interrupted for t in load_file(path).turns] == [False, False]


# -- secret profile headers ------------------------------------------------------------------

SECRET_HEADERS = {
    "X-Goog-Api-Key": HEADER_SECRET,
    "Ocp-Apim-Subscription-Key": HEADER_SECRET + "-2",
    "X-Auth-Token": HEADER_SECRET + "-3",
    "x-trace": "plain-value",
}


def test_exports_write_secret_headers_as_variables_never_their_values():
    body = {"model": "m", "messages": [user("hi")]}
    curl = curl_command(body, "http://h/v1", "REDPILL_API_KEY", SECRET_HEADERS)
    snippet = httpx_snippet(body, "http://h/v1", "REDPILL_API_KEY", SECRET_HEADERS)
    assert HEADER_SECRET not in curl and HEADER_SECRET not in snippet
    args = shlex.split(curl.replace("\\\n", " "))
    sent = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "-H"]
    assert "X-Goog-Api-Key: $X_GOOG_API_KEY" in sent
    assert "Ocp-Apim-Subscription-Key: $OCP_APIM_SUBSCRIPTION_KEY" in sent
    assert "X-Auth-Token: $X_AUTH_TOKEN" in sent
    assert "x-trace: plain-value" in sent
    compile(snippet, "snippet.py", "exec")
    assert "os.environ['X_GOOG_API_KEY']" in snippet


def test_the_curl_export_sends_the_secret_header_from_its_variable(loopback):
    import shutil
    import subprocess

    if not shutil.which("curl") or not shutil.which("bash"):
        pytest.skip("needs curl and bash")
    loopback.enqueue(Reply.json({"choices": []}))
    body = {"model": "m", "messages": [user("hi")]}
    cmd = curl_command(body, loopback.base_url, None, {"X-Goog-Api-Key": HEADER_SECRET})
    env = {**os.environ, "X_GOOG_API_KEY": "from-the-environment"}
    proc = subprocess.run(["bash", "-c", cmd], env=env, capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert loopback.requests[0].headers["x-goog-api-key"] == "from-the-environment"


@pytest.mark.parametrize("header", ["X-Goog-Api-Key", "Ocp-Apim-Subscription-Key", "X-Auth-Token"])
def test_a_config_with_a_secret_header_is_kept_private(tmp_path, header):
    path = tmp_path / "config.toml"
    path.write_text(
        f'[profiles.p]\nbase_url = "https://h/v1"\nheaders = {{ "{header}" = "v-secret" }}\n',
        encoding="utf-8",
    )
    path.chmod(0o644)
    cfg = load_config(path)
    assert cfg.profiles["p"].headers == {header: "v-secret"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_config_with_only_plain_headers_keeps_its_mode(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[profiles.p]\nheaders = { "x-trace" = "t" }\n', encoding="utf-8")
    path.chmod(0o644)
    load_config(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
