"""Removing pages: a concept by name, or the concepts whose file has left a folder (load --prune).

A removed page's facts, sources, synthesis and citations go in one transaction; flags and their
history stay, like those of facts a changed page dropped (the library reports the open ones).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from storage.db import connect_sync
from storage.load.factids import FactIds
from storage.load.loader import PageReport, delete_concept, page_files


def remove_concepts(db_path: str | Path, names: Iterable[str]) -> list[PageReport]:
    """Delete the named concepts (names as stored, any case); a report per concept found."""
    conn = connect_sync(db_path)
    try:
        rows = [row for name in names if (row := _concept(conn, name)) is not None]
        return _remove(conn, rows)
    finally:
        conn.close()


def prune(db_path: str | Path, folders: list[str | Path], keep: set[str]) -> list[PageReport]:
    """Delete the concepts whose recorded file lay in one of `folders` and is no longer among its
    pages, unless a page just loaded (named in `keep`, any case) provides the concept."""
    roots = [Path(folder).resolve() for folder in folders]
    present = {path.resolve() for path in page_files(folders)}
    kept = {name.casefold() for name in keep}
    conn = connect_sync(db_path)
    try:
        gone = [
            row for row in conn.execute("SELECT id, name, path FROM concepts ORDER BY name").fetchall()
            if _inside(Path(row["path"]).resolve(), roots)
            and Path(row["path"]).resolve() not in present
            and row["name"].casefold() not in kept
        ]
        return _remove(conn, gone)
    finally:
        conn.close()


def _remove(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[PageReport]:
    if not rows:
        return []
    reports = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        ids = FactIds(conn, {})  # only releases ids here; no fact gets one
        for row in rows:
            removed = delete_concept(conn, row["id"], ids)
            reports.append(PageReport(row["path"], row["name"], "removed", removed=len(removed),
                                      removed_ids=sorted(removed)))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return reports


def _concept(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    return conn.execute("SELECT id, name, path FROM concepts WHERE name = ?", (name.strip(),)).fetchone()


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path.is_relative_to(root) for root in roots)
