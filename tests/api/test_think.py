"""Reasoning in its three wire forms folds into one reasoning text per choice:
``reasoning_content`` (DeepSeek, llama.cpp --reasoning-format deepseek), ``reasoning``
(vLLM, Ollama's /v1, OpenRouter) and inline ``<think>…</think>`` in the content
(llama.cpp --reasoning-format none, many open models), streamed and whole, with a tag cut
across chunks at every position."""

from __future__ import annotations

import json

import pytest

from tui.api.accumulate import StreamAccumulator
from tui.api.think import ThinkSplitter, split_think

REASONING = "The user wants a colour.\nTeal is calm."
ANSWER = "Teal: **calm** and bright."
INLINE = f"<think>\n{REASONING}</think>\n\n{ANSWER}"


def chunk(delta: dict, finish: str | None = None) -> str:
    return json.dumps(
        {
            "id": "c1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


def stream(deltas: list[dict]) -> StreamAccumulator:
    acc = StreamAccumulator()
    acc.feed_event(chunk({"role": "assistant", "content": ""}))
    for d in deltas:
        acc.feed_event(chunk(d))
    acc.feed_event(chunk({}, "stop"))
    acc.feed_event("[DONE]")
    acc.finish()
    return acc


def pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@pytest.mark.parametrize(
    "deltas",
    [
        [{"reasoning_content": p} for p in pieces(REASONING, 5)]
        + [{"content": p} for p in pieces(ANSWER, 4)],
        [{"reasoning": p} for p in pieces(REASONING, 7)]
        + [{"content": p} for p in pieces(ANSWER, 3)],
        [{"content": p} for p in pieces(INLINE, 3)],
        [{"content": c} for c in INLINE],  # one character a chunk
    ],
    ids=["reasoning_content", "reasoning", "inline-think", "inline-think-per-char"],
)
def test_every_streamed_form_gives_the_same_reasoning_and_answer(deltas):
    choice = stream(deltas).choices[0]
    assert choice.reasoning.strip() == REASONING
    assert choice.content == ANSWER


@pytest.mark.parametrize(
    "message",
    [
        {"role": "assistant", "content": ANSWER, "reasoning_content": REASONING},
        {"role": "assistant", "content": ANSWER, "reasoning": REASONING},
        {"role": "assistant", "content": INLINE},
    ],
    ids=["reasoning_content", "reasoning", "inline-think"],
)
def test_every_whole_form_gives_the_same_reasoning_and_answer(message):
    acc = StreamAccumulator()
    acc.load_completion(
        {
            "id": "c1",
            "object": "chat.completion",
            "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        }
    )
    choice = acc.choices[0]
    assert choice.reasoning.strip() == REASONING
    assert choice.content == ANSWER


def test_a_tag_cut_at_every_position_splits_the_same():
    want = split_think(INLINE)
    assert want == (ANSWER, f"\n{REASONING}")
    for cut in range(len(INLINE) + 1):
        s = ThinkSplitter()
        a1, r1 = s.feed(INLINE[:cut])
        a2, r2 = s.feed(INLINE[cut:])
        a3, r3 = s.flush()
        assert (a1 + a2 + a3, r1 + r2 + r3) == want, cut
        # nothing shown as the answer is taken back: no answer text before the block ends
        assert a1 == "" or cut > INLINE.index("</think>") + len("</think>")


def test_a_reply_cut_inside_the_block_is_all_reasoning():
    acc = stream([{"content": p} for p in pieces("<think>still thinking about it", 4)])
    assert acc.choices[0].content == "" and acc.choices[0].reasoning == "still thinking about it"


@pytest.mark.parametrize(
    "text",
    [
        "Use a <think> tag like this: <think>x</think>",  # not at the start: an answer
        "<thin ice>",  # looks like the start of a tag, is not one
        "<",
        "   ",
        "",
        "</think> stray close",
    ],
)
def test_text_that_is_not_a_leading_block_is_left_alone(text):
    assert split_think(text) == (text, "")
    s = ThinkSplitter()
    out = "".join(s.feed(c)[0] for c in text) + s.flush()[0]
    assert out == text


def test_llama_cpp_timings_become_the_servers_rates_and_junk_is_dropped():
    acc = StreamAccumulator()
    last = json.loads(chunk({}, "stop"))
    last["timings"] = {"prompt_per_second": 812.34, "predicted_per_second": "fast"}
    acc.feed_chunk(last)
    assert acc.timings_dict()["server_tokens_per_s"] == {"prompt": 812.3}
    assert "server_tokens_per_s" not in StreamAccumulator().timings_dict()
