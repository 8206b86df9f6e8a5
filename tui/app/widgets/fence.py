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

from pygments.lexer import RegexLexer
from pygments.lexers import find_lexer_class_by_name, get_lexer_by_name
from pygments.util import ClassNotFound
from textual.content import Content
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownFence

from .growing import Growing


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


class ReplyMarkdown(Growing, Markdown):
    """Markdown whose code blocks are QuickFences. ``growing`` while a reply streams into
    it (see growing.py: a new paragraph repainted all of the piece)."""

    BLOCKS = {**Markdown.BLOCKS, "fence": QuickFence, "code_block": QuickFence}
