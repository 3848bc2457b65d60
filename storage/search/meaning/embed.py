"""Embedding the facts that have no vector yet: batch by batch, each batch committed, so a killed
run resumes where it stopped and a run with nothing missing does nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from storage.db import connect_sync
from storage.search.meaning import vectors
from storage.search.meaning.encoder import SentenceEncoder

BATCH = 128  # facts per committed batch: about one second of work


def embed_missing(
    db_path: str | Path,
    encoder: SentenceEncoder,
    progress: Callable[[int, int], None] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Embed every fact content without a vector; returns how many were embedded. Blocking."""
    conn = connect_sync(db_path)
    try:
        total = vectors.count_missing(conn)
        done, after = 0, 0
        while not (stop and stop.is_set()):
            rows, last = vectors.missing(conn, BATCH, after)
            if not rows:
                if after == 0:
                    break
                after = 0  # once more from the start: a page loaded meanwhile may sit below `after`
                continue
            after = last
            embedded = encoder.encode([text for _, text in rows])
            vectors.save(conn, [key for key, _ in rows], embedded)
            done += len(rows)
            if progress:
                progress(done, max(total, done))
        return done
    finally:
        conn.close()

