"""The PostgreSQL state store's numbered migrations, applied once by whichever process comes first."""

from __future__ import annotations

import asyncpg

from storage.db import migrations
from storage.state import StateError

PACKAGE = "storage.state.pg_migrations"
_LOCK = 0x66616374_62737461  # pg_advisory_xact_lock key: processes starting together migrate one at a time


class SchemaTooNew(StateError):
    """The store was migrated by a newer factbot than this one."""


def latest() -> int:
    """The newest schema version this factbot knows."""
    return max(number for number, _ in migrations(PACKAGE))


async def migrate(conn: asyncpg.Connection) -> tuple[int, int]:
    """Apply the pending migrations in one transaction; (version before, version after)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        before = await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version")
        if before > latest():
            raise SchemaTooNew(
                f"the state store's schema is version {before}, newer than this factbot knows ({latest()}):"
                " upgrade factbot on this machine"
            )
        for number, script in migrations(PACKAGE):
            if number > before:
                await conn.execute(script)
                await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", number)
    return before, max(before, latest())
