"""Ask for a file path (or any one line): enter gives it, esc gives None."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..safe import safe, shown


class PathScreen(ModalScreen[str | None]):
    """Ask for a file path."""

    DEFAULT_CSS = """
    PathScreen { align: center middle; }
    PathScreen > Vertical { width: 80; height: auto; border: thick $primary; background: $surface; padding: 1 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe(self.title_text))
            yield Input(shown(self.value), placeholder="path/to/tools.json", id="path")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
