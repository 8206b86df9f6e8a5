"""The chat screen: conversation pane, composer, parameter sidebar, request preview.

The session (tui/core/session.py) holds the state and does the sending; this screen
shows it and forwards what the user asks for. Its parts live in tui/app/chat/."""

from __future__ import annotations

import asyncio
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from ..core.conversation import Conversation, Turn
from ..core.session import ChatSession, Plan
from ..core.usage import totals
from .chat.attach import AttachActions
from .chat.commands import CHAT_BINDINGS, ChatCommands
from .chat.e2ee import E2EEActions
from .chat.editing import Editing
from .chat.params import ParamActions
from .chat.replies import ReplyActions
from .chat.runner import FRAME, TurnRunner
from .chat.tools import ToolActions
from .safe import Exact
from .screens.confirm import ConfirmScreen
from .widgets.composer import Composer
from .widgets.conversation import ConversationView
from .widgets.footer import KeyFooter
from .widgets.preview import RequestPreview
from .widgets.sidebar import ParamSidebar
from .widgets.topbar import TopBar
from .widgets.turn import MessageView, TurnView
from .workers import ReportsWorkerFailures


class ChatScreen(
    TurnRunner,
    AttachActions,
    E2EEActions,
    Editing,
    ParamActions,
    ReplyActions,
    ToolActions,
    ChatCommands,
    ReportsWorkerFailures,
    Screen,
):
    DEFAULT_CSS = """
    ChatScreen #topbar { height: 1; background: $panel; color: $text; padding: 0 1; }
    ChatScreen #topbar.demo { background: $warning 40%; }
    ChatScreen #topbar.insecure { background: $error 50%; }
    ChatScreen #main { height: 1fr; }
    ChatScreen #chat { height: 1fr; width: 1fr; }
    ChatScreen #editing { height: 1; color: $warning; padding: 0 1; display: none; }
    ChatScreen #attachments { height: auto; color: $text-accent; padding: 0 1; display: none; }
    ChatScreen RequestPreview { display: none; }
    ChatScreen.preview RequestPreview { display: block; }
    ChatScreen.preview ConversationView { display: none; }
    ChatScreen.no-sidebar ParamSidebar { display: none; }
    """

    BINDINGS = CHAT_BINDINGS

    def __init__(self, session: ChatSession, endpoint: Any, *, frame: float = FRAME) -> None:
        super().__init__()
        self.frame = frame  # seconds between renders of a streaming reply
        self.session = session
        self.endpoint = endpoint
        self.active_turn: Turn | None = None  # started, and not yet drawn in full
        self.active_view: TurnView | None = None
        self._variant_lines = ""  # what F7's screen had last time
        self.attachments: list[Any] = []  # images for the next message (chat/attach.py)
        self.editing: Turn | None = None
        self._idle = asyncio.Event()  # set while no turn is running or being drawn
        self._idle.set()
        self._draft = ""  # what the composer held when editing began
        self._sent_text = ""  # the composer's text when it was last sent
        self._edit_exact = Exact("")  # the message being edited, as saved

    @property
    def conversation(self) -> Conversation:
        return self.session.conversation

    @property
    def client(self) -> Any:
        return self.session.client

    def compose(self) -> ComposeResult:
        conv = self.conversation
        yield TopBar("", id="topbar", markup=False)
        with Horizontal(id="main"):
            with Vertical(id="chat"):
                yield ConversationView(id="conversation", model_info=self.session.catalog.info)
                yield RequestPreview()
                yield Static("", id="editing", markup=False)
                yield Static("", id="attachments", markup=False)
                yield Composer(id="composer")
            values = self.session.params.values  # the session's: the sidebar shows them
            extra = self.session.params.extra
            yield ParamSidebar(conv.model, conv.system, values, extra, id="sidebar")
        yield KeyFooter(compact=True)

    async def on_mount(self) -> None:
        self.session.subscribe(self.session_event)
        if self.app.size.width < 100:
            self.add_class("no-sidebar")
        self.query_one(ParamSidebar).show_resend_reasoning(
            self.session.conversation.resend_reasoning
        )
        await self.show_conversation()
        self.query_one(Composer).focus()
        if not self.conversation.model:
            self.auto_model()
        # The sidebar's fields (most of the screen's widgets) are built a moment after the
        # first frame: the composer is drawn and takes keys first.
        self.call_after_refresh(self.set_timer, 0.02, self.query_one(ParamSidebar).build)

    def on_unmount(self) -> None:
        self.session.unsubscribe(self.session_event)

    async def show_conversation(self) -> None:
        conv = self.conversation
        await self.query_one(ConversationView).load(conv)
        await self.query_one(ConversationView).show_tool_calls(conv)
        self.query_one(ParamSidebar).show_tools(conv.toolset)
        self.update_topbar()
        self.refresh_preview()

    def update_topbar(self) -> None:
        self.query_one(TopBar).show(
            self.conversation.model,
            self.endpoint,
            self.client.has_key,
            totals(self.conversation.turns).text(),
            e2ee=self.conversation.e2ee,
        )

    # The selector matters: Composer.Changed is TextArea.Changed, and without it the
    # preview's own TextArea, reloaded here, fired this again: a loop at 100 % CPU.
    @on(Composer.Changed, "#composer")
    def draft_changed(self) -> None:
        if self.has_class("preview"):
            self.refresh_preview()

    # -- sending ----------------------------------------------------------------------

    @on(Composer.Submitted)
    async def submitted(self, event: Composer.Submitted) -> None:
        if event.text.strip():
            await self.send_text(event.text)

    async def send_text(
        self,
        text: str,
        variants: list[dict[str, Any]] | None = None,
        *,
        images_ok: bool = False,
    ) -> bool:
        """Send ``text`` (with ``variants``: as several requests at once)."""
        if self.active_turn is not None:
            if self.active_turn.live is not None:
                self.notify("A reply is still streaming: esc cancels it.", severity="warning")
                return False
            self.send_when_drawn(text, variants)  # its last frame is being drawn: a moment
            return True
        self._sent_text = text
        if self.editing is not None and not variants:
            plan = self.session.edit_and_resend(self.editing, self.edited_text(text))
        else:
            if not images_ok and self.images_doubtful():
                self.confirm_images_then_send(text, variants)
                return False
            images = list(self.attachments)
            plan = self.session.send(text, variants=variants or (), images=images)
            sent = await self.go(plan, clear_composer=True)
            if sent and images:
                self.action_remove_attachments()  # they went with it
            return sent
        return await self.go(plan, clear_composer=True)

    @work(group="queued-send", exclusive=True, exit_on_error=False)
    async def send_when_drawn(self, text: str, variants: list[dict[str, Any]] | None) -> None:
        await self._idle.wait()
        await self.send_text(text, variants)

    def action_variants(self) -> None:
        """F7: the composer's message as variants (the lines typed last time offered).
        A priority key is handled before the keys typed just before it reach the
        composer: it reads the message once they have (queued behind them)."""
        self.query_one(Composer).call_later(self._open_variants)

    def _open_variants(self) -> None:
        text = self.query_one(Composer).text
        if not text.strip():
            self.notify("Type the message first, then F7 sends it as variants.", timeout=4)
            return
        if self.editing is not None:
            self.notify("Variants send a new message: finish or leave the edit first (esc).")
            return
        from .screens.variants import VariantsScreen

        screen = VariantsScreen(
            text, self._variant_lines, self.session.models, self.conversation.model
        )

        async def chosen(variants: list[dict[str, Any]] | None) -> None:
            self._variant_lines = screen.last_lines
            if variants:
                await self.send_text(text, variants)

        self.app.push_screen(screen, chosen)

    async def go(self, plan: Plan, *, clear_composer: bool = False) -> bool:
        """Every send ends here: blocked, it says why; in doubt, it asks first."""
        if plan.blocked is not None:
            self.notify(plan.blocked.message, severity="error", title=plan.blocked.title)
            return False
        if plan.doubt is not None:
            self.confirm_then_send(plan, clear_composer)
            return False
        await self.launch(plan, clear_composer=clear_composer)
        return True

    @work(exit_on_error=False)
    async def confirm_then_send(self, plan: Plan, clear: bool) -> None:
        assert plan.doubt is not None
        question = ConfirmScreen(plan.doubt.question, yes="Send anyway", no="Go back")
        if await self.app.push_screen_wait(question):
            await self.go(self.session.confirm(plan), clear_composer=clear)

    async def action_regenerate(self) -> None:
        """Send the last turn's input again (regenerate, or retry after an error): the
        same checks and confirmations as any send."""
        if self.active_turn is None and self.conversation.turns:
            await self.go(self.session.regenerate())

    # -- actions ----------------------------------------------------------------------

    def action_cancel(self) -> None:
        if self.active_turn is not None:
            self.session.cancel()  # still receiving (not just rendering)
        elif self.editing is not None:
            self.stop_editing()
        elif self.has_class("preview"):
            self.action_toggle_preview()
        else:
            self.query_one(Composer).focus()  # from a message, the list or the sidebar

    def action_toggle_sidebar(self) -> None:
        self.toggle_class("no-sidebar")
        self.keep_focus_visible()

    def action_toggle_preview(self) -> None:
        self.toggle_class("preview")
        if self.has_class("preview"):
            self.refresh_preview()
            self.query_one(RequestPreview).show_exchange(self.client.last_exchange)
        self.keep_focus_visible()

    def keep_focus_visible(self) -> None:
        """Keys must never go to a widget that is hidden: back to the composer then."""
        self.call_after_refresh(self.refocus)

    def refocus(self) -> None:
        focused = self.focused
        if focused is None or not all(n.display for n in focused.ancestors_with_self):
            self.query_one(Composer).focus()

    def action_focus_composer(self) -> None:
        self.query_one(Composer).focus()

    def action_focus_messages(self) -> None:
        views = list(self.query(MessageView).results(MessageView))
        if views:
            views[-1].focus()
            views[-1].scroll_visible()

    # -- for the app and tests --------------------------------------------------------

    def current_request_body(self) -> dict[str, Any]:
        """The next request as it would be sent now (with the composer's draft)."""
        return self.session.preview(self.query_one(Composer).text)

    def last_reply_text(self) -> str:
        view = self.query_one(ConversationView).last_turn_view()
        return view.content_of() if view else ""

    async def load_conversation(self, conversation: Conversation) -> None:
        self.session.cancel()
        # A turn that is rendering its final state finishes first (and is saved).
        await self._idle.wait()
        if self.editing is not None:
            # The edit points at a turn of the conversation going away (a send would look
            # that turn up in the new one): it stops, as esc stops it.
            self.stop_editing()
        self.session.load(conversation)
        sidebar = self.query_one(ParamSidebar)
        params = self.session.params
        sidebar.set_values(conversation.model, conversation.system, params.values, params.extra)
        sidebar.show_resend_reasoning(conversation.resend_reasoning)
        sidebar.show_e2ee(conversation.e2ee)
        self.sync_model_facts()
        await self.show_conversation()
