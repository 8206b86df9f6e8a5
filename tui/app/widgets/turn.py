"""One turn of the conversation: what was sent, and the reply's choices as tabs or
side-by-side columns."""

from __future__ import annotations

import math
import re
import time
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Static, Tab, Tabs

from ...core.conversation import ChoiceRecord, Turn
from ...core.sanitize import neutralize
from ...core.structured import check_reply, schema_format
from ...core.usage import NO_USAGE, Tokens, dollars
from ..safe import safe
from .message import MessageView, message_widgets
from .steady import update_steady

__all__ = ["MessageView", "TurnView"]

if TYPE_CHECKING:
    from .choice import ChoiceLike, ChoiceView


def _choice() -> Any:
    """The choice view's module, imported when a turn first shows a reply: it brings in
    Textual's Markdown, markdown-it and Pygments (~0.1 s), which the first frame of an
    empty conversation does not need (issue 13). The warm-up loads it a second after
    start-up."""
    from . import choice

    return choice


META_EVERY = 0.5  # seconds between redraws of a streaming turn's meta line for its figures
_DIGITS = re.compile(r"\d")


class TurnView(Vertical):
    """The input messages and the reply of one :class:`Turn`."""

    DEFAULT_CSS = """
    TurnView { height: auto; }
    TurnView > .reply { height: auto; margin: 1 0 0 0; border-left: thick $accent; padding: 0 0 0 1; }
    TurnView .reply-head { color: $text-accent; text-style: bold; }
    TurnView Tabs { height: 2; margin: 0; }
    TurnView .choices { height: auto; }
    TurnView .choices > ChoiceView { width: 1fr; }
    TurnView.columns .choices > ChoiceView { margin: 0 1 0 0; border-right: vkey $foreground 20%; }
    TurnView .meta { color: $text-muted; }
    """

    def __init__(
        self,
        turn: Turn,
        *,
        json_mode: bool = False,
        columns: bool = False,
        header: Content | None = None,
        inner: bool = False,
    ) -> None:
        # ``inner``: one reply inside another view (a variant's column): no input, no id.
        super().__init__(id=None if inner else f"turn-{turn.id}")
        self.turn = turn
        self.inner = inner
        self.header = header
        self.model_info: Any = None  # model id -> what /models says of it (the TEE mark)
        self.image_names: dict[str, str] | None = None  # the conversation's (image_key)
        self._schema_said: tuple[tuple[int, int], str] | None = None
        self.json_mode = json_mode
        self.columns = columns
        self.active = turn.chosen
        self._views: dict[int, ChoiceView] = {}
        self._stale: set[int] = set()
        self._unfinished: dict[int, ChoiceRecord] = {}  # final records of hidden choices
        self._n = self._expected_choices()
        self._labels: dict[int, str] = {}  # what each tab shows
        self._meta_at = 0.0  # when the meta line was last drawn
        self._meta_drawn = ""  # and what it said
        self.set_class(columns, "columns")

    def _expected_choices(self) -> int:
        if self.turn.choices:
            return max(len(self.turn.choices), 1)
        n = (self.turn.params or {}).get("n") or 1
        return int(n) if isinstance(n, int) and n > 0 else 1

    def compose(self) -> ComposeResult:
        if not self.inner:
            for message in self.turn.input:
                yield from message_widgets(self.turn.id, message, self.image_names)
        with Vertical(classes="reply"):
            head = "Assistant"
            if self.turn.replies > 1:
                head += f"  ‹ {self.turn.reply_no + 1}/{self.turn.replies} ›  alt+←/→"
            yield Static(self.safe_head(head), classes="reply-head")
            if self._n > 1:
                yield Tabs(
                    *[Tab(self.safe_label(i), id=f"c{i}") for i in range(self._n)],
                    active=f"c{self.active}",
                )
            with Horizontal(classes="choices"):
                for i in range(self._n):
                    view = _choice().ChoiceView(i, json_mode=self.json_mode)
                    self._views[i] = view
                    view.display = self.columns or i == self.active or self._n == 1
                    yield view
            yield Static("", classes="meta", markup=False)

    def safe_head(self, default: str) -> Content:
        """The reply's head line: the header given (made safe by whoever made it), else
        ``default`` (our own words)."""
        return self.header if self.header is not None else Content(default)

    async def on_mount(self) -> None:
        await self.first_draw()

    async def first_draw(self) -> None:
        if not self.turn.pending:
            await self.show_final()

    async def rebuild(self) -> None:
        """The turn shows another of its replies: draw it afresh."""
        self._views.clear()
        self._stale.clear()
        self._unfinished.clear()
        self._labels.clear()
        self.active = self.turn.chosen
        self._n = self._expected_choices()
        await self.recompose()
        await self.show_final()

    # -- labels -----------------------------------------------------------------------

    def safe_label(self, index: int) -> Content:
        state = self._state(index)
        mark = "✓ " if index == self.turn.chosen and self._n > 1 else ""
        if self.turn.pending and (state is None or state.finish_reason is None):
            status = "streaming…"
        elif state is not None and state.finish_reason:
            status = _choice().FINISH_LABELS.get(state.finish_reason, state.finish_reason)
        elif self.turn.error:
            status = "error"
        elif self.turn.cancelled:
            status = "cancelled"
        else:
            status = "—"
        return safe(f"{mark}Choice {index + 1} · {status}")

    @property
    def choice_count(self) -> int:
        return self._n

    def shown_choice(self) -> ChoiceLike | None:
        """The choice on screen (the active tab or column), as it stands."""
        return self._state(self.active)

    def _state(self, index: int) -> ChoiceLike | None:
        if self.turn.live is not None:
            return self.turn.live.choices.get(index)
        for c in self.turn.choices:
            if c.index == index:
                return c
        return None

    def _relabel(self) -> None:
        if self._n <= 1:
            return
        tabs = self.query_one(Tabs)
        for i in range(self._n):
            label = self.safe_label(i)
            if self._labels.get(i) == label.plain:
                continue  # (a relabelled tab is laid out and repainted again)
            try:
                tab = tabs.query_one(f"#c{i}", Tab)
            except Exception:
                continue
            tab.label = label
            self._labels[i] = label.plain

    # -- live -------------------------------------------------------------------------

    async def _ensure_view(self, index: int) -> ChoiceView:
        view = self._views.get(index)
        if view is None:
            # More choices than expected (or indexes beyond n): add a tab for it.
            view = _choice().ChoiceView(index, json_mode=self.json_mode)
            self._views[index] = view
            view.display = self.columns
            await self.query_one(".choices").mount(view)
            if self._n > 1 or index > 0:
                if self._n == 1:
                    self._n = index + 1
                    await self.query_one(".reply").mount(
                        Tabs(*[Tab(self.safe_label(i), id=f"c{i}") for i in sorted(self._views)]),
                        before=self.query_one(".choices"),
                    )
                else:
                    self._n = max(self._n, index + 1)
                    self.query_one(Tabs).add_tab(Tab(self.safe_label(index), id=f"c{index}"))
        return view

    def target(self) -> TurnView:
        """The view a key acts on (a variants view: its picked column)."""
        return self

    async def draw_live(self) -> None:
        """One frame of a streaming reply: what changed since the last one."""
        if self.turn.live is None:
            return
        dirty, meta = self.turn.live.take_dirty()
        if dirty or meta:
            await self.refresh_live(dirty)

    async def refresh_live(self, dirty: set[int]) -> None:
        """Called once per frame with the choices that changed."""
        live = self.turn.live
        if live is None:
            return
        for index in dirty:
            state = live.choices.get(index)
            if state is None:
                continue
            view = await self._ensure_view(index)
            if view.display:
                await view.update_from(state)
            else:
                self._stale.add(index)
        self._relabel()
        # The rate and token counts change every frame; redrawn twice a second they
        # cost a few hundred bytes a second to a remote terminal instead of thirty lines.
        # Anything else that changes (TTFT known, a notice, the finish) is drawn at once.
        text = self._meta_text()
        if text != self._meta_drawn and (
            _DIGITS.sub("", text) != _DIGITS.sub("", self._meta_drawn)
            or time.monotonic() - self._meta_at >= META_EVERY
        ):
            self._update_meta(text)

    async def show_final(self) -> None:
        """The turn is over (or loaded from a file): render every choice in full."""
        for record in self.turn.choices:
            view = await self._ensure_view(record.index)
            if view.display:
                await view.finalize(record, None, self.turn.cancelled)
            else:
                # A hidden tab renders when it is shown: n replies cost one render.
                self._unfinished[record.index] = record
        self._stale.clear()
        error = self.turn.error
        if error is not None or (self.turn.cancelled and not self.turn.choices):
            view = self._views.get(self.active) or await self._ensure_view(0)
            state = self._state(view.index)
            await view.finalize(state or ChoiceRecord(index=view.index), error, self.turn.cancelled)
        self._relabel()
        self._update_meta()

    def _schema_check(self) -> list[str]:
        """Structured output: whether the shown choice matches the schema sent."""
        block = schema_format(self.turn.params)
        state = self.shown_choice() if block is not None else None
        if block is None or state is None or not state.content:
            return []
        key = (self.active, len(state.content))  # checked once per choice shown
        if self._schema_said is None or self._schema_said[0] != key:
            self._schema_said = (key, check_reply(state.content, block)[1])
        return [self._schema_said[1]]

    def _update_meta(self, text: str | None = None) -> None:
        self._meta_drawn = self._meta_text() if text is None else text
        self._meta_at = time.monotonic()
        update_steady(self.query_one(".meta", Static), self._meta_drawn)

    def _meta_text(self) -> str:
        t = self.turn
        live = t.live
        model = live.model if live else t.model
        usage = live.usage if live else t.usage
        timings = live.timings_dict() if live else (t.timings or {})
        fingerprint = live.system_fingerprint if live else t.system_fingerprint
        parts = [model or (t.params or {}).get("model") or "?"]
        info = self.model_info((t.params or {}).get("model") or model) if self.model_info else None
        if info is not None and info.is_tee:
            parts.append("TEE")
        if self._n == 1:
            state = self._state(0)
            if state is not None and state.finish_reason:
                parts.append(f"finish: {state.finish_reason}")
        tokens = Tokens.of(usage)
        if tokens is not None:
            parts.append(tokens.text())
            if not live and t.cost is not None:
                parts.append(dollars(t.cost.get("total")))
        elif not t.pending and not t.cancelled and t.error is None:
            parts.append(NO_USAGE)
        if timings.get("ttft_s") is not None:
            parts.append(f"TTFT {timings['ttft_s'] * 1000:.0f} ms")
        if timings.get("tokens_per_s"):
            parts.append(f"{timings['tokens_per_s']:.1f} tok/s")
        server = timings.get("server_tokens_per_s")
        if isinstance(server, dict) and server:  # llama.cpp's own measurement
            rates = [f"{k} {v:,.1f}" for k, v in server.items() if _finite(v)]
            parts.append("server tok/s: " + ", ".join(rates))
        if not t.pending:
            parts.extend(self._schema_check())
        if fingerprint:
            parts.append(f"fp {fingerprint}")
        if t.seed is not None:
            parts.append(f"seed {t.seed}")
        if t.pending:
            notice = live.notice if live is not None else ""
            parts.append(f"{notice} (esc cancels)" if notice else "streaming… (esc cancels)")
        elif t.cancelled:
            parts.append("cancelled")
        elif t.interrupted:
            parts.append("interrupted: cut off when the app stopped (partial)")
        if t.e2ee:
            parts.append("end-to-end encrypted")
        if t.verification:
            verdict = t.verification.get("verdict", "?")
            detail = t.verification.get("detail") or ""
            label = "receipt" if t.verification.get("kind") == "aci" else "signature"
            good = verdict in ("confidential", "verified")
            parts.append(f"{label}: {verdict}" + (f" ({detail})" if detail and not good else ""))
        return neutralize(" · ".join(str(p) for p in parts))

    # -- choices ----------------------------------------------------------------------

    @on(Tabs.TabActivated)
    async def _tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab is None or event.tab.id is None:
            return
        await self.show_choice(int(event.tab.id[1:]))

    async def show_choice(self, index: int) -> None:
        self.active = index
        if not self.columns:
            for i, view in self._views.items():
                view.display = i == index
        await self._catch_up()

    async def _catch_up(self) -> None:
        for i, record in list(self._unfinished.items()):
            view = self._views[i]
            if view.display:
                del self._unfinished[i]
                await view.finalize(record, None, self.turn.cancelled)
        for i in list(self._stale):
            view = self._views[i]
            if not view.display:
                continue
            state = self._state(i)
            if state is not None:
                await view.update_from(state)
            self._stale.discard(i)

    async def set_columns(self, columns: bool) -> None:
        self.columns = columns
        self.set_class(columns, "columns")
        for i, view in self._views.items():
            view.display = columns or i == self.active
        await self._catch_up()

    def cycle(self, step: int = 1) -> None:
        if self._n <= 1:
            return
        tabs = self.query_one(Tabs)
        if step > 0:
            tabs.action_next_tab()
        else:
            tabs.action_previous_tab()

    def choose_active(self) -> int:
        self.turn.chosen = self.active
        self._relabel()
        return self.active

    def content_of(self, index: int | None = None) -> str:
        state = self._state(self.active if index is None else index)
        return (state.content or "") if state is not None else ""


def _finite(value: object) -> bool:
    """A number a saved file may hold that can be shown (not a bool, inf, NaN or an
    integer too big for a float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False
