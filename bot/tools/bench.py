"""`python -m bot bench`: load and search timings on seed-shaped synthetic pages, with baselines.

Each figure comes with one measured in the same run, so a busy machine shows in both: a page's
parse time beside the seed's own, the load beside SQLite alone writing the same facts, search
beside a rapidfuzz WRatio scan of every fact. The machine's load average is printed with them.
The search phase runs in a fresh child process, so its peak memory is what a bot holding the
same database would use (the generator's and the baselines' memory are not counted).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bot.tools.synthetic import write_corpus
from storage.compiled import parser_build
from storage.db import connect_sync
from storage.library import Library
from storage.load.loader import LoadReport, load_paths
from storage.load.prepare import prepare

SEED = Path(__file__).resolve().parents[2] / "seeds" / "ketamine.txt"

FIXED_QUERIES = {
    "acronym": ["VEGF", "PCP", "KAP", "ECT", "BDNF", "5-HT2A", "CREB", "NMDA"],
    "misspelling": ["ketmine", "mindfullness", "schizofrenia", "parvalbumen", "antidepresant", "psilocibin"],
    "multi-word": ["music anxiety", "suicidal ideation", "alcohol use disorder", "slow release tablet",
                   "does ketamine work for anorexia"],
    "common": ["ketamine", "treatment", "ketamine treatment", "patients depression", "the"],
    "author": ["grunebaum 2017", "abbar bmj", "domino", "berman 2000", "muetzelfeldt"],
}
PREFIXES = ["ketam", "neurog", "bdn", "mus", "psilo", "suic", "mont", "ant"]
PARSE_SAMPLE = 40  # pages whose parse is timed one by one
PARSE_ROUNDS = 3  # of the seed page, the parse baseline
RELOADS = 3  # reloads of the unchanged pages
LOADS = 3  # loads into a new database: the host's other jobs move one load's time by a fifth
TARGET_FACTS_PER_S = 50_000
TARGET_RELOAD_S = 1.0  # at 100,000 facts


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _stats(values: list[float]) -> dict[str, float]:
    return {"p50": round(statistics.median(values), 2), "p95": round(_percentile(values, 0.95), 2),
            "max": round(max(values), 2), "n": len(values)}


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it is not inherited at spawn)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _search_phase(db_path: str, queries: list[tuple[str, str]], rounds: int, out) -> None:
    """Child process: open the database like the bot does and time the query mix."""

    async def run() -> dict:
        library = await Library.open(db_path)
        try:
            await library.fact("warm up")  # the vocabulary is built once, at first use
            by_kind: dict[str, list[float]] = {}
            for _ in range(rounds):
                for kind, query in queries:
                    started = time.perf_counter()
                    await library.fact(query, limit=5)
                    by_kind.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
            complete: list[float] = []
            for _ in range(rounds):
                for prefix in PREFIXES:
                    started = time.perf_counter()
                    await library.complete.facts(prefix)
                    complete.append((time.perf_counter() - started) * 1000)
        finally:
            await library.close()
        every = [v for values in by_kind.values() for v in values]
        return {
            "search_ms": _stats(every),
            "search_ms_by_kind": {k: _stats(v) for k, v in by_kind.items()},
            "autocomplete_ms": _stats(complete),
            "peak_rss_mb": _peak_rss_mb(),
        }

    out.send(asyncio.run(run()))
    out.close()


async def run_bench(facts: int, query_rounds: int, as_json: bool, keep: str | None, loads: int | None = None) -> int:
    """Generate, load (`loads` times, default LOADS), search, compare; prints a report (or JSON).
    Returns an exit code."""
    loads = LOADS if loads is None else loads
    if loads < 1:
        raise ValueError(f"loads must be 1 or more, not {loads}")
    if keep:
        return await _bench_in(Path(keep), facts, query_rounds, as_json, loads)
    # A million facts leave a gigabyte of pages and database behind: gone unless --keep.
    with tempfile.TemporaryDirectory(prefix="factbot-bench-") as work:
        return await _bench_in(Path(work), facts, query_rounds, as_json, loads)


async def _bench_in(work: Path, facts: int, query_rounds: int, as_json: bool, loads: int) -> int:
    pages_dir, db_path = work / "pages", work / "bench.sqlite3"
    load_before = os.getloadavg()
    _say(as_json, f"generating {facts:,} facts in {pages_dir} (load average {load_before[0]:.2f}) ...")
    rare: list[str] = []
    started = time.perf_counter()
    for _, words in write_corpus(pages_dir, facts, SEED):
        rare.extend(words)
    generated_s = time.perf_counter() - started
    _say(as_json, "timing the parse of single pages ...")
    parse = _parse_times(sorted(pages_dir.glob("*.txt")))
    report, walls, cpus = await _timed_loads(db_path, pages_dir, loads, as_json)
    loaded = report.facts_added + report.facts_kept
    load_s = statistics.median(walls)
    size_mb = sum(p.stat().st_size for p in work.glob("bench.sqlite3*")) / 1e6
    _say(as_json, "reloading the unchanged pages ...")
    reloads = [(await asyncio.to_thread(_timed_load, db_path, pages_dir))[1] for _ in range(RELOADS)]
    _say(as_json, "baseline: SQLite alone indexing the same facts ...")
    sqlite_s = await asyncio.to_thread(_sqlite_alone, db_path, work / "baseline.sqlite3")

    queries = [(kind, q) for kind, qs in FIXED_QUERIES.items() for q in qs]
    queries += [("rare", w) for w in rare[:: max(1, len(rare) // 8)][:8]]
    rounds = max(1, query_rounds // len(queries))
    _say(as_json, f"searching ({rounds} rounds of {len(queries)} queries, {len(PREFIXES)} prefixes) ...")
    parent, child = multiprocessing.get_context("spawn").Pipe(duplex=False)
    worker = multiprocessing.get_context("spawn").Process(target=_search_phase, args=(str(db_path), queries, rounds, child))
    worker.start()
    searched = parent.recv()
    worker.join()

    baseline = await _wratio_baseline(db_path, [q for _, q in queries][:: max(1, len(queries) // 5)][:5])
    result = {
        "facts": loaded,
        "pages": len(report.pages),
        "load_average": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
        "generate_s": round(generated_s, 2),
        "parser": parser_build(),
        "parse_ms_per_page": parse,
        "load_s": round(load_s, 2),  # the median load
        "load_runs_s": [round(wall, 2) for wall in walls],
        "load_cpu_s": round(statistics.median(cpus), 2),
        "load_facts_per_s": round(loaded / load_s),
        "sqlite_alone_s": round(sqlite_s, 2),
        "sqlite_alone_facts_per_s": round(loaded / sqlite_s),
        "reload_s": _stats(reloads),
        "targets": _targets(loaded, loaded / load_s, statistics.median(reloads)),
        "db_mb": round(size_mb, 1),
        **searched,
        "wratio_full_scan_ms": baseline,
        "speedup_p50_vs_wratio": round(baseline["p50"] / max(searched["search_ms"]["p50"], 0.001), 1),
    }
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0


def _remove_database(db_path: Path) -> None:
    for stale in db_path.parent.glob(db_path.name + "*"):
        stale.unlink()


def _parse_times(pages: list[Path]) -> dict[str, dict[str, float]]:
    """Milliseconds to parse and prepare single pages: a sample of the generated ones, and the seed
    (parsed as many times) as the baseline a generated page is shaped like."""
    sample = pages[:: max(1, len(pages) // PARSE_SAMPLE)][:PARSE_SAMPLE]
    generated, seed = [], []
    for _ in range(PARSE_ROUNDS):
        seed.append(_ms(prepare, SEED))
    for page in sample:
        generated.append(_ms(prepare, page))
    return {"generated": _stats(generated), "seed": _stats(seed)}


def _ms(work, *args) -> float:
    started = time.perf_counter()
    work(*args)
    return (time.perf_counter() - started) * 1000


async def _timed_loads(
    db_path: Path, pages_dir: Path, loads: int, quiet: bool
) -> tuple[LoadReport, list[float], list[float]]:
    """Load the pages `loads` times, each into a new database (the last one stays): the last
    report, and each load's wall and CPU seconds."""
    walls: list[float] = []
    cpus: list[float] = []
    for run in range(1, loads + 1):
        _say(quiet, f"loading into {db_path} ({run} of {loads}) ...")
        _remove_database(db_path)
        report, wall, cpu = await asyncio.to_thread(_timed_load, db_path, pages_dir)
        walls.append(wall)
        cpus.append(cpu)
    return report, walls, cpus


def _timed_load(db_path: Path, pages_dir: Path):
    """(report, wall seconds, CPU seconds of this process and its parse worker) of one load."""
    started, cpu = time.perf_counter(), _cpu_s()
    report = load_paths(db_path, [pages_dir])
    return report, time.perf_counter() - started, _cpu_s() - cpu


def _cpu_s() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _sqlite_alone(db_path: Path, scratch: Path) -> float:
    """Seconds for SQLite to store and index the loaded facts' text in one transaction, nothing else:
    the floor under the loader's writing (parsing, ids, sources and citations not included)."""
    _remove_database(scratch)
    source = connect_sync(db_path)
    rows = source.execute("SELECT rowid, id, concept_id, source_id, position, type, text FROM facts").fetchall()
    source.close()
    conn = connect_sync(scratch)
    conn.execute("PRAGMA foreign_keys = OFF")  # the facts alone: their sources are not copied
    try:
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO facts (rowid, id, concept_id, source_id, position, type, text)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)", [tuple(r) for r in rows])
        conn.executemany("INSERT INTO fact_index (rowid, body) VALUES (?, ?)", [(r[0], r[6].lower()) for r in rows])
        conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()
        _remove_database(scratch)


def _targets(facts: int, rate: float, reload_s: float) -> dict[str, str]:
    verdict = {"load_rate": f"{rate:,.0f} facts/s vs >= {TARGET_FACTS_PER_S:,}: "
                            + ("met" if rate >= TARGET_FACTS_PER_S else "NOT met")}
    if facts <= 100_000:  # the reload target is set for 100,000 facts
        verdict["reload"] = f"{reload_s:.2f} s vs < {TARGET_RELOAD_S} s: " + ("met" if reload_s < TARGET_RELOAD_S else "NOT met")
    return verdict


async def _wratio_baseline(db_path: Path, queries: list[str]) -> dict[str, float]:
    """The plain approach: rapidfuzz process.extract (WRatio) over every fact's text."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    texts = [t for (t,) in conn.execute("SELECT text FROM facts")]
    conn.close()
    timings = []
    for query in queries:
        started = time.perf_counter()
        process.extract(query, texts, scorer=fuzz.WRatio, processor=utils.default_process, limit=5)
        timings.append((time.perf_counter() - started) * 1000)
    return _stats(timings)


def _say(quiet: bool, text: str) -> None:
    print(text, file=sys.stderr if quiet else sys.stdout, flush=True)


def _print(r: dict) -> None:
    parse, reload = r["parse_ms_per_page"], r["reload_s"]
    g, seed = parse["generated"], parse["seed"]
    print(f"\nfacts {r['facts']:,} in {r['pages']:,} seed-shaped pages; {r['cpus']} CPUs, load average "
          f"{r['load_average'][0]} before, {r['load_average'][1]} after")
    print(f"parse + prepare   p50 {g['p50']} ms  p95 {g['p95']} ms per page ({g['n']} pages); "
          f"the seed itself p50 {seed['p50']} ms; parser {r['parser']}")
    runs = r["load_runs_s"]
    loads = f"{len(runs)} load{'s' if len(runs) > 1 else ''}"
    print(f"load              median {r['load_s']} s = {r['load_facts_per_s']:,} facts/s of {loads} "
          f"({min(runs)}-{max(runs)} s; median {r['load_cpu_s']} s CPU, parse worker included); "
          f"SQLite alone writing the same facts {r['sqlite_alone_s']} s = {r['sqlite_alone_facts_per_s']:,} facts/s")
    print(f"reload unchanged  p50 {reload['p50']} s  p95 {reload['p95']} s  ({reload['n']} reloads)")
    for name, verdict in r["targets"].items():
        print(f"target {name:10} {verdict}")
    print(f"database {r['db_mb']} MB")
    s, a, w = r["search_ms"], r["autocomplete_ms"], r["wratio_full_scan_ms"]
    print(f"/fact search      p50 {s['p50']} ms  p95 {s['p95']} ms  max {s['max']} ms  ({s['n']} queries)")
    for kind, k in r["search_ms_by_kind"].items():
        print(f"  {kind:12} p50 {k['p50']} ms  p95 {k['p95']} ms  max {k['max']} ms")
    print(f"autocomplete      p50 {a['p50']} ms  p95 {a['p95']} ms  max {a['max']} ms")
    print(f"WRatio full scan  p50 {w['p50']} ms  p95 {w['p95']} ms  ({w['n']} queries); "
          f"search is {r['speedup_p50_vs_wratio']}x faster at p50")
    print(f"peak memory of the search process: {r['peak_rss_mb']} MB")
