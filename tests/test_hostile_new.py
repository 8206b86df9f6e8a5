"""Hostile values for what this round added: junk numbers in logprobs, prices, usage and
llama.cpp timings, JSON nested too deep, a FIFO where an image should be, a stream of
whitespace. Each is refused or shown as unknown; nothing raises, nothing hangs."""

from __future__ import annotations

import os

import pytest

from tui.api.accumulate import StreamAccumulator
from tui.api.think import ThinkSplitter
from tui.core.images import ImageError, from_path, pasted_image_path
from tui.core.logprobs import tokens
from tui.core.params import parse_param
from tui.core.paramstate import ParamState
from tui.core.structured import check_reply, make_format
from tui.core.usage import Price, Tokens, Totals, dollars, per_million

HUGE = 10**400


def test_logprobs_with_numbers_too_big_and_junk_alternatives():
    (tok,) = tokens({"content": [{"token": "x", "logprob": HUGE, "top_logprobs": 5}]})
    assert tok.prob is None and tok.top == ()


def test_prices_costs_and_counts_that_are_junk():
    assert dollars("1e30") == dollars("1e999999") == "$?"
    assert dollars("1e-999999") == "$0"
    assert per_million("1e999999") is None and per_million("1e30") is None
    assert (
        Price.of({"prompt": "999", "completion": "1"}).cost(
            {"prompt_tokens": HUGE, "completion_tokens": 1}
        )
        is None
    )  # a junk count: no cost rather than part of one
    assert Tokens.of({"prompt_tokens": HUGE}) is None
    t = Totals()
    t.add({"prompt_tokens": 1}, {"total": "1e30"})
    assert t.text() == "1 tokens"


def test_server_timings_and_logprobs_of_the_wrong_shape_keep_the_reply():
    acc = StreamAccumulator()
    chunk = {
        "id": "c", "object": "chat.completion.chunk", "model": "m",
        "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop",
                     "logprobs": {"content": 5}}],
        "timings": {"prompt_per_second": HUGE, "predicted_per_second": 12.5},
    }  # fmt: skip
    acc.feed_chunk(chunk)
    assert acc.error is None and acc.choices[0].content == "hi"
    assert acc.timings_dict()["server_tokens_per_s"] == {"gen": 12.5}


@pytest.mark.parametrize("text", ["[" * 100000, '{"a": 1e400}', '{"a": NaN}'])
def test_json_typed_too_deep_or_not_finite_is_refused(text):
    assert "not JSON" in ParamState().type_extra(text)
    assert make_format("x", text, False)[0] is None
    assert parse_param(f"top_k={text}")[1] == text  # kept as a string, not a crash


def test_a_reply_nested_too_deep_is_said_not_checked():
    ok, said = check_reply("[" * 100000, {"name": "x", "schema": {"type": "object"}})
    assert not ok and "too deeply" in said


def test_a_fifo_or_a_device_is_not_an_image_and_never_blocks(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    (tmp_path / "link.png").symlink_to(fifo)
    for path in (fifo, tmp_path / "link.png", "/dev/zero"):
        assert pasted_image_path(str(path)) is None
        with pytest.raises(ImageError, match="not a file"):
            from_path(str(path))


def test_whitespace_streamed_forever_is_not_held_forever():
    # Held whitespace was re-read with every piece (quadratic: 8 s of CPU for 100,000
    # pieces); past HOLD_MAX it is the answer, and nothing more is held.
    from tui.api.think import HOLD_MAX

    s = ThinkSplitter()
    out = "".join(s.feed(" ")[0] for _ in range(HOLD_MAX + 10))
    assert s._held == "" and len(out) == HOLD_MAX + 10
    assert s.feed("<think>late") == ("<think>late", "")  # the answer has started


def test_saved_rates_too_big_to_show_do_not_crash_a_meta_line():
    from tui.app.widgets.turn import _finite

    assert not _finite(HUGE) and not _finite(float("nan")) and _finite(12.5)
