"""Opening the database: several processes creating it at the same moment all succeed."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from storage.db import connect_sync, migrations


def _open(path: str, start, results) -> None:
    start.wait()
    try:
        conn = connect_sync(path)
        results.put(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.close()
    except Exception as error:  # reported to the test, which fails on it
        results.put(repr(error))


def test_processes_creating_the_database_at_once_all_succeed(tmp_path: Path):
    ctx = multiprocessing.get_context("spawn")
    for attempt in range(5):
        path = str(tmp_path / f"db{attempt}.sqlite3")
        start, results = ctx.Barrier(4), ctx.Queue()
        workers = [ctx.Process(target=_open, args=(path, start, results)) for _ in range(4)]
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join()
        assert outcomes == [len(migrations())] * 4
