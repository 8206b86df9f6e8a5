"""The conversation pane: a scrolling column of turns that stays anchored to the bottom
while a reply streams, until the user scrolls up."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Static

from ...core.conversation import Conversation, Turn
from .tool_calls import ToolCallsPanel, calls_of
from .turn import TurnView


class ConversationView(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    ConversationView { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    ConversationView > #empty { color: $text-muted; margin: 1 2; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.json_mode = False
        self.columns = False

    def compose(self):
        yield Static(
            "Type a message below and press enter.\n"
            "F1 help · F2 request preview · F4 pick model · ctrl+b parameters · ctrl+p commands",
            id="empty",
        )

    async def load(self, conversation: Conversation) -> None:
        await self.remove_children(TurnView)
        self.query_one("#empty").display = not conversation.turns
        views = [
            TurnView(t, columns=self.columns, json_mode=_json_mode(t)) for t in conversation.turns
        ]
        if views:
            await self.mount_all(views)
        self.scroll_end(animate=False)

    async def add_turn(self, turn: Turn) -> TurnView:
        self.query_one("#empty").display = False
        view = TurnView(turn, columns=self.columns, json_mode=_json_mode(turn))
        await self.mount(view)
        self.anchor()
        return view

    def turn_views(self) -> list[TurnView]:
        return list(self.query(TurnView).results(TurnView))

    def last_turn_view(self) -> TurnView | None:
        views = self.turn_views()
        return views[-1] if views else None

    async def drop_from(self, turn_id: str) -> None:
        """Remove the view of ``turn_id`` and every later turn."""
        found = False
        for view in self.turn_views():
            if view.turn.id == turn_id:
                found = True
            if found:
                await view.remove()
        self.query_one("#empty").display = not self.turn_views()

    async def show_tool_calls(self, conversation: Conversation) -> ToolCallsPanel | None:
        """Offer to answer the last turn's tool calls (if its chosen choice made any)."""
        await self.remove_children(ToolCallsPanel)
        if not conversation.turns:
            return None
        turn = conversation.turns[-1]
        if turn.pending or not calls_of(turn):
            return None
        panel = ToolCallsPanel(turn, conversation.toolset)
        await self.mount(panel)
        return panel

    async def set_columns(self, columns: bool) -> None:
        self.columns = columns
        for view in self.turn_views():
            await view.set_columns(columns)


def _json_mode(turn: Turn) -> bool:
    rf = (turn.request or {}).get("response_format") or {}
    return isinstance(rf, dict) and rf.get("type") in ("json_object", "json_schema")
