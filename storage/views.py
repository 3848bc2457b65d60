"""Rows -> the plain answers' building blocks: facts, sources and citations with this guild's disputes."""

from __future__ import annotations

import json

import aiosqlite

from storage.answers import CitationView, Dispute, FactView, SourceInfo, SourceView
from storage.state import StateStore

_FACT_SQL = """
SELECT f.rowid, f.id, f.type, f.text, c.name AS concept,
       s.id AS source_id, s.title, s.domain, s.publisher, s.authors, s.date, s.declared_facts
FROM facts f JOIN sources s ON s.id = f.source_id JOIN concepts c ON c.id = f.concept_id
"""


class Views:
    """Reads facts, sources and citations; each answer asks the state store once for its disputes."""

    def __init__(self, conn: aiosqlite.Connection, state: StateStore) -> None:
        self.conn = conn
        self.state = state

    async def facts(self, rowids: list[int], guild_id: int | None) -> dict[int, FactView]:
        """facts.rowid -> FactView with its open disputes (of one guild, or all)."""
        rows = await self._fact_rows(rowids)
        disputes = await self.state.open_disputes([r["id"] for r in rows], guild_id)
        return _fact_views(rows, disputes)

    async def sources(
        self, source_ids: list[int], scores: dict[int, float], guild_id: int | None, sample: int
    ) -> list[SourceView]:
        """Each source with its fact counts by type, its first `sample` facts and its disputed facts;
        the disputes of every fact of every source come from one query to the state store."""
        read = [await self._source_rows(source_id) for source_id in source_ids]
        every_fact = [fact_id for _, _, facts in read for _, fact_id in facts]
        disputes = await self.state.open_disputes(every_fact, guild_id)
        shown = await self._fact_rows([rowid for _, _, facts in read for rowid, _ in facts[:sample]])
        views = _fact_views(shown, disputes)
        answers = []
        for row, counts, facts in read:
            info = SourceInfo(
                row["id"], row["title"], row["domain"], row["publisher"], tuple(json.loads(row["authors"])),
                row["date"], row["declared_facts"], row["concept"],
            )
            disputed = sorted(fact_id for _, fact_id in facts if fact_id in disputes)
            answers.append(SourceView(info, scores.get(row["id"]), counts, [views[r] for r, _ in facts[:sample]], disputed))
        return answers

    async def _fact_rows(self, rowids: list[int]) -> list[aiosqlite.Row]:
        if not rowids:
            return []
        # The ids travel as one JSON array: a whole deck's worth would pass SQLite's bound-variable limit.
        async with self.conn.execute(f"{_FACT_SQL} WHERE f.rowid IN (SELECT value FROM json_each(?))",
                                     (json.dumps(rowids),)) as cursor:
            return list(await cursor.fetchall())

    async def facts_by_id(self, fact_ids: list[str], guild_id: int | None) -> dict[str, FactView]:
        """fact id -> FactView, for the ids that name a fact (lowercase ids)."""
        if not fact_ids:
            return {}
        async with self.conn.execute("SELECT fact FROM fact_ids WHERE id IN (SELECT value FROM json_each(?))",
                                     (json.dumps(fact_ids),)) as cursor:
            rowids = [rowid for (rowid,) in await cursor.fetchall()]
        if not rowids:  # "ketamine" has the shape of an id: no store query for a word
            return {}
        return {view.id: view for view in (await self.facts(rowids, guild_id)).values()}

    async def _source_rows(self, source_id: int) -> tuple[aiosqlite.Row, dict[str, int], list[tuple[int, str]]]:
        """A source's row, its fact counts by type and its (rowid, fact id) pairs in page order."""
        async with self.conn.execute(
            "SELECT s.*, c.name AS concept FROM sources s JOIN concepts c ON c.id = s.concept_id WHERE s.id = ?",
            (source_id,),
        ) as cursor:
            row = await cursor.fetchone()
        async with self.conn.execute(
            "SELECT type, count(*) FROM facts WHERE source_id = ? GROUP BY type ORDER BY count(*) DESC, type",
            (source_id,),
        ) as cursor:
            counts = {t: n for t, n in await cursor.fetchall()}
        async with self.conn.execute(
            "SELECT rowid, id FROM facts WHERE source_id = ? ORDER BY position", (source_id,)
        ) as cursor:
            facts = [(rowid, fact_id) for rowid, fact_id in await cursor.fetchall()]
        return row, counts, facts

    async def citations(
        self, concept_id: int, guild_id: int | None
    ) -> tuple[dict[tuple[str, int], list[CitationView]], dict[str, FactView]]:
        """(block, item) -> the citations of that synthesis paragraph or perspective, in order; and
        fact id -> each cited fact. One state-store query marks both with this guild's disputes."""
        async with self.conn.execute(
            "SELECT block, item, kind, label, number, fact_id, score, anchor FROM citations"
            " WHERE concept_id = ? ORDER BY block, item, position",
            (concept_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        cited = await self.facts_by_id(sorted({r["fact_id"] for r in rows if r["fact_id"]}), guild_id)
        grouped: dict[tuple[str, int], list[CitationView]] = {}
        for r in rows:
            fact = cited.get(r["fact_id"])
            grouped.setdefault((r["block"], r["item"]), []).append(
                CitationView(r["kind"], r["label"], r["number"], r["fact_id"], r["score"], r["anchor"],
                             fact is not None and fact.disputed)
            )
        return grouped, cited

def _fact_views(rows: list[aiosqlite.Row], disputes: dict[str, list[Dispute]]) -> dict[int, FactView]:
    return {
        r["rowid"]: FactView(
            r["id"], r["type"], r["text"], None, r["concept"], _source(r), tuple(disputes.get(r["id"], ()))
        )
        for r in rows
    }


def _source(row: aiosqlite.Row) -> SourceInfo:
    return SourceInfo(
        row["source_id"], row["title"], row["domain"], row["publisher"], tuple(json.loads(row["authors"])),
        row["date"], row["declared_facts"], row["concept"],
    )
