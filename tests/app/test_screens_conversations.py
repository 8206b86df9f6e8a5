"""F5: saved conversations with hostile titles, models and first messages list safely."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from tests.app.conftest import make_app
from tui.app.screens.confirm import ConfirmScreen
from tui.app.screens.conversations import ConversationsScreen
from tui.config import data_dir
from tui.core.conversation import Conversation, Turn
from tui.core.store import Store


def saved(**kw) -> Conversation:
    conv = Conversation(**kw)
    Store(data_dir() / "conversations").save(conv)
    return conv


async def test_f5_lists_hostile_titles_models_and_messages_as_plain_text(loopback):
    saved(title="what does [/b] mean in BBCode?", model="m[/i]")
    saved(title="[link=https://evil.example]click[/link] \x1b]52;c;aGk=\x07", model="x\x1b[2J")
    saved(model="[bold red]m", turns=[Turn(input=[{"role": "user", "content": "hi [/] \x9b31m"}])])
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(2):  # and again, as at every F5 after a restart
            await pilot.press("f5")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ConversationsScreen)
            table = screen.query_one(DataTable)
            cells = [table.get_row_at(i) for i in range(table.row_count)]
            assert all(isinstance(c, Text) for row in cells for c in row)
            plain = [str(c) for row in cells for c in row]
            assert "what does [/b] mean in BBCode?" in plain and "m[/i]" in plain
            link = next(c for row in cells for c in row if "link=" in str(c))
            assert link.spans == [] and not link.style  # no hyperlink, no markup
            assert not any(ch in p for p in plain for ch in "\x1b\x07\x9b")
            assert any(p.startswith("hi [/]") for p in plain)
            # the delete question quotes the title as it is, without markup
            table.focus()
            await pilot.press("delete")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("n")
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
            assert app.is_running


async def test_typing_in_f5_queries_the_index_and_never_touches_a_file(loopback, monkeypatch):
    import json

    from textual.widgets import Input

    import tui.core.store as store_module

    lisbon = saved(turns=[Turn(input=[{"role": "user", "content": "Plan a trip to Lisbon"}])])
    saved(turns=[Turn(input=[{"role": "user", "content": "Stone soup"}])])
    folder = data_dir() / "conversations"
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConversationsScreen)
        # a broken file appears after the list opened; typing must not move it aside
        (folder / "broken.json").write_text('{"format": "redpill-tui.conversation", "ve')
        newer = {"format": "redpill-tui.conversation", "version": 99}
        (folder / "newer.json").write_text(json.dumps(newer))
        before = {p.name: p.read_bytes() for p in folder.glob("*.json")}

        def no_reading(path):
            raise AssertionError(f"{path} read while typing")

        monkeypatch.setattr(store_module, "load_file", no_reading)
        for key in ['"', "l", "i", "s", "space", "A", "N", "D", "space", "("]:
            await pilot.press(key)
            await pilot.pause()
        assert screen.query_one("#search", Input).value == '"lis AND ('
        await pilot.press(*["backspace"] * 6)
        await pilot.pause()
        assert [e.id for e in screen.entries] == [lisbon.id]
        assert {p.name: p.read_bytes() for p in folder.glob("*.json")} == before
        assert not list(folder.glob("*.corrupt-*"))
