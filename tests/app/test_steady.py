"""Text that changes in place does not lay the screen out again (issue 13): a streaming
paragraph, the meta line and the plain tail's note get new text every frame, and each
layout is of the whole screen. Only a change of height needs one (widgets/steady.py), and a
finished Markdown piece is not arranged again when the height around it changes
(ReplyMarkdown.get_content_height)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Size
from textual.widgets import Static

from tui.app.widgets.fence import CLAIM, ReplyMarkdown
from tui.app.widgets.steady import update_steady


class PieceApp(App[None]):
    CSS = """
    Vertical { height: auto; }
    Static.meta { height: auto; }
    Static.auto { width: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.layouts = 0

    def compose(self) -> ComposeResult:
        with VerticalScroll(), Vertical():  # (a reply's pieces sit in containers of auto height)
            yield ReplyMarkdown("# Done\n\nA finished piece.\n\n- one\n- two\n", id="done")
            yield ReplyMarkdown("Start", id="live", open_links=False)
            yield Static("0 tokens", classes="meta", markup=False)
            yield Static("auto", classes="auto", markup=False)

    def on_mount(self) -> None:
        self.screen.screen_layout_refresh_signal.subscribe(self, self._laid_out)

    def _laid_out(self, _screen: object) -> None:
        self.layouts += 1


def _lines(app: App[None]) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_words_on_the_same_line_repaint_without_a_layout() -> None:
    app = PieceApp()
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.pause()
        live = app.query_one("#live", ReplyMarkdown)
        before = app.layouts
        for word in (" one", " two", " three"):
            await live.append(word)
            await pilot.pause()
        assert "Start one two three" in _lines(app)
        assert app.layouts == before  # (each append laid the screen out)

        height = live.size.height
        await live.append(" and enough words to wrap onto a second line of the pane")
        await pilot.pause()
        assert app.layouts > before
        assert live.size.height > height
        assert "second line" in _lines(app)


async def test_the_meta_line_lays_out_only_when_its_rows_change() -> None:
    app = PieceApp()
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.pause()
        meta = app.query_one(".meta", Static)
        before = app.layouts
        update_steady(meta, "12 tokens · 40 tok/s")
        await pilot.pause()
        assert "12 tokens · 40 tok/s" in _lines(app)
        assert app.layouts == before

        update_steady(meta, "12 tokens\na notice")
        await pilot.pause()
        assert meta.size.height == 2
        assert "a notice" in _lines(app)

        # A Static whose width follows its text is laid out as before.
        auto = app.query_one(".auto", Static)
        update_steady(auto, "a much longer text")
        await pilot.pause()
        assert auto.size.width == len("a much longer text")


async def test_a_finished_piece_is_not_arranged_again_when_the_height_around_it_changes() -> None:
    app = PieceApp()
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.pause()
        done = app.query_one("#done", ReplyMarkdown)
        shown = _lines(app)
        asked: list[Size] = []
        arrange = done.arrange

        def spy(size: Size, optimal: bool = False):  # type: ignore[no-untyped-def]
            asked.append(size)
            return arrange(size, optimal)

        done.arrange = spy  # type: ignore[method-assign]
        live = app.query_one("#live", ReplyMarkdown)
        for i in range(3):
            await live.append(f"\n\nParagraph {i}")
            await pilot.pause()
        assert "Paragraph 2" in _lines(app)
        # Asked at height 0 (its blocks do not depend on the height around them) or at its
        # own: Textual asked at its parent's height, new on every layout, and arranged
        # every block of the piece again each time.
        assert asked and {s.height for s in asked} <= {0, done.size.height}, asked
        assert _lines(app).startswith(shown.split("Start")[0])


async def test_a_growing_paragraph_claims_rows_a_few_at_a_time() -> None:
    app = PieceApp()
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.pause()
        live = app.query_one("#live", ReplyMarkdown)
        live.growing = True
        live.styles.min_height = 30  # (the spare rows a streaming reply keeps)
        words = iter(f" w{i:02}" for i in range(200))

        async def add_until(rows: int) -> None:
            para = live.children[-1]
            while para.get_content_height(para.size, para.size, para.size.width) < rows:
                await live.append(next(words))
                await pilot.pause()
                live.release_claims()

        await add_until(2)
        para = live.children[-1]
        assert para.size.height == 1 + CLAIM  # two rows of text and CLAIM - 1 spare
        before = app.layouts
        await add_until(1 + CLAIM)
        assert app.layouts == before  # (a layout for each new row)
        assert para.size.height == 1 + CLAIM

        # A block after it: the paragraph is as tall as its text again.
        await live.append("\n\nNext paragraph")
        await pilot.pause()
        live.release_claims()
        await pilot.pause()
        rows = para.get_content_height(para.size, para.size, para.size.width)
        assert para.size.height == rows
        assert "Next paragraph" in _lines(app)

        # And when the reply ends, the last one too.
        await live.append(" and more" * 6)  # (two rows: it claims)
        await pilot.pause()
        last = live.children[-1]
        text_rows = last.get_content_height(last.size, last.size, last.size.width)
        assert text_rows > 1 and last.size.height == text_rows + CLAIM - 1
        live.growing = False
        await pilot.pause()
        assert last.size.height == last.get_content_height(last.size, last.size, last.size.width)


async def test_without_spare_rows_a_paragraph_claims_none() -> None:
    """A piece that keeps no spare rows: rows claimed and given back when the paragraph
    ends would move the conversation down and up again."""
    app = PieceApp()
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.pause()
        live = app.query_one("#live", ReplyMarkdown)
        live.growing = True
        await live.append(" and enough words to wrap onto a second line of the pane")
        await pilot.pause()
        para = live.children[-1]
        assert para.size.height == para.get_content_height(para.size, para.size, para.size.width)
        assert "second line" in _lines(app)
