"""The parameter sidebar: every request parameter with its value, whether it is set or left
to the server, its range and a line of help. Invalid values are marked in place.

Every value that comes from outside (a model id from GET /models, a saved conversation, a
preset) is shown neutralised while the exact value is what is sent (:class:`Exact`)."""

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
    APP_DEFAULTS,
    SPECS,
    ParamSpec,
    ParamValueError,
    format_value,
    nudge,
    params_to_request,
    parse_value,
)
from ..safe import Exact, safe
from .keys import InOrderKeys

# Values the app itself sends when the user has not touched the field (see
# RedPillApp.new_conversation): shown as "app default", not "set".

_STOP_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\"}


def stop_to_text(stop: str) -> str:
    """A stop sequence as typed in its field: newline, tab and backslash escaped."""
    return stop.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def stop_from_text(text: str) -> str:
    """Typed text -> the stop sequence: ``\\n``, ``\\t`` and ``\\\\`` are interpreted; any
    other backslash stays as typed."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in _STOP_ESCAPES:
            out.append(_STOP_ESCAPES[text[i + 1]])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


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
        def __init__(self, field: ParamField) -> None:
            super().__init__()
            self.field = field

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

    def parse_text(self, text: str) -> None:
        try:
            self.value = parse_value(self.spec, text)
            self.error = None
        except ParamValueError as exc:
            self.error = str(exc)
        self.show_status()
        self.post_message(self.Changed(self))

    @on(Input.Changed, "ParamField Input")
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.spec.kind == "stop":
            texts = [i.exact_value() for i in self.query(".stops Input").results(FieldInput)]
            stops = [stop_from_text(t) for t in texts if t != ""]
            self.value = stops or None
            self.error = None
            self.show_status()
            self.post_message(self.Changed(self))
            return
        field = event.input
        field.set_class(False, "-invalid")
        self.parse_text(field.exact_value() if isinstance(field, FieldInput) else event.value)
        field.set_class(self.error is not None, "-invalid")

    @on(Select.Changed, "ParamField Select")
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = event.value
        self.parse_text("" if value is Select.NULL or value is None else str(value))

    def set_value(self, value: Any) -> None:
        """Set from outside (a loaded conversation, a preset)."""
        self.value = value
        self.error = None
        self.fill(value)
        for inp in self.query(Input).results(Input):
            inp.set_class(False, "-invalid")
        self.show_status()


class ParamSidebar(Vertical):
    """All request parameters. Posts :class:`ParamSidebar.Changed` on every edit.

    The fields scroll; warnings about the values and the legend for struck-through
    parameters sit in a footer below them, so they never push a field while you type."""

    DEFAULT_CSS = """
    ParamSidebar { width: 42; dock: right; border-left: vkey $primary 30%; background: $surface; }
    ParamSidebar #param-scroll { height: 1fr; padding: 0 1; }
    ParamSidebar .title { text-style: bold; color: $text-primary; margin: 0 0 1 0; }
    ParamSidebar .field { height: auto; }
    ParamSidebar #model-field, ParamSidebar #system-field, ParamSidebar .tools-field { margin: 0 0 1 0; }
    ParamSidebar #model-row { height: auto; }
    ParamSidebar #model-row Input { width: 1fr; }
    ParamSidebar #model-row Button { width: auto; min-width: 8; }
    ParamSidebar #tools-row { height: auto; }
    ParamSidebar #tools-summary { width: 1fr; }
    ParamSidebar Select { width: 100%; }
    ParamSidebar #system { height: 4; background: $boost; }
    ParamSidebar .help { color: $text-muted; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    ParamSidebar .field:focus-within .help { height: auto; text-wrap: wrap; color: $text; }
    /* A rule on the field itself: Textual restyles a focus-within subtree only from a node
       that has a :focus-within rule of its own (the .help rule alone is never refreshed). */
    ParamSidebar .field:focus-within { background: $boost; }
    ParamSidebar #sidebar-foot { height: auto; max-height: 9; padding: 0 1; border-top: hkey $primary 30%; }
    ParamSidebar #hints { color: $warning; }
    ParamSidebar #legend { color: $text-muted; }
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
        self.initial_model = model
        self.initial_system = system
        self.initial_values = dict(values)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="param-scroll"):
            yield Static("Parameters", classes="title")
            with Vertical(id="model-field", classes="field"):
                yield Label("model", classes="label")
                with Horizontal(id="model-row"):
                    yield FieldInput(placeholder="model id", id="model", compact=True)
                    yield Button("pick", id="pick-model", compact=True)
                yield Static(
                    Content("The model to use: pick from the endpoint's list (F4) or type an id."),
                    classes="help",
                )
            with Vertical(id="system-field", classes="field"):
                yield Label("system prompt", classes="label")
                yield FieldTextArea(
                    "", id="system", soft_wrap=True, tab_behavior="focus", compact=True
                )
                yield Static(
                    Content("Sent first, as the system message, with every request."),
                    classes="help",
                )
            for spec in SPECS:
                yield ParamField(spec, self.initial_values.get(spec.name))
            with Vertical(classes="field tools-field"):
                yield Label("tools", classes="label")
                with Horizontal(id="tools-row"):
                    yield Static("no tools", id="tools-summary", markup=False)
                    yield Button("edit", id="edit-tools", compact=True)
                yield Static(
                    Content("Functions the model may call (F8 edits them)."), classes="help"
                )
            with Vertical(classes="field tools-field"):
                yield Label("tool_choice", classes="label")
                yield Select(
                    [], prompt="server default", allow_blank=True, id="tool-choice", compact=True
                )
                yield Static(
                    Content(
                        "none: never call · auto: model decides · required: must call · "
                        "or one named tool."
                    ),
                    classes="help",
                )
            with Vertical(classes="field tools-field"):
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
                        "functions and function_call are the deprecated form of tools; "
                        "use them only for old servers."
                    ),
                    classes="help",
                )
        with Vertical(id="sidebar-foot"):
            yield Static("", id="hints")
            yield Static(
                Content.from_markup(
                    "[strike]name[/strike]: the selected model does not list this parameter "
                    "as supported."
                ),
                id="legend",
            )

    def on_mount(self) -> None:
        self.query_one("#hints", Static).display = False
        self.query_one("#legend", Static).display = False
        self.update_foot()
        model = self.query_one("#model", FieldInput)
        system = self.query_one("#system", FieldTextArea)
        model.cursor_blink = False
        system.cursor_blink = False
        with self.prevent(Input.Changed, TextArea.Changed):
            model.show_exact(self.initial_model)
            system.show_exact(self.initial_system)

    def update_foot(self) -> None:
        foot = self.query_one("#sidebar-foot")
        foot.display = any(node.display for node in foot.children)

    @property
    def model(self) -> str:
        field = self.query_one("#model", FieldInput)
        if field.exact is not None and field.value == field.exact.display:
            return field.exact.value
        return field.value.strip()

    @property
    def system(self) -> str:
        return self.query_one("#system", FieldTextArea).exact_value()

    def values(self) -> dict[str, Any]:
        return {f.spec.name: f.value for f in self.query(ParamField).results(ParamField)}

    def request_params(self) -> dict[str, Any]:
        return params_to_request(self.values())

    def errors(self) -> dict[str, str]:
        return {f.spec.name: f.error for f in self.query(ParamField).results(ParamField) if f.error}

    def set_values(self, model: str, system: str, values: dict[str, Any]) -> None:
        with self.prevent(Input.Changed, TextArea.Changed):
            self.query_one("#model", FieldInput).show_exact(model)
            self.query_one("#system", FieldTextArea).show_exact(system)
        for f in self.query(ParamField).results(ParamField):
            f.set_value(values.get(f.spec.name))

    def set_model(self, model: str) -> None:
        """Put a model id from outside (the picker, GET /models) in the field: shown
        neutralised, sent exact. Posts Changed."""
        self.query_one("#model", FieldInput).show_exact(model)

    def show_hints(self, hints: list[str]) -> None:
        node = self.query_one("#hints", Static)
        node.update(safe("\n".join(f"⚠ {h}" for h in hints)))
        node.display = bool(hints)
        self.update_foot()

    def mark_unsupported(self, supported: list[str] | None) -> None:
        """Strike through parameters the selected model does not list as supported."""
        any_marked = False
        for f in self.query(ParamField).results(ParamField):
            name = "stream_options" if f.spec.name == "include_usage" else f.spec.name
            marked = supported is not None and name not in supported and name != "stream"
            f.set_class(marked, "unsupported")
            any_marked = any_marked or marked
        self.query_one("#legend", Static).display = any_marked
        self.update_foot()

    @on(ParamField.Changed, "ParamField")
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
        options: list[tuple[Any, str]] = [("none", "none"), ("auto", "auto")]
        options.append(("required", "required"))
        options += [(safe(f"function: {n}"), n) for n in names]
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
