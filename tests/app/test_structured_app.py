"""Structured output in the app: the sidebar's edit button opens the schema editor, which
checks as you type; the request carries response_format json_schema; the reply's line
says whether it matches; F5 there turns it off."""

from __future__ import annotations

import json

from textual.widgets import Input, Static, TextArea

from tests.app.conftest import make_app, settle, sidebar_built, until
from tests.loopback import Reply, text_stream
from tui.app.screens.structured import StructuredScreen
from tui.app.widgets.turn import TurnView


def replying(text: str):
    return Reply.sse(text_stream(*[text[i : i + 5] for i in range(0, len(text), 5)]))


async def open_editor(app, pilot) -> StructuredScreen:
    await sidebar_built(app, pilot)
    app.chat.query_one("#edit-schema").press()
    await until(pilot, lambda: isinstance(app.screen, StructuredScreen))
    return app.screen


async def test_schema_editor_sends_json_schema_and_the_reply_is_checked(loopback):
    loopback.route("/chat/completions", replying('{"colour": "teal", "hex": "#008080"}'))
    app = make_app(loopback.base_url, params={"response_format": {"type": "json_object"}})
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_editor(app, pilot)
        problems = screen.query_one("#so-problems", Static)
        assert str(problems.render()) == "✓ valid"  # the example schema
        screen.query_one("#so-schema", TextArea).load_text('{"type": "object", ')
        await pilot.pause()
        assert "✗ schema: not JSON" in str(problems.render())
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, StructuredScreen)  # not taken
        screen.query_one("#so-schema", TextArea).load_text(
            json.dumps(
                {
                    "type": "object",
                    "properties": {"colour": {"type": "string"}, "hex": {"type": "string"}},
                    "required": ["colour", "hex"],
                    "additionalProperties": False,
                }
            )
        )
        screen.query_one("#so-name", Input).value = "paint"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, StructuredScreen))
        summary = str(app.chat.query_one("#schema-summary", Static).render())
        assert summary == "schema paint, strict"
        body = app.chat.current_request_body()
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["name"] == "paint"
        await app.chat.send_text("A kitchen colour, as JSON")
        await settle(app, pilot)
        meta = str(app.chat.query_one(TurnView).query_one(".meta", Static).render())
        assert "schema paint: ✓ matches" in meta
        # off again: JSON mode stays off too, nothing carries the schema
        await open_editor(app, pilot)
        await pilot.press("f5")
        await until(pilot, lambda: not isinstance(app.screen, StructuredScreen))
        assert "response_format" not in app.chat.current_request_body()
        assert str(app.chat.query_one("#schema-summary", Static).render()) == "off"


async def test_a_reply_that_does_not_match_says_where(loopback):
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "count", "schema": schema}}
    loopback.route("/chat/completions", replying('{"n": "three"}'))
    app = make_app(loopback.base_url, params={"response_format": fmt})
    async with app.run_test(size=(120, 40)) as pilot:
        assert await app.chat.send_text("count"), [str(n.message) for n in app._notifications]
        await settle(app, pilot)
        meta = str(app.chat.query_one(TurnView).query_one(".meta", Static).render())
        assert "schema count: ✗ at n: 'three' is not of type 'integer'" in meta
