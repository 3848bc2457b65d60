"""Generated pages are shaped like the seed: the same blocks, citation kinds and counts (within a
stated tolerance), fact types, a seed-like tail of sources shared across pages."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest

from bot.tools.synthetic import PAGE_FACTS, SOURCE_SPREAD, write_corpus
from storage.pages.format import parse_file
from storage.pages.records import Page
from tests.conftest import SEED

PAGES = 6
# Bare labels are found by heuristics (a label glued to a clause end), so a generated label is
# sometimes read one word longer or not at all, as in real pages; the other kinds are exact.
TOLERANCE = 0.2  # share of the seed's count of a kind of citation, per section


def citation_counts(page: Page) -> Counter:
    """(section, kind) -> citations parsed, and (section, kind, "resolved") -> those with a fact."""
    counts: Counter = Counter()
    for section, blocks in (("synthesis", page.paragraphs), ("perspectives", page.perspectives)):
        for block in blocks:
            for citation in block.citations:
                counts[section, citation.kind] += 1
                counts[section, citation.kind, "resolved"] += citation.fact_index is not None
    return counts


@pytest.fixture(scope="module")
def seed() -> Page:
    return parse_file(SEED)


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> list[Page]:
    folder = tmp_path_factory.mktemp("generated")
    return [parse_file(path) for path, _ in write_corpus(Path(folder), PAGES * PAGE_FACTS, SEED)]


def test_page_facts_is_the_seeds_count(seed):
    assert PAGE_FACTS == len(seed.facts)


def test_citations_of_each_kind_as_in_the_seed(seed, pages):
    expected = citation_counts(seed)
    kinds = [key for key in expected if len(key) == 2]
    assert {kind for _, kind in kinds} == {"fact", "number", "bare"}
    for page in pages:
        found = citation_counts(page)
        for key in kinds:
            allowed = 0 if key[1] != "bare" else math.ceil(expected[key] * TOLERANCE)
            assert abs(found[key] - expected[key]) <= allowed, (page.path, key, found[key], expected[key])
            # Every labelled citation and every bare label the parser accepts names a fact, as in the seed.
            assert found[(*key, "resolved")] - found[key] == expected[(*key, "resolved")] - expected[key]


def test_blocks_perspectives_and_facts_as_in_the_seed(seed, pages):
    for page in pages:
        assert len(page.paragraphs) == len(seed.paragraphs)
        assert [(p.model, p.stance, p.confidence) for p in page.perspectives] == [
            (p.model, p.stance, p.confidence) for p in seed.perspectives
        ]
        assert Counter(f.type for f in page.facts) == Counter(f.type for f in seed.facts)
        mean = sum(len(f.text) for f in page.facts) / len(page.facts)
        seed_mean = sum(len(f.text) for f in seed.facts) / len(seed.facts)
        assert abs(mean - seed_mean) < seed_mean * 0.15
    assert any(p.stance is None for p in pages[0].perspectives)


def test_sources_skewed_shared_and_some_with_authors_and_dates(seed, pages):
    for page in pages:
        assert round(len(seed.sources) * SOURCE_SPREAD) <= len(page.sources) <= len(seed.sources) + 1
        counts = sorted((s.declared_facts for s in page.sources), reverse=True)
        assert counts[0] > len(page.facts) / 2 and counts[-1] <= 2  # one big source, a small tail
    every = [s for page in pages for s in page.sources]
    titles = Counter(s.title for s in every)
    assert any(n > 1 for n in titles.values())  # some sources are cited by several pages
    assert 0 < sum(bool(s.authors) for s in every) < len(every) / 3
    assert 0 < sum(s.date is not None for s in every) < len(every) / 2
