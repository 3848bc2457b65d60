"""Operator tasks on the state store: bring its schema up to date; move an existing SQLite flag
history into PostgreSQL, checked by counts.

The history is replayed in order to rebuild the disputes PostgreSQL keeps one row each for, and
the replay must end with exactly the disputes SQLite has open. Everything is written in one
transaction that fails on any count that differs, so a copy lands whole or not at all. A store
that already holds this very history is left as it is (running the copy twice is harmless);
one that holds anything else is refused.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import asyncpg

from storage import db
from storage.state import StateError
from storage.state.pgschema import migrate
from storage.state.pgerrors import unreachable_is_polite
from storage.state.postgres import open_pool, redact

_EVENT_COLUMNS = ("id", "dispute_id", "fact_id", "guild_id", "action", "actor", "actor_id", "reason", "at",
                  "fact_text", "fact_key")
_DISPUTE_COLUMNS = ("id", "fact_id", "guild_id", "opened_at", "updated_at", "closed_at")


class CopyRefused(StateError):
    """The copy would not be faithful (inconsistent source, foreign target, counts that differ)."""


@dataclass(frozen=True)
class Counts:
    events: int
    flags: int
    unflags: int
    disputes: int
    open_disputes: int

    def line(self) -> str:
        return (f"{self.events} events ({self.flags} flags, {self.unflags} unflags), {self.disputes} disputes"
                f" of which {self.open_disputes} open")


@dataclass(frozen=True)
class CopyReport:
    source: str
    target: str
    counts: Counts
    already_there: bool = False  # the target's history starts with this one: nothing was written

    def line(self) -> str:
        if self.already_there:
            return f"{self.target} already holds the {self.counts.line()} of {self.source}: nothing to copy"
        return f"copied {self.counts.line()} from {self.source} to {self.target}; counts match"


@dataclass
class _Replay:
    """The SQLite history replayed into dispute rows (ids 1, 2, ...) and events tied to them."""

    events: list[tuple] = field(default_factory=list)
    disputes: dict[int, list] = field(default_factory=dict)
    open_now: dict[tuple[str, int], int] = field(default_factory=dict)

    def add(self, row: sqlite3.Row) -> None:
        key, at = (row["fact_id"], row["guild_id"]), datetime.fromisoformat(row["at"])
        dispute_id = self.open_now.get(key)
        if row["action"] == "flag" and dispute_id is None:
            dispute_id = len(self.disputes) + 1
            self.disputes[dispute_id] = [dispute_id, *key, at, at, None]
            self.open_now[key] = dispute_id
        elif dispute_id is None:
            raise CopyRefused(f"event {row['id']} unflags {key[0]} in guild {key[1]}, which had no open dispute:"
                              " the SQLite history is inconsistent, nothing was copied")
        self.disputes[dispute_id][4] = at
        if row["action"] == "unflag":
            self.disputes[dispute_id][5] = at
            del self.open_now[key]
        self.events.append((row["id"], dispute_id, *key, row["action"], row["actor"], row["actor_id"],
                            row["reason"], at, row["fact_text"], row["fact_key"]))

    def counts(self) -> Counts:
        flags = sum(1 for e in self.events if e[4] == "flag")
        return Counts(len(self.events), flags, len(self.events) - flags, len(self.disputes), len(self.open_now))


async def migrate_store(url: str | None, sqlite_path: str | Path) -> str:
    """Migrate the configured store (PostgreSQL at `url`, else the SQLite file); what was done, in words."""
    if not url:
        db.connect_sync(sqlite_path).close()
        return f"state store: SQLite in {sqlite_path}, schema version {db.migrations()[-1][0]}, up to date"
    pool = await open_pool(url, min_size=1, max_size=1)
    try:
        async with unreachable_is_polite(), pool.acquire() as conn:
            before, after = await migrate(conn)
    finally:
        await pool.close()
    done = f"migrated from version {before}" if after != before else "up to date"
    return f"state store: PostgreSQL at {redact(url)}, schema version {after}, {done}"


async def copy_history(sqlite_path: str | Path, url: str) -> CopyReport:
    """Copy the flag history of the SQLite database at `sqlite_path` into the store at `url`."""
    replay = _replay(sqlite_path)
    expected = replay.counts()
    pool = await open_pool(url, min_size=1, max_size=1)
    try:
        async with unreachable_is_polite(), pool.acquire() as conn:
            await migrate(conn)
            async with conn.transaction():
                # Writers wait until the copy is done; readers go on.
                await conn.execute("LOCK TABLE disputes, flag_events IN SHARE ROW EXCLUSIVE MODE")
                if await _counts(conn) != Counts(0, 0, 0, 0, 0):
                    await _same_history(conn, replay, url)
                    return CopyReport(str(sqlite_path), redact(url), expected, already_there=True)
                await conn.copy_records_to_table("disputes", records=replay.disputes.values(), columns=_DISPUTE_COLUMNS)
                await conn.copy_records_to_table("flag_events", records=replay.events, columns=_EVENT_COLUMNS)
                for table in ("disputes", "flag_events"):
                    # New rows continue after the copied ids.
                    await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                                       f" coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")
                found = await _counts(conn)
                if found != expected:
                    raise CopyRefused(f"counts differ after the copy (SQLite {expected.line()}; PostgreSQL"
                                      f" {found.line()}): rolled back, nothing was copied")
    finally:
        await pool.close()
    return CopyReport(str(sqlite_path), redact(url), expected)


def _replay(sqlite_path: str | Path) -> _Replay:
    """Read and replay the SQLite history; it must end with the disputes SQLite has open."""
    if not Path(sqlite_path).is_file():
        raise CopyRefused(f"{sqlite_path} does not exist: name the SQLite database to copy with [storage] database")
    conn = db.connect_sync(sqlite_path)
    try:
        replay = _Replay()
        for row in conn.execute("SELECT * FROM flag_events ORDER BY id"):
            replay.add(row)
        open_in_sqlite = {(r["fact_id"], r["guild_id"]) for r in conn.execute(
            "SELECT fact_id, guild_id FROM flags WHERE status = 'open'")}
    finally:
        conn.close()
    if open_in_sqlite != set(replay.open_now):
        raise CopyRefused(f"the history replays to {len(replay.open_now)} open disputes but {sqlite_path} has"
                          f" {len(open_in_sqlite)} open: the SQLite history is inconsistent, nothing was copied")
    return replay


async def _counts(conn: asyncpg.Connection) -> Counts:
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM flag_events) AS events,"
        " (SELECT count(*) FROM flag_events WHERE action = 'flag') AS flags,"
        " (SELECT count(*) FROM flag_events WHERE action = 'unflag') AS unflags,"
        " (SELECT count(*) FROM disputes) AS disputes,"
        " (SELECT count(*) FROM disputes WHERE closed_at IS NULL) AS open_disputes"
    )
    return Counts(**dict(row))


async def _same_history(conn: asyncpg.Connection, replay: _Replay, url: str) -> None:
    """A non-empty target is accepted only when its history starts with this one (a copy done
    before, perhaps with newer events since); anything else is refused."""
    rows = await conn.fetch(f"SELECT {', '.join(_EVENT_COLUMNS)} FROM flag_events ORDER BY id LIMIT $1",
                            len(replay.events))
    if [tuple(r) for r in rows] != replay.events:
        raise CopyRefused(f"{redact(url)} already holds flag events that are not this database's history:"
                          " copy only into an empty store (nothing was copied)")
