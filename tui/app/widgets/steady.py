"""Text that changes in place without laying the screen out again (issue 13).

Textual's ``Static.update`` asks for a layout every time, and a layout is of the whole
screen: every widget placed and sized again, then the changed ones repainted. While a reply
streams, the paragraph it grows in, the meta line and the plain tail's note change every
frame; in a long reply each layout cost 100-300 ms while a typed key waited. Their new text
almost always takes the rows the old one took; only when it does not is a layout needed."""

from __future__ import annotations

from collections.abc import Callable

from textual.visual import VisualType
from textual.widgets import Static


def update_steady(
    widget: Static,
    content: VisualType,
    update: Callable[..., None] | None = None,
) -> None:
    """``widget.update(content)``, with a layout only when its height changes.
    ``update``: the Static's own update (for a subclass calling ``super().update``)."""
    update = widget.update if update is None else update
    width, height = widget.content_size
    if not width or not widget.is_mounted or widget.styles.is_auto_width:
        update(content, layout=True)  # (not laid out yet, or its width follows its text)
        return
    update(content, layout=False)
    if widget.get_content_height(widget.size, widget.size, width) != height:
        widget.refresh(layout=True)
