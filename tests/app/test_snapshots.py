"""Snapshots of the main layouts. Update with: pytest tests/app/test_snapshots.py --snapshot-update"""

from __future__ import annotations

from tests.app.conftest import make_app
from tui.config import Config
from tui.core.conversation import ChoiceRecord, Conversation, Turn
from tui.core.store import Store
from tui.core.tools import ToolSpec

BASE = "http://127.0.0.1:9/v1"  # never contacted: these apps only render


def sample_conversation() -> Conversation:
    conv = Conversation(id="snap", title="Snapshot", model="test-model", created=0, updated=0)
    conv.params = {"stream": True, "temperature": 0.7, "n": 2}
    t1 = Turn(
        input=[{"role": "user", "content": "Write a haiku about terminals."}], id="t1", started_at=0
    )
    t1.params = {"model": "test-model", "n": 1}
    t1.choices = [
        ChoiceRecord(
            index=0,
            content="Green glyphs on the dark,\n\nthe cursor blinks, patient still —\n\n"
            "**enter** sends the night.",
            finish_reason="stop",
        )
    ]
    t1.model = "test-model"
    t1.usage = {"prompt_tokens": 12, "completion_tokens": 17, "total_tokens": 29}
    t1.timings = {"ttft_s": 0.12, "total_s": 0.5, "tokens_per_s": 42.0}
    t2 = Turn(
        input=[{"role": "user", "content": "Two ways to reverse a list in Python?"}],
        id="t2",
        started_at=0,
    )
    t2.params = {"model": "test-model", "n": 2}
    t2.choices = [
        ChoiceRecord(
            index=0, content="Use slicing:\n\n```python\nitems[::-1]\n```", finish_reason="stop"
        ),
        ChoiceRecord(
            index=1,
            content="Use `reversed(items)` or `items.reverse()` in place.",
            finish_reason="length",
        ),
    ]
    t2.model = "test-model"
    t2.usage = {"prompt_tokens": 40, "completion_tokens": 30, "total_tokens": 70}
    t2.timings = {"ttft_s": 0.08, "total_s": 0.4, "tokens_per_s": 75.0}
    t2.seed = 7
    conv.turns = [t1, t2]
    return conv


def app_with(conv: Conversation | None = None, **kw):
    return make_app(
        BASE, conversation=conv or sample_conversation(), config=Config(autosave=False), **kw
    )


async def _settle(pilot):
    await pilot.pause()
    await pilot.pause()


def test_main_layout_120x40(snap_compare):
    assert snap_compare(app_with(), terminal_size=(120, 40), run_before=_settle)


def test_main_layout_80x24_sidebar_collapsed(snap_compare):
    assert snap_compare(app_with(), terminal_size=(80, 24), run_before=_settle)


def test_choices_side_by_side(snap_compare):
    async def columns(pilot):
        await _settle(pilot)
        await pilot.press("f3")
        await _settle(pilot)

    assert snap_compare(app_with(), terminal_size=(120, 40), run_before=columns)


def test_tool_editor(snap_compare):
    conv = sample_conversation()
    conv.toolset.specs = [
        ToolSpec(
            name="get_weather",
            description="Weather in a city",
            parameters='{\n  "type": "object",\n  "properties": {"city": {"type": "string"}},\n  "required": ["city"]\n}',
        ),
        ToolSpec(name="bad name", parameters='{"type": "array"}'),
    ]

    async def editor(pilot):
        await _settle(pilot)
        await pilot.press("f8")
        await _settle(pilot)

    assert snap_compare(app_with(conv), terminal_size=(120, 40), run_before=editor)


def test_conversation_list(snap_compare, tmp_path, monkeypatch):
    data = tmp_path / "list-data"
    monkeypatch.setenv("REDPILL_TUI_DATA", str(data))
    store = Store(data / "conversations")
    for i, title in enumerate(["Haiku about terminals", "Reversing lists", "Tool calls in Rome"]):
        conv = sample_conversation()
        conv.id, conv.title = f"c{i}", title
        store.save(conv)
    # fixed times so the snapshot is stable
    for i, entry in enumerate(store.list()):
        import json

        doc = json.loads(entry.path.read_text())
        doc["updated"] = 1_700_000_000 + i * 3600
        entry.path.write_text(json.dumps(doc))

    async def listing(pilot):
        await _settle(pilot)
        await pilot.press("f5")
        await _settle(pilot)

    assert snap_compare(app_with(), terminal_size=(120, 40), run_before=listing)


def test_theme_light(snap_compare):
    assert snap_compare(
        app_with(theme_name="redpill-light"), terminal_size=(120, 40), run_before=_settle
    )


def test_theme_terminal_ansi(snap_compare):
    assert snap_compare(
        app_with(theme_name="terminal-ansi"), terminal_size=(120, 40), run_before=_settle
    )
