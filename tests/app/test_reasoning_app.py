"""Reasoning on screen: inline <think> reasoning (a tag split across chunks) is shown in
its own box, open while only reasoning arrives and closed once the answer starts, with a
token estimate; the answer alone is sent back as history."""

from __future__ import annotations

from textual.widgets import Collapsible, Select, Static

from tests.app.conftest import make_app, settle, sidebar_built, until
from tests.loopback import Reply, chunk, sse
from tui.core.conversation import Conversation

SSE = [("Content-Type", "text/event-stream")]
THINKING = ["<th", "ink>\nLet me ", "weigh teal against ochre.", "</thi"]
ANSWER = ["nk>\n\n", "Teal, ", "for calm."]


async def test_reasoning_opens_while_it_arrives_and_closes_when_the_answer_starts(loopback):
    first = [chunk(0, "", role="assistant"), *[chunk(0, p) for p in THINKING]]
    rest = [*[chunk(0, p) for p in ANSWER], chunk(0, finish="stop"), "[DONE]"]
    loopback.route("/chat/completions", Reply(headers=SSE, body=[*sse(first), 1.5, *sse(rest)]))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.chat.send_text("Which colour?")

        def box() -> Collapsible | None:
            found = list(app.chat.query(Collapsible).results(Collapsible))
            return found[0] if found else None

        def shown() -> str:
            texts = list(app.chat.query("#reasoning-text").results(Static))
            return str(texts[0].render()) if texts else ""

        await until(pilot, lambda: "ochre" in shown())
        assert box().collapsed is False  # only reasoning so far: open
        assert box().title.startswith("Reasoning · ≈")
        await settle(app, pilot)
        assert box().collapsed is True  # the answer came: closed
        turn = app.chat.conversation.turns[-1]
        choice = turn.choices[0]
        assert choice.content == "Teal, for calm."
        assert choice.reasoning.strip() == "Let me weigh teal against ochre."
        # the next request sends the answer, not the reasoning
        history = app.chat.current_request_body()["messages"]
        assert history[-1] == {"role": "assistant", "content": "Teal, for calm."}


async def test_a_reply_cut_while_reasoning_keeps_its_box_open(loopback):
    events = [chunk(0, "", role="assistant"), chunk(0, "<think>long "), chunk(0, "thought")]
    events += [chunk(0, finish="length"), "[DONE]"]
    loopback.route("/chat/completions", Reply.sse(events))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.chat.send_text("q")
        await settle(app, pilot)
        (box,) = app.chat.query(Collapsible)
        assert box.collapsed is False
        assert app.chat.conversation.turns[-1].choices[0].reasoning == "long thought"


async def test_resend_reasoning_is_picked_in_the_sidebar_and_sent(loopback):
    events = [chunk(0, "", role="assistant"), chunk(0, "<think>hm</think>Yes"), chunk(0, "")]
    loopback.enqueue(Reply.sse([*events, chunk(0, finish="stop"), "[DONE]"]))
    loopback.enqueue(Reply.sse([chunk(0, "ok", finish="stop"), "[DONE]"]))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await sidebar_built(app, pilot)
        await app.chat.send_text("q")
        await settle(app, pilot)
        pick = app.chat.query_one("#resend-reasoning", Select)
        assert pick.value is Select.NULL  # off by default
        pick.focus()
        await pilot.press("enter", "down", "down", "enter")  # "as reasoning"
        await pilot.pause()
        assert pick.value == "reasoning"
        assert app.chat.current_request_body()["messages"][1] == {
            "role": "assistant",
            "content": "Yes",
            "reasoning": "hm",
        }
        await app.chat.send_text("again")
        await settle(app, pilot)
        assert loopback.requests[-1].json()["messages"][1]["reasoning"] == "hm"
        assert app.chat.conversation.resend_reasoning == "reasoning"
        # another conversation: its own setting (off) shows
        await app.chat.load_conversation(Conversation(model="m"))
        await pilot.pause()
        assert pick.value is Select.NULL
