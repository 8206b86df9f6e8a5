"""Named parameter presets (model, system prompt, request parameters), one JSON file."""

from __future__ import annotations

import copy
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .store import atomic_write


@dataclass
class Presets:
    path: Path
    presets: dict[str, dict[str, Any]] = field(default_factory=dict)
    default: str | None = None
    problem: str | None = None

    @classmethod
    def load(cls, path: Path) -> Presets:
        p = cls(path)
        if not path.exists():
            return p
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            p.presets = {
                str(k): dict(v)
                for k, v in (data.get("presets") or {}).items()
                if isinstance(v, dict)
            }
            default = data.get("default")
            p.default = default if default in p.presets else None
        except OSError as exc:
            p.problem = f"{path}: could not read presets ({exc.strerror}); starting with none"
        except (ValueError, AttributeError, TypeError) as exc:
            # Keep the unreadable file: the next save must not overwrite it.
            p.presets, p.default = {}, None
            aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            try:
                os.replace(path, aside)
                kept = f"kept as {aside.name}"
            except OSError:
                kept = "left in place"
            p.problem = f"{path}: could not read presets ({exc}); {kept}; starting with none"
        return p

    def save(self) -> None:
        data = {"version": 1, "default": self.default, "presets": self.presets}
        atomic_write(self.path, json.dumps(data, indent=1, ensure_ascii=False).encode())

    def put(self, name: str, model: str, system: str, params: dict[str, Any]) -> None:
        self.presets[name] = {"model": model, "system": system, "params": copy.deepcopy(params)}
        self.save()

    def set_default(self, name: str | None) -> None:
        self.default = name if name in self.presets else None
        self.save()

    def get(self, name: str) -> dict[str, Any] | None:
        """A copy: changing what was applied never changes the preset."""
        preset = self.presets.get(name)
        return copy.deepcopy(preset) if preset is not None else None
