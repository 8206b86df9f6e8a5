"""The first frame does not wait on what it does not show (issue 13): the HTTP side
(httpx, ~0.1 s) and the reply's view (Textual's Markdown, markdown-it, Pygments, ~0.1 s)
are loaded by the warm-up a second after start-up, or by the first send, not before the
composer is focused. Checked in a fresh interpreter (this one has them all loaded)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SNIPPET = r"""
import asyncio, json, sys, tempfile
from pathlib import Path
from tests.benchmarks.bench import _app

async def main(tmp):
    app = _app("http://127.0.0.1:9/v1", Path(tmp))
    async with app.run_test(size=(120, 40)) as pilot:
        while not (app.focused is not None and app.focused.id == "composer"):
            await pilot.pause(0.01)
        loaded = [m for m in ("httpx", "markdown_it", "pygments", "textual.widgets._markdown")
                  if m in sys.modules]
        await app.start_warm_up().wait()
        after = [m for m in ("httpx", "markdown_it") if m in sys.modules]
        print(json.dumps({"at_first_frame": loaded, "after_warm_up": after}))

with tempfile.TemporaryDirectory() as tmp:
    asyncio.run(main(tmp))
"""


def test_the_first_frame_loads_neither_http_nor_markdown() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SNIPPET],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["at_first_frame"] == [], found
    assert found["after_warm_up"] == ["httpx", "markdown_it"], found
