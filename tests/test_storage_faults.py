"""Storage under faults: a loader killed mid-directory, two loaders at once."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from storage.load.loader import BATCH_FACTS
from storage.load.prepare import prepare
from bot.tools.synthetic import PAGE_FACTS, write_corpus
from tests.conftest import ROOT, SEED


def _config(tmp_path: Path, db: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\ndatabase = "{db}"\nseeds = "{ROOT / "seeds"}"\n')
    return path


def _load(config: Path, folder: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot", "load", "--config", str(config), str(folder)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _page_ids(folder: Path) -> dict[str, set[str]]:
    pages = [prepare(p) for p in sorted(folder.glob("*.txt"))]
    return {p.concept: set(p.ids) for p in pages}


def _children(pid: int) -> list[int]:
    """Direct child processes (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _db_ids(db: Path) -> dict[str, set[str]]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        found: dict[str, set[str]] = {}
        for concept, fact_id in conn.execute(
            "SELECT c.name, f.id FROM facts f JOIN sources s ON s.id = f.source_id JOIN concepts c ON c.id = s.concept_id"
        ):
            found.setdefault(concept, set()).add(fact_id)
        return found
    finally:
        conn.close()


def test_sigkill_mid_load_leaves_each_page_old_or_new(tmp_path):
    # 230,850 facts, more than one load batch (BATCH_FACTS), in pages three times the seed's size:
    # parsing costs by the page more than by the fact, and the test is about batches.
    pages, per_page = 270, 3 * PAGE_FACTS
    old, new = tmp_path / "old", tmp_path / "new"
    list(write_corpus(old, pages * per_page, SEED, per_page=per_page, rng_seed=1))
    list(write_corpus(new, pages * per_page, SEED, per_page=per_page, rng_seed=2))  # same concepts, other facts
    db = tmp_path / "db.sqlite3"
    config = _config(tmp_path, db)
    assert subprocess.run([sys.executable, "-m", "bot", "load", "--config", str(config), str(old)],
                          cwd=ROOT, capture_output=True, timeout=240).returncode == 0
    flagged = sorted(_db_ids(db)["synthetic concept 000003"])[0]
    subprocess.run([sys.executable, "-m", "bot", "ask", "--config", str(config), f"/flag {flagged} reason:check"],
                   cwd=ROOT, capture_output=True, timeout=60, check=True)
    loader = _load(config, new)
    seen = ""
    deadline = time.monotonic() + 120
    while f"/{pages} pages" not in seen or int(seen.rsplit(f"/{pages}", 1)[0].split()[-1]) < pages * 0.6:
        line = loader.stderr.readline()
        if not line or time.monotonic() > deadline:
            break
        seen += line
    workers = _children(loader.pid)
    assert workers, "the loader parses in a worker process"
    os.kill(loader.pid, signal.SIGKILL)
    loader.wait(timeout=30)
    gone_by = time.monotonic() + 10  # the orphaned worker notices within a second or two and exits
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < gone_by:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers), "a parse worker outlived its loader"
    found, before, after = _db_ids(db), _page_ids(old), _page_ids(new)
    assert set(found) == set(before)
    states = [("new" if found[c] == after[c] else "old" if found[c] == before[c] else "mixed") for c in found]
    assert "mixed" not in states
    assert "new" in states, "the kill came after at least one batch was committed"
    assert BATCH_FACTS < pages * per_page * 0.6
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM flag_events WHERE fact_id = ?", (flagged,)).fetchone()[0] == 1
    conn.close()


def test_two_loaders_at_once_one_waits(tmp_path):
    folder = tmp_path / "pages"
    list(write_corpus(folder, 60 * PAGE_FACTS, SEED))
    db = tmp_path / "db.sqlite3"
    config = _config(tmp_path, db)
    first, second = _load(config, folder), _load(config, folder)
    results = [p.communicate(timeout=240) for p in (first, second)]
    codes = [first.returncode, second.returncode]
    assert codes == [0, 0], results
    # Their transactions may interleave (a batch ends 20 pages before the end, FINAL_PAGES): each
    # page is added by one of them and found unchanged by the other.
    counts = [_page_counts(out) for out, _ in results]
    assert all(set(c) <= {"added", "unchanged"} and sum(c.values()) == 60 for c in counts), results
    assert sum(c.get("added", 0) for c in counts) == 60, results
    assert sum(len(ids) for ids in _db_ids(db).values()) == 60 * PAGE_FACTS


def _page_counts(summary: str) -> dict[str, int]:
    """{"added": 40, "unchanged": 20} from a load's summary line "pages: 40 added, 20 unchanged; ..."."""
    listed = re.search(r"^pages: ([^;]*);", summary, re.MULTILINE)
    assert listed, summary
    return {status: int(n) for n, status in (part.split() for part in listed.group(1).split(", "))}
