"""One parameter of the sidebar: name, status (set, default, invalid), an editor that can
hold an exact outside value, help and the error line. What is typed goes up as text; the
session parses it and the value and error come back (:meth:`ParamField.show`)."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, Select, Static, TextArea

from ...core.paramspec import APP_DEFAULTS, ParamSpec, format_value, nudge
from ...core.paramstate import stop_to_text
from ..safe import Exact, safe
from .keys import InOrderKeys


class FieldInput(InOrderKeys, Input):
    """An Input whose editing keys run in order with the typed characters, and which can
    hold an outside value: the field shows it neutralised, :meth:`exact_value` gives it
    exact."""

    exact: Exact | None = None

    def show_exact(self, value: str) -> None:
        """Put an outside value in the field (shown neutralised, kept exact)."""
        self.exact = Exact(value)
        self.value = self.exact.display
        self.cursor_position = len(self.value)

    def exact_value(self) -> str:
        return self.exact.resolve(self.value) if self.exact is not None else self.value


class FieldTextArea(InOrderKeys, TextArea):
    """A TextArea with in-order editing keys and an exact outside value (see FieldInput)."""

    exact: Exact | None = None

    def show_exact(self, value: str) -> None:
        self.exact = Exact(value)
        self.load_text(self.exact.display)

    def exact_value(self) -> str:
        return self.exact.resolve(self.text) if self.exact is not None else self.text


class NumberInput(FieldInput):
    """An Input whose number is nudged with up/down."""

    BINDINGS = [
        Binding("up", "nudge(1)", "Increase", show=False),
        Binding("down", "nudge(-1)", "Decrease", show=False),
    ]

    def __init__(self, spec: ParamSpec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def action_nudge(self, direction: int) -> None:
        self.value = nudge(self.spec, self.exact_value(), direction)
        self.cursor_position = len(self.value)


class ParamField(Vertical):
    """One parameter: name, set/default status, the editor, help, and an error line."""

    DEFAULT_CSS = """
    ParamField { height: auto; margin: 0 0 1 0; }
    ParamField .head { height: 1; }
    ParamField .name { text-style: bold; width: 1fr; }
    ParamField .status { color: $text-muted; width: auto; }
    ParamField.set .status { color: $success; }
    ParamField.invalid .status { color: $error; }
    ParamField .warn { color: $warning; }
    ParamField .error { color: $error; }
    ParamField Input, ParamField Select { width: 100%; }
    ParamField Input.-invalid { border: tall $error; }
    ParamField .stops { height: auto; }
    ParamField .stops Input { width: 1fr; }
    """

    class Changed(Message):
        """The user typed: ``text`` as typed (a list of texts for the stop fields)."""

        def __init__(self, field: ParamField, text: str | list[str]) -> None:
            super().__init__()
            self.field = field
            self.text = text

        @property
        def control(self) -> ParamField:
            return self.field

    def __init__(self, spec: ParamSpec, value: Any = None) -> None:
        super().__init__(id=f"param-{spec.name}", classes="field")
        self.spec = spec
        self.value: Any = value
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        spec = self.spec
        with Horizontal(classes="head"):
            yield Label(safe(spec.name), classes="name")
            yield Label("", classes="status")
        if spec.kind in ("int", "float"):
            yield NumberInput(
                spec, placeholder="server default", id=f"input-{spec.name}", compact=True
            )
        elif spec.kind in ("bool", "choice"):
            options = (
                [("true", "true"), ("false", "false")]
                if spec.kind == "bool"
                else [
                    (c if c != "json_object" else "json_object (JSON mode)", c)
                    for c in spec.choices
                ]
            )
            yield Select(
                options,
                value=format_value(spec, self.value) or Select.NULL,
                prompt="server default",
                allow_blank=True,
                id=f"input-{spec.name}",
                compact=True,
            )
        elif spec.kind == "stop":
            with Vertical(classes="stops"):
                for i in range(4):
                    yield FieldInput(placeholder=f"stop {i + 1}", id=f"stop-{i}", compact=True)
        else:
            yield FieldInput(placeholder="server default", id=f"input-{spec.name}", compact=True)
        help_text = f"{spec.range} · {spec.help}" if spec.range else spec.help
        if spec.kind == "stop":
            help_text += " Type \\n for a newline, \\t for a tab, \\\\ for a backslash."
        yield Static(Content(help_text), classes="help")
        if spec.warning:
            yield Static(Content(spec.warning), classes="warn")
        yield Static("", classes="error", markup=False)

    def on_mount(self) -> None:
        if not self.query(".status"):
            return  # its parts already gone: the app quit while the sidebar was being built
        for editor in self.query("Input, TextArea"):
            editor.cursor_blink = False  # no constant redraws over SSH
        self.fill(self.value)
        self.show_status()

    def fill(self, value: Any) -> None:
        """Put ``value`` (from outside) into the editor without posting Changed."""
        spec = self.spec
        with self.prevent(Input.Changed, Select.Changed):
            if spec.kind == "stop":
                stops = list(value or [])
                for i, inp in enumerate(self.query(".stops Input").results(FieldInput)):
                    inp.show_exact(stop_to_text(str(stops[i])) if i < len(stops) else "")
            elif spec.kind in ("bool", "choice"):
                self.query_one(Select).value = format_value(spec, value) or Select.NULL
            else:
                self.query_one(FieldInput).show_exact(format_value(spec, value))

    def show_status(self) -> None:
        app_default = self.spec.name in APP_DEFAULTS and self.value == APP_DEFAULTS[self.spec.name]
        if self.error:
            status = "invalid"
        elif app_default:
            status = "app default"
        elif self.value not in (None, [], {}):
            status = "set"
        else:
            status = "default"
        self.query_one(".status", Label).update(status)
        self.set_class(status == "set", "set")
        self.set_class(status == "invalid", "invalid")
        err = self.query_one(".error", Static)
        err.update(safe(self.error or ""))
        err.display = bool(self.error)

    @on(Input.Changed, "ParamField Input")
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.spec.kind == "stop":
            texts = [i.exact_value() for i in self.query(".stops Input").results(FieldInput)]
            self.post_message(self.Changed(self, texts))
            return
        field = event.input
        text = field.exact_value() if isinstance(field, FieldInput) else event.value
        self.post_message(self.Changed(self, text))

    @on(Select.Changed, "ParamField Select")
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = event.value
        text = "" if value is Select.NULL or value is None else str(value)
        self.post_message(self.Changed(self, text))

    def show(self, value: Any, error: str | None) -> None:
        """The value the session keeps for this parameter, and its error (if any)."""
        self.value = value
        self.error = error
        for inp in self.query(Input).results(Input):
            inp.set_class(error is not None and self.spec.kind != "stop", "-invalid")
        self.show_status()

    def set_value(self, value: Any) -> None:
        """Set from outside (a loaded conversation, a preset)."""
        self.value = value
        self.error = None
        self.fill(value)
        for inp in self.query(Input).results(Input):
            inp.set_class(False, "-invalid")
        self.show_status()
