"""Open the SQLite database (WAL, foreign keys, busy timeout) and bring its schema up to date."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from importlib import resources
from pathlib import Path

import aiosqlite

from storage.identity import fact_key_of, repeat_key, stored_key
from storage.textnorm import fold

BUSY_TIMEOUT_MS = 30_000
# SQLITE_BUSY and SQLITE_LOCKED: the codes, not the message text, which SQLite may word otherwise.
_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def migrations(package: str = "storage.migrations") -> list[tuple[int, str]]:
    """The numbered migration scripts (NNNN_name.sql) shipped in `package`, in order."""
    found = []
    for entry in resources.files(package).iterdir():
        match = re.match(r"^(\d{4})_.+\.sql$", entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


def connect_sync(path: str | Path) -> sqlite3.Connection:
    """Open (creating and migrating if needed) the database with the plain sqlite3 module."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    _set_up(conn)
    conn.create_function("fold", 1, fold, deterministic=True)  # migrations rebuild search text with it
    conn.create_function("content_key", 6, _content_key, deterministic=True)  # and fill in content keys
    _migrate(conn)
    return conn


async def connect(path: str | Path) -> aiosqlite.Connection:
    """Open (creating and migrating if needed) the database at `path` for the async bot path."""
    migrated = await asyncio.to_thread(connect_sync, path)
    migrated.close()
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = sqlite3.Row
    for pragma in _PRAGMAS:
        await conn.execute(pragma)
    return conn


def _set_up(conn: sqlite3.Connection) -> None:
    """Apply _PRAGMAS. When two processes create the database at once, SQLite answers one of them
    "database is locked" at once from the switch to WAL (to avoid a deadlock it does not wait for
    the other): that one tries again shortly, as the busy timeout would have."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            for pragma in _PRAGMAS:
                conn.execute(pragma)
            return
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorcode", None) not in _BUSY_CODES or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


_PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA page_size = 8192",  # takes effect only when the file is created; a tenth faster to load
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
)


def _content_key(concept: str, title: str, domain: str, fact_type: str, text: str, copy: int) -> bytes:
    return stored_key(repeat_key(fact_key_of(concept, title, domain, fact_type, text), copy))


def _migrate(conn: sqlite3.Connection) -> None:
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    pending = [(number, script) for number, script in migrations() if number > version]
    if not pending:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated while we waited for the write lock.
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        for number, script in pending:
            if number <= version:
                continue
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    """Split a script into statements (sqlite3.complete_statement keeps triggers whole)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return [s for s in statements if s and not all(l.strip().startswith("--") or not l.strip() for l in s.splitlines())]
