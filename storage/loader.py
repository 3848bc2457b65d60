"""Load concept pages into the database, one transaction per page.

A page is identified by its concept name. An unchanged file is a no-op; a changed one replaces
the page's rows while fact ids (derived from content) stay stable, so flags stay attached.
"""

from __future__ import annotations

import hashlib
import base64
import json
import multiprocessing
import sqlite3
from collections.abc import Callable, Iterable
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from storage.acronyms import find_acronyms
from storage.db import connect_sync
from storage.pageformat import PageFormatError, parse_file
from storage.records import Page, SourceRecord
from storage.textnorm import fold

ID_LENGTH = 8
BATCH_FACTS = 100_000
LOAD_CACHE_KB = 256 * 1024
PARSERS = 1  # worker processes: with two cores, one parses while the writer thread writes
PROCESS_THRESHOLD = 8  # pages; fewer are parsed in a thread (a process costs ~0.3 s to start)
_BATCH = 500
_OF_CONCEPT = "source_id IN (SELECT id FROM sources WHERE concept_id = ?)"  # uses facts_by_source


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
    return fact_key_of(concept, source.title, source.domain, fact_type, text)


def fact_key_of(concept: str, title: str, domain: str, fact_type: str, text: str) -> str:
    parts = (fold(concept), title, domain, fact_type, text)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def short_id(key_hash: str, length: int = ID_LENGTH) -> str:
    """A typeable id: the key hash in lowercase base32 (no padding), `length` characters."""
    needed = (length * 5 + 7) // 8  # only the bytes the id is made of
    return base64.b32encode(bytes.fromhex(key_hash[: needed * 2])).decode("ascii").lower()[:length]


@dataclass(frozen=True)
class Prepared:
    """A parsed page with everything CPU-bound worked out, ready for SQL (picklable)."""

    page: Page
    keys: list[str]  # content hash of each fact
    ids: list[str]  # the short id each key gets unless it clashes
    bodies: list[str]  # folded fact texts, for the search index
    source_rows: list[tuple[str, str]]  # folded (title + domain, people) of each source
    acronyms: list[tuple[str, str]]


def prepare(path: Path) -> Prepared | PageFormatError:
    """Parse one page and compute its keys, folded texts and acronyms (runs in a worker)."""
    try:
        page = parse_file(path)
    except PageFormatError as error:
        return error
    keys = _fact_keys(page)
    texts = [f.text for f in page.facts] + [p.text for p in page.paragraphs]
    return Prepared(
        page,
        keys,
        [short_id(key) for key in keys],
        [fold(f.text) for f in page.facts],
        [(fold(f"{s.title} {s.domain}"), fold(citation_text(s))) for s in page.sources],
        sorted(find_acronyms(texts)),
    )


def load_paths(
    db_path: str | Path,
    paths: Iterable[str | Path],
    progress: Callable[[int, int, PageReport | PageFormatError], None] | None = None,
) -> LoadReport:
    """Load every page under `paths`; a bad page is reported and skipped, the others still load.

    Blocking (run it in a thread from async code). A page that does not parse is reported and
    left untouched. Valid pages are written in batches of about BATCH_FACTS facts per transaction
    (FTS5 indexes far faster that way); if writing fails, the whole batch is rolled back, so every
    page is either fully old or fully new. Pages are parsed in a worker process (a thread for a
    few pages) while the previous ones are written.
    """
    files = page_files(paths)
    report = LoadReport()
    conn = connect_sync(db_path)
    conn.execute(f"PRAGMA cache_size = -{LOAD_CACHE_KB}")  # index pages stay in memory while they grow
    flagged = dict(conn.execute("SELECT DISTINCT fact_id, fact_key FROM flag_events").fetchall())
    in_batch = 0
    with _workers(len(files)) as workers:
        try:
            for number, prepared in enumerate(_prefetch(workers, files, lambda path: _unchanged(conn, path)), 1):
                if isinstance(prepared, PageFormatError):
                    outcome: PageReport | PageFormatError = prepared
                    report.errors.append(prepared)
                elif isinstance(prepared, PageReport):
                    outcome = prepared
                    report.pages.append(prepared)
                else:
                    if in_batch == 0:
                        conn.execute("BEGIN IMMEDIATE")
                    outcome = _write_page(conn, prepared, flagged)
                    report.pages.append(outcome)
                    in_batch += len(prepared.page.facts) + 1
                    if in_batch >= BATCH_FACTS:
                        conn.execute("COMMIT")
                        in_batch = 0
                if progress:
                    progress(number, len(files), outcome)
            if in_batch:
                conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()
    return report


def _workers(files: int) -> Executor:
    if files >= PROCESS_THRESHOLD:
        # spawn, not fork: the caller may be a threaded asyncio process (the bot).
        return ProcessPoolExecutor(max_workers=PARSERS, mp_context=multiprocessing.get_context("spawn"))
    return ThreadPoolExecutor(max_workers=1)


def _prefetch(
    workers: Executor, files: list[Path], known: Callable[[Path], PageReport | None], window: int = 16
) -> Iterator[Prepared | PageFormatError | PageReport]:
    """Results in order, with at most `window` pages prepared ahead (memory stays flat); a page
    `known` reports as already loaded is not parsed at all."""
    pending: deque[Future] = deque()
    for path in files:
        report = known(path)
        if report is not None:
            done: Future = Future()
            done.set_result(report)
            pending.append(done)
        else:
            pending.append(workers.submit(prepare, path))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _unchanged(conn: sqlite3.Connection, path: Path) -> PageReport | None:
    """The report for a file whose exact bytes are already loaded, without parsing it."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None  # the parser reports it properly
    row = _one(conn, "SELECT id, name FROM concepts WHERE content_hash = ?", (digest,))
    if row is None:
        return None
    return _unchanged_report(conn, str(path), row["name"], row["id"])


def _unchanged_report(conn: sqlite3.Connection, path: str, concept: str, concept_id: int) -> PageReport:
    kept = _one(conn, f"SELECT count(*) AS n FROM facts WHERE {_OF_CONCEPT}", (concept_id,))["n"]
    return PageReport(path, concept, "unchanged", kept=kept)


def _write_page(conn: sqlite3.Connection, prepared: Prepared, flagged: dict[str, str]) -> PageReport:
    """Replace one page's rows; `flagged` maps every id the flag history names to its content key."""
    page = prepared.page
    row = _one(conn, "SELECT id, content_hash FROM concepts WHERE name = ?", (page.concept,))
    if row and row["content_hash"] == page.content_hash:
        return _unchanged_report(conn, page.path, page.concept, row["id"])
    old_ids: set[str] = set()
    if row:
        old_ids = {r["id"] for r in _all(conn, f"SELECT id FROM facts WHERE {_OF_CONCEPT}", (row["id"],))}
        _delete_concept(conn, row["id"])
    concept_id = _insert_concept(conn, page)
    source_ids = _insert_sources(conn, concept_id, prepared)
    fact_ids = prepared.ids
    if len(set(fact_ids)) != len(fact_ids) or any(flagged.get(i, k) != k for i, k in zip(fact_ids, prepared.keys)):
        fact_ids = _resolve_clashes(conn, prepared.keys, flagged)
    try:
        _insert_facts(conn, concept_id, prepared, source_ids, fact_ids)
    except sqlite3.IntegrityError:
        # Two contents share a 40-bit prefix (likely once in a million facts): lengthen the ids.
        conn.execute(f"DELETE FROM facts WHERE {_OF_CONCEPT}", (concept_id,))
        fact_ids = _resolve_clashes(conn, prepared.keys, flagged)
        _insert_facts(conn, concept_id, prepared, source_ids, fact_ids)
    _insert_text(conn, concept_id, prepared, fact_ids)
    new_ids = set(fact_ids)
    removed = old_ids - new_ids
    orphaned = _open_flags(conn, removed)
    return PageReport(
        page.path,
        page.concept,
        "updated" if row else "added",
        added=len(new_ids - old_ids),
        removed=len(removed),
        kept=len(new_ids & old_ids),
        orphaned_flags=orphaned,
    )


def _delete_concept(conn: sqlite3.Connection, concept_id: int) -> None:
    rows = conn.execute(f"SELECT rowid, text FROM facts WHERE {_OF_CONCEPT}", (concept_id,))
    conn.executemany(
        "INSERT INTO fact_index (fact_index, rowid, body) VALUES ('delete', ?, ?)",
        [(rowid, fold(text)) for rowid, text in rows.fetchall()],
    )
    conn.execute(
        "DELETE FROM source_index WHERE rowid IN (SELECT id FROM sources WHERE concept_id = ?)", (concept_id,)
    )
    conn.execute(f"DELETE FROM facts WHERE {_OF_CONCEPT}", (concept_id,))
    conn.execute("DELETE FROM concepts WHERE id = ?", (concept_id,))


def _insert_concept(conn: sqlite3.Connection, page: Page) -> int:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    cursor = conn.execute(
        "INSERT INTO concepts (name, subtitle, path, content_hash, loaded_at) VALUES (?, ?, ?, ?, ?)",
        (page.concept, page.subtitle, page.path, page.content_hash, now),
    )
    return cursor.lastrowid


def _insert_sources(conn: sqlite3.Connection, concept_id: int, prepared: Prepared) -> list[int]:
    ids = []
    for position, (source, (title, people)) in enumerate(zip(prepared.page.sources, prepared.source_rows)):
        cursor = conn.execute(
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
        conn.execute("INSERT INTO source_index (rowid, title, people) VALUES (?, ?, ?)", (cursor.lastrowid, title, people))
    return ids


def citation_text(source: SourceRecord) -> str:
    """The words a fact is findable by through its source: publisher, authors, year, title."""
    year = source.date[:4] if source.date else ""
    return " ".join([source.title, source.publisher, *source.authors, year])


def _fact_keys(page: Page) -> list[str]:
    keys = [fact_key(page.concept, page.sources[f.source_index], f.type, f.text) for f in page.facts]
    # The same fact twice under one source is one fact the page repeats; give the copies distinct keys.
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key in seen:
            seen[key] += 1
            keys[i] = hashlib.sha256(f"{key}#{seen[key]}".encode()).hexdigest()
        else:
            seen[key] = 0
    return keys


def _resolve_clashes(conn: sqlite3.Connection, keys: list[str], flagged: dict[str, str]) -> list[str]:
    """Ids from content: the first ID_LENGTH characters of the key hash, lengthened one character
    at a time where another fact held now, or a flagged fact of other content, owns the prefix."""

    def taken(fact_id: str, key: str) -> bool:
        if fact_id in flagged and flagged[fact_id] != key:
            return True
        return _one(conn, "SELECT 1 AS x FROM facts WHERE id = ?", (fact_id,)) is not None

    owners: dict[str, str] = {}
    for key in sorted(set(keys)):
        length = ID_LENGTH
        while short_id(key, length) in owners or taken(short_id(key, length), key):
            length += 1
        owners[short_id(key, length)] = key
    by_key = {key: fact_id for fact_id, key in owners.items()}
    return [by_key[key] for key in keys]


def _insert_facts(
    conn: sqlite3.Connection, concept_id: int, prepared: Prepared, source_ids: list[int], fact_ids: list[str]
) -> None:
    facts = prepared.page.facts
    first = _one(conn, "SELECT coalesce(max(rowid), 0) + 1 AS r FROM facts")["r"]
    conn.executemany(
        "INSERT INTO facts (rowid, id, concept_id, source_id, position, type, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(first + i, fact_ids[i], concept_id, source_ids[f.source_index], i, f.type, f.text) for i, f in enumerate(facts)],
    )
    conn.executemany(
        "INSERT INTO fact_index (rowid, body) VALUES (?, ?)",
        [(first + i, body) for i, body in enumerate(prepared.bodies)],
    )


def _insert_text(conn: sqlite3.Connection, concept_id: int, prepared: Prepared, fact_ids: list[str]) -> None:
    page = prepared.page
    conn.executemany(
        "INSERT INTO paragraphs (concept_id, position, text, raw) VALUES (?, ?, ?, ?)",
        [(concept_id, i, p.text, p.raw) for i, p in enumerate(page.paragraphs)],
    )
    conn.executemany(
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
    conn.executemany(
        "INSERT INTO citations (concept_id, block, item, position, kind, number, label, fact_id, score, anchor)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        citation_rows,
    )
    conn.executemany(
        "INSERT INTO acronyms (concept_id, short, long) VALUES (?, ?, ?)",
        [(concept_id, short, long) for short, long in prepared.acronyms],
    )


def _open_flags(conn: sqlite3.Connection, fact_ids: set[str]) -> list[str]:
    found: list[str] = []
    for batch in _chunks(sorted(fact_ids), _BATCH):
        marks = ",".join("?" * len(batch))
        rows = _all(
            conn, f"SELECT DISTINCT fact_id FROM flags WHERE status = 'open' AND fact_id IN ({marks})", batch
        )
        found.extend(r["fact_id"] for r in rows)
    return sorted(found)


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _one(conn: sqlite3.Connection, sql: str, params: tuple | list = ()) -> sqlite3.Row | None:
    return conn.execute(sql, params).fetchone()


def _all(conn: sqlite3.Connection, sql: str, params: tuple | list = ()) -> list[sqlite3.Row]:
    return conn.execute(sql, params).fetchall()
