"""The live tier for exploring parameters: token probabilities from a real llama-server
(streamed and not; its probabilities are taken before sampling), the F6 view on them,
and ``ask --variant`` with two temperatures."""

from __future__ import annotations

import json
import math

import pytest

from tests.app.conftest import make_app, settle, until
from tests.live.test_llama_server import request, run_cli, send
from tui.app.screens.logprobs import LogprobsScreen
from tui.app.widgets.token_map import TokenMap
from tui.core.logprobs import tokens

pytestmark = pytest.mark.live


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
async def test_logprobs_come_back_and_read(client, llama_server, stream):
    req = request(llama_server, max_tokens=6, stream=stream, logprobs=True, top_logprobs=3)
    acc, _ = await send(client, req)
    assert acc.error is None, llama_server.log_tail(15)
    choice = acc.choices[0]
    toks = tokens(choice.logprobs)
    assert 1 <= len(toks) <= 6
    # the tokens spell the reply; each has a probability and up to three alternatives
    assert "".join(t.token for t in toks) == choice.content
    for t in toks:
        assert t.prob is not None and 0 < t.prob <= 1 and math.isfinite(t.logprob)
        assert 1 <= len(t.top) <= 3
        assert [a.logprob for a in t.top] == sorted((a.logprob for a in t.top), reverse=True)


async def test_f6_on_a_live_reply(llama_server):
    params = {"logprobs": True, "top_logprobs": 3, "max_tokens": 6}
    app = make_app(llama_server.base_url, model=llama_server.model, params=params)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.chat.send_text("Say hello.")
        await settle(app, pilot, timeout=60)
        turn = app.chat.conversation.turns[-1]
        assert turn.error is None, turn.error
        meta = str(app.chat.query_one(".meta").render())
        assert "server tok/s: prompt " in meta and ", gen " in meta  # llama.cpp's timings
        await pilot.press("f6")
        await until(pilot, lambda: isinstance(app.screen, LogprobsScreen))
        token_map = app.screen.query_one(TokenMap)
        assert token_map.tokens and "".join(t.token for t in token_map.tokens) == (
            turn.choices[0].content
        )
        detail = str(app.screen.query_one("#lp-detail").render())
        assert "token 1 of" in detail and "alternatives:" in detail
        assert "tokens · mean probability" in str(app.screen.query_one("#lp-summary").render())


def test_ask_variant_two_temperatures(llama_server):
    proc = run_cli(
        "ask", "--json", "--base-url", llama_server.base_url, "-m", llama_server.model,
        "-p", "max_tokens=6", "--variant", "temperature=0", "--variant", "temperature=1,seed=7",
        "Say hello.",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    variants = json.loads(proc.stdout)["variants"]
    assert [v["overrides"] for v in variants] == [
        {"temperature": 0},
        {"temperature": 1, "seed": 7},
    ]
    for v in variants:
        assert v["error"] is None and v["choices"][0]["content"]
        assert v["request"]["max_tokens"] == 6
    assert variants[1]["request"]["seed"] == 7 and "seed" not in variants[0]["request"]


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
async def test_llama_server_timings_are_kept_as_its_own_rates(client, llama_server, stream):
    acc, _ = await send(client, request(llama_server, max_tokens=6, stream=stream))
    rates = acc.timings_dict()["server_tokens_per_s"]
    assert set(rates) == {"prompt", "gen"} and all(v > 0 for v in rates.values())


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
async def test_reasoning_from_a_real_server_is_split_from_the_answer(client, llama_server, stream):
    """The model here does not reason on its own; a grammar makes it write a <think>
    block and then an answer, as reasoning models served by llama.cpp do. Whether the
    server splits it out (reasoning_content) or leaves it inline in the content, the
    reply's reasoning and answer come apart, token by token when streamed."""
    grammar = 'root ::= "<think>" [a-z ]{8,30} "</think>" [A-Za-z ]{4,30}'
    req = request(llama_server, max_tokens=48, stream=stream, grammar=grammar, temperature=0)
    acc, _ = await send(client, req)
    assert acc.error is None, llama_server.log_tail(15)
    choice = acc.choices[0]
    assert choice.reasoning.strip(), choice.to_dict()
    assert "<think>" not in choice.content and "</think>" not in choice.content
    assert choice.content.strip()
