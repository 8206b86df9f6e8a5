"""Conversations as JSON files: one per conversation, atomic writes, versioned format.

One file ``<id>.json`` per conversation in ``conversations/`` under the data dir
(``$REDPILL_TUI_DATA``, else ``$XDG_DATA_HOME/redpill-tui``), in the format described in
tui/core/document.py (version 2; version 1 files are upgraded on open, and written as
version 2 at the next save):

- ``model``, ``system``, ``params``, ``tools``: the settings of the next request;
- ``turns``: each turn's ``input`` messages, what it ``sent`` (its parameters as they
  differ from the previous turn's: the history is not stored again), every choice
  (``index``, ``content``, ``refusal``, ``reasoning``, ``tool_calls``, ``function_call``,
  ``finish_reason``, ``logprobs``), the ``chosen`` index, ``usage``, ``timings``,
  ``error``, ``cancelled``, ``partial`` (saved while the reply was still streaming),
  ``completion_id``, ``system_fingerprint``, ``seed``, ``started_at``, ``tool_results``
  typed so far, ``verification``, the sha256 of the request and response bytes, and the
  ``earlier`` replies to the same input;
- ``id``, ``title`` (null until renamed: the list shows the first message), ``profile``,
  ``created``, ``updated`` (Unix times).

The exact request of any turn is ``Conversation.request_of(i)`` (the export screen gives
it as JSON or curl). Never an API key: requests are stored as bodies, headers not at all.
A file that fails to parse is reported by the list and moved aside (``*.corrupt-<time>``)
only before a save would overwrite it; a file from a newer format version is refused,
never overwritten. The list and search read an index (tui/core/index.py), never the
source of truth: the files are.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import stat
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..api.textfix import fix_surrogates
from .conversation import SAFE_ID, Conversation
from .document import FORMAT, VERSION, DocumentError, Snapshot, read
from .index import NAME as INDEX_NAME
from .index import Index, Row

__all__ = ["FORMAT", "VERSION", "Snapshot"]


class StoreError(Exception):
    pass


class NewerFormat(StoreError):
    pass


class CorruptFile(StoreError):
    pass


def to_document(conv: Conversation) -> dict[str, Any]:
    return Snapshot(conv).document()


def from_document(doc: Any, source: str = "file", *, cache_forms: bool = True) -> Conversation:
    try:
        return read(doc, source, cache_forms=cache_forms)
    except DocumentError as exc:
        raise (NewerFormat if exc.newer else CorruptFile)(str(exc)) from None


TEMP_SUFFIX = ".tmp"
# A temp file this old was left by a killed process (a write takes milliseconds).
STALE_TEMP_SECONDS = 3600


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temp file beside ``path``, fsync, rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
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


def encode_document(doc: dict[str, Any], *, compact: bool = False) -> bytes:
    """A document made by :func:`to_document` as file bytes. ``compact`` uses the C
    encoder (several times faster): for saves in the middle of a stream."""
    if compact:
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    else:
        text = json.dumps(doc, ensure_ascii=False, indent=1)
    # A lone surrogate (from a paste, a tool result, an old file) cannot be written as
    # UTF-8: it becomes U+FFFD (a pair is joined). Inside JSON it can only be in a string.
    return fix_surrogates(text).encode()


def write_document(path: Path, data: bytes | Snapshot) -> None:
    """Write a snapshot or its bytes (the slow part, safe in a thread: no shared state)."""
    atomic_write(path, data.encode() if isinstance(data, Snapshot) else data)


def save_file(conv: Conversation, path: Path) -> None:
    write_document(path, Snapshot(conv).encode())


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_mtime_ns, st.st_size


class NotAFile(StoreError):
    """A FIFO, socket, device or directory where a conversation file should be."""


def read_regular(path: Path) -> bytes:
    """The bytes of ``path`` if it is a regular file. Anything else is never read: a FIFO
    named ``x.json`` would block forever, a device could do worse. The check is made on
    the open descriptor (opened non-blocking, so opening a FIFO does not wait)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise NotAFile(f"{path} is not a regular file; skipped")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the stat
            raise NotAFile(f"{path} is not a regular file; skipped")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from None
    finally:
        os.close(fd)


def load_file(path: Path, *, cache_forms: bool = True) -> Conversation:
    """The conversation in ``path``. With ``cache_forms``, every turn's saved form is made
    now, so the first save is cheap; without, the caller makes them when it has time
    (``cache_saved_forms``), or the first save does."""
    raw = read_regular(path)
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise CorruptFile(f"{path} is not valid JSON ({exc})") from None
    return from_document(doc, str(path), cache_forms=cache_forms)


@dataclass
class Entry:
    path: Path
    id: str
    title: str
    updated: float
    turns: int
    model: str
    # Kept for callers of the earlier API: the search reads the index (tui/core/index.py).
    text: str = field(default="", repr=False)


class Store:
    """The folder of saved conversations."""

    def __init__(self, root: Path):
        self.root = root
        self.index = Index(root / INDEX_NAME)
        self.problems: list[str] = []
        self.deleted: set[str] = set()  # ids deleted here: an open copy is not saved again
        # Reported by the next list(): what a save had to do (a file kept aside).
        self._notices: list[str] = []
        self._written: dict[Path, tuple[int, int]] = {}  # what our last write left

    def path_for(self, conv: Conversation) -> Path:
        return self.root / f"{conv.id}.json"

    def save(self, conv: Conversation) -> Path:
        path, snapshot = self.prepare(conv)
        self.write(path, snapshot)
        return path

    def prepare(self, conv: Conversation) -> tuple[Path, Snapshot]:
        """Where ``conv`` goes and an immutable snapshot of it: cheap, no I/O; encode it
        (``snapshot.encode()``) and :meth:`write` in any thread."""
        conv.touch()
        return self.path_for(conv), Snapshot(conv)

    def write(self, path: Path, data: bytes | Snapshot) -> None:
        """Write a snapshot, or its bytes (the slow part: may run in a thread), and
        index what was written."""
        if path.exists() and _stamp(path) != self._written.get(path):
            # Never overwrite a file we could not read: a newer version is refused, an
            # unreadable one is kept aside first.
            try:
                head = json.loads(read_regular(path))
            except ValueError:
                aside = self.set_aside(path)
                self._notices.append(f"{path} was not valid JSON; kept as {aside.name}")
            else:
                if (
                    isinstance(head, dict)
                    and isinstance(head.get("version"), int)
                    and head["version"] > VERSION
                ):
                    raise NewerFormat(f"{path} is from a newer redpill-tui; not overwritten")
        write_document(path, data)
        with contextlib.suppress(OSError):
            self._written[path] = _stamp(path)  # ours: not read back before the next save
        if isinstance(data, Snapshot) and path.parent == self.root:
            title, turns, parts = data.summary()
            head = data.head
            row = Row(path.name, head["id"], title, head["updated"], turns, head["model"])
            # the index is never the truth: failing to update it never fails a save
            with contextlib.suppress(sqlite3.Error, OSError, ValueError):
                st = path.stat()
                self.index.put(path.name, (st.st_mtime_ns, st.st_size), row, parts)

    def set_aside(self, path: Path) -> Path:
        """Rename an unreadable file out of the way (never over an earlier one)."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = path.with_name(f"{path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        os.replace(path, target)
        return target

    def _sweep_temps(self) -> None:
        """Remove temp files that a killed process left behind (old ones only: a
        younger one may belong to a save in progress in another instance)."""
        now = time.time()
        for tmp in self.root.glob(f".*{TEMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                if now - tmp.stat().st_mtime > STALE_TEMP_SECONDS:
                    tmp.unlink()

    def _sync(self) -> list[str]:
        """Bring the index in step with the folder: files added, changed (size or mtime)
        or gone. Reads only what changed; never renames or writes a conversation."""
        problems: list[str] = []
        on_disk: dict[str, tuple[int, int]] = {}
        with os.scandir(self.root) as it:
            for item in it:
                if not item.name.endswith(".json") or item.name.startswith("."):
                    continue
                try:
                    st = os.stat(item.path)
                except OSError as exc:
                    problems.append(f"cannot read {item.path}: {exc.strerror}")
                    continue
                if not stat.S_ISREG(st.st_mode):
                    problems.append(f"{item.path} is not a regular file; skipped")
                    continue
                on_disk[item.name] = (st.st_mtime_ns, st.st_size)
        known = self.index.known()
        self.index.drop([n for n in known if n not in on_disk])
        for name, stamp in sorted(on_disk.items()):
            if known.get(name) != stamp:
                self._read_into_index(name, stamp)
        return problems

    def _read_into_index(self, name: str, stamp: tuple[int, int]) -> None:
        path = self.root / name
        try:
            conv = load_file(path)
        except StoreError as exc:
            self.index.put(name, stamp, None, problem=str(exc), corrupt=type(exc) is CorruptFile)
            return
        title, turns, parts = Snapshot(conv).summary()
        row = Row(name, conv.id, title, conv.updated, turns, conv.model)
        self.index.put(name, stamp, row, parts)

    def _entries(self, text: str, *, set_aside: bool, sync: bool = True) -> list[Entry]:
        self.problems, self._notices = self._notices, []
        if not self.root.is_dir():
            return []
        try:
            if sync:
                self._sweep_temps()
                self.problems += self._sync()
            rows, problems = self.index.rows(text)
        except sqlite3.Error as exc:
            # The index could not be used (a read-only folder, a locked file): one in
            # memory serves this listing.
            self.problems.append(f"the conversation index is not usable ({exc}); rebuilt in memory")
            self.index = Index(Path(tempfile.mkdtemp()) / INDEX_NAME, fts=self.index.fts)
            self.problems += self._sync()
            rows, problems = self.index.rows(text)
        for name, problem, corrupt in problems:
            path = self.root / name
            if not (set_aside and corrupt):
                self.problems.append(problem)
                continue
            try:
                aside = self.set_aside(path)
            except OSError as err:
                self.problems.append(f"{problem}; could not move it aside: {err.strerror}")
            else:
                self.problems.append(f"{problem}; kept as {aside.name}")
                with contextlib.suppress(sqlite3.Error):
                    self.index.drop([name])
        return [Entry(self.root / r.name, r.id, r.title, r.updated, r.turns, r.model) for r in rows]

    def list(self) -> list[Entry]:
        """Every readable conversation, newest first (from the index, in step with the
        files). An unreadable file is reported and moved aside (``*.corrupt-<time>``)."""
        return self._entries("", set_aside=True)

    def search(self, text: str, *, sync: bool = True) -> list[Entry]:
        """Conversations whose title or messages have every word of ``text`` (as the
        start of a word, any case; see tui/core/index.py). Never renames or writes a
        file: an unreadable one is only reported. ``sync=False`` (each keystroke) trusts
        the index as the last listing left it and looks at no file at all."""
        return self._entries(text, set_aside=False, sync=sync)

    def delete(self, entry: Entry | str) -> None:
        """Delete a listed conversation (its own file), or the one with this id."""
        if isinstance(entry, Entry):
            path = entry.path
        else:
            if not SAFE_ID.match(entry):
                raise StoreError(f"{entry!r} is not a conversation id")
            path = self.root / f"{entry}.json"
        path.unlink(missing_ok=True)
        self.deleted.add(path.stem)
        with contextlib.suppress(sqlite3.Error, OSError):
            self.index.drop([path.name])
