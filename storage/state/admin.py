"""Operator tasks on the state store: bring its schema up to date; move an existing SQLite flag
history into PostgreSQL, checked by counts.

The history is replayed in order to rebuild the disputes PostgreSQL keeps one row each for, and
the replay must end with exactly the disputes SQLite has open. The quiz questions, answers and
scores go with it (storage.state.copyquiz). Everything is written in one transaction that fails
on any count that differs, so a copy lands whole or not at all. A store that already holds this
very history is left as it is (running the copy twice is harmless); one that holds anything else
is refused.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import asyncpg

from storage import db
from storage.state import StateError
from storage.state.copyquiz import (
    QuizCounts, QuizRows, first_part, questions_held, quiz_counts, read_quiz, write_quiz,
)
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
    quiz: QuizCounts
    already_there: bool = False  # the target holds this history and these questions: nothing was written
    quiz_only: bool = False  # the flag history was there already; only the quiz tables were copied
    held_before: int = 0  # events an earlier copy had put there (the rest was appended)

    def line(self) -> str:
        what = f"{self.counts.line()} and {self.quiz.line()}"
        if self.held_before:
            return (f"copied {self.counts.events - self.held_before} newer event(s) from {self.source} to"
                    f" {self.target}, which held the first {self.held_before} from an earlier copy: now {what}; counts match")
        if self.already_there:
            return f"{self.target} already holds the {what} of {self.source}: nothing to copy"
        if self.quiz_only:
            return (f"copied {self.quiz.line()} from {self.source} to {self.target}, which held its flag history"
                    " already; counts match")
        return f"copied {what} from {self.source} to {self.target}; counts match"


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
    """Copy the flag history and the quiz tables of the SQLite database at `sqlite_path` into the store at `url`."""
    replay, quiz = _read(sqlite_path)
    expected = replay.counts()
    report = CopyReport(str(sqlite_path), redact(url), expected, quiz.counts())
    pool = await open_pool(url, min_size=1, max_size=1)
    try:
        async with unreachable_is_polite(), pool.acquire() as conn:
            await migrate(conn)
            async with conn.transaction():
                # Writers wait until the copy is done; readers go on.
                await conn.execute("LOCK TABLE disputes, flag_events, quiz_questions, quiz_answers, quiz_scores"
                                   " IN SHARE ROW EXCLUSIVE MODE")
                held = await _held_events(conn, replay, url) if await _counts(conn) != Counts(0, 0, 0, 0, 0) else 0
                history_there = held == len(replay.events)
                quiz_there = await _quiz_there(conn, quiz, url)
                if history_there and quiz_there:
                    return replace(report, already_there=True)
                if not history_there:
                    # Into an empty store, or after an earlier copy when SQLite went on since: the
                    # store holds this history's first `held` events (append-only), the rest follows.
                    await _append_history(conn, replay, held)
                    report = replace(report, held_before=held)
                if not quiz_there:
                    await write_quiz(conn, quiz)
                await _check_counts(conn, expected if not history_there else None, quiz.counts() if not quiz_there else None)
    finally:
        await pool.close()
    return replace(report, quiz_only=history_there)


async def _append_history(conn: asyncpg.Connection, replay: _Replay, held: int) -> None:
    """The events after the first `held` (all of them into an empty store), and the disputes as
    they leave them: open ones the store has are updated (closed or extended, in id order, so a
    fact's old dispute closes before its new one opens), the others added."""
    known = {r["id"]: tuple(r) for r in await conn.fetch(f"SELECT {', '.join(_DISPUTE_COLUMNS)} FROM disputes")}
    added = []
    for row in replay.disputes.values():
        if row[0] not in known:
            added.append(row)
        elif tuple(row) != known[row[0]]:
            await conn.execute("UPDATE disputes SET updated_at = $2, closed_at = $3 WHERE id = $1", row[0], row[4], row[5])
    await conn.copy_records_to_table("disputes", records=added, columns=_DISPUTE_COLUMNS)
    await conn.copy_records_to_table("flag_events", records=replay.events[held:], columns=_EVENT_COLUMNS)
    for table in ("disputes", "flag_events"):  # new rows continue after the copied ids
        await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                           f" coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")


async def _quiz_there(conn: asyncpg.Connection, quiz: QuizRows, url: str) -> bool:
    """Whether the target holds these questions already; a target holding others is refused."""
    if await quiz_counts(conn) == QuizCounts(0, 0, 0):
        return quiz.counts() == QuizCounts(0, 0, 0)  # nothing to copy is there already
    held = await questions_held(conn, quiz)
    if held == len(quiz.questions):
        return True
    if held is not None:
        # An earlier copy, and SQLite has been played on since: written again whole.
        for table in ("quiz_answers", "quiz_scores", "quiz_questions"):
            await conn.execute(f"DELETE FROM {table}")
        return False
    raise CopyRefused(f"{redact(url)} already holds quiz questions that are not this database's, nor a first part"
                      " of them: copy only into an empty store or an earlier copy of this one (nothing was copied)")


async def _check_counts(conn: asyncpg.Connection, history: Counts | None, quiz: QuizCounts | None) -> None:
    """Raise (rolling the copy back) when what was just written differs from what was read."""
    found = await _counts(conn)
    if history is not None and found != history:
        raise CopyRefused(f"counts differ after the copy (SQLite {history.line()}; PostgreSQL"
                          f" {found.line()}): rolled back, nothing was copied")
    found_quiz = await quiz_counts(conn)
    if quiz is not None and found_quiz != quiz:
        raise CopyRefused(f"counts differ after the copy (SQLite {quiz.line()}; PostgreSQL"
                          f" {found_quiz.line()}): rolled back, nothing was copied")


def _read(sqlite_path: str | Path) -> tuple[_Replay, QuizRows]:
    """Read the SQLite store once: its history replayed (it must end with the disputes SQLite has
    open) and its quiz rows."""
    if not Path(sqlite_path).is_file():
        raise CopyRefused(f"{sqlite_path} does not exist: name the SQLite database to copy with [storage] database")
    conn = db.connect_sync(sqlite_path)
    try:
        replay = _Replay()
        for row in conn.execute("SELECT * FROM flag_events ORDER BY id"):
            replay.add(row)
        open_in_sqlite = {(r["fact_id"], r["guild_id"]) for r in conn.execute(
            "SELECT fact_id, guild_id FROM flags WHERE status = 'open'")}
        quiz = read_quiz(conn)
    finally:
        conn.close()
    if open_in_sqlite != set(replay.open_now):
        raise CopyRefused(f"the history replays to {len(replay.open_now)} open disputes but {sqlite_path} has"
                          f" {len(open_in_sqlite)} open: the SQLite history is inconsistent, nothing was copied")
    return replay, quiz


async def _counts(conn: asyncpg.Connection) -> Counts:
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM flag_events) AS events,"
        " (SELECT count(*) FROM flag_events WHERE action = 'flag') AS flags,"
        " (SELECT count(*) FROM flag_events WHERE action = 'unflag') AS unflags,"
        " (SELECT count(*) FROM disputes) AS disputes,"
        " (SELECT count(*) FROM disputes WHERE closed_at IS NULL) AS open_disputes"
    )
    return Counts(**dict(row))


async def _held_events(conn: asyncpg.Connection, replay: _Replay, url: str) -> int:
    """How many of this history's events a non-empty target holds: all of them when its history
    starts with this one (a copy done before, perhaps with newer events there since), or its own
    count when its history is a first part of this one (a copy done before SQLite went on).
    Anything else is another history, refused."""
    rows = [tuple(r) for r in await conn.fetch(
        f"SELECT {', '.join(_EVENT_COLUMNS)} FROM flag_events ORDER BY id LIMIT $1", len(replay.events))]
    held = first_part(rows, replay.events)
    if held is not None:
        return held
    raise CopyRefused(f"{redact(url)} already holds flag events that are not this database's history, nor a first"
                      " part of it: copy only into an empty store or an earlier copy of this one (nothing was copied)")
