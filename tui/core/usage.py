"""Token usage and what it cost. Plain Python.

Servers report usage as ``{"prompt_tokens", "completion_tokens", "total_tokens"}`` with
optional ``prompt_tokens_details.cached_tokens`` and
``completion_tokens_details.reasoning_tokens``; some send nothing (a stream without
``stream_options.include_usage``, many local servers), and then we say so instead of
showing zeros. Prices come from ``/models`` (RedPill and OpenRouter: ``pricing.prompt``
and ``pricing.completion``, dollars per token, as strings); a cost is computed once, when
the reply ends, with the prices of that moment, and saved with it (prices change; what a
reply cost does not). Everything from a server is untrusted: a price that is not a finite
non-negative number is no price, a token count that is not a non-negative integer is no
count."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, DecimalException
from typing import Any

NO_USAGE = "no usage reported"


MAX_TOKENS = 10**12  # a count above this is junk, not usage


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TOKENS:
        return None
    return value


def _detail(usage: dict[str, Any], group: str, key: str) -> int | None:
    details = usage.get(group)
    return _count(details.get(key)) if isinstance(details, dict) else None


@dataclass(frozen=True)
class Tokens:
    """One reply's usage, read defensively. ``None`` where the server said nothing."""

    prompt: int | None = None
    completion: int | None = None
    total: int | None = None
    reasoning: int | None = None
    cached: int | None = None

    @classmethod
    def of(cls, usage: Any) -> Tokens | None:
        """The usage dict of a reply, or None when there is none (or nothing in it)."""
        if not isinstance(usage, dict):
            return None
        prompt = _count(usage.get("prompt_tokens"))
        completion = _count(usage.get("completion_tokens"))
        total = _count(usage.get("total_tokens"))
        if total is None and prompt is not None and completion is not None:
            total = prompt + completion
        tokens = cls(
            prompt,
            completion,
            total,
            _detail(usage, "completion_tokens_details", "reasoning_tokens"),
            _detail(usage, "prompt_tokens_details", "cached_tokens"),
        )
        return None if tokens == cls() else tokens

    def text(self) -> str:
        """``12 in / 30 out / 42 total · 10 reasoning · 4 cached``."""
        q = lambda v: "?" if v is None else f"{v:,}"  # noqa: E731
        parts = [f"tokens {q(self.prompt)} in / {q(self.completion)} out / {q(self.total)} total"]
        if self.reasoning:
            parts.append(f"{self.reasoning:,} reasoning")
        if self.cached:
            parts.append(f"{self.cached:,} cached")
        return " · ".join(parts)


MAX_PRICE = Decimal(1000)  # dollars per token: anything above is junk, not a price
MAX_AMOUNT = Decimal(10) ** 12  # dollars: a saved cost above this is junk


def _decimal(value: Any, cap: Decimal) -> Decimal | None:
    """A non-negative finite number up to ``cap``, or None (junk from outside)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        d = Decimal(str(value).strip())
        if not d.is_finite() or d < 0 or d > cap:  # -1 means "unknown" on some routers
            return None
        if d.adjusted() < -18:  # below a billionth of a billionth: nothing (and short)
            return Decimal(0)
        return d + 0  # (rounds to the context's precision)
    except (DecimalException, ValueError):
        return None


def _price(value: Any) -> Decimal | None:
    return _decimal(value, MAX_PRICE)


@dataclass(frozen=True)
class Price:
    """Dollars per token, as ``/models`` reports them."""

    prompt: Decimal | None
    completion: Decimal | None

    @classmethod
    def of(cls, pricing: Any) -> Price | None:
        if not isinstance(pricing, dict):
            return None
        price = cls(_price(pricing.get("prompt")), _price(pricing.get("completion")))
        return None if price.prompt is None and price.completion is None else price

    def cost(self, usage: Any) -> dict[str, Any] | None:
        """What ``usage`` cost at these prices, in dollars (strings: exact decimals), or
        None when a needed count or price is missing (or the figures are absurd)."""
        try:
            return self._cost(usage)
        except DecimalException:
            return None

    def _cost(self, usage: Any) -> dict[str, Any] | None:
        tokens = Tokens.of(usage)
        if tokens is None:
            return None
        for key in ("prompt_tokens", "completion_tokens"):
            if usage.get(key) is not None and _count(usage[key]) is None:
                return None  # a count that is junk: no cost, rather than part of one
        parts: dict[str, Decimal] = {}
        for name, count, price in (
            ("prompt", tokens.prompt, self.prompt),
            ("completion", tokens.completion, self.completion),
        ):
            if count is None:
                continue
            if price is None:
                return None
            parts[name] = price * count
        if not parts:
            return None
        total = sum(parts.values(), Decimal(0))
        return {
            "currency": "USD",
            **{k: _plain(v) for k, v in parts.items()},
            "total": _plain(total),
            "price_per_million": {
                "prompt": _plain(self.prompt * 1_000_000) if self.prompt is not None else None,
                "completion": _plain(self.completion * 1_000_000)
                if self.completion is not None
                else None,
            },
        }


def _plain(d: Decimal) -> str:
    """A decimal as plain digits (no exponent), without trailing zeros."""
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def dollars(amount: Any) -> str:
    """``$0.0123``: cents and up to two more digits below a dollar, cents above; a tiny
    amount keeps its first significant digits instead of showing $0.00."""
    d = _decimal(amount, MAX_AMOUNT)
    if d is None:
        return "$?"
    try:
        return _dollars(d)
    except DecimalException:
        return "$?"


def _dollars(d: Decimal) -> str:
    if d == 0:
        return "$0"
    if abs(d) >= 1:
        return f"${d.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"
    if abs(d) >= Decimal("0.01"):
        text = f"{d.quantize(Decimal('0.0001'), ROUND_HALF_UP)}".rstrip("0")
        return "$" + (text if len(text.partition(".")[2]) >= 2 else f"{d:.2f}")
    exp = d.adjusted()  # tiny: two significant digits
    return "$" + _plain(round(d, -exp + 1))


def per_million(price: Any) -> str | None:
    """A price in dollars per token (as /models reports it) -> ``$0.49/M``."""
    d = _price(price)
    if d is None:
        return None
    value = d * 1_000_000
    text = f"{value:.2f}" if value >= Decimal("0.01") or value == 0 else _plain(value)
    return f"${text}/M"


@dataclass
class Totals:
    """A conversation's running total over its replies."""

    prompt: int = 0
    completion: int = 0
    replies: int = 0  # replies with usage
    unreported: int = 0  # finished replies without
    cost: Decimal = Decimal(0)
    costed: int = 0  # replies with a cost

    def add(self, usage: Any, cost: Any) -> None:
        tokens = Tokens.of(usage)
        if tokens is None:
            self.unreported += 1
            return
        self.replies += 1
        self.prompt += tokens.prompt or 0
        self.completion += tokens.completion or 0
        if isinstance(cost, dict):
            amount = _decimal(cost.get("total"), MAX_AMOUNT)
            if amount is not None:
                self.cost += amount
                self.costed += 1

    def text(self) -> str:
        """``1,234 tokens · $0.0123`` (a ``+`` where some replies are not counted)."""
        if not self.replies:
            return ""
        more = "+" if self.unreported else ""
        parts = [f"{self.prompt + self.completion:,}{more} tokens"]
        if self.costed:
            parts.append(dollars(self.cost) + ("+" if self.costed < self.replies or more else ""))
        return " · ".join(parts)


def totals(turns: Any) -> Totals:
    """The running total of what ``turns`` spent: every reply, the one shown and the
    others (regenerated, other variants), each paid for; pending ones left out."""
    t = Totals()
    for turn in turns:
        if turn.pending:
            continue
        if not (turn.error is not None and not turn.choices):
            t.add(turn.usage, turn.cost)
        for reply in turn.earlier:
            if reply.get("error") is not None and not reply.get("choices"):
                continue
            t.add(reply.get("usage"), reply.get("cost"))
    return t
