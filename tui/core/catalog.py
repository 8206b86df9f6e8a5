"""The endpoint's model list, read once (``GET /models``), and what it says of a model:
its supported parameters and its prices (the cost of a reply). Plain Python."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .turn import Turn
from .usage import Price


class Catalog:
    def __init__(self, fetch: Callable[[], Awaitable[list[Any]]]) -> None:
        self._fetch = fetch
        self._models: list[Any] | None = None
        self._failed = False  # the list could not be read: no price, no retry

    @property
    def known(self) -> list[Any] | None:
        return self._models

    async def models(self) -> list[Any]:
        """The endpoint's models (GET /models once; raises what the client raises)."""
        if self._models is None:
            self._models = await self._fetch()
        return self._models

    def forget(self) -> None:
        self._models = None
        self._failed = False

    def info(self, model: str | None) -> Any:
        return next((m for m in self._models or [] if m.id == model), None)

    def price_of(self, turn: Turn) -> Price | None:
        """The prices of the model ``turn`` asked for (or the one that answered)."""
        info = self.info((turn.params or {}).get("model")) or self.info(turn.model)
        return Price.of(info.pricing) if info is not None else None

    def priced(self, turn: Turn) -> bool:
        """Give ``turn`` its cost from the known prices; True when it has one now."""
        if turn.cost is None and turn.usage:
            price = self.price_of(turn)
            if price is not None:
                turn.cost = price.cost(turn.usage)
        return turn.cost is not None

    async def price(self, turn: Turn) -> bool:
        """Give a finished reply its cost, reading the model list (once) when it is not
        known yet; a list that cannot be read means no cost, quietly. True when the turn
        got its cost here."""
        if turn.cost is not None or not turn.usage or turn.pending:
            return False
        if self._models is None and not self._failed:
            try:
                await self.models()
            except Exception:  # an endpoint without /models: no price, and no retry
                self._failed = True
        return self.priced(turn)
