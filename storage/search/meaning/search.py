"""The meaning layer as the searcher uses it: the encoder, loaded once, and the index of sign
bits, rebuilt when another batch of vectors has been stored (by this process or another)."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field

import numpy as np

from storage.search.meaning import vectors
from storage.search.meaning.encoder import SentenceEncoder
from storage.search.meaning.index import MeaningIndex

MAX_QUERY_CHARS = 2_000  # the encoder truncates at 256 tokens anyway


@dataclass(frozen=True)
class Near:
    found: list[tuple[int, float]]  # (rowid, cosine), closest first
    also: dict[int, float]  # rowid -> cosine of the facts asked about
    mean: float  # the query's cosine to the corpus at large ...
    deviation: float  # ... and its spread
    vector: np.ndarray | None = None  # the unit query vector they were measured from
    # rowid -> the vector of each fact measured (found or asked about), kept for measuring again
    measured: dict[int, np.ndarray] = field(default_factory=dict)


class Meaning:
    """Sentence-vector search over one database; safe to use from several search threads."""

    def __init__(self, encoder: SentenceEncoder | None = None) -> None:
        self.encoder = encoder or SentenceEncoder()
        self.ready = False  # every fact has a vector (set by the library; until then: words only)
        self._lock = threading.Lock()
        self._index: MeaningIndex | None = None
        self._version: int | None = None

    def similar(self, conn: sqlite3.Connection, query: str, filters, k: int) -> list[tuple[int, float]]:
        """Up to `k` (rowid, cosine) closest in meaning to `query` that pass `filters`, best first."""
        closest = self._closest(conn, query, filters, k)
        return closest[2] if closest else []

    def near(self, conn: sqlite3.Connection, query: str, filters, k: int, also: list[int]) -> Near:
        """The `k` facts closest in meaning to `query`, the cosines of the facts `also` (found by
        words), and the query's background (fusion.py reads a cosine against it)."""
        closest = self._closest(conn, query, filters, k)
        if closest is None:
            return Near([], {}, 0.0, 1.0)
        vector, index, found, measured = closest
        known = dict(found)
        rowids, stored = vectors.exact(conn, [rowid for rowid in also if rowid not in known])
        cosines = dict(zip(rowids, (stored @ vector).tolist()))
        mean, deviation = index.background_cosines(vector)
        return Near(found, {**cosines, **{r: known[r] for r in also if r in known}}, mean, deviation, vector,
                    {**measured, **dict(zip(rowids, stored))})

    def refined(self, conn: sqlite3.Connection, near: Near, best: list[int], weight: float) -> Near:
        """`near` measured again from its query vector plus `weight` times the mean vector of the facts
        `best` (pseudo-relevance feedback: what the best answers say widens a short query). Only the
        facts `near` holds are measured: a second scan of the index found no others worth ranking."""
        if near.vector is None or not near.measured:
            return near
        # The best facts are among those `near` holds (fusion ranks no other), and `near` measured
        # all of them: no second read.
        rowids = list(near.measured)
        stored = np.stack(list(near.measured.values()))
        wanted = set(best)
        chosen = [i for i, rowid in enumerate(rowids) if rowid in wanted]
        if not chosen:
            return near
        vector = near.vector + weight * stored[chosen].mean(axis=0)
        vector /= np.linalg.norm(vector)
        cosines = dict(zip(rowids, (stored @ vector).tolist()))
        found = sorted(((rowid, cosines[rowid]) for rowid, _ in near.found if rowid in cosines), key=lambda rc: -rc[1])
        mean, deviation = self.index(conn).background_cosines(vector)
        return Near(found, {rowid: cosines[rowid] for rowid in near.also if rowid in cosines}, mean, deviation, vector,
                    near.measured)

    def _closest(self, conn: sqlite3.Connection, query: str, filters, k: int):
        """(query vector, index, the `k` closest (rowid, cosine) passing `filters`, rowid -> vector of
        each of them); None for no text."""
        text = " ".join(query.split())[:MAX_QUERY_CHARS]
        if not text:
            return None
        vector = self.encoder.encode([text])[0]
        index = self.index(conn)
        narrowed = filters.fact_type or filters.concept_id is not None or filters.source_ids is not None
        found, stored = index.search(conn, vector, k * 8 if narrowed else k)
        measured = dict(zip((rowid for rowid, _ in found), stored))
        if narrowed:
            found = _filtered(conn, found, filters)[:k]
            measured = {rowid: measured[rowid] for rowid, _ in found}
        return vector, index, found, measured

    def index(self, conn: sqlite3.Connection) -> MeaningIndex:
        with self._lock:
            version = vectors.version(conn)
            if self._index is None or version != self._version:
                self._index, self._version = MeaningIndex.build(conn), version
            return self._index

    def warm(self, connect) -> None:
        """Load the model and build the index (called in a search thread with its connection maker)."""
        self.encoder.load()
        self.index(connect())

    def forget(self) -> None:
        """Drop the index (facts were loaded: rowids changed); rebuilt at the next search."""
        with self._lock:
            self._index = None


def _filtered(conn: sqlite3.Connection, found: list[tuple[int, float]], filters) -> list[tuple[int, float]]:
    if not found:
        return []
    marks = ",".join("?" * len(found))
    rows = conn.execute(f"SELECT rowid, type, concept_id, source_id FROM facts WHERE rowid IN ({marks})",
                        [r for r, _ in found]).fetchall()
    allowed = {
        r[0] for r in rows
        if (not filters.fact_type or r[1] == filters.fact_type)
        and (filters.concept_id is None or r[2] == filters.concept_id)
        and (filters.source_ids is None or r[3] in filters.source_ids)
    }
    return [(rowid, cosine) for rowid, cosine in found if rowid in allowed]
