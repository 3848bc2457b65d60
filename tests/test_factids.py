"""Fact ids under heavy clashing: 2-character ids (1,024 values) for three pages of 285 facts.

Real ids have 8 characters (40 bits), so a clash is rare but certain to happen somewhere in a
large corpus; shrinking the ids makes every path of storage.load.factids run: a clash inside one
page, with a page written earlier in the same batch, with a fact of an earlier batch (found by
the sorted insert at the end of a batch), a reloaded page taking its ids back, and an id the
flag history gave to other content.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import storage.load.factids
import storage.load.loader
import storage.load.prepare
from storage.load.loader import load_paths
from storage.identity import short_id
from storage.load.prepare import prepare
from storage.pages.format import parse_file
from tests.conftest import SEED

TINY = 2


@pytest.fixture
def tiny_ids(monkeypatch):
    for module in (storage.load.prepare, storage.load.factids):
        monkeypatch.setattr(module, "ID_LENGTH", TINY)


NAMES = [("ketamine", "esketamine", "arketamine"), ("Memantine", "nitrous oxide", "zz top")]


@pytest.fixture(params=NAMES, ids=["seed-names", "other-names"])
def pages(tmp_path: Path, request) -> list[Path]:
    """The seed and two copies under other concept names (so every fact key differs); every test
    runs under two sets of names, since which facts clash depends on the names."""
    text = SEED.read_text(encoding="utf-8")
    folder = tmp_path / "pages"
    folder.mkdir()
    paths = []
    for name in request.param:
        path = folder / f"{name}.txt"
        path.write_text(text.replace("\nketamine\n", f"\n{name}\n", 1), encoding="utf-8")
        paths.append(path)
    return paths


def _edit_first_claim(page: Path, target: Path) -> None:
    """Write `page` to `target` with its first claim's text changed (one fact's content)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    first_fact = next(i for i, line in enumerate(lines) if line.startswith("claim"))
    lines[first_fact] += " (edited)"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _check_invariants(db: Path, pages: list[Path]) -> dict[tuple[str, int], str]:
    """Every id unique, indexed and derived from its fact's key; citations point at their page's
    facts. Returns (concept, position) -> id."""
    conn = sqlite3.connect(db)
    try:
        facts = conn.execute(
            "SELECT f.rowid, f.id, c.name, f.position FROM facts f JOIN concepts c ON c.id = f.concept_id"
        ).fetchall()
        indexed = dict(conn.execute("SELECT id, fact FROM fact_ids").fetchall())
        cited = conn.execute(
            "SELECT c.name, f.concept_id = ci.concept_id FROM citations ci JOIN concepts c ON c.id = ci.concept_id"
            " LEFT JOIN facts f ON f.id = ci.fact_id WHERE ci.fact_id IS NOT NULL"
        ).fetchall()
    finally:
        conn.close()
    ids = {(concept, position): fact_id for _, fact_id, concept, position in facts}
    assert len(set(ids.values())) == len(facts) == len(indexed)
    assert {fact_id: rowid for rowid, fact_id, _, _ in facts} == indexed
    keys = {(p.concept, i): key for p in map(prepare, pages) for i, key in enumerate(p.keys)}
    for where, fact_id in ids.items():
        assert fact_id == short_id(keys[where], len(fact_id)), where
    assert sum(len(fact_id) > TINY for fact_id in ids.values()) > 10 * len(pages)  # clash paths ran
    assert cited and all(same_page for _, same_page in cited)
    return ids


def test_one_batch_many_clashes(tiny_ids, pages, tmp_path):
    db = tmp_path / "db.sqlite3"
    report = load_paths(db, pages)
    assert not report.errors and report.facts_added == 3 * 285
    _check_invariants(db, pages)


def test_clashes_with_earlier_batches_and_reloads_keep_ids(tiny_ids, pages, tmp_path, monkeypatch):
    monkeypatch.setattr(storage.load.loader, "BATCH_FACTS", 1)  # every page its own batch
    db = tmp_path / "db.sqlite3"
    load_paths(db, pages[:1])
    load_paths(db, pages[1:])
    before = _check_invariants(db, pages)

    # Edit one fact of each page and reload all three in one batch, in reverse order.
    monkeypatch.setattr(storage.load.loader, "BATCH_FACTS", 100_000)
    for path in pages:
        _edit_first_claim(path, path)
    report = load_paths(db, list(reversed(pages)))
    assert [p.status for p in report.pages] == ["updated"] * 3
    assert all(p.added == 1 and p.removed == 1 and p.kept == 284 for p in report.pages), report.pages
    after = _check_invariants(db, pages)
    changed = {where for where in before if before[where] != after[where]}
    assert len(changed) == 3  # only the edited facts


def test_an_id_flagged_for_other_content_is_skipped(tiny_ids, pages, tmp_path):
    db = tmp_path / "db.sqlite3"
    load_paths(db, pages[:1])
    ids = _check_invariants(db, pages[:1])
    conn = sqlite3.connect(db)
    wanted = (short_id(key, TINY) for key in prepare(pages[1]).keys)
    taken = next(i for i in wanted if i not in ids.values())  # free now, and a fact of the next page wants it
    conn.execute(
        "INSERT INTO flag_events (fact_id, guild_id, action, actor, reason, at, fact_text, fact_key)"
        " VALUES (?, 1, 'flag', 'mod', 'why', '2026-01-01', 'gone', 'a key no fact has')",
        (taken,),
    )
    conn.commit()
    conn.close()
    load_paths(db, pages[1:])
    after = _check_invariants(db, pages)
    assert taken not in after.values()
    first = parse_file(pages[0]).concept
    assert {w: i for w, i in after.items() if w[0] == first} == ids


def test_a_reloaded_page_takes_back_ids_a_new_page_claimed_first(tiny_ids, pages, tmp_path):
    db = tmp_path / "db.sqlite3"
    load_paths(db, pages[:1])
    before = _check_invariants(db, pages[:1])
    seed = pages[0]
    _edit_first_claim(seed, seed)
    # The new page is written first in the batch and wants many ids the seed's facts hold.
    report = load_paths(db, [pages[1], seed])
    assert [(p.status, p.added, p.removed, p.kept) for p in report.pages] == [
        ("added", 285, 0, 0), ("updated", 1, 1, 284)
    ]
    after = _check_invariants(db, pages[:2])
    assert sum(before[w] != after[w] for w in before) == 1


def test_the_same_page_twice_in_one_load_keeps_the_first(tiny_ids, pages, tmp_path):
    """A second file of one concept is refused (it would replace the first within one batch), and
    the first's ids stand as a load of it alone gives them."""
    db = tmp_path / "db.sqlite3"
    again = tmp_path / "again" / "ketamine.txt"
    again.parent.mkdir()
    _edit_first_claim(pages[0], again)
    report = load_paths(db, [pages[0], pages[1], again])
    assert [(p.status, p.kept) for p in report.pages] == [("added", 0), ("added", 0)]
    assert [e.path for e in report.errors] == [str(again)]
    _check_invariants(db, pages[:2])


@pytest.mark.parametrize("concept", ["ketamine", "esketamine", "a concept with another name"])
async def test_a_lengthened_id_survives_an_edit_of_the_fact_it_clashed_with(tiny_ids, tmp_path, concept):
    """B's short id was taken by A, so B got a longer one, and a moderator flagged B. A is edited
    and the page reloaded: B keeps its longer id (not A's freed short one), and its dispute."""
    from storage.library import Library

    path = tmp_path / "page.txt"
    path.write_text(SEED.read_text(encoding="utf-8").replace("\nketamine\n", f"\n{concept}\n", 1), encoding="utf-8")
    keys = prepare(path).keys
    library = await Library.open(tmp_path / "db.sqlite3")
    try:
        await library.load([path])
        ids = await _ids_by_position(library)
        holder = {fact_id: position for position, fact_id in ids.items()}
        b = next(p for p, fact_id in ids.items() if len(fact_id) > TINY and short_id(keys[p], TINY) in holder)
        a = holder[short_id(keys[b], TINY)]
        await library.state.record(ids[b], "B", keys[b], 1, "flag", "disputed B", "mod", None)

        lines = path.read_text(encoding="utf-8").splitlines()
        lines[parse_file(path).facts[a].line - 1] += " (edited)"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        report = await library.load([path])

        after = await _ids_by_position(library)
        assert after[b] == ids[b], "B's id changed: its dispute came loose"
        assert report.pages[0].orphaned_flags == []
        assert list(await library.state.open_disputes([ids[b]], 1)) == [ids[b]]
        assert {p: i for p, i in after.items() if p != a} == {p: i for p, i in ids.items() if p != a}
    finally:
        await library.close()


async def _ids_by_position(library) -> dict[int, str]:
    async with library.conn.execute("SELECT position, id FROM facts") as cursor:
        return {position: fact_id for position, fact_id in await cursor.fetchall()}


@pytest.fixture
def two_clean_pages(tmp_path, monkeypatch) -> list[Path]:
    """With 4-character ids the seed under "ketamine" and under "phencyclidine" has no clash inside
    either page (each can take the fast path), but the two share one id, "usmg"."""
    for module in (storage.load.prepare, storage.load.factids):
        monkeypatch.setattr(module, "ID_LENGTH", 4)
    text = SEED.read_text(encoding="utf-8")
    paths = []
    for name in ("ketamine", "phencyclidine"):
        paths.append(tmp_path / f"{name}.txt")
        paths[-1].write_text(text.replace("\nketamine\n", f"\n{name}\n", 1), encoding="utf-8")
    return paths


def _ids_by_concept(db: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        facts = conn.execute("SELECT f.id, c.name FROM facts f JOIN concepts c ON c.id = f.concept_id").fetchall()
        indexed = conn.execute("SELECT count(*) FROM fact_ids").fetchone()[0]
    finally:
        conn.close()
    assert len({fact_id for fact_id, _ in facts}) == len(facts) == indexed
    return facts


def test_a_page_without_clashes_holds_its_ids_for_the_next_page_of_the_batch(two_clean_pages, tmp_path):
    """The second page must see the first's hold on "usmg" and lengthen its own fact's id, in the batch."""
    db = tmp_path / "db.sqlite3"
    assert not load_paths(db, two_clean_pages).errors
    facts = _ids_by_concept(db)
    assert len(facts) == 2 * 285 and ("usmg", "ketamine") in facts
    longer = [(fact_id, name) for fact_id, name in facts if len(fact_id) > 4]
    assert len(longer) == 1 and longer[0][0].startswith("usmg") and longer[0][1] == "phencyclidine"


def test_a_reloaded_page_keeps_its_lengthened_id_and_says_so(two_clean_pages, tmp_path):
    """Reloaded alone with one other fact edited, the page gets "usmg…" back while the batch is written
    (not first "usmg" and a fix at its end), so the report says kept, and nothing looks orphaned."""
    db = tmp_path / "db.sqlite3"
    load_paths(db, two_clean_pages)
    longer = [fact_id for fact_id, _ in _ids_by_concept(db) if len(fact_id) > 4]
    _edit_first_claim(two_clean_pages[1], two_clean_pages[1])
    report = load_paths(db, two_clean_pages[1:])
    assert [(p.status, p.added, p.removed, p.kept) for p in report.pages] == [("updated", 1, 1, 284)]
    assert longer[0] not in report.pages[0].removed_ids
    assert [fact_id for fact_id, _ in _ids_by_concept(db) if len(fact_id) > 4] == longer


def test_a_copy_of_a_page_in_its_own_batch_is_refused(pages, tmp_path, monkeypatch):
    """The same bytes at a second path, loaded in the same run but in a batch of its own: refused
    as a second file of the concept, and the batch ends without error."""
    monkeypatch.setattr(storage.load.loader, "BATCH_FACTS", 1)
    copy = tmp_path / "copy" / pages[0].name
    copy.parent.mkdir()
    copy.write_bytes(pages[0].read_bytes())
    db = tmp_path / "db.sqlite3"
    report = load_paths(db, [pages[0], copy])
    assert [(p.status, p.kept) for p in report.pages] == [("added", 0)]
    assert [e.path for e in report.errors] == [str(copy)]  # one file per concept, even a byte copy


def test_a_one_fact_page_skips_the_id_the_flag_history_gave_to_other_content(tmp_path):
    """Every id such a page wants is flagged for other content (the only one it wants): it must not
    take it (a dispute would move to a fact it was never about), at the real id length."""
    import random

    from bot.tools.synthetic import page_text, template_from

    page = tmp_path / "pages" / "tiny.txt"
    page.parent.mkdir()
    page.write_text(page_text(0, 1, template_from(SEED), random.Random(1))[0], encoding="utf-8")
    (key,) = prepare(page).keys
    wanted = short_id(key, 8)
    db = tmp_path / "db.sqlite3"
    load_paths(db, [])  # the schema
    conn = sqlite3.connect(db)
    conn.execute(
        "INSERT INTO flag_events (fact_id, guild_id, action, actor, reason, at, fact_text, fact_key)"
        " VALUES (?, 1, 'flag', 'mod', 'why', '2026-01-01', 'gone', 'a key no fact has')",
        (wanted,),
    )
    conn.commit()
    conn.close()
    assert not load_paths(db, [page]).errors
    conn = sqlite3.connect(db)
    try:
        (fact_id,) = [row[0] for row in conn.execute("SELECT id FROM facts")]
    finally:
        conn.close()
    assert fact_id != wanted and fact_id == short_id(key, 9)
