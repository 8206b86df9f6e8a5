"""A screenful of reply in a real terminal, for tests/app/test_growing.py: ``a`` appends
a paragraph to the piece, ``w`` a word to its last paragraph, as a streaming reply does.
``growing`` on or off (argv[1])."""

from __future__ import annotations

import sys

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll

from tui.app.widgets.fence import ReplyMarkdown

TEXT = "".join(f"Paragraph {i} of a long reply, with a few words to wrap.\n\n" for i in range(30))


class GrowingApp(App[None]):
    BINDINGS = [("a", "append", "append"), ("w", "word", "word"), ("q", "quit", "quit")]

    def __init__(self, growing: bool) -> None:
        super().__init__()
        self.growing = growing
        self.count = 0

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield ReplyMarkdown(TEXT, open_links=False)

    def on_mount(self) -> None:
        self.query_one(ReplyMarkdown).growing = self.growing
        self.query_one(VerticalScroll).anchor()  # the end on screen, as a reply's is
        self.query_one(ReplyMarkdown).styles.min_height = 72  # spare rows, as streaming keeps

    async def action_append(self) -> None:
        self.count += 1
        # "``" is a paragraph until the third backtick makes it a code block: the
        # paragraph is removed and a fence mounted in its place.
        piece = self.query_one(ReplyMarkdown)
        await piece.append(f"New paragraph {self.count}.\n\n``")
        await piece.append("`python\nx = 1\n")

    async def action_word(self) -> None:
        self.count += 1
        await self.query_one(ReplyMarkdown).append(f" word{self.count}")


if __name__ == "__main__":
    GrowingApp(sys.argv[1] == "on").run()
