"""Token probabilities of a reply, read from its ``logprobs`` (OpenAI shape:
``{"content": [{"token", "logprob", "bytes", "top_logprobs": [...]}], "refusal": [...]}``),
and the bands the logprobs view colours them by. Plain Python.

A server's logprobs are untrusted: an entry that is not a dict, a token that is not a
string, a logprob that is not a finite number <= 0 is kept as a token of unknown
probability (or dropped when it has no token), never an exception. llama-server sends
the same shape (its probabilities are taken before sampling)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

# (lowest probability of the band, its name); the first band a token reaches is its own.
BANDS: tuple[tuple[float, str], ...] = (
    (0.9, "≥ 90 %"),
    (0.5, "50–90 %"),
    (0.2, "20–50 %"),
    (0.05, "5–20 %"),
    (0.0, "< 5 %"),
)
UNKNOWN_BAND = len(BANDS)  # a token without a usable logprob


def band_of(prob: float | None) -> int:
    """The index in :data:`BANDS` of a probability (:data:`UNKNOWN_BAND` for None)."""
    if prob is None:
        return UNKNOWN_BAND
    return next(i for i, (lo, _) in enumerate(BANDS) if prob >= lo)


def _logprob(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        value = float(value)
    except OverflowError:  # an integer too big for a float: not a log probability
        return None
    if math.isnan(value) or value > 1e-9:
        return None
    return max(value, -1e9)  # -inf: probability 0


@dataclass(frozen=True)
class Alternative:
    token: str
    logprob: float | None

    @property
    def prob(self) -> float | None:
        return None if self.logprob is None else math.exp(self.logprob)


@dataclass(frozen=True)
class TokenProb:
    token: str
    logprob: float | None
    top: tuple[Alternative, ...] = field(default=())
    raw_bytes: tuple[int, ...] | None = None

    @property
    def prob(self) -> float | None:
        return None if self.logprob is None else math.exp(self.logprob)

    @property
    def band(self) -> int:
        return band_of(self.prob)


def _token(entry: Any) -> TokenProb | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
        return None
    top: list[Alternative] = []
    alts = entry.get("top_logprobs")
    for alt in alts if isinstance(alts, list) else []:
        if isinstance(alt, dict) and isinstance(alt.get("token"), str):
            top.append(Alternative(alt["token"], _logprob(alt.get("logprob"))))
    top.sort(key=lambda a: -math.inf if a.logprob is None else a.logprob, reverse=True)
    raw = entry.get("bytes")
    raw_bytes = (
        tuple(raw)
        if isinstance(raw, list) and all(isinstance(b, int) and 0 <= b < 256 for b in raw)
        else None
    )
    return TokenProb(entry["token"], _logprob(entry.get("logprob")), tuple(top), raw_bytes)


def tokens(logprobs: Any, part: str = "content") -> list[TokenProb]:
    """The tokens of one part (``content`` or ``refusal``) of a choice's logprobs."""
    if not isinstance(logprobs, dict):
        return []
    entries = logprobs.get(part)
    if not isinstance(entries, list):
        return []
    return [t for t in map(_token, entries) if t is not None]


def parts(logprobs: Any) -> list[str]:
    """The parts that have tokens, content first."""
    return [p for p in ("content", "refusal") if tokens(logprobs, p)]


def percent(prob: float | None) -> str:
    if prob is None:
        return "?"
    if prob >= 0.9995:
        return "100 %" if prob >= 1 else "99.9 %"
    if prob < 0.0005:
        return "< 0.1 %" if prob > 0 else "0 %"
    return f"{prob * 100:.1f} %"


@dataclass(frozen=True)
class Summary:
    count: int
    known: int
    mean_prob: float | None  # the mean of the known probabilities
    low: int  # tokens under 20 %


def summary(toks: list[TokenProb]) -> Summary:
    probs = [p for t in toks if (p := t.prob) is not None]
    return Summary(
        len(toks),
        len(probs),
        sum(probs) / len(probs) if probs else None,
        sum(1 for p in probs if p < 0.2),
    )
