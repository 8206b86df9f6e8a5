"""Running a turn on the chat screen: the session's exchange in a task of its own, and
the reply drawn once a frame until it is over.

Rendering happens in one worker and is never cancelled half-way: esc cancels only the
session's exchange, and the turn ends (``session.finish``) after the last frame has been
drawn. (A frame timer stopped while its callback awaited a Markdown append cancelled the
append mid-way: the view froze, or a CancelledError reached the message loop and the
app quit.)"""

from __future__ import annotations

import asyncio
from typing import Any

from textual.worker import Worker

from ...core.events import Event, Failed, TurnChanged
from ...core.sanitize import neutralize
from ...core.session import ChatSession, Plan
from ...core.turn import Turn
from ...core.variants import describe
from ..widgets.composer import Composer
from ..widgets.conversation import ConversationView
from ..widgets.preview import RequestPreview
from ..widgets.tool_calls import ToolCallsPanel
from ..widgets.turn import TurnView

FRAME = 1 / 30  # seconds between renders of a streaming reply
# With --low-bandwidth (a slow link, e.g. SSH): each frame repaints the growing lines, so
# fewer frames write fewer bytes; the text arrives in bigger steps.
SLOW_LINK_FRAME = 1 / 5


class TurnRunner:
    """Mixin for the chat screen (a Screen with ``session``, ``_idle`` and the views)."""

    session: ChatSession
    active_turn: Turn | None
    active_view: TurnView | None
    frame: float  # seconds between renders (FRAME, or SLOW_LINK_FRAME)
    _idle: asyncio.Event
    _draft: str
    _sent_text: str

    async def launch(self, plan: Plan, *, clear_composer: bool) -> None:
        """Start a ready plan: the pending turn shown, the exchange running."""
        screen: Any = self
        conv = self.session.conversation
        dropped = conv.turns[plan.upto].id if plan.upto is not None else None
        turn = self.session.start(plan)
        self.active_turn = turn
        self._idle.clear()
        view = screen.query_one(ConversationView)
        if dropped is not None:
            await view.drop_from(dropped)
        screen.end_editing()
        await view.remove_children(ToolCallsPanel)  # answered, or passed over
        self.active_view = await view.add_turn(turn)
        composer = screen.query_one(Composer)
        if clear_composer and composer.text == self._sent_text:
            # Sent: the composer empties (or, after an edit, the draft it had pushed aside
            # comes back). Text typed since the send was queued stays.
            composer.load_for_edit(self._draft)
        self._draft = ""
        screen.refresh_preview()
        screen.run_worker(
            self.draw_turn(turn), group="request", exclusive=True, name="request",
            exit_on_error=False,
        )  # fmt: skip

    async def draw_turn(self, turn: Turn) -> None:
        """Render the reply once a frame while the session's exchange runs."""
        http = self.session.launch(turn)
        try:
            while not http.done():
                await asyncio.wait({http}, timeout=self.frame)
                await self.draw_frame(turn)
        except asyncio.CancelledError:
            http.cancel()  # the screen or the app is going away
            raise
        await self.end_turn(turn)

    async def draw_frame(self, turn: Turn) -> None:
        view = self.active_view
        if view is None or turn.live is None:
            return
        try:
            await view.draw_live()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            # something inside a widget was cancelled, not this turn: draw on
        except Exception as exc:  # a rendering bug must not end the turn or the app
            self.log.error(f"frame render failed: {exc!r}")  # type: ignore[attr-defined]

    async def end_turn(self, turn: Turn) -> None:
        screen: Any = self
        view = self.active_view
        self.session.finish(turn)  # records frozen; saved (a listener); Failed said
        self.active_view = None
        try:
            if view is not None and view.is_attached:
                await view.show_final()
            # Focus stays where the user is; the panel says how to reach its boxes.
            await screen.query_one(ConversationView).show_tool_calls(self.session.conversation)
        finally:
            # Only now is the turn over: a send in between would cut its final render.
            self.active_turn = None
            self._idle.set()
        screen.refresh_preview()
        if (turn.timings or {}).get("server_tokens_per_s"):  # llama.cpp: sampling fields
            screen.sync_model_facts()
        screen.query_one(RequestPreview).show_exchange(self.session.client.last_exchange)
        if self.session.should_verify(turn):
            screen.verify_turn(turn, quiet=True)
        if (turn.usage and turn.cost is None) or turn.overrides is not None:
            screen.run_worker(self.session.price(turn), group="price", exit_on_error=False)
        screen.update_topbar()

    def session_event(self, event: Event) -> None:
        """What the screen says about the session's events (it draws on its own)."""
        if isinstance(event, Failed):
            message = neutralize(event.error.get("message") or "request failed")[:200]
            if event.overrides is not None:  # one variant: the others are unaffected
                title = neutralize(f"Variant failed: {describe(event.overrides)}")[:80]
            else:
                title, message = "Request failed", message + " — ctrl+g retries"
            self.notify(message, severity="error", title=title)  # type: ignore[attr-defined]
        elif isinstance(event, TurnChanged):
            self.show_verified(event.turn)  # type: ignore[attr-defined]
            self.update_topbar()  # type: ignore[attr-defined]

    def worker_failed(self, worker: Worker) -> None:
        """Reported (ReportsWorkerFailures); a failed render loop still ends its turn."""
        super().worker_failed(worker)  # type: ignore[misc]
        turn = self.active_turn
        if worker.group == "request" and turn is not None:
            if self.session.active is turn:
                self.session.finish(turn)  # what arrived is kept
            self.active_view = None
            self.active_turn = None
            self._idle.set()
