"""A screen listing every key binding with its id (for remapping in the config file)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 90%; max-width: 100; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    HelpScreen DataTable { height: 1fr; }
    HelpScreen .note { color: $text-muted; }
    """
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close")]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Keys", classes="title")
            table = DataTable(cursor_type="row", zebra_stripes=True)
            table.add_columns("Key", "Action", "Binding id")
            for row in self.rows:
                table.add_row(*row)
            yield table
            yield Static(
                'Remap any key in the config file: [keys] section, binding id = "key". '
                "Enter sends; ctrl+j, alt+enter or shift+enter (where the terminal reports it) add a newline. "
                "In a number field, up/down nudge the value. On a focused message, e edits it.",
                classes="note",
                markup=False,
            )

    def action_dismiss(self) -> None:
        self.dismiss(None)
