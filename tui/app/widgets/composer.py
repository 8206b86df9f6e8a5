"""The message composer: multi-line; Enter sends, ctrl+j / alt+enter / shift+enter add a
newline. What was typed stays until a send succeeds."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea

from ...core.images import pasted_image_path
from .keys import InOrderKeys


class Composer(InOrderKeys, TextArea):
    DEFAULT_CSS = """
    Composer { height: auto; min-height: 3; max-height: 12; border: tall $primary 40%; }
    Composer:focus { border: tall $primary; }
    Composer.editing { border: tall $warning; }
    """

    BINDINGS = [
        Binding("ctrl+j,alt+enter,shift+enter", "newline", "Newline", id="newline", show=False),
    ]

    class PathPasted(Message):
        """A path to an image file was pasted (a file dropped on the terminal)."""

        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    async def on_paste(self, event: events.Paste) -> None:
        # Runs before TextArea's own paste handler: a dropped image file is attached,
        # not typed in.
        path = pasted_image_path(event.text)
        if path is not None:
            event.stop()
            event.prevent_default()
            self.post_message(self.PathPasted(path))

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

    async def on_key(self, event: events.Key) -> None:
        # Runs before TextArea's own key handler (handlers are called down the MRO).
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

    def action_newline(self) -> None:
        start, end = self.selection
        self.replace("\n", start, end, maintain_selection_offset=False)

    def load_for_edit(self, text: str) -> None:
        """Load ``text`` to edit it, the cursor at its end (where one goes on typing)."""
        self.load_text(text)
        self.move_cursor(self.document.end)
        self.scroll_cursor_visible()
