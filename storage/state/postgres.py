"""The state store in PostgreSQL (asyncpg pool): one history and one set of disputes for every process.

Concurrency: each flag or unflag is a single statement, so it is its own transaction. A flag
upserts the open dispute against the partial unique index (INSERT ... ON CONFLICT DO UPDATE),
which takes that dispute's row lock; an unflag UPDATEs the open dispute, taking the same lock. So
events on one (fact, guild) queue on one row and none is lost, and READ COMMITTED's re-check after
the wait sees a dispute closed meanwhile (a flag then opens a new one; a second unflag finds none).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from urllib.parse import urlsplit

import asyncpg

from storage.answers import Dispute, FlagEvent
from storage.state import NotDisputed, StateError, StateUnavailable, StateUnsure
from storage.state.pgerrors import UNREACHABLE, unreachable_is_polite
from storage.state.pgschema import migrate
from storage.state.quiz_postgres import PostgresQuiz

POOL_SIZE = 10  # connections per process; commands queue for one beyond that
CONNECT_TIMEOUT = 5.0  # seconds: a server that does not answer is reported, not waited for
COMMAND_TIMEOUT = 15.0  # seconds; a flag waits at most this long for another's row lock

_EVENT = (
    "INSERT INTO flag_events (dispute_id, fact_id, guild_id, action, actor, actor_id, reason, at, fact_text, fact_key)"
    " SELECT d.id, $1, $2, '{action}', $3, $4, $5, d.updated_at, $6, $7 FROM d RETURNING at"
)
_FLAG = (
    "WITH d AS (INSERT INTO disputes (fact_id, guild_id, opened_at, updated_at)"
    " VALUES ($1, $2, statement_timestamp(), statement_timestamp())"
    " ON CONFLICT (fact_id, guild_id) WHERE closed_at IS NULL DO UPDATE SET updated_at = EXCLUDED.updated_at"
    " RETURNING id, updated_at) " + _EVENT.format(action="flag")
)
_UNFLAG = (
    "WITH d AS (UPDATE disputes SET closed_at = statement_timestamp(), updated_at = statement_timestamp()"
    " WHERE fact_id = $1 AND guild_id = $2 AND closed_at IS NULL RETURNING id, updated_at) "
    + _EVENT.format(action="unflag")
)
# Open disputes with their reasons in order; {where} narrows them, {order} sorts them.
_OPEN = (
    "SELECT d.fact_id, d.guild_id, d.opened_at, array_agg(e.reason ORDER BY e.id) AS reasons,"
    " array_agg(e.actor ORDER BY e.id) AS actors"
    " FROM disputes d JOIN flag_events e ON e.dispute_id = d.id AND e.action = 'flag'"
    " WHERE d.closed_at IS NULL AND {where} GROUP BY d.id ORDER BY {order}"
)
_OPEN_OF_FACTS = _OPEN.format(
    where="d.fact_id = ANY($1::text[]) AND ($2::bigint IS NULL OR d.guild_id = $2)", order="d.fact_id, d.guild_id"
)
_OPEN_OF_GUILD = _OPEN.format(
    where="($1::bigint IS NULL OR d.guild_id = $1)", order="d.opened_at DESC, d.id DESC"
)


class PostgresState(PostgresQuiz):
    """Disputes and their append-only history in PostgreSQL (tables `disputes`, `flag_events`); quiz
    questions, answers and scores (PostgresQuiz)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @classmethod
    async def connect(
        cls, url: str, *, init: Callable[[asyncpg.Connection], Awaitable[None]] | None = None
    ) -> PostgresState:
        """A pool on the store at `url`, its schema migrated; `init` runs on each new connection."""
        pool = await open_pool(url, min_size=1, max_size=POOL_SIZE, init=init)
        try:
            async with unreachable_is_polite(), pool.acquire() as conn:
                await migrate(conn)
        except BaseException:
            pool.terminate()
            raise
        return cls(pool)

    async def record(
        self, fact_id: str, fact_text: str, fact_key: str, guild_id: int, action: str, reason: str,
        actor: str, actor_id: int | None,
    ) -> FlagEvent:
        """Append the event and open, extend or close the dispute, in one statement (see above)."""
        if action not in ("flag", "unflag"):
            raise ValueError(f"unknown action {action!r}")
        sql = _FLAG if action == "flag" else _UNFLAG
        async with unreachable_is_polite():
            conn = await self.pool.acquire()
        try:
            # Once the statement is sent, a lost server may have committed it before going: say so.
            at = await conn.fetchval(sql, fact_id, guild_id, actor, actor_id, reason, fact_text, fact_key)
        except UNREACHABLE as exc:
            raise StateUnsure(fact_id, f"{type(exc).__name__}: {exc}") from exc
        finally:
            await self.pool.release(conn)
        if at is None:
            raise NotDisputed(fact_id)
        return FlagEvent(fact_id, guild_id, action, actor, actor_id, reason, _iso(at))

    async def open_disputes(self, fact_ids: list[str], guild_id: int | None) -> dict[str, list[Dispute]]:
        """fact id -> its open disputes (one per guild), reasons since the dispute was opened."""
        if not fact_ids:
            return {}
        found: dict[str, list[Dispute]] = {}
        for dispute in await self._disputes(_OPEN_OF_FACTS, sorted(set(fact_ids)), guild_id):
            found.setdefault(dispute.fact_id, []).append(dispute)
        return found

    async def disputes(self, guild_id: int | None) -> list[Dispute]:
        """Open disputes (of one guild, or all), newest first."""
        return await self._disputes(_OPEN_OF_GUILD, guild_id)

    async def _disputes(self, sql: str, *args: object) -> list[Dispute]:
        async with unreachable_is_polite():
            rows = await self.pool.fetch(sql, *args)
        return [
            Dispute(r["fact_id"], r["guild_id"], tuple(r["reasons"]), tuple(dict.fromkeys(r["actors"])),
                    _iso(r["opened_at"]))
            for r in rows
        ]

    async def history(self, fact_id: str, guild_id: int | None) -> list[FlagEvent]:
        """Every flag and unflag of a fact, oldest first."""
        async with unreachable_is_polite():
            rows = await self.pool.fetch(
                "SELECT fact_id, guild_id, action, actor, actor_id, reason, at FROM flag_events"
                " WHERE fact_id = $1 AND ($2::bigint IS NULL OR guild_id = $2) ORDER BY id",
                fact_id, guild_id,
            )
        return [FlagEvent(r["fact_id"], r["guild_id"], r["action"], r["actor"], r["actor_id"], r["reason"],
                          _iso(r["at"])) for r in rows]

    async def flagged_texts(self, fact_ids: list[str]) -> dict[str, str]:
        """The fact text kept with each fact's latest event."""
        if not fact_ids:
            return {}
        async with unreachable_is_polite():
            rows = await self.pool.fetch(
                "SELECT DISTINCT ON (fact_id) fact_id, fact_text FROM flag_events"
                " WHERE fact_id = ANY($1::text[]) ORDER BY fact_id, id DESC",
                sorted(set(fact_ids)),
            )
        return {r["fact_id"]: r["fact_text"] for r in rows}

    async def flagged_keys(self) -> dict[str, str]:
        """Every id the history names -> the content key it was given to."""
        async with unreachable_is_polite():
            rows = await self.pool.fetch("SELECT DISTINCT fact_id, fact_key FROM flag_events")
        return {r["fact_id"]: r["fact_key"] for r in rows}

    async def close(self) -> None:
        """Close the pool; connections a dead server left hanging are dropped after a short wait."""
        try:
            await asyncio.wait_for(self.pool.close(), CONNECT_TIMEOUT)
        except (asyncio.TimeoutError, *UNREACHABLE):
            self.pool.terminate()


async def open_pool(url: str, **options: object) -> asyncpg.Pool:
    """An asyncpg pool on `url`; an unreachable server or a refused login is one clear StateError."""
    try:
        async with unreachable_is_polite():
            return await asyncpg.create_pool(
                url, timeout=CONNECT_TIMEOUT, command_timeout=COMMAND_TIMEOUT, reset=_keep_session, **options
            )
    except StateUnavailable as exc:
        raise StateUnavailable(f"cannot reach the state store at {redact(url)}: {exc.detail}") from exc
    except (asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
        raise StateError(f"the state store at {redact(url)} refused: {exc}") from None


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Nothing to reset: the store never changes session state (no SET, LISTEN, cursors or
    session-level locks), so a connection goes back to the pool without asyncpg's default reset
    query, which would double the round trips of every read."""


def redact(url: str) -> str:
    """The URL without its password or query (which may hold one): fit for logs and messages."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{user}{host}{parts.path}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")
