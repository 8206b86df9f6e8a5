"""The list of saved conversations: open, search, rename, duplicate, delete, new."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from ...core.conversation import Conversation
from ...core.store import Entry, Store, StoreError, load_file
from ..safe import safe, safe_cell
from ..widgets.footer import KeyFooter
from ..workers import ReportsWorkerFailures


class ConversationsScreen(ReportsWorkerFailures, ModalScreen[Conversation | None]):
    DEFAULT_CSS = """
    ConversationsScreen { align: center middle; }
    ConversationsScreen > Vertical { width: 95%; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    ConversationsScreen DataTable { height: 1fr; }
    ConversationsScreen #problems { color: $warning; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close", id="list_close"),
        Binding("enter", "open", "Open", id="list_open", show=True),
        Binding("ctrl+t", "new", "New", id="list_new"),
        Binding("f2", "rename", "Rename", id="list_rename"),
        Binding("f3", "duplicate", "Duplicate", id="list_duplicate"),
        Binding("delete,f4", "delete", "Delete", id="list_delete"),
        Binding("down", "focus_table", show=False),
    ]

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.entries: list[Entry] = []
        self._shown: list[tuple] = []  # what the table's rows show, in order

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Conversations (type to search · enter opens)")
            search = Input(placeholder="search titles and text", id="search")
            search.cursor_blink = False  # no redraws twice a second while idle (SSH)
            yield search
            yield Static("", id="problems", markup=False)
            yield DataTable(cursor_type="row", zebra_stripes=True, id="list")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Title", "Turns", "Model", "Updated")
        self.refill(listing=True)
        self.query_one("#search", Input).focus()

    def refill(self, *, listing: bool = False, typing: bool = False) -> None:
        """Fill the table from the store's index. Opening the list brings the index in
        step with the files (and moves unreadable ones aside); each keystroke is a query
        of the index alone; after a rename, duplicate or delete the folder is looked at
        again (files only read if they changed)."""
        query = self.query_one("#search", Input).value
        if listing:
            self.entries = self.store.list()
        else:
            self.entries = self.store.search(query, sync=not typing)
        self._show(self.entries)
        problems = self.query_one("#problems", Static)
        problems.update(safe("\n".join(self.store.problems)))
        problems.display = bool(self.store.problems)

    def _show(self, entries: list[Entry]) -> None:
        """The table shows ``entries``: untouched when they are the rows shown already,
        rows removed when typing narrowed them, else filled afresh."""
        table = self.query_one(DataTable)
        rows = [(e.path, e.id, e.title, e.turns, e.model, e.updated) for e in entries]
        if rows == self._shown:
            return
        wanted = set(rows)
        kept = [r for r in self._shown if r in wanted]
        if kept == rows and len(self._shown) - len(rows) < len(rows) and table.row_count:
            for r in self._shown:
                if r not in wanted:
                    table.remove_row(r[1])
            self._shown = rows
            return
        table.clear()
        self._shown = rows
        for e in entries:
            when = datetime.fromtimestamp(e.updated).strftime("%Y-%m-%d %H:%M")
            # every cell a Text: a plain str cell is parsed as markup ("what does [/b]
            # mean" crashed the list; [link=...] would become a hyperlink)
            table.add_row(
                safe_cell(e.title),
                safe_cell(e.turns),
                safe_cell(e.model or ""),
                safe_cell(when),
                key=e.id,
            )

    @on(Input.Changed, "#search")
    def _search(self) -> None:
        self.refill(typing=True)

    @on(Input.Submitted, "#search")
    def _submit(self) -> None:
        self.action_open()

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open()

    def _current(self) -> Entry | None:
        table = self.query_one(DataTable)
        if not self.entries or table.cursor_row is None or table.cursor_row >= len(self.entries):
            return None
        return self.entries[table.cursor_row]

    def action_focus_table(self) -> None:
        self.query_one(DataTable).focus()

    def action_open(self) -> None:
        entry = self._current()
        if entry is None:
            return
        try:
            self.dismiss(load_file(entry.path))
        except StoreError as exc:
            self.notify(str(exc), severity="error", timeout=10)

    def action_new(self) -> None:
        self.dismiss(Conversation())

    def action_close(self) -> None:
        self.dismiss(None)

    @work(exit_on_error=False)
    async def action_rename(self) -> None:
        from .path import PathScreen

        entry = self._current()
        if entry is None:
            return
        title = await self.app.push_screen_wait(PathScreen("New title:", entry.title))
        if not title:
            return
        try:
            conv = load_file(entry.path)
            conv.title = title
            self.store.save(conv)
        except StoreError as exc:
            self.notify(str(exc), severity="error")
        self.refill()

    def action_duplicate(self) -> None:
        entry = self._current()
        if entry is None:
            return
        try:
            conv = copy.deepcopy(load_file(entry.path))
        except StoreError as exc:
            self.notify(str(exc), severity="error")
            return
        conv.id = uuid.uuid4().hex
        conv.title = f"{conv.display_title()} (copy)"
        self.store.save(conv)
        self.refill()

    @work(exit_on_error=False)
    async def action_delete(self) -> None:
        from .confirm import ConfirmScreen

        entry = self._current()
        if entry is None:
            return
        if await self.app.push_screen_wait(
            ConfirmScreen(f"Delete “{entry.title}”? This cannot be undone.", yes="Delete")
        ):
            self.store.delete(entry)
            self.refill()
