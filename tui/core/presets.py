"""Named parameter presets (model, system prompt, request parameters), one JSON file."""

from __future__ import annotations

import json
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
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            p.problem = f"{path}: could not read presets ({exc}); starting with none"
        return p

    def save(self) -> None:
        data = {"version": 1, "default": self.default, "presets": self.presets}
        atomic_write(self.path, json.dumps(data, indent=1, ensure_ascii=False).encode())

    def put(self, name: str, model: str, system: str, params: dict[str, Any]) -> None:
        self.presets[name] = {"model": model, "system": system, "params": dict(params)}
        self.save()

    def set_default(self, name: str | None) -> None:
        self.default = name if name in self.presets else None
        self.save()

    def get(self, name: str) -> dict[str, Any] | None:
        return self.presets.get(name)
