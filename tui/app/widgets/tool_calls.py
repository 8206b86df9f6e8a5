"""Answer the tool calls of a reply: each call with its name, id and arguments (checked
against the tool's schema), and an editor for its result. Results typed here are kept on
the turn, so a partial answer survives leaving and coming back."""

from __future__ import annotations

import json

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static, TextArea

from ...core.conversation import Turn
from ...core.sanitize import neutralize
from ...core.sendcheck import calls_of
from ...core.tools import ToolSettings, check_arguments
from ..safe import Exact


class ToolCallsPanel(Vertical):
    DEFAULT_CSS = """
    ToolCallsPanel {
        height: auto; max-height: 45vh; overflow-y: auto;
        border: round $secondary; padding: 0 1; margin: 1 0 0 0;
    }
    ToolCallsPanel .call-head { text-style: bold; color: $text-secondary; }
    ToolCallsPanel .args { color: $text; }
    ToolCallsPanel .problem { color: $error; }
    ToolCallsPanel .ok { color: $success; }
    ToolCallsPanel TextArea { height: 4; }
    ToolCallsPanel #send-results { margin: 1 0 0 0; }
    ToolCallsPanel .buttons { height: auto; }
    ToolCallsPanel .note { color: $text-muted; }
    """

    class SendResults(Message):
        def __init__(self, turn: Turn) -> None:
            super().__init__()
            self.turn = turn

    def __init__(self, turn: Turn, toolset: ToolSettings) -> None:
        super().__init__(classes="tool-calls-panel")
        self.turn = turn
        self.toolset = toolset

    def compose(self) -> ComposeResult:
        choice = self.turn.chosen_choice()
        calls = calls_of(self.turn)
        yield Static(
            Content(
                f"The model called {len(calls)} tool(s). Answer each call in its box (shift+tab "
                "from the message box reaches them), then send the results with ctrl+s."
            ),
            classes="note",
        )
        for i, call in enumerate(calls):
            spec = self.toolset.spec(call["name"])
            parsed, problems = check_arguments(call["arguments"], spec)
            kind = "function_call (legacy)" if call["legacy"] else f"id {call['id']}"
            yield Static(
                Content(neutralize(f"{i + 1}. {call['name'] or '(no name)'}  ·  {kind}")),
                classes="call-head",
            )
            if parsed is not None:
                args = json.dumps(parsed, indent=2, ensure_ascii=False)
            else:
                args = call["arguments"]
            yield Static(Content(neutralize(args or "(no arguments)")), classes="args")
            if choice is not None and choice.finish_reason == "length":
                problems = [
                    "the reply was cut by max_tokens: these arguments may be incomplete",
                    *problems,
                ]
            if problems:
                yield Static(
                    Content(neutralize("\n".join(f"✗ {p}" for p in problems))), classes="problem"
                )
            elif spec is not None:
                yield Static(Content("✓ arguments match the tool's schema"), classes="ok")
            initial = self.turn.tool_results.get(call["id"])
            if initial is None:
                initial = spec.canned_result if spec is not None else ""
                self.turn.tool_results[call["id"]] = initial
            exact = Exact(initial)  # a saved or canned result may hold anything
            area = TextArea(
                exact.display,
                soft_wrap=True,
                tab_behavior="focus",
                id=f"result-{i}",
                classes="result",
            )
            area.border_title = "result"
            area.call_id = call["id"]  # type: ignore[attr-defined]
            area.exact = exact  # type: ignore[attr-defined]
            yield area
        with Horizontal(classes="buttons"):
            yield Button(
                "Send results (ctrl+s)", id="send-results", variant="primary", compact=True
            )

    @on(TextArea.Changed, ".result")
    def _typed(self, event: TextArea.Changed) -> None:
        event.stop()
        call_id = getattr(event.text_area, "call_id", None)
        exact = getattr(event.text_area, "exact", None)
        if call_id is not None and exact is not None:
            self.turn.tool_results[call_id] = exact.resolve(event.text_area.text)

    @on(Button.Pressed, "#send-results")
    def _send(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.SendResults(self.turn))

    def focus_first(self) -> None:
        areas = list(self.query(TextArea))
        if areas:
            areas[0].focus()
