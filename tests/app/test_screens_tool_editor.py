"""F8: outside tool text shown neutralised and kept exact; strict checked; select-all;
the example dropdown stays clear of the footer."""

from __future__ import annotations

from textual.widgets import Footer, Input, Label, ListView, Select, Static, TextArea

from tests.app.conftest import make_app
from tui.app.screens.tool_editor import ToolEditorScreen
from tui.core.conversation import Conversation
from tui.core.tools import ToolSettings, ToolSpec

NAME = "get[/b]\x1b]52;c;aGk=\x07"
DESC = "Looks up \x1b[2J [link=https://x]things[/link]"


async def open_editor(app, pilot, specs):
    conv = Conversation(model="m")
    conv.toolset = ToolSettings(specs=specs)
    await app.chat.load_conversation(conv)
    await pilot.press("f8")
    await pilot.pause()
    assert isinstance(app.screen, ToolEditorScreen)
    return app.screen


async def test_outside_tool_text_is_shown_neutralised_and_sent_exact(loopback):
    spec = ToolSpec(name=NAME, description=DESC, canned_result="ok \x1b[6n")
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = await open_editor(app, pilot, [spec])
        name = screen.query_one("#tool-name", Input)
        desc = screen.query_one("#tool-desc", Input)
        assert "\x1b" not in name.value and name.value.startswith("get[/b]")
        assert "\x1b" not in desc.value and "[link=https://x]things[/link]" in desc.value
        assert "\x1b" not in screen.query_one("#tool-canned", TextArea).text
        label = screen.query_one("#tool-list", ListView).query_one(Label)
        assert "get[/b]" in str(label.render()) and "\x1b" not in str(label.render())
        # the spec keeps the exact text (nothing was edited)
        assert spec.name == NAME and spec.description == DESC and spec.canned_result == "ok \x1b[6n"
        # editing the description replaces the exact value with what is typed
        desc.focus()
        await pilot.press("end", *" more")
        await pilot.pause()
        assert spec.description == desc.value and spec.description.endswith(" more")
        await pilot.press("escape")
        await pilot.pause()
        assert app.chat.current_request_body()["tools"][0]["function"]["name"] == NAME


async def test_strict_needs_required_and_no_additional_properties(loopback):
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        schema = '{"type": "object", "properties": {"city": {"type": "string"}}}'
        screen = await open_editor(app, pilot, [ToolSpec(name="w", parameters=schema)])
        problems = screen.query_one("#tool-problems", Static)
        assert str(problems.render()) == "✓ valid"
        screen.query_one("#tool-strict").focus()
        await pilot.press("space")  # strict on
        await pilot.pause()
        text = str(problems.render())
        assert "✓ valid" not in text
        assert '"additionalProperties": false' in text and "missing: city" in text
        # ctrl+a in the schema editor selects everything
        editor = screen.query_one("#tool-params", TextArea)
        editor.focus()
        await pilot.press("ctrl+a")
        assert editor.selected_text == editor.text
        fixed = (
            '{"type": "object", "properties": {"city": {"type": "string"}}, '
            '"required": ["city"], "additionalProperties": false}'
        )
        await pilot.press("backspace")
        assert editor.text == ""
        editor.insert(fixed)
        await pilot.pause()
        assert editor.text == fixed
        assert str(problems.render()) == "✓ valid"


async def test_example_dropdown_does_not_cover_the_footer(loopback):
    app = make_app(loopback.base_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = await open_editor(app, pilot, [])
        select = screen.query_one("#examples", Select)
        select.focus()
        await pilot.press("enter")
        await pilot.pause()
        overlay = select.query_one("SelectOverlay")
        assert overlay.display
        assert overlay.region.bottom <= screen.query_one(Footer).region.y
        await pilot.press("down", "enter")  # load the first example
        await pilot.pause()
        assert screen.settings.specs
