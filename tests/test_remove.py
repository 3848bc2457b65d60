"""Removing pages: a concept by name (the CLI asks first), the concepts whose file left a folder
(load --prune); flags stay in the history, and a library already open (a running bot) sees it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.tools.synthetic import PAGE_FACTS, write_corpus
from storage.answers import Missing
from storage.library import Library, Refusal
from tests.conftest import ROOT, SEED
from tests.test_loader import _snapshot


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The seed and two generated pages in one folder."""
    pages = tmp_path / "pages"
    list(write_corpus(pages, 2 * PAGE_FACTS, SEED))
    shutil.copy(SEED, pages / "ketamine.txt")
    return pages


@pytest.fixture
async def loaded(tmp_path: Path, folder: Path):
    lib = await Library.open(tmp_path / "db.sqlite3")
    report = await lib.load([folder])
    assert not report.errors and len(report.pages) == 3
    try:
        yield lib
    finally:
        await lib.close()


async def _fact_count(lib: Library) -> int:
    async with lib.conn.execute("SELECT count(*) FROM facts") as cursor:
        return (await cursor.fetchone())[0]


async def test_remove_deletes_the_page_and_keeps_its_flags_in_the_history(loaded):
    fact = (await loaded.fact("BDNF levels", concept="ketamine")).results[0]
    await loaded.flag(fact.id, "overstated", "mod", guild_id=1)
    assert (await loaded.concept_size("KETAMINE")) == ("ketamine", 285, 1)
    report = await loaded.remove("Ketamine")
    assert (report.concept, report.status, report.removed) == ("ketamine", "removed", 285)
    assert report.orphaned_flags == [fact.id]
    assert await loaded.concepts() == ["synthetic concept 000000", "synthetic concept 000001"]
    assert await _fact_count(loaded) == 2 * PAGE_FACTS
    assert await loaded.fact_by_id(fact.id) is None
    assert [e.reason for e in await loaded.history(fact.id)] == ["overstated"]
    assert (await loaded.dispute_fact_texts([fact.id]))[fact.id] == fact.text
    # Search forgot the page: its words and its sources are gone.
    assert not [r for r in (await loaded.fact("psilocybin ketamine")).results if r.concept == "ketamine"]
    assert [s for s in (await loaded.source("yaden")).results if s.source.concept == "ketamine"] == []


async def test_a_dispute_whose_fact_is_gone_can_still_be_resolved_but_not_flagged_anew(loaded):
    """Its page is removed: the dispute stays open in /disputes until a moderator resolves it."""
    fact = (await loaded.fact("BDNF levels", concept="ketamine")).results[0]
    await loaded.flag(fact.id, "overstated", "mod", guild_id=1)
    await loaded.remove("ketamine")
    with pytest.raises(Refusal, match="No fact"):
        await loaded.flag(fact.id, "again", "mod", guild_id=1)
    with pytest.raises(Refusal, match="No fact has the id"):
        await loaded.unflag(fact.id, "not disputed in this guild", "mod", guild_id=2)
    resolved = await loaded.unflag(fact.id.upper(), "the page was withdrawn", "mod", guild_id=1)
    assert (resolved.fact.id, resolved.fact.text, resolved.fact.disputes) == (fact.id, fact.text, ())
    assert resolved.fact.source.title == "no longer on any loaded page" and resolved.fact.source.url == ""
    assert await loaded.disputes(1) == []
    events = await loaded.history(fact.id)
    assert [(e.action, e.reason) for e in events] == [("flag", "overstated"), ("unflag", "the page was withdrawn")]
    async with loaded.conn.execute("SELECT DISTINCT fact_key FROM flag_events WHERE fact_id = ?", (fact.id,)) as cursor:
        assert len(await cursor.fetchall()) == 1  # the unflag is recorded under the key it was flagged under
    with pytest.raises(Refusal, match="No fact has the id"):
        await loaded.unflag(fact.id, "twice", "mod", guild_id=1)


async def test_removing_an_unknown_concept_changes_nothing(loaded):
    before = _snapshot(loaded.path)
    missing = await loaded.remove("ketamin")
    assert isinstance(missing, Missing) and "ketamine" in missing.choices
    assert isinstance(await loaded.concept_size("ketamin"), Missing)
    assert _snapshot(loaded.path) == before


async def test_prune_removes_only_the_concepts_whose_file_left_the_folder(tmp_path, folder, loaded):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = elsewhere / "esketamine.txt"  # a concept loaded from another folder
    other.write_text(SEED.read_text(encoding="utf-8").replace("\nketamine\n", "\nesketamine\n", 1), encoding="utf-8")
    assert (await loaded.load([elsewhere])).pages[0].concept == "esketamine"
    (folder / "page_000000.txt").unlink()
    (folder / "page_000001.txt").rename(folder / "renamed.txt")  # moved, not gone
    (folder / "ketamine.txt").write_text("concept\nbroken\n", encoding="utf-8")  # unreadable, but there
    report = await loaded.load([folder], prune=True)
    assert [(p.concept, p.status) for p in report.pages] == [
        ("synthetic concept 000001", "unchanged"), ("synthetic concept 000000", "removed")]
    assert len(report.errors) == 1
    assert await loaded.concepts() == ["esketamine", "ketamine", "synthetic concept 000001"]
    # The renamed file is where the page is recorded now: removing it later prunes the concept.
    (folder / "renamed.txt").unlink()
    report = await loaded.load([folder], prune=True)
    assert [(p.concept, p.status) for p in report.pages] == [("synthetic concept 000001", "removed")]


async def test_prune_needs_folders(loaded):
    before = _snapshot(loaded.path)
    with pytest.raises(Refusal, match="not a folder"):
        await loaded.load([SEED], prune=True)
    assert _snapshot(loaded.path) == before


def _cli(*args: str, config: Path, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args, "--config", str(config)], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120)


def _config(tmp_path: Path, folder: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndatabase = "{tmp_path / "db.sqlite3"}"\nseeds = "{folder}"\n', encoding="utf-8")
    return config


async def test_cli_asks_before_removing_and_a_running_library_sees_it(tmp_path, folder, loaded):
    config = _config(tmp_path, folder)
    before = (await loaded.fact("neuroplasticity", concept="ketamine")).total
    assert before > 0
    declined = _cli("remove", "ketamine", config=config, stdin="n\n")
    assert declined.returncode == 1 and "[y/N]" in declined.stdout and "nothing was removed" in declined.stdout
    unknown = _cli("remove", "ketamin", "--yes", config=config)
    assert unknown.returncode == 1 and "no concept is named 'ketamin'" in unknown.stderr
    assert await loaded.concepts() == ["ketamine", "synthetic concept 000000", "synthetic concept 000001"]
    removed = _cli("remove", "ketamine", "--yes", config=config)
    assert removed.returncode == 0 and "removed 'ketamine': 285 facts" in removed.stdout
    # The library opened before (as a running bot's is) answers from the new data at once.
    assert await loaded.concepts() == ["synthetic concept 000000", "synthetic concept 000001"]
    assert isinstance((await loaded.fact("neuroplasticity", concept="ketamine")).missing, Missing)
    reloaded = _cli("load", str(folder), config=config)
    assert reloaded.returncode == 0 and "1 added, 2 unchanged" in reloaded.stdout
    assert (await loaded.fact("neuroplasticity", concept="ketamine")).total == before
    (folder / "page_000000.txt").unlink()
    pruned = _cli("load", "--prune", str(folder), config=config)
    assert pruned.returncode == 0 and "1 removed, 2 unchanged" in pruned.stdout
    assert "removed (file no longer in the folder): synthetic concept 000000" in pruned.stdout
    assert pruned.stdout.splitlines()[0].endswith(" s")  # the timing ends the summary, not a warning


async def test_a_database_emptied_on_purpose_is_not_seeded_again(tmp_path):
    path = tmp_path / "db.sqlite3"
    library = await Library.open_seeded(path, SEED)
    try:
        assert await library.concepts() == ["ketamine"]
        await library.remove("ketamine")
    finally:
        await library.close()
    again = await Library.open_seeded(path, SEED)
    try:
        assert await again.concepts() == []  # the first start seeds; a later one leaves it as it was left
    finally:
        await again.close()
