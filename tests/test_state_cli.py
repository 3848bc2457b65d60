"""`python -m bot state migrate` and `state copy --to URL`: an existing SQLite history moves into
PostgreSQL whole, checked by counts; a second copy changes nothing; a foreign store is refused."""

from __future__ import annotations

import asyncio
import random

import asyncpg

from bot.__main__ import main
from storage.library import Library
from storage.state import pgschema
from tests.conftest import SEED

GUILD, OTHER = 1400000000000000001, 1400000000000000002


def _config(tmp_path, database) -> str:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\ndatabase = "{database}"\nseeds = "{SEED}"\n')
    return str(path)


async def _history(database, url: str | None = None, moves: int = 0) -> None:
    """Flags, added reasons, unflags and a re-opened dispute over two guilds (plus `moves` more flags)."""
    library = await Library.open(database, url)
    try:
        if await library.is_empty():
            await library.load([SEED])
        facts = [f.id for f in (await library.fact("ketamine", limit=6)).results]
        if moves:
            for n in range(moves):
                await library.flag(facts[n], f"later {n}", "carol", GUILD)
            return
        await library.flag(facts[0], "overstated", "alice", GUILD, actor_id=11)
        await library.flag(facts[0], "no human data", "bob", GUILD)
        await library.flag(facts[0], "elsewhere too", "dan", OTHER)
        await library.flag(facts[1], "wrong year", "alice", GUILD)
        await library.unflag(facts[1], "checked", "bob", GUILD)
        await library.flag(facts[1], "wrong journal", "alice", GUILD)
        await library.flag(facts[2], "dubious", "alice", OTHER)
        await library.unflag(facts[2], "fine", "alice", OTHER)
    finally:
        await library.close()


async def _quiz(database, url: str | None = None) -> list[int]:
    """Two questions in GUILD, answered by three people (one question revealed); their ids."""
    library = await Library.open(database, url)
    try:
        ids = []
        for n in range(2):
            question = await library.study.quiz(GUILD, 11, answer_seconds=600, repeat_after=0, rng=random.Random(n))
            ids.append(question.id)
            await library.study.answer(question.id, 21, "ana", question.cloze.answer)
            await library.study.answer(question.id, 22, "ben", (question.cloze.answer + 1) % 4)
        await library.study.answer(ids[0], 23, "cy", ids[0] % 4)
        await library.study.reveal(ids[0])
        return ids
    finally:
        await library.close()


async def _quiz_state(database, url: str | None, ids: list[int]) -> tuple:
    """The questions with their answers, and the scoreboard as each player sees it."""
    library = await Library.open(database, url)
    try:
        questions = [await library.study.question(i) for i in ids]
        boards = [await library.study.scores(GUILD, user) for user in (21, 22, 23)]
        return questions, boards
    finally:
        await library.close()


async def _state(database, url: str | None) -> tuple[list, dict]:
    """Every open dispute and every history, as the library shows them."""
    library = await Library.open(database, url)
    try:
        disputes = await library.disputes()
        ids = sorted({d.fact_id for d in disputes} | set(await library.state.flagged_keys()))
        return disputes, {fact_id: await library.history(fact_id) for fact_id in ids}
    finally:
        await library.close()


async def _event_count(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT count(*) FROM flag_events")
    finally:
        await conn.close()


def test_migrate_reports_the_version(tmp_path, pg_url, capsys, monkeypatch):
    config = _config(tmp_path, tmp_path / "facts.sqlite3")
    assert main(["state", "migrate", "--config", config]) == 0
    assert "SQLite" in capsys.readouterr().out
    monkeypatch.setenv("FACTBOT_STATE_URL", pg_url)
    assert main(["state", "migrate", "--config", config]) == 0
    latest = pgschema.latest()
    assert latest >= 2  # flags, then study mode's questions and scores
    assert f"schema version {latest}, migrated from version 0" in capsys.readouterr().out
    assert main(["state", "migrate", "--config", config]) == 0
    out = capsys.readouterr().out
    assert f"schema version {latest}, up to date" in out and "postgresql://factbot@127.0.0.1" in out


def test_copy_moves_the_history_whole_and_is_idempotent(tmp_path, pg_url, capsys):
    database = tmp_path / "facts.sqlite3"
    asyncio.run(_history(database))
    before = asyncio.run(_state(database, None))
    config = _config(tmp_path, database)
    assert main(["state", "copy", "--to", pg_url, "--config", config]) == 0
    out = capsys.readouterr().out
    assert "copied 8 events (6 flags, 2 unflags), 5 disputes of which 3 open" in out and "counts match" in out
    assert asyncio.run(_state(database, pg_url)) == before  # same disputes, reasons, times and histories

    assert main(["state", "copy", "--to", pg_url, "--config", config]) == 0
    assert "nothing to copy" in capsys.readouterr().out
    asyncio.run(_history(database, pg_url, moves=2))  # the bot goes on writing to PostgreSQL
    assert main(["state", "copy", "--to", pg_url, "--config", config]) == 0
    assert "nothing to copy" in capsys.readouterr().out
    assert asyncio.run(_event_count(pg_url)) == 10


def test_copy_moves_the_quiz_scores_too(tmp_path, pg_url, capsys):
    """Moving to PostgreSQL keeps every question, answer and score; new questions continue after them."""
    database = tmp_path / "facts.sqlite3"
    asyncio.run(_history(database))
    ids = asyncio.run(_quiz(database))
    before = asyncio.run(_quiz_state(database, None, ids))
    assert before[1][0].top[0].correct >= 1  # there are scores to lose
    config = _config(tmp_path, database)
    assert main(["state", "copy", "--to", pg_url, "--config", config]) == 0
    assert "and 2 quiz questions (5 answers, 3 scores)" in capsys.readouterr().out
    assert asyncio.run(_quiz_state(database, pg_url, ids)) == before
    assert main(["state", "copy", "--to", pg_url, "--config", config]) == 0
    assert "nothing to copy" in capsys.readouterr().out
    later = asyncio.run(_quiz(database, pg_url))
    assert min(later) > max(ids)  # the copied ids are not handed out again


def test_copy_again_after_sqlite_went_on_brings_the_store_up_to_date(tmp_path, pg_url, capsys):
    """Copy, keep running on SQLite a while, copy again: the store had the first part of this very
    history, so it takes the rest (it was refused as another history)."""
    database = tmp_path / "facts.sqlite3"
    asyncio.run(_history(database))
    ids = asyncio.run(_quiz(database))
    config = _config(tmp_path, database)
    assert main(["state", "copy", "--to", pg_url, "--config", config]) == 0
    capsys.readouterr()
    asyncio.run(_history(database, moves=2))  # still on SQLite: two more flags
    ids += asyncio.run(_quiz(database))  # and two more questions, answered
    before, quiz_before = asyncio.run(_state(database, None)), asyncio.run(_quiz_state(database, None, ids))
    assert main(["state", "copy", "--to", pg_url, "--config", config]) == 0
    out = capsys.readouterr().out
    assert "copied 2 newer event(s)" in out and "held the first 8 from an earlier copy" in out and "counts match" in out
    assert asyncio.run(_state(database, pg_url)) == before
    assert asyncio.run(_quiz_state(database, pg_url, ids)) == quiz_before
    assert main(["state", "copy", "--to", pg_url, "--config", config]) == 0
    assert "nothing to copy" in capsys.readouterr().out


def test_copy_refuses_a_store_holding_another_history(tmp_path, pg_url, capsys):
    asyncio.run(_history(tmp_path / "a.sqlite3"))
    assert main(["state", "copy", "--to", pg_url, "--config", _config(tmp_path, tmp_path / "a.sqlite3")]) == 0
    capsys.readouterr()
    other = tmp_path / "b.sqlite3"
    asyncio.run(_history(other, moves=1))
    assert main(["state", "copy", "--to", pg_url, "--config", _config(tmp_path, other)]) == 1
    err = capsys.readouterr().err
    assert "already holds flag events that are not this database's history" in err and "nothing was copied" in err
    assert asyncio.run(_event_count(pg_url)) == 8


def test_an_unreachable_server_is_one_clear_error(tmp_path, capsys, monkeypatch):
    asyncio.run(_history(tmp_path / "a.sqlite3"))
    config = _config(tmp_path, tmp_path / "a.sqlite3")
    nowhere = "postgresql://u:hidden-pw@127.0.0.1:9/none"
    assert main(["state", "copy", "--to", nowhere, "--config", config]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the state store at postgresql://u@127.0.0.1:9/none" in err and "hidden-pw" not in err
    monkeypatch.setenv("FACTBOT_STATE_URL", nowhere)
    assert main(["ask", "/fact bdnf", "--config", config]) == 1
    err = capsys.readouterr().err
    assert err.startswith("state store error: cannot reach") and "Traceback" not in err and "hidden-pw" not in err
    assert main(["state", "copy", "--to", "mysql://x", "--config", config]) == 2
    assert "--to must be empty" in capsys.readouterr().err


def test_backup_and_restore_as_the_readme_says(tmp_path, pg_server, pg_url):
    """pg_dump --format=custom, then pg_restore into an empty database: the disputes and history
    are back, and new flags continue after the restored ones."""
    import subprocess

    database = tmp_path / "facts.sqlite3"
    asyncio.run(_history(database, pg_url))
    dump = tmp_path / "factbot.dump"
    subprocess.run([str(pg_server.bindir / "pg_dump"), "--format=custom", "--file", str(dump), pg_url], check=True)
    restored = pg_server.create_database("restored_" + pg_url.rsplit("/", 1)[1][:40])
    subprocess.run([str(pg_server.bindir / "pg_restore"), "--no-owner", "--dbname", restored, str(dump)], check=True)
    assert asyncio.run(_state(database, restored)) == asyncio.run(_state(database, pg_url))
    asyncio.run(_history(database, restored, moves=1))
    assert asyncio.run(_event_count(restored)) == 9


def test_a_history_left_in_sqlite_is_pointed_out(tmp_path, pg_url, caplog):
    database = tmp_path / "facts.sqlite3"
    asyncio.run(_history(database))
    with caplog.at_level("WARNING", logger="factbot"):
        asyncio.run(_state(database, pg_url))
    assert any("holds 8 flag events" in r.getMessage() and "state copy" in r.getMessage() for r in caplog.records)
    caplog.clear()
    assert main(["state", "copy", "--to", pg_url, "--config", _config(tmp_path, database)]) == 0
    with caplog.at_level("WARNING", logger="factbot"):
        asyncio.run(_state(database, pg_url))
    assert not [r for r in caplog.records if "flag events" in r.getMessage()]
