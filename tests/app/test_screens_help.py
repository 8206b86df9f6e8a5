"""F1: every key once, readable, no bare action ids, fits 80 columns."""

from __future__ import annotations

from textual.widgets import DataTable

from tests.app.conftest import make_app
from tui.app.screens.help import HelpScreen, tidy_rows


async def test_f1_help_has_no_duplicates_no_action_noise_and_fits_80_columns(loopback):
    app = make_app(loopback.base_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        table = screen.query_one(DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        actions = [r[1] for r in rows]
        assert "help_quit" not in actions and "palette" not in actions
        keys = [k for r in rows for k in r[0].split("\n")]
        assert keys.count("ctrl+p") == 1 and keys.count("ctrl+c") == 1
        assert len({(r[0], r[1]) for r in rows}) == len(rows)
        assert "Command palette (every action)" in actions
        assert "Copy selected text" in actions
        newline = next(r for r in rows if r[1] == "Newline")
        assert newline[0].split("\n") == ["ctrl+j", "alt+enter", "shift+enter"]
        # nothing cut at 80 columns: the table is no wider than its window
        assert table.virtual_size.width <= table.scrollable_content_region.width
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


def test_tidy_rows_dedupes_by_key_and_description():
    rows = [
        ("^c", "help_quit", ""),
        ("^p", "palette", ""),
        ("^c", "Copy selected text", ""),
        ("ctrl+p", "Command palette (every action)", ""),
        ("f1", "Help", "help"),
        ("f1", "Help", "help"),
        ("f12", "do_thing", ""),
    ]
    assert tidy_rows(rows) == [
        (["ctrl+c"], "Copy selected text", ""),
        (["ctrl+p"], "Command palette (every action)", ""),
        (["f1"], "Help", "help"),
        (["f12"], "Do thing", ""),
    ]
