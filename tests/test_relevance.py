"""Ranking quality on the judged set (tests/judged/queries.json: 167 queries in ten kinds, written
and graded from the page by an independent judge before any ranker ran). Floors are asserted on
the test half, which was never tuned on; `python -m tests.relevance` prints the whole table.

The issue's targets are met only for questions and are not pretended to be met otherwise: fused
nDCG@5 reaches about 0.81 on the test half (target 0.90) and about 0.65 on plain-language questions
(target 0.60); words alone about 0.72 on the kinds that are not questions (target 0.85), where even
a perfect order of their first 40 answers would score 0.77 (`python -m tests.relevance --ceiling 40`;
50, the most /fact ranks, scores the same).
Lay words the thesaurus lacks ("spravato", "bad trip": knowledge neither the page's words nor the
small sentence model has), acronyms the page never spells out ("tms") and word forms the stemmer
does not join are most of the gap. The floors below are regression floors a little under what is
measured, so a change that loses ground fails.
"""

from __future__ import annotations

import pytest

from tests import relevance as R

FLOORS = {  # (ranker, subset) -> nDCG@5 floor on the test half
    ("fused", "all"): 0.78,
    ("fused", "questions"): 0.62,
    ("words", "not questions"): 0.69,
}


@pytest.fixture
async def results(meaning_library):
    texts = await R.fact_texts(meaning_library)
    queries = R.judged_queries(texts)
    assert len(queries) >= 120 and {q.split for q in queries} == {"dev", "test"}
    rankers = {
        "fused": R.product_ranker(meaning_library, "fused"),
        "words": R.product_ranker(meaning_library, "words"),
        "meaning": R.product_ranker(meaning_library, "meaning"),
        "wratio": R.wratio_ranker(texts),
        "bm25": R.bm25_ranker(texts),
    }
    return {name: await R.score(rank, queries) for name, rank in rankers.items()}


def _subset(scores: list[R.Score], subset: str) -> list[R.Score]:
    questions = {"all": None, "questions": True, "not questions": False}[subset]
    return R.pick(scores, "test", questions=questions)


async def test_floors_on_the_test_half_and_fusion_beats_each_ranking_and_both_baselines(results, capsys):
    with capsys.disabled():
        print("\n" + R.table(results))
    for (ranker, subset), floor in FLOORS.items():
        measured = R.mean(_subset(results[ranker], subset))
        assert measured >= floor, f"{ranker} on {subset}: nDCG@5 {measured:.3f} < {floor}"
    # One test, not two: ranking 167 queries five ways is the expensive part.
    fused = R.mean(_subset(results["fused"], "all"))
    for other in ("words", "meaning"):
        assert fused > R.mean(_subset(results[other], "all")), other
    for baseline in ("wratio", "bm25"):
        assert fused > R.mean(_subset(results[baseline], "all")) + 0.2, baseline
    # Meaning is what lifts questions in plain words; words are what lead author + year queries.
    assert R.mean(_subset(results["fused"], "questions")) > R.mean(_subset(results["words"], "questions")) + 0.05
    authors = R.pick(results["fused"], "test", kind="author_year")
    assert R.mean(authors) >= 0.9


async def test_the_ceiling_is_the_judges_order_of_the_first_answers():
    judged = R.Judged("q", "topic", "dev", {"a": 3, "b": 2})

    async def backwards(query: str) -> list[str]:
        return ["x", "b", "a", "y"]

    (shallow,), (deep,) = await R.score(backwards, [judged], depth=2), await R.score(backwards, [judged], depth=3)
    assert shallow.ndcg5 < shallow.ceiling < deep.ceiling == 1.0  # "a" is out of reach at depth 2
    table = R.table({"fused": [shallow]}, ("dev",), ceiling=2)
    assert "ceil@2" in table.splitlines()[0] and f"{shallow.ceiling:8.3f}" in table
