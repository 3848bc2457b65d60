"""The state store's promises, held by both back ends (SQLite and a real PostgreSQL), and the
library asking it once per answer."""

from __future__ import annotations

import sqlite3

import asyncpg
import pytest

from bot.console import Console
from storage import db
from storage.library import Library
from storage.state import NotDisputed, StateUnavailable, open_state
from tests.conftest import SEED

GUILD, OTHER = 1400000000000000001, 1400000000000000002


@pytest.fixture
async def store(tmp_path, state_url):
    conn = await db.connect(tmp_path / "facts.sqlite3")
    state = await open_state(state_url, conn)
    try:
        yield state
    finally:
        await state.close()
        await conn.close()


async def _flag(store, fact_id: str, reason: str, guild: int = GUILD, actor: str = "mod", text: str = "a fact"):
    return await store.record(fact_id, text, f"key-{fact_id}", guild, "flag", reason, actor, 7)


async def _unflag(store, fact_id: str, reason: str = "fixed", guild: int = GUILD):
    return await store.record(fact_id, "a fact", f"key-{fact_id}", guild, "unflag", reason, "mod", 7)


async def _raw(store, sql: str) -> None:
    """Run SQL straight against the back end's own database, bypassing the store's methods."""
    if hasattr(store, "pool"):
        await store.pool.execute(sql)
    else:
        await store.conn.execute(sql)


async def test_flag_opens_a_dispute_that_collects_reasons(store):
    first = await _flag(store, "aaaaaaaa", "overstated", actor="alice")
    await _flag(store, "aaaaaaaa", "no human data", actor="bob")
    await _flag(store, "aaaaaaaa", "still overstated", actor="alice")
    found = await store.open_disputes(["aaaaaaaa", "bbbbbbbb"], GUILD)
    assert list(found) == ["aaaaaaaa"]
    (dispute,) = found["aaaaaaaa"]
    assert dispute.reasons == ("overstated", "no human data", "still overstated")
    assert dispute.flagged_by == ("alice", "bob") and dispute.guild_id == GUILD
    assert dispute.flagged_at == first.at and first.at.endswith("+00:00")


async def test_unflag_closes_and_a_later_flag_starts_afresh(store):
    await _flag(store, "aaaaaaaa", "wrong year")
    await _unflag(store, "aaaaaaaa", "checked: right year")
    assert await store.open_disputes(["aaaaaaaa"], GUILD) == {}
    with pytest.raises(NotDisputed):
        await _unflag(store, "aaaaaaaa", "again")
    await _flag(store, "aaaaaaaa", "wrong journal")
    (dispute,) = (await store.open_disputes(["aaaaaaaa"], GUILD))["aaaaaaaa"]
    assert dispute.reasons == ("wrong journal",)
    history = await store.history("aaaaaaaa", GUILD)
    assert [(e.action, e.reason) for e in history] == [
        ("flag", "wrong year"), ("unflag", "checked: right year"), ("flag", "wrong journal")]


async def test_refused_unflag_writes_nothing(store):
    with pytest.raises(NotDisputed):
        await _unflag(store, "cccccccc")
    assert await store.history("cccccccc", None) == [] and await store.flagged_keys() == {}


async def test_guilds_are_separate(store):
    await _flag(store, "aaaaaaaa", "here", GUILD)
    await _flag(store, "aaaaaaaa", "there", OTHER)
    await _flag(store, "bbbbbbbb", "there too", OTHER)
    assert [d.reasons for d in (await store.open_disputes(["aaaaaaaa"], GUILD))["aaaaaaaa"]] == [("here",)]
    every = await store.open_disputes(["aaaaaaaa", "bbbbbbbb"], None)
    assert sorted(d.guild_id for d in every["aaaaaaaa"]) == [GUILD, OTHER]
    assert {(d.fact_id, d.guild_id) for d in await store.disputes(OTHER)} == {("aaaaaaaa", OTHER), ("bbbbbbbb", OTHER)}
    assert len(await store.disputes(None)) == 3
    await _unflag(store, "aaaaaaaa", guild=OTHER)
    assert [d.guild_id for d in (await store.open_disputes(["aaaaaaaa"], None))["aaaaaaaa"]] == [GUILD]
    assert [e.reason for e in await store.history("aaaaaaaa", OTHER)] == ["there", "fixed"]
    assert len(await store.history("aaaaaaaa", None)) == 3


async def test_many_ids_in_one_question(store):
    ids = [f"f{n:07d}" for n in range(1200)]  # more than a bound-variable list would hold in one go
    for fact_id in ids[::100]:
        await _flag(store, fact_id, "checked")
    found = await store.open_disputes(ids + ids[:10], GUILD)
    assert sorted(found) == ids[::100]
    assert await store.open_disputes([], GUILD) == {}


async def test_texts_and_keys_the_history_keeps(store):
    await _flag(store, "aaaaaaaa", "r", text="old wording")
    await _unflag(store, "aaaaaaaa")
    await store.record("aaaaaaaa", "new wording", "key-aaaaaaaa", GUILD, "flag", "r2", "mod", None)
    await _flag(store, "bbbbbbbb", "r", text="other")
    assert await store.flagged_texts(["aaaaaaaa", "bbbbbbbb", "zzzzzzzz"]) == {"aaaaaaaa": "new wording",
                                                                                "bbbbbbbb": "other"}
    assert await store.flagged_keys() == {"aaaaaaaa": "key-aaaaaaaa", "bbbbbbbb": "key-bbbbbbbb"}
    assert (await store.history("aaaaaaaa", GUILD))[-1].actor_id is None


async def test_history_is_append_only_in_the_database(store):
    await _flag(store, "aaaaaaaa", "r")
    for sql in ("UPDATE flag_events SET reason = 'rewritten'", "DELETE FROM flag_events"):
        with pytest.raises((sqlite3.IntegrityError, asyncpg.RestrictViolationError)):
            await _raw(store, sql)
    assert [e.reason for e in await store.history("aaaaaaaa", None)] == ["r"]


async def test_one_open_dispute_per_fact_and_guild_is_enforced_by_the_database(store):
    await _flag(store, "aaaaaaaa", "r")
    if hasattr(store, "pool"):
        second = ("INSERT INTO disputes (fact_id, guild_id, opened_at, updated_at)"
                  f" VALUES ('aaaaaaaa', {GUILD}, now(), now())")
    else:
        second = ("INSERT INTO flags (fact_id, guild_id, status, opened_event, opened_at, updated_at)"
                  f" VALUES ('aaaaaaaa', {GUILD}, 'open', 1, 'x', 'x')")
    with pytest.raises((sqlite3.IntegrityError, asyncpg.UniqueViolationError)):
        await _raw(store, second)


class CountingState:
    """The real store, with every call to it counted."""

    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, []

    def __getattr__(self, name: str):
        method = getattr(self.inner, name)

        async def counted(*args, **kwargs):
            self.calls.append(name)
            return await method(*args, **kwargs)

        return counted


async def test_every_answer_asks_the_store_once(tmp_path, state_url):
    """/fact (search and id), /source (one and all), /synthesis and /disputes: one store query each,
    with markers present, on both back ends. PostgreSQL's own statement count is checked too."""
    statements: list[str] = []

    async def log_queries(conn) -> None:
        conn.add_query_logger(lambda record: statements.append(record.query))

    conn = await db.connect(tmp_path / "facts.sqlite3")
    if state_url:
        from storage.state.postgres import PostgresState

        state = await PostgresState.connect(state_url, init=log_queries)
    else:
        state = await open_state(None, conn)
    counting = CountingState(state)
    library = Library(conn, tmp_path / "facts.sqlite3", counting)
    try:
        await library.load([SEED])
        console = Console(library, "tester", guild_id=GUILD)
        flagged = [f.id for f in (await library.fact("ketamine", limit=8)).results]
        for fact_id in flagged:
            assert "error" not in (await console.run(f"/flag {fact_id} reason:checked"))[0]
        for line, marked in ((f"/fact {flagged[0]}", "disputed"), ("/fact ketamine", "disputed"),
                             ("/source", None), ("/source yaden", None), ("/synthesis", None),
                             ("/disputes", "results")):
            counting.calls.clear()
            statements.clear()
            data, _ = await console.run(line)
            assert "error" not in data, (line, data)
            assert counting.calls in (["open_disputes"], ["disputes"]), (line, counting.calls)
            if state_url:
                assert len(statements) == 1, (line, statements)
            if marked:
                assert marked in str(data) and any(f in str(data) for f in flagged), line
    finally:
        await library.close()


class GoneAfterWrites(CountingState):
    """The real store, lost just after it confirms the next write while `going` is set."""

    going = gone = False

    def __getattr__(self, name: str):
        method = super().__getattr__(name)

        async def call(*args, **kwargs):
            if self.gone:
                raise StateUnavailable("gone")
            result = await method(*args, **kwargs)
            self.gone = self.going and name == "record"
            return result

        return call


async def _flag_then_lose(library, state, action: str, fact_id: str, reason: str, actor: str):
    state.going = True
    try:
        return await getattr(library, action)(fact_id, reason, actor, GUILD)
    finally:
        state.going = state.gone = False


async def test_a_confirmed_write_is_reported_even_if_reading_it_back_fails(tmp_path):
    """The store confirms a flag, then goes before the fact can be read back: the moderator is told
    "Flagged" with the dispute as the write left it, not "unreachable" (which would invite a repeat)."""
    conn = await db.connect(tmp_path / "facts.sqlite3")
    state = GoneAfterWrites(await open_state(None, conn))
    library = Library(conn, tmp_path / "facts.sqlite3", state)
    try:
        await library.load([SEED])
        fact_id, fresh = [f.id for f in (await library.fact("bdnf", limit=2)).results]
        await library.flag(fact_id, "overstated", "alice", GUILD)
        added = await _flag_then_lose(library, state, "flag", fact_id, "no human data", "bob")
        assert added.already_disputed
        assert [(d.reasons, d.flagged_by) for d in added.fact.disputes] == \
            [(("overstated", "no human data"), ("alice", "bob"))]
        assert added.fact.disputes == (await library.fact_by_id(fact_id, GUILD)).disputes
        resolved = await _flag_then_lose(library, state, "unflag", fact_id, "fixed", "carol")
        assert resolved.fact.disputes == () == (await library.fact_by_id(fact_id, GUILD)).disputes
        assert [e.reason for e in await library.history(fact_id)] == ["overstated", "no human data", "fixed"]
        opened = await _flag_then_lose(library, state, "flag", fresh, "check the dose", "dan")
        assert opened.fact.disputes == (await library.fact_by_id(fresh, GUILD)).disputes
        assert [(d.guild_id, d.reasons) for d in opened.fact.disputes] == [(GUILD, ("check the dose",))]
    finally:
        await library.close()


async def test_disputes_opened_in_one_second_are_newest_first(store):
    for fact_id in ("zzzzzzzz", "aaaaaaaa", "mmmmmmmm"):  # ids in no order; opened well within a second
        await _flag(store, fact_id, "why")
    assert [d.fact_id for d in await store.disputes(GUILD)] == ["mmmmmmmm", "aaaaaaaa", "zzzzzzzz"]
