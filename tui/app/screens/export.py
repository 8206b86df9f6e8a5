"""Export the conversation or the current request: Markdown, request JSON, curl, httpx.
Copy to the clipboard (OSC 52) or write to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Select, Static, TextArea

from ...core import export
from ...core.conversation import Conversation
from ..safe import shown
from ..workers import ReportsWorkerFailures

FORMATS = [
    ("Markdown transcript", "markdown"),
    ("Request as JSON", "json"),
    ("curl command", "curl"),
    ("Python httpx snippet", "httpx"),
]
# When the last turn was sent as variants: each variant's exact request, one per variant.
VARIANT_FORMATS = [
    ("Last turn's variants: curl, one per variant", "variants-curl"),
    ("Last turn's variants: Python httpx, one per variant", "variants-httpx"),
]
SUFFIX = {
    "markdown": ".md",
    "json": ".json",
    "curl": ".sh",
    "httpx": ".py",
    "variants-curl": ".sh",
    "variants-httpx": ".py",
}


class ExportScreen(ReportsWorkerFailures, ModalScreen[None]):
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical { width: 95%; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    ExportScreen TextArea { height: 1fr; }
    ExportScreen Horizontal { height: auto; }
    ExportScreen Button { margin: 0 1 0 0; }
    ExportScreen .note { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+y", "copy", "Copy", show=True),
        Binding("ctrl+s", "save", "Save to file", show=True),
    ]

    def __init__(
        self,
        conversation: Conversation,
        request: dict[str, Any],
        endpoint: Any,
        fmt: str = "markdown",
    ) -> None:
        super().__init__()
        self.conversation = conversation
        self.request = request
        self.endpoint = endpoint
        self.fmt = fmt
        self.variants = export.last_variants(conversation)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Export", classes="title")
            with Horizontal():
                formats = FORMATS + (VARIANT_FORMATS if self.variants else [])
                yield Select(formats, value=self.fmt, allow_blank=False, id="format", compact=True)
                yield Button("Copy", id="copy", compact=True)
                yield Button("Save…", id="save", compact=True)
            yield TextArea("", read_only=True, id="export-text", soft_wrap=True)
            note = "Keys are never written: curl and httpx read the key from the profile's environment variable."
            if self.conversation.e2ee:
                note += (
                    " This conversation is end-to-end encrypted in the app: a request exported "
                    "here is the plaintext, and sending it sends it in clear."
                )
            yield Static(Content(note), classes="note")

    def on_mount(self) -> None:
        self.show_export()

    def text(self) -> str:
        ep = self.endpoint
        key_env = ep.key_env or None
        if self.fmt == "markdown":
            return export.markdown_transcript(self.conversation)
        if self.fmt == "json":
            return export.request_json(self.request)
        if self.fmt == "curl":
            return export.curl_command(self.request, ep.base_url, key_env, ep.headers)
        if self.fmt == "variants-curl":
            return export.per_variant(
                self.variants, lambda b: export.curl_command(b, ep.base_url, key_env, ep.headers)
            )
        if self.fmt == "variants-httpx":
            return export.per_variant(
                self.variants, lambda b: export.httpx_snippet(b, ep.base_url, key_env, ep.headers)
            )
        return export.httpx_snippet(self.request, ep.base_url, key_env, ep.headers)

    def output(self) -> str:
        return self.e2ee_warning() + self.text()

    def e2ee_warning(self) -> str:
        """Said above a command of an end-to-end encrypted conversation: the command is
        the plaintext request, and running it sends the content in clear."""
        if not self.conversation.e2ee or self.fmt == "markdown":
            return ""
        if self.fmt == "json":
            return ""  # JSON has no comments: the screen's note says it (compose)
        return (
            "# This conversation is end-to-end encrypted in the app. This command is the\n"
            "# plaintext request: running it sends the messages in clear (over TLS only).\n"
        )

    def show_export(self) -> None:
        """Show the export in the chosen format (neutralised: it holds outside text)."""
        self.query_one("#export-text", TextArea).load_text(shown(self.output()))

    @on(Select.Changed, "#format")
    def _format(self, event: Select.Changed) -> None:
        self.fmt = str(event.value)
        self.show_export()

    @on(Button.Pressed, "#copy")
    def _copy_pressed(self) -> None:
        self.action_copy()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.output())
        self.notify(
            "Copied (OSC 52: your terminal must allow clipboard access; tmux needs set-clipboard on).",
            timeout=4,
        )

    @work(exit_on_error=False)
    async def action_save(self) -> None:
        from .path import PathScreen

        name = f"{self.conversation.id[:8]}{SUFFIX[self.fmt]}"
        path = await self.app.push_screen_wait(PathScreen("Write the export to:", name))
        if not path:
            return
        try:
            Path(path).expanduser().write_text(self.output(), encoding="utf-8")
        except OSError as exc:
            self.notify(f"Cannot write {path}: {exc.strerror}", severity="error")
            return
        self.notify(f"Wrote {path}", timeout=3)

    def action_close(self) -> None:
        self.dismiss(None)
