"""Token probabilities read from a server's logprobs (tui/core/logprobs.py): junk is kept
as unknown or dropped, never raised; bands and percentages."""

from __future__ import annotations

import math

import pytest

from tui.core.logprobs import UNKNOWN_BAND, band_of, parts, percent, summary, tokens


def test_tokens_sorted_alternatives_and_bytes():
    lp = {
        "content": [
            {
                "token": "Hi",
                "logprob": math.log(0.5),
                "bytes": [72, 105],
                "top_logprobs": [
                    {"token": "Yo", "logprob": math.log(0.1)},
                    {"token": "Hi", "logprob": math.log(0.5)},
                    {"token": "Hey", "logprob": "junk"},
                    "junk",
                ],
            }
        ]
    }
    (tok,) = tokens(lp)
    assert tok.token == "Hi" and tok.prob == pytest.approx(0.5)
    assert tok.raw_bytes == (72, 105)
    assert [a.token for a in tok.top] == ["Hi", "Yo", "Hey"]
    assert tok.top[2].prob is None


@pytest.mark.parametrize(
    "entry",
    [
        {"token": "x", "logprob": 0.5},  # a probability above 1
        {"token": "x", "logprob": float("nan")},
        {"token": "x", "logprob": True},
        {"token": "x"},
    ],
)
def test_a_bad_logprob_is_unknown(entry):
    (tok,) = tokens({"content": [entry]})
    assert tok.prob is None and tok.band == UNKNOWN_BAND


def test_entries_without_a_token_are_dropped_and_junk_is_empty():
    assert tokens({"content": [{"logprob": -1}, 3, None, {"token": 5}]}) == []
    for junk in (None, [], "x", {"content": "x"}, {"content": None}):
        assert tokens(junk) == [] and parts(junk) == []
    bad_bytes = tokens({"content": [{"token": "a", "logprob": 0, "bytes": [300]}]})
    assert bad_bytes[0].raw_bytes is None and bad_bytes[0].prob == 1.0


def test_minus_infinity_is_probability_zero():
    (tok,) = tokens({"content": [{"token": "z", "logprob": float("-inf")}]})
    assert tok.prob == 0.0 and tok.band == 4 and percent(tok.prob) == "0 %"


def test_bands_and_percentages():
    assert [band_of(p) for p in (1.0, 0.9, 0.89, 0.5, 0.2, 0.05, 0.049, None)] == [
        0, 0, 1, 1, 2, 3, 4, UNKNOWN_BAND,
    ]  # fmt: skip
    assert percent(0.9996) == "99.9 %" and percent(0.0004) == "< 0.1 %"
    assert percent(0.1234) == "12.3 %" and percent(None) == "?"


def test_parts_and_summary():
    lp = {
        "content": [{"token": "a", "logprob": math.log(0.1)}, {"token": "b", "logprob": "?"}],
        "refusal": [{"token": "no", "logprob": 0}],
    }
    assert parts(lp) == ["content", "refusal"]
    s = summary(tokens(lp))
    assert (s.count, s.known, s.low) == (2, 1, 1) and s.mean_prob == pytest.approx(0.1)
