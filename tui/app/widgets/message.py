"""A message that was sent (a user message, or a tool or function result)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from ...api.shapes import content_text
from ...core.sanitize import neutralize
from .image_preview import ImagePreview


def message_widgets(
    turn_id: str, message: dict[str, Any], names: dict[str, str] | None = None
) -> Iterator[Any]:
    """A sent message (its images named from ``names``), and a small picture of each
    image it carries as a data URL (an image given by URL is not fetched: its line says
    where it is)."""
    yield MessageView(turn_id, message, names)
    content = message.get("content")
    for part in content if isinstance(content, list) else ():
        image = part.get("image_url") if isinstance(part, dict) else None
        url = image.get("url") if isinstance(image, dict) else None
        if isinstance(url, str) and url.startswith("data:image/"):
            yield ImagePreview(url, classes="sent-image")


class MessageView(Static, can_focus=True):
    """A message that was sent (user, or tool result). Focus it and press e to edit."""

    DEFAULT_CSS = """
    MessageView { padding: 0 1; margin: 1 0 0 0; border-left: thick $primary; height: auto; }
    MessageView:focus { background: $accent 25%; border-left: thick $accent; }
    MessageView.tool { border-left: thick $secondary; color: $text-muted; }
    """

    BINDINGS = [
        ("e", "edit", "Edit & resend"),
        ("up,k", "step(-1)", "Previous message"),
        ("down,j", "step(1)", "Next message"),
    ]

    class EditRequested(Message):
        def __init__(self, turn_id: str) -> None:
            super().__init__()
            self.turn_id = turn_id

    def __init__(
        self, turn_id: str, message: dict[str, Any], names: dict[str, str] | None = None
    ) -> None:
        role = message.get("role", "user")
        label = {"user": "You", "tool": f"Tool result · {message.get('tool_call_id', '')}"}.get(
            role, role
        )
        if role == "function":
            label = f"Function result · {message.get('name', '')}"
        body = Content.assemble(
            (neutralize(f"{label}\n"), "bold"),
            neutralize(content_text(message.get("content"), placeholders=True, names=names)),
        )
        super().__init__(body, classes="tool" if role in ("tool", "function") else "")
        self.turn_id = turn_id
        self.role = role

    def action_edit(self) -> None:
        if self.role == "user":
            self.post_message(self.EditRequested(self.turn_id))

    class PastTop(Message):
        """Up on the first message shown: the earlier turns are wanted."""

        def __init__(self, view: MessageView) -> None:
            super().__init__()
            self.view = view

    def action_step(self, step: int) -> None:
        """Move the focus to the previous or next sent message."""
        views = list(self.screen.query(MessageView).results(MessageView))
        at = views.index(self) + step
        if 0 <= at < len(views):
            views[at].focus()
            views[at].scroll_visible()
        elif at < 0:
            self.post_message(self.PastTop(self))
