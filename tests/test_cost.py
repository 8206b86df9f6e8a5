"""What a reply cost, from a /models list with RedPill-shaped pricing (dollars per token,
as strings): to the cent in ``ask --json``, on the reply's line and in the conversation's
running total in the app; a server that sends no usage is said to, never shown as zeros."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Static

from tests.app.conftest import make_app, settle
from tests.loopback import Reply, chunk, text_stream
from tui import cli
from tui.app.widgets.topbar import TopBar
from tui.app.widgets.turn import TurnView

MODELS = {
    "object": "list",
    "data": [
        {
            "id": "phala/deepseek-chat-v3-0324",
            "context_length": 163840,
            "pricing": {"prompt": "0.00000028", "completion": "0.00000114"},
            "is_tee": True,
        },
        {"id": "free", "pricing": {"prompt": "-1", "completion": "-1"}},
    ],
}
MODEL = "phala/deepseek-chat-v3-0324"
# 25,000 x $0.28/M = $0.007 and 40,000 x $1.14/M = $0.0456: $0.0526
USAGE = {"prompt_tokens": 25_000, "completion_tokens": 40_000, "total_tokens": 65_000}


def stream_with_usage(*pieces: str, usage=USAGE) -> Reply:
    events = text_stream(*pieces, done=False)
    events.append({**chunk(0), "choices": [], "usage": usage})
    events.append("[DONE]")
    return Reply.sse(events)


def ask_json(capsys, url: str, model: str, *extra: str) -> tuple[int, dict]:
    code = cli.main(["ask", "--base-url", url, "-m", model, "--json", *extra, "hi"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_ask_json_gives_the_cost_to_the_cent(capsys, loopback):
    loopback.route("/models", Reply.json(MODELS))
    loopback.route("/chat/completions", stream_with_usage("Hel", "lo"))
    code, result = ask_json(capsys, loopback.base_url, MODEL)
    assert code == 0
    assert result["usage"] == USAGE
    assert result["cost"]["total"] == "0.0526"
    assert result["cost"]["prompt"] == "0.007" and result["cost"]["completion"] == "0.0456"
    assert result["cost"]["currency"] == "USD"
    assert result["cost"]["price_per_million"] == {"prompt": "0.28", "completion": "1.14"}
    # the model list is read once, after the reply
    paths = [r.path.partition("?")[0].rsplit("/", 1)[-1] for r in loopback.requests]
    assert paths == ["completions", "models"]


@pytest.mark.parametrize(
    ("model", "models"),
    [("free", Reply.json(MODELS)), (MODEL, Reply.json({"error": "no"}, status=404))],
    ids=["unknown-price", "no-model-list"],
)
def test_ask_json_cost_is_null_when_not_known(capsys, loopback, model, models):
    loopback.route("/models", models)
    loopback.route("/chat/completions", stream_with_usage("x"))
    code, result = ask_json(capsys, loopback.base_url, model)
    assert code == 0 and result["usage"] == USAGE and result["cost"] is None


def meta_of(app) -> str:
    return str(app.chat.query_one(TurnView).query_one(".meta", Static).render())


async def test_the_reply_and_the_conversation_show_tokens_and_cost(loopback):
    loopback.route("/models", Reply.json(MODELS))
    loopback.route("/chat/completions", stream_with_usage("Hel", "lo"))
    app = make_app(loopback.base_url, model=MODEL)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        topbar = app.chat.query_one(TopBar)
        assert "tokens" not in str(topbar.render())
        await app.chat.send_text("hi")
        await settle(app, pilot)
        for _ in range(100):  # the model list is read after the reply, in a worker
            if "$" in meta_of(app):
                break
            await pilot.pause(0.01)
        meta = meta_of(app)
        assert "tokens 25,000 in / 40,000 out / 65,000 total" in meta
        assert "$0.0526" in meta
        assert "test-model · TEE ·" in meta  # /models says the model asked for is in a TEE
        assert "this chat: 65,000 tokens · $0.0526" in str(topbar.render())
        saved = app.chat.conversation.turns[-1]
        assert saved.cost["total"] == "0.0526"  # stays with the turn when saved


async def test_a_reply_without_usage_says_so(loopback):
    loopback.route("/chat/completions", Reply.sse(text_stream("plain")))
    app = make_app(loopback.base_url, params={"include_usage": False})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.chat.send_text("hi")
        await settle(app, pilot)
        meta = meta_of(app)
        assert "no usage reported" in meta and "tokens 0" not in meta
        assert "tokens" not in str(app.chat.query_one(TopBar).render())
