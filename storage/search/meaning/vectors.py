"""Sentence vectors in SQLite: int8 with a per-vector scale (388 bytes), and their sign bits.

int8 keeps the exact rescoring within 0.01 of float32 cosine at a quarter of the size; the sign
bits (48 bytes a fact) are all the in-memory scan needs, so a million facts cost 48 MB of RAM.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import numpy as np

MODEL = "all-MiniLM-L6-v2"
DIMENSION = 384
WORDS = DIMENSION // 64  # sign bits as uint64 words


def pack(vectors: np.ndarray) -> list[bytes]:
    """Unit vectors (n, 384) float32 -> int8 blobs, each prefixed with its float32 scale."""
    scales = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127.0
    quantized = np.rint(vectors / scales[:, None]).astype(np.int8)
    return [scale.astype(np.float32).tobytes() + row.tobytes() for scale, row in zip(scales, quantized)]


def unpack(blobs: Iterable[bytes]) -> np.ndarray:
    """int8 blobs -> (n, 384) float32 vectors."""
    raw = np.frombuffer(b"".join(blobs), dtype=np.uint8).reshape(-1, 4 + DIMENSION)
    scales = raw[:, :4].copy().view(np.float32)
    return raw[:, 4:].view(np.int8).astype(np.float32) * scales


def sign_bits(vectors: np.ndarray) -> np.ndarray:
    """(n, 384) -> (n, 6) uint64: one bit per dimension, set where the component is positive."""
    return np.packbits(vectors > 0, axis=1).view(np.uint64)


def blob_bits(blobs: list[bytes]) -> np.ndarray:
    """Sign bits straight from int8 blobs (the scale is positive, so signs are the int8 signs)."""
    if not blobs:
        return np.zeros((0, WORDS), dtype=np.uint64)
    raw = np.frombuffer(b"".join(blobs), dtype=np.uint8).reshape(-1, 4 + DIMENSION)
    return np.packbits(raw[:, 4:].view(np.int8) > 0, axis=1).view(np.uint64)


def version(conn: sqlite3.Connection) -> int:
    """Bumped by every save: a searcher whose index is older rebuilds it."""
    return conn.execute("SELECT value FROM meta WHERE name = 'vectors'").fetchone()[0]


# Facts whose content has no vector yet: the one definition of "missing" every count and batch uses.
WITHOUT_VECTOR = "f.key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM fact_vectors v WHERE v.key = f.key)"
COUNT_MISSING = f"SELECT count(DISTINCT f.key) FROM facts f WHERE {WITHOUT_VECTOR}"


def missing(conn: sqlite3.Connection, limit: int, after: int = 0) -> tuple[list[tuple[bytes, str]], int]:
    """Up to `limit` distinct (key, text) without a vector among facts past rowid `after`, and the
    rowid to go on from. Walking rowids keeps a whole pass O(facts): grouping by key sorted every
    fact again for each batch."""
    found: dict[bytes, str] = {}
    last = after
    rows = conn.execute(
        f"SELECT f.rowid, f.key, f.text FROM facts f WHERE f.rowid > ? AND {WITHOUT_VECTOR} ORDER BY f.rowid",
        (after,),
    )
    for last, key, text in rows:
        found.setdefault(key, text)  # a content repeated in later rows is embedded once
        if len(found) == limit:
            break
    rows.close()
    return list(found.items()), last


def count_missing(conn: sqlite3.Connection) -> int:
    return conn.execute(COUNT_MISSING).fetchone()[0]


def save(conn: sqlite3.Connection, keys: list[bytes], vectors: np.ndarray) -> None:
    """Store vectors for content keys (one transaction; a vector already there is kept)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "INSERT OR IGNORE INTO fact_vectors (key, model, vector) VALUES (?, ?, ?)",
            [(key, MODEL, blob) for key, blob in zip(keys, pack(vectors))],
        )
        conn.execute("UPDATE meta SET value = value + 1 WHERE name = 'vectors'")  # searchers rebuild
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def exact(conn: sqlite3.Connection, rowids: list[int]) -> tuple[list[int], np.ndarray]:
    """The facts among `rowids` that have vectors, and those vectors (float32)."""
    found: list[int] = []
    blobs: list[bytes] = []
    for start in range(0, len(rowids), 500):
        batch = rowids[start : start + 500]
        marks = ",".join("?" * len(batch))
        for rowid, blob in conn.execute(
            f"SELECT f.rowid, v.vector FROM facts f JOIN fact_vectors v ON v.key = f.key WHERE f.rowid IN ({marks})",
            batch,
        ):
            found.append(rowid)
            blobs.append(blob)
    return found, unpack(blobs) if blobs else np.zeros((0, DIMENSION), dtype=np.float32)
