"""A long conversation opens with its last turns mounted; the user gets back to the
first turn by scrolling or by stepping through the sent messages."""

from __future__ import annotations

from tests.app.conftest import make_app
from tui.app.widgets.turn import MessageView, TurnView
from tui.core.conversation import ChoiceRecord, Conversation, Turn

TURNS = 45


def long_conversation(turns: int = TURNS, lines: int = 3) -> Conversation:
    conv = Conversation(model="test-model", title="long")
    for i in range(turns):
        turn = Turn(input=[{"role": "user", "content": f"question {i}"}])
        reply = f"answer {i}\n\n" + "A line of the answer.\n\n" * lines
        turn.choices = [ChoiceRecord(index=0, content=reply, finish_reason="stop")]
        conv.turns.append(turn)
    return conv


def shown(app) -> list[str]:
    return [v.turn.input[0]["content"] for v in app.chat.query(TurnView).results(TurnView)]


async def test_scrolling_up_reaches_the_first_turn_a_batch_at_a_time(loopback):
    app = make_app(loopback.base_url, conversation=long_conversation())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        view = app.chat.query_one("#conversation")
        first = shown(app)
        assert first[-1] == f"question {TURNS - 1}" and len(first) < TURNS
        batches = 0
        while len(shown(app)) < TURNS and batches < TURNS:
            before = len(shown(app))
            view.scroll_home(animate=False)  # the user reaches the top of what is mounted
            await pilot.pause()
            await pilot.pause()
            batches += 1
            assert len(shown(app)) > before, "reaching the top mounted nothing"
            if len(shown(app)) < TURNS:
                # the view stays where the user was: above it, the batch just mounted
                # (put back after the refresh that lays the batch out; on a loaded
                # machine that refresh can come after the two pauses)
                for _ in range(250):
                    if view.scroll_y > 0:
                        break
                    await pilot.pause(0.02)
                assert view.scroll_y > 0
        assert batches > 1, "one batch: the test proves nothing about stepping back"
        assert shown(app) == [f"question {i}" for i in range(TURNS)]  # in order, no duplicates
        assert not app.chat.query_one("#earlier").display
        view.scroll_home(animate=False)
        await pilot.pause()
        top = app.chat.query(MessageView).first(MessageView)
        assert "question 0" in str(top.render())
        assert top.region.y >= view.region.y and top.region.bottom <= view.region.bottom


async def test_stepping_up_through_the_messages_reaches_the_first_turn(loopback):
    turns = 30  # the window takes 20 of these short turns: 10 are left to step into
    app = make_app(loopback.base_url, conversation=long_conversation(turns, lines=0))
    # A tall terminal: what is mounted fits, nothing scrolls, so no scroll to the top
    # mounts the earlier turns: stepping up past the first message must.
    async with app.run_test(size=(120, 200)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+up")
        assert isinstance(app.focused, MessageView)
        assert app.focused.turn_id == app.chat.conversation.turns[-1].id
        mounted = shown(app)
        assert len(mounted) < turns
        view = app.chat.query_one("#conversation")
        assert view.max_scroll_y == 0
        # (each step from the last message would do; starting at the first one shown
        # keeps the test short)
        app.chat.query(MessageView).first(MessageView).focus()
        await pilot.pause()
        for _ in range(turns - len(mounted)):
            await pilot.press("up")
            await pilot.pause()
        focused = app.focused
        assert isinstance(focused, MessageView)
        assert focused.turn_id == app.chat.conversation.turns[0].id
        assert "question 0" in str(focused.render())
        assert shown(app) == [f"question {i}" for i in range(turns)]
        assert focused.region.y >= view.region.y and focused.region.bottom <= view.region.bottom
        # e on it edits the first turn, as it does for a turn mounted from the start
        await pilot.press("e")
        await pilot.pause()
        assert app.chat.editing is app.chat.conversation.turns[0]
