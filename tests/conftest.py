"""Shared fixtures. Every test runs with its own config and data dirs and no API key in
the environment, so nothing on the developer's machine leaks in or is written to."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("REDPILL_TUI_CONFIG", str(tmp_path / "config" / "config.toml"))
    monkeypatch.setenv("REDPILL_TUI_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    for var in ("REDPILL_API_KEY", "TEST_KEY", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def loopback():
    """A real HTTP server on 127.0.0.1, answering with the replies a test queues."""
    from tests.loopback import LoopbackServer

    with LoopbackServer() as server:
        yield server


@pytest.fixture
def valid_bodies(request):
    """Opt in: after the test, every chat request body the loopback server received
    validates against CreateChatCompletionRequest."""
    server = request.getfixturevalue("loopback") if "loopback" in request.fixturenames else None
    yield
    if server is None:
        return
    from tests.refdata import request_validator

    check = request_validator()
    for sent in server.requests:
        if sent.path.partition("?")[0].endswith("/chat/completions"):
            check(sent.json())
