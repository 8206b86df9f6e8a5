"""What a chat session does about trust (mixed into ChatSession): verifying a finished
reply (its ACI receipt, else its legacy signature) and, for a conversation with
end-to-end encryption on, the key each request is encrypted to: only one published by an
attestation report that verified here. Plain Python."""

from __future__ import annotations

from typing import Any

from ..api.e2ee import E2EEError, E2EERequest, pick_key
from ..api.errors import APIError
from .events import TurnChanged
from .turn import Turn


class TrustActions:
    auto_verify: bool
    attestor: Any
    client: Any
    conversation: Any

    def emit(self, event: Any) -> None:  # (ChatSession's)
        raise NotImplementedError

    def _attestor(self) -> Any:
        if self.attestor is None:
            from .receipts import default_attestor

            self.attestor = default_attestor(self.client)
        return self.attestor

    def should_verify(self, turn: Turn) -> bool:
        return self.auto_verify and bool(
            (turn.completion_id or turn.receipt_id) and turn.response_complete
        )

    async def verify(
        self, turn: Turn, model: str | None = None, *, complete: bool | None = None
    ) -> Any:
        """Check the reply (its receipt, else its signature); the result is stored on the
        turn (and saved)."""
        from .receipts import verify_turn

        result = await verify_turn(
            self.client,
            self._attestor(),
            turn,
            # the model we asked for: the endpoint routes by it (a reply may name a path)
            model
            or (turn.params.get("model") if isinstance(turn.params, dict) else None)
            or turn.model
            or "",
            turn.response_complete if complete is None else complete,
        )
        if turn.e2ee and result.verdict == "confidential":
            result.detail += " · end-to-end encrypted"
        turn.verification = result.to_dict()
        self.emit(TurnChanged(self.conversation.keep_verification(turn)))
        return result

    async def e2ee_request(self, request: Any) -> E2EERequest:
        """The encryption of one request: to an E2EE v2 key of the gateway's verified
        report (fetched, checked, quote verified). :class:`E2EEError` says why not; then
        nothing is sent, and never in clear."""
        attestor = self._attestor()
        try:
            report = await attestor.report()
        except APIError as exc:
            raise E2EEError(
                f"the gateway's attestation report could not be fetched ({exc})"
            ) from None
        except Exception as exc:
            raise E2EEError(f"the gateway's attestation report could not be read ({exc})") from None
        if attestor.cached is not report:
            bad = report.failure() or next(
                (c for c in report.checks if c.name == "TDX quote" and c.result != "pass"), None
            )
            why = f"{bad.name}: {bad.detail}" if bad is not None else "not verified"
            raise E2EEError(f"the gateway's attestation did not verify ({why})")
        if "2" not in report.e2ee_versions:
            raise E2EEError("the gateway does not offer end-to-end encryption v2")
        picked = pick_key(report.e2ee_keys)
        if picked is None:
            raise E2EEError("the attested keyset has no E2EE v2 key")
        algo, key = picked
        return E2EERequest(algo=algo, service_key=key, model=request.model)

    async def e2ee_offer(self) -> str:
        """What turning end-to-end encryption on would encrypt to (the key's id and
        suite); :class:`E2EEError` says why it cannot be turned on."""
        from types import SimpleNamespace

        ctx = await self.e2ee_request(SimpleNamespace(model=self.conversation.model or "-"))
        key_id = next(
            (k for k, (a, p) in self._attestor().cached.e2ee_keys.items() if p == ctx.service_key),
            "?",
        )
        return f"{key_id} ({ctx.algo})"

    def set_e2ee(self, on: bool) -> None:
        self.conversation.e2ee = bool(on)
        self.conversation.touch()
