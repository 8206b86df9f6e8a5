"""Huge replies (issue 13): figures, never assertions.

    python -m tests.benchmarks.huge_bench [--sizes 200000,5000000] [--delta 400]

``bigdoc``: a Markdown reply of each size (mostly paragraphs, a heading and a list now and
then), streamed by a loopback server as fast as it can. Prints, per size: time from send to
the final render (the turn over and the screen idle), peak RSS of the process, and the key
-> composer latency (median, p99) of keys typed while the reply streams, measured as
``bench input`` does. Run it on main's code with ``PYTHONPATH=/work/main`` for "before".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.loopback import LoopbackServer, Reply, chunk, sse

from .bench import SIZE, _app, _pct, _table, key_latency

TIMEOUT = 600.0  # seconds a run may take before it is reported as not finished


def bigdoc(size: int) -> str:
    parts: list[str] = []
    total = i = 0
    while total < size:
        words = " ".join(f"word{i}.{k} **bold** `code`" for k in range(20))
        part = f"Para {i}: {words}.\n\n"
        if i % 10 == 0:
            part = f"## Section {i}\n\n- item {i}.1 with *stress*\n- item {i}.2\n\n" + part
        parts.append(part)
        total += len(part)
        i += 1
    return "".join(parts)


def reply(text: str, delta: int) -> Reply:
    events = [chunk(0, "", role="assistant")]
    events += [chunk(0, text[i : i + delta]) for i in range(0, len(text), delta)]
    events += [chunk(0, finish="stop"), "[DONE]"]
    return Reply(headers=[("Content-Type", "text/event-stream")], body=sse(events))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # (kB on Linux)


async def _run(base_url: str, tmp: Path) -> dict[str, float]:

    app = _app(base_url, tmp)
    lat: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        chat = app.chat
        composer = chat.query_one("#composer")
        t0 = time.perf_counter()
        await chat.send_text("go")
        await asyncio.sleep(0.05)
        while chat.active_turn is not None and time.perf_counter() - t0 < TIMEOUT:
            lat.append(await key_latency(composer, give_up=5))
            await asyncio.sleep(0.01)
        done = chat.active_turn is None
        await pilot.pause()
        await app.wait_for_refresh()
        total = time.perf_counter() - t0
        if done:
            await app.workers.wait_for_complete()
    return {
        "final_s": total if done else float("nan"),
        "keys": len(lat),
        "median_ms": statistics.median(lat) * 1000 if lat else float("nan"),
        "p99_ms": _pct(lat, 99) * 1000,
    }


def one(size: int, delta: int) -> dict[str, float]:
    with LoopbackServer() as srv, tempfile.TemporaryDirectory() as tmp:
        srv.enqueue(reply(bigdoc(size), delta))
        r = asyncio.run(_run(srv.base_url, Path(tmp)))
    return {**r, "rss_mb": peak_rss_mb()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="200000,5000000")
    ap.add_argument("--delta", type=int, default=400, help="characters per delta")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # (a run in its own process)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, args.delta)))
        return 0
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        # Each size in a process of its own, so peak RSS is that run's.
        cmd = [sys.executable, "-m", "tests.benchmarks.huge_bench", "--one", str(size)]
        out = subprocess.run([*cmd, "--delta", str(args.delta)], capture_output=True, text=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(
            [
                f"{size // 1000} KB",
                f"{r['final_s']:.2f}",
                f"{r['rss_mb']:.0f}",
                r["keys"],
                f"{r['median_ms']:.1f}",
                f"{r['p99_ms']:.1f}",
            ]
        )
    _table(
        "bigdoc: a Markdown reply at full speed (key -> composer while it streams)",
        ["size", "send->final s", "peak RSS MB", "keys", "key median ms", "key p99 ms"],
        rows,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
