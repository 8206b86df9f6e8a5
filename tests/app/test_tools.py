"""The tool-definition editor and the tool-call round trip."""

from __future__ import annotations

import json

from textual.widgets import Input, Select, TextArea

from tests.app.conftest import chunk, make_app, settle, sidebar_built
from tests.loopback import Reply, sse
from tests.refdata import request_validator
from tui.app.screens.path import PathScreen
from tui.app.screens.tool_editor import ToolEditorScreen
from tui.app.widgets.tool_calls import ToolCallsPanel
from tui.core.tools import ToolSettings, ToolSpec, examples

SSE = [("Content-Type", "text/event-stream")]

WEATHER = json.dumps(
    {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
        "required": ["city"],
    }
)


def tool_call_stream(calls: list[tuple[str, str, str]], finish: str = "tool_calls") -> Reply:
    """OpenAI-style fragments: id, type and name once, arguments split in pieces."""
    events = [chunk(0, None, role="assistant")]
    for i, (cid, name, args) in enumerate(calls):
        events.append(
            chunk(
                0,
                None,
                tool_calls=[
                    {
                        "index": i,
                        "id": cid,
                        "type": "function",
                        "function": {"name": name, "arguments": ""},
                    }
                ],
            )
        )
        for j in range(0, len(args), 5):
            events.append(
                chunk(
                    0, None, tool_calls=[{"index": i, "function": {"arguments": args[j : j + 5]}}]
                )
            )
    events += [chunk(0, None, finish), "[DONE]"]
    return Reply(status=200, headers=SSE, body=sse(events))


def final_stream(text: str) -> Reply:
    return Reply(
        status=200,
        headers=SSE,
        body=sse([chunk(0, text, role="assistant"), chunk(0, None, "stop"), "[DONE]"]),
    )


async def open_editor(app, pilot) -> ToolEditorScreen:
    await pilot.press("f8")
    await pilot.pause()
    assert isinstance(app.screen, ToolEditorScreen)
    return app.screen


async def test_editor_validates_as_you_type_and_blocks_sending(loopback):
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        await sidebar_built(app, pilot)
        editor = await open_editor(app, pilot)
        await pilot.press("f9")  # add
        await pilot.pause()
        name = editor.query_one("#tool-name", Input)
        name.value = "bad name!"
        await pilot.pause()
        problems = str(editor.query_one("#tool-problems").render())
        assert "name: 1-64 characters" in problems
        name.value = "get_weather"
        editor.query_one("#tool-params", TextArea).text = '{"type": "object", "properties": {'
        await pilot.pause()
        assert "not valid JSON" in str(editor.query_one("#tool-problems").render())
        editor.query_one("#tool-params", TextArea).text = '{"type": "array"}'
        await pilot.pause()
        assert "top level must have" in str(editor.query_one("#tool-problems").render())
        editor.query_one(
            "#tool-params", TextArea
        ).text = '{"type": "object", "properties": {"x": {"type": 5}}}'
        await pilot.pause()
        assert "not a valid JSON Schema" in str(editor.query_one("#tool-problems").render())
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press(*"call it", "enter")
        await pilot.pause()
        assert loopback.requests == []  # an invalid tool blocks sending, with the reason
        assert any("tool get_weather" in n.message for n in app._notifications)
        # what was typed in the schema is kept, invalid as it is
        assert app.chat.conversation.toolset.specs[0].parameters.startswith(
            '{"type": "object", "properties": {"x"'
        )


async def test_duplicate_names_are_flagged_and_disable_keeps_the_tool(loopback):
    loopback.enqueue(final_stream("fine"))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await sidebar_built(app, pilot)
        ts = app.chat.conversation.toolset
        ts.specs += [
            ToolSpec(name="same", parameters=WEATHER),
            ToolSpec(name="same", parameters=WEATHER),
        ]
        editor = await open_editor(app, pilot)
        assert "another tool is also called" in str(editor.query_one("#tool-problems").render())
        await pilot.press("f10")  # the copy gets a unique name, right after the original
        await pilot.pause()
        assert [s.name for s in ts.specs] == ["same", "same_copy", "same"]
        ts.specs[2].enabled = False
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press(*"go", "enter")
        await settle(app, pilot)
        sent = loopback.requests[-1].json()
        assert [t["function"]["name"] for t in sent["tools"]] == ["same", "same_copy"]
        assert len(ts.specs) == 3  # disabled, not deleted
        request_validator()(sent)


async def test_import_export_round_trip(loopback, tmp_path):
    source = tmp_path / "in.json"
    tools = [s.to_tool() for s in examples()["weather"]]
    source.write_text(json.dumps(tools))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        await sidebar_built(app, pilot)
        editor = await open_editor(app, pilot)
        editor.action_import_file()
        await pilot.pause()
        assert isinstance(app.screen, PathScreen)
        app.screen.query_one(Input).value = str(source)
        await pilot.press("enter")
        await pilot.pause()
        assert [s.name for s in app.chat.conversation.toolset.specs] == ["get_weather", "get_time"]
        target = tmp_path / "out.json"
        editor.action_export_file()
        await pilot.pause()
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert json.loads(target.read_text()) == tools
        # malformed JSON in an imported file gets a clear message and changes nothing
        bad = tmp_path / "bad.json"
        bad.write_text('[{"type": "function", "function": {"name": "x"}')
        editor.action_import_file()
        await pilot.pause()
        app.screen.query_one(Input).value = str(bad)
        await pilot.press("enter")
        await pilot.pause()
        assert any("not valid JSON" in n.message for n in app._notifications)
        assert len(app.chat.conversation.toolset.specs) == 2


async def test_parallel_calls_answered_and_sent_back(loopback):
    loopback.enqueue(
        tool_call_stream(
            [
                ("call_a", "get_weather", '{"city": "Paris", "unit": "c"}'),
                ("call_b", "get_weather", '{"city": 5}'),
            ]
        )
    )
    loopback.enqueue(final_stream("Paris is sunny."))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await sidebar_built(app, pilot)
        conv = app.chat.conversation
        conv.toolset.specs.append(
            ToolSpec(name="get_weather", parameters=WEATHER, canned_result='{"temp": 21}')
        )
        app.chat.tools_changed()
        await pilot.press(*"weather in paris twice", "enter")
        await settle(app, pilot)
        panel = app.chat.query_one(ToolCallsPanel)
        text = " ".join(str(s.render()) for s in panel.query("Static"))
        assert "call_a" in text and "call_b" in text
        assert "arguments match the tool's schema" in text  # call_a
        assert "does not match the schema at city" in text  # call_b is flagged, not hidden
        results = list(panel.query(".result").results(TextArea))
        assert [r.text for r in results] == ['{"temp": 21}', '{"temp": 21}']  # canned results
        results[1].text = "no such city"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        body = loopback.requests[-1].json()
        request_validator()(body)
        msgs = body["messages"]
        assert msgs[-3]["role"] == "assistant" and [c["id"] for c in msgs[-3]["tool_calls"]] == [
            "call_a",
            "call_b",
        ]
        assert msgs[-2] == {"role": "tool", "tool_call_id": "call_a", "content": '{"temp": 21}'}
        assert msgs[-1] == {"role": "tool", "tool_call_id": "call_b", "content": "no such city"}
        assert conv.turns[-1].choices[0].content == "Paris is sunny."
        assert not app.chat.query(ToolCallsPanel)


async def test_unknown_tool_and_cut_arguments_are_explained(loopback):
    loopback.enqueue(
        tool_call_stream([("call_x", "launch_rocket", '{"target": "mo')], finish="length")
    )
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await sidebar_built(app, pilot)
        app.chat.conversation.toolset.specs.append(ToolSpec(name="get_weather", parameters=WEATHER))
        await pilot.press(*"go", "enter")
        await settle(app, pilot)
        text = " ".join(str(s.render()) for s in app.chat.query_one(ToolCallsPanel).query("Static"))
        assert "not defined" in text
        assert "cut by max_tokens" in text
        assert "not valid JSON" in text
        assert '{"target": "mo' in text  # shown raw


async def test_partial_answers_survive_leaving_and_coming_back(loopback):
    loopback.enqueue(tool_call_stream([("call_a", "get_weather", '{"city": "Oslo"}')]))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await sidebar_built(app, pilot)
        app.chat.conversation.toolset.specs.append(ToolSpec(name="get_weather", parameters=WEATHER))
        await pilot.press(*"go", "enter")
        await settle(app, pilot)
        area = app.chat.query_one(ToolCallsPanel).query_one(".result", TextArea)
        area.text = "half typed"
        await pilot.pause()
        await pilot.press("f8")  # leave for the tool editor
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        conv = app.chat.conversation
        await app.chat.load_conversation(conv)  # and reopen the conversation
        await pilot.pause()
        area = app.chat.query_one(ToolCallsPanel).query_one(".result", TextArea)
        assert area.text == "half typed"


async def test_legacy_functions_mode(loopback):
    events = [
        chunk(0, None, role="assistant"),
        chunk(0, None, function_call={"name": "get_weather", "arguments": ""}),
        chunk(0, None, function_call={"arguments": '{"city": '}),
        chunk(0, None, function_call={"arguments": '"Rome"}'}),
        chunk(0, None, "function_call"),
        "[DONE]",
    ]
    loopback.enqueue(Reply(status=200, headers=SSE, body=sse(events)))
    loopback.enqueue(final_stream("Rome: 30 C"))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await sidebar_built(app, pilot)
        conv = app.chat.conversation
        conv.toolset.specs.append(
            ToolSpec(name="get_weather", parameters=WEATHER, canned_result="30 C")
        )
        app.chat.tools_changed()
        app.chat.query_one("#tool-mode", Select).value = "functions"
        await pilot.pause()
        app.chat.query_one("#tool-choice", Select).value = "get_weather"
        await pilot.pause()
        await pilot.press(*"weather in rome", "enter")
        await settle(app, pilot)
        first = loopback.requests[0].json()
        assert "tools" not in first and first["functions"][0]["name"] == "get_weather"
        assert first["function_call"] == {"name": "get_weather"}
        request_validator()(first)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        msgs = loopback.requests[-1].json()["messages"]
        assert msgs[-2]["function_call"] == {"name": "get_weather", "arguments": '{"city": "Rome"}'}
        assert msgs[-1] == {"role": "function", "name": "get_weather", "content": "30 C"}
        request_validator()(loopback.requests[-1].json())


def test_settings_request_params_shapes():
    ts = ToolSettings(
        specs=[ToolSpec(name="a", parameters=WEATHER), ToolSpec(name="b", enabled=False)]
    )
    assert ts.request_params()["tools"][0]["function"]["name"] == "a"
    assert "tool_choice" not in ts.request_params()
    ts.choice = "required"
    assert ts.request_params()["tool_choice"] == "required"
    ts.choice = "a"
    assert ts.request_params()["tool_choice"] == {"type": "function", "function": {"name": "a"}}
    ts.choice = "b"  # disabled
    assert any("not an enabled tool" in p for p in ts.problems())


async def test_editor_actions_are_on_keys_and_in_the_palette(loopback):
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await sidebar_built(app, pilot)
        editor = await open_editor(app, pilot)
        commands = {c.title: c for c in app.get_system_commands(editor)}
        assert {"Tools: import a file", "Tools: export to a file", "Tools: add"} <= set(commands)
        await commands["Tools: load the weather example"].callback()
        await pilot.pause()
        assert [s.name for s in app.chat.conversation.toolset.specs] == ["get_weather", "get_time"]
        await pilot.press("f6")  # import (ctrl+i would be Tab in a terminal)
        await pilot.pause()
        assert isinstance(app.screen, PathScreen)
