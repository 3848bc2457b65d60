"""The retrieval pipeline every surface uses: plan the query, let SQLite's FTS5 index pick
candidates, rerank them with rapidfuzz and corpus statistics.

1. plan: fold the query, drop stop words, one group per typed word (a hyphenated chunk such as
   "5-HT2A" is one phrase); add spelling corrections from the corpus vocabulary, acronym <-> long
   form expansions learned at load time, and prefix completion for a word still being typed.
2. candidates: rarest groups first. An AND of all groups ranked by bm25 when that is cheap; then
   an OR of the groups rare enough to rank; words too common to rank (thousands of matches) are
   fetched unranked with a LIMIT, so one common word never makes SQLite score a million rows.
3. rerank: idf-weighted coverage of the groups (exact, corrected or fuzzy), adjacency of the
   query's words, bm25 order and a mild preference for short facts. Ties fall back to storage order.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from rapidfuzz import fuzz, process

from storage.db import connect_sync
from storage.textnorm import STOP_WORDS, fold, replace_words, words
from storage.search.fusion import FEEDBACK_FACTS, FEEDBACK_WEIGHT, MEANING_FLOOR, fuse, meaning_text, query_kind
from storage.search.meaning.search import Meaning
from storage.search.vocabulary import Vocabulary
from storage.search.wordforms import greek_twin, unglued

T = TypeVar("T")

MAX_GROUPS = 12  # a 5,000-character paste is searched by its first content words
MAX_WORD = 40
CANDIDATES = 60
RANKABLE_DF = 4_000  # above this many matches bm25 ordering costs more than it is worth
FUZZY_WORD = 0.85  # rapidfuzz ratio for a word in a fact to count as a near match
FAMILY_WEIGHT = 0.9  # another form of a typed word counts a little less than the form typed
LONE_LETTER = 0.25  # of its idf, for a one-letter word: it matters in a notation, hardly alone
# A typed word the corpus has in no form weighs as much as a word no fact has (idf at df 0).
UNMATCHED_WEIGHT = 1.0
# A word whose family key extends the typed word's counts 0.8-0.9, the closer in spelling the more.
EXTENDED_WEIGHT = 0.8
LONG_FORM_APART = 0.7  # a long form's words all there, not as the phrase, answer it this much
BROADER_SHARE = 0.05  # a kind named in more of the facts than this is too broad to stand for a lay name
SEARCH_THREADS = 2  # one search's SQL (the GIL released) overlaps another's ranking
CITED_SOURCES, CITED_FACTS = 2, 20  # facts taken from sources whose citation matches the query
TITLE_WORD_RATIO = 80.0  # a typed word names a title's word when this close (one typo in five letters)
SOURCE_MATCH = 40.0  # a source's citation must answer this much of the query (score 0-100)


@dataclass(frozen=True)
class Alternative:
    words: tuple[str, ...]  # one word, or a phrase
    weight: float  # 1.0 as typed; less when corrected or expanded
    # A term's long form ("slow wave sleep" for "sws") is also answered by its words apart and in
    # other forms ("sleep slow waves"): the forms of each of its content words.
    parts: tuple[frozenset[str], ...] = ()
    reach: tuple[str, ...] = ()  # the forms of its rarest word, which every fact answering it has


@dataclass(frozen=True)
class Group:
    typed: str
    alternatives: tuple[Alternative, ...]
    df: int
    weight: float  # idf of the facts its best alternatives match together
    peak: float = 0.0  # idf of the rarest of its best alternatives (related.py's rare-word units)


@dataclass(frozen=True)
class QueryPlan:
    groups: tuple[Group, ...]
    corrections: dict[str, str] = field(default_factory=dict)
    # Typed words searched under the name the page uses for them ("xanax" -> "benzodiazepine").
    renamed: dict[str, str] = field(default_factory=dict)
    # Weight of the typed words the corpus has in no form ("xanax" in "xanax with ketamine"): no
    # fact answers them, so a fact matching the rest covers only part of the query.
    unmatched: float = 0.0
    peak: bool = False  # groups weigh as their rarest best alternative (see covered)

    @property
    def empty(self) -> bool:
        return not self.groups


@dataclass(frozen=True)
class Filters:
    fact_type: str | None = None
    concept_id: int | None = None
    source_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Scored:
    rowid: int
    score: float  # 0-100
    match: str = "words"  # which ranking found it: "words", "meaning" or "both"


def escape_fts(words_: tuple[str, ...]) -> str:
    """A quoted FTS5 string: user text never reaches the query syntax unescaped."""
    return '"' + " ".join(words_).replace('"', '""') + '"'


def _fts_alternative(alternative: Alternative) -> str:
    """The FTS5 expression of one alternative: a long form's candidates are also the facts with its
    rarest word in any form (the rerank judges whether the others are there)."""
    return " OR ".join([escape_fts(alternative.words), *(escape_fts((form,)) for form in alternative.reach)])


class Searcher:
    """Fact and source search over read-only connections of its own.

    A search runs whole in one of SEARCH_THREADS threads: one hop from the event loop rather than
    one per SQL statement (each aiosqlite round trip cost about 0.2 ms, up to half of a typical
    search), and two threads so that one search's SQL overlaps another's ranking in a burst.
    """

    def __init__(self, path: str | Path, meaning: Meaning | None = None) -> None:
        self.path = path
        self.meaning = meaning
        self._threads = ThreadPoolExecutor(max_workers=SEARCH_THREADS, thread_name_prefix="factbot-search")
        self._local = threading.local()  # each search thread's connection
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()  # guards the vocabulary cache and _opened
        self._vocab: Vocabulary | None = None
        self._data_version: int | None = None
        self._signature: tuple | None = None
        self._stale = False

    def invalidate(self) -> None:
        """Forget the cached vocabulary (after pages were loaded); takes effect at the next search."""
        self._stale = True  # the meaning index goes with the vocabulary (see _vocabulary)

    async def close(self) -> None:
        await asyncio.to_thread(self._threads.shutdown, wait=True)
        with self._lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()

    async def warm_meaning(self) -> None:
        """Load the encoder and build the meaning index now, so no answer waits for them."""
        if self.meaning is not None:
            await self._run(self._warm)

    async def similar(self, text: str, k: int = CANDIDATES) -> list[tuple[int, float]]:
        """Up to `k` (rowid, cosine) closest in meaning to `text`; empty while meaning is not ready."""
        if self.meaning is None or not self.meaning.ready:
            return []
        return await self._run(self._similar, text, k)

    async def vocabulary(self) -> Vocabulary:
        """The cached vocabulary, rebuilt when the data has changed."""
        return await self._run(self._vocabulary)

    async def facts(
        self, query: str, filters: Filters = Filters(), limit: int = 50, prefix_last: bool = False,
        mode: str = "words", peak: bool = False,
    ) -> tuple[list[Scored], QueryPlan]:
        """Ranked facts for `query` (at most `limit`), and the plan that was searched.

        mode: "words" (lexical), "meaning" (sentence vectors) or "fused" (both, see fusion.py).
        peak: words weigh as their rarest form (the units the related search was tuned in)."""
        if mode == "words":
            return await self._run(self._facts, query, filters, limit, prefix_last, peak)
        return await self._run(self._ranked, query, filters, limit, mode)

    async def sources(self, query: str, concept_id: int | None = None, limit: int = 10) -> list[Scored]:
        """Sources ranked by title, domain, publisher, authors and year (rowid = source id)."""
        return await self._run(self._sources, query, concept_id, limit)

    async def source_filter(self, query: str, concept_id: int | None = None) -> tuple[int, ...]:
        """The ids of the sources a `source:` filter names; () when none matches."""
        return await self._run(self._source_filter, query, concept_id)

    async def mentions(self, query: str, filters: Filters = Filters(), limit: int = 50) -> int:
        """How many facts (up to `limit`) have every typed word, as typed or in another form."""
        return await self._run(self._mentions, query, filters, limit)

    async def suggest(self, query: str, limit: int = 3) -> list[str]:
        """Up to `limit` corpus words or source titles close to what was typed."""
        return await self._run(self._suggest, query, limit)

    async def _run(self, work: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._threads, functools.partial(work, *args))

    # Everything below runs in a search thread.

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect_sync(self.path)
            conn.execute("PRAGMA query_only = ON")
            with self._lock:
                self._opened.append(conn)
        return conn

    def _vocabulary(self) -> Vocabulary:
        conn = self._conn()
        with self._lock:
            pages_changed = self._stale
            if self._stale:
                self._vocab, self._stale = None, False
            (version,) = conn.execute("PRAGMA data_version").fetchone()
            if self._vocab is None or version != self._data_version:
                signature = tuple(conn.execute("SELECT count(*), max(id), max(loaded_at) FROM concepts").fetchone())
                if self._vocab is None or signature != self._signature:
                    # Loaded here or by another process: the meaning index's rowids are stale too.
                    pages_changed = pages_changed or self._vocab is not None
                    self._vocab = Vocabulary.load(conn)
                    self._signature = signature
                self._data_version = version
            if pages_changed and self.meaning is not None:
                self.meaning.forget()
            return self._vocab

    def _warm(self) -> None:
        self._vocabulary()  # a page change is taken in first, so the index is not built twice
        self.meaning.warm(self._conn)

    def _similar(self, text: str, k: int) -> list[tuple[int, float]]:
        self._vocabulary()  # pages another process replaced leave the index's rowids stale
        return self.meaning.similar(self._conn(), text, Filters(), k)

    # -- planning ---------------------------------------------------------------------------

    def plan(self, query: str, vocab: Vocabulary, prefix_last: bool = False, peak: bool = False) -> QueryPlan:
        """Turn free text into weighted groups of alternatives (see module docstring)."""
        chunks = [words(chunk) for chunk in fold(query).split()]
        chunks = _without_et_al([[w[:MAX_WORD] for w in chunk] for chunk in chunks if chunk])
        # Only stop words ('AND', 'the') is no question at all: nothing found, politely.
        content = [c for c in chunks if not all(w in STOP_WORDS for w in c)]
        content = _merge_long_forms(content, vocab, MAX_GROUPS)
        groups, corrections, renamed, unmatched = [], {}, {}, 0.0
        for i, chunk in enumerate(content):
            last = prefix_last and i == len(content) - 1
            group = self._group(chunk, vocab, last, corrections, renamed)
            if group is not None:
                groups.append(group)
            else:
                unmatched += UNMATCHED_WEIGHT * vocab.idf(0)
        return QueryPlan(tuple(groups), corrections, renamed, unmatched if groups else 0.0, peak)

    def _group(self, chunk: list[str], vocab: Vocabulary, last: bool, corrections: dict[str, str],
               renamed: dict[str, str]) -> Group | None:
        phrase = tuple(chunk)
        typed = " ".join(chunk)
        alternatives: list[Alternative] = []
        known = all(w in vocab.df for w in phrase)
        # A long form typed ("slow wave sleep"), or words whose initials spell an acronym of the
        # page ("tumour necrosis factor"), also find the acronym, and match as a page's long form does.
        shorts = set(vocab.long_acronym.get(typed, ()))
        initials = vocab.initialism(phrase)
        if initials:
            shorts.add(initials)
        # Typed words the page lacks may name what it has under another name ("laughing gas" ->
        # nitrous oxide, "xanax" -> benzodiazepine): then they are no typo either.
        others = _other_names(phrase, vocab)
        if known:
            alternatives.append(_long_form(phrase, 1.0, vocab) if shorts else Alternative(phrase, 1.0))
        elif initials:  # the words the page has still count ("necrosis factor")
            alternatives.append(_long_form(phrase, FAMILY_WEIGHT, vocab))
        elif others and len(phrase) > 1 and (apart := _long_form(phrase, FAMILY_WEIGHT, vocab)).parts:
            # So they do beside a name ("club drug"); when the page has none of them, there is
            # nothing to answer, and the group would weigh as a word no fact has.
            alternatives.append(apart)
        alternatives += _notations(phrase, vocab)
        alternatives += others
        if others:
            renamed[typed] = " ".join(others[0].words)
        if len(phrase) > 1 and not known and not alternatives:
            # "5-HT2A" where the corpus writes "5-HT2AR": complete or correct the unknown parts.
            mended = [w if w in vocab.df else next(iter(vocab.completions(w, 1) or [t for t, _ in vocab.corrections(w, 1)]), None)
                      for w in phrase]
            if all(mended):
                alternatives.append(Alternative(tuple(mended), 0.85))
        if len(phrase) == 1:
            word = phrase[0]
            # Other forms of the word rank a little below the form typed ("neurotoxic" finds
            # "neurotoxicity"); a British spelling is the American one ("anaesthetic").
            family = vocab.family(word)
            alternatives += [Alternative((w,), FAMILY_WEIGHT) for w in family]
            twin = greek_twin(word)
            if twin and twin in vocab.df:
                alternatives.append(Alternative((twin,), 1.0))
            completions = [c for c in vocab.completions(word) if c != word] if last and len(word) >= 2 else []
            alternatives += [Alternative((c,), 0.9) for c in completions]
            # A word is corrected only when neither it nor any word of its family is in the corpus
            # (a word being typed is not a typo yet), and when it is no everyday English word: the
            # page not using "meditation" makes it no typo of "medication".
            if not alternatives and word not in vocab.english:
                fixes = vocab.corrections(word)
                alternatives += [Alternative((term,), 0.9 * score) for term, score in fixes]
                # The word meant brings its family, as a word typed right would.
                alternatives += [Alternative((w,), 0.9 * score * FAMILY_WEIGHT)
                                 for term, score in fixes for w in vocab.family(term)]
                if fixes:
                    corrections[word] = fixes[0][0]
            # A word with no family in the corpus and no close spelling may still be a form the
            # stemmer cut shorter than the corpus's forms ("inflamed" -> "inflam", "inflammation"
            # -> "inflamm").
            if not alternatives:
                alternatives += [Alternative((w,), EXTENDED_WEIGHT + 0.1 * fuzz.ratio(word, w) / 100)
                                 for w in vocab.extended(word)]
        for long in sorted(vocab.acronym_long.get(typed.replace(" ", ""), ())):
            alternatives.append(_long_form(tuple(long.split()), 0.95, vocab))
        for short in sorted(shorts):
            alternatives.append(Alternative((short,), 0.95))
        if not alternatives:
            return None
        strongest: dict[tuple[str, ...], Alternative] = {}
        for a in alternatives:  # one alternative per phrase, at its highest weight, in first-seen order
            if a.words not in strongest or a.weight > strongest[a.words].weight:
                strongest[a.words] = a
        alternatives = list(strongest.values())
        df = min(vocab.documents, sum(_alt_df(a, vocab) for a in alternatives))
        # The group is as informative as the facts it matches are few: the best alternatives
        # together ("effects" with "effect", "effective"), not the rarest of them alone.
        best = [a for a in alternatives if a.weight >= 0.9 * max(x.weight for x in alternatives)]
        weight = vocab.idf(min(vocab.documents, sum(_alt_df(a, vocab) for a in best)))
        peak = max(vocab.idf(_alt_df(a, vocab)) for a in best)
        if len(typed) == 1 and typed.isalpha():
            weight *= LONE_LETTER  # "n" of "n n dimethyltryptamine": a letter alone names little
        return Group(typed, tuple(alternatives), df, weight, peak)

    # -- facts ------------------------------------------------------------------------------

    def _ranked(self, query: str, filters: Filters, limit: int, mode: str) -> tuple[list[Scored], QueryPlan]:
        """Meaning alone, or fused with words; words alone while the meaning layer is not ready."""
        scored, plan = self._facts(query, filters, max(limit, CANDIDATES), False)
        if self.meaning is None or not self.meaning.ready:
            return scored[:limit], plan
        vocab = self._vocabulary()
        if not scored and not vocab.recognises_any(query):
            # No word of the page found it and no word of it is one ("qwertyuiop", "asdf jkl"): the
            # sentence model would still rank facts, but the nearest of nothing is no answer.
            return [], plan
        # Misspelt words as the page spells them: the sentence model reads "halucinations" as word
        # pieces of nothing. (A word mended inside a hyphenated chunk is not among the corrections.)
        asked = replace_words(query, plan.corrections) if plan.corrections else query
        text = meaning_text(asked, vocab.df, vocab.documents)
        found = self.meaning.near(self._conn(), text, filters, CANDIDATES, [] if mode == "meaning" else [s.rowid for s in scored])
        if mode == "meaning":
            if not found.found or found.found[0][1] < MEANING_FLOOR:
                return [], plan
            # Alone, meaning shows the facts closer than the query's background mean.
            return [Scored(r, round(100 * c, 2), "meaning") for r, c in found.found if c > found.mean][:limit], plan
        kind = query_kind(query, set(vocab.acronym_long))
        lexical = [(s.rowid, s.score) for s in scored]
        best = [f.rowid for f in fuse(lexical, found, kind, FEEDBACK_FACTS)]
        if best:
            # Measured again from what the first answers say: among the candidates, the facts on
            # neurogenesis that the best answers to "brain growth" name rise.
            found = self.meaning.refined(self._conn(), found, best, FEEDBACK_WEIGHT)
        return [Scored(f.rowid, f.score, f.match) for f in fuse(lexical, found, kind, limit)], plan

    def _facts(
        self, query: str, filters: Filters, limit: int, prefix_last: bool, peak: bool = False
    ) -> tuple[list[Scored], QueryPlan]:
        vocab = self._vocabulary()
        plan = self.plan(query, vocab, prefix_last, peak)
        if plan.empty:
            return [], plan
        candidates = self._candidates(plan, filters, max(CANDIDATES, limit))
        if not prefix_last:  # autocomplete stays on the fast path: fact text only
            for rowid in self._cited_facts(plan, filters):
                candidates.setdefault(rowid, 0.0)
        if not candidates:
            return [], plan
        rows = self._fetch(list(candidates), vocab.cites)
        scored = [
            Scored(rowid, _score(plan, rows[rowid], candidates[rowid])) for rowid in candidates if rowid in rows
        ]
        scored = [s for s in scored if s.score > 0]
        scored.sort(key=lambda s: (-s.score, s.rowid))
        return scored[:limit], plan

    def _mentions(self, query: str, filters: Filters, limit: int) -> int:
        plan = self.plan(query, self._vocabulary())
        if plan.empty or plan.unmatched:
            return 0
        # Words answered only by a correction or a long form do not count: the fact has other words.
        literal = QueryPlan(tuple(replace(g, alternatives=tuple(
            a for a in g.alternatives if len(a.words) == 1 and a.weight >= FAMILY_WEIGHT)) for g in plan.groups))
        if not all(g.alternatives for g in literal.groups):
            return 0
        candidates = self._candidates(literal, filters, limit)
        rows = self._fetch(list(candidates), {})
        return sum(1 for body, _ in rows.values() if _every_group(literal.groups, set(body)))

    def _candidates(self, plan: QueryPlan, filters: Filters, k: int) -> dict[int, float]:
        """rowid -> bm25 order score (1.0 best, 0.0 unranked), from FTS5."""
        groups = sorted(plan.groups, key=lambda g: g.df)
        found: dict[int, float] = {}
        expressions = [" OR ".join(_fts_alternative(a) for a in g.alternatives) for g in groups]
        if len(groups) > 1:
            both = " AND ".join(f"({e})" for e in expressions)
            self._match(both, filters, k, ranked=groups[0].df <= RANKABLE_DF, into=found)
        rankable = [e for g, e in zip(groups, expressions) if g.df <= RANKABLE_DF]
        if len(found) < k and rankable:
            self._match(" OR ".join(f"({e})" for e in rankable), filters, k, ranked=True, into=found)
        if len(found) < k:
            for group, expression in zip(groups, expressions):
                if group.df > RANKABLE_DF:
                    self._match(expression, filters, k - len(found), ranked=False, into=found)
                if len(found) >= k:
                    break
        return found

    def _match(self, expression: str, filters: Filters, k: int, ranked: bool, into: dict[int, float]) -> None:
        where, params = ["fact_index MATCH ?"], [expression]
        join = ""
        if filters.fact_type or filters.concept_id is not None or filters.source_ids is not None:
            join = "JOIN facts f ON f.rowid = fact_index.rowid"
            if filters.fact_type:
                where.append("f.type = ?")
                params.append(filters.fact_type)
            if filters.concept_id is not None:
                where.append("f.concept_id = ?")
                params.append(filters.concept_id)
            if filters.source_ids is not None:
                where.append(f"f.source_id IN ({','.join('?' * len(filters.source_ids))})")
                params.extend(filters.source_ids)
        order = "ORDER BY bm25(fact_index)" if ranked else ""
        sql = f"SELECT fact_index.rowid FROM fact_index {join} WHERE {' AND '.join(where)} {order} LIMIT ?"
        rows = self._conn().execute(sql, (*params, k)).fetchall()
        for position, (rowid,) in enumerate(rows):
            if rowid not in into:
                into[rowid] = (1.0 - position / max(len(rows), 1)) if ranked else 0.0

    def _matching_sources(self, plan: QueryPlan, concept_id: int | None, limit: int) -> list:
        """(id, title, domain, publisher, authors, date) of sources matching any group, bm25 order."""
        expression = " OR ".join(f"({' OR '.join(escape_fts(a.words) for a in g.alternatives)})" for g in plan.groups)
        sql = (
            "SELECT s.id, s.title, s.domain, s.publisher, s.authors, s.date FROM source_index"
            " JOIN sources s ON s.id = source_index.rowid WHERE source_index MATCH ?"
            + (" AND s.concept_id = ?" if concept_id is not None else "")
            + " ORDER BY bm25(source_index, 1.0, 0.8) LIMIT ?"
        )
        params = (expression, concept_id, limit) if concept_id is not None else (expression, limit)
        return self._conn().execute(sql, params).fetchall()

    def _cited_facts(self, plan: QueryPlan, filters: Filters) -> list[int]:
        """Facts of the sources whose citation (authors, title, publisher, year) answers the query."""
        sources = self._matching_sources(plan, filters.concept_id, 20)
        ranked = []
        for source_id, *cite in sources:
            if filters.source_ids is not None and source_id not in filters.source_ids:
                continue
            coverage = _score(plan, ([], _cite_words(*cite)), 0.0)
            if coverage >= SOURCE_MATCH:
                ranked.append((-coverage, source_id))
        rowids: list[int] = []
        for _, source_id in sorted(ranked)[:CITED_SOURCES]:
            sql = "SELECT rowid FROM facts WHERE source_id = ?" + (" AND type = ?" if filters.fact_type else "")
            params = (source_id, filters.fact_type) if filters.fact_type else (source_id,)
            rows = self._conn().execute(sql + f" ORDER BY position LIMIT {CITED_FACTS}", params).fetchall()
            rowids.extend(r for (r,) in rows)
        return rowids

    def _fetch(self, rowids: list[int], cites: dict[int, list[str]]) -> dict[int, tuple[list[str], list[str]]]:
        """Folded words of each fact's text and of its citation (`cites` caches the latter)."""
        marks = ",".join("?" * len(rowids))
        facts = self._conn().execute(f"SELECT rowid, text, source_id FROM facts WHERE rowid IN ({marks})", rowids).fetchall()
        missing = sorted({source_id for _, _, source_id in facts} - cites.keys())
        if missing:
            marks = ",".join("?" * len(missing))
            sql = f"SELECT id, title, domain, publisher, authors, date FROM sources WHERE id IN ({marks})"
            for source_id, *rest in self._conn().execute(sql, missing).fetchall():
                cites[source_id] = _cite_words(*rest)
        return {rowid: (words(text), cites[source_id]) for rowid, text, source_id in facts}

    # -- sources ----------------------------------------------------------------------------

    def _sources(self, query: str, concept_id: int | None, limit: int) -> list[Scored]:
        scored = [Scored(source_id, score) for source_id, _, score in self._weighed_sources(query, concept_id)]
        scored.sort(key=lambda s: (-s.score, s.rowid))
        return scored[:limit]

    def _source_filter(self, query: str, concept_id: int | None) -> tuple[int, ...]:
        """Every source answering the words as fully as the best one does ("frontiers" names all
        three Frontiers sources, not the one whose shorter title ranks it first)."""
        weighed = self._weighed_sources(query, concept_id)
        best = max((coverage for _, coverage, _ in weighed), default=0.0)
        if best <= 0:
            return ()
        return tuple(sorted(source_id for source_id, coverage, _ in weighed if coverage >= best - 1e-9))

    def _weighed_sources(self, query: str, concept_id: int | None) -> list[tuple[int, float, float]]:
        """(source id, share of the query's words it answers, ranking score) of the matching sources."""
        vocab = self._vocabulary()
        plan = self.plan(_URL_PREFIX.sub(" ", query), vocab)  # the link /source prints finds its source
        if plan.empty:
            return []
        rows = self._matching_sources(plan, concept_id, 200)
        typed = " ".join(g.typed for g in plan.groups)
        weighed = []
        for position, (source_id, title, domain, publisher, authors, date) in enumerate(rows):
            people = " ".join(json.loads(authors))
            text = f"{title} {domain} {publisher} {people} {date or ''}"
            fields = (words(f"{title} {domain}"), words(f"{publisher} {people} {date or ''}"))
            found, total = covered(plan.groups, *fields)
            closeness = fuzz.token_set_ratio(typed, fold(text)) / 100
            score = 0.6 * _score(plan, fields, 0.0) + 0.3 * closeness + 0.1 * (1 - position / len(rows))
            weighed.append((source_id, found / total if total else 0.0, round(score, 2)))
        return weighed

    # -- did you mean -----------------------------------------------------------------------

    def _suggest(self, query: str, limit: int) -> list[str]:
        vocab = self._vocabulary()
        typed = [w for w in words(query)[:MAX_GROUPS] if w not in STOP_WORDS]
        suggestions: list[str] = []
        # An everyday word the page lacks is no typo ("table" is not "tablet"), as in planning.
        misspelt = [w for w in typed if w not in vocab.english]
        if misspelt:
            fixes = [vocab.corrections(w, limit=1) for w in typed]
            if all(fixes) and any(f[0][0] != w for f, w in zip(fixes, typed)):
                suggestions.append(" ".join(f[0][0] for f in fixes))
            for word in misspelt:
                for term, _ in vocab.corrections(word, limit=3):
                    suggestions.append(term)
        if typed and vocab.source_titles:
            # Titles are folded once, with the vocabulary; rapidfuzz only compares here. A title
            # is offered only when each typed word is close to one of its words: WRatio alone
            # matched "cancer" to "... ScienceDaily" on a few shared letters.
            for _, score, index in process.extract(
                " ".join(typed), vocab.folded_titles, scorer=fuzz.WRatio, limit=10, score_cutoff=60
            ):
                title_words = words(vocab.folded_titles[index])
                if all(process.extractOne(w, title_words, scorer=fuzz.ratio, score_cutoff=TITLE_WORD_RATIO)
                       for w in typed):
                    suggestions.append(vocab.source_titles[index])
        return list(dict.fromkeys(s for s in suggestions if s != " ".join(typed)))[:limit]


_URL_PREFIX = re.compile(r"\b(?:https?://|www\.)", re.IGNORECASE)


def _cite_words(title: str, domain: str, publisher: str, authors: str, date: str | None) -> list[str]:
    return words(f"{title} {domain} {publisher} {' '.join(json.loads(authors))} {(date or '')[:4]}")


def _notations(phrase: tuple[str, ...], vocab: Vocabulary) -> list[Alternative]:
    """The same notation written apart or together: "0.5mg/kg" is "0.5 mg/kg", "5ht2a" is
    "5-HT2A" and "5 ht2a" is "5HT2A" when that is how the corpus writes it."""
    found = []
    split: list[str] = []
    for word in phrase:
        whole = vocab.notation(word) if not word.isalpha() else word if word in vocab.df else None
        parts = (whole,) if whole else unglued(word, vocab.notation)
        if parts is None:
            break
        split.extend(parts)
    else:
        if tuple(split) != phrase:
            found.append(Alternative(tuple(split), 0.95))
    joined = "".join(phrase)
    if len(phrase) > 1 and joined in vocab.df:
        found.append(Alternative((joined,), 0.95))
    return found


def _long_form(phrase: tuple[str, ...], weight: float, vocab: Vocabulary) -> Alternative:
    """A long form as an alternative whose content words may also answer apart (see _presence)."""
    # Each content word's forms on the page; a word the page has in no form ("tumour") has none.
    forms = [frozenset(f for f in (word, *vocab.family(word)) if f in vocab.df)
             for word in phrase if len(word) > 1 and word not in STOP_WORDS]
    forms = [word_forms for word_forms in forms if word_forms]
    if not forms:
        return Alternative(phrase, weight)
    rarest = min(forms, key=lambda word_forms: sum(vocab.df[f] for f in word_forms))
    return Alternative(phrase, weight, tuple(forms), tuple(sorted(rarest)))


def _other_names(phrase: tuple[str, ...], vocab: Vocabulary) -> list[Alternative]:
    """The thesaurus's other names for typed words, a one-word name with its forms on the page. A
    kind many facts name says little of one member: "chemotherapy" is no search for "therapy"."""
    found = []
    for other in vocab.other_names(phrase):
        if len(other.words) > 1:
            alternatives = [_long_form(other.words, other.weight, vocab)]
        else:
            alternatives = [Alternative(other.words, other.weight)]
            alternatives += [Alternative((form,), other.weight * FAMILY_WEIGHT) for form in vocab.family(other.words[0])]
        if not other.broader or sum(_alt_df(a, vocab) for a in alternatives) <= BROADER_SHARE * vocab.documents:
            found += alternatives
    return found


def _alt_df(alternative: Alternative, vocab: Vocabulary) -> int:
    if alternative.reach:  # every fact answering a long form has its rarest word in some form
        return sum(vocab.df.get(form, 0) for form in alternative.reach)
    return min((vocab.df.get(w, 0) for w in alternative.words), default=0)


def _merge_long_forms(chunks: list[list[str]], vocab: Vocabulary, limit: int) -> list[list[str]]:
    """The first `limit` chunks, consecutive typed words joined where they spell a known long form
    ("vascular endothelial ..."), where their initials spell an acronym the page uses ("tumour
    necrosis factor"), or where they name in the thesaurus what the page has under another name
    ("laughing gas")."""
    merged: list[list[str]] = []
    i = 0
    while i < len(chunks) and len(merged) < limit:
        for length in range(min(8, len(chunks) - i), 1, -1):
            joined = [w for c in chunks[i : i + length] for w in c]
            if (" ".join(joined) in vocab.long_acronym or vocab.initialism(joined)
                    or any(_alt_df(a, vocab) for a in _other_names(tuple(joined), vocab))):
                merged.append(joined)
                i += length
                break
        else:
            merged.append(chunks[i])
            i += 1
    return merged


def _presence(alternative: Alternative, body_set: set[str], body_text: str, cite_set: set[str]) -> float:
    if len(alternative.words) == 1:
        word = alternative.words[0]
        if word in body_set:
            return 1.0
        if word in cite_set:
            return 0.6
        if len(word) >= 5 and process.extractOne(word, body_set, scorer=fuzz.ratio, score_cutoff=FUZZY_WORD * 100):
            return 0.8  # "antidepressants" for "antidepressant"
        return 0.0
    if f" {' '.join(alternative.words)} " in body_text:
        return 1.0
    if alternative.parts:
        # Its words apart and in other forms answer it ("sleep slow waves"); most of them do not:
        # "psilocybin-assisted psychotherapy" is no "ketamine-assisted psychotherapy".
        if all(not forms.isdisjoint(body_set) for forms in alternative.parts):
            return LONG_FORM_APART
        if all(not forms.isdisjoint(body_set) or not forms.isdisjoint(cite_set) for forms in alternative.parts):
            return 0.5
        return 0.0
    if all(w in body_set for w in alternative.words):
        return 0.7
    if all(w in body_set or w in cite_set for w in alternative.words):
        return 0.5
    return 0.0


def _every_group(groups: tuple[Group, ...], body: set[str]) -> bool:
    return all(any(a.words[0] in body for a in g.alternatives) for g in groups)


def covered(groups: tuple[Group, ...], body: list[str], cite: list[str] | None = None,
            peak: bool = False) -> tuple[float, float]:
    """(weight of the groups a fact's words answer, weight of all groups): idf-weighted, a near or
    corrected match counting partly; the core of every fact score. peak: each group weighs as its
    rarest best alternative (the rare-word units of related.py)."""
    body_set, cite_set = set(body), set(cite or ())
    body_text = f" {' '.join(body)} "
    total = found = 0.0
    for group in groups:
        best = max(a.weight * _presence(a, body_set, body_text, cite_set) for a in group.alternatives)
        weight = group.peak if peak else group.weight
        total += weight
        found += weight * best
    return found, total


def _score(plan: QueryPlan, fact: tuple[list[str], list[str]], bm25_order: float) -> float:
    """0-100: how well a fact answers the plan (coverage dominates; see module docstring)."""
    body, cite = fact
    found, total = covered(plan.groups, body, cite, plan.peak)
    if found == 0:
        return 0.0
    coverage = found / (total + plan.unmatched)
    body_text = f" {' '.join(body)} "
    pairs = list(zip(plan.groups, plan.groups[1:]))
    adjacent = sum(
        1 for a, b in pairs if f" {' '.join(a.alternatives[0].words)} {' '.join(b.alternatives[0].words)} " in body_text
    )
    adjacency = adjacent / len(pairs) if pairs else 0.0
    brevity = 1 / (1 + len(body) / 40)
    return round(100 * (0.78 * coverage + 0.08 * adjacency + 0.09 * bm25_order + 0.05 * brevity), 2)


def _without_et_al(chunks: list[list[str]]) -> list[list[str]]:
    """The query without "et al": "Yaden et al" asks for Yaden's work, and a source's citation has
    no "et" or "al" to match (they cost it the coverage that names the source)."""
    kept: list[list[str]] = []
    for chunk in chunks:
        if chunk == ["al"] and kept and kept[-1] == ["et"]:
            kept.pop()
        else:
            kept.append(chunk)
    return kept
