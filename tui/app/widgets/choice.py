"""One choice of a reply: reasoning (collapsed), Markdown content streamed per frame,
refusal, tool calls, the error next to the partial text, and a meta line."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.containers import ScrollableContainer, Vertical
from textual.content import Content
from textual.highlight import highlight
from textual.widgets import Collapsible, Markdown, Static

from ...core.blocks import first_cut, split_markdown
from ...core.sanitize import neutralize
from .fence import LiveParagraph, ReplyMarkdown
from .plain_tail import MD_CAP, PlainTail, markdown_end
from .reply_text import error_text, tool_calls_text

# What may show below a choice's content, in this order (see ChoiceView._extra).
EXTRAS = ("json", "refusal", "tool-calls", "error")
CHUNK = 1500  # characters of Markdown per piece before a new piece starts at a safe cut
# While a reply streams, its last piece keeps spare rows below its text, claimed a block
# at a time: a new line of text then changes the height of nothing above it, and the
# anchored conversation does not scroll. Every change of the conversation's height
# repaints every row of it on screen (twice: Textual lays out again after a resize), so a
# reply costs those repaints once per block instead of once per row: the bytes that cross
# an SSH link (issue 18). A block is RESERVE rows, or a third of the conversation's window
# when that is less (at 80x24, twelve blank rows were two thirds of it). The spare rows go
# when the reply ends. (A conversation shorter than its window is anchored to its bottom
# too: each new row moved every row above it, so the reply reserves from its first row.)
RESERVE = 12

FINISH_LABELS = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool calls",
    "function_call": "function call",
    "content_filter": "filtered",
}


class ChoiceLike(Protocol):
    """What a choice view reads of a choice: the live ``ChoiceState`` (tui/api/accumulate.py)
    and the saved ``ChoiceRecord`` (tui/core/turn.py) both are one. Tool calls are read
    from ``to_dict()``, which both give in the API's shape; ``tool_calls`` and
    ``function_call`` are only tested for being there (a dict of calls in one, a list in
    the other)."""

    @property
    def index(self) -> int: ...
    @property
    def content(self) -> str | None: ...
    @property
    def refusal(self) -> str | None: ...
    @property
    def reasoning(self) -> str | None: ...
    @property
    def finish_reason(self) -> str | None: ...
    @property
    def tool_calls(self) -> object: ...
    @property
    def function_call(self) -> object: ...
    def to_dict(self) -> dict[str, Any]: ...


class ChoiceView(Vertical):
    """Renders one choice. ``update_from`` is called at most once per frame while the
    reply streams, with whatever state the choice has; it appends only the new text."""

    DEFAULT_CSS = """
    ChoiceView { height: auto; }
    ChoiceView > Markdown { margin: 0; padding: 0 1 0 0; }
    ChoiceView > .json { padding: 0 1; background: $boost; }
    ChoiceView > .refusal { color: $warning; text-style: italic; padding: 0 1; }
    ChoiceView > .tool-calls { padding: 0 1; color: $text-accent; }
    ChoiceView > .error { color: $error; padding: 0 1; border-left: thick $error; }
    ChoiceView > Collapsible.reasoning { padding: 0; margin: 0; border: none; }
    ChoiceView > Collapsible.reasoning Static { color: $text-muted; }
    ChoiceView .hidden { display: none; }
    """

    def __init__(self, index: int, *, json_mode: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.index = index
        self.json_mode = json_mode
        self._shown = 0  # characters of content already shown (Markdown, then plain tail)
        self._md_end: int | None = None  # where the Markdown part ends, once past MD_CAP
        self._reasoning_shown = 0
        self._auto_open = False  # the reasoning box was opened by us, not the user
        self._piece_text = ""  # the text of the last Markdown piece
        self._settled = 0  # leading pieces that are fresh renders of their source
        self._fresh: list[AwaitComplete] = []  # fresh renders of closed pieces under way
        self._spare = 0  # spare rows of the piece closed last, for the next (see _reserve)
        self._final = False
        self._ready = False
        self._deferred: Callable[[], Awaitable[None]] | None = None

    def compose(self) -> ComposeResult:
        # Only the content's first piece: reasoning, JSON, refusal, tool calls and notes
        # are mounted when a reply has them (most have none, and every widget a finished
        # turn keeps is styled and laid out on each frame).
        yield ReplyMarkdown("", open_links=False)

    def _extra(self, kind: str, wanted: bool) -> Static | None:
        """The Static below the content showing ``kind`` (one of EXTRAS), mounted in its
        place the first time it is ``wanted``; None while it never was."""
        for node in self.query_children(f".{kind}").results(Static):
            node.set_class(not wanted, "hidden")
            return node
        if not wanted:
            return None
        node = Static("", classes=kind, markup=False)
        later = [n for k in EXTRAS[EXTRAS.index(kind) + 1 :] for n in self.query_children(f".{k}")]
        if later:
            self.mount(node, before=later[0])
        else:
            self.mount(node)
        return node

    def _show_reasoning(self, reasoning: str, answering: bool = True) -> None:
        """The reasoning, in a box: open while only reasoning arrives, closed once the
        answer starts (unless the user opened or closed it meanwhile)."""
        text = Content(neutralize(reasoning.strip()))
        title = f"Reasoning · ≈{max(1, round(len(reasoning) / 4)):,} tokens"
        for node in self.query_children(Collapsible).results(Collapsible):
            node.query_one("#reasoning-text", Static).update(text)
            node.title = title
            if answering and self._auto_open:
                self._auto_open = False
                node.collapsed = True
            return
        self._auto_open = not answering
        box = Collapsible(
            Static(text, markup=False, id="reasoning-text"),
            title=title,
            collapsed=answering,
            classes="reasoning",
        )
        self.mount(box, before=self.children[0])

    def on_collapsible_toggled(self, event: Collapsible.Toggled) -> None:
        self._auto_open = False  # the user's choice stands

    async def on_mount(self) -> None:
        self._ready = True
        if self._deferred is not None:
            deferred, self._deferred = self._deferred, None
            await deferred()

    @property
    def pieces(self) -> list[Markdown]:
        return list(self.query_children(Markdown).results(Markdown))

    @property
    def markdown_source(self) -> str:
        """The whole content as handed to the Markdown pieces."""
        return "".join(m.source for m in self.pieces)

    async def _append(self, text: str) -> None:
        """Append to the last piece; past CHUNK characters, start a new piece at the first
        safe cut, so finished pieces keep their cached layout while the last one grows.
        A piece that is closed is rendered once afresh from its source: appends re-parse
        only the last block, and that can differ from a parse of the whole (a list holding
        an indented fence came out as two lists)."""
        while text:
            combined = self._piece_text + text
            cut = first_cut(combined, max(CHUNK, len(self._piece_text)))
            if cut is None:
                last = self.pieces[-1]
                last.growing = True
                await last.append(text)
                last.release_claims()
                self._piece_text = combined
                return
            head = text[: cut - len(self._piece_text)]
            closed = self.pieces[-1]
            floor = closed.styles.min_height
            if floor is not None:
                # (Reckoned before the fresh render below: its new blocks are not laid
                # out yet, and counted at two rows each they left the next piece a
                # window of blank rows to grow into.)
                self._spare = max(int(floor.value) - _content_rows(closed), 0)
            closed.growing = False
            # Not waited for: new text goes on to the next piece while this one is
            # rendered afresh (awaited, it held every delta behind it 150-200 ms, the
            # render lag's p99). The reply's end waits for it (_fresh_done).
            self._fresh.append(closed.update(combined[:cut]))
            self._settled = len(self.pieces)
            text = text[len(head) :]
            self._piece_text = ""
            if text:  # (it grows from its first append, the next time round)
                await self.mount(ReplyMarkdown("", open_links=False), after=closed)

    def _cap(self, content: str) -> int:
        """Where the Markdown part of ``content`` ends (issue 13: a reply of any size must
        not freeze the app). Fixed the first time the content passes MD_CAP; never before
        what was already handed to the Markdown pieces while streaming."""
        if self._md_end is None and len(content) > MD_CAP:
            self._md_end = max(markdown_end(content), min(self._shown, MD_CAP))
        return len(content) if self._md_end is None else self._md_end

    async def _tail(self) -> PlainTail:
        """The plain-text part after the Markdown pieces, mounted the first time."""
        found = self.query_children(PlainTail).results(PlainTail)
        for tail in found:
            return tail
        self._stop_growing()
        tail = PlainTail()
        await self.mount(tail, after=self.pieces[-1])
        return tail

    def _reserve(self) -> None:
        """Keep spare rows below the growing piece (see RESERVE). A piece closed while
        streaming hands what it had spare to the next, so the reply's height does not
        change when a piece is closed."""
        *closed, last = self.pieces
        for piece in closed:
            if piece.styles.min_height is not None:
                piece.styles.min_height = None
        spare, self._spare = self._spare, 0  # (what the piece closed last had spare)
        floor = last.styles.min_height
        used = max(_content_rows(last), 0)
        if floor is None or last.size.height > floor.value:
            used = max(used, last.size.height)  # (past the floor, its height is its text)
        if floor is None and spare:
            last.styles.min_height = spare
        elif floor is None or used + 2 >= floor.value:  # (the layout is a frame old)
            # Whole blocks: the same text gets the same floor, however its deltas fell
            # into frames.
            block = self._block()
            last.styles.min_height = ((used + 2) // block + 1) * block

    def _block(self) -> int:
        """Rows claimed at a time (see RESERVE). In columns, half the window: a column a
        third as wide has three times the rows, and each block moves the conversation
        (n=3 at 120x40: 248 KB written with no spare rows, 164 KB with a third of the
        window, 116 KB with half)."""
        for node in self.ancestors:
            if isinstance(node, ScrollableContainer):
                height = node.scrollable_content_region.height
                if self._beside_others():
                    return max(4, height // 2)
                return max(4, min(RESERVE, height // 3))
        return RESERVE

    def _beside_others(self) -> bool:
        parent = self.parent
        return parent is not None and sum(1 for c in parent.children if c.display) > 1

    def _stop_growing(self) -> None:
        """The Markdown part grows no more (the reply is over, or the rest is plain):
        its spare rows go, and no piece is growing."""
        for piece in self.pieces:
            if piece.styles.min_height is not None:
                piece.styles.min_height = None
            piece.growing = False

    async def _fresh_done(self) -> None:
        """Wait for the fresh renders of pieces closed while streaming."""
        while self._fresh:
            await self._fresh.pop(0)

    async def _render_whole(self, text: str, keep: int = 0) -> None:
        """One fresh render of ``text``, in pieces cut at safe points. The first ``keep``
        pieces already are fresh renders of the first parts, and stay as they are."""
        await self._fresh_done()
        parts = split_markdown(text, CHUNK)
        pieces = self.pieces
        keep = min(keep, len(parts) - 1, len(pieces) - 1)
        if len(pieces) > keep + 1:
            await self.remove_children(pieces[keep + 1 :])
        await pieces[keep].update(parts[keep])
        if len(parts) > keep + 1:
            await self.mount_all(
                [ReplyMarkdown(p, open_links=False) for p in parts[keep + 1 :]], after=pieces[keep]
            )
        self._piece_text = parts[-1]
        self._settled = len(parts)

    async def _reconcile(self, text: str) -> None:
        """The reply is over: make what is shown equal a fresh render of ``text``,
        keeping the leading pieces that already are (closed while streaming)."""
        parts = split_markdown(text, CHUNK)
        pieces = self.pieces
        keep = 0
        while keep < min(self._settled, len(parts)) and pieces[keep].source == parts[keep]:
            keep += 1
        if keep < len(parts):
            await self._render_whole(text, keep)

    # -- streaming --------------------------------------------------------------------

    async def update_from(self, state: ChoiceLike) -> None:
        """``state``: the live choice (or a saved one)."""
        if not self._ready:
            self._deferred = lambda: self.update_from(state)
            return
        content = state.content or ""
        if len(content) > self._shown:
            end = self._cap(content)
            if self._shown < end:
                new = content[self._shown : end]
                self._shown = end
                # The screen calls this at most once a frame with everything that arrived,
                # so one append per frame: Markdown re-parses only its last block.
                # (MarkdownStream is not used: stopping it before its task has run raises
                # CancelledError into the caller and drops what was pending.)
                await self._append(neutralize(new))
                self._reserve()
            if len(content) > self._shown:
                new = content[self._shown :]
                self._shown = len(content)
                (await self._tail()).append(new, len(new))
        reasoning = state.reasoning or ""
        answering = bool(content) or bool(state.tool_calls)
        if len(reasoning) != self._reasoning_shown or (answering and self._auto_open):
            self._reasoning_shown = len(reasoning)
            self._show_reasoning(reasoning, answering)
        self._show_extras(state)

    def _show_extras(self, state: ChoiceLike) -> None:
        refusal = state.refusal or ""
        node = self._extra("refusal", bool(refusal))
        if node is not None and refusal:
            node.update(Content(neutralize(f"Refusal: {refusal}")))
        calls = tool_calls_text(state)
        node = self._extra("tool-calls", bool(calls))
        if node is not None and calls:
            node.update(Content(neutralize("\n".join(calls))))

    async def finalize(
        self, state: ChoiceLike, error: dict[str, Any] | None = None, cancelled: bool = False
    ) -> None:
        """The reply is over: one full render of the content, then errors and marks."""
        if not self._ready:
            self._deferred = lambda: self.finalize(state, error, cancelled)
            return
        content = state.content or ""
        self._stop_growing()
        await self._fresh_done()
        if self.json_mode and content and not self._final and len(content) <= MD_CAP:
            text = content
            with contextlib.suppress(ValueError):
                text = json.dumps(json.loads(content), indent=2, ensure_ascii=False)
            # Highlighted, and wrapped at the pane's edge (a Markdown fence would cut long
            # string values off there instead).
            await self._render_whole("")
            self.pieces[0].display = False
            node = self._extra("json", True)
            assert node is not None
            node.update(highlight(neutralize(text), language="json"))
        else:
            # Loaded or complete: one full render. Streamed: the pieces closed while it
            # streamed stay, the rest is rendered afresh (appends can differ from that).
            end = self._cap(content)
            await self._reconcile(neutralize(content[:end]))
            if len(content) > end:
                tail = await self._tail()
                tail.flush()
                if tail.chars != len(content) - end:
                    tail.load(content[end:], len(content) - end)
        self._shown = len(content)
        self._final = True
        reasoning = state.reasoning or ""
        if reasoning:  # open when there is nothing else to read (cut while reasoning)
            self._show_reasoning(reasoning, bool(content) or bool(state.tool_calls))
        self._show_extras(state)
        notes = []
        finish = state.finish_reason
        if self.json_mode and finish == "length":
            notes.append("Truncated JSON: the reply was cut by max_tokens (finish_reason length).")
        if cancelled and finish is None:
            notes.append("Cancelled: what arrived before Esc is kept.")
        if error is not None:
            notes.append(error_text(error))
        node = self._extra("error", bool(notes))
        if node is not None and notes:
            node.update(Content(neutralize("\n".join(notes))))


def _content_rows(piece: Markdown) -> int:
    """The rows the blocks of ``piece`` take, as last laid out (its own height can be
    more: the reserve), counting two for each block mounted since."""
    top = piece.content_region.y
    bottom, unplaced = top, 0
    for block in piece.children:
        if not block.display:
            continue
        height = block.region.height
        if height and isinstance(block, LiveParagraph) and block.styles.min_height is not None:
            height = min(height, block.text_rows)  # (rows it claimed are spare rows)
        if height:
            bottom = max(bottom, block.region.y + height + block.styles.margin.bottom)
        else:
            unplaced += 1
    return bottom - top + 2 * unplaced
