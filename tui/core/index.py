"""An index of the saved conversations for the list and its search: SQLite (stdlib), with
FTS5 full-text search when the SQLite build has it, else a plain scan of the same table.

Never the source of truth: the files are. The index lives in the conversations folder
(``index.sqlite3``); a row holds what the list shows (title, model, updated time, number
of turns), the searchable text, and the file's size and mtime when it was read. Each
listing compares those with the folder and reads again only the files that changed; a
missing, corrupt or foreign index file is rebuilt from the files. Nothing here writes,
renames or deletes a conversation file.

Search matches every word typed (letters and digits) as the start of a word of the text
(``lis`` finds Lisbon), any case; what is typed is always quoted, never FTS5 query syntax;
punctuation is ignored (``"``, ``(``). Without FTS5 the same table is scanned with
``instr`` over the words of each text (the same matches, slower).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..api.textfix import fix_surrogates

NAME = "index.sqlite3"
SCHEMA = 2  # PRAGMA user_version: another value rebuilds the index
# A conversation's text is indexed in parts (its title, system prompt and model; then each
# turn), so a save re-indexes only the parts that changed: part p of the conversation in
# row r is the text row ``r << PART_BITS | p``.
PART_BITS = 20
_TOKEN = re.compile(r"[^\W_]+")  # what unicode61 calls a word: letters and digits


def _plain(text: str) -> str:
    """Text for the index without FTS5: its words, space-separated and lower-case, so a
    word's start is found as " " + the typed word."""
    return " " + " ".join(_TOKEN.findall(text.lower())) + " "


@dataclass
class Row:
    name: str  # the file's name in the folder
    id: str
    title: str
    updated: float
    turns: int
    model: str
    problem: str | None = None


def fts5_available() -> bool:
    with contextlib.closing(sqlite3.connect(":memory:")) as db:
        try:
            return bool(db.execute("select sqlite_compileoption_used('ENABLE_FTS5')").fetchone()[0])
        except sqlite3.Error:
            return False


class Index:
    def __init__(self, path: Path, *, fts: bool | None = None) -> None:
        self.path = path
        self.fts = fts5_available() if fts is None else fts

    # -- the database -----------------------------------------------------------------

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection for one operation (any thread), the schema made; a file that is
        not a usable index is replaced by a new, empty one."""
        try:
            db = self._open()
        except sqlite3.DatabaseError:
            with contextlib.suppress(OSError):
                self.path.unlink()
            db = self._open()
        try:
            with db:
                yield db
        finally:
            db.close()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        try:
            version = db.execute("pragma user_version").fetchone()[0]
            kind = "fts" if self.fts else "plain"
            if version != SCHEMA or self._kind(db) != kind:
                self._create(db)
            db.execute("select rowid, name, problem, corrupt from conv limit 1").fetchone()
            db.execute("select rowid, text from body limit 1").fetchone()
            db.execute("select conv, part, hash from part limit 1").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    @staticmethod
    def _kind(db: sqlite3.Connection) -> str | None:
        row = db.execute("select sql from sqlite_master where name = 'body'").fetchone()
        if row is None:
            return None
        return "fts" if "fts5" in (row[0] or "").lower() else "plain"

    def _create(self, db: sqlite3.Connection) -> None:
        with db:
            db.execute("drop table if exists conv")
            db.execute("drop table if exists body")
            db.execute("drop table if exists part")
            db.execute(
                "create table conv (rowid integer primary key, name text unique not null,"
                " mtime_ns integer, size integer, id text, title text, updated real,"
                " turns integer, model text, problem text, corrupt integer)"
            )
            if self.fts:
                db.execute(
                    "create virtual table body using fts5(text, tokenize = 'unicode61 remove_diacritics 2')"
                )
            else:
                db.execute("create table body (rowid integer primary key, text text)")
            db.execute(
                "create table part (conv integer, part integer, hash integer,"
                " primary key (conv, part)) without rowid"
            )
            db.execute(f"pragma user_version = {SCHEMA}")

    # -- keeping it in step -----------------------------------------------------------

    def known(self) -> dict[str, tuple[int, int]]:
        """Each indexed file's (mtime_ns, size) as it was when read."""
        with self._db() as db:
            return {n: (m, s) for n, m, s in db.execute("select name, mtime_ns, size from conv")}

    def put(
        self,
        name: str,
        stamp: tuple[int, int],
        row: Row | None,
        parts: list[str] = (),  # type: ignore[assignment]
        problem: str | None = None,
        corrupt: bool = False,
    ) -> None:
        """Index a file as read (``row`` and its text in ``parts``) or as unreadable
        (``problem``). Only the parts whose text changed are indexed again."""
        fix = fix_surrogates  # a lone surrogate cannot be stored as UTF-8
        values = (
            (fix(row.id), fix(row.title), row.updated, row.turns, fix(row.model))
            if row
            else (None,) * 5
        )
        problem = fix(problem) if problem else problem
        with self._db() as db:
            found = db.execute("select rowid from conv where name = ?", (name,)).fetchone()
            if found is None:
                conv = db.execute("insert into conv (name) values (?)", (name,)).lastrowid
            else:
                conv = found[0]
            db.execute(
                "update conv set mtime_ns = ?, size = ?, id = ?, title = ?, updated = ?,"
                " turns = ?, model = ?, problem = ?, corrupt = ? where rowid = ?",
                (*stamp, *values, problem, int(corrupt), conv),
            )
            old = dict(db.execute("select part, hash from part where conv = ?", (conv,)))
            parts = list(parts) if row is not None else []
            for number, text in enumerate(fix(p) for p in parts):
                digest = _digest(text)
                if old.get(number) == digest:
                    continue
                key = conv << PART_BITS | number
                if number in old:
                    db.execute("delete from body where rowid = ?", (key,))
                body = text.lower() if self.fts else _plain(text)
                db.execute("insert into body (rowid, text) values (?, ?)", (key, body))
                db.execute(
                    "insert or replace into part (conv, part, hash) values (?, ?, ?)",
                    (conv, number, digest),
                )
            for number in old:
                if number >= len(parts):
                    db.execute("delete from body where rowid = ?", (conv << PART_BITS | number,))
                    db.execute("delete from part where conv = ? and part = ?", (conv, number))

    def drop(self, names: list[str]) -> None:
        with self._db() as db:
            for name in names:
                self._delete(db, name)

    @staticmethod
    def _delete(db: sqlite3.Connection, name: str) -> None:
        found = db.execute("select rowid from conv where name = ?", (name,)).fetchone()
        if found:
            conv = found[0]
            for (number,) in db.execute("select part from part where conv = ?", (conv,)):
                db.execute("delete from body where rowid = ?", (conv << PART_BITS | number,))
            db.execute("delete from part where conv = ?", (conv,))
            db.execute("delete from conv where rowid = ?", (conv,))

    # -- reading ----------------------------------------------------------------------

    def rows(self, text: str = "") -> tuple[list[Row], list[tuple[str, str, bool]]]:
        """The readable conversations whose text has every word of ``text``, newest
        first, and the unreadable files: (name, problem, corrupt)."""
        words = _TOKEN.findall(text.lower())
        sql = "select name, id, title, updated, turns, model from conv where problem is null"
        args: list[str] = []
        # every word in some part of the conversation; every word quoted: nothing
        # typed is ever FTS5 syntax
        for w in words:
            if self.fts:
                sql += f" and rowid in (select rowid >> {PART_BITS} from body where body match ?)"
                args.append('"' + w.replace('"', '""') + '"*')
            else:
                sql += f" and rowid in (select rowid >> {PART_BITS} from body where instr(text, ?) > 0)"
                args.append(" " + w)
        sql += " order by updated desc, name"
        with self._db() as db:
            rows = [Row(*r) for r in db.execute(sql, args)]
            problems = [
                (n, p, bool(c))
                for n, p, c in db.execute(
                    "select name, problem, corrupt from conv where problem is not null order by name"
                )
            ]
        return rows, problems


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=7).digest(), "big")
