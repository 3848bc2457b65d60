"""The store: stable ids, no-op reloads, changed pages keep flags, failed loads change nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import storage.load.loader
from bot.tools.synthetic import PAGE_FACTS, write_corpus
from storage.answers import footnotes
from storage.library import Library
from storage.identity import ID_LENGTH
from storage.load.loader import load_paths
from tests.conftest import SEED


async def _ids(lib: Library) -> dict[str, str]:
    async with lib.conn.execute("SELECT text, id FROM facts") as cursor:
        return {text: fact_id for text, fact_id in await cursor.fetchall()}


def _snapshot(path: Path) -> dict[str, list]:
    """Every row of every ordinary table, read with plain sqlite3."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'fact_index%'"
            " AND name NOT LIKE 'source_index%' AND name NOT LIKE 'sqlite_%' AND name != 'fact_terms'")]
        return {t: sorted(map(repr, conn.execute(f"SELECT * FROM {t}"))) for t in tables}
    finally:
        conn.close()


async def test_schema_versioned_with_wal_and_foreign_keys(library):
    async with library.conn.execute("PRAGMA user_version") as c:
        assert (await c.fetchone())[0] >= 1
    async with library.conn.execute("PRAGMA journal_mode") as c:
        assert (await c.fetchone())[0] == "wal"
    async with library.conn.execute("PRAGMA foreign_keys") as c:
        assert (await c.fetchone())[0] == 1


async def test_ids_short_unique_and_stable_across_databases(library, tmp_path):
    first = await _ids(library)
    assert len(first) == 285 and len(set(first.values())) == 285
    assert all(len(i) == ID_LENGTH and i.isalnum() and i.islower() for i in first.values())
    other = await Library.open(tmp_path / "other.sqlite3")
    try:
        await other.load([SEED])
        assert await _ids(other) == first
    finally:
        await other.close()


async def test_unchanged_page_is_a_no_op(library):
    before = await _ids(library)
    report = await library.load([SEED])
    assert [p.status for p in report.pages] == ["unchanged"]
    assert (report.facts_added, report.facts_removed, report.facts_kept) == (0, 0, 285)
    assert await _ids(library) == before


async def test_a_page_an_older_parser_loaded_is_read_again_with_its_ids_kept(library, monkeypatch):
    """A new parser may read the same bytes into more (an acronym it learns): the next load reads
    a page loaded before it again, and every fact keeps its id and its flags."""
    import storage.pages.format as page_format

    await library.flag(next(iter((await _ids(library)).values())), "disputed before the upgrade", "mod", 1)
    before = await _ids(library)
    monkeypatch.setattr(page_format, "PARSER_VERSION", page_format.PARSER_VERSION + 1)
    report = await library.load([SEED])
    assert [(p.status, p.added, p.removed, p.kept) for p in report.pages] == [("updated", 0, 0, len(before))]
    assert await _ids(library) == before
    assert len(await library.disputes(guild_id=1)) == 1
    again = await library.load([SEED])  # and then it is unchanged again
    assert [p.status for p in again.pages] == ["unchanged"]


async def test_changed_page_keeps_flags_on_surviving_facts(tmp_path, seed_copy):
    lib = await Library.open(tmp_path / "db.sqlite3")
    try:
        await lib.load([seed_copy])
        ids = await _ids(lib)
        kept_text = next(t for t in ids if t.startswith("Ketamine increases BDNF levels"))
        gone_text = next(t for t in ids if t.startswith("Experiences of death and dying"))
        await lib.flag(ids[kept_text], "dose claim is overstated", "mod", guild_id=1)
        await lib.flag(ids[gone_text], "no source given", "mod", guild_id=1)
        lines = seed_copy.read_text(encoding="utf-8").splitlines()
        gone_line = next(i for i, l in enumerate(lines) if l.endswith(gone_text))
        del lines[gone_line]
        lines = [l.replace("195 facts", "194 facts").replace("Facts (285)", "Facts (284)") for l in lines]
        seed_copy.write_text("\n".join(lines) + "\n", encoding="utf-8")
        report = await lib.load([seed_copy])
        page = report.pages[0]
        assert (page.status, page.added, page.removed, page.kept) == ("updated", 0, 1, 284)
        assert page.orphaned_flags == [ids[gone_text]]
        after = await _ids(lib)
        assert after[kept_text] == ids[kept_text]
        fact = await lib.fact_by_id(ids[kept_text])
        assert fact.disputed and fact.dispute_reasons == ["dose claim is overstated"]
        history = await lib.history(ids[gone_text])
        assert [e.reason for e in history] == ["no source given"]
        texts = await lib.dispute_fact_texts([ids[gone_text]])
        assert texts[ids[gone_text]] == gone_text
    finally:
        await lib.close()


async def test_failed_load_leaves_database_unchanged(tmp_path, seed_copy):
    db_path = tmp_path / "db.sqlite3"
    lib = await Library.open(db_path)
    try:
        await lib.load([seed_copy])
        before = _snapshot(db_path)
        text = seed_copy.read_text(encoding="utf-8").replace("Facts (285)", "Facts (999)")
        seed_copy.write_text(text, encoding="utf-8")
        report = await lib.load([seed_copy])
        assert report.pages == [] and len(report.errors) == 1
        assert "ketamine.txt:33" in str(report.errors[0])
        assert _snapshot(db_path) == before
    finally:
        await lib.close()


async def test_error_midway_through_a_page_rolls_back(tmp_path, monkeypatch):
    import storage.load.loader as loader

    db_path = tmp_path / "db.sqlite3"
    lib = await Library.open(db_path)
    try:
        before = _snapshot(db_path)

        def explode(*args, **kwargs):
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(loader, "_insert_text", explode)
        with pytest.raises(RuntimeError):
            await lib.load([SEED])
        assert _snapshot(db_path) == before
    finally:
        await lib.close()


async def test_load_directory_reports_bad_pages_and_loads_good_ones(tmp_path, seed_copy):
    bad = seed_copy.parent / "broken.txt"
    bad.write_text("concept\n\nnothing else\n", encoding="utf-8")
    lib = await Library.open(tmp_path / "db.sqlite3")
    try:
        report = await lib.load([seed_copy.parent])
        assert [p.concept for p in report.pages] == ["ketamine"]
        assert len(report.errors) == 1 and "broken.txt" in str(report.errors[0])
    finally:
        await lib.close()


async def test_citations_stored_with_fact_ids(library):
    answer = await library.synthesis()
    first = answer.paragraphs[0]
    cited = [c for c in first.citations if c.number == 28][0]
    fact = await library.fact_by_id(cited.fact_id)
    assert fact.text.startswith("Ketamine and phencyclidine (PCP) are synthetic drugs")
    unresolved = [c for p in answer.perspectives for c in p.citations if c.fact_id is None]
    assert unresolved and all(c.kind == "number" for c in unresolved)


async def test_a_synthesis_carries_every_fact_it_cites_numbered_as_its_footnotes(library):
    await library.flag("ketamine and phencyclidine (pcp) are synthetic drugs", "not only synthetic", "mod", guild_id=7)
    answer = await library.synthesis(guild_id=7)
    cited = [c.fact_id for b in answer.paragraphs + answer.perspectives for c in b.citations if c.fact_id]
    assert set(answer.cited) == set(cited) and all(answer.cited[i].id == i for i in cited)
    assert [f.id for f in answer.cited.values() if f.disputed] == [c.fact_id for c in answer.paragraphs[0].citations
                                                                   if c.number == 28]
    numbers = footnotes(answer.paragraphs)
    first_seen = list(dict.fromkeys(c.fact_id for p in answer.paragraphs for c in p.citations if c.fact_id))
    assert list(numbers) == first_seen and list(numbers.values()) == list(range(1, len(first_seen) + 1))
    assert list(footnotes([answer.perspectives[0]]).values())[0] == 1  # a perspective shown alone starts at [1]


async def test_an_id_the_history_gives_other_content_is_never_reused(tmp_path):
    """A clash (same 40-bit prefix, other content) lengthens only the clashing id."""
    import sqlite3 as plain

    from storage.identity import short_id

    probe = await Library.open(tmp_path / "probe.sqlite3")
    await probe.load([SEED])
    expected = await _ids(probe)
    await probe.close()
    text, clashing = next(iter(expected.items()))
    db = tmp_path / "db.sqlite3"
    lib = await Library.open(db)
    await lib.close()
    conn = plain.connect(db)
    conn.execute("INSERT INTO flag_events (fact_id, guild_id, action, actor, reason, at, fact_text, fact_key)"
                 " VALUES (?, 1, 'flag', 'mod', 'old', '2026-01-01', 'another fact', 'another key')", (clashing,))
    conn.commit()
    conn.close()
    lib = await Library.open(db)
    try:
        await lib.load([SEED])
        ids = await _ids(lib)
        assert ids[text] != clashing and ids[text].startswith(clashing) and len(ids[text]) == ID_LENGTH + 1
        assert {t: i for t, i in ids.items() if t != text} == {t: i for t, i in expected.items() if t != text}
        assert short_id("00" * 32, ID_LENGTH + 1).startswith(short_id("00" * 32, ID_LENGTH))
    finally:
        await lib.close()


def test_two_files_of_one_concept_in_one_load_the_second_is_refused(tmp_path):
    """They replaced each other on every load (the report saying 'updated' and 'unchanged' at once)."""
    folder = tmp_path / "pages"
    folder.mkdir()
    text = SEED.read_text(encoding="utf-8")
    (folder / "a.txt").write_text(text, encoding="utf-8")
    (folder / "b.txt").write_text(text.replace("230 minutes", "999 minutes").replace("\nketamine\n", "\nKetamine\n", 1),
                                  encoding="utf-8")
    db = tmp_path / "db.sqlite3"
    for _ in range(3):
        report = load_paths(db, [folder])
        assert [(Path(p.path).name, p.concept) for p in report.pages] == [("a.txt", "ketamine")]
        (error,) = report.errors
        assert error.path.endswith("b.txt") and "also the concept of" in str(error) and "a.txt" in str(error)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM facts WHERE text LIKE '%999 minutes%'").fetchone()[0] == 0
    conn.close()


def test_the_last_pages_are_committed_on_their_own(tmp_path, monkeypatch):
    """The last commit, which nothing overlaps, holds only the last FINAL_PAGES pages: the batch
    before them is committed when they are all that is left, however small it is."""
    pages = tmp_path / "pages"
    list(write_corpus(pages, 6 * PAGE_FACTS, SEED))
    monkeypatch.setattr(storage.load.loader, "BATCH_FACTS", 10**9)  # else one batch for all six
    monkeypatch.setattr(storage.load.loader, "FINAL_PAGES", 2)
    db = tmp_path / "f.sqlite3"
    seen: dict[int, int] = {}

    def progress(number: int, total: int, outcome: object) -> None:
        reader = sqlite3.connect(db)  # another connection sees committed pages only
        seen[number] = reader.execute("SELECT count(*) FROM concepts").fetchone()[0]
        reader.close()

    load_paths(db, [pages], progress)
    assert seen == {1: 0, 2: 0, 3: 0, 4: 4, 5: 4, 6: 4}  # the last two are committed after the loop
    assert sqlite3.connect(db).execute("SELECT count(*) FROM concepts").fetchone()[0] == 6
