"""A database made by the first schema version is brought up to date with its data intact."""

from __future__ import annotations

import sqlite3

from storage import db
from storage.library import Library


def _version_1(path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    number, script = db.migrations()[0]
    assert number == 1
    for statement in db._statements(script):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO concepts VALUES (1, 'Café', 'sub', 'p.txt', 'h', '2026-01-01')")
    conn.execute("INSERT INTO sources VALUES (1, 1, 0, 'A title', 'x.org', 'Pub', '[]', NULL, 1)")
    conn.execute("INSERT INTO facts VALUES (7, 'abcdefgh', 1, 1, 0, 'claim', 'Naïve rats’ BDNF rose.')")
    conn.execute("INSERT INTO fact_index (rowid, body) VALUES (7, 'naive rats'' bdnf rose.')")
    conn.execute("INSERT INTO citations VALUES (1, 'synthesis', 0, 0, 'bare', NULL, 'Naïve rats', 'abcdefgh', 90.0, 3)")
    conn.close()


async def test_version_1_database_is_migrated_with_ids_and_search_intact(tmp_path):
    path = tmp_path / "old.sqlite3"
    _version_1(path)
    lib = await Library.open(path)
    try:
        async with lib.conn.execute("PRAGMA user_version") as cursor:
            assert (await cursor.fetchone())[0] == len(db.migrations())
        fact = await lib.fact_by_id("ABCDEFGH")
        assert fact is not None and fact.text == "Naïve rats’ BDNF rose."
        answer = await lib.fact("naive bdnf")
        assert [f.id for f in answer.results] == ["abcdefgh"]
        async with lib.conn.execute("SELECT id, fact FROM fact_ids") as cursor:
            assert [tuple(r) for r in await cursor.fetchall()] == [("abcdefgh", 7)]
        async with lib.conn.execute("SELECT * FROM citations") as cursor:
            assert [tuple(r) for r in await cursor.fetchall()] == [
                (1, "synthesis", 0, 0, "bare", None, "Naïve rats", "abcdefgh", 90.0, 3)
            ]
    finally:
        await lib.close()
