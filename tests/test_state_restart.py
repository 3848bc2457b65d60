"""PostgreSQL restarted under a running bot: the command in flight and those sent while it is down
get a polite answer (no traceback), and the bot goes on once it is back, without a restart.

The flag in flight is an honest "may or may not have been recorded": a fast shutdown ends the
session holding the lock first, so the waiting flag can win the lock and commit before its own
session ends, and its reply can be lost with the session. So the moderator hears "Flagged" (the
write was confirmed, even if reading it back failed) or "may or may not have been recorded"; either
way it is all or nothing, and what the store says afterwards is what shows."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from storage.library import Library
from tests.conftest import SEED
from tests.fakediscord.harness import GUILD, MOD_ROLE, MODERATOR, running_bot

POLITE = "The dispute store is not reachable right now"
UNSURE = "may or may not have been recorded"


def _options(fact_id: str, reason: str) -> list[dict]:
    return [{"name": "fact", "type": 3, "value": fact_id}, {"name": "reason", "type": 3, "value": reason}]


def _said(requests) -> str:
    return " ".join(str((r.body.get("data") or r.body)) for r in requests if isinstance(r.body, dict))


def _in_flight_answer(requests, interaction_id: str) -> str:
    """What the moderator was told about the flag in flight, once told (else "")."""
    said = _said(r for r in requests if r.interaction_id == interaction_id)
    return said if UNSURE in said or "Flagged" in said else ""


async def _waiting_on_a_lock(url: str) -> None:
    """Until some session of the store waits on a lock (the flag held back by the test)."""
    watcher = await asyncpg.connect(url)
    try:
        for _ in range(500):
            if await watcher.fetchval("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"):
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the flag never waited on the lock")
    finally:
        await watcher.close()


async def test_postgres_restart_mid_run(tmp_path, pg_server, pg_url, caplog):
    library = await Library.open(tmp_path / "facts.sqlite3", pg_url)
    await library.load([SEED])
    facts = [f.id for f in (await library.fact("ketamine", limit=3)).results]
    moderator = {"user_id": MODERATOR, "roles": [MOD_ROLE]}
    try:
        with caplog.at_level(logging.WARNING):
            async with running_bot(library) as run:
                before = await run.interact("flag", _options(facts[0], "before the restart"), **moderator)
                assert "Flagged" in _said(before)

                # A flag in flight when the server stops: held back by a table lock until then.
                locker = await asyncpg.connect(pg_url)
                await locker.execute("BEGIN; LOCK TABLE disputes IN EXCLUSIVE MODE")
                payload = run.fake.interaction("flag", _options(facts[1], "in flight"), guild_id=GUILD, **moderator)
                in_flight = await run.fake.send_interaction(payload)
                await _waiting_on_a_lock(pg_url)
                await asyncio.to_thread(pg_server.stop, "fast")
                await run.fake.wait_for(
                    lambda rs: _in_flight_answer(rs, in_flight), timeout=15)
                locker.terminate()

                while_down = await run.interact("fact", [{"name": "query", "type": 3, "value": "bdnf"}])
                assert POLITE in _said(while_down)

                await asyncio.to_thread(pg_server.start)
                after = await run.interact("flag", _options(facts[2], "after the restart"), **moderator)
                assert "Flagged" in _said(after)
                shown = await run.interact("fact", [{"name": "query", "type": 3, "value": facts[0]}])
                assert "⚠ Disputed" in _said(shown) and "before the restart" in _said(shown)
                unsure = _said(await run.interact("fact", [{"name": "query", "type": 3, "value": facts[1]}]))
                told = _in_flight_answer(run.fake.requests, in_flight)
                if UNSURE in told:
                    assert f"/fact {facts[1]}" in told
                assert run.fake.violations == []
        history = {f: [e.reason for e in await library.history(f)] for f in facts}
        in_flight_recorded = history.pop(facts[1])
        assert history == {facts[0]: ["before the restart"], facts[2]: ["after the restart"]}
        assert in_flight_recorded in ([], ["in flight"])
        if "Flagged" in told:
            assert in_flight_recorded == ["in flight"]
        assert ("⚠ Disputed" in unsure) == bool(in_flight_recorded), "the answer shows what the store holds"
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], \
            [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert any("state store unreachable" in r.getMessage() and not r.exc_info for r in caplog.records)
        assert "Sorry, something went wrong" not in _said(run.fake.requests)
    finally:
        if not pg_server.running:
            pg_server.start()
        await library.close()
