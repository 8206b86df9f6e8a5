"""Containers that lay out again without repainting themselves whole while a reply grows.

Textual repaints a container whole when a child is removed from it or mounted in place of
another, on top of what the layout itself repaints. The Markdown piece a reply streams
into replaces its last block each time that block changes kind (a paragraph becomes a
code block at its third backtick, a list at its marker), and the piece can fill the
screen: every row of it went to the terminal again (issue 18, SSH).

While ``growing``, such a refresh (a layout refresh of the whole) repaints one cell of the
container instead. Nothing is lost: the compositor repaints every widget whose place or
size the layout changed, and what it added or removed; the container itself draws only
the background between its children. Colour and other non-layout changes repaint as
always. Once it stops growing it is repainted whole, once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from textual.geometry import Region
from textual.widget import Widget

# A plain class at run time: a Widget subclass in the bases brings Widget's default CSS in
# again, under its own name and ahead of the container's (a Markdown piece lost its
# ``height: auto`` and was laid out 0 rows tall).
_Base = Widget if TYPE_CHECKING else object


class Growing(_Base):
    """Mixin (before the Textual container class) for the containers a reply grows in."""

    _growing = False

    @property
    def growing(self) -> bool:
        return self._growing

    @growing.setter
    def growing(self, growing: bool) -> None:
        was, self._growing = self._growing, growing
        if was and not growing and self.is_mounted:
            self.refresh()

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        if self._growing and layout and repaint and not regions and not recompose:
            # One cell for the whole: the layout and its repaints go as before.
            return super().refresh(Region(0, 0, 1, 1), layout=True)
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
