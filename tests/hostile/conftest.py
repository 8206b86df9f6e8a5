"""Fixtures of the hostile tier."""

from __future__ import annotations

import pytest

from tests.hostile.server import answer, models


@pytest.fixture
def hostile_server(loopback):
    loopback.route("/chat/completions", answer)
    loopback.route("/models", models)
    return loopback
