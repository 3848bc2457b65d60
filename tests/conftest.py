"""Shared fixtures: the bundled seed, a loaded library in a temporary database."""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import pytest

from storage.library import Library

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "ketamine.txt"
_DATABASES = itertools.count(1)


@pytest.fixture
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A writable copy of the seed in its own folder."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    target = folder / "ketamine.txt"
    shutil.copy(SEED, target)
    return target


@pytest.fixture
async def library(tmp_path: Path):
    """A library with the bundled seed loaded, ranking by words (tests of the meaning layer use
    `meaning_library`: embedding costs a few seconds, so it is done once per session)."""
    lib = await Library.open(tmp_path / "factbot.sqlite3", meaning=False)
    report = await lib.load([SEED])
    assert not report.errors
    try:
        yield lib
    finally:
        await lib.close()


@pytest.fixture(scope="session")
def embedded_db(tmp_path_factory) -> Path:
    """A database with the seed loaded and every fact embedded, made once per test session."""
    import asyncio

    path = tmp_path_factory.mktemp("embedded") / "factbot.sqlite3"

    async def build() -> None:
        lib = await Library.open(path)
        try:
            await lib.load([SEED])
            await lib.embed_missing()
        finally:
            await lib.close()

    asyncio.run(build())
    return path


@pytest.fixture
async def meaning_library(tmp_path: Path, embedded_db: Path):
    """A library over a copy of the embedded database, meaning layer ready."""
    target = tmp_path / "factbot.sqlite3"
    shutil.copy(embedded_db, target)
    lib = await Library.open(target)
    await lib.embed_missing()  # nothing to embed: warms the index and marks the layer ready
    assert lib.meaning_ready
    try:
        yield lib
    finally:
        await lib.close()


# -- PostgreSQL: one throwaway cluster per test session, a fresh database per test -------------

@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL server on 127.0.0.1 (tests/pgserver.py); a missing server fails the test."""
    from tests.pgserver import PgServer, ServerMissing

    try:
        server = PgServer()
    except ServerMissing as missing:
        server, reason = None, str(missing)
    if server is None:
        pytest.fail(reason, pytrace=False)
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def pg_url(pg_server, request) -> str:
    """The URL of a new, empty database on the session's server."""
    if not pg_server.running:  # a test that stopped it and failed before starting it again
        pg_server.start()
    return pg_server.create_database(f"t{next(_DATABASES)}_" + re.sub(r"\W", "_", request.node.name.lower())[:40])


@pytest.fixture(params=["sqlite", "postgres"])
def state_url(request) -> str | None:
    """Each back end in turn: None (SQLite, in the facts' own file) or a PostgreSQL URL."""
    return None if request.param == "sqlite" else request.getfixturevalue("pg_url")
