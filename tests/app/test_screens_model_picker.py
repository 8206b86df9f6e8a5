"""F4: the model list from the server, neutralised, priced per million, counted as filtered."""

from __future__ import annotations

from textual.widgets import Input, OptionList, Static

from tests.app.conftest import make_app, sidebar_built
from tests.loopback import Reply
from tui.app.screens.model_picker import ModelPickerScreen, per_million
from tui.app.widgets.sidebar import ParamSidebar

HOSTILE = "evil[/b]\x1b]52;c;aGk=\x07"
MODELS = [
    {"id": "alpha", "pricing": {"prompt": "0.00000049", "completion": "0.0000012"}},
    {"id": "beta", "name": "Beta [bold]", "owned_by": "acme\x1b[2J"},
    {"id": HOSTILE, "owned_by": "[link=https://x]y[/link]"},
    {"id": "gamma", "is_tee": True, "context_length": 128000},
    {"id": "delta"},
]


def prompts(screen) -> list[str]:
    ol = screen.query_one(OptionList)
    return [str(ol.get_option_at_index(i).prompt) for i in range(ol.option_count)]


async def test_f4_lists_models_safely_with_prices_per_million_and_a_filtered_count(loopback):
    loopback.route("/models", Reply.json({"object": "list", "data": MODELS}))
    app = make_app(loopback.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await sidebar_built(app, pilot)
        await pilot.press("f4")
        for _ in range(50):
            await pilot.pause()
            if app.screen.query_one(OptionList).option_count:
                break
        screen = app.screen
        assert isinstance(screen, ModelPickerScreen)
        lines = prompts(screen)
        assert len(lines) == 5
        assert "$0.49/M in · $1.20/M out" in lines[0] and "0.00000049" not in lines[0]
        assert "Beta [bold]" in lines[1] and "\x1b" not in lines[1]
        assert lines[2].startswith("evil[/b]") and "\x1b" not in lines[2] and "\x07" not in lines[2]
        assert "[link=https://x]y[/link]" in lines[2]
        assert "[TEE]" in lines[3] and "ctx 128,000" in lines[3]
        status = screen.query_one("#status", Static)
        assert str(status.render()).startswith("5 models")
        await pilot.press(*"evil")
        await pilot.pause()
        assert str(status.render()).startswith("1 of 5 models")
        assert len(prompts(screen)) == 1
        await pilot.press("down", "enter")  # pick it from the list
        await pilot.pause()
        await sidebar_built(app, pilot)
        sidebar = app.chat.query_one(ParamSidebar)
        assert sidebar.model == HOSTILE  # the exact id is sent
        field = app.chat.query_one("#model", Input)
        assert "\x1b" not in field.value and field.value.startswith("evil[/b]")
        assert app.chat.current_request_body()["model"] == HOSTILE


def test_prices_per_million():
    assert per_million("0.00000049") == "$0.49/M"
    assert per_million(0) == "$0.00/M"
    assert per_million("0.000000001") == "$0.001/M"
    assert per_million("-1") is None and per_million("n/a") is None
