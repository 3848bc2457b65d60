"""The in-memory side of the meaning layer: every fact's sign bits, scanned by Hamming distance;
the closest few are rescored exactly from their stored int8 vectors."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

import numpy as np

from storage.search.meaning import vectors

SHORTLIST = 400  # facts rescored exactly per query: sign bits alone order them roughly
# Facts (evenly spread over the index) whose cosines to a query describe how close that query is
# to the corpus at large: a short query scores every fact lower than a long one does, and a query
# naming the page's topic scores every fact higher, so a cosine means most against that background.
BACKGROUND = 512


@dataclass(frozen=True)
class MeaningIndex:
    rowids: np.ndarray  # int64, the facts that have vectors
    bits: np.ndarray  # (n, 6) uint64 sign bits, row i for rowids[i]
    background: np.ndarray = field(default_factory=lambda: np.zeros((0, vectors.DIMENSION), dtype=np.float32))

    @classmethod
    def build(cls, conn: sqlite3.Connection) -> MeaningIndex:
        """Read every fact's vector once (streamed, so a million facts never sit in memory as blobs)."""
        rowids: list[np.ndarray] = []
        bits: list[np.ndarray] = []
        cursor = conn.execute("SELECT f.rowid, v.vector FROM facts f JOIN fact_vectors v ON v.key = f.key")
        while rows := cursor.fetchmany(20_000):
            rowids.append(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
            bits.append(vectors.blob_bits([r[1] for r in rows]))
        if not rowids:
            return cls(np.zeros(0, dtype=np.int64), np.zeros((0, vectors.WORDS), dtype=np.uint64))
        every = np.concatenate(rowids)
        spread = np.unique(np.linspace(0, len(every) - 1, min(len(every), BACKGROUND)).astype(np.int64))
        _, background = vectors.exact(conn, every[spread].tolist())
        return cls(every, np.concatenate(bits), background)

    def background_cosines(self, query: np.ndarray) -> tuple[float, float]:
        """Mean and standard deviation of the query's cosine to the background facts."""
        if not len(self.background):
            return 0.0, 1.0
        cosines = self.background @ query
        return float(cosines.mean()), float(max(cosines.std(), 1e-6))

    def __len__(self) -> int:
        return len(self.rowids)

    def search(
        self, conn: sqlite3.Connection, query: np.ndarray, k: int, shortlist: int = SHORTLIST
    ) -> tuple[list[tuple[int, float]], np.ndarray]:
        """The `k` facts closest in meaning to a unit query vector, (rowid, cosine) best first, and
        their vectors in that order."""
        if not len(self.rowids):
            return [], _NO_VECTORS
        distance = np.bitwise_count(self.bits ^ vectors.sign_bits(query[None, :])[0]).sum(axis=1, dtype=np.uint16)
        take = min(len(distance), max(shortlist, k))
        near = np.argpartition(distance, take - 1)[:take] if take < len(distance) else np.arange(len(distance))
        found, stored = vectors.exact(conn, self.rowids[near].tolist())
        if not found:
            return [], _NO_VECTORS
        cosine = stored @ query
        order = np.argsort(-cosine, kind="stable")[:k]
        return [(found[i], float(cosine[i])) for i in order], stored[order]


_NO_VECTORS = np.zeros((0, vectors.DIMENSION), dtype=np.float32)
