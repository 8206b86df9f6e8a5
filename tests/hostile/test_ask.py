"""`redpill-tui ask` and `models` on a terminal, against the hostile server: every field
printed inert, and the exit status says what happened."""

from __future__ import annotations

import pytest

from tests.hostile.harness import Pty, app_argv, dirs_env, leaks
from tests.hostile.server import SCENARIOS

EXPECTED_EXIT = {"http-error": 1, "stream-error": 1}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_ask_prints_every_hostile_field_inert(hostile_server, tmp_path, name):
    argv = app_argv("ask", "--base-url", hostile_server.base_url, "-m", "m", f"field {name}")
    if name.startswith("finish-n2"):
        argv += ["-p", "n=2"]
    proc = Pty(argv, env=dirs_env(tmp_path))
    try:
        code = proc.wait_exit(30)
    finally:
        proc.close()
    assert code == EXPECTED_EXIT.get(name, 0), proc.text()[-2000:]
    assert not leaks(bytes(proc.out)), leaks(bytes(proc.out))
    if name in ("content", "finish-n2", "http-error", "non-stream", "refusal"):
        assert "␛]52" in proc.text(), proc.text()[-2000:]  # printed, made visible


def test_models_lists_hostile_ids_inert(hostile_server, tmp_path):
    proc = Pty(app_argv("models", "--base-url", hostile_server.base_url), env=dirs_env(tmp_path))
    try:
        assert proc.wait_exit(30) == 0, proc.text()
    finally:
        proc.close()
    assert "plain-model" in proc.text()
    assert not leaks(bytes(proc.out)), leaks(bytes(proc.out))
