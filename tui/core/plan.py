"""A send, prepared (:class:`Plan`), and why one cannot go (:class:`Blocked`): what
:meth:`tui.core.session.ChatSession.prepare` gives back. Plain Python."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .sendcheck import Doubt
from .turn import Turn

if TYPE_CHECKING:
    from ..api.schema import ChatRequest


@dataclass(frozen=True)
class Blocked:
    """Why a send cannot go. ``param`` names the parameter when one is invalid."""

    title: str
    message: str
    param: str | None = None
    reason: str = ""  # an invalid parameter's message, without its name


@dataclass(frozen=True)
class Plan:
    """A send, prepared: the request when every check passed, else what blocks it or
    the doubt to confirm first."""

    input: list[dict[str, Any]]
    upto: int | None = None  # resend from this turn (the later ones are dropped)
    again: Turn | None = None  # regenerate: the replies of this turn are kept
    confirmed: frozenset[str] = frozenset()
    request: ChatRequest | None = None
    blocked: Blocked | None = None
    doubt: Doubt | None = None
    # Sent as variants (tui/core/variants.py): the overrides of each, and each one's
    # request (``request`` is the first's).
    overrides: tuple[dict[str, Any], ...] = ()
    variants: tuple[ChatRequest, ...] = ()

    @property
    def ready(self) -> bool:
        return self.request is not None and self.blocked is None and self.doubt is None


@dataclass
class Confirmations:
    """Doubts the user said yes to, kept until they no longer apply."""

    json: bool = False  # until the parameters change
    cut: set[str] = field(default_factory=set)  # interrupted turns let go as history

    def settled(self, doubt: Doubt, confirmed: frozenset[str], cut_turns: list[Turn]) -> bool:
        """Whether ``doubt`` was answered already (``cut_turns``: the interrupted turns
        the request would send as history)."""
        if doubt.kind in confirmed or (doubt.kind == "json" and self.json):
            return True
        return doubt.kind == "cut" and all(t.id in self.cut for t in cut_turns)
