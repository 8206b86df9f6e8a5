"""A reply of any size never blanks or freezes the app (issue 13): the first MD_CAP
characters are rendered as Markdown, the rest as plain text under a note, and the
conversation keeps the whole text."""

from __future__ import annotations

import asyncio

from textual.widgets import Static

from tests.app.conftest import make_app, settle
from tests.app.test_turn_end import paced
from tests.benchmarks.huge_bench import bigdoc
from tui.app.widgets.choice import ChoiceView
from tui.app.widgets.composer import Composer
from tui.app.widgets.plain_tail import MD_CAP, PlainTail
from tui.config import Config

END = "THE VERY LAST WORDS of the reply."


def big_markdown(size: int) -> str:
    """A long reply's shape (the huge-reply benchmark's document), ending in END."""
    return bigdoc(size) + END


async def test_a_2mb_reply_streamed_fast_leaves_the_app_responsive(loopback):
    from tui.core.store import load_file

    text = big_markdown(2_000_000)
    parts = [text[i : i + 4000] for i in range(0, len(text), 4000)]
    loopback.enqueue(paced(parts, 0.0))
    app = make_app(loopback.base_url, config=Config(autosave=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"big", "enter")
        chat = app.chat
        loop = asyncio.get_running_loop()
        end = loop.time() + 30
        while loop.time() < end and not list(chat.query(ChoiceView).results(ChoiceView)):
            await asyncio.sleep(0.01)
        view = chat.query_one(ChoiceView)
        # a key typed while the reply streams appears in the composer
        await pilot.press("x")
        assert chat.query_one(Composer).text == "x"
        await settle(app, pilot, timeout=60)
        assert app.is_running
        tail = view.query_one(PlainTail)
        note = str(tail.query_one(".note", Static).render())
        assert "KB more shown as plain text (Markdown rendering stops at" in note
        assert tail.text.endswith(END)
        assert len(view.markdown_source) <= MD_CAP
        assert view.markdown_source + tail.text == text
        await app.workers.wait_for_complete()  # the end-of-turn save runs in a thread
        saved = load_file(app.store.path_for(chat.conversation))
        assert saved.turns[-1].choices[0].content == text
        assert chat.conversation.turns[-1].choices[0].content == text


async def test_a_reply_under_the_cap_has_no_plain_text_part(loopback):
    text = big_markdown(MD_CAP // 2)
    loopback.enqueue(paced([text[i : i + 3000] for i in range(0, len(text), 3000)], 0.0))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"small", "enter")
        await settle(app, pilot, timeout=60)
        view = app.chat.query_one(ChoiceView)
        assert view.markdown_source == text
        assert not list(view.query(PlainTail).results(PlainTail))
