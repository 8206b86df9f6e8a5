"""The app as ``python -m tui`` runs it, for tests/app/test_term_diff_pty.py: each frame
Textual hands the driver, before the driver rewrites it to the cells that changed, is
appended to the file named by $TAP (one JSON string a line)."""

from __future__ import annotations

import json
import os
import sys

from tui.app.driver import DiffingDriver
from tui.cli import main


def tap(path: str) -> None:
    out = open(path, "a", encoding="utf-8")  # noqa: SIM115 (open while the app runs)
    write = DiffingDriver.write

    def tapped(self: DiffingDriver, data: str) -> None:
        out.write(json.dumps(data) + "\n")
        out.flush()
        write(self, data)

    DiffingDriver.write = tapped  # type: ignore[method-assign]


if __name__ == "__main__":
    tap(os.environ["TAP"])
    sys.argv[0] = "redpill-tui"
    sys.exit(main())
