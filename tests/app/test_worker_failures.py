"""A background task that fails is reported and never ends the app."""

from __future__ import annotations

from tests.app.conftest import make_app
from tui.app.screens.model_picker import ModelPickerScreen


async def test_a_failing_worker_is_reported_and_the_app_goes_on(loopback):
    app = make_app(loopback.base_url)

    class Odd:  # a model object a bug below might hand up: no id
        def __getattr__(self, name):
            raise RuntimeError("a bug below the model list")

    async def broken() -> list:
        return [Odd()]

    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        app.chat.session.forget_models()
        app.chat.client.list_models = broken
        await pilot.press("f4")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running
        messages = [n.message for n in app._notifications]
        assert any("a bug below the model list" in m for m in messages), messages
        assert isinstance(app.screen, ModelPickerScreen)
        await pilot.press("escape")
        await pilot.press(*"still typing")
        await pilot.pause()
        assert app.chat.query_one("#composer").text == "still typing"
