"""Open the SQLite database (WAL, foreign keys, busy timeout) and bring its schema up to date."""

from __future__ import annotations

import re
import sqlite3
from importlib import resources
from pathlib import Path

import aiosqlite

BUSY_TIMEOUT_MS = 30_000


def migrations() -> list[tuple[int, str]]:
    """The numbered migration scripts shipped in storage/migrations, in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = re.match(r"^(\d{4})_.+\.sql$", entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


async def connect(path: str | Path) -> aiosqlite.Connection:
    """Open (creating if needed) the database at `path` and migrate it."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = sqlite3.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA synchronous = NORMAL")
    await conn.execute("PRAGMA foreign_keys = ON")
    await _migrate(conn)
    return conn


async def _migrate(conn: aiosqlite.Connection) -> None:
    async with conn.execute("PRAGMA user_version") as cursor:
        (version,) = await cursor.fetchone()
    pending = [(number, script) for number, script in migrations() if number > version]
    if not pending:
        return
    await conn.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated while we waited for the write lock.
        async with conn.execute("PRAGMA user_version") as cursor:
            (version,) = await cursor.fetchone()
        for number, script in pending:
            if number <= version:
                continue
            for statement in _statements(script):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {number}")
        await conn.execute("COMMIT")
    except BaseException:
        await conn.execute("ROLLBACK")
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
