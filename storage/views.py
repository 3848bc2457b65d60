"""Rows -> the plain answers' building blocks: facts, sources and citations with this guild's disputes."""

from __future__ import annotations

import json

import aiosqlite

from storage.answers import CitationView, FactView, SourceInfo, SourceView
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
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        async with self.conn.execute(f"{_FACT_SQL} WHERE f.rowid IN ({marks})", rowids) as cursor:
            rows = await cursor.fetchall()
        disputes = await self.state.open_disputes([r["id"] for r in rows], guild_id)
        return {
            r["rowid"]: FactView(
                r["id"], r["type"], r["text"], None, r["concept"], _source(r), tuple(disputes.get(r["id"], ()))
            )
            for r in rows
        }

    async def facts_by_id(self, fact_ids: list[str], guild_id: int | None) -> dict[str, FactView]:
        """fact id -> FactView, for the ids that name a fact (lowercase ids)."""
        if not fact_ids:
            return {}
        marks = ",".join("?" * len(fact_ids))
        async with self.conn.execute(f"SELECT fact FROM fact_ids WHERE id IN ({marks})", fact_ids) as cursor:
            rowids = [rowid for (rowid,) in await cursor.fetchall()]
        return {view.id: view for view in (await self.facts(rowids, guild_id)).values()}

    async def source(self, source_id: int, score: float | None, guild_id: int | None, sample: int) -> SourceView:
        """A source with its fact counts by type, its first `sample` facts and its disputed facts."""
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
            facts = await cursor.fetchall()
        disputes = await self.state.open_disputes([fact_id for _, fact_id in facts], guild_id)
        info = SourceInfo(
            row["id"], row["title"], row["domain"], row["publisher"], tuple(json.loads(row["authors"])),
            row["date"], row["declared_facts"], row["concept"],
        )
        shown = [rowid for rowid, _ in facts[:sample]]
        views = await self.facts(shown, guild_id)
        return SourceView(info, score, counts, [views[r] for r in shown], sorted(disputes))

    async def citations(self, concept_id: int, guild_id: int | None) -> dict[tuple[str, int], list[CitationView]]:
        """(block, item) -> the citations of that synthesis paragraph or perspective, in order."""
        async with self.conn.execute(
            "SELECT block, item, kind, label, number, fact_id, score, anchor FROM citations"
            " WHERE concept_id = ? ORDER BY block, item, position",
            (concept_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        disputed = await self.state.open_disputes([r["fact_id"] for r in rows if r["fact_id"]], guild_id)
        grouped: dict[tuple[str, int], list[CitationView]] = {}
        for r in rows:
            grouped.setdefault((r["block"], r["item"]), []).append(
                CitationView(r["kind"], r["label"], r["number"], r["fact_id"], r["score"], r["anchor"], r["fact_id"] in disputed)
            )
        return grouped


def _source(row: aiosqlite.Row) -> SourceInfo:
    return SourceInfo(
        row["source_id"], row["title"], row["domain"], row["publisher"], tuple(json.loads(row["authors"])),
        row["date"], row["declared_facts"], row["concept"],
    )
