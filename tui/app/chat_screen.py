"""The chat screen: conversation pane, composer, parameter sidebar, request preview.

State lives in core objects (Conversation, Turn, StreamAccumulator). This screen turns
user intent into calls on them and renders the live accumulator at most once a frame."""

from __future__ import annotations

import asyncio
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker

from ..api.schema import InvalidParameter
from ..core.conversation import Conversation, Turn
from ..core.paramspec import hints, request_to_params
from ..core.sanitize import neutralize
from ..core.sendcheck import Doubt, blocker, doubts
from .safe import Exact
from .screens.confirm import ConfirmScreen
from .screens.model_picker import ModelPickerScreen
from .widgets.composer import Composer
from .widgets.conversation import ConversationView
from .widgets.preview import RequestPreview
from .widgets.sidebar import ParamSidebar
from .widgets.tool_calls import ToolCallsPanel
from .widgets.turn import MessageView, TurnView
from .workers import ReportsWorkerFailures

FRAME = 1 / 30  # seconds between renders of a streaming reply
SAVE_EVERY = 3.0


class ChatScreen(ReportsWorkerFailures, Screen):
    class TurnFinished(Message):
        """A reply is over (finished, failed or cancelled): time to save."""

        def __init__(self, turn: Turn) -> None:
            super().__init__()
            self.turn = turn

    DEFAULT_CSS = """
    ChatScreen #topbar { height: 1; background: $panel; color: $text; padding: 0 1; }
    ChatScreen #topbar.demo { background: $warning 40%; }
    ChatScreen #topbar.insecure { background: $error 50%; }
    ChatScreen #main { height: 1fr; }
    ChatScreen #chat { height: 1fr; width: 1fr; }
    ChatScreen #editing { height: 1; color: $warning; padding: 0 1; display: none; }
    ChatScreen RequestPreview { display: none; }
    ChatScreen.preview RequestPreview { display: block; }
    ChatScreen.preview ConversationView { display: none; }
    ChatScreen.no-sidebar ParamSidebar { display: none; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="cancel"),
        Binding("ctrl+g", "regenerate", "Regenerate", id="regenerate"),
        Binding("ctrl+b", "toggle_sidebar", "Parameters", id="toggle_sidebar"),
        Binding("f2", "toggle_preview", "Preview", id="toggle_preview"),
        Binding("f3", "toggle_columns", "Columns", id="toggle_columns", show=False),
        Binding("f4", "pick_model", "Model", id="pick_model"),
        Binding("ctrl+n", "next_choice", "Next choice", id="next_choice", show=False),
        Binding("ctrl+o", "use_choice", "Use choice", id="use_choice", show=False),
        Binding("alt+left", "other_reply(-1)", "Earlier reply", id="previous_reply", show=False),
        Binding("alt+right", "other_reply(1)", "Later reply", id="next_reply", show=False),
        Binding("f8", "tools", "Tools", id="tools"),
        Binding("ctrl+f", "verify", "Verify", id="verify", show=False),
        Binding(
            "ctrl+s", "send_tool_results", "Send tool results", id="send_tool_results", show=False
        ),
        Binding("ctrl+r", "edit_last", "Edit last", id="edit_last", show=False),
        Binding("ctrl+l", "focus_composer", "Composer", id="focus_composer", show=False),
        Binding("ctrl+up", "focus_messages", "Messages", id="focus_messages", show=False),
    ]

    def __init__(self, conversation: Conversation, client: Any, endpoint: Any) -> None:
        super().__init__()
        self.conversation = conversation
        self.client = client
        self.endpoint = endpoint
        self.active_turn: Turn | None = None
        self.active_view: TurnView | None = None
        self.editing: Turn | None = None
        self._http: asyncio.Task[None] | None = None  # the running exchange
        self._idle = asyncio.Event()  # set while no turn is running
        self._idle.set()
        self._confirmed_json = False
        self._confirmed_cut: set[str] = set()
        self._draft = ""  # what the composer held when editing began
        self._sent_text = ""  # the composer's text when it was last sent
        self._edit_exact = Exact(
            ""
        )  # the message being edited, as saved  # interrupted turns the user let go as history
        self._models_cache: list[Any] | None = None

    # -- layout -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="topbar", markup=False)
        with Horizontal(id="main"):
            with Vertical(id="chat"):
                yield ConversationView(id="conversation")
                yield RequestPreview()
                yield Static("", id="editing", markup=False)
                yield Composer(id="composer")
            yield ParamSidebar(
                self.conversation.model,
                self.conversation.system,
                request_to_params(self.conversation.params),
                id="sidebar",
            )
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        self._update_topbar()
        if self.app.size.width < 100:
            self.add_class("no-sidebar")
        await self.query_one(ConversationView).load(self.conversation)
        await self.query_one(ConversationView).show_tool_calls(self.conversation)
        self.query_one(ParamSidebar).show_tools(self.conversation.toolset)
        self.query_one(Composer).focus()
        self._refresh_preview()
        if not self.conversation.model:
            self._auto_model()

    def _update_topbar(self) -> None:
        ep = self.endpoint
        bar = self.query_one("#topbar", Static)
        # The model first: at 80 columns the end of the line is cut.
        parts = ["redpill-tui", self.conversation.model or "no model"]
        if ep.demo:
            parts.append("OFFLINE DEMO — simulated replies, nothing leaves this machine")
        else:
            parts.append(f"{ep.profile} · {ep.base_url}")
            if not self.client.has_key and ep.key_env:
                parts.append(f"no key (${ep.key_env} unset)")
        warning = ep.plain_http_warning()
        if warning:
            parts.append(f"⚠ {warning}")
        bar.update(Content(neutralize("  ·  ".join(parts))))
        bar.set_class(ep.demo, "demo")
        bar.set_class(bool(warning), "insecure")

    @work(exclusive=True, group="models", exit_on_error=False)
    async def _auto_model(self) -> None:
        try:
            models = await self._models()
        except Exception as exc:  # unreachable, or not an OpenAI-style list: say so now
            self.notify(
                f"No model set, and the model list of {self.endpoint.base_url} could not be "
                f"read: {getattr(exc, 'message', None) or exc}. Type a model in the sidebar.",
                severity="warning",
                title="No model",
                timeout=10,
            )
            return
        if models and not self.query_one(ParamSidebar).model:
            self.query_one(ParamSidebar).set_model(models[0].id)

    async def _models(self) -> list[Any]:
        if self._models_cache is None:
            self._models_cache = await self.client.list_models()
        return self._models_cache

    # -- parameters and preview -------------------------------------------------------

    @on(ParamSidebar.Changed)
    def _params_changed(self) -> None:
        sidebar = self.query_one(ParamSidebar)
        self.conversation.model = sidebar.model
        self.conversation.system = sidebar.system
        self.conversation.params = sidebar.request_params()
        self._confirmed_json = False
        self._update_topbar()
        self._refresh_preview()
        if self._models_cache:
            info = next((m for m in self._models_cache if m.id == self.conversation.model), None)
            sidebar.mark_unsupported(info.supported_parameters if info else None)

    # The selector matters: Composer.Changed is TextArea.Changed, and without it the
    # preview's own TextArea, reloaded here, fired this again: a loop at 100 % CPU.
    @on(Composer.Changed, "#composer")
    def _draft_changed(self) -> None:
        if self.has_class("preview"):
            self._refresh_preview()

    def _refresh_preview(self) -> None:
        sidebar = self.query_one(ParamSidebar)
        draft = self.query_one(Composer).text
        body = self.conversation.preview(draft)
        problems = [f"invalid: {e}" for e in sidebar.errors().values()]
        found = hints(self.conversation.params, body["messages"])
        sidebar.show_hints(found)
        if self.has_class("preview"):
            self.query_one(RequestPreview).show_body(body, problems + found)

    # -- sending ----------------------------------------------------------------------

    @on(Composer.Submitted)
    async def _submitted(self, event: Composer.Submitted) -> None:
        text = event.text
        if not text.strip():
            return
        await self.send_text(text)

    async def send_text(self, text: str) -> bool:
        if self.active_turn is not None:
            if self.active_turn.live is not None:
                self.notify("A reply is still streaming: esc cancels it.", severity="warning")
                return False
            self._send_when_drawn(text)  # its last frame is being drawn: a moment
            return True
        self._sent_text = text
        upto = None
        if self.editing is not None:
            upto = self.conversation.turns.index(self.editing)
            text = self._edit_exact.resolve(text)  # unchanged: the exact text saved
        message = {"role": "user", "content": text}
        return await self._send([message], upto=upto, clear_composer=True)

    @work(group="queued-send", exclusive=True, exit_on_error=False)
    async def _send_when_drawn(self, text: str) -> None:
        await self._idle.wait()
        await self.send_text(text)

    async def _send(
        self,
        input_messages: list[dict[str, Any]],
        *,
        upto: int | None,
        clear_composer: bool,
        confirmed: frozenset[str] = frozenset(),
        again: Turn | None = None,
    ) -> bool:
        """Every send goes here (typed, regenerate, edit, tool results): the same checks
        and confirmations, in the same order."""
        sidebar = self.query_one(ParamSidebar)
        errors = sidebar.errors()
        if errors:
            name, msg = next(iter(errors.items()))
            self.notify(
                f"Fix {name} before sending: {msg}", severity="error", title="Invalid parameter"
            )
            return False
        if not self.conversation.model:
            self.notify("No model: pick one with F4 or type it in the sidebar.", severity="error")
            return False
        problem = blocker(self.conversation, input_messages, upto)
        if problem:
            self.notify(problem, severity="error", title="Not sent")
            return False
        try:
            request = self.conversation.build(input_messages, upto=upto)
        except InvalidParameter as exc:
            self.notify(f"{exc.param}: {exc.message}", severity="error", title="Invalid parameter")
            return False
        for doubt in doubts(self.conversation, input_messages, upto, request.body()):
            if doubt.kind in confirmed or (doubt.kind == "json" and self._confirmed_json):
                continue
            if doubt.kind == "cut" and all(
                t.id in self._confirmed_cut for t in self.conversation.interrupted_turns(upto)
            ):
                continue
            self._confirm_then_send(doubt, input_messages, upto, clear_composer, confirmed, again)
            return False
        await self._start(
            input_messages, request, upto=upto, clear_composer=clear_composer, again=again
        )
        return True

    @work(exit_on_error=False)
    async def _confirm_then_send(
        self,
        doubt: Doubt,
        input_messages: list[dict[str, Any]],
        upto: int | None,
        clear: bool,
        confirmed: frozenset[str],
        again: Turn | None,
    ) -> None:
        ok = await self.app.push_screen_wait(
            ConfirmScreen(doubt.question, yes="Send anyway", no="Go back")
        )
        if not ok:
            return
        if doubt.kind == "json":
            self._confirmed_json = True  # until the parameters change
        elif doubt.kind == "cut":
            self._confirmed_cut.update(t.id for t in self.conversation.interrupted_turns(upto))
        await self._send(
            input_messages,
            upto=upto,
            clear_composer=clear,
            confirmed=confirmed | {doubt.kind},
            again=again,
        )

    async def _start(
        self,
        input_messages: list[dict[str, Any]],
        request: Any,
        *,
        upto: int | None,
        clear_composer: bool,
        again: Turn | None = None,
    ) -> None:
        """``again``: the turn this one replies to anew (regenerate): its replies are kept
        with the new one, which comes last."""
        view = self.query_one(ConversationView)
        if upto is not None:
            dropped = self.conversation.turns[upto]
            await view.drop_from(dropped.id)
            self.conversation.truncate(upto)
        self._end_editing()
        await view.remove_children(ToolCallsPanel)  # answered, or passed over
        turn = self.conversation.start_turn(input_messages, request)
        if again is not None:
            turn.earlier = again.all_replies()
            turn.reply_no = len(turn.earlier)
        self.active_turn = turn
        self.active_view = await view.add_turn(turn)
        composer = self.query_one(Composer)
        if clear_composer and composer.text == self._sent_text:
            # Sent: the composer empties (or, after an edit, the draft it had pushed aside
            # comes back). Text typed since the send was queued stays.
            composer.load_for_edit(self._draft)
        self._draft = ""
        self._refresh_preview()
        self._idle.clear()
        self.run_worker(
            self._run(turn, request),
            group="request",
            exclusive=True,
            name="request",
            exit_on_error=False,
        )

    async def _exchange(self, turn: Turn, request: Any) -> None:
        """The HTTP exchange alone: whatever happens, the accumulator ends in a state."""
        acc = turn.live
        assert acc is not None
        try:
            _, exchange = await self.client.chat(request, acc)
            turn.record_exchange(exchange)
        except asyncio.CancelledError:
            acc.cancel()  # esc: keep what arrived; the render loop goes on to the end
        except Exception as exc:  # never lose the partial reply to a bug below
            from ..api.errors import APIError

            acc.fail(APIError(message=f"{type(exc).__name__}: {exc}", kind="protocol"))

    async def _run(self, turn: Turn, request: Any) -> None:
        """Render the reply once a frame while the exchange runs in a task of its own.

        Rendering happens here, in one task, and is never cancelled half-way: esc cancels
        only the exchange, and the turn ends after the last frame has been drawn. (A
        frame timer stopped while its callback awaited a Markdown append cancelled the
        append mid-way: the view froze, or a CancelledError reached the message loop and
        the app quit.)"""
        loop = asyncio.get_running_loop()
        self._http = http = asyncio.create_task(self._exchange(turn, request))
        next_save = loop.time() + SAVE_EVERY
        try:
            while not http.done():
                await asyncio.wait({http}, timeout=FRAME)
                await self._draw_frame(turn)
                if loop.time() >= next_save and not http.done():
                    next_save = loop.time() + SAVE_EVERY
                    self._save_partial()
        except asyncio.CancelledError:
            http.cancel()  # the screen or the app is going away
            raise
        finally:
            self._http = None
        await self._finish(turn)

    async def _draw_frame(self, turn: Turn) -> None:
        view = self.active_view
        if view is None or turn.live is None:
            return
        dirty, meta = turn.live.take_dirty()
        if not (dirty or meta):
            return
        try:
            await view.refresh_live(dirty)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            # something inside a widget was cancelled, not this turn: draw on
        except Exception as exc:  # a rendering bug must not end the turn or the app
            self.log.error(f"frame render failed: {exc!r}")

    def _save_partial(self) -> None:
        save = getattr(self.app, "save_conversation", None)
        if save is not None:
            save(self.conversation, background=True)

    async def _finish(self, turn: Turn) -> None:
        acc = turn.live
        view = self.active_view
        if acc is not None:
            turn.finish(acc)
        self.active_view = None
        try:
            if view is not None and view.is_attached:
                await view.show_final()
            # Focus stays where the user is; the panel says how to reach its boxes.
            await self.query_one(ConversationView).show_tool_calls(self.conversation)
        finally:
            # Only now is the turn over: a send in between would cut its final render.
            self.active_turn = None
            self._idle.set()
        self._refresh_preview()
        preview = self.query_one(RequestPreview)
        preview.show_exchange(self.client.last_exchange)
        self.post_message(self.TurnFinished(turn))
        auto = getattr(getattr(self.app, "config", None), "auto_verify", False)
        if auto and not self.endpoint.demo and turn.completion_id and turn.response_complete:
            self.verify_turn(turn, quiet=True)
        if turn.error:
            self.notify(
                neutralize(turn.error.get("message") or "request failed")[:200]
                + " — ctrl+g retries",
                severity="error",
                title="Request failed",
            )

    def worker_failed(self, worker: Worker) -> None:
        """Reported (ReportsWorkerFailures); a failed render loop still ends its turn."""
        super().worker_failed(worker)
        if worker.group == "request" and self.active_turn is not None:
            turn = self.active_turn  # what arrived is kept
            if turn.live is not None:
                turn.finish(turn.live)
            self.active_view = None
            self.active_turn = None
            self._idle.set()
            self.post_message(self.TurnFinished(turn))

    # -- actions ----------------------------------------------------------------------

    def action_cancel(self) -> None:
        if self.active_turn is not None:
            if self._http is not None:  # still receiving (not just rendering)
                self._http.cancel()
            return
        if self.editing is not None:
            self._stop_editing()
            return
        if self.has_class("preview"):
            self.action_toggle_preview()
            return
        self.query_one(Composer).focus()  # from a message, the list or the sidebar

    async def action_regenerate(self) -> None:
        """Send the last turn's input again (regenerate, or retry after an error): the
        same checks and confirmations as any send."""
        if self.active_turn is not None or not self.conversation.turns:
            return
        index = len(self.conversation.turns) - 1
        turn = self.conversation.turns[index]
        await self._send(turn.input, upto=index, clear_composer=False, again=turn)

    async def action_other_reply(self, step: int) -> None:
        """Show the previous or next reply to the last message (kept by regenerate)."""
        if self.active_turn is not None or not self.conversation.turns:
            return
        turn = self.conversation.turns[-1]
        number = turn.reply_no + step
        if turn.replies < 2 or not 0 <= number < turn.replies:
            self.notify(
                f"Reply {turn.reply_no + 1} of {turn.replies}: ctrl+g makes another.",
                timeout=2,
            )
            return
        turn.show_reply(number)
        view = self.query_one(ConversationView).last_turn_view()
        if view is not None:
            await view.rebuild()
        await self.query_one(ConversationView).show_tool_calls(self.conversation)
        self._refresh_preview()
        self.post_message(self.TurnFinished(turn))  # saved: this reply continues

    def action_toggle_sidebar(self) -> None:
        self.toggle_class("no-sidebar")
        self._keep_focus_visible()

    def action_toggle_preview(self) -> None:
        self.toggle_class("preview")
        if self.has_class("preview"):
            self._refresh_preview()
            self.query_one(RequestPreview).show_exchange(self.client.last_exchange)
        self._keep_focus_visible()

    def _keep_focus_visible(self) -> None:
        """Keys must never go to a widget that is hidden: back to the composer then."""
        self.call_after_refresh(self._refocus)

    def _refocus(self) -> None:
        focused = self.focused
        if focused is None or not all(n.display for n in focused.ancestors_with_self):
            self.query_one(Composer).focus()

    async def action_toggle_columns(self) -> None:
        view = self.query_one(ConversationView)
        await view.set_columns(not view.columns)
        self.notify("Choices side by side" if view.columns else "Choices as tabs", timeout=2)

    def _target_turn_view(self) -> TurnView | None:
        return self.active_view or self.query_one(ConversationView).last_turn_view()

    def action_next_choice(self) -> None:
        view = self._target_turn_view()
        if view is not None:
            view.cycle(1)

    async def action_use_choice(self) -> None:
        view = self._target_turn_view()
        if view is None or view.turn.pending:
            return
        index = view.choose_active()
        self._refresh_preview()
        await self.query_one(ConversationView).show_tool_calls(self.conversation)
        self.notify(f"Choice {index + 1} continues the conversation.", timeout=2)

    @on(TurnView.ChoiceSelected)
    def _choice_selected(self, event: TurnView.ChoiceSelected) -> None:
        event.stop()

    def action_pick_model(self) -> None:
        def done(model: str | None) -> None:
            if model:
                self.query_one(ParamSidebar).set_model(model)

        self.app.push_screen(ModelPickerScreen(self._models, self.conversation.model), done)

    @on(ParamSidebar.PickModel)
    def _pick_model(self) -> None:
        self.action_pick_model()

    def action_tools(self) -> None:
        from .screens.tool_editor import ToolEditorScreen

        def closed(_: object = None) -> None:
            self._tools_changed()
            self._keep_focus_visible()

        self.app.push_screen(ToolEditorScreen(self.conversation.toolset), closed)

    def on_tool_editor_screen_changed(self) -> None:
        self._tools_changed()

    def _tools_changed(self) -> None:
        self.query_one(ParamSidebar).show_tools(self.conversation.toolset)
        self._refresh_preview()

    @on(ParamSidebar.ToolModeChanged)
    def _tool_mode(self, event: ParamSidebar.ToolModeChanged) -> None:
        self.conversation.toolset.choice = event.choice
        self.conversation.toolset.legacy = event.legacy
        self._refresh_preview()

    @on(ParamSidebar.EditTools)
    def _edit_tools(self) -> None:
        self.action_tools()

    async def action_send_tool_results(self) -> None:
        from .widgets.tool_calls import result_messages

        if self.active_turn is not None or not self.conversation.turns:
            return
        turn = self.conversation.turns[-1]
        messages = result_messages(turn)
        if not messages:
            self.notify("The last reply made no tool calls to answer.", severity="warning")
            return
        await self._send(messages, upto=None, clear_composer=False)

    @on(ToolCallsPanel.SendResults)
    async def _send_results(self, event: ToolCallsPanel.SendResults) -> None:
        event.stop()
        await self.action_send_tool_results()

    def action_verify(self) -> None:
        view = self._target_turn_view()
        if view is None or view.turn.pending:
            self.notify("No finished reply to verify yet.", severity="warning")
            return
        from .screens.verify import VerifyScreen

        self.app.push_screen(VerifyScreen(view.turn, self.client, self.conversation.model))

    @work(group="verify", exit_on_error=False)
    async def verify_turn(self, turn: Turn, quiet: bool = False) -> None:
        from ..core.verify import verify_reply

        result = await verify_reply(
            self.client,
            completion_id=turn.completion_id,
            # the model we asked for: the endpoint routes by it (a reply may name a path)
            model=(turn.params or {}).get("model") or turn.model or "",
            request_sha256=turn.request_sha256,
            response_sha256=turn.response_sha256,
            complete=turn.response_complete,
        )
        turn.verification = result.to_dict()
        self.refresh_turn(turn)
        if not quiet or result.verdict != "verified":
            self.notify(
                neutralize(f"Signature: {result.verdict}. {result.detail}"),
                timeout=6,
                severity="information" if result.verdict == "verified" else "warning",
            )

    def refresh_turn(self, turn: Turn) -> None:
        for view in self.query_one(ConversationView).turn_views():
            if view.turn is turn:
                view._update_meta()
        self.post_message(self.TurnFinished(turn))

    def action_focus_composer(self) -> None:
        self.query_one(Composer).focus()

    def action_focus_messages(self) -> None:
        views = list(self.query(MessageView).results(MessageView))
        if views:
            views[-1].focus()
            views[-1].scroll_visible()

    def action_edit_last(self) -> None:
        for turn in reversed(self.conversation.turns):
            if any(m.get("role") == "user" for m in turn.input):
                self._begin_editing(turn)
                return

    @on(MessageView.EditRequested)
    def _edit_requested(self, event: MessageView.EditRequested) -> None:
        turn = next((t for t in self.conversation.turns if t.id == event.turn_id), None)
        if turn is not None:
            self._begin_editing(turn)

    def _begin_editing(self, turn: Turn) -> None:
        if self.active_turn is not None:
            self.notify("Wait for the reply to finish (or esc) before editing.", severity="warning")
            return
        text = next((m.get("content") for m in turn.input if m.get("role") == "user"), "")
        if not isinstance(text, str):
            text = ""
        composer = self.query_one(Composer)
        if self.editing is None:
            self._draft = composer.text  # esc gives it back
        self.editing = turn
        self._edit_exact = Exact(text)
        composer.load_for_edit(self._edit_exact.display)
        composer.add_class("editing")
        composer.focus()
        n_after = len(self.conversation.turns) - self.conversation.turns.index(turn) - 1
        banner = self.query_one("#editing", Static)
        banner.update(
            f"Editing a sent message: enter resends from there"
            f"{f' and drops the {n_after} later turn(s)' if n_after else ''} · esc stops editing"
        )
        banner.display = True

    def _stop_editing(self) -> None:
        """Leave an edit unsent: the draft it replaced comes back."""
        self._end_editing()
        self.query_one(Composer).load_for_edit(self._draft)
        self._draft = ""

    def _end_editing(self) -> None:
        self.editing = None
        self.query_one(Composer).remove_class("editing")
        self.query_one("#editing", Static).display = False

    # -- for the app and tests --------------------------------------------------------

    def current_request_body(self) -> dict[str, Any]:
        """The next request as it would be sent now (with the composer's draft)."""
        return self.conversation.preview(self.query_one(Composer).text)

    def last_reply_text(self) -> str:
        view = self.query_one(ConversationView).last_turn_view()
        return view.content_of() if view else ""

    async def load_conversation(self, conversation: Conversation) -> None:
        if self._http is not None:
            self._http.cancel()
        # A turn that is rendering its final state finishes first (and is saved).
        await self._idle.wait()
        if self.editing is not None:
            # The edit points at a turn of the conversation going away (a send would look
            # that turn up in the new one): it stops, as esc stops it.
            self._stop_editing()
        self.conversation = conversation
        self.query_one(ParamSidebar).set_values(
            conversation.model, conversation.system, request_to_params(conversation.params)
        )
        await self.query_one(ConversationView).load(conversation)
        await self.query_one(ConversationView).show_tool_calls(conversation)
        self.query_one(ParamSidebar).show_tools(conversation.toolset)
        self._update_topbar()
        self._refresh_preview()
