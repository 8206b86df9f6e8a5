"""F7: send the composer's message as variants, several requests at once, each the
current parameters plus its overrides: one line per variant (``KEY=VALUE,…``;
``system=TEXT`` for a system prompt; ``base`` for the parameters as they are). A sweep
line (``temperature: 0, 0.7, 1.4``) fills the lines; F4 adds a line per model picked.
Every line is checked as it is typed; nothing is sent while one is wrong."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static, TextArea

from ...api.errors import InvalidParameter
from ...core.sanitize import neutralize
from ...core.variants import MAX_VARIANTS, describe, parse_sweep, parse_variant
from ..safe import safe

EXAMPLE = "temperature=0\ntemperature=0.7\ntemperature=1.4"


def read_lines(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The variants of the lines typed, and what is wrong with them (each naming its
    line). Blank lines are skipped; ``base`` is the parameters as they are."""
    variants: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.lower() == "base":
            variants.append({})
            continue
        try:
            variants.append(parse_variant(line))
        except InvalidParameter as exc:
            problems.append(f"line {number}: {exc.param}: {exc.message}")
    if not variants and not problems:
        problems.append("no variants: write one per line")
    if len(variants) > MAX_VARIANTS:
        problems.append(f"{len(variants)} variants: at most {MAX_VARIANTS} at once")
    return variants, problems


class VariantsScreen(ModalScreen[list[dict[str, Any]] | None]):
    DEFAULT_CSS = """
    VariantsScreen { align: center middle; }
    VariantsScreen > Vertical {
        width: 90%; max-width: 110; height: 90%; max-height: 30;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    VariantsScreen .label { color: $text-muted; margin-top: 1; }
    VariantsScreen #message { text-style: italic; height: 1; }
    VariantsScreen TextArea { height: 1fr; min-height: 3; }
    VariantsScreen #check { height: auto; max-height: 8; }
    VariantsScreen #check.bad { color: $text-error; }
    VariantsScreen Horizontal { height: 1; margin-top: 1; }
    VariantsScreen Button { margin-right: 2; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "send", "Send variants", priority=True),
        Binding("f4", "add_model", "Add a model", priority=True),
    ]

    def __init__(
        self,
        message: str,
        lines: str,
        models: Callable[[], Awaitable[list[Any]]],
        current_model: str = "",
    ) -> None:
        super().__init__()
        self._message = message
        self._lines = lines or EXAMPLE
        self._models = models
        self._current_model = current_model
        self.last_lines = self._lines  # what the lines said when the screen closed

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content("Send as variants: one request per line, all at once"))
            first = " ".join(self._message.split())
            yield Static(
                safe(f"Message: {first[:200]}{'…' if len(first) > 200 else ''}"), id="message"
            )
            yield Static("Sweep: a parameter, its values (enter fills the lines)", classes="label")
            yield Input(placeholder="temperature: 0, 0.7, 1.4", id="sweep", compact=True)
            yield Static(
                "One variant a line: KEY=VALUE,… (system=TEXT, KEY=null, base)", classes="label"
            )
            area = TextArea(self._lines, id="lines", soft_wrap=False, compact=True)
            area.cursor_blink = False
            yield area
            yield Static("", id="check", markup=False)
            with Horizontal():
                yield Button("Send (ctrl+s)", id="send", variant="primary", compact=True)
                yield Button("Add a model (F4)", id="add-model", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self._check()
        self.query_one("#sweep", Input).focus()  # tab: the lines

    # -- checking ---------------------------------------------------------------------

    def _check(self) -> tuple[list[dict[str, Any]], list[str]]:
        variants, problems = read_lines(self.query_one("#lines", TextArea).text)
        check = self.query_one("#check", Static)
        if problems:
            check.update(safe("\n".join(f"✗ {p}" for p in problems[:8])))
        else:
            check.update(safe("\n".join(f"{i}. {describe(v)}" for i, v in enumerate(variants, 1))))
        check.set_class(bool(problems), "bad")
        return variants, problems

    @on(TextArea.Changed, "#lines")
    def _lines_changed(self) -> None:
        self._check()

    @on(Input.Submitted, "#sweep")
    def _sweep(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            key, variants = parse_sweep(event.value)
        except InvalidParameter as exc:
            self.notify(neutralize(f"{exc.param}: {exc.message}"), severity="error", timeout=4)
            return
        lines = "\n".join(f"{key}={json.dumps(v[key])}" for v in variants)
        self.query_one("#lines", TextArea).load_text(lines)
        self.query_one("#lines", TextArea).focus()

    # -- actions ----------------------------------------------------------------------

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        action = {"send": self.action_send, "add-model": self.action_add_model}.get(
            event.button.id or "", self.action_cancel
        )
        action()

    def action_send(self) -> None:
        variants, problems = self._check()
        if problems:
            self.notify("Fix the lines marked ✗ first.", severity="error", timeout=3)
            return
        self.last_lines = self.query_one("#lines", TextArea).text
        self.dismiss(variants)

    def action_cancel(self) -> None:
        self.last_lines = self.query_one("#lines", TextArea).text
        self.dismiss(None)

    def action_add_model(self) -> None:
        from .model_picker import ModelPickerScreen

        def picked(model: str | None) -> None:
            if not model:
                return
            area = self.query_one("#lines", TextArea)
            text = area.text.rstrip("\n")
            line = f"model={json.dumps(model)}"  # (ASCII: controls escaped)
            area.load_text(f"{text}\n{line}" if text.strip() else line)
            area.focus()

        self.app.push_screen(ModelPickerScreen(self._models, self._current_model), picked)
