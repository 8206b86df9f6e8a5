"""The terminal driver: Textual's own, with each frame rewritten to the cells that
changed (see term_diff.py). ``REDPILL_TUI_WHOLE_FRAMES=1`` turns the rewriting off (to
compare, or should a terminal ever show a frame wrong with it)."""

from __future__ import annotations

import os

from textual.drivers.linux_driver import LinuxDriver

from .term_diff import ScreenDiff


def wanted() -> bool:
    return os.environ.get("REDPILL_TUI_WHOLE_FRAMES", "") in ("", "0")


class DiffingDriver(LinuxDriver):
    """Writes only what changed on the terminal since the last frame."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._screen = ScreenDiff()

    def write(self, data: str) -> None:
        super().write(self._screen.filter(data))

    def start_application_mode(self) -> None:
        self._screen.forget()  # (started, or back from a suspend: the screen is not ours)
        super().start_application_mode()

    def stop_application_mode(self) -> None:
        super().stop_application_mode()
        self._screen.forget()
