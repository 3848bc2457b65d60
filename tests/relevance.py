"""Ranking quality on the judged query set (tests/judged/queries.json), by kind and split.

    python -m tests.relevance              # every ranker, both halves, by kind
    python -m tests.relevance --split dev  # the dev half only: the one to tune on
    python -m tests.relevance --worst 10   # and the weakest dev queries of the product's ranker
    python -m tests.relevance --ceiling 20 # and what a perfect order of each ranker's first 20 would score

The queries were written and graded from the page by an independent judge before any ranker ran
on them; the "test" half is only ever reported, never tuned on. Gains are the judge's grades
(3 answers the query, 2 clearly relevant, 1 partly): nDCG@5 on the graded gains, MRR@10 on the
first fact graded 2 or more.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import sqlite3
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from storage.library import MAX_RESULTS, Library
from storage.textnorm import words

ROOT = Path(__file__).resolve().parent.parent
JUDGED = ROOT / "tests" / "judged" / "queries.json"
SEED = ROOT / "seeds" / "ketamine.txt"
QUESTION = "question"

Ranker = Callable[[str], Awaitable[list[str]]]  # query -> fact ids, best first


@dataclass(frozen=True)
class Judged:
    query: str
    kind: str
    split: str
    grades: dict[str, int]  # fact id -> grade


@dataclass(frozen=True)
class Score:
    judged: Judged
    ndcg5: float
    rr10: float
    # nDCG@5 of the ranker's first answers put in the judge's order: what better ordering alone
    # could reach; the rest of the gap is facts the ranker never found.
    ceiling: float = float("nan")


def judged_queries(texts: dict[str, str], path: Path = JUDGED) -> list[Judged]:
    """The judged set with each verbatim fact substring resolved to the one fact that holds it."""
    data = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for item in data["queries"]:
        grades: dict[str, int] = {}
        for relevant in item["relevant"]:
            holders = [fid for fid, text in texts.items() if relevant["fact"] in text]
            if len(holders) != 1:
                raise ValueError(f"{item['query']!r}: {relevant['fact'][:50]!r} is in {len(holders)} facts, not one")
            grades[holders[0]] = relevant["grade"]
        found.append(Judged(item["query"], item["kind"], item["split"], grades))
    return found


def ndcg5(ranked: list[str], grades: dict[str, int]) -> float:
    dcg = sum(grades.get(fid, 0) / math.log2(i + 2) for i, fid in enumerate(ranked[:5]))
    ideal = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(grades.values(), reverse=True)[:5]))
    return dcg / ideal if ideal else 0.0


def rr10(ranked: list[str], grades: dict[str, int]) -> float:
    return next((1 / (i + 1) for i, fid in enumerate(ranked[:10]) if grades.get(fid, 0) >= 2), 0.0)


async def score(ranker: Ranker, queries: list[Judged], depth: int = 10) -> list[Score]:
    """Each query's scores; the ceiling reorders the first `depth` answers."""
    scores = []
    for judged in queries:
        ranked = await ranker(judged.query)
        ideal = sorted(ranked[:depth], key=lambda fid: -judged.grades.get(fid, 0)) + ranked[depth:]
        scores.append(Score(judged, ndcg5(ranked, judged.grades), rr10(ranked, judged.grades), ndcg5(ideal, judged.grades)))
    return scores


def mean(scores: list[Score], column: str = "ndcg5") -> float:
    return sum(getattr(s, column) for s in scores) / len(scores) if scores else float("nan")


def pick(scores: list[Score], split: str | None = None, kind: str | None = None, questions: bool | None = None) -> list[Score]:
    """Scores of one split and kind; questions=False keeps every kind but plain-language questions."""
    return [
        s for s in scores
        if (split is None or s.judged.split == split)
        and (kind is None or s.judged.kind == kind)
        and (questions is None or (s.judged.kind == QUESTION) == questions)
    ]


# -- rankers --------------------------------------------------------------------------------


def product_ranker(library: Library, mode: str | None = None, depth: int = 10) -> Ranker:
    """The /fact ranking (mode: None = as configured, or "words" / "meaning" / "fused"), its first
    `depth` answers."""

    async def rank(query: str) -> list[str]:
        answer = await library.fact(query, limit=depth, **({"mode": mode} if mode else {}))
        return [f.id for f in answer.results]

    return rank


def wratio_ranker(texts: dict[str, str], depth: int = 10) -> Ranker:
    """Baseline: a rapidfuzz WRatio scan over every fact text."""
    ids = list(texts)
    bodies = [texts[i] for i in ids]

    async def rank(query: str) -> list[str]:
        found = process.extract(query, bodies, scorer=fuzz.WRatio, processor=utils.default_process, limit=depth)
        return [ids[index] for _, _, index in found]

    return rank


def bm25_ranker(texts: dict[str, str], depth: int = 10) -> Ranker:
    """Baseline: SQLite FTS5 with default options, the query's words OR-ed, bm25 order."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE plain USING fts5(id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')")
    conn.executemany("INSERT INTO plain (id, body) VALUES (?, ?)", texts.items())

    async def rank(query: str) -> list[str]:
        terms = " OR ".join(f'"{w}"' for w in words(query))
        if not terms:
            return []
        sql = "SELECT id FROM plain WHERE plain MATCH ? ORDER BY bm25(plain) LIMIT ?"
        return [r[0] for r in conn.execute(sql, ("body : (" + terms + ")", depth))]

    return rank


async def fact_texts(library: Library) -> dict[str, str]:
    async with library.conn.execute("SELECT id, text FROM facts") as cursor:
        return {fid: text for fid, text in await cursor.fetchall()}


SPLITS = ("dev", "test")


def table(results: dict[str, list[Score]], splits: tuple[str, ...] = SPLITS, ceiling: int = 0) -> str:
    """nDCG@5 / MRR by kind, the halves side by side (both, or only the one asked for), for every
    ranker; with `ceiling`, also the nDCG@5 of its first `ceiling` answers in the judge's order."""
    kinds = sorted({s.judged.kind for scores in results.values() for s in scores})
    ceiling_head = f" {'ceil@' + str(ceiling):>8}" if ceiling else ""
    lines = [f"{'ranker':10} {'kind':14} {'n':>3}"
             + "".join(f"  {split + ' nDCG':>9} {'MRR':>5}{ceiling_head}" for split in splits)]
    for name, scores in results.items():
        rows = [(kind, pick(scores, kind=kind)) for kind in kinds]
        rows += [("not question", pick(scores, questions=False)), ("ALL", scores)]
        for kind, subset in rows:
            halves = [pick(subset, split) for split in splits]
            lines.append(f"{name:10} {kind:14} {len(subset):3}" + "".join(
                f"  {mean(half):9.3f} {mean(half, 'rr10'):5.3f}" + (f" {mean(half, 'ceiling'):8.3f}" if ceiling else "")
                for half in halves))
    return "\n".join(lines)


RANKERS = ("fused", "words", "meaning", "wratio", "bm25")


async def evaluate(rankers: list[str], worst: int, split: str | None = None, ceiling: int = 0) -> str:
    """The table for `rankers`; `split` ("dev" or "test") ranks and reports that half only;
    `ceiling` adds what a perfect order of each ranker's first `ceiling` answers would score."""
    with tempfile.TemporaryDirectory() as folder:
        library = await Library.open(Path(folder) / "judged.sqlite3")
        try:
            await library.load([SEED])
            await library.embed_missing()
            texts = await fact_texts(library)
            queries = [q for q in judged_queries(texts) if split is None or q.split == split]
            depth = max(10, ceiling)
            made = {mode: functools.partial(product_ranker, library, mode) for mode in ("fused", "words", "meaning")}
            made |= {"wratio": functools.partial(wratio_ranker, texts), "bm25": functools.partial(bm25_ranker, texts)}
            results = {name: await score(made[name](depth=depth), queries, ceiling or 10) for name in rankers}
        finally:
            await library.close()
    out = table(results, (split,) if split else SPLITS, ceiling)
    if worst and split != "test":
        first = results[rankers[0]]
        weakest = sorted(pick(first, "dev"), key=lambda s: s.ndcg5)[:worst]
        out += f"\n\nweakest dev queries ({rankers[0]}): " + ", ".join(
            f"{s.judged.query!r} [{s.judged.kind}] {s.ndcg5:.2f}" for s in weakest)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.relevance", description=__doc__.splitlines()[0])
    parser.add_argument("--rankers", default=",".join(RANKERS), help="comma-separated, of: " + ", ".join(RANKERS))
    parser.add_argument("--worst", type=int, default=0)
    parser.add_argument("--split", choices=SPLITS, default=None, help="one half only (default: both)")
    parser.add_argument("--ceiling", type=int, default=0, metavar="N",
                        help=f"also score a perfect order of each ranker's first N answers (N <= {MAX_RESULTS})")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.rankers.split(",")) - set(RANKERS))
    if unknown:
        parser.error(f"unknown ranker(s) {', '.join(unknown)}: choose among {', '.join(RANKERS)}")
    if not 0 <= args.ceiling <= MAX_RESULTS:
        parser.error(f"--ceiling must be 0-{MAX_RESULTS}: /fact ranks at most {MAX_RESULTS} facts")
    print(asyncio.run(evaluate(args.rankers.split(","), args.worst, args.split, args.ceiling)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
