"""The message composer: multi-line; Enter sends, ctrl+j / alt+enter / shift+enter add a
newline. What was typed stays until a send succeeds."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea


class Composer(TextArea):
    DEFAULT_CSS = """
    Composer { height: auto; min-height: 3; max-height: 12; border: tall $primary 40%; }
    Composer:focus { border: tall $primary; }
    Composer.editing { border: tall $warning; }
    """

    BINDINGS = [
        Binding("ctrl+j,alt+enter,shift+enter", "newline", "Newline", id="newline", show=False),
    ]

    class Submitted(Message):
        def __init__(self, composer: Composer, text: str) -> None:
            super().__init__()
            self.composer = composer
            self.text = text

    def __init__(self, **kwargs) -> None:
        super().__init__(
            "",
            language=None,
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            placeholder="Message… (enter sends · ctrl+j newline · F1 help)",
            **kwargs,
        )
        self.cursor_blink = False  # no constant redraws over SSH

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self, self.text))
            return
        await super()._on_key(event)

    def action_newline(self) -> None:
        start, end = self.selection
        self._replace_via_keyboard("\n", start, end)
