"""Editing a sent message on the chat screen: the composer takes the message (shown
neutralised, resent exact when unchanged), a banner says what a resend drops, and esc
gives back the draft it pushed aside. The resend itself is the session's."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from ...api.shapes import content_text
from ...core.turn import Turn
from ..safe import Exact
from ..widgets.composer import Composer
from ..widgets.turn import MessageView


class Editing:
    """Mixin for the chat screen."""

    editing: Turn | None
    active_turn: Turn | None
    _draft: str
    _edit_exact: Exact

    def action_edit_last(self) -> None:
        screen: Any = self
        for turn in reversed(screen.session.conversation.turns):
            if any(m.get("role") == "user" for m in turn.input):
                self.begin_editing(turn)
                return

    def on_message_view_edit_requested(self, event: MessageView.EditRequested) -> None:
        screen: Any = self
        turns = screen.session.conversation.turns
        turn = next((t for t in turns if t.id == event.turn_id), None)
        if turn is not None:
            self.begin_editing(turn)

    def begin_editing(self, turn: Turn) -> None:
        screen: Any = self
        if self.active_turn is not None:
            self.notify(  # type: ignore[attr-defined]
                "Wait for the reply to finish (or esc) before editing.", severity="warning"
            )
            return
        # The message's text (of a list of parts, the text parts: the others, an image,
        # are sent again as they were; see ChatSession.edit_and_resend).
        text = content_text(turn.user_content)
        composer = screen.query_one(Composer)
        if self.editing is None:
            self._draft = composer.text  # esc gives it back
        self.editing = turn
        self._edit_exact = Exact(text)
        composer.load_for_edit(self._edit_exact.display)
        composer.add_class("editing")
        composer.focus()
        turns = screen.session.conversation.turns
        n_after = len(turns) - turns.index(turn) - 1
        banner = screen.query_one("#editing", Static)
        banner.update(
            f"Editing a sent message: enter resends from there"
            f"{f' and drops the {n_after} later turn(s)' if n_after else ''} · esc stops editing"
        )
        banner.display = True

    def edited_text(self, text: str) -> str:
        """What the composer holds, as sent: unchanged, the exact text saved."""
        return self._edit_exact.resolve(text)

    def stop_editing(self) -> None:
        """Leave an edit unsent: the draft it replaced comes back."""
        screen: Any = self
        self.end_editing()
        screen.query_one(Composer).load_for_edit(self._draft)
        self._draft = ""

    def end_editing(self) -> None:
        screen: Any = self
        self.editing = None
        screen.query_one(Composer).remove_class("editing")
        screen.query_one("#editing", Static).display = False
