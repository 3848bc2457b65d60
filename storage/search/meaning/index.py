"""The in-memory side of the meaning layer: every fact's sign bits, scanned by Hamming distance;
the closest few are rescored exactly from their stored int8 vectors."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np

from storage.search.meaning import vectors

SHORTLIST = 400  # facts rescored exactly per query: sign bits alone order them roughly


@dataclass(frozen=True)
class MeaningIndex:
    rowids: np.ndarray  # int64, the facts that have vectors
    bits: np.ndarray  # (n, 6) uint64 sign bits, row i for rowids[i]

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
        return cls(np.concatenate(rowids), np.concatenate(bits))

    def __len__(self) -> int:
        return len(self.rowids)

    def search(self, conn: sqlite3.Connection, query: np.ndarray, k: int, shortlist: int = SHORTLIST) -> list[tuple[int, float]]:
        """The `k` facts closest in meaning to a unit query vector: (rowid, cosine), best first."""
        if not len(self.rowids):
            return []
        distance = np.bitwise_count(self.bits ^ vectors.sign_bits(query[None, :])[0]).sum(axis=1, dtype=np.uint16)
        take = min(len(distance), max(shortlist, k))
        near = np.argpartition(distance, take - 1)[:take] if take < len(distance) else np.arange(len(distance))
        found, stored = vectors.exact(conn, self.rowids[near].tolist())
        if not found:
            return []
        cosine = stored @ query
        order = np.argsort(-cosine, kind="stable")[:k]
        return [(found[i], float(cosine[i])) for i in order]
