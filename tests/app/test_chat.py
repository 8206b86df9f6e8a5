"""The chat screen, driven headless with the Pilot against the loopback server."""

from __future__ import annotations

import asyncio

from textual.widgets import Static, Tab

from tests.app.conftest import chunk, make_app, settle, sidebar_built
from tests.loopback import Reply, sse
from tests.refdata import request_validator
from tui.app.screens.confirm import ConfirmScreen
from tui.app.widgets.choice import ChoiceView
from tui.app.widgets.composer import Composer
from tui.app.widgets.sidebar import ParamSidebar
from tui.app.widgets.turn import TurnView

SSE = [("Content-Type", "text/event-stream")]


def stream_reply(events: list, **kw) -> Reply:
    return Reply(status=200, headers=SSE, body=sse(events), **kw)


def simple_stream(text_parts: list[str], finish: str = "stop") -> Reply:
    events = [chunk(0, "", role="assistant")]
    events += [chunk(0, t) for t in text_parts]
    events += [chunk(0, None, finish), "[DONE]"]
    return stream_reply(events)


def markdown_text(view: ChoiceView) -> str:
    return view.markdown_source


async def test_send_streams_reply_and_clears_composer(loopback):
    loopback.enqueue(simple_stream(["Hello", ", ", "wor", "ld", "!"]))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.focused, Composer)
        await pilot.press(*"hi there", "enter")
        await settle(app, pilot)
        turn = app.chat.conversation.turns[-1]
        assert turn.choices[0].content == "Hello, world!"
        assert turn.choices[0].finish_reason == "stop"
        view = app.chat.query_one(ChoiceView)
        assert markdown_text(view) == "Hello, world!"
        assert app.chat.query_one(Composer).text == ""
        sent = loopback.requests[-1].json()
        assert sent["messages"][-1] == {"role": "user", "content": "hi there"}
        assert sent["stream"] is True
        request_validator()(sent)
        meta = str(app.chat.query_one(TurnView).query_one(".meta", Static).render())
        assert "finish: stop" in meta and "test-model" in meta


async def test_three_choices_stream_into_tabs_with_their_finish_reasons(loopback):
    events = [chunk(i, "", role="assistant") for i in range(3)]
    for word in ("alpha ", "beta ", "gamma "):
        events += [chunk(i, f"{word}{i} ") for i in (2, 0, 1)]
    events += [
        chunk(1, None, "length"),
        chunk(0, None, "stop"),
        chunk(2, None, "content_filter"),
        "[DONE]",
    ]
    loopback.enqueue(stream_reply(events))
    app = make_app(loopback.base_url, params={"n": 3})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"three please", "enter")
        await settle(app, pilot)
        labels = [
            str(t.label) for t in app.chat.query(Tab).results(Tab) if (t.id or "").startswith("c")
        ]
        assert len(labels) == 3
        assert "stop" in labels[0] and "length" in labels[1] and "filtered" in labels[2]
        assert labels[0].startswith("✓")  # the first choice continues by default
        turn = app.chat.conversation.turns[-1]
        assert [c.content for c in turn.choices] == [
            "alpha 0 beta 0 gamma 0 ",
            "alpha 1 beta 1 gamma 1 ",
            "alpha 2 beta 2 gamma 2 ",
        ]
        assert loopback.requests[-1].json()["n"] == 3


async def test_choosing_a_choice_continues_the_conversation_with_it(loopback):
    events = [chunk(i, "", role="assistant") for i in range(2)]
    events += [
        chunk(0, "first answer"),
        chunk(1, "second answer"),
        chunk(0, None, "stop"),
        chunk(1, None, "stop"),
        "[DONE]",
    ]
    loopback.enqueue(stream_reply(events))
    loopback.enqueue(simple_stream(["ok"]))
    app = make_app(loopback.base_url, params={"n": 2})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"pick one", "enter")
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert app.chat.conversation.turns[0].chosen == 1
        labels = [
            str(t.label) for t in app.chat.query(Tab).results(Tab) if (t.id or "").startswith("c")
        ]
        assert labels[1].startswith("✓") and not labels[0].startswith("✓")
        await pilot.press(*"next", "enter")
        await settle(app, pilot)
        history = loopback.requests[-1].json()["messages"]
        assert history[1] == {"role": "assistant", "content": "second answer"}
        # the other choice stays in the turn (and the saved file)
        assert [c.content for c in app.chat.conversation.turns[0].choices] == [
            "first answer",
            "second answer",
        ]


async def test_escape_cancels_and_keeps_what_arrived(loopback):
    events = [chunk(0, "", role="assistant"), chunk(0, "partial "), chunk(0, "answer")]
    loopback.enqueue(stream_reply(events, stall=5.0))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"go", "enter")
        loop = asyncio.get_running_loop()
        end = loop.time() + 5
        while loop.time() < end:
            live = app.chat.active_turn.live if app.chat.active_turn else None
            if live and live.choices.get(0) and live.choices[0].content == "partial answer":
                break
            await asyncio.sleep(0.01)
        await pilot.press("escape")
        await settle(app, pilot)
        turn = app.chat.conversation.turns[-1]
        assert turn.cancelled
        assert turn.choices[0].content == "partial answer"
        err = app.chat.query_one(ChoiceView).query_one(".error", Static)
        assert err.display and "Cancelled" in str(err.render())


async def test_error_mid_stream_keeps_partial_and_retry_resends(loopback):
    events = [
        chunk(0, "", role="assistant"),
        chunk(0, "half an "),
        {"error": {"message": "upstream overloaded", "type": "server_error", "code": None}},
    ]
    loopback.enqueue(stream_reply(events))
    loopback.enqueue(simple_stream(["a whole answer"]))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"question", "enter")
        await settle(app, pilot)
        turn = app.chat.conversation.turns[-1]
        assert turn.error and turn.error["message"] == "upstream overloaded"
        assert turn.choices[0].content == "half an "
        err = app.chat.query_one(ChoiceView).query_one(".error", Static)
        assert err.display and "upstream overloaded" in str(err.render())
        assert (
            "Error" in " ".join(str(t.label) for t in app.chat.query(Tab).results(Tab))
            or turn.error
        )
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        assert len(loopback.requests) == 2
        assert loopback.requests[0].json()["messages"] == loopback.requests[1].json()["messages"]
        assert len(app.chat.conversation.turns) == 1
        assert app.chat.conversation.turns[0].choices[0].content == "a whole answer"


async def test_http_error_is_shown_with_status_and_message(loopback):
    loopback.enqueue(
        Reply.json({"error": {"message": "Invalid API key provided", "type": "error"}}, status=401)
    )
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press(*"hello", "enter")
        await settle(app, pilot)
        turn = app.chat.conversation.turns[-1]
        assert turn.error["status"] == 401
        text = str(app.chat.query_one(ChoiceView).query_one(".error", Static).render())
        assert "HTTP 401" in text and "Invalid API key provided" in text and "TEST_KEY" in text
        # what was typed is kept in the conversation, one key from a retry
        assert turn.input == [{"role": "user", "content": "hello"}]


async def test_dropped_connection_keeps_partial(loopback):
    events = [chunk(0, "", role="assistant"), chunk(0, "cut off")]
    loopback.enqueue(stream_reply(events, drop=True))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"hello", "enter")
        await settle(app, pilot)
        turn = app.chat.conversation.turns[-1]
        assert turn.error and turn.error["kind"] == "connection"
        assert turn.choices[0].content == "cut off"


async def test_invalid_parameter_blocks_sending_and_keeps_the_text(loopback):
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        await sidebar_built(app, pilot)
        sidebar = app.chat.query_one(ParamSidebar)
        field = sidebar.query_one("#param-temperature")
        field.query_one("Input").value = "5"
        await pilot.pause()
        assert field.has_class("invalid")
        assert "temperature must be in 0–2" in str(field.query_one(".error", Static).render())
        app.chat.query_one(Composer).focus()
        await pilot.press(*"keep me", "enter")
        await pilot.pause()
        assert loopback.requests == []
        assert app.chat.query_one(Composer).text == "keep me"
        assert any("temperature" in n.message for n in app._notifications)


async def test_sidebar_values_reach_the_request_and_unset_ones_do_not(loopback):
    loopback.enqueue(simple_stream(["ok"]))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await sidebar_built(app, pilot)
        sidebar = app.chat.query_one(ParamSidebar)
        sidebar.query_one("#param-temperature Input").value = "0.3"
        sidebar.query_one("#param-seed Input").value = "42"
        sidebar.query_one("#param-logit_bias Input").value = "50256:-100, 13:5"
        sidebar.query_one("#stop-0").value = "END"
        await pilot.pause()
        app.chat.query_one(Composer).focus()
        await pilot.press(*"hi", "enter")
        await settle(app, pilot)
        body = loopback.requests[-1].json()
        assert body["temperature"] == 0.3 and body["seed"] == 42 and body["stop"] == ["END"]
        assert body["logit_bias"] == {"50256": -100, "13": 5}
        for unset in ("top_p", "max_tokens", "presence_penalty", "frequency_penalty", "user", "n"):
            assert unset not in body
        request_validator()(body)
        meta = str(app.chat.query_one(TurnView).query_one(".meta", Static).render())
        assert "seed 42" in meta


async def edit_last(app, pilot, *, shown: str, typed: str) -> None:
    """ctrl+r: the last sent message is in the composer as ``shown``; ``typed`` is sent in
    its place, and the reply is drawn."""
    await pilot.press("ctrl+r")
    await pilot.pause()
    composer = app.chat.query_one(Composer)
    assert composer.text == shown and composer.has_class("editing")
    composer.text = typed
    await pilot.press("enter")
    await settle(app, pilot)


async def test_edit_and_resend_replaces_later_turns(loopback):
    loopback.enqueue(simple_stream(["one"]))
    loopback.enqueue(simple_stream(["two"]))
    loopback.enqueue(simple_stream(["two, edited"]))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"first", "enter")
        await settle(app, pilot)
        await pilot.press(*"second", "enter")
        await settle(app, pilot)
        await edit_last(app, pilot, shown="second", typed="second, better")
        turns = app.chat.conversation.turns
        assert len(turns) == 2
        assert turns[1].input[0]["content"] == "second, better"
        assert turns[1].choices[0].content == "two, edited"
        assert [m["content"] for m in loopback.requests[-1].json()["messages"]] == [
            "first",
            "one",
            "second, better",
        ]
        assert len(app.chat.query(TurnView)) == 2


async def test_json_mode_without_json_in_messages_asks_before_sending(loopback):
    loopback.enqueue(simple_stream(['{"a": 1}']))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await sidebar_built(app, pilot)
        select = app.chat.query_one("#input-response_format")
        select.value = "json_object"
        await pilot.pause()
        app.chat.query_one(Composer).focus()
        await pilot.press(*"give me data", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert loopback.requests == []
        await pilot.press("y")
        await settle(app, pilot)
        assert loopback.requests[-1].json()["response_format"] == {"type": "json_object"}


async def test_truncated_json_reply_is_marked(loopback):
    loopback.enqueue(simple_stream(['{"a": [1, 2'], finish="length"))
    app = make_app(loopback.base_url, params={"response_format": {"type": "json_object"}})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"reply in JSON", "enter")
        await settle(app, pilot)
        err = app.chat.query_one(ChoiceView).query_one(".error", Static)
        assert err.display and "Truncated JSON" in str(err.render())


async def test_input_is_not_blocked_while_streaming(loopback):
    events = [chunk(0, "", role="assistant")] + [chunk(0, f"w{i} ") for i in range(50)]
    pieces = []
    for p in sse(events):
        pieces += [p, 0.06]
    pieces += sse([chunk(0, None, "stop"), "[DONE]"])
    loopback.enqueue(Reply(status=200, headers=SSE, body=pieces))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"go", "enter")
        await asyncio.sleep(0.2)
        assert app.chat.active_turn is not None, "the reply should still be streaming"
        await pilot.press(*"typing")
        assert app.chat.query_one(Composer).text == "typing"
        await pilot.press("ctrl+b")  # the sidebar toggles while streaming
        assert app.chat.has_class("no-sidebar")
        await settle(app, pilot)
        assert app.chat.conversation.turns[-1].choices[0].content.startswith("w0 w1")


async def test_long_conversation_mounts_its_last_turns_and_earlier_ones_on_demand(loopback):
    from tui.app.widgets.conversation import MAX_TURNS
    from tui.core.conversation import ChoiceRecord, Conversation, Turn

    conv = Conversation(model="test-model", title="long")
    for i in range(30):
        turn = Turn(input=[{"role": "user", "content": f"question {i}"}])
        turn.choices = [ChoiceRecord(index=0, content=f"answer {i}", finish_reason="stop")]
        conv.turns.append(turn)
    app = make_app(loopback.base_url, conversation=conv)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        views = list(app.chat.query(TurnView).results(TurnView))
        assert [v.turn.input[0]["content"] for v in views][-1] == "question 29"
        assert len(views) == MAX_TURNS  # short turns: the most turns the window takes
        earlier = app.chat.query_one("#earlier", Static)
        assert earlier.display and f"{30 - MAX_TURNS} earlier turns" in str(earlier.render())
        app.chat.query_one("#conversation").scroll_home(animate=False)  # the user reaches the top
        await pilot.pause()
        await pilot.pause()
        assert len(list(app.chat.query(TurnView).results(TurnView))) == 30
        assert not earlier.display
        # the conversation itself is whole: the next request carries every turn
        assert len(app.chat.conversation.turns) == 30


async def test_a_long_reply_is_rendered_in_pieces_that_add_up_to_it(loopback):
    from tui.app.widgets.choice import CHUNK

    paragraphs = [f"Paragraph {i} " + "word " * 30 + "\n\n" for i in range(40)]
    paragraphs.insert(10, "```python\n" + "x = 1\n\n" * 30 + "```\n\n")
    loopback.enqueue(simple_stream(paragraphs))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"long", "enter")
        await settle(app, pilot)
        view = app.chat.query_one(ChoiceView)
        text = "".join(paragraphs)
        assert len(text) > 4 * CHUNK
        assert len(view.pieces) >= 4
        assert view.markdown_source == text
        # the code block is never cut: it sits whole in one piece
        assert sum("```python" in p.source for p in view.pieces) == 1
        assert any(p.source.count("```") == 2 for p in view.pieces)
        conv = app.chat.conversation
    # the same reply opened from the saved conversation renders in pieces too
    app = make_app(loopback.base_url, conversation=conv)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        view = app.chat.query_one(ChoiceView)
        assert view.markdown_source == "".join(paragraphs)
        assert len(view.pieces) >= 4


async def test_autosave_during_a_stream_writes_in_the_background_and_the_end_wins(loopback):
    import threading

    from tui.config import Config
    from tui.core.store import load_file

    events = [chunk(0, "", role="assistant")] + [chunk(0, f"w{i} ") for i in range(40)]
    pieces: list = []
    for p in sse(events):
        pieces += [p, 0.05]
    pieces += sse([chunk(0, None, "stop"), "[DONE]"])
    loopback.enqueue(Reply(status=200, headers=SSE, body=pieces))
    app = make_app(loopback.base_url, config=Config(autosave=True))
    writers: list[str] = []
    store_write = app.store.write

    def write(path, doc):
        writers.append(threading.current_thread().name)
        store_write(path, doc)

    app.store.write = write
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"go", "enter")
        assert app.chat.active_turn is not None, "the reply should still be streaming"
        app.chat.session.checkpoint()  # what the 3-second timer does mid-stream
        await settle(app, pilot)
        await app.workers.wait_for_complete()
        saved = load_file(app.store.path_for(app.chat.conversation))
        assert (
            saved.turns[-1].choices[0].content == app.chat.conversation.turns[-1].choices[0].content
        )
        assert saved.turns[-1].choices[0].finish_reason == "stop"
    main = threading.main_thread().name
    # every save ran in a thread: the mid-stream one and the end of the turn (the
    # encoding too: a long conversation never stalls the UI), and the end won
    assert len(writers) >= 2 and main not in writers, writers


async def test_reloading_a_long_conversation_never_mounts_stale_or_duplicate_turns(loopback):
    from tui.core.conversation import ChoiceRecord, Conversation, Turn

    def long_conv(tag: str) -> Conversation:
        conv = Conversation(model="test-model", title=tag)
        for i in range(30):
            turn = Turn(input=[{"role": "user", "content": f"{tag} q{i}"}])
            turn.choices = [
                ChoiceRecord(index=0, content=f"{tag} answer {i}\n\n" * 4, finish_reason="stop")
            ]
            conv.turns.append(turn)
        return conv

    a, b = long_conv("A"), long_conv("B")
    app = make_app(loopback.base_url, conversation=a)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        view = app.chat.query_one("#conversation")
        for conv in (a, b, b):
            await app.chat.load_conversation(conv)
            await pilot.pause()
            await pilot.pause()
            shown = [v.turn.input[0]["content"] for v in app.chat.query(TurnView).results(TurnView)]
            tag = conv.title
            assert all(s.startswith(tag) for s in shown), shown
            assert shown[-1] == f"{tag} q29" and len(shown) < 30
        view.scroll_home(animate=False)
        await pilot.pause()
        await pilot.pause()
        shown = [v.turn.input[0]["content"] for v in app.chat.query(TurnView).results(TurnView)]
        assert len(shown) == len(set(shown))
        assert shown == [f"B q{i}" for i in range(30 - len(shown), 30)]


def test_the_opening_window_is_sized_by_text_not_turn_count():
    from tui.app.widgets.conversation import MAX_TURNS, OPEN_BUDGET, take_last
    from tui.core.conversation import ChoiceRecord, Turn

    def turns(size: int, count: int = 50) -> list[Turn]:
        out = []
        for _ in range(count):
            t = Turn(input=[{"role": "user", "content": "q"}])
            t.choices = [ChoiceRecord(index=0, content="x" * size, finish_reason="stop")]
            out.append(t)
        return out

    assert take_last(turns(10), OPEN_BUDGET) == MAX_TURNS
    assert take_last(turns(2000), OPEN_BUDGET) == 2
    assert take_last(turns(100_000), OPEN_BUDGET) == 1  # one huge reply is still shown


async def test_editing_a_message_sent_with_an_image_keeps_the_image(loopback):
    from tui.core.conversation import ChoiceRecord, Conversation

    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    conv = Conversation(model="test-model")
    asked = [{"type": "text", "text": "What is in this picture?"}, image]
    msgs = [{"role": "user", "content": asked}]
    turn = conv.start_turn(msgs, conv.build(msgs))
    turn.live = None
    turn.choices = [ChoiceRecord(index=0, content="A cat.", finish_reason="stop")]
    loopback.enqueue(simple_stream(["A small cat."]))
    app = make_app(loopback.base_url, conversation=conv)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        # the message's text to edit, not an empty composer
        await edit_last(app, pilot, shown="What is in this picture?", typed="How big is it?")
        sent = loopback.requests[-1].json()["messages"][-1]
        assert sent["content"] == [{"type": "text", "text": "How big is it?"}, image]
        assert app.chat.conversation.turns[0].input[0]["content"] == sent["content"]
