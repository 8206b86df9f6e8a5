"""The parameter sidebar: fast typing, outside values shown neutralised but sent exact,
help on focus, hints that never push a field, stop-sequence escapes."""

from __future__ import annotations

from textual import events
from textual.widgets import Input, Select, Static, TextArea

from tests.app.conftest import make_app, sidebar_built
from tests.loopback import Reply
from tui.app.safe import shown
from tui.app.widgets.sidebar import ParamSidebar
from tui.core.conversation import Conversation
from tui.core.paramstate import stop_from_text, stop_to_text
from tui.core.tools import ToolSettings, ToolSpec

HOSTILE_ID = "evil\x1b]52;c;aGk=\x07model"


def burst(app, *keys: str) -> None:
    """Keys as a terminal delivers a fast typist's burst: all queued at once, no waiting
    between them (pilot.press waits for the app to go idle after each key)."""
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(app)
        app._driver.send_message(event)


async def test_fast_typing_in_a_number_field_keeps_every_key_in_order(loopback):
    app = make_app(loopback.base_url, params={"max_tokens": 100})
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.pause()
        await sidebar_built(app, pilot)
        field = app.chat.query_one("#input-max_tokens", Input)
        assert field.value == "100"
        for typed in ("256", "100", "4096"):
            field.focus()
            await pilot.pause()
            burst(app, *(["backspace"] * 5), *typed)
            await pilot.pause()
            await pilot.pause()
            assert field.value == typed
            assert app.chat.current_request_body()["max_tokens"] == int(typed)
        # the composer too: a fast correction is not reordered
        composer = app.chat.query_one("#composer")
        composer.focus()
        await pilot.pause()
        burst(app, *"helo", "backspace", *"lo")
        await pilot.pause()
        await pilot.pause()
        assert composer.text == "hello"


async def test_model_id_from_the_server_is_shown_neutralised_and_sent_exact(loopback):
    loopback.route(
        "/models", Reply.json({"object": "list", "data": [{"id": HOSTILE_ID, "object": "model"}]})
    )
    loopback.enqueue(Reply.sse(["[DONE]"]))
    app = make_app(loopback.base_url, model="")
    async with app.run_test(size=(140, 50)) as pilot:
        for _ in range(50):  # the model list arrives in a worker
            await pilot.pause()
            if app.chat.query_one(ParamSidebar).model:
                break
        await sidebar_built(app, pilot)
        field = app.chat.query_one("#model", Input)
        assert field.value == shown(HOSTILE_ID) and "\x1b" not in field.value
        assert app.chat.query_one(ParamSidebar).model == HOSTILE_ID
        assert app.chat.current_request_body()["model"] == HOSTILE_ID
        # typing something else replaces the exact id with what was typed
        field.focus()
        await pilot.press("ctrl+u", *"plain")
        await pilot.pause()
        assert field.value == "plain" and app.chat.current_request_body()["model"] == "plain"


async def test_loaded_conversation_values_are_neutralised_in_fields_but_sent_exact(loopback):
    conv = Conversation(
        model=HOSTILE_ID,
        system="be \x1b[2J nice\n[b]bold[/b]",
        params={"user": "u\x1b]0;t\x07", "stop": ["END\n", "a\\b"], "stream": True},
    )
    app = make_app(loopback.base_url)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.pause()
        await sidebar_built(app, pilot)
        await app.chat.load_conversation(conv)
        await pilot.pause()
        sidebar = app.chat.query_one(ParamSidebar)
        system = app.chat.query_one("#system", TextArea)
        assert "\x1b" not in system.text and "[b]bold[/b]" in system.text
        user = app.chat.query_one("#input-user", Input)
        assert "\x1b" not in user.value and "\x07" not in user.value
        stops = [app.chat.query_one(f"#stop-{i}", Input).value for i in range(2)]
        assert stops == ["END\\n", "a\\\\b"]
        body = app.chat.current_request_body()
        assert body["model"] == HOSTILE_ID
        assert body["messages"][0] == {"role": "system", "content": conv.system}
        assert body["user"] == "u\x1b]0;t\x07"
        assert body["stop"] == ["END\n", "a\\b"]
        assert sidebar.model == HOSTILE_ID


async def test_stop_fields_take_escapes_for_newline_tab_and_backslash(loopback):
    app = make_app(loopback.base_url)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.pause()
        await sidebar_built(app, pilot)
        stop = app.chat.query_one("#stop-0", Input)
        stop.focus()
        await pilot.press(*"\\n\\nUser:")
        await pilot.pause()
        assert app.chat.current_request_body()["stop"] == ["\n\nUser:"]
        help_text = str(app.chat.query_one("#param-stop .help", Static).render())
        assert "\\n" in help_text
    assert stop_from_text(stop_to_text("a\n\tb\\n")) == "a\n\tb\\n"
    assert stop_from_text("C:\\path") == "C:\\path"


async def test_tool_names_in_tool_choice_are_neutralised_and_do_not_crash(loopback):
    app = make_app(loopback.base_url)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.pause()
        await sidebar_built(app, pilot)
        conv = Conversation(model="m")
        conv.toolset = ToolSettings(specs=[ToolSpec(name="x[/b]\x1b]52;c;aGk=\x07")])
        await app.chat.load_conversation(conv)
        await pilot.pause()
        select = app.chat.query_one("#tool-choice", Select)
        select.focus()
        await pilot.press("enter")
        await pilot.pause()
        prompts = [str(o.prompt) for o in select.query_one("SelectOverlay").options]
        assert any("x[/b]" in p and "\x1b" not in p for p in prompts)
        await pilot.press("escape")
        assert app.is_running


async def test_help_follows_focus_and_hints_never_push_fields(loopback):
    app = make_app(loopback.base_url)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.pause()
        await sidebar_built(app, pilot)
        sidebar = app.chat.query_one(ParamSidebar)
        temp_help = sidebar.query_one("#param-temperature .help", Static)
        top_help = sidebar.query_one("#param-top_p .help", Static)
        assert temp_help.size.height == 1 and top_help.size.height == 1
        await pilot.click("#input-temperature")
        await pilot.pause()
        assert temp_help.size.height > 1  # the focused field shows its whole help
        await pilot.click("#input-top_p")
        await pilot.pause()
        assert temp_help.size.height == 1 and top_help.size.height > 1
        # both set: a hint appears while typing, below the fields, and no field moves
        await pilot.press(*"0.5")
        await pilot.click("#input-temperature")
        await pilot.pause()
        hints = sidebar.query_one("#hints", Static)
        assert not hints.display
        before = sidebar.query_one("#input-temperature").region
        await pilot.press(*"0.7")
        await pilot.pause()
        assert hints.display and "temperature and top_p" in str(hints.render())
        assert hints.region.y >= sidebar.query_one("#param-scroll").region.bottom
        assert sidebar.query_one("#input-temperature").region == before


async def test_stream_is_an_app_default_not_set_and_struck_fields_get_a_legend(loopback):
    app = make_app(loopback.base_url)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.pause()
        await sidebar_built(app, pilot)
        sidebar = app.chat.query_one(ParamSidebar)
        status = sidebar.query_one("#param-stream .status")
        assert str(status.render()) == "app default"
        assert not sidebar.query_one("#param-stream").has_class("set")
        legend = sidebar.query_one("#legend", Static)
        assert not legend.display
        sidebar.mark_unsupported(["temperature", "stream"])
        await pilot.pause()
        assert sidebar.query_one("#param-top_p").has_class("unsupported")
        assert legend.display and "does not list" in str(legend.render())
