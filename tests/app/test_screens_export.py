"""F10: the export screen opens, shows every format, copies, saves and closes."""

from __future__ import annotations

import json

from textual.widgets import Select, TextArea

from tests.app.conftest import make_app
from tui.app.screens.export import ExportScreen
from tui.app.screens.path import PathScreen


async def test_f10_opens_every_format_copies_saves_and_closes(loopback, tmp_path):
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"hello there")
        await pilot.press("f10")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExportScreen)
        area = screen.query_one("#export-text", TextArea)
        assert screen.fmt == "markdown" and area.text == screen.text()
        seen = {}
        select = screen.query_one("#format", Select)
        for fmt in ("json", "curl", "httpx", "markdown"):
            select.focus()
            await pilot.pause()
            await pilot.press("enter")  # open the dropdown
            await pilot.pause()
            # move to the format by keys, as a user would
            target = [v for _, v in screen_formats()].index(fmt)
            current = [v for _, v in screen_formats()].index(screen.fmt)
            key = "down" if target > current else "up"
            for _ in range(abs(target - current)):
                await pilot.press(key)
            await pilot.press("enter")
            await pilot.pause()
            assert screen.fmt == fmt
            seen[fmt] = area.text
        body = json.loads(seen["json"])
        assert body["model"] == "test-model"
        assert body["messages"][-1]["content"] == "hello there"
        assert seen["curl"].startswith("curl ") and "/chat/completions" in seen["curl"]
        assert "import httpx" in seen["httpx"]
        assert app.is_running

        # copy: the exact text goes to the clipboard
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert app.clipboard == screen.text()

        # save: asks for a path, writes the file
        target = tmp_path / "out.md"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PathScreen)
        path_input = app.screen.query_one("#path")
        path_input.value = ""
        await pilot.press(*str(target), "enter")
        await pilot.pause()
        await pilot.pause()
        assert target.read_text(encoding="utf-8") == screen.text()
        assert app.screen is screen

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        assert app.is_running


def screen_formats():
    from tui.app.screens.export import FORMATS

    return FORMATS
