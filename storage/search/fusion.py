"""Lexical and meaning rankings fused into one, weighted by what kind of query it is.

Author and year, source, acronym and single-word queries are led by words: the page's own terms
are the best evidence, and a sentence model knows nothing of "grunebaum 2017". Questions and
descriptions in plain words lean on meaning, which finds "is it safe" in facts about adverse
effects. A fact both rankings found scores from both and so ranks high.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from storage.textnorm import ET_AL, STOP_WORDS, words

if TYPE_CHECKING:
    from storage.search.meaning.search import Near

QUESTION_WORDS = frozenset("what how why does do is are can could which when who whom should will would".split())
_YEAR = re.compile(r"^(19|20)\d\d$")

# Share of the fused score that comes from meaning, by kind of query (tuned on the dev half).
MEANING_SHARE = {"words": 0.3, "topic": 0.5, "question": 0.6}
# A cosine is read against the query's own background (its cosines to facts spread over the
# corpus, storage/search/meaning/index.py): a one-word query scores its best facts 0.2-0.4 and a
# question naming the page's topic scores every fact 0.5-0.8, but in standard deviations above the
# background mean the facts that answer either stand out alike. Evidence grows linearly from
# MEANING_Z_FLOOR to MEANING_Z_FULL deviations (tuned on the dev half).
MEANING_Z_FLOOR, MEANING_Z_FULL = 1.0, 6.0
# Pseudo-relevance feedback: the candidates are measured again from the query's vector with this
# much of the mean vector of its FEEDBACK_FACTS best fused answers added (tuned on the dev half:
# 0.786 -> 0.80 nDCG@5 fused; 2-4 facts and a weight of 0.3-0.7 score alike; a second scan of the
# whole index instead ranked the same).
FEEDBACK_FACTS, FEEDBACK_WEIGHT = 3, 0.5
# A query that no word of the page matches and whose closest fact is below this cosine is about
# nothing on the page (all-MiniLM-L6-v2 scores unrelated sentences 0.0-0.3; nonsense and off-topic
# queries reach 0.09-0.13 here), though its best facts still stand out from a background of
# nothing: meaning then adds nothing. Short queries the words do find often score under it
# ("cadss" 0.10, "berman 2000" 0.11), so it does not apply to them.
MEANING_FLOOR = 0.2
# Words in at least this share of all facts (the topic of a one-page library) are left out of the
# text the sentence model reads: every fact is about them, so they only pull a question's vector
# toward all facts alike. In a library of many pages the same word stays (it picks the page).
UBIQUITOUS = 0.5


@dataclass(frozen=True)
class Fused:
    rowid: int
    score: float  # 0-100
    match: str  # "words" | "meaning" | "both"


def query_kind(query: str, acronyms: set[str]) -> str:
    """"words" (names, years, acronyms, one word), "question", or "topic" (a few plain words)."""
    tokens = words(query)
    content = [t for t in tokens if t not in STOP_WORDS and t not in ET_AL]  # "Yaden et al" is a name
    if query.strip().endswith("?") or (tokens and tokens[0] in QUESTION_WORDS and len(tokens) >= 3):
        return "question"
    if len(content) <= 1 or any(_YEAR.match(t) or t in acronyms or not t.isalpha() for t in content):
        return "words"
    return "topic" if len(content) <= 3 else "question"


def meaning_text(query: str, df: dict[str, int], documents: int) -> str:
    """The query as the sentence model reads it: without the words nearly every fact has."""
    tokens = words(query)
    kept = [t for t in tokens if df.get(t, 0) < UBIQUITOUS * documents and t not in ET_AL]
    return " ".join(kept) if kept and len(kept) < len(tokens) else query


def evidence(cosine: float, mean: float, deviation: float) -> float:
    """0-1: how far a cosine stands above the query's background."""
    z = (cosine - mean) / deviation
    return min(1.0, max(0.0, (z - MEANING_Z_FLOOR) / (MEANING_Z_FULL - MEANING_Z_FLOOR)))


def fuse(lexical: list[tuple[int, float]], near: Near, kind: str, limit: int) -> list[Fused]:
    """One ranking from (rowid, lexical score 0-100) and the facts closest in meaning (`near`, which
    also holds the cosines of the lexical ones); best first."""
    share = MEANING_SHARE[kind]
    words_score = {rowid: score / 100 for rowid, score in lexical}
    # Words finding the query on the page vouch for it; alone, meaning must clear MEANING_FLOOR.
    closest = near.found
    cosines = {**near.also, **dict(closest)} if closest and (lexical or closest[0][1] >= MEANING_FLOOR) else {}
    meaning_score = {rowid: e for rowid, cosine in cosines.items()
                     if (e := evidence(cosine, near.mean, near.deviation)) > 0}
    fused = []
    for rowid in words_score.keys() | meaning_score.keys():
        by_words, by_meaning = words_score.get(rowid, 0.0), meaning_score.get(rowid, 0.0)
        match = "both" if by_words and by_meaning else "words" if by_words else "meaning"
        fused.append(Fused(rowid, round(100 * ((1 - share) * by_words + share * by_meaning), 2), match))
    fused.sort(key=lambda f: (-f.score, f.rowid))
    return fused[:limit]


# A chat message checked against the page (Library.check): lexical evidence in rare-word units
# (storage/search/related.py; 3 units is a strong match) and meaning count half each. A fact close
# in meaning joins at cosine CHECK_FLOOR; a message no fact shares enough rare words with is still
# answered when a fact is at least CHECK_ALONE close. Tuned on the dev half of
# tests/judged/messages.json: top-3 0.87 and "nothing related" 0.92 there; the test half, not
# tuned on, gives 0.82 and 0.91 (lexical alone: 0.73 and 0.91).
CHECK_SHARE, CHECK_FLOOR, CHECK_ALONE, CHECK_STRONG = 0.5, 0.45, 0.6, 3.0
CHECK_FULL = 0.70  # cosine at which a message's meaning evidence is whole


def fuse_related(lexical: list[tuple[int, float]], meaning: list[tuple[int, float]], limit: int) -> list[Fused]:
    """Facts related to a message from (rowid, evidence) and (rowid, cosine), best first."""
    if not lexical and not any(cosine >= CHECK_ALONE for _, cosine in meaning):
        return []
    evidence = dict(lexical)
    by_meaning = {rowid: min(1.0, (cosine - CHECK_FLOOR) / (CHECK_FULL - CHECK_FLOOR))
                  for rowid, cosine in meaning if cosine >= CHECK_FLOOR}
    ranked = []
    # Lexical order first (the related search's own ranking), then meaning-only facts: equal fused
    # scores (strong lexical evidence is capped) keep that order.
    for order, rowid in enumerate(dict.fromkeys([*evidence, *by_meaning])):
        words_part, meaning_part = min(evidence.get(rowid, 0.0) / CHECK_STRONG, 1.0), by_meaning.get(rowid, 0.0)
        match = "both" if words_part and meaning_part else "words" if words_part else "meaning"
        score = CHECK_SHARE * words_part + (1 - CHECK_SHARE) * meaning_part
        ranked.append((-round(score, 6), order, Fused(rowid, round(100 * score, 2), match)))
    ranked.sort(key=lambda item: item[:2])
    return [fused for _, _, fused in ranked[:limit]]
