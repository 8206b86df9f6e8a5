"""Pick a model from the endpoint's list, with search; free text is allowed too."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...core.usage import per_million
from ..safe import safe
from ..workers import ReportsWorkerFailures


def safe_describe(m: Any) -> Content:
    """One line for a model: every string in it comes from the server, so neutralised."""
    parts = [m.id]
    if m.is_tee:
        parts.append("[TEE]")
    if m.name and m.name != m.id:
        parts.append(m.name)
    if m.context_length:
        parts.append(f"ctx {m.context_length:,}")
    if m.pricing:
        prices = [
            f"{price} {label}"
            for key, label in (("prompt", "in"), ("completion", "out"))
            if (price := per_million(m.pricing.get(key))) is not None
        ]
        if prices:
            parts.append(" · ".join(prices))
    if m.owned_by:
        parts.append(f"by {m.owned_by}")
    return safe("  ".join(str(p) for p in parts))


class ModelPickerScreen(ReportsWorkerFailures, ModalScreen[str | None]):
    DEFAULT_CSS = """
    ModelPickerScreen { align: center middle; }
    ModelPickerScreen > Vertical { width: 90%; max-width: 110; height: 80%; border: thick $primary; background: $surface; padding: 0 1; }
    ModelPickerScreen OptionList { height: 1fr; }
    ModelPickerScreen #status { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "cancel", "Close"), Binding("down", "focus_list", show=False)]

    def __init__(self, loader: Any, current: str = "") -> None:
        super().__init__()
        self._loader = loader
        self._current = current
        self._models: list[Any] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Pick a model (type to search; enter on free text uses it as typed)")
            search = Input(value="", placeholder="search or type a model id", id="search")
            search.cursor_blink = False  # no redraws twice a second while idle (SSH)
            yield search
            yield Static("Loading the model list…", id="status", markup=False)
            yield OptionList(id="models")

    def on_mount(self) -> None:
        self.query_one("#search", Input).focus()
        self.load()

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        status = self.query_one("#status", Static)
        try:
            self._models = await self._loader()
        except Exception as exc:  # APIError, or anything the endpoint threw at us
            status.update(safe(f"Could not load models: {exc}. Type a model id and press enter."))
            return
        seen: set[str] = set()  # option ids must be unique; a server may repeat one
        self._models = [m for m in self._models if not (m.id in seen or seen.add(m.id))]
        self.loaded = True
        self._fill(self.query_one("#search", Input).value)

    def _fill(self, query: str) -> None:
        ol = self.query_one(OptionList)
        ol.clear_options()
        q = query.lower().strip()
        shown = [
            m
            for m in self._models
            if not q or q in m.id.lower() or (m.name and q in m.name.lower())
        ]
        # the exact id is the option's id: what is picked is what the server listed
        ol.add_options([Option(safe_describe(m), id=m.id) for m in shown])
        if ol.option_count:
            ol.highlighted = 0
        if not self.loaded:
            return
        total = len(self._models)
        count = f"{total} models" if len(shown) == total else f"{len(shown)} of {total} models"
        if any(m.is_tee for m in self._models):
            count += " · [TEE] runs in a trusted enclave"
        count += " · prices in $ per million tokens"
        self.query_one("#status", Static).update(Content(count))

    @on(Input.Changed, "#search")
    def _search(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#search")
    def _submit(self, event: Input.Submitted) -> None:
        ol = self.query_one(OptionList)
        text = event.value.strip()
        if (
            ol.highlighted is not None
            and ol.option_count
            and not any(m.id == text for m in self._models)
        ):
            option = ol.get_option_at_index(ol.highlighted)
            if text and option.id and text.lower() not in option.id.lower():
                self.dismiss(text)
                return
            self.dismiss(option.id)
        else:
            self.dismiss(text or None)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_focus_list(self) -> None:
        self.query_one(OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
