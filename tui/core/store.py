"""Conversations as JSON files: one per conversation, atomic writes, versioned format.

Format (``"format": "redpill-tui.conversation"``, ``"version": 1``):

- ``request``: the body of the last request in the API's own shape, so
  ``jq .request FILE | curl -d @- ...`` replays it;
- ``model``, ``system``, ``params``, ``tools``: the settings of the next request;
- ``turns``: each turn's ``input`` messages, the exact ``request`` sent, every choice with
  ``finish_reason``, the ``chosen`` index, ``usage``, ``timings``, ``error``;
- ``id``, ``title``, ``profile``, ``created``, ``updated``.

Never an API key: requests are stored as bodies, and headers are not stored at all.
A file that fails to parse is moved aside (``*.corrupt-<time>``) and reported; a file from
a newer format version is refused, never overwritten.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .conversation import Conversation

FORMAT = "redpill-tui.conversation"
VERSION = 1


class StoreError(Exception):
    pass


class NewerFormat(StoreError):
    pass


class CorruptFile(StoreError):
    pass


def to_document(conv: Conversation) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, **conv.to_dict()}


def from_document(doc: Any, source: str = "file") -> Conversation:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CorruptFile(f"{source} is not a redpill-tui conversation")
    version = doc.get("version")
    if not isinstance(version, int):
        raise CorruptFile(f"{source} has no format version")
    if version > VERSION:
        raise NewerFormat(
            f"{source} was written by a newer redpill-tui (format version {version}; this one reads up to {VERSION})"
        )
    # Upgrades of older versions go here, one step at a time.
    try:
        return Conversation.from_dict(doc)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise CorruptFile(f"{source}: {exc}") from None


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temp file beside ``path``, fsync, rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    try:
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def save_file(conv: Conversation, path: Path) -> None:
    data = json.dumps(to_document(conv), ensure_ascii=False, indent=1).encode()
    atomic_write(path, data)


def load_file(path: Path) -> Conversation:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from None
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise CorruptFile(f"{path} is not valid JSON ({exc})") from None
    return from_document(doc, str(path))


@dataclass
class Entry:
    path: Path
    id: str
    title: str
    updated: float
    turns: int
    model: str


class Store:
    """The folder of saved conversations."""

    def __init__(self, root: Path):
        self.root = root
        self.problems: list[str] = []

    def path_for(self, conv: Conversation) -> Path:
        return self.root / f"{conv.id}.json"

    def save(self, conv: Conversation) -> Path:
        path = self.path_for(conv)
        if path.exists():
            # Never overwrite a file we could not read (newer version).
            try:
                head = json.loads(path.read_bytes())
                if (
                    isinstance(head, dict)
                    and isinstance(head.get("version"), int)
                    and head["version"] > VERSION
                ):
                    raise NewerFormat(f"{path} is from a newer redpill-tui; not overwritten")
            except ValueError:
                pass
        conv.touch()
        save_file(conv, path)
        return path

    def set_aside(self, path: Path) -> Path:
        target = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
        os.replace(path, target)
        return target

    def list(self) -> list[Entry]:
        self.problems = []
        entries: list[Entry] = []
        if not self.root.exists():
            return entries
        for path in sorted(self.root.glob("*.json")):
            try:
                conv = load_file(path)
            except NewerFormat as exc:
                self.problems.append(str(exc))
                continue
            except CorruptFile as exc:
                aside = self.set_aside(path)
                self.problems.append(f"{exc}; kept as {aside.name}")
                continue
            except StoreError as exc:
                self.problems.append(str(exc))
                continue
            entries.append(
                Entry(
                    path, conv.id, conv.display_title(), conv.updated, len(conv.turns), conv.model
                )
            )
        entries.sort(key=lambda e: e.updated, reverse=True)
        return entries

    def search(self, text: str) -> list[Entry]:
        text = text.lower().strip()
        if not text:
            return self.list()
        out = []
        for entry in self.list():
            if text in entry.title.lower():
                out.append(entry)
                continue
            try:
                if text in entry.path.read_text(encoding="utf-8").lower():
                    out.append(entry)
            except OSError:
                continue
        return out

    def delete(self, entry_id: str) -> None:
        path = self.root / f"{entry_id}.json"
        path.unlink(missing_ok=True)
