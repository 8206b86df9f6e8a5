"""The parameter sidebar: every request parameter with its value, whether it is set or left
to the server, its range and a line of help. Invalid values are marked in place.

Every value that comes from outside (a model id from GET /models, a saved conversation, a
preset) is shown neutralised while the exact value is what is sent (:class:`Exact`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

from textual import on
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Button, Input, Select, Static, TextArea

from ..safe import safe
from .param_field import FieldInput, FieldTextArea, ParamField
from .sidebar_fields import ParamFields, SidebarFoot, extra_text, schema_summary


class ParamSidebar(Vertical):
    """All request parameters, as the session holds them. Posts
    :class:`ParamSidebar.Changed` with what was typed; shows what the session made of it.

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
    ParamSidebar #tools-summary, ParamSidebar #schema-summary, ParamSidebar #e2ee-state { width: 1fr; }
    ParamSidebar #e2ee-row { height: auto; }
    ParamSidebar #schema-row { height: auto; }
    ParamSidebar Select { width: 100%; }
    ParamSidebar #system { height: 4; background: $boost; }
    ParamSidebar #extra-body { height: 3; background: $boost; }
    ParamSidebar #extra-body.-invalid { border-left: outer $error; }
    ParamSidebar #extra-status { color: $text-error; }
    ParamSidebar #extra-field { margin: 1 0 1 0; }
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
    ParamSidebar #server-extras { height: auto; display: none; }
    ParamSidebar #server-extras.offered { display: block; }
    ParamSidebar .subtitle { color: $text-muted; text-style: italic; margin: 0 0 1 0; }
    """

    class Changed(Message):
        """The user edited ``name`` (model, system, stop or a parameter): ``value`` is
        the text as typed (the stop fields' texts for stop); the session validates it."""

        def __init__(self, name: str, value: Any) -> None:
            super().__init__()
            self.name = name
            self.value = value

    class PickModel(Message):
        pass

    class EditSchema(Message):
        """The structured output's edit button was pressed."""

    class EditTools(Message):
        pass

    class ToggleE2EE(Message):
        """The end-to-end encryption button was pressed."""

    class ToolModeChanged(Message):
        def __init__(self, choice: str, legacy: bool) -> None:
            super().__init__()
            self.choice = choice
            self.legacy = legacy

    def __init__(
        self,
        model: str,
        system: str,
        values: dict[str, Any],
        extra: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.initial_model = model
        self.initial_system = system
        self.initial_values = dict(values)
        self.initial_extra = dict(extra or {})
        self.built = asyncio.Event()  # set once the fields exist
        self.pending: list[Callable[[], None]] = []  # calls made before that

    async def build(self) -> None:
        """Make the fields (some 140 widgets). The screen calls this once, after its first
        frame: the composer is usable at once, and the sidebar fills in a frame later."""
        if self.built.is_set() or self.children:
            return
        await self.mount(
            ParamFields(self.initial_values, id="param-scroll"), SidebarFoot(id="sidebar-foot")
        )
        if not self.query("#hints"):
            return  # the app quit while they were being built
        self.query_one("#hints", Static).display = False
        self.query_one("#legend", Static).display = False
        self.query_one("#extra-status", Static).display = False
        self.update_foot()
        model = self.query_one("#model", FieldInput)
        system = self.query_one("#system", FieldTextArea)
        extra = self.query_one("#extra-body", FieldTextArea)
        model.cursor_blink = False
        system.cursor_blink = False
        extra.cursor_blink = False
        with self.prevent(Input.Changed, TextArea.Changed):
            model.show_exact(self.initial_model)
            system.show_exact(self.initial_system)
            extra.show_exact(extra_text(self.initial_extra))
        self.query_one("#schema-summary", Static).update(
            safe(schema_summary(self.initial_extra.get("response_format")))
        )
        self.fill_server_extras(self.initial_extra)
        pending, self.pending = self.pending, []
        for call in pending:
            call()
        self.built.set()

    def until_built(self, call: Callable[[], None]) -> bool:
        """Before the fields exist, ``call`` waits for them (True); after, False."""
        if self.built.is_set():
            return False
        self.pending.append(call)
        return True

    def update_foot(self) -> None:
        foot = self.query_one("#sidebar-foot")
        foot.display = any(node.display for node in foot.children)

    @property
    def model(self) -> str:
        if not self.built.is_set():
            return self.initial_model
        field = self.query_one("#model", FieldInput)
        if field.exact is not None and field.value == field.exact.display:
            return field.exact.value
        return field.value.strip()

    @property
    def system(self) -> str:
        if not self.built.is_set():
            return self.initial_system
        return self.query_one("#system", FieldTextArea).exact_value()

    def show_param(self, name: str, value: Any, error: str | None) -> None:
        """What the session made of what was typed for ``name``."""
        if self.until_built(partial(self.show_param, name, value, error)):
            return
        for f in self.query(ParamField).results(ParamField):
            if f.spec.name == name:
                f.show(value, error)

    def set_values(
        self, model: str, system: str, values: dict[str, Any], extra: dict[str, Any]
    ) -> None:
        if not self.built.is_set():
            self.initial_model, self.initial_system = model, system
            self.initial_values, self.initial_extra = dict(values), dict(extra)
            return
        with self.prevent(Input.Changed, TextArea.Changed):
            self.query_one("#model", FieldInput).show_exact(model)
            self.query_one("#system", FieldTextArea).show_exact(system)
            self.query_one("#extra-body", FieldTextArea).show_exact(extra_text(extra))
        self.show_extra(None, [])
        self.show_schema(extra.get("response_format"))
        self.fill_server_extras(extra)
        for f in self.query(ParamField).results(ParamField):
            f.set_value(values.get(f.spec.name))

    def set_model(self, model: str) -> None:
        """Show a model id from outside (the picker, GET /models) that the session has
        taken: neutralised in the field, exact in :attr:`model`. Posts nothing."""
        if not self.built.is_set():
            self.initial_model = model
            return
        with self.prevent(Input.Changed):
            self.query_one("#model", FieldInput).show_exact(model)

    def show_hints(self, hints: list[str]) -> None:
        if self.until_built(partial(self.show_hints, hints)):
            return
        node = self.query_one("#hints", Static)
        node.update(safe("\n".join(f"⚠ {h}" for h in hints)))
        node.display = bool(hints)
        self.update_foot()

    def mark_unsupported(self, supported: list[str] | None) -> None:
        """Strike through parameters the selected model does not list as supported."""
        if self.until_built(partial(self.mark_unsupported, supported)):
            return
        any_marked = False
        for f in self.query(ParamField).results(ParamField):
            name = "stream_options" if f.spec.name == "include_usage" else f.spec.name
            marked = supported is not None and name not in supported and name != "stream"
            f.set_class(marked, "unsupported")
            any_marked = any_marked or marked
        self.query_one("#legend", Static).display = any_marked
        self.update_foot()

    @on(ParamField.Changed, "ParamField")
    def _param_typed(self, event: ParamField.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.field.spec.name, event.text))

    def show_schema(self, response_format: Any) -> None:
        """The structured output's summary: off, or the schema's name (and strict)."""
        if self.until_built(partial(self.show_schema, response_format)):
            return
        self.query_one("#schema-summary", Static).update(safe(schema_summary(response_format)))

    @on(Button.Pressed, "#edit-schema")
    def _edit_schema(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.EditSchema())

    def show_extra(self, error: str | None, conflicts: list[str]) -> None:
        """What the session made of the extra body: an error, or the keys left out."""
        if self.until_built(partial(self.show_extra, error, conflicts)):
            return
        status = self.query_one("#extra-status", Static)
        text = error or (
            f"not sent (set in the sidebar or elsewhere): {', '.join(conflicts)}"
            if conflicts
            else ""
        )
        status.update(safe(text))
        status.display = bool(text)
        self.query_one("#extra-body", FieldTextArea).set_class(bool(text), "-invalid")

    def show_resend_reasoning(self, key: str | None) -> None:
        """The conversation's setting for sending reasoning back (None: not sent)."""
        if self.until_built(partial(self.show_resend_reasoning, key)):
            return
        with self.prevent(Select.Changed):
            self.query_one("#resend-reasoning", Select).value = key or Select.NULL

    @on(Select.Changed, "#resend-reasoning")
    def _resend_picked(self, event: Select.Changed) -> None:
        event.stop()
        value = event.value if isinstance(event.value, str) else None
        self.post_message(self.Changed("resend_reasoning", value))

    def show_e2ee(self, on: bool) -> None:
        """The conversation's end-to-end encryption switch."""
        if self.until_built(partial(self.show_e2ee, on)):
            return
        self.query_one("#e2ee-state", Static).update("on" if on else "off")
        self.query_one("#e2ee-toggle", Button).label = "turn off" if on else "turn on"

    @on(Button.Pressed, "#e2ee-toggle")
    def _e2ee_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.ToggleE2EE())

    def offer_server_extras(self, offered: bool) -> None:
        """Show or hide the fields of top_k, min_p and repetition_penalty."""
        if self.until_built(partial(self.offer_server_extras, offered)):
            return
        self.query_one("#server-extras").set_class(offered, "offered")

    def fill_server_extras(self, extra: dict[str, Any]) -> None:
        """The known extras' fields show what the extra body sets (a value that is not a
        number shows as an error in its field: it is sent as written)."""
        for f in self.query("#server-extras ParamField").results(ParamField):
            value = extra.get(f.spec.name)
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            f.set_value(value if number else None)
            if value is not None and not number:
                f.show(None, f"the extra body sets {f.spec.name} to something not a number")

    def show_extra_body(self, extra: dict[str, Any]) -> None:
        """The extra body as the session holds it, after a known extra's field changed."""
        with self.prevent(TextArea.Changed):
            self.query_one("#extra-body", FieldTextArea).show_exact(extra_text(extra))

    @on(TextArea.Changed, "#extra-body")
    def _extra_typed(self, event: TextArea.Changed) -> None:
        event.stop()
        text = self.query_one("#extra-body", FieldTextArea).exact_value()
        self.post_message(self.Changed("extra_body", text))

    @on(TextArea.Changed, "#system")
    def _system_typed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.post_message(self.Changed("system", self.system))

    @on(Input.Changed, "#model")
    def _model_typed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed("model", self.model))

    def show_tools(self, toolset: Any) -> None:
        if self.until_built(partial(self.show_tools, toolset)):
            return
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
