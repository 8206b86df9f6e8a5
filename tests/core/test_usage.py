"""Usage and cost (tui/core/usage.py): what a server sends is read defensively, cost
is exact to the digit, and the running total counts what is shown."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tui.core.turn import Turn
from tui.core.usage import NO_USAGE, Price, Tokens, dollars, per_million, totals

REDPILL_PRICING = {"prompt": "0.00000028", "completion": "0.00000114"}


def test_tokens_read_details_and_fill_a_missing_total():
    usage = {
        "prompt_tokens": 1200,
        "completion_tokens": 800,
        "prompt_tokens_details": {"cached_tokens": 1024},
        "completion_tokens_details": {"reasoning_tokens": 512},
    }
    tokens = Tokens.of(usage)
    assert tokens == Tokens(1200, 800, 2000, 512, 1024)
    assert tokens.text() == "tokens 1,200 in / 800 out / 2,000 total · 512 reasoning · 1,024 cached"


@pytest.mark.parametrize(
    "usage",
    [None, {}, [], "12", {"prompt_tokens": -1}, {"prompt_tokens": True}, {"x": 1}],
)
def test_no_usage_or_junk_is_no_usage_not_zeros(usage):
    assert Tokens.of(usage) is None
    assert NO_USAGE == "no usage reported"


def test_a_junk_count_is_a_question_mark():
    assert Tokens.of({"prompt_tokens": 5, "completion_tokens": "7"}).text() == (
        "tokens 5 in / ? out / ? total"
    )


def test_cost_at_redpill_prices_is_exact():
    price = Price.of(REDPILL_PRICING)
    cost = price.cost({"prompt_tokens": 25_000, "completion_tokens": 40_000})
    # 25,000 x $0.28/M = $0.007; 40,000 x $1.14/M = $0.0456
    assert cost["prompt"] == "0.007" and cost["completion"] == "0.0456"
    assert cost["total"] == "0.0526"
    assert cost["price_per_million"] == {"prompt": "0.28", "completion": "1.14"}
    assert dollars(cost["total"]) == "$0.0526"


@pytest.mark.parametrize(
    "pricing",
    [None, "cheap", {}, {"prompt": "-1", "completion": "-1"}, {"prompt": "nan"}, {"prompt": True}],
)
def test_unknown_prices_give_no_price(pricing):
    assert Price.of(pricing) is None


def test_a_missing_price_for_a_counted_side_gives_no_cost():
    assert (
        Price.of({"prompt": "0.000001"}).cost({"prompt_tokens": 1, "completion_tokens": 1}) is None
    )
    assert Price.of({"prompt": "0.000001"}).cost({"prompt_tokens": 3}) == {
        "currency": "USD",
        "prompt": "0.000003",
        "total": "0.000003",
        "price_per_million": {"prompt": "1", "completion": None},
    }
    assert Price.of(REDPILL_PRICING).cost(None) is None


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("0", "$0"),
        ("0.06", "$0.06"),
        ("0.1", "$0.10"),
        ("0.0526", "$0.0526"),
        ("0.052649", "$0.0526"),
        ("0.000042", "$0.000042"),
        ("0.0000421", "$0.000042"),
        ("12.345", "$12.35"),
        ("1234.5", "$1,234.50"),
        ("junk", "$?"),
        ("inf", "$?"),
    ],
)
def test_dollars(amount, shown):
    assert dollars(amount) == shown


def test_prices_per_million():
    assert per_million("0.00000049") == "$0.49/M"
    assert per_million("0.000000001") == "$0.001/M"
    assert per_million("-1") is None and per_million(None) is None


def _turn(usage, cost=None, **kw):
    t = Turn(input=[{"role": "user", "content": "q"}], usage=usage, cost=cost, **kw)
    return t


def test_totals_count_shown_replies_and_flag_unreported_ones():
    price = Price.of(REDPILL_PRICING)
    u1 = {"prompt_tokens": 25_000, "completion_tokens": 40_000}
    u2 = {"prompt_tokens": 1000, "completion_tokens": 1000}
    turns = [_turn(u1, price.cost(u1)), _turn(u2, price.cost(u2))]
    t = totals(turns)
    assert (t.prompt, t.completion, t.cost) == (26_000, 41_000, Decimal("0.05402"))
    assert t.text() == "67,000 tokens · $0.054"
    turns.append(_turn(None))
    assert totals(turns).text() == "67,000+ tokens · $0.054+"
    assert totals([_turn(None)]).text() == ""


def test_a_saved_cost_survives_a_round_trip():
    t = _turn({"prompt_tokens": 1}, {"currency": "USD", "total": "0.01"})
    assert Turn.from_dict(t.to_dict()).cost == {"currency": "USD", "total": "0.01"}


def test_totals_count_every_reply_paid_for():
    price = Price.of(REDPILL_PRICING)
    u = {"prompt_tokens": 1000, "completion_tokens": 1000}
    turn = _turn(u, price.cost(u))
    turn.earlier = [
        {"usage": u, "cost": price.cost(u), "overrides": {"temperature": 1}},
        {"usage": None, "error": {"message": "x"}, "choices": []},  # failed: nothing spent
    ]
    assert totals([turn]).text() == "4,000 tokens · $0.0028"
