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
