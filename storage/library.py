"""The facade every surface calls: facts, sources, synthesis, flags, disputes, autocomplete.

Returns the plain dataclasses of storage.answers; knows nothing of Discord or the console.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

import aiosqlite
from rapidfuzz import fuzz, process

from storage import db
from storage.answers import (
    Block,
    Dispute,
    FactAnswer,
    FactView,
    FlagEvent,
    FlagResult,
    Missing,
    SourceAnswer,
    SynthesisAnswer,
)
from storage.load import remove
from storage.load.loader import LoadReport, PageReport, load_paths
from storage.pages.format import PageFormatError
from storage.identity import fact_key_of, looks_like_id
from storage.pages.records import FACT_TYPES
from storage.search.complete import Completer
from storage.search.lexical import Filters, Searcher
from storage.state import NotDisputed, StateStore
from storage.state.sqlite import SqliteState
from storage.views import Views
from storage.textnorm import fold

log = logging.getLogger("factbot")

MAX_RESULTS = 50  # facts one query can page through
MAX_QUERY = 300  # characters of a query or filter; a longer paste is cut by every surface
MAX_REASON = 500
LIST_CONCEPTS = 10  # an unknown concept lists every concept up to this many, else the nearest


class Refusal(ValueError):
    """A polite, user-facing refusal (unknown fact, nothing to unflag...)."""


class Library:
    """One database, every question the product answers."""

    def __init__(self, conn: aiosqlite.Connection, path: str | Path, state: StateStore | None = None) -> None:
        self.conn = conn
        self.path = Path(path)
        self.search = Searcher(path)
        self.state: StateStore = state if state is not None else SqliteState(conn)
        self.views = Views(conn, self.state)
        self.complete = Completer(conn, self.search)

    @classmethod
    async def open(cls, path: str | Path) -> Library:
        """Open (and migrate) the database at `path`."""
        return cls(await db.connect(path), path)

    @classmethod
    async def open_seeded(cls, path: str | Path, seeds: str | Path) -> Library:
        """Open the database; on first use (no concept yet) load the seed pages into it."""
        library = await cls.open(path)
        if await library.is_empty() and Path(seeds).exists():
            report = await library.load([seeds])
            log.info("first start: loaded %d page(s), %d facts from %s", len(report.pages), report.facts_added, seeds)
        return library

    async def close(self) -> None:
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
            self.search.invalidate()
        await self._orphaned(report.pages)
        return report

    async def remove(self, concept: str) -> PageReport | Missing:
        """Delete a concept's page data (its exact name, any case); flags stay in the history."""
        try:
            removed = await asyncio.to_thread(remove.remove_concepts, self.path, [concept])
        finally:
            self.search.invalidate()
        if not removed:
            return await self._missing_concept(concept)
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

    async def _orphaned(self, pages: list[PageReport]) -> None:
        """Name, in each report, the facts it removed that have an open dispute (in any guild)."""
        for page in pages:
            if page.removed_ids:
                page.orphaned_flags = sorted(await self.state.open_disputes(page.removed_ids, None))

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
    ) -> FactAnswer:
        """The best facts for `query`; a fact id shows that one fact."""
        started = time.perf_counter()
        query = query.strip()
        exact = await self.fact_by_id(query, guild_id)
        if exact is not None:
            return FactAnswer(query, [exact], 1, 0, exact=True, elapsed_ms=_ms(started))
        filters = await self._filters(fact_type, source, concept)
        if isinstance(filters, Missing):
            return FactAnswer(query, [], 0, offset, filters, elapsed_ms=_ms(started))
        scored, plan = await self.search.facts(query, filters, limit=MAX_RESULTS)
        page = scored[offset : offset + limit]
        views = await self.views.facts([s.rowid for s in page], guild_id)
        results = [_with_score(views[s.rowid], s.score) for s in page if s.rowid in views]
        missing = None if scored else Missing("fact", query, nearest=tuple(await self.search.suggest(query)))
        return FactAnswer(query, results, len(scored), offset, missing, plan.corrections, elapsed_ms=_ms(started))

    async def fact_by_id(self, fact_id: str, guild_id: int | None = None) -> FactView | None:
        """One fact by id (case-insensitive), or None."""
        fact_id = fact_id.strip().lower()
        if not looks_like_id(fact_id):
            return None
        rowid = await self._value("SELECT fact FROM fact_ids WHERE id = ?", (fact_id,))
        if rowid is None:
            return None
        return (await self.views.facts([rowid], guild_id))[rowid]

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
            found = await self.search.sources(source, concept_id, limit=5)
            if not found:
                return Missing("source", source, as_filter=True)
            best = found[0].score
            source_ids = tuple(s.rowid for s in found if s.score >= best - 0.05)
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
        views = [await self.views.source(i, scores.get(i), guild_id, sample) for i in ids[offset : offset + limit]]
        missing = None
        if not ids:
            missing = (Missing("source", query, nearest=tuple(await self.search.suggest(query))) if query
                       else await self._missing_concept(concept or ""))
        return SourceAnswer(query, views, len(ids), offset, missing, elapsed_ms=_ms(started))

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
        citations = await self.views.citations(concept_id, guild_id)
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
        return SynthesisAnswer(name, subtitle, paragraphs, perspectives)

    # -- moderation -------------------------------------------------------------------------

    async def resolve_fact(self, reference: str, guild_id: int | None = None) -> FactView | None:
        """A fact named by id, or the best match for a piece of its text."""
        exact = await self.fact_by_id(reference, guild_id)
        if exact is not None:
            return exact
        scored, _ = await self.search.facts(reference, limit=1)
        if not scored:
            return None
        return (await self.views.facts([scored[0].rowid], guild_id)).get(scored[0].rowid)

    async def flag(self, reference: str, reason: str, actor: str, guild_id: int, actor_id: int | None = None) -> FlagResult:
        """Open (or add a reason to) a dispute on a fact in one guild; history is appended."""
        reason = _clean_reason(reason)
        fact = await self.resolve_fact(reference, guild_id)
        if fact is None:
            raise Refusal(f"No fact matches {reference[:80]!r}.")
        already = any(d.guild_id == guild_id for d in fact.disputes)
        event = await self._record(fact, "flag", reason, actor, actor_id, guild_id)
        refreshed = await self.fact_by_id(fact.id, guild_id)
        return FlagResult(refreshed or fact, event, already)

    async def unflag(self, fact_id: str, reason: str, actor: str, guild_id: int, actor_id: int | None = None) -> FlagResult:
        """Resolve a fact's open dispute in one guild; history is kept."""
        reason = _clean_reason(reason)
        fact = await self.fact_by_id(fact_id, guild_id)
        if fact is None:
            raise Refusal(f"No fact has the id {fact_id[:40]!r}.")
        event = await self._record(fact, "unflag", reason, actor, actor_id, guild_id)
        refreshed = await self.fact_by_id(fact.id, guild_id)
        return FlagResult(refreshed or fact, event, True)

    async def _record(
        self, fact: FactView, action: str, reason: str, actor: str, actor_id: int | None, guild_id: int
    ) -> FlagEvent:
        key = fact_key_of(fact.concept, fact.source.title, fact.source.domain, fact.type, fact.text)
        try:
            return await self.state.record(fact.id, fact.text, key, guild_id, action, reason, actor, actor_id)
        except NotDisputed:
            raise Refusal(f"Fact {fact.id} is not disputed here.") from None

    async def disputes(self, guild_id: int | None = None) -> list[Dispute]:
        """Open disputes (of one guild, or all), newest first."""
        return await self.state.disputes(guild_id)

    async def dispute_fact_texts(self, fact_ids: list[str]) -> dict[str, str]:
        """The current text of each fact, or the text it had when last flagged if it is gone."""
        texts: dict[str, str] = {fact_id: "" for fact_id in fact_ids}
        texts.update(await self.state.flagged_texts(fact_ids))
        unique = sorted(set(fact_ids))
        for start in range(0, len(unique), 500):
            batch = unique[start : start + 500]
            marks = ",".join("?" * len(batch))
            live = f"SELECT i.id, f.text FROM fact_ids i JOIN facts f ON f.rowid = i.fact WHERE i.id IN ({marks})"
            async with self.conn.execute(live, batch) as cursor:
                texts.update({fact_id: text for fact_id, text in await cursor.fetchall()})
        return texts

    async def history(self, fact_id: str, guild_id: int | None = None) -> list[FlagEvent]:
        """Every flag and unflag of a fact, oldest first."""
        return await self.state.history(fact_id, guild_id)

    async def _value(self, sql: str, params: tuple = ()) -> object:
        async with self.conn.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None


def _with_score(view: FactView, score: float) -> FactView:
    from dataclasses import replace

    return replace(view, score=score)


def _clean_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise Refusal("A reason is required.")
    return reason[:MAX_REASON]


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


__all__ = ["Library", "Refusal", "PageFormatError"]
