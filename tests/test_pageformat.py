"""The parser on the bundled seed: every count, sources, facts and citations."""

from __future__ import annotations

from collections import Counter

import pytest

from storage.pages.format import parse_file, parse_text
from tests.conftest import SEED


@pytest.fixture(scope="module")
def page():
    return parse_file(SEED)


def test_header_and_counts(page):
    assert page.concept == "ketamine"
    assert page.subtitle == "synthesized from dimensions"
    assert len(page.paragraphs) == 5
    assert len(page.perspectives) == 7
    assert len(page.sources) == 14
    assert len(page.facts) == 285


def test_source_fact_counts(page):
    assert [s.declared_facts for s in page.sources] == [195, 61, 6, 6, 5, 2, 2, 2, 1, 1, 1, 1, 1, 1]
    parsed = Counter(f.source_index for f in page.facts)
    assert [parsed[i] for i in range(14)] == [s.declared_facts for s in page.sources]


def test_fact_types(page):
    assert Counter(f.type for f in page.facts) == {
        "claim": 150, "reference": 86, "procedure": 19, "measurement": 16, "account": 10, "perspective": 4,
    }
    assert page.facts[0].text.startswith("The Montreal model clinical team proposes")


def test_perspectives(page):
    first = page.perspectives[0]
    assert first.model == "openrouter/google/gemini-3.1-flash-lite-preview"
    assert first.stance == "definitive"
    assert first.confidence == 100
    last = page.perspectives[-1]
    assert (last.model, last.stance, last.confidence) == ("openrouter/x-ai/grok-4.1-fast", None, 90)


def test_source_with_authors(page):
    yaden = next(s for s in page.sources if s.authors and s.authors[0] == "David B Yaden")
    assert len(yaden.authors) == 9
    assert yaden.authors[-1] == "Frederick S Barrett"
    assert yaden.publisher == "Oxford University Press"
    assert yaden.domain == "ouci.dntb.gov.ua"
    assert yaden.title == "Psychedelics and Consciousness: Distinctions, Demarcations, and ..."


def test_source_with_date_and_plain_publisher(page):
    springer = page.sources[1]
    assert springer.title == "Effects of psychedelics on neurogenesis and broader neuroplasticity"
    assert (springer.domain, springer.publisher, springer.date) == ("link.springer.com", "Springer", "2024-12-19")
    montreal = page.sources[0]
    assert montreal.title == "The Montreal model: an integrative biomedical-psychedelic ..."
    assert (montreal.domain, montreal.publisher, montreal.date, montreal.authors) == (
        "frontiersin.org", "Frontiers in Psychiatry", None, ())


def test_labelled_citations_resolve_by_label_not_number(page):
    first = page.paragraphs[0]
    fact28 = next(c for c in first.citations if c.number == 28)
    assert fact28.kind == "fact"
    assert fact28.label == "Ketamine and phencyclidine (PCP) are synthetic drugs"
    assert page.facts[fact28.fact_index].text.startswith("Ketamine and phencyclidine (PCP) are synthetic drugs")
    assert fact28.fact_index != 27  # the number is not a position in the fact list
    assert fact28.score >= 90
    labelled = [c for p in page.paragraphs for c in p.citations if c.kind == "fact"]
    assert labelled and all(c.fact_index is not None for c in labelled)


def test_clean_text_has_no_markup(page):
    for block in (*page.paragraphs, *page.perspectives):
        assert "[fact:" not in block.text
        assert "[21, 46]" not in block.text
    assert page.paragraphs[0].text.startswith(
        "Ketamine is a synthetic, dissociative pharmacological agent originally developed as an anesthetic. In"
    )


def test_bare_labels_found_and_removed(page):
    second = page.paragraphs[1]
    bare = [c for c in second.citations if c.kind == "bare"]
    assert [c.label for c in bare] == ["Neuroplasticity as a convergent mechanism"]
    assert page.facts[bare[0].fact_index].text.startswith("Neuroplasticity is proposed as a convergent mechanism")
    assert "capable of promoting neuroplasticity. Mechanistically" in second.text


def test_sentence_text_is_not_mistaken_for_a_label(page):
    # "the metabolite 2R,6R-hydroxynorketamine (2R,6R-HNK)" is the sentence's own subject.
    last = page.paragraphs[4]
    assert "investigating the metabolite 2R,6R-hydroxynorketamine (2R,6R-HNK), which may" in last.text


def test_numbered_groups_kept_unresolved_without_a_label(page):
    third = page.perspectives[2]
    numbers = [c.number for c in third.citations if c.kind == "number"]
    assert numbers[:2] == [21, 46]
    assert all(c.fact_index is None for c in third.citations)


def test_unsure_label_recorded_unresolved():
    text = SEED.read_text(encoding="utf-8").replace(
        "[fact:33|Ketamine increases BDNF levels]", "[fact:33|Zebrafish migrate across frozen tundra at night]", 1
    )
    page = parse_text(text, "copy.txt")
    citation = next(c for p in page.paragraphs for c in p.citations if c.number == 33)
    assert citation.fact_index is None
    assert citation.score < 80


def test_a_page_whose_sources_declare_no_facts_parses():
    # Its citations resolve to nothing (the resolver once failed on an empty list of facts).
    text = ("concept\nEmpty\nsynthesized from dimensions\nA paragraph about nothing [1].\n"
            "Model Perspectives (0)\nFacts (0)\nSources\nSome title example.com Publisher 0 facts\n")
    page = parse_text(text, "empty.txt")
    assert page.facts == () and page.paragraphs[0].text == "A paragraph about nothing."
    assert [c.fact_index for c in page.paragraphs[0].citations] == [None]


def test_source_dates_are_read_as_strptime_reads_them():
    """_iso_date reads dates without strptime; it must accept and refuse exactly what these formats do."""
    from datetime import datetime

    from storage.pages.format import _DATE, _iso_date

    def by_strptime(text: str) -> str | None:
        text = text.replace(".", "").replace("Sept ", "Sep ")
        for fmt in ("%b %d, %Y", "%B %d, %Y", "%Y-%m-%d"):
            try:
                return datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
        return None

    months = ["Jan", "Feb", "May", "Jun", "Sep", "Sept", "Dec", "Jan.", "Sept.", "Janx", "June", "Junee", "September",
              "Septe", "February", "Mayo"]
    dates = [f"{m} {d}, {y}" for m in months for d in ("0", "00", "1", "09", "28", "29", "30", "31", "32")
             for y in ("0000", "2020", "2021")]
    dates += [f"{y}-{m}-{d}" for y in ("0000", "2020", "2021") for m in ("00", "02", "12", "13")
              for d in ("00", "01", "29", "30", "31", "32")]
    checked = [text for text in dates if (found := _DATE.search(" " + text)) and found["date"] == text]
    assert len(checked) > 300
    assert [_iso_date(text) for text in checked] == [by_strptime(text) for text in checked]
