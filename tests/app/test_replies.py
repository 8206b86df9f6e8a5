"""Regenerate keeps the earlier replies to a message: the user flips between them
(alt+left / alt+right), and the one shown continues the conversation."""

from __future__ import annotations

from textual.widgets import Static

from tests.app.conftest import chunk, make_app, settle
from tests.loopback import Reply, sse
from tui.app.widgets import turn as turn_module
from tui.app.widgets.choice import ChoiceView
from tui.app.widgets.turn import TurnView
from tui.config import Config
from tui.core.store import load_file

SSE = [("Content-Type", "text/event-stream")]


def reply(text: str) -> Reply:
    events = [chunk(0, "", role="assistant"), chunk(0, text), chunk(0, None, "stop"), "[DONE]"]
    return Reply(status=200, headers=SSE, body=sse(events))


def shown(app) -> tuple[str, str]:
    view = list(app.chat.query(TurnView).results(TurnView))[-1]
    head = str(view.query_one(".reply-head", Static).render())
    return head, view.query_one(ChoiceView).markdown_source


async def test_regenerated_replies_are_kept_and_the_shown_one_continues(loopback, monkeypatch):
    loopback.enqueue(reply("first answer"), reply("second answer"), reply("third answer"))
    loopback.enqueue(reply("follow-up"))
    app = make_app(loopback.base_url, config=Config(autosave=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"question", "enter")
        await settle(app, pilot)
        for _ in range(2):
            await pilot.press("ctrl+g")
            await settle(app, pilot)
        head, text = shown(app)
        assert text == "third answer" and "3/3" in head
        await pilot.press("alt+left")
        await pilot.pause()
        head, text = shown(app)
        assert text == "second answer" and "2/3" in head
        await pilot.press("alt+left", "alt+left")  # stops at the first
        await pilot.pause()
        assert shown(app)[1] == "first answer"
        # each flip draws the turn afresh, its meta line too: the meta line's redraw
        # rate while streaming does not apply (made an hour here, so it would show)
        monkeypatch.setattr(turn_module, "META_EVERY", 3600.0)
        await pilot.press("alt+right", "alt+left")
        await pilot.pause()
        view = list(app.chat.query(TurnView).results(TurnView))[-1]
        assert "finish: stop" in str(view.query_one(".meta").render())
        await pilot.press("alt+right")
        await pilot.pause()
        assert shown(app)[1] == "second answer"
        # saved with all three, the shown one marked
        await app.workers.wait_for_complete()  # saves run in a thread
        saved = load_file(app.store.path_for(app.chat.conversation)).turns[-1]
        assert saved.replies == 3 and saved.choices[0].content == "second answer"
        assert [e["choices"][0]["content"] for e in saved.earlier] == [
            "first answer",
            "third answer",
        ]
        # the shown reply is the history of the next request
        await pilot.press(*"more", "enter")
        await settle(app, pilot)
        sent = loopback.requests[-1].json()["messages"]
        assert sent[-2] == {"role": "assistant", "content": "second answer"}
        assert sent[-1] == {"role": "user", "content": "more"}
        conv = app.chat.conversation
    app = make_app(loopback.base_url, conversation=conv)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        first = list(app.chat.query(TurnView).results(TurnView))[0]
        assert "2/3" in str(first.query_one(".reply-head", Static).render())
