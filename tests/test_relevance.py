"""Judged queries over the bundled seed: our pipeline against a plain rapidfuzz WRatio scan and
plain FTS5 bm25 (words OR-ed), scored with nDCG@5 and MRR@10.

A fact is relevant to a query when its text matches every pattern of the judgement (written by
reading the seed, not by looking at any ranker's output).
"""

from __future__ import annotations

import math
import re
import sqlite3

import pytest
from rapidfuzz import fuzz, process, utils

from storage.textnorm import words

ACRONYM, MISSPELLING, TOPIC, AUTHOR, QUESTION = "acronym", "misspelling", "topic", "author", "question"

JUDGED: list[tuple[str, str, list[str]]] = [
    (ACRONYM, "VEGF", [r"\bVEGF\b|vascular endothelial growth factor"]),
    (ACRONYM, "vascular endothelial growth factor", [r"\bVEGF\b|vascular endothelial growth factor"]),
    (ACRONYM, "PCP", [r"\bPCP\b|phencyclidine"]),
    (ACRONYM, "KAP", [r"\bKAP\b|ketamine.assisted psychotherapy"]),
    (ACRONYM, "ketamine assisted psychotherapy", [r"\bKAP\b|ketamine.assisted psychotherapy"]),
    (ACRONYM, "5-HT2A", [r"5-HT2A"]),
    (ACRONYM, "CREB", [r"\bCREB\b"]),
    (ACRONYM, "ECT", [r"\bECT\b|electroconvulsive"]),
    (ACRONYM, "electroconvulsive therapy", [r"\bECT\b|electroconvulsive"]),
    (ACRONYM, "mTOR", [r"\bmTOR\b"]),
    (ACRONYM, "AMPA", [r"\bAMPA"]),
    (ACRONYM, "GABA", [r"\bGABA\b"]),
    (ACRONYM, "MEG", [r"\bMEG\b|magnetoencephalograph"]),
    (ACRONYM, "bdnf", [r"\bBDNF\b|brain-derived neurotrophic"]),
    (ACRONYM, "TRD", [r"\bTRD\b|treatment-resistant depression"]),
    (MISSPELLING, "ketmine anorexia", [r"anorexia"]),
    (MISSPELLING, "mindfullness", [r"mindfulness"]),
    (MISSPELLING, "schizofrenia", [r"schizophreni"]),
    (MISSPELLING, "parvalbumen", [r"parvalbumin"]),
    (MISSPELLING, "antidepresant effects", [r"antidepressant", r"effect"]),
    (MISSPELLING, "psilocibin", [r"psilocybin"]),
    (MISSPELLING, "benzodiazepene", [r"benzodiazepine"]),
    (MISSPELLING, "midazolan", [r"midazolam"]),
    (MISSPELLING, "esketamin", [r"esketamine"]),
    (MISSPELLING, "synaptogensis", [r"synaptogenesis"]),
    (TOPIC, "music anxiety", [r"music", r"anxiety"]),
    (TOPIC, "blindfolds perceptual changes", [r"blindfold"]),
    (TOPIC, "suicidal ideation", [r"suicid"]),
    (TOPIC, "bladder harms", [r"bladder"]),
    (TOPIC, "cocaine addiction", [r"cocaine"]),
    (TOPIC, "alcohol use disorder", [r"alcohol use disorder"]),
    (TOPIC, "telehealth prescribing", [r"telehealth"]),
    (TOPIC, "death and dying", [r"death"]),
    (TOPIC, "slow release tablet", [r"slow-release"]),
    (TOPIC, "hydroxynorketamine metabolite", [r"hydroxynorketamine|2R,6R-HNK"]),
    (TOPIC, "synaptogenesis neurite growth", [r"synaptogenesis", r"neurite"]),
    (TOPIC, "Parke Davis", [r"Parke-Davis"]),
    (TOPIC, "Montreal model’s six intravenous treatments", [r"six intravenous ketamine treatments"]),
    (AUTHOR, "grunebaum 2017", [r"Grunebaum"]),
    (AUTHOR, "abbar bmj", [r"Abbar"]),
    (AUTHOR, "domino", [r"Domino"]),
    (AUTHOR, "muetzelfeldt k-hole", [r"Muetzelfeldt"]),
    (AUTHOR, "berman 2000", [r"Berman"]),
    (AUTHOR, "yaden", [r"idiosyncratic effects on episodic memory"]),
    (QUESTION, "does ketamine work for anorexia", [r"anorexia"]),
    (QUESTION, "how does ketamine promote neurogenesis", [r"neurogenesis"]),
    (QUESTION, "what happens to the bladder with chronic ketamine use", [r"bladder"]),
    (QUESTION, "can music change the ketamine experience", [r"music"]),
]

FLOOR_NDCG = 0.90
FLOOR_MRR = 0.93


def _relevant(texts: dict[str, str], patterns: list[str]) -> set[str]:
    return {fid for fid, text in texts.items() if all(re.search(p, text, re.IGNORECASE) for p in patterns)}


def _ndcg5(ranked: list[str], relevant: set[str]) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, fid in enumerate(ranked[:5]) if fid in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(5, len(relevant))))
    return dcg / ideal


def _rr10(ranked: list[str], relevant: set[str]) -> float:
    return next((1 / (i + 1) for i, fid in enumerate(ranked[:10]) if fid in relevant), 0.0)


async def _ours(library, query: str) -> list[str]:
    answer = await library.fact(query, limit=10)
    return [f.id for f in answer.results]


def _wratio(texts: dict[str, str], query: str) -> list[str]:
    ids = list(texts)
    found = process.extract(query, [texts[i] for i in ids], scorer=fuzz.WRatio, processor=utils.default_process, limit=10)
    return [ids[index] for _, _, index in found]


def _plain_fts5(texts: dict[str, str]) -> sqlite3.Connection:
    """An FTS5 table with default options over the fact texts: the baseline as anyone would build it."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE plain USING fts5(id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')")
    conn.executemany("INSERT INTO plain (id, body) VALUES (?, ?)", texts.items())
    return conn


def _bm25(index: sqlite3.Connection, query: str) -> list[str]:
    terms = " OR ".join(f'"{w}"' for w in words(query))
    if not terms:
        return []
    sql = "SELECT id FROM plain WHERE plain MATCH ? ORDER BY bm25(plain) LIMIT 10"
    return [r[0] for r in index.execute(sql, ("body : (" + terms + ")",))]


@pytest.fixture
async def scores(library):
    async with library.conn.execute("SELECT id, text FROM facts") as cursor:
        texts = {fid: text for fid, text in await cursor.fetchall()}
    plain = _plain_fts5(texts)
    table: dict[str, dict[str, list[tuple[str, float, float]]]] = {"ours": {}, "wratio": {}, "bm25": {}}
    for kind, query, patterns in JUDGED:
        relevant = _relevant(texts, patterns)
        assert relevant, f"judgement for {query!r} matches no fact"
        for name, ranked in (("ours", await _ours(library, query)), ("wratio", _wratio(texts, query)),
                             ("bm25", _bm25(plain, query))):
            table[name].setdefault(kind, []).append((query, _ndcg5(ranked, relevant), _rr10(ranked, relevant)))
    plain.close()
    return table


def _mean(rows: list[tuple[str, float, float]], column: int) -> float:
    return sum(r[column] for r in rows) / len(rows)


async def test_relevance_beats_both_baselines(scores, capsys):
    assert len(JUDGED) >= 40
    kinds = sorted({k for k, _, _ in JUDGED})
    summary = {}
    lines = [f"{'ranker':8} {'kind':12} {'nDCG@5':>7} {'MRR':>6}"]
    for name, by_kind in scores.items():
        everything = [row for rows in by_kind.values() for row in rows]
        summary[name] = (_mean(everything, 1), _mean(everything, 2))
        for kind in kinds:
            lines.append(f"{name:8} {kind:12} {_mean(by_kind[kind], 1):7.3f} {_mean(by_kind[kind], 2):6.3f}")
        lines.append(f"{name:8} {'ALL':12} {summary[name][0]:7.3f} {summary[name][1]:6.3f}")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    ours, wratio, bm25 = summary["ours"], summary["wratio"], summary["bm25"]
    assert ours[0] >= FLOOR_NDCG and ours[1] >= FLOOR_MRR
    assert ours[0] > wratio[0] + 0.1 and ours[0] > bm25[0] + 0.05
    for kind in (MISSPELLING, ACRONYM):
        ours_kind = _mean(scores["ours"][kind], 1)
        assert ours_kind > _mean(scores["wratio"][kind], 1) and ours_kind > _mean(scores["bm25"][kind], 1)


async def test_worst_queries_are_reported(scores, capsys):
    worst = sorted(scores["ours"][k][i] for k in scores["ours"] for i in range(len(scores["ours"][k])))
    worst = sorted(worst, key=lambda r: r[1])[:5]
    with capsys.disabled():
        print("\nweakest queries (nDCG@5):", ", ".join(f"{q!r} {n:.2f}" for q, n, _ in worst))
    assert all(n > 0 for _, n, _ in worst), "every judged query finds at least one relevant fact in the top 5"
