"""Keys for the app's own text fields."""

from __future__ import annotations

from typing import Any

from textual import events


class InOrderKeys:
    """Mixin for an Input or TextArea: run the widget's own key bindings (backspace,
    delete, cursor moves, ...) as its key arrives, in order with the typed characters.

    Textual inserts a printable key in the widget's own message queue, but runs a
    non-priority binding only once the key has bubbled up to the App, behind the keys that
    arrived meanwhile. Typed fast (or while the app is busy redrawing) "100", backspace
    x4, "256" became "" or "56": the backspaces ran after the new digits. Priority bindings
    are untouched (the App checks them before the key reaches the widget)."""

    async def on_key(self, event: events.Key) -> None:
        # A public handler: Textual calls it before the widget's own key handler, and
        # prevent_default() keeps that one from seeing a key a binding took.
        widget: Any = self
        for binding in widget._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await widget.app.run_action(binding.action, widget):
                event.stop()
                event.prevent_default()
                return
