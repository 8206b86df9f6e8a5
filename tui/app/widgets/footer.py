"""The key footer, rebuilt only when the keys it shows change.

Textual's Footer recomposes on every focus change, even when the focused widget brings
no key of its own: stepping between messages with up/down then mounted ~30 keys and
laid out the whole screen again for each press (about a second per key in a long
conversation on a busy machine). The keys shown are the same, so nothing is rebuilt."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    # Compact, Textual leaves a column right of the palette key (its margin), where the
    # keys it covers showed through when they did not fit: "^p paletteH" at 80 columns.
    DEFAULT_CSS = """
    KeyFooter.-compact FooterKey.-command-palette {
        margin-right: 0;
        padding-right: 1;
    }
    """

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._shown: tuple[tuple[object, ...], ...] | None = None

    @staticmethod
    def shown_keys(screen: Screen) -> tuple[tuple[object, ...], ...]:
        """What the footer would show: each shown binding with its state."""
        return tuple(
            (binding.key, binding.key_display, binding.description, binding.action)
            + (enabled, tooltip)
            for (_, binding, enabled, tooltip) in screen.active_bindings.values()
            if binding.show or binding.action == "command_palette"
        )

    def bindings_changed(self, screen: Screen) -> None:
        if not (screen.app.app_focus and self.is_attached and screen is self.screen):
            super().bindings_changed(screen)  # nothing is rebuilt now: remember nothing
            return
        shown = self.shown_keys(screen)
        if shown == self._shown:
            return
        self._shown = shown
        super().bindings_changed(screen)
