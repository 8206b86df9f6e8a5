"""Ask for a file path (or any one line), completed from the file system as it is typed:
enter gives it, esc gives None."""

from __future__ import annotations

import os

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Static

from ...core.sanitize import is_safe
from ..safe import safe, shown


class PathSuggester(Suggester):
    """Completes a path from the file system: the first entry of its folder that starts
    with what is typed (→ or end accepts it). Names that would steer the terminal are
    never offered."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value or "\n" in value:
            return None
        head, _, stem = value.rpartition("/")
        folder = os.path.expanduser(head + "/" if head or value.startswith("/") else ".")
        try:
            with os.scandir(folder) as entries:
                names = sorted(e.name + ("/" if e.is_dir() else "") for e in entries)
        except OSError:
            return None
        for name in names:
            if name.startswith(stem) and name != stem and is_safe(name):
                if name.startswith(".") and not stem.startswith("."):
                    continue
                return (head + "/" if head or value.startswith("/") else "") + name
        return None


class PathScreen(ModalScreen[str | None]):
    """Ask for a file path."""

    DEFAULT_CSS = """
    PathScreen { align: center middle; }
    PathScreen > Vertical { width: 80; height: auto; border: thick $primary; background: $surface; padding: 1 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, value: str = "", placeholder: str = "path/to/tools.json"
    ) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe(self.title_text))
            yield Input(
                shown(self.value),
                placeholder=self.placeholder,
                id="path",
                suggester=PathSuggester(),
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
