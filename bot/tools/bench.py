"""`python -m bot bench`: load and search timings on a synthetic corpus, with baselines.

The search phase runs in a fresh child process, so its peak memory is what a bot holding the
same database would use (the generator's and the baselines' memory are not counted).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bot.tools.synthetic import write_corpus
from storage.library import Library
from storage.load.loader import load_paths

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


async def run_bench(facts: int, query_rounds: int, as_json: bool, keep: str | None) -> int:
    """Generate, load, search, compare; prints a report (or JSON). Returns an exit code."""
    if keep:
        return await _bench_in(Path(keep), facts, query_rounds, as_json)
    # A million facts leave a gigabyte of pages and database behind: gone unless --keep.
    with tempfile.TemporaryDirectory(prefix="factbot-bench-") as work:
        return await _bench_in(Path(work), facts, query_rounds, as_json)


async def _bench_in(work: Path, facts: int, query_rounds: int, as_json: bool) -> int:
    pages_dir, db_path = work / "pages", work / "bench.sqlite3"
    for stale in work.glob("bench.sqlite3*"):
        stale.unlink()
    _say(as_json, f"generating {facts:,} facts in {pages_dir} ...")
    rare: list[str] = []
    started = time.perf_counter()
    for _, words in write_corpus(pages_dir, facts, SEED):
        rare.extend(words)
    generated_s = time.perf_counter() - started
    _say(as_json, f"loading into {db_path} ...")
    started = time.perf_counter()
    report = await asyncio.to_thread(load_paths, db_path, [pages_dir])
    load_s = time.perf_counter() - started
    size_mb = sum(p.stat().st_size for p in work.glob("bench.sqlite3*")) / 1e6

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
        "facts": report.facts_added + report.facts_kept,
        "pages": len(report.pages),
        "generate_s": round(generated_s, 2),
        "load_s": round(load_s, 2),
        "load_facts_per_s": round((report.facts_added + report.facts_kept) / load_s),
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
    print(f"\nfacts {r['facts']:,} in {r['pages']:,} pages; load {r['load_s']} s = {r['load_facts_per_s']:,} facts/s; "
          f"database {r['db_mb']} MB")
    s, a, w = r["search_ms"], r["autocomplete_ms"], r["wratio_full_scan_ms"]
    print(f"/fact search      p50 {s['p50']} ms  p95 {s['p95']} ms  max {s['max']} ms  ({s['n']} queries)")
    for kind, k in r["search_ms_by_kind"].items():
        print(f"  {kind:12} p50 {k['p50']} ms  p95 {k['p95']} ms  max {k['max']} ms")
    print(f"autocomplete      p50 {a['p50']} ms  p95 {a['p95']} ms  max {a['max']} ms")
    print(f"WRatio full scan  p50 {w['p50']} ms  p95 {w['p95']} ms  ({w['n']} queries); "
          f"search is {r['speedup_p50_vs_wratio']}x faster at p50")
    print(f"peak memory of the search process: {r['peak_rss_mb']} MB")
