"""A screen listing every key binding with its id (for remapping in the config file)."""

from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

# An action name (help_quit, palette) where a description should be: Textual's own
# bindings without one. Real descriptions here start with a capital letter.
_ACTION_NAME = re.compile(r"^[a-z][a-z0-9_.]*(\(.*\))?$")


def key_names(key: str) -> list[str]:
    """``^p`` -> ``ctrl+p``; ``ctrl+j,alt+enter`` -> each key on its own."""
    out = []
    for part in key.split(","):
        part = part.strip()
        if part.startswith("^") and len(part) > 1:
            part = f"ctrl+{part[1:]}"
        if part:
            out.append(part)
    return out


def tidy_rows(rows: list[tuple[str, str, str]]) -> list[tuple[list[str], str, str]]:
    """One row per key and meaning: the same key listed twice (ctrl+p by the app and by
    Textual) is shown once, with the better description; Textual's bare action names
    (``help_quit``) are dropped when the key has a described row, else made readable."""
    described: set[str] = set()
    for key, description, _ in rows:
        if not _ACTION_NAME.match(description):
            described.update(key_names(key))
    out: list[tuple[list[str], str, str]] = []
    seen: set[tuple[str, str]] = set()
    for key, description, binding_id in rows:
        keys = key_names(key)
        if _ACTION_NAME.match(description):
            keys = [k for k in keys if k not in described]
            if not keys:
                continue
            description = description.replace("_", " ").capitalize()
        keys = [k for k in keys if (k, description) not in seen]
        if not keys:
            continue
        seen.update((k, description) for k in keys)
        out.append((keys, description, binding_id))
    return out


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
            table.add_columns("Key", "Action", Text("Binding id", style="dim"))
            for keys, description, binding_id in tidy_rows(self.rows):
                # several keys for one action: one per line, so the columns stay narrow
                table.add_row(
                    Text("\n".join(keys)),
                    Text(description),
                    Text(binding_id, style="dim"),
                    height=len(keys),
                )
            yield table
            yield Static(
                'Remap any key in the config file: [keys] section, binding id = "key". '
                "Enter sends; ctrl+j, alt+enter or shift+enter (where the terminal reports it) "
                "add a newline. In a number field, up/down nudge the value. On a focused "
                "message, e edits it.",
                classes="note",
                markup=False,
            )

    def action_dismiss(self) -> None:
        self.dismiss(None)
