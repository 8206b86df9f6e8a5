"""The end of a paced reply in the real app, in a pty at 120x40, as a person meets it:
the app stays up and the reply's last words reach the screen. (Before the fix the last
frame raced the end of the turn: the view froze part-way in most runs, or the app quit.)"""

from __future__ import annotations

import json
import random
from pathlib import Path

from tests.app.test_turn_end import cut_randomly, markdownish, paced
from tests.hostile.harness import Pty, app_argv, dirs_env


def test_paced_replies_end_alive_and_fully_drawn(loopback, tmp_path):
    rng = random.Random(1919)
    plans = [(50, 3.0), (100, 2.0), (20, 3.0), (100, 2.0), (50, 2.0)]  # deltas/s, seconds
    for r, (rate, secs) in enumerate(plans):
        n = int(rate * secs)
        text = markdownish(rng, n * 8) + f"\n\nzzend{r}"
        loopback.enqueue(paced(cut_randomly(rng, text, n), 1 / rate))
    env = dirs_env(tmp_path)
    app = Pty(app_argv("--base-url", loopback.base_url, "-m", "m"), env=env, cols=120, rows=40)
    try:
        assert app.wait_for("essage", 30), app.text()[-2000:]
        app.read_for(0.5)
        for r in range(len(plans)):
            start = len(app.out)
            app.type(f"round {r}\r")
            assert app.wait_for(f"zzend{r}", 30, since=start), f"round {r}: the end never drawn"
            app.read_for(0.5)
            assert app.alive(), f"round {r}: the app quit:\n{app.text(start)[-2000:]}"
        app.type("\x11")  # ctrl+q
        assert app.wait_exit(15) == 0
    finally:
        app.close()
    [saved] = (Path(env["REDPILL_TUI_DATA"]) / "conversations").glob("*.json")
    turns = json.loads(saved.read_text())["turns"]
    assert len(turns) == len(plans)
    assert not any(t.get("partial") for t in turns)  # format 2 leaves out false values
    assert all(t["choices"][0]["content"].endswith(f"zzend{i}") for i, t in enumerate(turns))
