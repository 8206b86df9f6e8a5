"""The conversation pane: a scrolling column of turns that stays anchored to the bottom
while a reply streams, until the user scrolls up.

A long conversation mounts only its last turns; earlier ones are mounted a batch at a
time when the user scrolls to the top (or clicks the line that says how many there are),
so opening 500 turns costs what opening a few does."""

from __future__ import annotations

from typing import Any

from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from ...core.conversation import Conversation, Turn
from ...core.sendcheck import calls_of
from ..workers import ReportsWorkerFailures
from .tool_calls import ToolCallsPanel
from .turn import MessageView, TurnView

# What is mounted when a conversation opens, and each time the user reaches the top:
# the latest turns up to this many characters of text (a few screenfuls), at least one
# turn and at most MAX_TURNS. Markdown costs by its size, not by its turn count.
OPEN_BUDGET = 4000
BATCH_BUDGET = 8000
MAX_TURNS = 20


def take_last(turns: list[Turn], budget: int) -> int:
    """How many of the last ``turns`` fit in ``budget`` characters (at least one)."""
    total = count = 0
    for turn in reversed(turns):
        count += 1
        total += sum(len(str(m.get("content") or "")) for m in turn.input)
        total += sum(len(c.content or "") + len(c.reasoning or "") for c in turn.choices)
        if total >= budget or count >= MAX_TURNS:
            break
    return count


class EarlierTurns(Static):
    """The line above the mounted turns saying how many earlier ones there are."""

    class Wanted(Message):
        pass

    def on_click(self) -> None:
        self.post_message(self.Wanted())


class ConversationView(ReportsWorkerFailures, VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    ConversationView { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    ConversationView > #empty { color: $text-muted; margin: 1 2; }
    ConversationView > #earlier { color: $text-muted; text-align: center; margin: 0 2 1 2; }
    """

    def __init__(self, *, model_info: Any = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.columns = False
        self.model_info = model_info  # model id -> what /models says of it (or None)
        self.image_names: dict[str, str] = {}  # the conversation's: sent images' names
        self._earlier: list[Turn] = []  # turns not mounted yet, oldest first
        self._mounting_earlier = False
        self._loading = False

    def compose(self):
        yield EarlierTurns("", id="earlier", markup=False)
        yield Static(
            "Type a message below and press enter.\n"
            "F1 help · F2 request preview · F4 pick model · ctrl+b parameters · ctrl+p commands",
            id="empty",
        )

    def _view(self, turn: Turn) -> TurnView:
        if turn.others or len(turn.variant_numbers()) > 1:
            from .variants import VariantsView

            view: TurnView = VariantsView(turn, columns=self.columns, json_mode=_json_mode(turn))
        else:
            view = TurnView(turn, columns=self.columns, json_mode=_json_mode(turn))
        view.model_info = self.model_info
        view.image_names = self.image_names
        return view

    def _show_earlier_count(self) -> None:
        node = self.query_one("#earlier", EarlierTurns)
        node.display = bool(self._earlier)
        count = len(self._earlier)
        node.update(
            f"▲ {count} earlier turn{'s' if count != 1 else ''}: scroll up or click to show"
        )

    async def load(self, conversation: Conversation) -> None:
        turns = conversation.turns
        self.image_names = conversation.image_names
        # Before anything is awaited: removing the old views scrolls to the top, which
        # must not mount the old conversation's earlier turns.
        self._loading = True
        self._earlier = list(turns[: len(turns) - take_last(turns, OPEN_BUDGET)])
        try:
            await self.remove_children(TurnView)
            self.query_one("#empty").display = not turns
            views = [self._view(t) for t in turns[len(self._earlier) :]]
            self._show_earlier_count()
            if views:
                await self.mount_all(views)
            self.scroll_end(animate=False)
        finally:
            self._loading = False

    async def show_earlier(self, budget: int = BATCH_BUDGET) -> int:
        """Mount the next earlier turns (about ``budget`` characters) above the others,
        keeping the view still."""
        if not self._earlier or self._mounting_earlier or self._loading:
            return 0
        self._mounting_earlier = True
        try:
            count = take_last(self._earlier, budget)
            mounted = {v.turn.id for v in self.turn_views()}
            batch = [t for t in self._earlier[-count:] if t.id not in mounted]
            del self._earlier[-count:]
            first = next(iter(self.turn_views()), None)
            views = [self._view(t) for t in batch]
            before_height = self.virtual_size.height
            before_y = self.scroll_y
            if first is not None:
                await self.mount_all(views, before=first)
            else:
                await self.mount_all(views)
            self._show_earlier_count()

            def keep_place() -> None:
                grown = self.virtual_size.height - before_height
                self.scroll_to(y=before_y + max(grown, 0), animate=False)

            self.call_after_refresh(keep_place)
            return len(views)
        finally:
            self._mounting_earlier = False

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value <= 0 and old_value > 0 and self._earlier and not self._loading:
            self.run_worker(
                self.show_earlier(), group="earlier", exclusive=True, exit_on_error=False
            )

    async def on_earlier_turns_wanted(self, event: EarlierTurns.Wanted) -> None:
        await self.show_earlier()

    async def on_message_view_past_top(self, event: MessageView.PastTop) -> None:
        """Up from the first message shown: mount the earlier turns and step into them."""
        event.stop()
        if not await self.show_earlier():
            return
        views = list(self.query(MessageView).results(MessageView))
        at = views.index(event.view) - 1 if event.view in views else -1
        if at >= 0:
            target = views[at]
            target.focus(scroll_visible=False)
            # after show_earlier has put the view back where it was
            self.call_after_refresh(target.scroll_visible, animate=False)

    async def add_turn(self, turn: Turn) -> TurnView:
        self.query_one("#empty").display = False
        view = self._view(turn)
        await self.mount(view)
        self.anchor()
        return view

    async def redraw(self, turn: Turn) -> None:
        """Draw ``turn`` afresh (it shows another of its replies), in a view of the kind
        it now needs (variants or not)."""
        old = next((v for v in self.turn_views() if v.turn is turn), None)
        if old is None:
            return
        view = self._view(turn)
        index = list(self.children).index(old)
        await old.remove()  # first: the new view has the same id
        if index < len(self.children):
            await self.mount(view, before=index)
        else:
            await self.mount(view)

    def turn_views(self) -> list[TurnView]:
        # children only: a variants view has a TurnView per column inside it
        return list(self.query_children(TurnView).results(TurnView))

    def last_turn_view(self) -> TurnView | None:
        views = self.turn_views()
        return views[-1] if views else None

    async def drop_from(self, turn_id: str) -> None:
        """Remove the view of ``turn_id`` and every later turn."""
        for i, turn in enumerate(self._earlier):
            if turn.id == turn_id:  # not mounted yet: everything mounted goes too
                del self._earlier[i:]
                self._show_earlier_count()
                await self.remove_children(TurnView)
                self.query_one("#empty").display = not self._earlier
                return
        found = False
        for view in self.turn_views():
            if view.turn.id == turn_id:
                found = True
            if found:
                await view.remove()
        self.query_one("#empty").display = not self.turn_views() and not self._earlier

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
    rf = (turn.params or {}).get("response_format") or {}
    return isinstance(rf, dict) and rf.get("type") in ("json_object", "json_schema")
