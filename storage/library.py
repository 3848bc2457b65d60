"""The facade every surface calls: facts, sources, synthesis, flags, disputes, autocomplete.

Returns the plain dataclasses of storage.answers; knows nothing of Discord or the console.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from dataclasses import replace
from collections.abc import Callable
from pathlib import Path

import aiosqlite
from rapidfuzz import fuzz, process

from storage import db
from storage.answers import (
    Block,
    CheckAnswer,
    Dispute,
    FactAnswer,
    FactView,
    FlagEvent,
    FlagResult,
    Missing,
    SourceAnswer,
    GONE,
    SynthesisAnswer,
    gone_fact,
    with_event,
)
from storage.load import remove
from storage.load.loader import LoadReport, PageReport, load_paths
from storage.pages.format import PageFormatError
from storage.identity import fact_key_of, looks_like_id, repeat_key
from storage.pages.records import FACT_TYPES
from storage.search.complete import Completer
from storage.search.fusion import fuse_related
from storage.search.meaning import vectors
from storage.search.meaning.embed import embed_missing
from storage.search.meaning.search import Meaning
from storage.search.lexical import Filters, Searcher
from storage.search.related import RelatedSearch
from storage.state import NotDisputed, StateStore, StateUnavailable, open_state
from storage.state.sqlite import SqliteState
from storage.study.service import Study
from storage.views import Views
from storage.textnorm import fold

_EVER_LOADED = "SELECT count(*) FROM meta WHERE name = 'pages_loaded'"
log = logging.getLogger("factbot")

MAX_RESULTS = 50  # facts one query can page through
CHECK_POOL = 20  # lexically related facts, and neighbours in meaning, a check fuses (as tuned)
MAX_QUERY = 300  # characters of a query or filter; a longer paste is cut by every surface
MAX_CHECK = 4000  # characters of a message checked for related facts (Discord's longest message)
MAX_REASON = 500
MIN_REASON = 3  # letters or digits: "?", "." or "ok" say nothing a student could weigh
CANDIDATES = 5  # facts a moderator chooses among when /flag's text is not clear
# How well /flag's text must fit a fact (rapidfuzz partial_ratio, 0-100) to name it alone; a
# second fact fitting as well makes it ambiguous. Pasted or typed-out fact text scores 95-100.
CLEAR_MATCH = 90
LIST_CONCEPTS = 10  # an unknown concept lists every concept up to this many, else the nearest


class Refusal(ValueError):
    """A polite, user-facing refusal (unknown fact, nothing to unflag...)."""


class Ambiguous(Refusal):
    """Text given to /flag that does not name one fact clearly: the moderator picks a candidate."""

    def __init__(self, reference: str, candidates: list[FactView]) -> None:
        shown = " ".join(reference.split())[:80]
        super().__init__(f"“{shown}” does not name one fact clearly; the {len(candidates)} closest are below: "
                         "choose one by its id.")
        self.reference = reference
        self.candidates = candidates


class Library:
    """One database, every question the product answers."""

    def __init__(
        self, conn: aiosqlite.Connection, path: str | Path, state: StateStore | None = None, meaning: bool = True
    ) -> None:
        self.conn = conn
        self.path = Path(path)
        self.meaning = Meaning() if meaning else None
        self.search = Searcher(path, self.meaning)
        self.state: StateStore = state if state is not None else SqliteState(conn)
        self.views = Views(conn, self.state)
        self.complete = Completer(conn, self.search)
        self.related = RelatedSearch(conn, self.search)
        self.study = Study(self)  # quiz and deck export

    @classmethod
    async def open(cls, path: str | Path, state_url: str | None = None, *, meaning: bool = True) -> Library:
        """Open (and migrate) the database at `path`; flags live in the store `state_url` names
        (PostgreSQL), or in the same SQLite file when it is None. `meaning` False: words only."""
        conn = await db.connect(path)
        try:
            state = await open_state(state_url, conn)
        except BaseException:
            await conn.close()
            raise
        library = cls(conn, path, state, meaning)
        if state_url:
            await library._warn_of_a_history_left_behind()
        return library

    async def _warn_of_a_history_left_behind(self) -> None:
        """A SQLite history the shared store has none of was most likely meant to be copied there."""
        left = await self._value("SELECT count(*) FROM flag_events")
        if left and not await self.state.flagged_keys():
            log.warning("%s holds %d flag events and the PostgreSQL state store none: to keep them, run "
                        "python -m bot state copy --to <the [state] url>", self.path, left)

    @classmethod
    async def open_seeded(
        cls, path: str | Path, seeds: str | Path, state_url: str | None = None, *, meaning: bool = True
    ) -> Library:
        """Open the database; on first use (no concept yet) load the seed pages into it."""
        library = await cls.open(path, state_url, meaning=meaning)
        try:
            if await library.is_empty() and not await library._value(_EVER_LOADED):
                if Path(seeds).exists():
                    report = await library.load([seeds])
                    log.info("first start: loaded %d page(s), %d facts from %s", len(report.pages),
                             report.facts_added, seeds)
                else:
                    # Usually a start from another folder: relative paths are read from the working one.
                    log.warning("no pages loaded: no seeds at %s (read from %s; see [storage] seeds)",
                                Path(seeds), Path.cwd())
        except BaseException:
            await library.close()
            raise
        return library

    # -- meaning ----------------------------------------------------------------------------

    @property
    def meaning_ready(self) -> bool:
        return self.meaning is not None and self.meaning.ready

    async def missing_vectors(self) -> int:
        """How many fact contents have no vector yet."""
        async with self.conn.execute(vectors.COUNT_MISSING) as cursor:
            return (await cursor.fetchone())[0]

    async def embed_missing(
        self, progress: Callable[[int, int], None] | None = None, stop: threading.Event | None = None
    ) -> int:
        """Embed every fact without a vector (in a thread), then warm the index: from then on /fact
        ranks by meaning beside words. Returns how many facts were embedded."""
        if self.meaning is None:
            return 0
        embedded = await asyncio.to_thread(embed_missing, self.path, self.meaning.encoder, progress, stop)
        await self.use_meaning_if_complete()
        return embedded

    async def use_meaning_if_complete(self, warm: bool = True) -> bool:
        """Rank by meaning from now on if every fact has its vector. Warming loads the model and
        builds the index now; without it the first search by meaning does (a one-shot command
        that never searches, /help say, then pays nothing)."""
        if self.meaning is None or await self.missing_vectors():
            return False
        if warm:
            await self.search.warm_meaning()
        self.meaning.ready = True
        return True

    async def close(self) -> None:
        try:
            await self.state.close()
        finally:
            await self.search.close()
            await self.conn.close()

    # -- loading ----------------------------------------------------------------------------

    async def load(
        self,
        paths: list[str | Path],
        progress: Callable[[int, int, object], None] | None = None,
        prune: bool = False,
    ) -> LoadReport:
        """Load pages (see storage.load.loader) in a worker thread; search sees the new vocabulary.

        With `prune`, `paths` are folders, and the concepts whose file has left them are removed.
        Each page report names the removed facts that had an open dispute (their history is kept)."""
        if prune and (files := [str(p) for p in paths if not Path(p).is_dir()]):
            raise Refusal(f"--prune needs folders of pages; not a folder: {', '.join(files)}")
        flagged = await self.state.flagged_keys()
        try:
            report = await asyncio.to_thread(load_paths, self.path, paths, progress, flagged)
            if prune:
                kept = {page.concept for page in report.pages}
                report.pages += await asyncio.to_thread(remove.prune, self.path, paths, kept)
        finally:
            self._pages_changed()
        if report.pages:
            await self._mark_loaded()
        await self._orphaned(report.pages)
        return report

    async def remove(self, concept: str) -> PageReport | Missing:
        """Delete a concept's page data (its exact name, any case); flags stay in the history."""
        try:
            removed = await asyncio.to_thread(remove.remove_concepts, self.path, [concept])
        finally:
            self._pages_changed()
        if not removed:
            return await self._missing_concept(concept)
        await self._mark_loaded()  # a database loaded before this mark existed
        await self._orphaned(removed)
        return removed[0]

    async def concept_size(self, concept: str) -> tuple[str, int, int] | Missing:
        """(exact name, facts, facts with an open dispute) of a concept named exactly (any case)."""
        async with self.conn.execute("SELECT id, name FROM concepts WHERE name = ?", (concept.strip(),)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return await self._missing_concept(concept)
        sql = "SELECT f.id FROM facts f JOIN sources s ON s.id = f.source_id WHERE s.concept_id = ?"
        async with self.conn.execute(sql, (row["id"],)) as cursor:
            fact_ids = [fact_id for (fact_id,) in await cursor.fetchall()]
        return row["name"], len(fact_ids), len(await self.state.open_disputes(fact_ids, None))

    def _pages_changed(self) -> None:
        """Pages were loaded or removed: cached vocabularies, indexes and term pools are stale."""
        self.search.invalidate()
        self.study.invalidate()

    async def _orphaned(self, pages: list[PageReport]) -> None:
        """Name, in each report, the facts it removed that have an open dispute (in any guild)."""
        for page in pages:
            if page.removed_ids:
                page.orphaned_flags = sorted(await self.state.open_disputes(page.removed_ids, None))

    async def _mark_loaded(self) -> None:
        """Remember that pages were loaded here: emptied later on purpose, it is not seeded again."""
        await self.conn.execute("INSERT OR IGNORE INTO meta (name, value) VALUES ('pages_loaded', 1)")
        await self.conn.commit()

    async def is_empty(self) -> bool:
        return await self._value("SELECT count(*) FROM concepts") == 0

    async def concepts(self) -> list[str]:
        async with self.conn.execute("SELECT name FROM concepts ORDER BY name") as cursor:
            return [name for (name,) in await cursor.fetchall()]

    # -- facts ------------------------------------------------------------------------------

    async def fact(
        self,
        query: str,
        *,
        fact_type: str | None = None,
        source: str | None = None,
        concept: str | None = None,
        guild_id: int | None = None,
        offset: int = 0,
        limit: int = 5,
        mode: str | None = None,
    ) -> FactAnswer:
        """The best facts for `query`; a fact id shows that one fact.

        mode: "words", "meaning" or "fused"; by default fused once the meaning layer is ready."""
        started = time.perf_counter()
        query = query.strip()
        exact = await self.fact_by_id(query, guild_id)
        if exact is not None:
            return FactAnswer(query, [exact], 1, 0, exact=True, elapsed_ms=_ms(started))
        filters = await self._filters(fact_type, source, concept)
        if isinstance(filters, Missing):
            return FactAnswer(query, [], 0, offset, filters, elapsed_ms=_ms(started))
        mode = mode or ("fused" if self.meaning_ready else "words")
        scored, plan = await self.search.facts(query, filters, limit=MAX_RESULTS, mode=mode)
        page = scored[offset : offset + limit]
        views = await self.views.facts([s.rowid for s in page], guild_id)
        results = [replace(views[s.rowid], score=s.score, match=s.match) for s in page if s.rowid in views]
        missing = None if scored else await self._nothing_found(query, filters, mode)
        return FactAnswer(query, results, len(scored), offset, missing, plan.corrections, elapsed_ms=_ms(started),
                          capped=len(scored) >= MAX_RESULTS, renamed=plan.renamed)

    async def _nothing_found(self, query: str, filters: Filters, mode: str) -> Missing:
        """Why a search found nothing: its filters, when the words alone find facts; else the
        words, with did-you-mean suggestions that find something under the same filters."""
        if await self.is_empty():
            return Missing("concept", "")  # "No concept is loaded": no search could find anything
        narrowed = filters != Filters()
        if narrowed and (await self.search.facts(query, Filters(), limit=1, mode=mode))[0]:
            # The words themselves are the suggestion: on Discord its button searches unfiltered.
            return Missing("fact", query, nearest=(" ".join(query.split())[:100],), filtered_out=True)
        suggestions = await self.search.suggest(query)
        if narrowed:  # "blindfolds" for "blindfold type:account" found nothing either
            suggestions = [s for s in suggestions if (await self.search.facts(s, filters, limit=1, mode=mode))[0]]
        return Missing("fact", query, nearest=tuple(suggestions))

    async def fact_by_id(self, fact_id: str, guild_id: int | None = None) -> FactView | None:
        """One fact by id (case-insensitive), or None."""
        fact_id = fact_id.strip().lower()
        if not looks_like_id(fact_id):
            return None
        return (await self.views.facts_by_id([fact_id], guild_id)).get(fact_id)

    async def check(self, text: str, guild_id: int | None = None, limit: int = 5) -> CheckAnswer:
        """The facts most related to `text` (a chat message, cut to MAX_CHECK characters), each
        with this guild's disputes; or why there are none (no text, or nothing related enough)."""
        started = time.perf_counter()
        text = text[:MAX_CHECK]
        if not text.strip():
            return CheckAnswer(text, [], Missing("text", ""), elapsed_ms=_ms(started))
        if self.meaning_ready:  # words and meaning fused (storage/search/fusion.py)
            lexical = [(r.rowid, r.score) for r in await self.related.facts(text, CHECK_POOL)]
            near = await self.search.similar(text, CHECK_POOL)
            found = [(f.rowid, f.score, f.match) for f in fuse_related(lexical, near, limit)]
        else:
            found = [(r.rowid, r.score, r.match) for r in await self.related.facts(text, limit)]
        views = await self.views.facts([rowid for rowid, _, _ in found], guild_id)
        results = [replace(views[rowid], score=score, match=match) for rowid, score, match in found if rowid in views]
        missing = None if results else Missing("concept", "") if await self.is_empty() else Missing("related fact", text)
        return CheckAnswer(text, results, missing, elapsed_ms=_ms(started))

    async def _filters(self, fact_type: str | None, source: str | None, concept: str | None) -> Filters | Missing:
        """Filters from user words, or what a filter named that does not exist."""
        if fact_type:
            fact_type = fact_type.strip().lower()
            if fact_type not in FACT_TYPES:
                nearest = process.extractOne(fact_type, FACT_TYPES, scorer=fuzz.ratio, score_cutoff=60)
                return Missing("type", fact_type, FACT_TYPES, (nearest[0],) if nearest else (), as_filter=True)
        concept_id = None
        if concept:
            concept_id = await self.concept_id(concept)
            if concept_id is None:
                return await self._missing_concept(concept, as_filter=True)
        source_ids = None
        if source:
            source_ids = await self.search.source_filter(source, concept_id)
            if not source_ids:
                return Missing("source", source, as_filter=True)
        return Filters(fact_type or None, concept_id, source_ids)

    async def _missing_concept(self, name: str, as_filter: bool = False) -> Missing:
        """An unknown concept: every concept when there are few, else the closest names."""
        names = await self.concepts()
        if len(names) <= LIST_CONCEPTS:
            return Missing("concept", name, tuple(names), as_filter=as_filter)
        close = process.extract(fold(name), {n: fold(n) for n in names}, scorer=fuzz.WRatio, limit=3, score_cutoff=50)
        return Missing("concept", name, nearest=tuple(key for _, _, key in close), as_filter=as_filter)

    async def concept_id(self, name: str) -> int | None:
        """A concept by exact or close name."""
        async with self.conn.execute("SELECT id, name FROM concepts") as cursor:
            rows = await cursor.fetchall()
        match = process.extractOne(fold(name), {r["id"]: fold(r["name"]) for r in rows}, scorer=fuzz.WRatio, score_cutoff=80)
        return match[2] if match else None

    # -- sources ----------------------------------------------------------------------------

    async def source(
        self,
        query: str | None = None,
        *,
        concept: str | None = None,
        guild_id: int | None = None,
        offset: int = 0,
        limit: int = 5,
        sample: int = 3,
    ) -> SourceAnswer:
        """Sources matching `query`, or every source (of a concept) when there is no query."""
        started = time.perf_counter()
        concept_id = await self.concept_id(concept) if concept else None
        if concept and concept_id is None:
            return SourceAnswer(query, [], 0, offset, await self._missing_concept(concept), elapsed_ms=_ms(started))
        if query and query.strip():
            scored = await self.search.sources(query, concept_id, limit=MAX_RESULTS)
            ids, scores = [s.rowid for s in scored], {s.rowid: s.score for s in scored}
        else:
            sql = "SELECT id FROM sources" + (" WHERE concept_id = ?" if concept_id else "") + " ORDER BY concept_id, position"
            async with self.conn.execute(sql, (concept_id,) if concept_id else ()) as cursor:
                ids = [i for (i,) in await cursor.fetchall()]
            scores = {}
        views = await self.views.sources(ids[offset : offset + limit], scores, guild_id, sample)
        missing = None
        if not ids:
            missing = (await self._missing_source(query, concept_id, concept) if query
                       else await self._missing_concept(concept or ""))
        return SourceAnswer(query, views, len(ids), offset, missing, elapsed_ms=_ms(started))

    async def _missing_source(self, query: str, concept_id: int | None, concept: str | None) -> Missing:
        """No source matches: say how many facts have the words (their text names a journal no
        source is), else what the words may have meant."""
        mentioned = await self.search.mentions(query, Filters(concept_id=concept_id), limit=MAX_RESULTS + 1)
        if mentioned:
            return Missing("source", query, scope=concept or "", mentioned=min(mentioned, MAX_RESULTS),
                           mentioned_more=mentioned > MAX_RESULTS)
        return Missing("source", query, nearest=tuple(await self.search.suggest(query)))

    # -- synthesis --------------------------------------------------------------------------

    async def synthesis(
        self, concept: str | None = None, guild_id: int | None = None, perspective: int | None = None
    ) -> SynthesisAnswer | Missing:
        """The concept's synthesis and model perspectives with resolved citations.

        `perspective` (1-based) must name one of the concept's perspectives."""
        if concept:
            concept_id = await self.concept_id(concept)
        else:
            concept_id = await self._value("SELECT id FROM concepts ORDER BY name LIMIT 1")
        if concept_id is None:
            return await self._missing_concept(concept or "")
        async with self.conn.execute("SELECT name, subtitle FROM concepts WHERE id = ?", (concept_id,)) as cursor:
            name, subtitle = await cursor.fetchone()
        citations, cited = await self.views.citations(concept_id, guild_id)
        async with self.conn.execute(
            "SELECT position, text FROM paragraphs WHERE concept_id = ? ORDER BY position", (concept_id,)
        ) as cursor:
            paragraphs = [Block(text, citations.get(("synthesis", pos), [])) for pos, text in await cursor.fetchall()]
        async with self.conn.execute(
            "SELECT position, model, stance, confidence, text FROM perspectives WHERE concept_id = ? ORDER BY position",
            (concept_id,),
        ) as cursor:
            perspectives = [
                Block(r["text"], citations.get(("perspective", r["position"]), []), r["model"], r["stance"], r["confidence"])
                for r in await cursor.fetchall()
            ]
        if perspective is not None and not 1 <= perspective <= len(perspectives):
            numbers = tuple(str(n) for n in range(1, len(perspectives) + 1))
            return Missing("perspective", str(perspective), numbers, scope=name)
        return SynthesisAnswer(name, subtitle, paragraphs, perspectives, cited)

    # -- moderation -------------------------------------------------------------------------

    async def resolve_fact(self, reference: str, guild_id: int | None = None) -> FactView:
        """A fact named by id, or the one fact a piece of text clearly names.

        Raises Ambiguous (with the candidates) when the text fits several facts about as well, or
        none closely: a moderator must never dispute the wrong fact by accident."""
        exact = await self.fact_by_id(reference, guild_id)
        if exact is not None:
            return exact
        scored, _ = await self.search.facts(reference, limit=CANDIDATES)
        views = await self.views.facts([s.rowid for s in scored], guild_id)
        candidates = [views[s.rowid] for s in scored if s.rowid in views]
        if not candidates:
            raise Refusal(f"No fact matches {reference[:80]!r}.")
        typed = fold(reference)
        fits = sorted(((fuzz.partial_ratio(typed, fold(c.text)), i) for i, c in enumerate(candidates)), reverse=True)
        best, runner_up = fits[0][0], fits[1][0] if len(fits) > 1 else 0.0
        if best >= CLEAR_MATCH and runner_up < CLEAR_MATCH:
            return candidates[fits[0][1]]
        raise Ambiguous(reference, [candidates[i] for _, i in fits])

    async def flag(self, reference: str, reason: str, actor: str, guild_id: int, actor_id: int | None = None) -> FlagResult:
        """Open (or add a reason to) a dispute on a fact in one guild; history is appended."""
        reason = _clean_reason(reason)
        fact = await self.resolve_fact(reference, guild_id)
        already = any(d.guild_id == guild_id for d in fact.disputes)
        event = await self._record(fact, "flag", reason, actor, actor_id, guild_id)
        return FlagResult(await self._read_back(fact, event), event, already)

    async def unflag(self, fact_id: str, reason: str, actor: str, guild_id: int, actor_id: int | None = None) -> FlagResult:
        """Resolve a fact's open dispute in one guild; history is kept."""
        reason = _clean_reason(reason)
        fact = await self.fact_by_id(fact_id, guild_id) or await self._gone_but_disputed(fact_id, guild_id)
        if fact is None:
            raise Refusal(f"No fact has the id {fact_id[:40]!r}.")
        event = await self._record(fact, "unflag", reason, actor, actor_id, guild_id)
        return FlagResult(await self._read_back(fact, event), event, True)

    async def _record(
        self, fact: FactView, action: str, reason: str, actor: str, actor_id: int | None, guild_id: int
    ) -> FlagEvent:
        key = await self._content_key(fact)
        try:
            return await self.state.record(fact.id, fact.text, key, guild_id, action, reason, actor, actor_id)
        except NotDisputed:
            raise Refusal(f"Fact {fact.id} is not disputed here.") from None

    async def _gone_but_disputed(self, fact_id: str, guild_id: int) -> FactView | None:
        """A fact its page no longer has, still disputed here: it can be resolved, never flagged anew."""
        fact_id = fact_id.strip().lower()
        disputes = (await self.state.open_disputes([fact_id], guild_id)).get(fact_id)
        if not disputes:
            return None
        return gone_fact(fact_id, (await self.state.flagged_texts([fact_id])).get(fact_id, ""), tuple(disputes))

    async def _read_back(self, fact: FactView, event: FlagEvent) -> FactView:
        """The fact with its disputes after `event`; read from the store, or worked out if it just went away."""
        try:
            refreshed = await self.fact_by_id(fact.id, event.guild_id)
        except StateUnavailable:
            # The write was confirmed, so the moderator is told it happened rather than "unreachable".
            return with_event(fact, event)
        return refreshed or with_event(fact, event)

    async def _content_key(self, fact: FactView) -> str:
        """The content key the loader gave this fact (a repeat of a fact under one source has its own)."""
        if fact.source is GONE:  # no page has it: the history keeps the key it was flagged under
            return (await self.state.flagged_keys()).get(fact.id, "")
        earlier = await self._value(
            "SELECT count(*) FROM fact_ids i JOIN facts me ON me.rowid = i.fact JOIN facts f"
            " ON f.source_id IN (SELECT id FROM sources WHERE concept_id = me.concept_id AND title = ? AND domain = ?)"
            " AND f.type = me.type AND f.text = me.text AND f.position < me.position WHERE i.id = ?",
            (fact.source.title, fact.source.domain, fact.id),
        )
        key = fact_key_of(fact.concept, fact.source.title, fact.source.domain, fact.type, fact.text)
        return repeat_key(key, int(earlier or 0))

    async def disputes(self, guild_id: int | None = None) -> list[Dispute]:
        """Open disputes (of one guild, or all), newest first."""
        return await self.state.disputes(guild_id)

    async def dispute_fact_texts(self, fact_ids: list[str]) -> dict[str, str]:
        """The current text of each fact, or the text it had when last flagged if it is gone."""
        live = ("SELECT i.id, f.text FROM fact_ids i JOIN facts f ON f.rowid = i.fact"
                " WHERE i.id IN (SELECT value FROM json_each(?))")
        async with self.conn.execute(live, (json.dumps(sorted(set(fact_ids))),)) as cursor:
            texts = {fact_id: text for fact_id, text in await cursor.fetchall()}
        gone = [fact_id for fact_id in fact_ids if fact_id not in texts]
        if gone:  # the store is asked only about facts no page has any more
            texts.update(await self.state.flagged_texts(gone))
        return {fact_id: texts.get(fact_id, "") for fact_id in fact_ids}

    async def history(self, fact_id: str, guild_id: int | None = None) -> list[FlagEvent]:
        """Every flag and unflag of a fact, oldest first."""
        return await self.state.history(fact_id, guild_id)

    async def _value(self, sql: str, params: tuple = ()) -> object:
        async with self.conn.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None


def _clean_reason(reason: str) -> str:
    """A reason is shown to everyone with the dispute, so it has to say something."""
    reason = " ".join(reason.split())
    if sum(c.isalnum() for c in reason) < MIN_REASON:
        raise Refusal("A reason must say why, in a few words (e.g. reason:the dose is wrong per the source).")
    return reason[:MAX_REASON]


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


__all__ = ["Library", "Refusal", "PageFormatError"]
