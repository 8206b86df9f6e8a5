"""The sidebar's fields (model, system prompt, every parameter, structured output, the
extra body, tools) and its foot (warnings, the legend); ParamSidebar holds them."""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Label, Select, Static

from ...core.paramspec import EXTRA_SPECS, SPECS
from ...core.structured import schema_format
from .param_field import FieldInput, FieldTextArea, ParamField


def schema_summary(response_format: Any) -> str:
    """The structured output's summary: off, or the schema's name (and strict)."""
    block = schema_format({"response_format": response_format})
    if block is None:
        return "off"
    return f"schema {block.get('name') or '?'}" + (", strict" if block.get("strict") else "")


def extra_text(extra: dict[str, Any]) -> str:
    """The extra body as its field shows it: JSON, empty when there is none."""
    return json.dumps(extra, ensure_ascii=False) if extra else ""


class ParamFields(VerticalScroll):
    """The sidebar's scrolling part: model, system prompt, every parameter, tools."""

    def __init__(self, values: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.values = values

    def compose(self) -> ComposeResult:
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
            yield FieldTextArea("", id="system", soft_wrap=True, tab_behavior="focus", compact=True)
            yield Static(
                Content("Sent first, as the system message, with every request."),
                classes="help",
            )
        for spec in SPECS:
            yield ParamField(spec, self.values.get(spec.name))
        with Vertical(id="server-extras"):
            yield Static(Content("Server sampling (in the extra body)"), classes="subtitle")
            for spec in EXTRA_SPECS:
                yield ParamField(spec)
        with Vertical(classes="field tools-field"):
            yield Label("end-to-end encryption", classes="label")
            with Horizontal(id="e2ee-row"):
                yield Static("off", id="e2ee-state", markup=False)
                yield Button("turn on", id="e2ee-toggle", compact=True)
            yield Static(
                Content(
                    "RedPill E2EE v2: message content encrypted to the attested enclave, "
                    "replies decrypted here; only after its attestation verifies."
                ),
                classes="help",
            )
        with Vertical(classes="field tools-field"):
            yield Label("resend reasoning", classes="label")
            yield Select(
                [
                    ("as reasoning_content", "reasoning_content"),
                    ("as reasoning", "reasoning"),
                ],
                prompt="no (answers only)",
                allow_blank=True,
                id="resend-reasoning",
                compact=True,
            )
            yield Static(
                Content(
                    "Send each reply's reasoning back with the history: DeepSeek, "
                    "llama.cpp and vLLM read reasoning_content; OpenRouter and Ollama "
                    "reasoning. Most servers want it left out."
                ),
                classes="help",
            )
        with Vertical(classes="field tools-field"):
            yield Label("structured output", classes="label")
            with Horizontal(id="schema-row"):
                yield Static("off", id="schema-summary", markup=False)
                yield Button("edit", id="edit-schema", compact=True)
            yield Static(
                Content("A JSON Schema the reply must match (response_format json_schema)."),
                classes="help",
            )
        with Vertical(id="extra-field", classes="field"):
            yield Label("extra body", classes="label")
            yield FieldTextArea(
                "", id="extra-body", soft_wrap=True, tab_behavior="focus", compact=True
            )
            yield Static("", id="extra-status", markup=False)
            yield Static(
                Content(
                    "Request keys the sidebar does not name, as a JSON object, sent as "
                    'they are: {"top_k": 40, "min_p": 0.05, "chat_template_kwargs": '
                    '{"enable_thinking": false}, "reasoning": {"effort": "high"}}'
                ),
                classes="help",
            )
        with Vertical(classes="field tools-field"):
            yield Label("tools", classes="label")
            with Horizontal(id="tools-row"):
                yield Static("no tools", id="tools-summary", markup=False)
                yield Button("edit", id="edit-tools", compact=True)
            yield Static(Content("Functions the model may call (F8 edits them)."), classes="help")
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


class SidebarFoot(Vertical):
    """Warnings about the values, and the legend for struck-through parameters."""

    def compose(self) -> ComposeResult:
        yield Static("", id="hints")
        yield Static(
            Content.from_markup(
                "[strike]name[/strike]: the selected model does not list this parameter "
                "as supported."
            ),
            id="legend",
        )
