"""What the app remembers between runs that is not configuration (the theme last picked):
a small JSON object in the data folder. A missing or damaged file is an empty state; a
write that fails is dropped (it is a convenience, never worth an error)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from .store import atomic_write


def _read(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def remembered(path: Path, key: str) -> Any:
    """The value kept under ``key``, or None."""
    return _read(path).get(key)


def remember(path: Path, key: str, value: Any) -> None:
    """Keep ``value`` under ``key``, the other keys as they were."""
    state = _read(path)
    state[key] = value
    with contextlib.suppress(OSError):
        atomic_write(path, json.dumps(state).encode())
