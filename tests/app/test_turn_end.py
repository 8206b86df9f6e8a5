"""The end of a reply: it never quits the app, never freezes the view, and what is shown at
the end is a fresh render of the final text.

Each test runs many rounds with varied pacing and chunk sizes, so a race between the
last frame and the end of the turn shows up here, not only by hand."""

from __future__ import annotations

import json
import random

from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownBlock

from tests.app.conftest import chunk, make_app, settle
from tests.loopback import Reply, sse
from tui.app.widgets.choice import CHUNK, ChoiceView
from tui.app.widgets.fence import ReplyMarkdown
from tui.config import Config
from tui.core.blocks import split_markdown

SSE = [("Content-Type", "text/event-stream")]


def markdownish(rng: random.Random, size: int) -> str:
    """Bold, inline code, short paragraphs, lists and a list holding an indented fence."""
    parts: list[str] = []
    i = 0
    while sum(map(len, parts)) < size:
        kind = rng.choice([0, 0, 0, 0, 0, 0, 1, 2, 3, 4])  # mostly paragraphs, as replies are
        if kind == 0:
            parts.append(f"Para {i} has **bold {i}** and `code {i}` in it, w{i}.\n\n")
        elif kind == 1:
            parts.append("".join(f"- item {i}.{k} with *stress*\n" for k in range(3)) + "\n")
        elif kind == 2:
            parts.append(f"1. step {i}\n\n    ```python\n    x = {i}\n    ```\n\n2. next\n\n")
        elif kind == 3:
            parts.append(f"### Heading {i}\n\nShort line {i}.\n\n")
        else:
            parts.append(f"> quoted {i}\n> more\n\n")
        i += 1
    return "".join(parts)


def cut_randomly(rng: random.Random, text: str, pieces: int) -> list[str]:
    cuts = sorted(rng.sample(range(1, len(text)), min(pieces - 1, len(text) - 1)))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


def paced(parts: list[str], gap: float) -> Reply:
    events = [chunk(0, "", role="assistant"), *(chunk(0, p) for p in parts)]
    body: list = []
    for data in sse(events):
        body += [data, gap] if gap else [data]
    body += sse([chunk(0, None, "stop"), "[DONE]"])
    return Reply(status=200, headers=SSE, body=body)


def blocks(md: Markdown) -> list[tuple[str, str]]:
    """What a Markdown widget shows, block by block: kind and text."""
    return [
        (type(b).__name__, str(b.render()))
        for b in md.query(MarkdownBlock).results(MarkdownBlock)
        if not b.children
    ]


async def fresh_blocks(app, text: str) -> list[list[tuple[str, str]]]:
    """The same text rendered from scratch, piece by piece, as a loaded reply is."""
    out = []
    for part in split_markdown(text, CHUNK):
        md = ReplyMarkdown(part, open_links=False)  # (as a loaded reply is shown)
        await app.screen.mount(md)
        out.append(blocks(md))
        await md.remove()
    return out


async def test_paced_replies_end_with_the_app_alive_rendered_and_saved(loopback):
    from tui.core.store import load_file

    rng = random.Random(19)
    rounds = []
    for _ in range(8):
        text = markdownish(rng, rng.randrange(300, 1400))
        n_parts = rng.randrange(15, 50)
        gap = rng.choice([0.0, 0.005, 0.01, 0.02])  # up to 50 deltas/s
        rounds.append((text, cut_randomly(rng, text, n_parts), gap))
        loopback.enqueue(paced(rounds[-1][1], gap))
    loopback.enqueue(paced(["still ", "here"], 0.0))
    app = make_app(loopback.base_url, config=Config(autosave=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for r, (text, _, _) in enumerate(rounds):
            await pilot.press(*f"round {r}", "enter")
            await settle(app, pilot)
            assert app.is_running, f"the app quit at the end of round {r}"
            view = list(app.chat.query(ChoiceView).results(ChoiceView))[-1]
            assert view.markdown_source == text
            await app.workers.wait_for_complete()  # the end-of-turn save runs in a thread
            saved = load_file(app.store.path_for(app.chat.conversation))
            turn = saved.turns[-1]
            assert turn.choices[0].content == text
            raw = json.loads(app.store.path_for(app.chat.conversation).read_text())
            assert "partial" not in raw["turns"][-1]  # format 2 leaves out false values
        # and the chat still answers
        await pilot.press(*"next", "enter")
        await settle(app, pilot)
        assert app.chat.conversation.turns[-1].choices[0].content == "still here"
        assert app.is_running


async def test_a_fast_burst_ends_fully_rendered_as_a_fresh_render_would(loopback):
    rng = random.Random(2000)
    rounds = []
    for _ in range(4):
        text = markdownish(rng, rng.randrange(3000, 6000))
        parts = cut_randomly(rng, text, 2000)
        rounds.append(text)
        loopback.enqueue(paced(parts, 0.0))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for r, text in enumerate(rounds):
            await pilot.press(*f"burst {r}", "enter")
            await settle(app, pilot, timeout=60)
            assert app.is_running
            view = list(app.chat.query(ChoiceView).results(ChoiceView))[-1]
            assert view.markdown_source == text
            shown = [blocks(p) for p in view.pieces]
            assert shown == await fresh_blocks(app, text), f"round {r} differs from a fresh render"
            # the end of the reply is there, not frozen half-way
            last_words = text.strip().splitlines()[-1].strip("> -#0123456789.")[:12]
            assert any(last_words in t for _, t in shown[-1]), last_words


async def test_a_list_holding_an_indented_fence_renders_as_one_list(loopback):
    text = "1. first\n\n    ```sh\n    ls\n    ```\n\n2. second\n3. third\n"
    for size in (1, 2, 3, 5, 8):
        parts = [text[i : i + size] for i in range(0, len(text), size)]
        loopback.enqueue(paced(parts, 0.0))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for size in (1, 2, 3, 5, 8):
            await pilot.press(*f"split {size}", "enter")
            await settle(app, pilot)
            view = list(app.chat.query(ChoiceView).results(ChoiceView))[-1]
            assert [blocks(p) for p in view.pieces] == await fresh_blocks(app, text)
