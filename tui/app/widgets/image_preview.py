"""A small picture of an image sent with a message, drawn with half blocks: colours only,
decoded off the UI thread (tui/core/thumbnail.py). An image that does not decode shows
nothing here (its line in the message still says what it is)."""

from __future__ import annotations

import contextlib
from typing import Any

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from ...core.thumbnail import Thumbnail, data_url_bytes, thumbnail


class ImagePreview(Widget):
    DEFAULT_CSS = """
    ImagePreview { height: auto; width: auto; margin: 0 0 0 1; }
    """

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url
        self.thumb: Thumbnail | None = None
        self._strips: list[Strip] = []

    def on_mount(self) -> None:
        self.run_worker(self._decode, thread=True, exit_on_error=False, group="thumbnail")

    def _decode(self) -> None:
        data = data_url_bytes(self.url)
        thumb = thumbnail(data) if data else None
        if thumb is not None:
            with contextlib.suppress(RuntimeError):  # the app is gone
                self.app.call_from_thread(self.show, thumb)

    def show(self, thumb: Thumbnail) -> None:
        self.thumb = thumb
        self._strips = [
            Strip(
                [
                    Segment(
                        "▀",
                        Style(color=Color.from_rgb(*top), bgcolor=Color.from_rgb(*bottom)),
                    )
                    for top, bottom in row
                ],
                len(row),
            )
            for row in thumb.rows
        ]
        self.refresh(layout=True)

    def get_content_width(self, container: Any, viewport: Any) -> int:
        return self.thumb.cols if self.thumb else 0

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return len(self._strips)

    def render_line(self, y: int) -> Strip:
        return self._strips[y] if 0 <= y < len(self._strips) else Strip.blank(self.size.width)
