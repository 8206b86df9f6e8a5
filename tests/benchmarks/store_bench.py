"""Benchmarks of saving and searching conversations (figures, never assertions).

    python -m tests.benchmarks.bench save [--turns N]
    python -m tests.benchmarks.bench search [--conversations N]

Conversations are built the way the app builds them: each turn's request goes through
``Conversation.build`` and ``start_turn`` (the parameters the app sends, the history),
with replies of about 1 KB, some with code blocks.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

PARA = (
    "A longer paragraph of **Markdown** with `code` and a [link](https://example.com) that "
    "wraps across several lines of the terminal when rendered at eighty columns or so. "
)
CODE = "```python\n" + "\n".join(f"def f{i}(x):\n    return x * {i}" for i in range(8)) + "\n```"
WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()


def reply_text(i: int, size: int = 1000) -> str:
    head = f"## Answer {i} ({WORDS[i % len(WORDS)]})\n\n"
    body = PARA * 2 + ("\n\n" + CODE if i % 3 == 0 else "") + "\n\n- one\n- two\n- three\n\n"
    text = head + body
    while len(text) < size:
        text += PARA
    return text[:size]


def question_text(i: int, size: int = 1000) -> str:
    text = f"Question {i}: explain item {i} ({WORDS[(i * 7) % len(WORDS)]}) with an example. "
    while len(text) < size:
        text += PARA
    return text[:size]


def build_conversation(turns: int, *, reply_size: int = 1000, question_size: int = 1000) -> Any:
    """A conversation as the app makes it: every turn's request built and kept."""
    from tui.core.conversation import ChoiceRecord, Conversation

    conv = Conversation(
        model="bench",
        system="You are a helpful assistant.",
        params={"stream": True, "stream_options": {"include_usage": True}, "temperature": 0.7},
    )
    for i in range(turns):
        msgs = [{"role": "user", "content": question_text(i, question_size)}]
        request = conv.build(msgs)
        turn = conv.start_turn(msgs, request)
        raw = json.dumps(request.body(), ensure_ascii=False).encode()
        turn.live = None
        turn.choices = [
            ChoiceRecord(index=0, content=reply_text(i, reply_size), finish_reason="stop")
        ]
        turn.model = "bench"
        turn.completion_id = f"chatcmpl-{i}"
        turn.usage = {
            "prompt_tokens": 10 * i,
            "completion_tokens": 250,
            "total_tokens": 10 * i + 250,
        }
        turn.timings = {"ttft_s": 0.2, "total_s": 2.0}
        turn.request_sha256 = hashlib.sha256(raw).hexdigest()
        turn.response_sha256 = hashlib.sha256(b"r%d" % i).hexdigest()
        turn.response_complete = True
    return conv


def text_bytes(conv: Any) -> int:
    """The bytes of the message text (inputs and replies), UTF-8."""
    n = 0
    for t in conv.turns:
        for m in t.input:
            n += len(str(m.get("content") or "").encode())
        for c in t.choices:
            n += len((c.content or "").encode())
    return n


async def _save_run(conv: Any, tmp: Path) -> dict[str, Any]:
    from tests.benchmarks.bench import _app
    from tui.config import Config
    from tui.core.events import TurnFinished

    app = _app("http://127.0.0.1:9/v1", tmp, conversation=conv)
    app.config = Config(autosave=True)
    out: dict[str, Any] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for label in ("first", "after_a_turn"):
            if label == "after_a_turn":
                conv.turns[-1].verification = {"verdict": "bench"}  # the last turn changed
            t0 = time.perf_counter()
            # what the end of a turn does: the session tells its listeners (persistence)
            app.chat.session.emit(TurnFinished(conv.turns[-1]))
            t1 = time.perf_counter()
            await app.workers.wait_for_complete()
            t2 = time.perf_counter()
            out[f"{label}_ui_ms"] = (t1 - t0) * 1000
            out[f"{label}_whole_ms"] = (t2 - t0) * 1000
        path = app._saved_path or app.store.path_for(conv)
        out["file_bytes"] = path.stat().st_size
    return out


def save(as_json: bool, turns: int = 1000) -> dict[str, Any]:
    t0 = time.perf_counter()
    conv = build_conversation(turns)
    built = time.perf_counter() - t0
    text = text_bytes(conv)
    with tempfile.TemporaryDirectory() as tmp:
        r = asyncio.run(_save_run(conv, Path(tmp)))
    r.update(turns=turns, text_bytes=text, ratio=r["file_bytes"] / text, build_s=built)
    from .bench import _table

    _table(
        f"Save: a {turns}-turn conversation (end-of-turn save)",
        ["save", "UI thread ms", "whole ms"],
        [
            ["first", f"{r['first_ui_ms']:.1f}", f"{r['first_whole_ms']:.1f}"],
            ["after a turn", f"{r['after_a_turn_ui_ms']:.1f}", f"{r['after_a_turn_whole_ms']:.1f}"],
        ],
    )
    _table(
        "File size",
        ["file MB", "message text MB", "file / text"],
        [[f"{r['file_bytes'] / 1e6:.2f}", f"{text / 1e6:.2f}", f"{r['ratio']:.2f}"]],
    )
    return {"save": r}


def make_corpus(root: Path, conversations: int, turns: int = 4, reply_size: int = 11000) -> int:
    """``conversations`` saved files of about 50 KB of text each; returns their bytes."""
    from tui.core.store import Store

    store = Store(root)
    base = build_conversation(turns, reply_size=reply_size)
    total = 0
    for k in range(conversations):
        base.id = f"bench{k:05d}"
        base.title = None
        base.turns[0].input = [{"role": "user", "content": f"topic {k} " + question_text(k)}]
        total += store.save(base).stat().st_size
    return total


async def _search_run(tmp: Path, query: str) -> dict[str, Any]:
    from textual.widgets import DataTable, Input

    from tests.benchmarks.bench import _app

    app = _app("http://127.0.0.1:9/v1", tmp)
    out: dict[str, Any] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        t0 = time.perf_counter()
        app.action_conversations()
        await pilot.pause()
        screen = app.screen
        table = screen.query_one(DataTable)
        while table.row_count == 0:
            await pilot.pause()
        out["open_ms"] = (time.perf_counter() - t0) * 1000
        field = screen.query_one("#search", Input)
        inner: list[float] = []
        refill = screen.refill

        def timed(*args: Any, **kw: Any) -> None:
            r0 = time.perf_counter()
            refill(*args, **kw)
            inner.append((time.perf_counter() - r0) * 1000)

        screen.refill = timed
        times = []
        for ch in query:
            k0 = time.perf_counter()
            field.value = field.value + ch  # Input.Changed -> the list is searched
            await pilot.pause()
            times.append((time.perf_counter() - k0) * 1000)
        out["rows"] = table.row_count
        out["per_key_ms"] = times  # the key until the screen is idle again (drawn)
        out["search_ms"] = inner  # the search and the table update alone
    return out


def search(as_json: bool, conversations: int = 1000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        os.environ["REDPILL_TUI_DATA"] = str(tmp_path / "data")
        total = make_corpus(tmp_path / "data" / "conversations", conversations)
        r = asyncio.run(_search_run(tmp_path, "topic 99"))
    r.update(conversations=conversations, corpus_mb=total / 1e6)
    keys = r["per_key_ms"]
    r["median_key_ms"] = statistics.median(keys)
    r["max_key_ms"] = max(keys)
    inner = r["search_ms"] or [float("nan")]
    r["median_search_ms"] = statistics.median(inner)
    r["max_search_ms"] = max(inner)
    from .bench import _table

    _table(
        f"Search: {conversations} conversations, {total / 1e6:.0f} MB of files, typing 'topic 99'",
        [
            "open list ms",
            "search+table median ms",
            "search+table max ms",
            "key to drawn median ms",
            "key to drawn max ms",
            "rows at the end",
        ],
        [
            [
                f"{r['open_ms']:.0f}",
                f"{r['median_search_ms']:.1f}",
                f"{r['max_search_ms']:.1f}",
                f"{r['median_key_ms']:.1f}",
                f"{r['max_key_ms']:.1f}",
                r["rows"],
            ]
        ],
    )
    return {"search": r}
