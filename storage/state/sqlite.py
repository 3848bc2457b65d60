"""The state store in the facts' own SQLite file: the default, needing nothing to set up."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import aiosqlite

from storage.answers import Dispute, FlagEvent
from storage.state import NotDisputed
from storage.state.quiz_sqlite import SqliteQuiz

# Open disputes with their reasons: the flag events since the event that (re)opened each one.
_OPEN = (
    "SELECT fl.fact_id, fl.guild_id, fl.opened_at, e.reason, e.actor FROM flags fl"
    " JOIN flag_events e ON e.fact_id = fl.fact_id AND e.guild_id = fl.guild_id"
    "  AND e.action = 'flag' AND e.id >= fl.opened_event"
    " WHERE fl.status = 'open'"
)


class SqliteState(SqliteQuiz):
    """Flags and their append-only history in the `flags` and `flag_events` tables; quiz questions,
    answers and scores (SqliteQuiz)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        # One connection serves every concurrent command; write transactions must not interleave.
        self._writing = asyncio.Lock()

    async def record(
        self, fact_id: str, fact_text: str, fact_key: str, guild_id: int, action: str, reason: str,
        actor: str, actor_id: int | None,
    ) -> FlagEvent:
        """Append the event and update the dispute in one transaction (see StateStore.record)."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        status = "open" if action == "flag" else "resolved"
        async with self._writing:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                if action == "unflag":
                    # Checked in the transaction: two moderators resolving at once write one event.
                    async with self.conn.execute(
                        "SELECT status FROM flags WHERE fact_id = ? AND guild_id = ?", (fact_id, guild_id)
                    ) as cursor:
                        row = await cursor.fetchone()
                    if row is None or row[0] != "open":
                        raise NotDisputed(fact_id)
                cursor = await self.conn.execute(
                    "INSERT INTO flag_events (fact_id, guild_id, action, actor, actor_id, reason, at, fact_text, fact_key)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (fact_id, guild_id, action, actor, actor_id, reason, now, fact_text, fact_key),
                )
                # A re-opened dispute starts a fresh list of reasons; an open one keeps collecting.
                await self.conn.execute(
                    "INSERT INTO flags (fact_id, guild_id, status, opened_event, opened_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (fact_id, guild_id) DO UPDATE SET status = excluded.status,"
                    " updated_at = excluded.updated_at,"
                    " opened_event = CASE WHEN flags.status = 'open' THEN flags.opened_event ELSE excluded.opened_event END,"
                    " opened_at = CASE WHEN flags.status = 'open' THEN flags.opened_at ELSE excluded.opened_at END",
                    (fact_id, guild_id, status, cursor.lastrowid, now, now),
                )
                await self.conn.execute("COMMIT")
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
        return FlagEvent(fact_id, guild_id, action, actor, actor_id, reason, now)

    async def open_disputes(self, fact_ids: list[str], guild_id: int | None) -> dict[str, list[Dispute]]:
        """fact id -> its open disputes (one per guild), reasons since the dispute was opened."""
        if not fact_ids:
            return {}
        # One query however many ids: they travel as one JSON array, not as bound variables.
        sql = _OPEN + " AND fl.fact_id IN (SELECT value FROM json_each(?))"
        params: list = [json.dumps(sorted(set(fact_ids)))]
        if guild_id is not None:
            sql += " AND fl.guild_id = ?"
            params.append(guild_id)
        found: dict[str, list[Dispute]] = {}
        for dispute in await self._disputes(sql + " ORDER BY fl.fact_id, fl.guild_id, e.id", params):
            found.setdefault(dispute.fact_id, []).append(dispute)
        return found

    async def disputes(self, guild_id: int | None) -> list[Dispute]:
        """Open disputes (of one guild, or all), newest first."""
        sql, params = _OPEN, []
        if guild_id is not None:
            sql += " AND fl.guild_id = ?"
            params.append(guild_id)
        # Opened in one second: the later event first, so "newest first" holds.
        return await self._disputes(sql + " ORDER BY fl.opened_at DESC, fl.opened_event DESC, fl.fact_id, fl.guild_id, e.id", params)

    async def _disputes(self, sql: str, params: list) -> list[Dispute]:
        """Rows of _OPEN (one per reason, grouped by dispute) -> disputes, in the rows' order."""
        async with self.conn.execute(sql, params) as cursor:
            rows = await cursor.fetchall()
        grouped: dict[tuple[str, int], list] = {}
        for r in rows:
            grouped.setdefault((r["fact_id"], r["guild_id"]), []).append(r)
        return [
            Dispute(fact_id, gid, tuple(e["reason"] for e in events), tuple(dict.fromkeys(e["actor"] for e in events)),
                    events[0]["opened_at"])
            for (fact_id, gid), events in grouped.items()
        ]

    async def history(self, fact_id: str, guild_id: int | None) -> list[FlagEvent]:
        """Every flag and unflag of a fact, oldest first."""
        sql = "SELECT * FROM flag_events WHERE fact_id = ?" + (" AND guild_id = ?" if guild_id is not None else "")
        params = (fact_id, guild_id) if guild_id is not None else (fact_id,)
        async with self.conn.execute(sql + " ORDER BY id", params) as cursor:
            return [
                FlagEvent(r["fact_id"], r["guild_id"], r["action"], r["actor"], r["actor_id"], r["reason"], r["at"])
                for r in await cursor.fetchall()
            ]

    async def flagged_texts(self, fact_ids: list[str]) -> dict[str, str]:
        """The fact text kept with each fact's latest event."""
        if not fact_ids:
            return {}
        sql = ("SELECT fact_id, fact_text FROM flag_events WHERE id IN (SELECT max(id) FROM flag_events"
               " WHERE fact_id IN (SELECT value FROM json_each(?)) GROUP BY fact_id)")
        async with self.conn.execute(sql, (json.dumps(sorted(set(fact_ids))),)) as cursor:
            return {fact_id: text for fact_id, text in await cursor.fetchall()}

    async def flagged_keys(self) -> dict[str, str]:
        """Every id the history names -> the content key it was given to."""
        async with self.conn.execute("SELECT DISTINCT fact_id, fact_key FROM flag_events") as cursor:
            return {fact_id: key for fact_id, key in await cursor.fetchall()}

    async def close(self) -> None:
        """Nothing to release: the connection is the library's."""
