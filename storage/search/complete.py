"""Autocomplete: labels for a partly typed fact, source or concept, within Discord's 100 characters."""

from __future__ import annotations

import aiosqlite

from storage.search.lexical import Filters, Searcher
from storage.textnorm import fold

LABEL = 100  # Discord's limit for a choice's name and value


class Completer:
    """Fast, lexical completions: no citation or dispute look-ups on this hot path."""

    def __init__(self, conn: aiosqlite.Connection, search: Searcher) -> None:
        self.conn = conn
        self.search = search

    async def facts(self, partial: str, concept_id: int | None = None, limit: int = 25) -> list[tuple[str, str]]:
        """(label, value) pairs for a partly typed fact query; value is the fact id."""
        if not partial.strip():
            return []
        scored, _ = await self.search.facts(partial, Filters(concept_id=concept_id), limit=limit, prefix_last=True)
        if not scored:
            return []
        marks = ",".join("?" * len(scored))
        async with self.conn.execute(f"SELECT rowid, id, type, text FROM facts WHERE rowid IN ({marks})",
                                     [s.rowid for s in scored]) as cursor:
            rows = {r["rowid"]: r for r in await cursor.fetchall()}
        return [(label(f"{rows[s.rowid]['type']}: {rows[s.rowid]['text']}"), rows[s.rowid]["id"])
                for s in scored if s.rowid in rows]

    async def sources(self, partial: str, limit: int = 25) -> list[tuple[str, str]]:
        """(label, value) pairs for a partly typed source; value is the source title (<= 100 chars)."""
        if partial.strip():
            scored = await self.search.sources(partial, limit=limit)
            ids = [s.rowid for s in scored]
        else:
            async with self.conn.execute("SELECT id FROM sources ORDER BY declared_facts DESC, id LIMIT ?", (limit,)) as c:
                ids = [i for (i,) in await c.fetchall()]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        sql = f"SELECT id, title, publisher, declared_facts FROM sources WHERE id IN ({marks})"
        async with self.conn.execute(sql, ids) as cursor:
            rows = {r["id"]: r for r in await cursor.fetchall()}
        return [(label(f"{rows[i]['title']} — {rows[i]['publisher']} ({rows[i]['declared_facts']})"), label(rows[i]["title"]))
                for i in ids if i in rows]

    async def concepts(self, partial: str, limit: int = 25) -> list[tuple[str, str]]:
        """(label, value) pairs of the concepts whose name contains what was typed."""
        async with self.conn.execute("SELECT name FROM concepts ORDER BY name") as cursor:
            names = [name for (name,) in await cursor.fetchall()]
        folded = fold(partial)
        matches = [n for n in names if folded in fold(n)] if folded else names
        return [(label(n), label(n)) for n in matches[:limit]]


def label(text: str, limit: int = LABEL) -> str:
    """One line, at most `limit` characters, an ellipsis if cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
