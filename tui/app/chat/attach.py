"""Images attached to the next message: from a path or URL (the palette, or a file
dropped on the terminal, which pastes its path into the composer), shown above the
composer until sent; a model whose /models entry lists no image input asks first."""

from __future__ import annotations

from typing import Any

from textual import work

from ...core.images import Attachment, ImageError, from_text
from ...core.sanitize import neutralize
from ...core.session import ChatSession
from ..safe import safe
from ..screens.confirm import ConfirmScreen
from ..screens.path import PathScreen
from ..widgets.composer import Composer


def takes_images(info: Any) -> bool | None:
    """Whether a model's /models entry says it takes images (None: it does not say)."""
    arch = getattr(info, "architecture", None)
    modalities = arch.get("input_modalities") if isinstance(arch, dict) else None
    if not isinstance(modalities, list):
        return None
    return "image" in modalities


class AttachActions:
    """Mixin for the chat screen."""

    session: ChatSession
    attachments: list[Attachment]

    def attach(self, text: str) -> bool:
        """Attach the image at a path or URL; say why not when it cannot be."""
        try:
            attachment = from_text(text)
        except ImageError as exc:
            self.notify(neutralize(str(exc)), severity="error", title="Not attached")  # type: ignore[attr-defined]
            return False
        self.attachments.append(attachment)
        self.show_attachments()
        return True

    def show_attachments(self) -> None:
        screen: Any = self
        node = screen.query_one("#attachments")
        labels = " · ".join(a.label() for a in self.attachments)
        node.update(safe(f"📎 {labels}   (sent with the next message; ctrl+p: remove)"))
        node.display = bool(self.attachments)

    @work(exit_on_error=False)
    async def action_attach_image(self) -> None:
        screen: Any = self
        text = await screen.app.push_screen_wait(
            PathScreen(
                "Attach an image (a PNG, JPEG, GIF or WebP file, or an https:// URL):",
                placeholder="path/to/image.png  (→ completes)",
            )
        )
        if text:
            self.attach(text)

    def action_remove_attachments(self) -> None:
        self.attachments.clear()
        self.show_attachments()

    def on_composer_path_pasted(self, event: Composer.PathPasted) -> None:
        if self.attach(event.path):
            self.notify("Attached the image dropped (pasted as a path).", timeout=3)  # type: ignore[attr-defined]

    def images_doubtful(self) -> bool:
        """Images attached for a model whose /models entry says it takes none."""
        model = self.session.conversation.model
        return bool(self.attachments) and takes_images(self.session.catalog.info(model)) is False

    @work(exit_on_error=False)
    async def confirm_images_then_send(self, text: str, variants: Any) -> None:
        screen: Any = self
        model = self.session.conversation.model
        question = ConfirmScreen(
            neutralize(f"{model} lists no image input (GET /models): send the images anyway?"),
            yes="Send anyway",
            no="Go back",
        )
        if await screen.app.push_screen_wait(question):
            await screen.send_text(text, variants, images_ok=True)
