"""Property-based: mutated pages only ever raise the parser's own error; any text in any option
gets an answer within Discord's limits; hostile input changes no data."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.console import Console
from bot.render import embeds
from storage.answers import Missing
from storage.library import Library, Refusal
from storage.pages.format import MAX_PAGE_BYTES, PageFormatError, parse_bytes, parse_file
from tests.conftest import SEED

SEED_BYTES = SEED.read_bytes()
LINES = SEED_BYTES.split(b"\n")
EXAMPLES = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def mutated_pages(draw) -> bytes:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            return b""
        kind = draw(st.sampled_from(["drop", "duplicate", "swap", "truncate", "count", "bytes", "encoding", "empty"]))
        i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        if kind == "drop" and len(lines) > 1:
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "truncate":
            lines = lines[:i]
        elif kind == "count":
            lines[i] = lines[i].replace(b"(285)", b"(286)").replace(b"195 facts", b"19 facts").replace(b"(7)", b"(6)")
        elif kind == "bytes":
            lines[i] = lines[i] + draw(st.binary(min_size=1, max_size=20))
        elif kind == "encoding":
            text = b"\n".join(lines).decode("utf-8", "replace")
            return text.encode(draw(st.sampled_from(["utf-16", "latin-1", "cp1252"])), "replace")
        elif kind == "empty":
            return b""
    return b"\n".join(lines)


@EXAMPLES
@given(mutated_pages())
def test_mutated_pages_raise_only_the_parsers_error(data):
    try:
        page = parse_bytes(data, "mutated.txt")
    except PageFormatError as error:
        assert str(error).startswith("mutated.txt")
        return
    assert len(page.facts) == sum(s.declared_facts for s in page.sources)


def test_fifty_megabyte_file_is_refused_quickly(tmp_path):
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.write(SEED_BYTES)
        handle.write(b"claimPadding fact.\n" * (50 * 1024 * 1024 // 19))
    assert big.stat().st_size > MAX_PAGE_BYTES
    with pytest.raises(PageFormatError) as info:
        parse_file(big)
    assert "big.txt" in str(info.value) and "bytes" in str(info.value)


@pytest.fixture(scope="module")
def loaded_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("prop") / "db.sqlite3"

    async def load() -> None:
        library = await Library.open(path)
        await library.load([SEED])
        await library.close()

    asyncio.run(load())
    return path


ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=6000) | st.sampled_from(
    ["@everyone", "<@123456789012345678>", "\u202e\u200b\u200d", "\x00\x07", "😀" * 3000, "' OR 1=1 --",
     '"ketamine" NEAR bdnf*', "a" * 6000])


def _limits(embed) -> None:
    data = embed.to_dict()
    assert len(embed) <= 6000 and len(data.get("title", "")) <= 256 and len(data.get("description", "")) <= 4096
    assert len(data.get("fields", [])) <= 25
    assert all(len(f["name"]) <= 256 and len(f["value"]) <= 1024 for f in data.get("fields", []))


@EXAMPLES
@given(query=ANY_TEXT, fact_type=st.none() | st.text(max_size=30), source=st.none() | ANY_TEXT,
       concept=st.none() | ANY_TEXT)
def test_any_text_in_fact_options_fits_discord(loaded_db, query, fact_type, source, concept):
    async def check() -> None:
        library = await Library.open(loaded_db)
        try:
            answer = await library.fact(query, fact_type=fact_type, source=source, concept=concept)
            if answer.results:
                _limits(embeds.fact_list(answer))
                _limits(embeds.fact_detail(answer.results[0]))
            else:
                assert answer.missing is not None and len(embeds.missing(answer.missing)) <= 2000
            for name, value in await library.complete.facts(query):
                assert 1 <= len(name) <= 100 and 1 <= len(value) <= 100
            sources = await library.source(query)
            for view in sources.results:
                _limits(embeds.source_detail(view))
        finally:
            await library.close()

    asyncio.run(check())


def _snapshot(path: Path) -> list:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE '%VIRTUAL%'"
                                             " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_index_%'")]
        return [(t, sorted(map(repr, conn.execute(f"SELECT * FROM {t}")))) for t in tables]
    finally:
        conn.close()


@pytest.mark.parametrize("line", [
    "/fact '; DROP TABLE facts; --", "/fact \" OR \"1\"=\"1", "/fact bdnf) OR (1=1", "/fact * NOT ketamine",
    '/fact "ketamine" AND NEAR(x y)', "/source ' UNION SELECT * FROM flags --", "/synthesis '; DELETE FROM concepts",
    "/unflag ' OR 1=1 -- reason:x", "/fact {body}: ketamine", "/fact body:ketamine^", "/disputes page:1; DROP",
])
def test_sql_and_fts_input_changes_nothing(loaded_db, line):
    before = _snapshot(loaded_db)

    async def run() -> None:
        library = await Library.open(loaded_db)
        try:
            data, text = await Console(library, "mallory").run(line)
            assert text
        finally:
            await library.close()

    asyncio.run(run())
    assert _snapshot(loaded_db) == before


@EXAMPLES
@given(concept=st.none() | ANY_TEXT, perspective=st.none() | st.integers(-5, 60), fact=ANY_TEXT, reason=ANY_TEXT)
def test_any_text_in_synthesis_and_moderation_options_fits_discord(tmp_path_factory, loaded_db, concept, perspective,
                                                                   fact, reason):
    async def check() -> None:
        library = await Library.open(loaded_db)
        try:
            shown = perspective if perspective is not None and perspective >= 1 else None
            answer = await library.synthesis(concept, guild_id=7, perspective=shown)
            if isinstance(answer, Missing):
                assert len(embeds.missing(answer)) <= 2000
            else:
                messages = embeds.perspective(answer, shown) if shown else embeds.synthesis_messages(answer)
                for message in messages:
                    assert len(message) <= 10 and sum(len(e) for e in message) <= 6000
            try:
                flagged = await library.flag(fact, reason, "prop", guild_id=7)
                _limits(embeds.flag_result(flagged))
                _limits(embeds.audit(flagged, "m" * 40, "<@1>"))
                _limits(embeds.flag_result(await library.unflag(flagged.fact.id, reason, "prop", guild_id=7)))
            except Refusal as refusal:
                assert len(str(refusal)) <= 2000
        finally:
            await library.close()

    asyncio.run(check())


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=80))
@settings(max_examples=300, deadline=None)
def test_folding_maps_typographic_punctuation_as_a_translation_table_would(text):
    import unicodedata

    from storage import textnorm

    table = str.maketrans(textnorm._PUNCT)
    expected = text.lower() if text.isascii() else textnorm._COMBINING.sub(
        "", unicodedata.normalize("NFKD", text.translate(table))).lower()
    assert textnorm.fold(text) == expected


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
                max_size=12))
@settings(max_examples=300, deadline=None)
def test_bare_label_scan_reads_each_word_as_folding_it_alone_would(pieces):
    """The scan folds a whole block at once; each word must get the content words it has alone."""
    from storage.pages.barelabels import _BareScan
    from storage.pages.labels import CitationResolver, content_words

    text = " ".join(pieces)
    scan = _BareScan(text, CitationResolver(["Ketamine is a drug."]), set())
    assert len(scan.starts) == len(scan.tokens)
    assert scan.tokens == [text[start : start + len(token)] for start, token in zip(scan.starts, scan.tokens)]
    assert [scan.content[scan.offsets[i]:scan.offsets[i + 1]] for i in range(len(scan.tokens))] == [
        content_words(token) for token in scan.tokens
    ]
