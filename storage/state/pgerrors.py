"""Which PostgreSQL failures mean "unreachable for now", and turning them into StateUnavailable."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg

from storage.state import StateUnavailable

# Lost or refused connections, a server shutting down or starting up, a query cancelled by the
# server: the store is unreachable for now, and the pool reconnects once it is back.
UNREACHABLE = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
)


@contextlib.asynccontextmanager
async def unreachable_is_polite() -> AsyncIterator[None]:
    """Turn a lost or refused connection into StateUnavailable (its message is fit for users)."""
    try:
        yield
    except UNREACHABLE as exc:
        raise StateUnavailable(f"{type(exc).__name__}: {exc}") from exc
