"""The sidebar's extra body: typed JSON goes into the next request (the preview shows it),
a key the sidebar names is shown as a conflict and not sent, bad JSON is marked and blocks
sending with a message, and -p keys arrive in it."""

from __future__ import annotations

from textual.widgets import Static

from tests.app.conftest import make_app, settle, sidebar_built
from tests.loopback import Reply, text_stream
from tui.app.widgets.param_field import FieldTextArea


def status(app) -> str:
    node = app.chat.query_one("#extra-status", Static)
    return str(node.render()) if node.display else ""


async def type_extra(app, pilot, text: str) -> None:
    field = app.chat.query_one("#extra-body", FieldTextArea)
    field.focus()
    field.load_text(text)
    await pilot.pause()


async def test_extra_body_is_sent_conflicts_are_shown_bad_json_blocks(loopback):
    loopback.route("/chat/completions", Reply.sse(text_stream("ok")))
    app = make_app(loopback.base_url, params={"temperature": 0.3, "top_k": 40})
    async with app.run_test(size=(120, 40)) as pilot:
        await sidebar_built(app, pilot)
        field = app.chat.query_one("#extra-body", FieldTextArea)
        assert field.text == '{"top_k": 40}'  # from -p: the sidebar does not name it
        await type_extra(app, pilot, '{"min_p": 0.05, "temperature": 1.9}')
        assert status(app) == "not sent (set in the sidebar or elsewhere): temperature"
        body = app.chat.current_request_body()
        assert body["min_p"] == 0.05 and body["temperature"] == 0.3 and "top_k" not in body
        await type_extra(app, pilot, '{"min_p": ')
        assert "not JSON" in status(app)
        plan = app.chat.session.send("hi")
        assert plan.blocked is not None and "extra body" in plan.blocked.message
        assert not await app.chat.send_text("hi")  # blocked, with a message
        await pilot.pause()
        said = [str(n.message) for n in app._notifications]
        assert any("extra" in m for m in said), said
        await type_extra(app, pilot, '{"repetition_penalty": 1.1}')
        assert status(app) == ""
        await app.chat.send_text("hi")
        await settle(app, pilot)
        sent = loopback.requests[-1].json()
        assert sent["repetition_penalty"] == 1.1 and sent["temperature"] == 0.3
