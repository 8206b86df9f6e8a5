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
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

NAME = "index.sqlite3"
SCHEMA = 1  # PRAGMA user_version: another value rebuilds the index
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
        text: str = "",
        problem: str | None = None,
        corrupt: bool = False,
    ) -> None:
        """Index a file as read (``row`` and its text) or as unreadable (``problem``)."""
        with self._db() as db:
            self._delete(db, name)
            values = (
                (row.id, row.title, row.updated, row.turns, row.model)
                if row
                else (None, None, None, None, None)
            )
            cur = db.execute(
                "insert into conv (name, mtime_ns, size, id, title, updated, turns, model,"
                " problem, corrupt) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, *stamp, *values, problem, int(corrupt)),
            )
            if row is not None:
                body = text.lower() if self.fts else _plain(text)
                db.execute("insert into body (rowid, text) values (?, ?)", (cur.lastrowid, body))

    def drop(self, names: list[str]) -> None:
        with self._db() as db:
            for name in names:
                self._delete(db, name)

    @staticmethod
    def _delete(db: sqlite3.Connection, name: str) -> None:
        found = db.execute("select rowid from conv where name = ?", (name,)).fetchone()
        if found:
            db.execute("delete from body where rowid = ?", found)
            db.execute("delete from conv where rowid = ?", found)

    # -- reading ----------------------------------------------------------------------

    def rows(self, text: str = "") -> tuple[list[Row], list[tuple[str, str, bool]]]:
        """The readable conversations whose text has every word of ``text``, newest
        first, and the unreadable files: (name, problem, corrupt)."""
        words = _TOKEN.findall(text.lower())
        sql = "select name, id, title, updated, turns, model from conv where problem is null"
        args: list[str] = []
        if words and self.fts:
            # every word quoted: nothing typed is ever FTS5 syntax
            sql += " and rowid in (select rowid from body where body match ?)"
            args.append(" AND ".join('"' + w.replace('"', '""') + '"*' for w in words))
        elif words:
            for w in words:
                sql += " and rowid in (select rowid from body where instr(text, ?) > 0)"
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
