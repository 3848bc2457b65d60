"""Load concept pages into the database, one transaction per page.

A page is identified by its concept name. An unchanged file is a no-op; a changed one replaces
the page's rows while fact ids (derived from content) stay stable, so flags stay attached.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import aiosqlite

from storage.acronyms import find_acronyms
from storage.pageformat import PageFormatError, parse_file
from storage.records import Page, SourceRecord
from storage.textnorm import fold

ID_LENGTH = 8
_BATCH = 500


@dataclass
class PageReport:
    path: str
    concept: str
    status: str  # "added" | "updated" | "unchanged"
    added: int = 0
    removed: int = 0
    kept: int = 0
    orphaned_flags: list[str] = field(default_factory=list)  # open flags whose fact is gone


@dataclass
class LoadReport:
    pages: list[PageReport] = field(default_factory=list)
    errors: list[PageFormatError] = field(default_factory=list)

    @property
    def facts_added(self) -> int:
        return sum(p.added for p in self.pages)

    @property
    def facts_removed(self) -> int:
        return sum(p.removed for p in self.pages)

    @property
    def facts_kept(self) -> int:
        return sum(p.kept for p in self.pages)


def page_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and directories into the page files to load (*.txt, sorted)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.txt") if p.is_file()))
        else:
            files.append(path)
    return files


def fact_key(concept: str, source: SourceRecord, fact_type: str, text: str) -> str:
    """The content a fact id is derived from, hashed (hex)."""
    parts = (fold(concept), source.title, source.domain, fact_type, text)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def short_id(key_hash: str, length: int = ID_LENGTH) -> str:
    """A typeable id: the key hash in lowercase base32 (no padding), `length` characters."""
    return base64.b32encode(bytes.fromhex(key_hash)).decode("ascii").lower()[:length]


async def load_paths(
    conn: aiosqlite.Connection,
    paths: Iterable[str | Path],
    progress: Callable[[int, int, PageReport | PageFormatError], None] | None = None,
) -> LoadReport:
    """Load every page under `paths`; a bad page is reported and skipped, the others still load."""
    files = page_files(paths)
    report = LoadReport()
    for number, path in enumerate(files, 1):
        try:
            outcome: PageReport | PageFormatError = await load_page(conn, parse_file(path))
            report.pages.append(outcome)
        except PageFormatError as error:
            outcome = error
            report.errors.append(error)
        if progress:
            progress(number, len(files), outcome)
    return report


async def load_page(conn: aiosqlite.Connection, page: Page) -> PageReport:
    """Write one parsed page atomically; returns what changed."""
    await conn.execute("BEGIN IMMEDIATE")
    try:
        report = await _write_page(conn, page)
        await conn.execute("COMMIT")
        return report
    except BaseException:
        await conn.execute("ROLLBACK")
        raise


async def _write_page(conn: aiosqlite.Connection, page: Page) -> PageReport:
    row = await _one(conn, "SELECT id, content_hash FROM concepts WHERE name = ?", (page.concept,))
    if row and row["content_hash"] == page.content_hash:
        count = await _one(conn, "SELECT count(*) AS n FROM facts WHERE concept_id = ?", (row["id"],))
        return PageReport(page.path, page.concept, "unchanged", kept=count["n"])
    old_ids: set[str] = set()
    if row:
        old_ids = {r["id"] for r in await _all(conn, "SELECT id FROM facts WHERE concept_id = ?", (row["id"],))}
        await _delete_concept(conn, row["id"])
    concept_id = await _insert_concept(conn, page)
    source_ids = await _insert_sources(conn, concept_id, page)
    fact_ids = await _assign_ids(conn, page)
    await _insert_facts(conn, concept_id, page, source_ids, fact_ids)
    await _insert_text(conn, concept_id, page, fact_ids)
    new_ids = set(fact_ids)
    removed = old_ids - new_ids
    orphaned = await _open_flags(conn, removed)
    return PageReport(
        page.path,
        page.concept,
        "updated" if row else "added",
        added=len(new_ids - old_ids),
        removed=len(removed),
        kept=len(new_ids & old_ids),
        orphaned_flags=orphaned,
    )


async def _delete_concept(conn: aiosqlite.Connection, concept_id: int) -> None:
    await conn.execute(
        "DELETE FROM fact_index WHERE rowid IN (SELECT rowid FROM facts WHERE concept_id = ?)", (concept_id,)
    )
    await conn.execute(
        "DELETE FROM source_index WHERE rowid IN (SELECT id FROM sources WHERE concept_id = ?)", (concept_id,)
    )
    await conn.execute("DELETE FROM facts WHERE concept_id = ?", (concept_id,))
    await conn.execute("DELETE FROM concepts WHERE id = ?", (concept_id,))


async def _insert_concept(conn: aiosqlite.Connection, page: Page) -> int:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    cursor = await conn.execute(
        "INSERT INTO concepts (name, subtitle, path, content_hash, loaded_at) VALUES (?, ?, ?, ?, ?)",
        (page.concept, page.subtitle, page.path, page.content_hash, now),
    )
    return cursor.lastrowid


async def _insert_sources(conn: aiosqlite.Connection, concept_id: int, page: Page) -> list[int]:
    ids = []
    for position, source in enumerate(page.sources):
        cursor = await conn.execute(
            "INSERT INTO sources (concept_id, position, title, domain, publisher, authors, date, declared_facts)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                concept_id,
                position,
                source.title,
                source.domain,
                source.publisher,
                json.dumps(list(source.authors), ensure_ascii=False),
                source.date,
                source.declared_facts,
            ),
        )
        ids.append(cursor.lastrowid)
        await conn.execute(
            "INSERT INTO source_index (rowid, title, people) VALUES (?, ?, ?)",
            (cursor.lastrowid, fold(f"{source.title} {source.domain}"), fold(citation_text(source))),
        )
    return ids


def citation_text(source: SourceRecord) -> str:
    """The words a fact is findable by through its source: publisher, authors, year, title."""
    year = source.date[:4] if source.date else ""
    return " ".join([source.title, source.publisher, *source.authors, year])


async def _assign_ids(conn: aiosqlite.Connection, page: Page) -> list[str]:
    """Stable ids: reuse the id once issued for the same content; else the shortest free prefix."""
    keys = [fact_key(page.concept, page.sources[f.source_index], f.type, f.text) for f in page.facts]
    # The same fact twice under one source is one fact the page repeats; give the copies distinct keys.
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key in seen:
            seen[key] += 1
            keys[i] = hashlib.sha256(f"{key}#{seen[key]}".encode()).hexdigest()
        else:
            seen[key] = 0
    known: dict[str, str] = {}
    for batch in _chunks(sorted(set(keys)), _BATCH):
        marks = ",".join("?" * len(batch))
        for r in await _all(conn, f"SELECT id, key_hash FROM fact_ids WHERE key_hash IN ({marks})", batch):
            known[r["key_hash"]] = r["id"]
    known.update(await _issue_ids(conn, sorted(set(keys) - set(known))))
    return [known[key] for key in keys]


async def _issue_ids(conn: aiosqlite.Connection, keys: list[str]) -> dict[str, str]:
    """Give each new key the shortest prefix of its hash that no other key holds."""
    issued: dict[str, str] = {}
    length = ID_LENGTH
    while keys:
        wanted: dict[str, list[str]] = {}
        for key in keys:
            wanted.setdefault(short_id(key, length), []).append(key)
        taken: set[str] = set()
        for batch in _chunks(sorted(wanted), _BATCH):
            marks = ",".join("?" * len(batch))
            taken.update(r["id"] for r in await _all(conn, f"SELECT id FROM fact_ids WHERE id IN ({marks})", batch))
        free = {candidate: owners for candidate, owners in wanted.items() if candidate not in taken and len(owners) == 1}
        await conn.executemany(
            "INSERT INTO fact_ids (id, key_hash) VALUES (?, ?)", [(c, owners[0]) for c, owners in free.items()]
        )
        issued.update((owners[0], c) for c, owners in free.items())
        keys = [k for k in keys if k not in issued]
        length += 1
    return issued


async def _insert_facts(
    conn: aiosqlite.Connection, concept_id: int, page: Page, source_ids: list[int], fact_ids: list[str]
) -> None:
    cites = [fold(citation_text(s)) for s in page.sources]
    rows = [
        (fact_ids[i], concept_id, source_ids[f.source_index], i, f.type, f.text) for i, f in enumerate(page.facts)
    ]
    last = await _one(conn, "SELECT coalesce(max(rowid), 0) AS r FROM facts")
    first = last["r"] + 1
    await conn.executemany(
        "INSERT INTO facts (rowid, id, concept_id, source_id, position, type, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(first + i, *row) for i, row in enumerate(rows)],
    )
    await conn.executemany(
        "INSERT INTO fact_index (rowid, body, cite) VALUES (?, ?, ?)",
        [(first + i, fold(f.text), cites[f.source_index]) for i, f in enumerate(page.facts)],
    )


async def _insert_text(conn: aiosqlite.Connection, concept_id: int, page: Page, fact_ids: list[str]) -> None:
    await conn.executemany(
        "INSERT INTO paragraphs (concept_id, position, text, raw) VALUES (?, ?, ?, ?)",
        [(concept_id, i, p.text, p.raw) for i, p in enumerate(page.paragraphs)],
    )
    await conn.executemany(
        "INSERT INTO perspectives (concept_id, position, model, stance, confidence, text, raw)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(concept_id, i, p.model, p.stance, p.confidence, p.text, p.raw) for i, p in enumerate(page.perspectives)],
    )
    citation_rows = []
    for block, items in (("synthesis", page.paragraphs), ("perspective", page.perspectives)):
        for item, entry in enumerate(items):
            for position, c in enumerate(entry.citations):
                fact_id = fact_ids[c.fact_index] if c.fact_index is not None else None
                citation_rows.append(
                    (concept_id, block, item, position, c.kind, c.number, c.label, fact_id, c.score, c.start)
                )
    await conn.executemany(
        "INSERT INTO citations (concept_id, block, item, position, kind, number, label, fact_id, score, anchor)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        citation_rows,
    )
    texts = [f.text for f in page.facts] + [p.text for p in page.paragraphs]
    await conn.executemany(
        "INSERT INTO acronyms (concept_id, short, long) VALUES (?, ?, ?)",
        [(concept_id, short, long) for short, long in sorted(find_acronyms(texts))],
    )


async def _open_flags(conn: aiosqlite.Connection, fact_ids: set[str]) -> list[str]:
    found: list[str] = []
    for batch in _chunks(sorted(fact_ids), _BATCH):
        marks = ",".join("?" * len(batch))
        rows = await _all(
            conn, f"SELECT DISTINCT fact_id FROM flags WHERE status = 'open' AND fact_id IN ({marks})", batch
        )
        found.extend(r["fact_id"] for r in rows)
    return sorted(found)


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


async def _one(conn: aiosqlite.Connection, sql: str, params: tuple | list = ()) -> aiosqlite.Row | None:
    async with conn.execute(sql, params) as cursor:
        return await cursor.fetchone()


async def _all(conn: aiosqlite.Connection, sql: str, params: tuple | list = ()) -> list[aiosqlite.Row]:
    async with conn.execute(sql, params) as cursor:
        return list(await cursor.fetchall())
