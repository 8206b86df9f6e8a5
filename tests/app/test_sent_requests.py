"""Real sends through the app: the request each turn rebuilds (format 2 stores no
history) is byte for byte the one the server received, after an edit, a regenerate, a
flip between replies, a choice picked among n, and once saved and opened again."""

from __future__ import annotations

import hashlib
import json

from tests.app.conftest import chunk, make_app, settle
from tests.loopback import Reply, sse
from tui.app.widgets.composer import Composer
from tui.config import Config
from tui.core.sent import body_bytes
from tui.core.store import load_file

SSE = [("Content-Type", "text/event-stream")]


def reply(*texts: str) -> Reply:
    events = [chunk(i, "", role="assistant") for i in range(len(texts))]
    events += [chunk(i, t) for i, t in enumerate(texts)]
    events += [chunk(i, None, "stop") for i in range(len(texts))] + ["[DONE]"]
    return Reply(status=200, headers=SSE, body=sse(events))


def check(conv, received: dict[str, bytes]) -> int:
    """Every reply of every turn rebuilds the request the server got for it."""
    checked = 0
    for index, turn in enumerate(conv.turns):
        for number in range(turn.replies):
            want = turn.reply_fields(number)["request_sha256"]
            assert want in received, (index, number)
            assert body_bytes(conv.request_of(index, number)) == received[want]
            assert conv.request_matches(index, number) is True
            checked += 1
    return checked


async def test_every_turn_rebuilds_the_request_the_server_received(loopback):
    loopback.enqueue(reply("Hello there.", "Hi."), reply("one"), reply("two"))
    loopback.enqueue(reply("two, edited"), reply("two, again"), reply("three"))
    app = make_app(loopback.base_url, config=Config(autosave=True), params={"n": 2})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        chat = app.chat
        chat.query_one(Composer).text = 'first ¿“quoted”? ☃ \\ "x"'
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("ctrl+n", "ctrl+o")  # the second choice continues
        await pilot.pause()
        chat.conversation.params.pop("n")  # parameters change between turns
        chat.conversation.params["temperature"] = 0.25
        chat.conversation.system = "Be terse."
        await pilot.press(*"second", "enter")
        await settle(app, pilot)
        await pilot.press(*"third", "enter")
        await settle(app, pilot)
        await pilot.press("ctrl+r")  # edit the last message and resend
        await pilot.pause()
        chat.query_one(Composer).text = "third, better"
        await pilot.press("enter")
        await settle(app, pilot)
        chat.conversation.params["temperature"] = 0.5  # each reply keeps its own
        await pilot.press("ctrl+g")  # regenerate: the first reply is kept
        await settle(app, pilot)
        await pilot.press("alt+left")  # back to the first reply: it continues
        await pilot.pause()
        await pilot.press(*"fourth", "enter")
        await settle(app, pilot)
        await app.workers.wait_for_complete()

        received = {hashlib.sha256(r.body).hexdigest(): r.body for r in loopback.requests}
        assert len(received) == 6
        conv = chat.conversation
        assert [t.replies for t in conv.turns] == [1, 1, 2, 1]
        # the shown replies' requests, in the server's order, as JSON too
        order = [r.json() for r in loopback.requests]
        assert [conv.request_of(i) for i in range(4)] == [order[0], order[1], order[3], order[5]]
        assert conv.request_of(2, 1) == order[4]
        assert order[5]["messages"][-2] == {"role": "assistant", "content": "two, edited"}
        assert (order[3]["temperature"], order[4]["temperature"]) == (0.25, 0.5)
        assert order[1]["messages"][2] == {"role": "assistant", "content": "Hi."}
        assert check(conv, received) == 5  # the edited-away turn is gone with its request
        assert all(t.sent_body is None for t in conv.turns)  # none kept verbatim

        # and from the file
        saved = load_file(app.store.path_for(conv))
        assert check(saved, received) == 5
        text = app.store.path_for(conv).read_text(encoding="utf-8")
        first = conv.turns[0].input[0]["content"]
        encoded = json.dumps(first, ensure_ascii=False)
        assert first.startswith("first") and text.count(encoded) == 1  # no history again
