"""What the chat screen does with finished replies: show another reply or choice, use a
choice, lay choices out, verify a signature. State changes go through the session."""

from __future__ import annotations

from typing import Any

from textual import work

from ...core.logprobs import parts
from ...core.sanitize import neutralize
from ...core.session import ChatSession
from ...core.turn import Turn
from ..widgets.conversation import ConversationView
from ..widgets.turn import TurnView
from ..widgets.variants import VariantColumn, VariantsView


class ReplyActions:
    """Mixin for the chat screen."""

    session: ChatSession
    active_turn: Turn | None
    active_view: TurnView | None

    async def action_other_reply(self, step: int) -> None:
        """Show the previous or next reply to the last message (kept by regenerate); on
        variants, pick the column to the left or right."""
        screen: Any = self
        outer = self.outer_view()
        if isinstance(outer, VariantsView):
            column = outer.move(step)
            if column is not None:
                column.scroll_visible()
                self.notify(f"Picked: {column.header.plain if column.header else ''}", timeout=2)  # type: ignore[attr-defined]
            return
        turns = self.session.conversation.turns
        if self.active_turn is not None or not turns:
            return
        turn = turns[-1]
        number = turn.reply_no + step
        if turn.replies < 2 or not 0 <= number < turn.replies:
            self.notify(  # type: ignore[attr-defined]
                f"Reply {turn.reply_no + 1} of {turn.replies}: ctrl+g makes another.",
                timeout=2,
            )
            return
        self.session.show_reply(turn, number)  # saved: this reply continues
        conversation = screen.query_one(ConversationView)
        await conversation.redraw(turn)  # (variants or not: the view may change kind)
        await conversation.show_tool_calls(self.session.conversation)
        screen.refresh_preview()

    async def action_toggle_columns(self) -> None:
        screen: Any = self
        view = screen.query_one(ConversationView)
        await view.set_columns(not view.columns)
        self.notify("Choices side by side" if view.columns else "Choices as tabs", timeout=2)

    def outer_view(self) -> TurnView | None:
        """The view of the turn streaming, else of the last turn."""
        screen: Any = self
        return self.active_view or screen.query_one(ConversationView).last_turn_view()

    def target_turn_view(self) -> TurnView | None:
        """The reply keys act on: the last turn's (on variants, the picked column's)."""
        outer = self.outer_view()
        return outer.target() if outer is not None else None

    def action_next_choice(self) -> None:
        view = self.target_turn_view()
        if view is not None:
            view.cycle(1)

    async def action_use_choice(self) -> None:
        screen: Any = self
        outer = self.outer_view()
        if isinstance(outer, VariantsView):
            await self.use_variant(outer)
            return
        view = self.target_turn_view()
        if view is None or view.turn.pending:
            return
        index = view.choose_active()
        self.session.changed(view.turn)
        screen.refresh_preview()
        await screen.query_one(ConversationView).show_tool_calls(self.session.conversation)
        self.notify(f"Choice {index + 1} continues the conversation.", timeout=2)

    async def use_variant(self, outer: VariantsView) -> None:
        """ctrl+o on variants: the picked one (its shown choice) continues the
        conversation."""
        screen: Any = self
        turn, column = outer.turn, outer.target()
        if turn.pending or not isinstance(column, VariantColumn):
            self.notify("The variants are still arriving.", severity="warning", timeout=2)  # type: ignore[attr-defined]
            return
        choice = column.active
        if column.number != turn.reply_no:
            self.session.show_reply(turn, column.number)
        turn.chosen = choice
        self.session.changed(turn)
        await outer.rebuild()
        screen.refresh_preview()
        await screen.query_one(ConversationView).show_tool_calls(self.session.conversation)
        label = neutralize(column.header.plain if column.header else "")
        self.notify(f"Variant {label} continues the conversation.", timeout=3)  # type: ignore[attr-defined]

    def action_token_probs(self) -> None:
        """F6: the shown choice's token probabilities (a snapshot while it streams)."""
        screen: Any = self
        view = self.target_turn_view()
        state = view.shown_choice() if view is not None else None
        if view is None or state is None or not parts(state.logprobs):
            self.notify(
                "This reply has no token probabilities: turn on logprobs (and top_logprobs "
                "for alternatives) in the parameters (ctrl+b) and send again.",
                severity="warning",
                timeout=6,
            )
            return
        from ..screens.logprobs import LogprobsScreen

        turn = view.turn
        label = f"Token probabilities · {turn.model or (turn.params or {}).get('model') or '?'}"
        if view.choice_count > 1:
            label += f" · choice {state.index + 1}"
        if turn.pending:
            label += " · still arriving: what had arrived when opened"
        screen.app.push_screen(LogprobsScreen(state.logprobs, label))

    def action_verify(self) -> None:
        screen: Any = self
        view = self.target_turn_view()
        if view is None or view.turn.pending:
            self.notify("No finished reply to verify yet.", severity="warning")
            return
        from ..screens.verify import VerifyScreen

        model = self.session.conversation.model
        screen.app.push_screen(VerifyScreen(view.turn, self.session, model))

    @work(group="verify", exit_on_error=False)
    async def verify_turn(self, turn: Turn, quiet: bool = False) -> None:
        result = await self.session.verify(turn)  # stored on the turn, saved, redrawn
        good = result.verdict in ("confidential", "verified")
        if not quiet or not good:
            label = "Receipt" if getattr(result, "kind", None) == "aci" else "Signature"
            self.notify(  # type: ignore[attr-defined]
                neutralize(f"{label}: {result.verdict}. {result.detail}")[:300],
                timeout=6,
                severity="information" if good else "warning",
            )

    def show_verified(self, turn: Turn) -> None:
        """Redraw the meta line of ``turn`` (its verification changed)."""
        screen: Any = self
        for view in screen.query_one(ConversationView).turn_views():
            if view.turn is turn:
                view._update_meta()
