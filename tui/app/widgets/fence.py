"""Code blocks that never hold up a frame.

Textual's fence colours its code on the UI thread as the block is made. Two things there
cost far more than the code itself: a block with no language has Pygments guess one by
trying every lexer it has (0.4 s the first time: it imports them all), and the first block
in a language builds that lexer's tables (60 ms for Python). A reply streaming its first
code block, or a conversation opening, froze for that long.

Here a block with no language is shown as plain text (guessing is wrong as often as right
for a snippet), and a block in a language whose lexer is not built yet is shown plain at
once while a thread builds the lexer; then it is coloured. Once built, colouring is as
before, in the frame."""

from __future__ import annotations

import contextlib
from typing import Self

from pygments.lexer import RegexLexer
from pygments.lexers import find_lexer_class_by_name, get_lexer_by_name
from pygments.util import ClassNotFound
from textual.content import Content
from textual.geometry import Region, Size
from textual.reactive import Reactive
from textual.visual import VisualType
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownFence

from .growing import Growing
from .steady import update_steady


def lexer_ready(language: str) -> bool:
    """Whether colouring ``language`` costs only the lexing (no guess, no tables to
    build). A language Pygments does not know is shown plain: ready too."""
    if not language:
        return True
    try:
        lexer = find_lexer_class_by_name(language)
    except (ClassNotFound, ValueError):
        return True
    # A RegexLexer builds its token tables the first time one is made (they are kept on
    # the class, as ``_tokens``).
    return not issubclass(lexer, RegexLexer) or "_tokens" in lexer.__dict__


def build_lexer(language: str) -> None:
    """Build ``language``'s lexer tables (in a thread: the UI thread goes on)."""
    with contextlib.suppress(ClassNotFound, ValueError):
        get_lexer_by_name(language)


class QuickFence(MarkdownFence):
    @classmethod
    def highlight(cls, code: str, language: str, ansi: bool = False, dark: bool = False) -> Content:
        if not language or not lexer_ready(language):
            return Content("\n".join(code.splitlines())).stylize_before("$text")
        return super().highlight(code, language, ansi=ansi, dark=dark)

    def on_mount(self) -> None:
        if self.lexer and not lexer_ready(self.lexer):
            self.run_worker(self._build_then_colour, thread=True, group="lexer")

    def _build_then_colour(self) -> None:
        build_lexer(self.lexer)
        self.app.call_from_thread(self.colour)

    def colour(self) -> None:
        """Colour the code now that its lexer is built."""
        if self.is_attached:
            self.set_content(
                self.highlight(
                    self.code,
                    self.lexer,
                    ansi=self.app.native_ansi_color,
                    dark=self.app.current_theme.dark,
                )
            )


CLAIM = 4  # rows the paragraph a reply grows in takes at a time (LiveParagraph._grow)
# (Textual's paragraph class is not exported; its Markdown names it in BLOCKS.)
_Paragraph = Markdown.BLOCKS["paragraph_open"]


class LiveParagraph(_Paragraph):
    """A paragraph that lays the screen out again only when its height changes.

    The paragraph a reply streams into gets its new text every frame, and Textual's
    ``Static.update`` asks for a layout each time. A layout is of the whole screen (every
    widget placed again, then sized again), so it cost more the longer the conversation
    (issue 13: 100-300 ms a frame in a long reply, while a typed key waited). Most frames
    add words to the last line; only a frame that adds a line needs the layout (see
    steady.py).

    Nor does its new size call for a second one: Textual sets a widget's virtual size
    after each layout, and that reactive asks for a layout when it changes (it matters
    to what scrolls; a paragraph does not). Each new line laid the screen out twice."""

    virtual_size = Reactive(Size(0, 0), layout=False)
    _lines: tuple[int, list[tuple[str, tuple[object, ...]]]] | None = None  # width, rows
    _changed: tuple[int, int] | None = None  # the rows an update changes (in _grow)

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        parent = self.parent
        if layout and isinstance(parent, Growing) and parent.growing and self.size.width:
            self._grow(content)
        elif layout:
            update_steady(self, content, super().update)
        else:
            super().update(content, layout=False)

    def _grow(self, content: VisualType) -> None:
        """The last paragraph of a reply that streams: rows are claimed CLAIM at a time,
        so a layout comes with every CLAIM-th new line, not every one (the rows below the
        text are blank either way: the piece keeps spare rows, see choice.py; where it
        keeps none, a row at a time). Only the rows from the first one that changed are
        repainted: the rest of the paragraph is not sent to the terminal again every
        frame (issue 18)."""
        width, rows = self.size
        lines = _wrapped(content, width)
        if self._lines is not None and lines is not None and self._lines[0] == width:
            same = 0
            for old, new in zip(self._lines[1], lines, strict=False):
                if old != new:
                    break
                same += 1
            # From the first row that differs to the last that has text, now or before
            # (the claimed rows below stay blank).
            self._changed = (same, max(len(lines), len(self._lines[1])))
        self._lines = None if lines is None else (width, lines)
        super().update(content, layout=False)
        self._changed = None
        needed = self.text_rows
        floor = self.parent.styles.min_height
        if needed > rows and floor is not None:
            # Rows claimed within the piece's spare rows only: never more blank rows on
            # screen, and the piece does not grow for them.
            top = self.region.y - self.parent.content_region.y
            room = int(floor.value) - top - needed - self.styles.margin.bottom
            self.styles.min_height = needed + max(0, min(CLAIM - 1, room))  # (lays out)
        elif needed != rows and (needed > rows or self.styles.min_height is None):
            # (No spare rows around it: claimed rows given back when the paragraph ends
            # would move the conversation down and up again.)
            self.refresh(layout=True)

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        changed = self._changed
        if changed is not None and repaint and not (regions or layout or recompose) and self.size:
            width, height = self.size
            # (Some region is refreshed even if none changed: that drops the old size.)
            top = min(changed[0], height - 1)
            bottom = max(top + 1, min(changed[1], height))
            return super().refresh(Region(0, top, width, bottom - top))
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    @property
    def text_rows(self) -> int:
        """The rows its text takes (its height can be more: rows claimed)."""
        width = self.size.width
        return self.get_content_height(self.size, self.size, width) if width else 0

    def release(self) -> None:
        """No longer the paragraph a reply grows in: as tall as its text."""
        if self.styles.min_height is not None:
            self.styles.min_height = None


def _wrapped(content: VisualType, width: int) -> list[tuple[str, tuple[object, ...]]] | None:
    """``content``'s rows at ``width``, as text and styles (None: not Content)."""
    if not isinstance(content, Content):
        return None
    return [(line.plain, tuple(line.spans)) for line in content.wrap(width)]


class ReplyMarkdown(Growing, Markdown):
    """Markdown whose code blocks are QuickFences. ``growing`` while a reply streams into
    it (see growing.py: a new paragraph repainted all of the piece)."""

    BLOCKS = {
        **Markdown.BLOCKS,
        "fence": QuickFence,
        "code_block": QuickFence,
        "paragraph_open": LiveParagraph,
    }

    def release_claims(self) -> None:
        """Give back the rows claimed by paragraphs that are no longer the last block."""
        for block in self.children[-4:-1]:
            if isinstance(block, LiveParagraph):
                block.release()

    @Growing.growing.setter
    def growing(self, growing: bool) -> None:
        Growing.growing.fset(self, growing)
        if not growing:
            for block in self.children[-1:]:
                if isinstance(block, LiveParagraph):
                    block.release()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # Textual arranges a container whose children are all of auto height at the size
        # (width, its parent's height), and keeps that arrangement under that size: as a
        # reply grows, its parent's height changes on every layout, so every piece of
        # every reply was arranged again, block by block, each time (300-700 ms a layout
        # in a 50 KB reply, issue 13). A piece's blocks never depend on the height around
        # them (no block has a relative height), so ask at height 0: one arrangement per
        # width, kept until the piece's blocks change.
        return super().get_content_height(Size(container.width, 0), viewport, width)
