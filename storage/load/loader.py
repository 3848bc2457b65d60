"""Load concept pages into the database, many pages per transaction.

A page is identified by its concept name. An unchanged file is a no-op; a changed one replaces
the page's rows while fact ids (derived from content) stay stable, so flags stay attached.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import compress, count, repeat
from operator import is_not
from pathlib import Path

from storage.db import connect_sync
from storage.identity import stored_fact_keys, stored_keys
from storage.load.factids import FactIds
from storage.pages.format import PageFormatError, page_digest
from storage.load.parseahead import ParseAhead
from storage.load.prepare import Prepared
from storage.textnorm import fold

# Facts per transaction. Smaller batches commit while the worker still parses: the last commit,
# which nothing overlaps, was a tenth of a 100,000-fact load at 100,000 facts a batch; 25,000 cost
# no more CPU, at 100,000 facts nor at a million (measured), and FTS5 still indexes in bulk.
BATCH_FACTS = 25_000
# The batch is also committed when this many pages are left: the last commit, which nothing
# overlaps (the worker has parsed everything by then), holds only those few pages.
FINAL_PAGES = 20
LOAD_CACHE_KB = 256 * 1024
PROCESS_THRESHOLD = 8  # pages; fewer are parsed by the writer alone (a process costs ~0.3 s to start)
PARSE_WINDOW = 48  # pages parsed ahead at most: the worker keeps going while a batch commits
_OF_CONCEPT = "source_id IN (SELECT id FROM sources WHERE concept_id = ?)"  # uses facts_by_source

@dataclass
class PageReport:
    path: str
    concept: str
    status: str  # "added" | "updated" | "unchanged" | "removed"
    added: int = 0
    removed: int = 0
    kept: int = 0
    removed_ids: list[str] = field(default_factory=list)
    orphaned_flags: list[str] = field(default_factory=list)  # removed facts with an open dispute (the library fills it)


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


def load_paths(
    db_path: str | Path,
    paths: Iterable[str | Path],
    progress: Callable[[int, int, PageReport | PageFormatError], None] | None = None,
    flagged: dict[str, str] | None = None,
) -> LoadReport:
    """Load every page under `paths`; a bad page is reported and skipped, the others still load.

    Blocking (run it in a thread from async code). A page that does not parse is reported and
    left untouched. Valid pages are written in batches of about BATCH_FACTS facts per transaction
    (FTS5 indexes far faster that way); if writing fails, the whole batch is rolled back, so every
    page is either fully old or fully new. Pages are parsed ahead in a worker process (see
    storage.load.parseahead) while the previous ones are written.
    """
    files = page_files(paths)
    report = LoadReport()
    conn = connect_sync(db_path)
    try:
        conn.execute(f"PRAGMA cache_size = -{LOAD_CACHE_KB}")  # index pages stay in memory while they grow
        if flagged is None:
            flagged = dict(conn.execute("SELECT DISTINCT fact_id, fact_key FROM flag_events").fetchall())
        # Pages already loaded byte for byte are recognised first, so a worker process (a third
        # of a second to start) is started only when enough pages need parsing. A new database
        # has no page to recognise: no file needs hashing before it is parsed.
        recognised: dict[Path, PageReport] = {}
        if _one(conn, "SELECT 1 FROM concepts LIMIT 1") is not None:
            recognised = {path: found for path in files if (found := _unchanged(conn, path)) is not None}
        worker = len(files) - len(recognised) >= PROCESS_THRESHOLD
        with ParseAhead(files, recognised.get, window=PARSE_WINDOW, worker=worker) as pages:
            _write_all(conn, pages, len(files), flagged, report, progress)
    finally:
        conn.close()
    return report


def _write_all(
    conn: sqlite3.Connection,
    pages: Iterable[Prepared | PageFormatError | PageReport],
    total: int,
    flagged: dict[str, str],
    report: LoadReport,
    progress: Callable[[int, int, PageReport | PageFormatError], None] | None,
) -> None:
    """Write the pages in batches of about BATCH_FACTS facts, one transaction each."""
    ids: FactIds | None = None
    in_batch = 0
    first_file: dict[str, str] = {}  # concept (any case) -> the file of this load that holds it
    try:
        for number, prepared in enumerate(pages, 1):
            if not isinstance(prepared, PageFormatError):
                prepared = _one_file_per_concept(prepared, first_file)
            if isinstance(prepared, PageFormatError):
                outcome: PageReport | PageFormatError = prepared
                report.errors.append(prepared)
            elif isinstance(prepared, PageReport):
                outcome = prepared
                report.pages.append(prepared)
            else:
                if ids is None:
                    conn.execute("BEGIN IMMEDIATE")
                    ids = FactIds(conn, flagged)
                outcome = _write_page(conn, prepared, ids)
                report.pages.append(outcome)
                in_batch += len(prepared.facts) + 1
                if in_batch >= BATCH_FACTS or total - number == FINAL_PAGES:
                    _commit(conn, ids)
                    ids, in_batch = None, 0
            if progress:
                progress(number, total, outcome)
        if ids is not None:
            _commit(conn, ids)
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _one_file_per_concept(
    page: Prepared | PageReport, first_file: dict[str, str]
) -> Prepared | PageReport | PageFormatError:
    """The page, or an error when a file loaded earlier in this load has the same concept: two
    versions of one page would replace each other on every load, orphaning its disputes."""
    held_by = first_file.setdefault(page.concept.casefold(), page.path)
    if held_by == page.path:
        return page
    return PageFormatError(page.path, None, f"its concept {page.concept!r} is also the concept of {held_by}; "
                           "a concept has one page file, so this one was not loaded")


def _commit(conn: sqlite3.Connection, ids: FactIds) -> None:
    ids.flush()
    conn.execute("COMMIT")


def _unchanged(conn: sqlite3.Connection, path: Path) -> PageReport | None:
    """The report for a file whose exact bytes are already loaded, without parsing it."""
    try:
        digest = page_digest(path.read_bytes())
    except OSError:
        return None  # the parser reports it properly
    row = _one(conn, "SELECT id, name, path FROM concepts WHERE content_hash = ?", (digest,))
    if row is None:
        return None
    _note_location(conn, row, str(path))
    return _unchanged_report(conn, str(path), row["name"], row["id"])


def located(path: str) -> str:
    """Where a page file is, as recorded: absolute, so `load --prune` can tell it is gone."""
    return str(Path(path).resolve())


def _note_location(conn: sqlite3.Connection, row: sqlite3.Row, path: str) -> None:
    """Record where an unchanged page is read from now (it may have been moved or renamed)."""
    if row["path"] != located(path):
        conn.execute("UPDATE concepts SET path = ? WHERE id = ?", (located(path), row["id"]))


def _unchanged_report(conn: sqlite3.Connection, path: str, concept: str, concept_id: int) -> PageReport:
    kept = _one(conn, f"SELECT count(*) AS n FROM facts WHERE {_OF_CONCEPT}", (concept_id,))["n"]
    return PageReport(path, concept, "unchanged", kept=kept)


def _write_page(conn: sqlite3.Connection, prepared: Prepared, ids: FactIds) -> PageReport:
    """Replace one page's rows, its fact ids assigned by `ids`."""
    row = _one(conn, "SELECT id, content_hash, path FROM concepts WHERE name = ?", (prepared.concept,))
    if row and row["content_hash"] == prepared.content_hash:
        _note_location(conn, row, prepared.path)
        return _unchanged_report(conn, prepared.path, prepared.concept, row["id"])
    owned: dict[str, str] = {}
    if row:
        owned = delete_concept(conn, row["id"], ids)
    old_ids = set(owned)
    concept_id = _insert_concept(conn, prepared)
    source_ids = _insert_sources(conn, concept_id, prepared)
    first = ids.next_rowid()
    fact_ids = ids.assign(prepared.keys, prepared.ids, first, concept_id, owned)
    _insert_facts(conn, concept_id, prepared, source_ids, fact_ids, first)
    _insert_text(conn, concept_id, prepared, fact_ids)
    new_ids = set(fact_ids)
    removed = old_ids - new_ids
    return PageReport(
        prepared.path,
        prepared.concept,
        "updated" if row else "added",
        added=len(new_ids - old_ids),
        removed=len(removed),
        kept=len(new_ids & old_ids),
        removed_ids=sorted(removed),
    )


def delete_concept(conn: sqlite3.Connection, concept_id: int, ids: FactIds) -> dict[str, str]:
    """Delete a page's rows; returns each id its facts had -> that fact's content key."""
    concept = _one(conn, "SELECT name FROM concepts WHERE id = ?", (concept_id,))["name"]
    rows = conn.execute(
        "SELECT f.rowid, f.id, f.text, s.title, s.domain, f.type FROM facts f JOIN sources s ON s.id = f.source_id"
        f" WHERE f.{_OF_CONCEPT} ORDER BY f.position",
        (concept_id,),
    ).fetchall()
    conn.executemany(
        "INSERT INTO fact_index (fact_index, rowid, body) VALUES ('delete', ?, ?)",
        [(rowid, fold(text)) for rowid, _, text, *_ in rows],
    )
    ids.release([(rowid, fact_id) for rowid, fact_id, *_ in rows])
    conn.execute(
        "DELETE FROM source_index WHERE rowid IN (SELECT id FROM sources WHERE concept_id = ?)", (concept_id,)
    )
    conn.execute(f"DELETE FROM facts WHERE {_OF_CONCEPT}", (concept_id,))
    conn.execute("DELETE FROM concepts WHERE id = ?", (concept_id,))
    keys = stored_fact_keys(concept, [(title, domain, fact_type, text) for _, _, text, title, domain, fact_type in rows])
    return {fact_id: key for (_, fact_id, *_), key in zip(rows, keys)}


def _insert_concept(conn: sqlite3.Connection, prepared: Prepared) -> int:
    # Microseconds: a running bot's search notices a page replaced within the same second.
    now = datetime.now(timezone.utc).isoformat(timespec="microseconds")
    cursor = conn.execute(
        "INSERT INTO concepts (name, subtitle, path, content_hash, loaded_at) VALUES (?, ?, ?, ?, ?)",
        (prepared.concept, prepared.subtitle, located(prepared.path), prepared.content_hash, now),
    )
    return cursor.lastrowid


def _insert_sources(conn: sqlite3.Connection, concept_id: int, prepared: Prepared) -> list[int]:
    # Ids given here, not taken one insert at a time, so both tables take one executemany each.
    first = _one(conn, "SELECT coalesce(max(id), 0) + 1 AS i FROM sources")["i"]
    ids = list(range(first, first + len(prepared.sources)))
    conn.executemany(
        "INSERT INTO sources (id, concept_id, position, title, domain, publisher, authors, date, declared_facts)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(source_id, concept_id, position, *row) for position, (source_id, row) in enumerate(zip(ids, prepared.sources))],
    )
    conn.executemany(
        "INSERT INTO source_index (rowid, title, people) VALUES (?, ?, ?)",
        [(source_id, title, people) for source_id, (title, people) in zip(ids, prepared.source_search)],
    )
    return ids


def _insert_facts(
    conn: sqlite3.Connection,
    concept_id: int,
    prepared: Prepared,
    source_ids: list[int],
    fact_ids: list[str],
    first: int,
) -> None:
    # Rows zipped from columns by C iterators: a Python tuple display per fact cost a fifth of
    # what SQLite takes to store it.
    sources, types, texts = zip(*prepared.facts) if prepared.facts else ((), (), ())
    conn.executemany(
        "INSERT INTO facts (rowid, id, concept_id, source_id, position, type, text, key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        zip(count(first), fact_ids, repeat(concept_id), map(source_ids.__getitem__, sources), count(), types, texts,
            stored_keys(prepared.keys)),
    )
    conn.executemany("INSERT INTO fact_index (rowid, body) VALUES (?, ?)", zip(count(first), _bodies(texts, prepared.bodies)))


def _bodies(texts: tuple[str, ...], folded: list[str | None]) -> list[str]:
    """The text each fact is indexed by: its folded text, which is its text in lowercase where
    Prepared.bodies leaves None (plain ASCII, most facts)."""
    bodies = list(map(str.lower, texts))
    for at in compress(count(), map(is_not, folded, repeat(None))):
        bodies[at] = folded[at]
    return bodies


def _insert_text(conn: sqlite3.Connection, concept_id: int, prepared: Prepared, fact_ids: list[str]) -> None:
    conn.executemany(
        "INSERT INTO paragraphs (concept_id, position, text, raw) VALUES (?, ?, ?, ?)",
        [(concept_id, i, text, raw) for i, (text, raw) in enumerate(prepared.paragraphs)],
    )
    conn.executemany(
        "INSERT INTO perspectives (concept_id, position, model, stance, confidence, text, raw)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(concept_id, i, *row) for i, row in enumerate(prepared.perspectives)],
    )
    conn.executemany(
        "INSERT INTO citations (concept_id, block, item, position, kind, number, label, fact_id, score, anchor)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (concept_id, block, item, position, kind, number, label, None if fact is None else fact_ids[fact], score, anchor)
            for block, item, position, kind, number, label, fact, score, anchor in prepared.citations
        ],
    )
    conn.executemany(
        "INSERT INTO acronyms (concept_id, short, long) VALUES (?, ?, ?)",
        [(concept_id, short, long) for short, long in prepared.acronyms],
    )


def _one(conn: sqlite3.Connection, sql: str, params: tuple | list = ()) -> sqlite3.Row | None:
    return conn.execute(sql, params).fetchone()

