"""Fact identity is a promise to moderators: a fact that keeps its content keeps its id, so its
dispute stays attached. These are the ids of the bundled page as the first release gave them;
if this test fails, the id scheme changed, and every dispute in every server would come loose on
upgrade unless a migration maps the flag history's old ids to the new ones (with its own test)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from storage.identity import fact_key_of, fact_keys, short_id, short_ids, stored_fact_keys, stored_key, stored_keys
from storage.library import Library
from storage.load.prepare import prepare
from storage.pages.format import parse_file
from tests.conftest import SEED

GOLDEN = {
    # id: (type, the fact's opening words) -- read off the bundled page loaded by the first release
    "7lm2vnhe": ("procedure", "The Montreal model clinical team proposes a trial of benzodi"),
    "7n2dipzp": ("measurement", "The Montreal model's six intravenous ketamine treatments pro"),
    "bovg4h6j": ("reference", "Ceban et al. (2021) reviewed the prevention and management o"),
    "uojd7fxk": ("claim", "Psychedelic-assisted psychotherapy models for psilocybin are"),
    "xydjt5x4": ("claim", "Ketamine exhibits a dual profile regarding neurogenesis and "),
    "wcfeusqp": ("reference", "The study 'Consciousness and complexity during unresponsiven"),
}


async def test_golden_ids_of_the_bundled_page(library):
    for fact_id, (fact_type, opening) in GOLDEN.items():
        fact = await library.fact_by_id(fact_id)
        assert fact is not None, f"{fact_id} is gone: the id scheme changed"
        assert (fact.type, fact.text[: len(opening)]) == (fact_type, opening)


def test_the_key_is_a_hash_of_concept_source_type_and_text():
    page = parse_file(SEED)
    first, source = page.facts[0], page.sources[page.facts[0].source_index]
    expected = hashlib.sha256(
        "\x1f".join(("ketamine", source.title, source.domain, first.type, first.text)).encode()
    ).hexdigest()
    assert fact_keys(page)[0] == fact_key_of(page.concept, source.title, source.domain, first.type, first.text) == expected
    assert short_id(expected, 8) == "7lm2vnhe"


def _with_a_repeat(folder: Path) -> tuple[Path, int]:
    """The seed with its first procedure written twice under its source; returns the page and the
    repeat's position among the page's facts."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("procedure"))
    header = max(i for i in range(first) if lines[i].endswith(" facts"))
    count = int(lines[header].rsplit(" ", 2)[-2])
    lines[header] = lines[header][: -len(f"{count} facts")] + f"{count + 1} facts"
    lines.insert(first + 1, lines[first])
    lines = [line.replace("Facts (285)", "Facts (286)") for line in lines]
    path = folder / "ketamine.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    facts = parse_file(path).facts
    repeat = next(i for i in range(1, len(facts)) if facts[i].text == facts[i - 1].text)
    return path, repeat


def test_stored_keys_agree_with_parsed_keys_for_repeated_facts(tmp_path):
    """A fact repeated under one source gets a key of its own; the loader and the flag history
    compute the same one, from the page and from the stored rows."""
    path, _ = _with_a_repeat(tmp_path)
    page = parse_file(path)
    keys = fact_keys(page)
    assert len(set(keys)) == len(keys) == 286
    rows = [(page.sources[f.source_index].title, page.sources[f.source_index].domain, f.type, f.text) for f in page.facts]
    assert stored_fact_keys(page.concept, rows) == keys


async def test_a_flag_on_a_repeated_fact_survives_a_reload(tmp_path):
    path, repeat = _with_a_repeat(tmp_path)
    key = prepare(path).keys[repeat]
    repeat_id = short_id(key, 8)
    library = await Library.open(tmp_path / "db.sqlite3")
    try:
        await library.load([path])
        await library.flag(repeat_id, "the repeat is disputed too", "mod", guild_id=1)
        conn = sqlite3.connect(tmp_path / "db.sqlite3")
        stored = conn.execute("SELECT fact_key FROM flag_events WHERE fact_id = ?", (repeat_id,)).fetchone()[0]
        conn.close()
        assert stored == key  # the history names the content the loader gave the id to
        lines = path.read_text(encoding="utf-8").splitlines()
        claim = next(i for i, line in enumerate(lines) if line.startswith("claim"))
        lines[claim] += " (edited)"  # another fact changes; the repeat does not
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        report = await library.load([path])
        assert report.pages[0].status == "updated" and report.pages[0].orphaned_flags == []
        assert (await library.fact_by_id(repeat_id)).disputed
    finally:
        await library.close()


async def test_spacing_inside_a_fact_is_no_change_of_content(tmp_path):
    """A double space or a tab typed into a fact left its id and orphaned its dispute."""
    path = tmp_path / "ketamine.txt"
    text = SEED.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    library = await Library.open(tmp_path / "db.sqlite3", meaning=False)
    try:
        await library.load([path])
        fact = (await library.fact("230 minutes")).results[0]
        await library.flag(fact.id, "dose is wrong", "mod", guild_id=1)
        spaced = fact.text.replace(" 230 minutes ", "  230\tminutes   ")
        assert spaced != fact.text and spaced in text.replace(fact.text, spaced)
        path.write_text(text.replace(fact.text, spaced), encoding="utf-8")
        report = await library.load([path])
        assert report.pages[0].orphaned_flags == []
        assert (await library.fact_by_id(fact.id, 1)).text == fact.text and (await library.fact_by_id(fact.id, 1)).disputed
    finally:
        await library.close()


def test_ids_encoded_together_are_the_ids_encoded_one_by_one():
    keys = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(300)] + ["0" * 64, "f" * 64]
    for length in (8, 9, 16, 4):
        assert short_ids(keys, length) == [short_id(key, length) for key in keys]
    assert short_ids(["abc"], 8) == [short_id("abc", 8)]  # shorter than its 40 bits: padded alike
    assert short_ids([], 8) == []


def test_stored_keys_of_a_page_are_stored_key_of_each():
    keys = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(50)]
    assert list(stored_keys(keys)) == [stored_key(key) for key in keys]
