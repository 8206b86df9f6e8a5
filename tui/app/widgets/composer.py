"""The message composer: multi-line; Enter sends, ctrl+j / alt+enter / shift+enter add a
newline. What was typed stays until a send succeeds."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea


class InOrderKeys:
    """Mixin for an Input or TextArea: run the widget's own key bindings (backspace,
    delete, cursor moves, ...) as its key arrives, in order with the typed characters.

    Textual inserts a printable key in the widget's own message queue, but runs a
    non-priority binding only once the key has bubbled up to the App, behind the keys that
    arrived meanwhile. Typed fast (or while the app is busy redrawing) "100", backspace
    x4, "256" became "" or "56": the backspaces ran after the new digits. Priority bindings
    are untouched (the App checks them before the key reaches the widget)."""

    async def _on_key(self, event: events.Key) -> None:
        widget: Any = self
        for binding in widget._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await widget.app.run_action(binding.action, widget):
                event.stop()
                event.prevent_default()
                return
        await super()._on_key(event)  # type: ignore[misc]


class Composer(InOrderKeys, TextArea):
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
        if event.key.endswith("\r"):
            # xterm's modifyOtherKeys form of a modified Enter (tmux extended-keys in xterm
            # format sends ESC[27;3;13~ for alt+enter): Textual names it "\r" or "shift+\r"
            event.stop()
            event.prevent_default()
            self.action_newline()
            return
        await super()._on_key(event)

    def action_newline(self) -> None:
        start, end = self.selection
        self._replace_via_keyboard("\n", start, end)

    def load_for_edit(self, text: str) -> None:
        """Load ``text`` to edit it, the cursor at its end (where one goes on typing)."""
        self.load_text(text)
        self.move_cursor(self.document.end)
        self.scroll_cursor_visible()
