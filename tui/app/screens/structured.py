"""Structured output: the JSON Schema the reply must follow (response_format json_schema),
its name and strict mode, checked as you type (as the tool editor checks a schema).
ctrl+s uses it, F5 turns structured output off, esc leaves it as it was."""

from __future__ import annotations

import json
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static, TextArea

from ...core.structured import make_format
from ..safe import safe, shown
from .tool_editor import SchemaEditor

EXAMPLE = {
    "type": "object",
    "properties": {
        "colour": {"type": "string"},
        "hex": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
    },
    "required": ["colour", "hex"],
    "additionalProperties": False,
}

OFF = "off"  # what the screen gives back to turn structured output off


class StructuredScreen(ModalScreen[dict[str, Any] | str | None]):
    DEFAULT_CSS = """
    StructuredScreen { align: center middle; }
    StructuredScreen > Vertical {
        width: 90%; max-width: 100; height: 90%; max-height: 34;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    StructuredScreen .label { text-style: bold; margin-top: 1; }
    StructuredScreen #so-schema { height: 1fr; min-height: 4; }
    StructuredScreen #so-problems { height: auto; max-height: 6; color: $text-error; }
    StructuredScreen #so-problems.ok { color: $text-success; }
    StructuredScreen Horizontal { height: 1; margin-top: 1; }
    StructuredScreen Button { margin-right: 2; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "use", "Use", priority=True),
        Binding("f5", "off", "Turn off", priority=True),
    ]

    def __init__(self, current: dict[str, Any] | None) -> None:
        super().__init__()
        block = (current or {}).get("json_schema") if isinstance(current, dict) else None
        block = block if isinstance(block, dict) else {}
        self._name = block.get("name") if isinstance(block.get("name"), str) else "reply"
        schema = block.get("schema", EXAMPLE)
        self._schema = json.dumps(schema, indent=2, ensure_ascii=False)
        self._strict = bool(block.get("strict", True))
        self._on = bool(current)

    def compose(self) -> ComposeResult:
        with Vertical():
            state = "on" if self._on else "off"
            yield Static(Content(f"Structured output (now {state}): the reply must be JSON that "
                                 "matches this schema"))  # fmt: skip
            yield Label("name", classes="label")
            yield Input(shown(self._name), id="so-name", compact=True)
            yield Checkbox(
                "strict (every property required, no others: what the API enforces)",
                self._strict,
                id="so-strict",
                compact=True,
            )
            yield Label("JSON Schema", classes="label")
            yield SchemaEditor(shown(self._schema), language="json", id="so-schema")
            yield Static("", id="so-problems", markup=False)
            with Horizontal():
                yield Button("Use (ctrl+s)", id="so-use", variant="primary", compact=True)
                yield Button("Turn off (F5)", id="so-off", compact=True)
                yield Button("Cancel (esc)", id="so-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#so-schema", TextArea).cursor_blink = False
        self._check()
        self.query_one("#so-schema", TextArea).focus()

    def _made(self) -> tuple[dict[str, Any] | None, list[str]]:
        return make_format(
            self.query_one("#so-name", Input).value,
            self.query_one("#so-schema", TextArea).text,
            self.query_one("#so-strict", Checkbox).value,
        )

    def _check(self) -> None:
        made, problems = self._made()
        node = self.query_one("#so-problems", Static)
        node.update(safe("\n".join(f"✗ {p}" for p in problems[:6]) if problems else "✓ valid"))
        node.set_class(not problems, "ok")

    @on(TextArea.Changed)
    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _changed(self, event: Any) -> None:
        event.stop()
        self._check()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        {"so-use": self.action_use, "so-off": self.action_off}.get(
            event.button.id or "", self.action_cancel
        )()

    def action_use(self) -> None:
        made, problems = self._made()
        if made is None:
            self.notify("Fix the schema first (the lines marked ✗).", severity="error")
            return
        self.dismiss(made)

    def action_off(self) -> None:
        self.dismiss(OFF)

    def action_cancel(self) -> None:
        self.dismiss(None)
