"""The chat screen's parameters: what is typed in the sidebar goes to the session, which
validates it; the sidebar, the top bar and the request preview show the result."""

from __future__ import annotations

from typing import Any

from textual import work

from ...core.paramspec import EXTRA_SPEC_BY_NAME
from ...core.session import ChatSession
from ..screens.model_picker import ModelPickerScreen
from ..widgets.composer import Composer
from ..widgets.preview import RequestPreview
from ..widgets.sidebar import ParamSidebar


class ParamActions:
    """Mixin for the chat screen."""

    session: ChatSession

    def on_param_sidebar_changed(self, event: ParamSidebar.Changed) -> None:
        screen: Any = self
        sidebar, session = screen.query_one(ParamSidebar), self.session
        if event.name == "model":
            session.set_model(event.value)
        elif event.name == "system":
            session.set_system(event.value)
        elif event.name == "stop":
            session.type_stops(event.value)
        elif event.name == "resend_reasoning":
            session.set_resend_reasoning(event.value)
            self.refresh_preview()
            return
        elif event.name == "extra_body":
            error = session.type_extra(event.value)
            sidebar.show_extra(error, session.params.conflicts)
            if error is None:
                sidebar.fill_server_extras(session.params.extra)
            screen.update_topbar()
            self.refresh_preview()
            self.sync_model_facts()
            return
        elif event.name in EXTRA_SPEC_BY_NAME:
            error = session.type_extra_field(event.name, event.value)
            sidebar.show_param(event.name, session.params.extra.get(event.name), error)
            if error is None:
                sidebar.show_extra_body(session.params.extra)
            screen.update_topbar()
            self.refresh_preview()
            return
        else:
            session.type_param(event.name, event.value)
        params = session.params
        sidebar.show_param(event.name, params.value(event.name), params.errors.get(event.name))
        screen.update_topbar()
        self.refresh_preview()
        self.sync_model_facts()

    def sync_model_facts(self) -> None:
        """What the sidebar shows of the model and the server: parameters the model does
        not list as supported, and the fields of llama.cpp/vLLM sampling keys."""
        screen: Any = self
        sidebar = screen.query_one(ParamSidebar)
        sidebar.mark_unsupported(self.session.supported_parameters())
        sidebar.offer_server_extras(self.session.offers_server_extras())

    def on_param_sidebar_edit_schema(self) -> None:
        self.action_structured()

    def action_structured(self) -> None:
        """Structured output: the JSON Schema the reply must match."""
        screen: Any = self
        from ..screens.structured import OFF, StructuredScreen

        def done(result: Any) -> None:
            if result is None:
                return
            self.session.set_schema_format(None if result == OFF else result)
            params = self.session.params
            sidebar = screen.query_one(ParamSidebar)
            conv = self.session.conversation
            sidebar.set_values(conv.model, conv.system, params.values, params.extra)
            sidebar.show_schema(params.extra.get("response_format"))
            self.refresh_preview()

        current = self.session.params.extra.get("response_format")
        screen.app.push_screen(StructuredScreen(current), done)

    def use_model(self, model: str) -> None:
        """A model id from outside (the picker, GET /models): the session takes it, the
        sidebar shows it."""
        screen: Any = self
        self.session.set_model(model)
        sidebar = screen.query_one(ParamSidebar)
        sidebar.set_model(model)
        screen.update_topbar()
        self.refresh_preview()
        self.sync_model_facts()

    def refresh_preview(self) -> None:
        screen: Any = self
        body = self.session.preview(screen.query_one(Composer).text)
        problems = [f"invalid: {e}" for e in self.session.errors().values()]
        found = self.session.hints(body)
        screen.query_one(ParamSidebar).show_hints(found)
        if screen.has_class("preview"):
            screen.query_one(RequestPreview).show_body(body, problems + found)

    @work(exclusive=True, group="models", exit_on_error=False)
    async def auto_model(self) -> None:
        screen: Any = self
        try:
            models = await self.session.models()
        except Exception as exc:  # unreachable, or not an OpenAI-style list: say so now
            self.notify(  # type: ignore[attr-defined]
                f"No model set, and the model list of {screen.endpoint.base_url} could not "
                f"be read: {getattr(exc, 'message', None) or exc}. Type a model in the "
                "sidebar.",
                severity="warning",
                title="No model",
                timeout=10,
            )
            return
        if models and not self.session.conversation.model:
            self.use_model(models[0].id)
        self.sync_model_facts()

    def action_pick_model(self) -> None:
        screen: Any = self

        def done(model: str | None) -> None:
            if model:
                self.use_model(model)

        picker = ModelPickerScreen(self.session.models, self.session.conversation.model)
        screen.app.push_screen(picker, done)

    def on_param_sidebar_pick_model(self) -> None:
        self.action_pick_model()
