"""The chat screen's end-to-end encryption switch (sidebar, palette): turning it on first
verifies the gateway's attestation and finds an E2EE v2 key in it; when that fails the
switch stays off and says why. The session encrypts; this only asks and shows."""

from __future__ import annotations

from typing import Any

from textual import work

from ...api.e2ee import E2EEError
from ...core.sanitize import neutralize
from ...core.session import ChatSession
from ..widgets.sidebar import ParamSidebar


class E2EEActions:
    """Mixin for the chat screen."""

    session: ChatSession

    def on_param_sidebar_toggle_e2ee(self) -> None:
        self.action_toggle_e2ee()

    def action_toggle_e2ee(self) -> None:
        if self.session.conversation.e2ee:
            self.session.set_e2ee(False)
            self.show_e2ee()
            self.notify("End-to-end encryption off: the next requests go in clear (over TLS).")  # type: ignore[attr-defined]
            return
        screen: Any = self
        if screen.endpoint.demo:
            self.notify(  # type: ignore[attr-defined]
                "The offline demo has no enclave to encrypt to: end-to-end encryption needs "
                "a RedPill gateway that attests.",
                severity="warning",
            )
            return
        self.notify("Verifying the gateway's attestation before encrypting to it…")  # type: ignore[attr-defined]
        self.turn_e2ee_on()

    @work(group="e2ee", exclusive=True, exit_on_error=False)
    async def turn_e2ee_on(self) -> None:
        try:
            key = await self.session.e2ee_offer()
        except E2EEError as exc:
            self.notify(  # type: ignore[attr-defined]
                neutralize(f"End-to-end encryption stays off: {exc}")[:400],
                severity="error",
                timeout=10,
            )
            return
        self.session.set_e2ee(True)
        self.show_e2ee()
        self.notify(  # type: ignore[attr-defined]
            neutralize(
                f"End-to-end encryption on: message content is encrypted to the attested "
                f"enclave's key {key}, replies decrypted here."
            )[:400]
        )

    def show_e2ee(self) -> None:
        screen: Any = self
        screen.query_one(ParamSidebar).show_e2ee(self.session.conversation.e2ee)
        screen.update_topbar()
