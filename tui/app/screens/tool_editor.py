"""The tool-definition editor: the conversation's tools, each with name, description, a
JSON Schema of its parameters (highlighted), strict, enabled, and a canned result.
Validated as you type; nothing typed is lost (the schema is kept as text)."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    ListItem,
    ListView,
    Select,
    Static,
    TextArea,
)

from ...core.tools import ToolSettings, ToolSpec, examples, export_tools, parse_tool_file
from ..safe import safe
from ..widgets.footer import KeyFooter
from ..widgets.sidebar import FieldInput, FieldTextArea
from ..workers import ReportsWorkerFailures
from .path import PathScreen


class SchemaEditor(FieldTextArea):
    """The JSON Schema editor: ctrl+a selects all (TextArea binds it to line start; F7,
    TextArea's own select-all, is the screen's Export)."""

    BINDINGS = [Binding("ctrl+a", "select_all", "Select all", show=False)]


class ToolEditorScreen(ReportsWorkerFailures, Screen):
    DEFAULT_CSS = """
    ToolEditorScreen #tools-main { height: 1fr; }
    ToolEditorScreen #tool-side { width: 32; border-right: vkey $primary 30%; }
    ToolEditorScreen #tool-list { height: 1fr; }
    ToolEditorScreen .tool-buttons { height: auto; }
    ToolEditorScreen .tool-buttons Button { width: 1fr; min-width: 6; }
    ToolEditorScreen #tool-form { padding: 0 1; }
    ToolEditorScreen #tool-params { height: 14; }
    ToolEditorScreen .flags { height: auto; margin: 1 0 0 0; }
    ToolEditorScreen #tool-canned { height: 5; }
    ToolEditorScreen #tool-problems { color: $error; }
    ToolEditorScreen #tool-problems.ok { color: $success; }
    ToolEditorScreen .label { text-style: bold; margin: 1 0 0 0; }
    ToolEditorScreen #tool-head { height: 1; background: $panel; padding: 0 1; }
    ToolEditorScreen #empty-form { color: $text-muted; margin: 1 2; }
    ToolEditorScreen .hidden { display: none; }
    ToolEditorScreen ListItem.invalid Label { color: $error; }
    ToolEditorScreen ListItem.disabled Label { color: $text-muted; text-style: italic; }
    """

    BINDINGS = [
        Binding("escape,f8", "close", "Back", id="tools_close"),
        Binding("f9", "add", "Add", id="tools_add"),
        Binding("f10", "duplicate", "Copy", id="tools_duplicate"),
        Binding("f5", "delete", "Delete", id="tools_delete"),
        Binding("ctrl+t", "toggle_enabled", "On/off", id="tools_toggle"),
        # (ctrl+i would be Tab in a terminal)
        # priority: a focused TextArea binds F6/F7 (select line / all) itself
        Binding("f6", "import_file", "Import", id="tools_import", priority=True),
        Binding("f7", "export_file", "Export", id="tools_export", priority=True),
    ]

    class Changed(Message):
        """The tool settings changed (the chat screen refreshes its preview)."""

    def __init__(self, settings: ToolSettings) -> None:
        super().__init__()
        self.settings = settings
        self.current: ToolSpec | None = settings.specs[0] if settings.specs else None

    def compose(self) -> ComposeResult:
        yield Static(
            "Tools · definitions sent with the next request (F8 or esc returns to the chat)",
            id="tool-head",
        )
        with Horizontal(id="tools-main"):
            with Vertical(id="tool-side"):
                # at the top: its dropdown opens over the list, not over the footer
                yield Select(
                    [(name, name) for name in self._example_names()],
                    prompt="Load an example…",
                    id="examples",
                    compact=True,
                )
                yield ListView(id="tool-list")
                with Horizontal(classes="tool-buttons"):
                    yield Button("Add", id="add", compact=True)
                    yield Button("Copy", id="duplicate", compact=True)
                    yield Button("Delete", id="delete", compact=True)
                with Horizontal(classes="tool-buttons"):
                    yield Button("Import", id="import", compact=True)
                    yield Button("Export", id="export", compact=True)
            with VerticalScroll(id="tool-form"):
                yield Static(
                    "No tools yet: Add (F9), Import a tools file, or load an example.",
                    id="empty-form",
                )
                yield Label("name", classes="label")
                yield FieldInput(id="tool-name", placeholder="get_weather", compact=True)
                yield Label("description", classes="label")
                yield FieldInput(
                    id="tool-desc",
                    placeholder="What the tool does (the model reads this)",
                    compact=True,
                )
                yield Label("parameters (JSON Schema of an object)", classes="label")
                yield SchemaEditor(
                    "",
                    language="json",
                    id="tool-params",
                    show_line_numbers=True,
                    tab_behavior="indent",
                )
                with Horizontal(classes="flags"):
                    yield Checkbox("strict", id="tool-strict", compact=True)
                    yield Checkbox("enabled for the next request", id="tool-enabled", compact=True)
                yield Label(
                    "canned result (pre-fills the answer when the model calls this tool)",
                    classes="label",
                )
                yield FieldTextArea("", id="tool-canned", soft_wrap=True, tab_behavior="focus")
                yield Static("", id="tool-problems", markup=False)
        yield KeyFooter(compact=True)

    def _example_names(self) -> list[str]:
        try:
            return list(examples())
        except Exception:
            return []

    async def on_mount(self) -> None:
        await self._rebuild_list()
        self._load_form()

    # -- list -------------------------------------------------------------------------

    def _item_label(self, spec: ToolSpec) -> str:
        problems = spec.problems(self.settings.specs)
        mark = "✗" if problems else ("✓" if spec.enabled else "·")
        extra = " (off)" if not spec.enabled else ""
        return f"{mark} {spec.name or '(unnamed)'}{extra}"

    async def _rebuild_list(self) -> None:
        lv = self.query_one("#tool-list", ListView)
        await lv.clear()
        items = []
        for spec in self.settings.specs:
            item = ListItem(Label(safe(self._item_label(spec))))
            item.set_class(bool(spec.problems(self.settings.specs)), "invalid")
            item.set_class(not spec.enabled, "disabled")
            items.append(item)
        if items:
            await lv.extend(items)
        if self.current in self.settings.specs:
            lv.index = self.settings.specs.index(self.current)

    def _refresh_labels(self) -> None:
        lv = self.query_one("#tool-list", ListView)
        for spec, item in zip(self.settings.specs, lv.children, strict=False):
            item.query_one(Label).update(safe(self._item_label(spec)))
            item.set_class(bool(spec.problems(self.settings.specs)), "invalid")
            item.set_class(not spec.enabled, "disabled")

    @on(ListView.Highlighted, "#tool-list")
    def _highlighted(self, event: ListView.Highlighted) -> None:
        lv = event.list_view
        if lv.index is not None and 0 <= lv.index < len(self.settings.specs):
            spec = self.settings.specs[lv.index]
            if spec is not self.current:
                self.current = spec
                self._load_form()

    # -- form -------------------------------------------------------------------------

    def _load_form(self) -> None:
        spec = self.current
        has = spec is not None
        for node in self.query("#tool-form > *"):
            if node.id == "empty-form":
                node.display = not has
            else:
                node.display = has
        if spec is None:
            return
        with self.prevent(Input.Changed, TextArea.Changed, Checkbox.Changed):
            # outside text (a saved conversation, an imported file): shown neutralised,
            # kept exact until the user edits it
            self.query_one("#tool-name", FieldInput).show_exact(spec.name)
            self.query_one("#tool-desc", FieldInput).show_exact(spec.description)
            self.query_one("#tool-params", FieldTextArea).show_exact(spec.parameters)
            self.query_one("#tool-strict", Checkbox).value = spec.strict
            self.query_one("#tool-enabled", Checkbox).value = spec.enabled
            self.query_one("#tool-canned", FieldTextArea).show_exact(spec.canned_result)
        self._validate()

    def _validate(self) -> None:
        node = self.query_one("#tool-problems", Static)
        if self.current is None:
            node.update("")
            return
        problems = self.current.problems(self.settings.specs)
        node.set_class(not problems, "ok")
        node.update(safe("\n".join(f"✗ {p}" for p in problems) if problems else "✓ valid"))
        self._refresh_labels()

    def _changed(self) -> None:
        self._validate()
        self.post_message(self.Changed())

    @on(Input.Changed, "#tool-name")
    def _name(self, event: Input.Changed) -> None:
        if self.current is not None:
            self.current.name = self.query_one("#tool-name", FieldInput).exact_value().strip()
            self._changed()

    @on(Input.Changed, "#tool-desc")
    def _desc(self, event: Input.Changed) -> None:
        if self.current is not None:
            self.current.description = self.query_one("#tool-desc", FieldInput).exact_value()
            self._changed()

    @on(TextArea.Changed, "#tool-params")
    def _params(self, event: TextArea.Changed) -> None:
        if self.current is not None:
            self.current.parameters = self.query_one("#tool-params", FieldTextArea).exact_value()
            self._changed()

    @on(TextArea.Changed, "#tool-canned")
    def _canned(self, event: TextArea.Changed) -> None:
        if self.current is not None:
            self.current.canned_result = self.query_one("#tool-canned", FieldTextArea).exact_value()

    @on(Checkbox.Changed, "#tool-strict")
    def _strict(self, event: Checkbox.Changed) -> None:
        if self.current is not None:
            self.current.strict = event.value
            self._changed()

    @on(Checkbox.Changed, "#tool-enabled")
    def _enabled(self, event: Checkbox.Changed) -> None:
        if self.current is not None:
            self.current.enabled = event.value
            self._changed()

    # -- actions ----------------------------------------------------------------------

    async def _select(self, spec: ToolSpec | None) -> None:
        self.current = spec
        await self._rebuild_list()
        self._load_form()
        self.post_message(self.Changed())

    def _unique(self, base: str) -> str:
        names = {s.name for s in self.settings.specs}
        if base not in names:
            return base
        i = 2
        while f"{base}_{i}" in names:
            i += 1
        return f"{base}_{i}"

    async def action_add(self) -> None:
        spec = ToolSpec(name=self._unique("new_tool"))
        self.settings.specs.append(spec)
        await self._select(spec)
        self.query_one("#tool-name", Input).focus()

    async def action_duplicate(self) -> None:
        if self.current is None:
            return
        spec = ToolSpec.from_dict(self.current.to_dict())
        spec.name = self._unique(f"{self.current.name}_copy"[:64])
        self.settings.specs.insert(self.settings.specs.index(self.current) + 1, spec)
        await self._select(spec)

    @work(exit_on_error=False)
    async def action_delete(self) -> None:
        if self.current is None:
            return
        from .confirm import ConfirmScreen

        name = self.current.name or "(unnamed)"
        if not await self.app.push_screen_wait(
            ConfirmScreen(f"Delete the tool {name}?", yes="Delete")
        ):
            return
        index = self.settings.specs.index(self.current)
        self.settings.specs.remove(self.current)
        if self.settings.choice == name:
            self.settings.choice = ""
        nxt = (
            self.settings.specs[min(index, len(self.settings.specs) - 1)]
            if self.settings.specs
            else None
        )
        await self._select(nxt)

    async def action_toggle_enabled(self) -> None:
        if self.current is not None:
            self.current.enabled = not self.current.enabled
            self.query_one("#tool-enabled", Checkbox).value = self.current.enabled

    @work(exit_on_error=False)
    async def action_import_file(self) -> None:
        path = await self.app.push_screen_wait(
            PathScreen("Import tools from a JSON file (the API's tools array):")
        )
        if not path:
            return
        try:
            text = Path(path).expanduser().read_text(encoding="utf-8")
            specs = parse_tool_file(text, Path(path).name)
        except OSError as exc:
            self.notify(f"Cannot read {path}: {exc.strerror}", severity="error")
            return
        except ValueError as exc:
            self.notify(str(exc), title="Not imported", severity="error", timeout=10)
            return
        await self._add_all(specs, f"Imported {len(specs)} tool(s) from {path}")

    async def load_example(self, name: str) -> None:
        specs = examples().get(name, [])
        await self._add_all(specs, f"Added the {name} example ({len(specs)} tool(s))")

    async def _add_all(self, specs: list[ToolSpec], note: str) -> None:
        for spec in specs:
            if any(s.name == spec.name for s in self.settings.specs):
                spec.name = self._unique(spec.name)
            self.settings.specs.append(spec)
        await self._select(specs[0] if specs else self.current)
        self.notify(note, timeout=4)

    @work(exit_on_error=False)
    async def action_export_file(self) -> None:
        path = await self.app.push_screen_wait(
            PathScreen("Export the tools to a JSON file:", "tools.json")
        )
        if not path:
            return
        try:
            Path(path).expanduser().write_text(export_tools(self.settings.specs), encoding="utf-8")
        except OSError as exc:
            self.notify(f"Cannot write {path}: {exc.strerror}", severity="error")
            return
        self.notify(f"Exported {len(self.settings.specs)} tool(s) to {path}", timeout=4)

    @on(Button.Pressed)
    async def _button(self, event: Button.Pressed) -> None:
        event.stop()
        action = {
            "add": self.action_add,
            "duplicate": self.action_duplicate,
            "delete": self.action_delete,
            "import": self.action_import_file,
            "export": self.action_export_file,
        }.get(event.button.id or "")
        if action is not None:
            result = action()
            if hasattr(result, "__await__"):
                await result

    @on(Select.Changed, "#examples")
    async def _example(self, event: Select.Changed) -> None:
        if event.value is Select.NULL:
            return
        specs = examples().get(str(event.value), [])
        await self._add_all(specs, f"Added the {event.value} example ({len(specs)} tool(s))")
        with self.prevent(Select.Changed):
            event.select.value = Select.NULL

    def action_close(self) -> None:
        self.dismiss()
