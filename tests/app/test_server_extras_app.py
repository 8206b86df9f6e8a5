"""Fields for llama.cpp / vLLM sampling keys (top_k, min_p, repetition_penalty): offered
when the server looks like llama.cpp or vLLM, or the model lists them as supported, and
hidden otherwise; what is typed in them is kept in the extra body (and what the extra body
sets shows in them); an out-of-range value is marked and not sent."""

from __future__ import annotations

from textual.widgets import Input

from tests.app.conftest import make_app, settle, sidebar_built, until
from tests.loopback import Reply, chunk
from tui.app.widgets.param_field import FieldTextArea, ParamField


def offered(app) -> bool:
    return app.chat.query_one("#server-extras").has_class("offered")


def field(app, name: str) -> ParamField:
    return app.chat.query_one(f"#param-{name}", ParamField)


async def type_in(app, pilot, name: str, text: str) -> None:
    inp = app.chat.query_one(f"#input-{name}", Input)
    inp.focus()
    inp.value = text
    await pilot.pause()


async def test_llama_server_model_list_offers_the_fields_and_they_edit_the_extra_body(loopback):
    loopback.route(
        "/models",
        Reply.json({"object": "list", "data": [{"id": "qwen.gguf", "owned_by": "llamacpp"}]}),
    )
    loopback.route("/chat/completions", Reply.sse([chunk(0, "ok", finish="stop"), "[DONE]"]))
    app = make_app(loopback.base_url, model="")
    async with app.run_test(size=(120, 40)) as pilot:
        await sidebar_built(app, pilot)
        await until(pilot, lambda: offered(app))
        assert app.chat.query_one("#server-extras").display
        await type_in(app, pilot, "top_k", "40")
        extra = app.chat.query_one("#extra-body", FieldTextArea)
        assert extra.text == '{"top_k": 40}'
        await type_in(app, pilot, "min_p", "1.5")  # out of range: marked, not sent
        assert "0–1" in (field(app, "min_p").error or "")
        assert "min_p" not in app.chat.current_request_body()
        await type_in(app, pilot, "min_p", "0.05")
        assert field(app, "min_p").error is None
        body = app.chat.current_request_body()
        assert body["top_k"] == 40 and body["min_p"] == 0.05
        # typed in the extra body: the fields follow
        extra.focus()
        extra.load_text('{"repetition_penalty": 1.1, "top_k": "many"}')
        await pilot.pause()
        assert app.chat.query_one("#input-repetition_penalty", Input).value == "1.1"
        assert app.chat.query_one("#input-min_p", Input).value == ""
        assert "not a number" in (field(app, "top_k").error or "")
        # emptying a field takes its key out of the extra body
        await type_in(app, pilot, "repetition_penalty", "")
        assert extra.text == '{"top_k": "many"}'
        await app.chat.send_text("hi")
        await settle(app, pilot)
        sent = loopback.requests[-1].json()
        assert sent["top_k"] == "many" and "repetition_penalty" not in sent


async def test_an_openai_like_server_does_not_offer_them_until_a_sign(loopback):
    loopback.route(
        "/models", Reply.json({"object": "list", "data": [{"id": "gpt-x", "owned_by": "openai"}]})
    )
    reply = [chunk(0, "ok", finish="stop"), "[DONE]"]
    timed = {**chunk(0, "", finish=None), "choices": [], "timings": {"predicted_per_second": 9}}
    loopback.enqueue(Reply.sse(reply))
    loopback.enqueue(Reply.sse([chunk(0, "ok", finish="stop"), timed, "[DONE]"]))
    app = make_app(loopback.base_url, model="")
    async with app.run_test(size=(120, 40)) as pilot:
        await sidebar_built(app, pilot)
        await until(pilot, lambda: app.chat.session.catalog.known is not None)
        await pilot.pause()
        assert not offered(app)
        assert not app.chat.query_one("#server-extras").display
        await app.chat.send_text("hi")
        await settle(app, pilot)
        assert not offered(app)
        await app.chat.send_text("again")  # this reply carries llama.cpp's timings
        await settle(app, pilot)
        assert offered(app)


async def test_a_model_that_lists_top_k_as_supported_offers_them(loopback):
    loopback.route(
        "/models",
        Reply.json(
            {"data": [{"id": "router/m", "supported_parameters": ["temperature", "top_k"]}]}
        ),
    )
    app = make_app(loopback.base_url, model="")
    async with app.run_test(size=(120, 40)) as pilot:
        await sidebar_built(app, pilot)
        await until(pilot, lambda: offered(app))
        # what the model does not list is struck through, as for the named parameters
        assert field(app, "min_p").has_class("unsupported")
        assert not field(app, "top_k").has_class("unsupported")
