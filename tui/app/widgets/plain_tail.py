"""The part of a huge reply past what is rendered as Markdown (issue 13): a one-line note
and the rest of the text in a read-only TextArea, which lays out only the lines on screen,
so a reply of tens of megabytes neither blanks nor freezes the app."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Static, TextArea

from ..safe import safe, shown
from .steady import update_steady

MD_CAP = 50_000  # characters of a reply rendered as Markdown; the rest is plain text
# While a reply streams, text reaches the TextArea at most once a FLUSH_EVERY seconds once
# it holds FEW_LINES lines: each insert changes its virtual size, which lays out the whole
# screen (100-300 ms with a long reply above, every frame, while typed keys waited). It
# shows its first lines meanwhile (its cursor stays at the top), so nothing on screen lags.
FLUSH_EVERY = 1.0
FEW_LINES = 40


def markdown_end(text: str) -> int:
    """Where the Markdown part of ``text`` ends: all of it up to MD_CAP characters, else
    just after the last line break in the second half of the first MD_CAP characters
    (at MD_CAP if there is none). Depends only on ``text[:MD_CAP]``."""
    if len(text) <= MD_CAP:
        return len(text)
    nl = text.rfind("\n", MD_CAP // 2, MD_CAP)
    return nl + 1 if nl >= 0 else MD_CAP


def note_text(chars: int) -> str:
    kb = max(1, round(chars / 1000))
    return f"{kb:,} KB more shown as plain text (Markdown rendering stops at {MD_CAP // 1000} KB)"


class PlainTail(Vertical):
    """The plain-text rest of one choice. ``append`` while streaming, then ``flush``;
    or ``load`` once."""

    DEFAULT_CSS = """
    PlainTail { height: auto; }
    PlainTail > .note { color: $text-muted; text-style: italic; padding: 0 1; }
    PlainTail > TextArea { height: auto; max-height: 20; border: none; padding: 0 1; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.chars = 0  # characters of the reply's text this holds (before neutralising)
        self._pending: list[str] = []  # text not in the TextArea yet (neutralised)
        self._flush: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("", classes="note", markup=False)
        yield TextArea("", read_only=True, soft_wrap=True, show_cursor=False)

    @property
    def area(self) -> TextArea:
        return self.query_one(TextArea)

    @property
    def text(self) -> str:
        return self.area.text + "".join(self._pending)

    def append(self, text: str, chars: int) -> None:
        """Add ``text`` (outside text: it is neutralised here) at the end; ``chars``: the
        characters of the reply's text it stands for."""
        self._pending.append(shown(text))
        self.chars += chars
        self._write_note()
        if self._flush is None:
            if self.area.document.line_count < FEW_LINES:
                self.flush()
            else:
                self._flush = self.set_timer(FLUSH_EVERY, self.flush)

    def flush(self) -> None:
        """Put what ``append`` kept back into the TextArea (the reply is over, or a
        second has passed)."""
        if self._flush is not None:
            self._flush.stop()
            self._flush = None
        if self._pending:
            text, self._pending = "".join(self._pending), []
            area = self.area
            area.insert(text, area.document.end, maintain_selection_offset=True)
            area.history.clear()  # (an undo history of megabytes nobody can use)

    def load(self, text: str, chars: int) -> None:
        self._pending = []
        self.flush()  # (nothing kept back: this stops its timer)
        self.area.load_text(shown(text))
        self.chars = chars
        self._write_note()

    def _write_note(self) -> None:
        update_steady(self.query_one(".note", Static), safe(note_text(self.chars)))
