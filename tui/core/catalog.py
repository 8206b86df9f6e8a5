"""The endpoint's model list, read once (``GET /models``), and what it says of a model:
its supported parameters and its prices (the cost of a reply). Plain Python."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .events import TurnChanged
from .paramspec import EXTRA_SPEC_BY_NAME
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

    def cost(self, params: Any, model: Any, usage: Any) -> dict[str, Any] | None:
        """What ``usage`` cost with the prices of the model asked for (``params``'s), or
        of the one that answered; None when not known."""
        asked = params.get("model") if isinstance(params, dict) else None
        info = self.info(asked) or self.info(model)
        price = Price.of(info.pricing) if info is not None else None
        return price.cost(usage) if price is not None and usage else None

    def priced(self, turn: Turn) -> bool:
        """Give ``turn`` (and its other variants' replies) their cost from the known
        prices; True when something got a cost."""
        changed = False
        if turn.cost is None and turn.usage:
            turn.cost = self.cost(turn.params, turn.model, turn.usage)
            changed = turn.cost is not None
        replies = []
        for reply in turn.earlier:
            if reply.get("overrides") is not None and reply.get("cost") is None:
                cost = self.cost(reply.get("params"), reply.get("model"), reply.get("usage"))
                if cost is not None:
                    reply = {**reply, "cost": cost}
                    changed = True
            replies.append(reply)
        if changed:
            turn.earlier = replies  # (assigned: the saved form is made again)
        return changed

    @staticmethod
    def _unpriced(turn: Turn) -> bool:
        """A reply of ``turn`` (the shown one, or another variant) has usage and no cost."""
        replies = [{"usage": turn.usage, "cost": turn.cost, "overrides": {}}, *turn.earlier]
        return any(
            r.get("usage") and r.get("cost") is None and r.get("overrides") is not None
            for r in replies
        )

    async def price(self, turn: Turn) -> bool:
        """Give a finished reply its cost, reading the model list (once) when it is not
        known yet; a list that cannot be read means no cost, quietly. True when the turn
        got a cost here."""
        if turn.pending or not self._unpriced(turn):
            return False
        if self._models is None and not self._failed:
            try:
                await self.models()
            except Exception:  # an endpoint without /models: no price, and no retry
                self._failed = True
        return self.priced(turn)


def _llama_like(model: Any) -> bool:
    """A /models entry served by llama.cpp (owned_by "llamacpp") or vLLM ("vllm")."""
    return str(getattr(model, "owned_by", "") or "").lower() in ("llamacpp", "vllm")


class ModelList:
    """What a chat session offers of its catalog (mixed into ChatSession): the model
    list, what the selected model supports, and a finished reply's cost."""

    catalog: Catalog
    conversation: Any
    params: Any

    def emit(self, event: Any) -> None:  # (ChatSession's)
        raise NotImplementedError

    async def models(self) -> list[Any]:
        """The endpoint's models (GET /models once; raises what the client raises)."""
        return await self.catalog.models()

    def forget_models(self) -> None:
        self.catalog.forget()

    def supported_parameters(self) -> list[str] | None:
        """What the selected model lists as supported (None when not known)."""
        info = self.catalog.info(self.conversation.model)
        return info.supported_parameters if info else None

    def offers_server_extras(self) -> bool:
        """Whether the sidebar offers fields for top_k, min_p and repetition_penalty: the
        selected model lists one as supported, the endpoint's models say llama.cpp or
        vLLM, a reply came with llama.cpp's timings, or the extra body sets one."""
        names = set(EXTRA_SPEC_BY_NAME)
        if names & set(self.supported_parameters() or ()):
            return True
        if any(_llama_like(m) for m in self.catalog.known or ()):
            return True
        if names & set(self.params.extra):
            return True
        return any(
            (t.timings or {}).get("server_tokens_per_s") for t in self.conversation.turns[-20:]
        )

    async def price(self, turn: Turn) -> bool:
        """Give a finished reply its cost (the model list read once when not known);
        listeners hear :class:`TurnChanged` when it got one."""
        if await self.catalog.price(turn):
            self.emit(TurnChanged(turn))
            return True
        return False
