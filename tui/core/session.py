"""One chat session: the conversation, the parameters as typed (with their errors), the
tools, the turn in flight, the model list, and every way to send.

Every send (a typed message, regenerate or retry, edit-and-resend, tool results) goes
through :meth:`ChatSession.prepare`, which runs every check in one order: a reply still
running, invalid parameters, no model, what blocks the request (unanswered tool calls),
the request's own validation, then the doubts to confirm (JSON mode with no mention of
JSON, an interrupted reply in the history, empty tool results). A doubt goes back to the
caller, who asks and prepares again with ``confirmed=``.

Running a turn is three steps, so a UI can keep drawing while the reply arrives and end
the turn only after its last frame: :meth:`start` (the pending turn), :meth:`launch` (the
HTTP exchange in a task of its own; :meth:`cancel` stops it, keeping what arrived) and
:meth:`finish` (records frozen, listeners told). :meth:`run` does all three.

Listeners receive typed events (:mod:`tui.core.events`), in order. Plain Python."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..api.e2ee import E2EEError
from ..api.errors import APIError, InvalidParameter
from ..api.shapes import image_key, with_text
from .catalog import Catalog, ModelList
from .conversation import RESEND_REASONING, Conversation, Turn
from .events import (
    Checkpoint,
    ChoicesChanged,
    Event,
    Failed,
    TurnChanged,
    TurnFinished,
    TurnStarted,
)
from .images import user_content
from .paramspec import hints
from .paramstate import ParamState
from .plan import Blocked, Confirmations, Plan
from .sendcheck import blocker, doubts, result_messages
from .trust import TrustActions
from .variants import variant_requests

if TYPE_CHECKING:
    from ..api.schema import ChatRequest

__all__ = ["Blocked", "ChatSession", "Plan"]

SAVE_EVERY = 3.0  # seconds between saves of a reply still arriving

Listener = Callable[[Event], None]


class ChatSession(ModelList, TrustActions):
    def __init__(
        self,
        conversation: Conversation,
        client: Any,
        *,
        auto_verify: bool = False,
        demo: bool = False,
    ) -> None:
        self.conversation = conversation
        self.client = client
        self.auto_verify = auto_verify and not demo
        self.attestor: Any = None  # the gateway's report, kept (tui/core/receipts.py)
        self.params = ParamState(conversation.params)
        self.active: Turn | None = None  # started, not finished
        self.last_exchange: Any = None
        self._listeners: list[Listener] = []
        self._confirmed = Confirmations()
        self._request: ChatRequest | None = None
        self._requests: dict[str, ChatRequest] = {}  # each running turn's (variants)
        self._http: asyncio.Task[None] | None = None
        self._exchange: Any = None
        self._next_save = 0.0
        self.catalog = Catalog(lambda: self.client.list_models())

    # -- listeners --------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def emit(self, event: Event) -> None:
        for listener in list(self._listeners):
            listener(event)

    # -- the conversation and its parameters --------------------------------------------

    def load(self, conversation: Conversation) -> None:
        """Switch to another conversation (nothing may be running)."""
        self.conversation = conversation
        self.params.load(conversation.params)
        self._confirmed = Confirmations()

    @property
    def toolset(self) -> Any:
        return self.conversation.toolset

    def set_model(self, model: str) -> None:
        self.conversation.model = model
        self._params_changed()

    def set_system(self, system: str) -> None:
        self.conversation.system = system
        self._params_changed()

    def set_resend_reasoning(self, key: str | None) -> None:
        """Send replies' reasoning back with the history under ``key``, or not (None)."""
        self.conversation.resend_reasoning = key if key in RESEND_REASONING else None
        self.conversation.touch()

    def type_param(self, name: str, text: str) -> str | None:
        """Text typed for a parameter: its error, if any (see :class:`ParamState`)."""
        error = self.params.type_text(name, text)
        self._params_changed()
        return error

    def type_extra_field(self, name: str, text: str) -> str | None:
        """Text typed in a known extra's field (top_k, min_p, repetition_penalty)."""
        error = self.params.type_extra_field(name, text)
        self._params_changed()
        return error

    def type_extra(self, text: str) -> str | None:
        """The extra body as typed: its error, if any; ``params.conflicts`` names the keys
        left out (see :class:`ParamState`)."""
        error = self.params.type_extra(text)
        self._params_changed()
        return error

    def set_schema_format(self, response_format: dict[str, Any] | None) -> None:
        """Structured output on (a json_schema response_format) or off (None)."""
        self.params.set_schema_format(response_format)
        self._params_changed()

    def type_stops(self, texts: list[str]) -> None:
        self.params.type_stops(texts)
        self._params_changed()

    def set_tool_mode(self, choice: str, legacy: bool) -> None:
        self.toolset.choice = choice
        self.toolset.legacy = legacy

    def _params_changed(self) -> None:
        self.conversation.params = self.params.request_params()
        self._confirmed.json = False

    def errors(self) -> dict[str, str]:
        return dict(self.params.errors)

    def preview(self, draft: str = "") -> dict[str, Any]:
        """The next request's body as it stands, the draft included (not validated)."""
        return self.conversation.preview(draft)

    def hints(self, body: dict[str, Any]) -> list[str]:
        found = hints(self.conversation.params, body["messages"])
        if self.conversation.e2ee and (body.get("tools") or body.get("functions")):
            found.append("E2EE encrypts message content only: tools and tool calls go in clear")
        return found

    # -- every way to send ------------------------------------------------------------

    def send(
        self,
        text: str,
        *,
        confirmed: frozenset[str] = frozenset(),
        variants: list[dict[str, Any]] | tuple[dict[str, Any], ...] = (),
        images: list[Any] | tuple[Any, ...] = (),
    ) -> Plan:
        """A typed message (with ``images``: attachments, tui/core/images.py); with
        ``variants`` (overrides each), sent as several requests."""
        message = {"role": "user", "content": user_content(text, list(images))}
        for image in images:
            self.conversation.image_names[image_key(image.url)] = image.name[:200]
        return self.prepare([message], confirmed=confirmed, overrides=tuple(variants))

    def edit_and_resend(
        self, turn: Turn, text: str, *, confirmed: frozenset[str] = frozenset()
    ) -> Plan:
        """Send ``text`` in place of ``turn``'s message: that turn and later ones go."""
        upto = self.conversation.turns.index(turn)
        # An image (or any part that is not text) sent with the message is sent again.
        message = {"role": "user", "content": with_text(turn.user_content, text)}
        return self.prepare([message], upto=upto, confirmed=confirmed)

    def regenerate(self, *, confirmed: frozenset[str] = frozenset()) -> Plan:
        """The last turn's input again (regenerate, or retry after an error): its
        earlier replies are kept with the new one."""
        turns = self.conversation.turns
        if not turns:
            return Plan([], blocked=Blocked("Not sent", "There is no message to send again."))
        last = turns[-1]
        return self.prepare(last.input, upto=len(turns) - 1, again=last, confirmed=confirmed)

    def send_tool_results(self, *, confirmed: frozenset[str] = frozenset()) -> Plan:
        """The results typed for the last reply's tool calls."""
        turns = self.conversation.turns
        messages = result_messages(turns[-1]) if turns else []
        if not messages:
            message = "The last reply made no tool calls to answer."
            return Plan([], blocked=Blocked("Not sent", message))
        return self.prepare(messages, confirmed=confirmed)

    def confirm(self, plan: Plan) -> Plan:
        """The user said yes to ``plan.doubt``: remember it and prepare again."""
        assert plan.doubt is not None
        kind = plan.doubt.kind
        if kind == "json":
            self._confirmed.json = True
        elif kind == "cut":
            cut = self.conversation.interrupted_turns(plan.upto)
            self._confirmed.cut.update(t.id for t in cut)
        return self.prepare(
            plan.input,
            upto=plan.upto,
            again=plan.again,
            confirmed=plan.confirmed | {kind},
            overrides=plan.overrides,
        )

    def prepare(
        self,
        input_messages: list[dict[str, Any]],
        *,
        upto: int | None = None,
        again: Turn | None = None,
        confirmed: frozenset[str] = frozenset(),
        overrides: tuple[dict[str, Any], ...] = (),
    ) -> Plan:
        """Every check, in one order, for every send."""
        plan = Plan(
            input_messages, upto=upto, again=again, confirmed=confirmed, overrides=overrides
        )
        conv = self.conversation
        if self.active is not None:
            message = "A reply is still streaming: esc cancels it."
            return replace(plan, blocked=Blocked("Busy", message))
        if self.params.errors:
            name, msg = next(iter(self.params.errors.items()))
            message = f"Fix {name} before sending: {msg}"
            return replace(plan, blocked=Blocked("Invalid parameter", message, name, msg))
        if not conv.model:
            message = "No model: pick one with F4 or type it in the sidebar."
            return replace(plan, blocked=Blocked("No model", message))
        problem = blocker(conv, input_messages, upto)
        if problem:
            return replace(plan, blocked=Blocked("Not sent", problem))
        try:
            request = conv.build(input_messages, upto=upto)
        except InvalidParameter as exc:
            message = f"{exc.param}: {exc.message}"
            blocked = Blocked("Invalid parameter", message, exc.param, exc.message)
            return replace(plan, blocked=blocked)
        plan = replace(plan, request=request)
        if overrides:
            try:
                variants = variant_requests(request, overrides)
            except InvalidParameter as exc:
                message = f"{exc.param}: {exc.message}"
                blocked = Blocked("Invalid variant", message, exc.param, exc.message)
                return replace(plan, blocked=blocked)
            plan = replace(plan, request=variants[0], variants=tuple(variants))
        for doubt in doubts(conv, input_messages, upto, request.body()):
            if self._confirmed.settled(doubt, confirmed, conv.interrupted_turns(upto)):
                continue
            return replace(plan, doubt=doubt)
        return plan

    # -- running a turn ---------------------------------------------------------------

    def start(self, plan: Plan) -> Turn:
        """The pending turn of a ready plan (later turns dropped for a resend)."""
        if not plan.ready or plan.request is None:
            raise ValueError("start() needs a ready plan")
        if self.active is not None:
            raise RuntimeError("a turn is already running")
        conv = self.conversation
        if plan.upto is not None:
            conv.truncate(plan.upto)
        turn = conv.start_turn(plan.input, plan.request)
        if plan.again is not None:
            turn.earlier = plan.again.all_replies()
            turn.reply_no = len(turn.earlier)
        self._requests = {turn.id: plan.request}
        if plan.variants:
            turn.overrides = dict(plan.overrides[0])
            for overrides, request in zip(plan.overrides[1:], plan.variants[1:], strict=True):
                other = conv.variant_turn(turn, request, overrides)
                turn.others.append(other)
                self._requests[other.id] = request
        self.active = turn
        self._request = plan.request
        self._exchange = None
        self.emit(TurnStarted(turn))
        return turn

    def launch(self, turn: Turn) -> asyncio.Task[None]:
        """The HTTP exchange of the started ``turn``, in a task of its own."""
        self._http = asyncio.create_task(self.exchange(turn))
        return self._http

    @property
    def receiving(self) -> bool:
        """The exchange is still running (not merely waiting to be finished)."""
        return self._http is not None and not self._http.done()

    def cancel(self) -> bool:
        """Stop the exchange (what arrived is kept). False when none is running."""
        if not self.receiving:
            return False
        assert self._http is not None
        self._http.cancel()
        return True

    async def exchange(self, turn: Turn) -> None:
        """The HTTP exchange alone (one per variant, at once): whatever happens, every
        accumulator ends in a state, and an error in one variant leaves the others."""
        self._next_save = asyncio.get_running_loop().time() + SAVE_EVERY
        if not turn.others:
            await self._exchange_one(turn, turn)
            return
        runs = [self._exchange_one(t, turn) for t in (turn, *turn.others)]
        # esc: each variant keeps what arrived (cancelled in _exchange_one)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*runs)

    async def _exchange_one(self, turn: Turn, main: Turn) -> None:
        acc = turn.live
        request = self._requests.get(turn.id)
        assert acc is not None and request is not None
        try:
            # E2EE: the encryption of this request (only to a verified enclave's key)
            extra = {"e2ee": await self.e2ee_request(request)} if self.conversation.e2ee else {}
            _, exchange = await self.client.chat(
                request, acc, on_update=lambda a: self._updated(main), **extra
            )
            turn.record_exchange(exchange)
            self._exchange = self.last_exchange = exchange
        except asyncio.CancelledError:
            acc.cancel()  # esc: keep what arrived
        except E2EEError as exc:  # no verified key to encrypt to: nothing was sent
            acc.fail(APIError(message=f"not sent: {exc}", kind="e2ee"))
        except Exception as exc:  # a bug below must not leave the turn pending
            acc.fail(APIError(message=f"{type(exc).__name__}: {exc}", kind="protocol"))

    def _updated(self, turn: Turn) -> None:
        self.emit(ChoicesChanged(turn))
        now = asyncio.get_running_loop().time()
        if now >= self._next_save:
            self._next_save = now + SAVE_EVERY
            self.checkpoint()

    def checkpoint(self) -> None:
        """Tell listeners to save what has arrived of the running turn."""
        if self.active is not None:
            self.emit(Checkpoint(self.active))

    def finish(self, turn: Turn) -> None:
        """Freeze the reply into records; the turn is over. Listeners hear
        :class:`TurnFinished` (then :class:`Failed` when it ended in an error)."""
        for t in (turn, *turn.others):
            if t.live is not None:
                t.finish(t.live)
                self.catalog.priced(t)
        others, turn.others = turn.others, []
        turn.earlier = turn.earlier + [o.reply_snapshot() for o in others]
        if self.active is turn:
            self.active = None
            self._http = None
            self._request = None
            self._requests = {}
        self.emit(TurnFinished(turn, self._exchange))
        for t in (turn, *others):
            if t.error:
                self.emit(Failed(t, t.error, t.overrides))

    async def run(self, plan: Plan) -> Turn:
        """Start, exchange and finish in one go (no UI to draw in between)."""
        turn = self.start(plan)
        try:
            await self.launch(turn)
        finally:
            self.finish(turn)
        return turn

    # -- finished turns ---------------------------------------------------------------

    def show_reply(self, turn: Turn, number: int) -> None:
        """Make reply ``number`` of ``turn`` the one that continues the conversation."""
        turn.show_reply(number)
        self.emit(TurnChanged(turn))

    def changed(self, turn: Turn) -> None:
        """A finished turn was changed from outside (a choice picked): save it."""
        self.emit(TurnChanged(turn))
