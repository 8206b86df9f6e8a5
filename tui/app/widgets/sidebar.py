"""The parameter sidebar: every request parameter with its value, whether it is set or left
to the server, its range and a line of help. Invalid values are marked in place."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from ...core.paramspec import (
    SPECS,
    ParamSpec,
    ParamValueError,
    format_value,
    nudge,
    params_to_request,
    parse_value,
)
from ...core.sanitize import neutralize


class NumberInput(Input):
    """An Input whose number is nudged with up/down."""

    BINDINGS = [
        Binding("up", "nudge(1)", "Increase", show=False),
        Binding("down", "nudge(-1)", "Decrease", show=False),
    ]

    def __init__(self, spec: ParamSpec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def action_nudge(self, direction: int) -> None:
        self.value = nudge(self.spec, self.value, direction)
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
    ParamField .help { color: $text-muted; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    ParamField:focus-within .help { height: auto; text-wrap: wrap; }
    ParamField .warn { color: $warning; }
    ParamField .error { color: $error; }
    ParamField Input, ParamField Select { width: 100%; }
    ParamField Input.-invalid { border: tall $error; }
    ParamField .stops { height: auto; }
    ParamField .stops Input { width: 1fr; }
    """

    class Changed(Message):
        def __init__(self, field: ParamField) -> None:
            super().__init__()
            self.field = field

    def __init__(self, spec: ParamSpec, value: Any = None) -> None:
        super().__init__(id=f"param-{spec.name}")
        self.spec = spec
        self.value: Any = value
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        spec = self.spec
        with Horizontal(classes="head"):
            yield Label(spec.name, classes="name")
            yield Label("", classes="status")
        if spec.kind in ("int", "float"):
            yield NumberInput(
                spec,
                value=format_value(spec, self.value),
                placeholder="server default",
                id=f"input-{spec.name}",
                compact=True,
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
            stops = list(self.value or [])
            with Vertical(classes="stops"):
                for i in range(4):
                    yield Input(
                        value=stops[i] if i < len(stops) else "",
                        placeholder=f"stop {i + 1}",
                        id=f"stop-{i}",
                        compact=True,
                    )
        else:
            yield Input(
                value=format_value(spec, self.value),
                placeholder="server default",
                id=f"input-{spec.name}",
                compact=True,
            )
        yield Static(
            Content(f"{spec.range} · {spec.help}" if spec.range else spec.help), classes="help"
        )
        if spec.warning:
            yield Static(Content(spec.warning), classes="warn")
        yield Static("", classes="error", markup=False)

    def on_mount(self) -> None:
        for editor in self.query("Input, TextArea"):
            editor.cursor_blink = False  # no constant redraws over SSH
        self._show()

    def _show(self) -> None:
        status = (
            "invalid" if self.error else ("set" if self.value not in (None, [], {}) else "default")
        )
        self.query_one(".status", Label).update(status)
        self.set_class(status == "set", "set")
        self.set_class(status == "invalid", "invalid")
        err = self.query_one(".error", Static)
        err.update(neutralize(self.error or ""))
        err.display = bool(self.error)

    def _parse(self, text: str) -> None:
        try:
            self.value = parse_value(self.spec, text)
            self.error = None
        except ParamValueError as exc:
            self.error = str(exc)
        self._show()
        self.post_message(self.Changed(self))

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.spec.kind == "stop":
            stops = [i.value for i in self.query(".stops Input").results(Input) if i.value != ""]
            self.value = stops or None
            self.error = None
            self._show()
            self.post_message(self.Changed(self))
            return
        event.input.set_class(False, "-invalid")
        self._parse(event.value)
        event.input.set_class(self.error is not None, "-invalid")

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = event.value
        self._parse("" if value is Select.NULL or value is None else str(value))

    def set_value(self, value: Any) -> None:
        """Set from outside (a loaded conversation, a preset)."""
        self.value = value
        self.error = None
        spec = self.spec
        with self.prevent(Input.Changed, Select.Changed):
            if spec.kind == "stop":
                stops = list(value or [])
                for i, inp in enumerate(self.query(".stops Input").results(Input)):
                    inp.value = stops[i] if i < len(stops) else ""
            elif spec.kind in ("bool", "choice"):
                self.query_one(Select).value = format_value(spec, value) or Select.NULL
            else:
                self.query_one(Input).value = format_value(spec, value)
        self._show()


class ParamSidebar(VerticalScroll):
    """All request parameters. Posts :class:`ParamSidebar.Changed` on every edit."""

    DEFAULT_CSS = """
    ParamSidebar { width: 42; dock: right; border-left: vkey $primary 30%; padding: 0 1; background: $surface; }
    ParamSidebar .title { text-style: bold; color: $text-primary; margin: 0 0 1 0; }
    ParamSidebar #model-row { height: auto; }
    ParamSidebar #model-row Input { width: 1fr; }
    ParamSidebar #model-row Button { width: auto; min-width: 8; }
    ParamSidebar #tools-row { height: auto; }
    ParamSidebar #tools-summary { width: 1fr; }
    ParamSidebar Select { width: 100%; }
    ParamSidebar #system { height: 4; margin: 0 0 1 0; background: $boost; }
    ParamSidebar .help { color: $text-muted; }
    ParamSidebar #hints { color: $warning; margin: 0 0 1 0; }
    ParamSidebar .label { text-style: bold; }
    ParamSidebar .unsupported .name { text-style: bold strike; }
    """

    class Changed(Message):
        pass

    class PickModel(Message):
        pass

    class EditTools(Message):
        pass

    class ToolModeChanged(Message):
        def __init__(self, choice: str, legacy: bool) -> None:
            super().__init__()
            self.choice = choice
            self.legacy = legacy

    def __init__(self, model: str, system: str, values: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._model = model
        self._system = system
        self._initial = dict(values)

    def compose(self) -> ComposeResult:
        yield Static("Parameters", classes="title")
        yield Static("", id="hints", markup=False)
        yield Label("model", classes="label")
        with Horizontal(id="model-row"):
            yield Input(value=self._model, placeholder="model id", id="model", compact=True)
            yield Button("pick", id="pick-model", compact=True)
        yield Static(
            Content("The model to use: pick from the endpoint's list (F4) or type an id."),
            classes="help",
        )
        yield Label("system prompt", classes="label")
        yield TextArea(
            self._system, id="system", soft_wrap=True, tab_behavior="focus", compact=True
        )
        for spec in SPECS:
            yield ParamField(spec, self._initial.get(spec.name))
        yield Label("tools", classes="label")
        with Horizontal(id="tools-row"):
            yield Static("no tools", id="tools-summary", markup=False)
            yield Button("edit", id="edit-tools", compact=True)
        yield Static(Content("Functions the model may call (F8 edits them)."), classes="help")
        yield Label("tool_choice", classes="label")
        yield Select([], prompt="server default", allow_blank=True, id="tool-choice", compact=True)
        yield Static(
            Content(
                "none: never call · auto: model decides · required: must call · or one named tool."
            ),
            classes="help",
        )
        yield Label("send tools as", classes="label")
        yield Select(
            [
                ("tools / tool_choice", "tools"),
                ("functions / function_call (deprecated)", "functions"),
            ],
            value="tools",
            allow_blank=False,
            id="tool-mode",
            compact=True,
        )
        yield Static(
            Content(
                "functions and function_call are the deprecated form of tools; use them only for old servers."
            ),
            classes="help",
        )

    def on_mount(self) -> None:
        self.query_one("#hints", Static).display = False
        self.query_one("#model", Input).cursor_blink = False
        self.query_one("#system", TextArea).cursor_blink = False

    @property
    def model(self) -> str:
        return self.query_one("#model", Input).value.strip()

    @property
    def system(self) -> str:
        return self.query_one("#system", TextArea).text

    def values(self) -> dict[str, Any]:
        return {f.spec.name: f.value for f in self.query(ParamField).results(ParamField)}

    def request_params(self) -> dict[str, Any]:
        return params_to_request(self.values())

    def errors(self) -> dict[str, str]:
        return {f.spec.name: f.error for f in self.query(ParamField).results(ParamField) if f.error}

    def set_values(self, model: str, system: str, values: dict[str, Any]) -> None:
        with self.prevent(Input.Changed, TextArea.Changed):
            self.query_one("#model", Input).value = model
            self.query_one("#system", TextArea).text = system
        for f in self.query(ParamField).results(ParamField):
            f.set_value(values.get(f.spec.name))

    def set_model(self, model: str) -> None:
        self.query_one("#model", Input).value = model

    def show_hints(self, hints: list[str]) -> None:
        node = self.query_one("#hints", Static)
        node.update("\n".join(f"⚠ {h}" for h in hints))
        node.display = bool(hints)

    def mark_unsupported(self, supported: list[str] | None) -> None:
        """Strike through parameters the selected model does not list as supported."""
        for f in self.query(ParamField).results(ParamField):
            name = "stream_options" if f.spec.name == "include_usage" else f.spec.name
            f.set_class(
                supported is not None and name not in supported and name != "stream", "unsupported"
            )

    @on(ParamField.Changed)
    @on(TextArea.Changed, "#system")
    @on(Input.Changed, "#model")
    def _changed(self, event: Message) -> None:
        event.stop()
        self.post_message(self.Changed())

    def show_tools(self, toolset: Any) -> None:
        enabled = toolset.enabled()
        total = len(toolset.specs)
        summary = f"{len(enabled)} of {total} enabled" if total else "no tools"
        bad = len(toolset.problems())
        if bad:
            summary += f" · {bad} problem(s)"
        self.query_one("#tools-summary", Static).update(summary)
        names = [s.name for s in enabled if s.name]
        options = [("none", "none"), ("auto", "auto"), ("required", "required")]
        options += [(f"function: {n}", n) for n in names]
        select = self.query_one("#tool-choice", Select)
        with self.prevent(Select.Changed):
            select.set_options(options)
            if toolset.choice and toolset.choice in {v for _, v in options}:
                select.value = toolset.choice
            mode = self.query_one("#tool-mode", Select)
            mode.value = "functions" if toolset.legacy else "tools"

    @on(Select.Changed, "#tool-choice")
    @on(Select.Changed, "#tool-mode")
    def _tool_mode(self, event: Select.Changed) -> None:
        event.stop()
        choice = self.query_one("#tool-choice", Select).value
        mode = self.query_one("#tool-mode", Select).value
        self.post_message(
            self.ToolModeChanged("" if choice is Select.NULL else str(choice), mode == "functions")
        )

    @on(Button.Pressed, "#edit-tools")
    def _edit_tools(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.EditTools())

    @on(Button.Pressed, "#pick-model")
    def _pick(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.PickModel())
