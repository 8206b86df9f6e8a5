"""What a :class:`~tui.core.session.ChatSession` tells its listeners, in order: typed
events, one class each. The UI renders from them; persistence saves on them; ``ask``
prints from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .turn import Turn


@dataclass(frozen=True)
class TurnStarted:
    """A request is about to go: ``turn`` is the conversation's last turn, pending."""

    turn: Turn


@dataclass(frozen=True)
class ChoicesChanged:
    """Something arrived for the pending turn (per update of the accumulator)."""

    turn: Turn


@dataclass(frozen=True)
class Checkpoint:
    """Mid-stream, every few seconds: time to save what has arrived."""

    turn: Turn


@dataclass(frozen=True)
class TurnFinished:
    """The reply is over (finished, failed or cancelled) and frozen into records.
    ``exchange`` is the raw HTTP exchange (None when cancelled before the reply)."""

    turn: Turn
    exchange: Any = None


@dataclass(frozen=True)
class Failed:
    """The reply ended with an error (after :class:`TurnFinished`)."""

    turn: Turn
    error: dict[str, Any]
    overrides: dict[str, Any] | None = None  # the variant that failed, when one did


@dataclass(frozen=True)
class TurnChanged:
    """A finished turn changed (its verification, the reply shown): time to save."""

    turn: Turn


Event = TurnStarted | ChoicesChanged | Checkpoint | TurnFinished | Failed | TurnChanged
