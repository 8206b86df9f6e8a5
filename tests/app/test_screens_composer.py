"""The composer: load_for_edit puts the cursor at the end; newline keys as terminals send them."""

from __future__ import annotations

from textual._xterm_parser import XTermParser

from tests.app.conftest import make_app
from tui.app.widgets.composer import Composer


async def test_load_for_edit_puts_the_cursor_at_the_end(loopback):
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        composer = app.chat.query_one(Composer)
        composer.load_for_edit("first line\nsecond")
        await pilot.pause()
        assert composer.cursor_location == (1, 6)
        await pilot.press(*" more")
        assert composer.text == "first line\nsecond more"


def keys_for(data: str) -> list[str]:
    parser = XTermParser()
    return [e.key for e in [*parser.feed(data), *parser.feed("")] if hasattr(e, "key")]


async def test_newline_keys_insert_a_newline_and_enter_sends(loopback):
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        composer = app.chat.query_one(Composer)
        for key in ("alt+enter", "shift+enter", "ctrl+j"):
            composer.load_for_edit("a")
            await pilot.press(key, "b")
            assert composer.text == "a\nb", key
        # what terminals send, as Textual reports it: kitty/CSI-u alt+enter and plain
        # LF (ctrl+j) are newlines; ESC CR (tmux without extended keys) is reported as
        # a plain "enter": it cannot be told apart from Enter, so it sends.
        assert keys_for("\x1b[13;3u") == ["alt+enter"]
        assert keys_for("\n") == ["ctrl+j"]
        assert keys_for("\x1b\r") == ["enter"]
        # xterm modifyOtherKeys (tmux extended-keys, xterm format): Textual names it "\r"
        for data in ("\x1b[27;3;13~", "\x1b[27;2;13~"):
            composer.load_for_edit("a")
            for key in keys_for(data):
                await pilot.press(key)
            assert composer.text == "a\n", repr(data)
