"""The chat screen's tools: the editor (F8), the sidebar's tool_choice and mode, and
sending the results typed for a reply's tool calls (through the session)."""

from __future__ import annotations

from typing import Any

from ...core.session import ChatSession
from ...core.turn import Turn
from ..widgets.sidebar import ParamSidebar
from ..widgets.tool_calls import ToolCallsPanel


class ToolActions:
    """Mixin for the chat screen."""

    session: ChatSession
    active_turn: Turn | None

    def action_tools(self) -> None:
        from ..screens.tool_editor import ToolEditorScreen

        screen: Any = self

        def closed(_: object = None) -> None:
            self.tools_changed()
            screen.keep_focus_visible()

        screen.app.push_screen(ToolEditorScreen(self.session.toolset), closed)

    def on_tool_editor_screen_changed(self) -> None:
        self.tools_changed()

    def tools_changed(self) -> None:
        screen: Any = self
        screen.query_one(ParamSidebar).show_tools(self.session.toolset)
        screen.refresh_preview()

    def on_param_sidebar_tool_mode_changed(self, event: ParamSidebar.ToolModeChanged) -> None:
        self.session.set_tool_mode(event.choice, event.legacy)
        self.refresh_preview()  # type: ignore[attr-defined]

    def on_param_sidebar_edit_tools(self) -> None:
        self.action_tools()

    async def action_send_tool_results(self) -> None:
        screen: Any = self
        if self.active_turn is not None or not self.session.conversation.turns:
            return
        plan = self.session.send_tool_results()
        if plan.blocked and not plan.input:  # nothing to answer: a warning, not an error
            self.notify(plan.blocked.message, severity="warning")
            return
        await screen.go(plan)

    async def on_tool_calls_panel_send_results(self, event: ToolCallsPanel.SendResults) -> None:
        event.stop()
        await self.action_send_tool_results()
