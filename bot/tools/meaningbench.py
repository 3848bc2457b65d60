"""`python -m bot bench-meaning`: the meaning layer's costs at scale.

- embedding throughput on the bundled page's 285 facts (real text, median of 3 runs);
- query embedding on real student queries (the judged set's), p50/p95;
- /fact with meaning on (fused) against words only, in the same run, on a seed-shaped corpus of
  N facts whose vectors are random unit vectors (embedding a million facts would take hours and
  the scan costs the same for any vectors), and the search process's peak memory.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from bot.tools.bench import SEED, _peak_rss_mb, _stats
from bot.tools.synthetic import write_corpus
from storage.library import Library
from storage.load.loader import load_paths
from storage.pages.format import parse_file
from storage.search.meaning import vectors
from storage.search.meaning.encoder import SentenceEncoder

JUDGED = Path(__file__).resolve().parents[2] / "tests" / "judged" / "queries.json"


def real_queries() -> list[str]:
    return [q["query"] for q in json.loads(JUDGED.read_text(encoding="utf-8"))["queries"]]


def fill_random_vectors(db_path: Path, seed: int = 0) -> int:
    """Give every fact content without a vector a random unit vector; returns how many."""
    rng = np.random.default_rng(seed)
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        keys = [k for (k,) in conn.execute("SELECT DISTINCT key FROM facts WHERE key IS NOT NULL")]
        for start in range(0, len(keys), 50_000):
            batch = keys[start : start + 50_000]
            unit = rng.standard_normal((len(batch), vectors.DIMENSION)).astype(np.float32)
            unit /= np.linalg.norm(unit, axis=1, keepdims=True)
            vectors.save(conn, batch, unit)
        return len(keys)
    finally:
        conn.close()


def embedding_throughput(runs: int = 3) -> dict[str, float]:
    """Facts per second embedding the bundled page (model loaded first, not timed)."""
    texts = [f.text for f in parse_file(SEED).facts]
    encoder = SentenceEncoder().load()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        encoder.encode(texts)
        seconds.append(time.perf_counter() - started)
    median = statistics.median(seconds)
    return {"facts": len(texts), "seconds_median": round(median, 2), "facts_per_s": round(len(texts) / median)}


def _search_phase(db_path: str, queries: list[str], rounds: int, out) -> None:
    """Child process: open the database as the bot does, warm the meaning index, time the queries."""

    async def run() -> dict:
        library = await Library.open(db_path)
        try:
            started = time.perf_counter()
            await library.embed_missing()  # nothing to embed: loads the model and builds the index
            warm_s = time.perf_counter() - started
            encoder = library.meaning.encoder
            embed_ms = []
            for query in queries:
                began = time.perf_counter()
                encoder.encode([query])
                embed_ms.append((time.perf_counter() - began) * 1000)
            timings: dict[str, list[float]] = {"fused": [], "words": []}
            for _ in range(rounds):
                for query in queries:
                    for mode in timings:
                        began = time.perf_counter()
                        await library.fact(query, mode=mode)
                        timings[mode].append((time.perf_counter() - began) * 1000)
            return {"index_warm_s": round(warm_s, 2), "query_embedding_ms": _stats(embed_ms),
                    **{f"fact_{mode}_ms": _stats(t) for mode, t in timings.items()}, "peak_rss_mb": _peak_rss_mb()}
        finally:
            await library.close()

    out.send(asyncio.run(run()))


async def run_meaning_bench(facts: int, rounds: int, keep: str | None) -> int:
    throughput = embedding_throughput()
    print(f"embedding the bundled page: {throughput['facts']} facts in {throughput['seconds_median']} s "
          f"(median of 3) = {throughput['facts_per_s']} facts/s", flush=True)
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        return await _bench_in(Path(keep), facts, rounds)
    with tempfile.TemporaryDirectory(prefix="factbot-meaning-bench-") as work:
        return await _bench_in(Path(work), facts, rounds)


async def _bench_in(work: Path, facts: int, rounds: int) -> int:
    pages, db_path = work / "pages", work / "bench.sqlite3"
    print(f"generating and loading {facts:,} facts ...", flush=True)
    list(write_corpus(pages, facts, SEED))
    await asyncio.to_thread(load_paths, db_path, [pages])
    started = time.perf_counter()
    filled = await asyncio.to_thread(fill_random_vectors, db_path)
    print(f"stored {filled:,} random unit vectors in {time.perf_counter() - started:.1f} s", flush=True)
    queries = real_queries()
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    worker = context.Process(target=_search_phase, args=(str(db_path), queries, rounds, child))
    worker.start()
    result = parent.recv()
    worker.join()
    e, f, w = result["query_embedding_ms"], result["fact_fused_ms"], result["fact_words_ms"]
    print(f"meaning index warmed in {result['index_warm_s']} s")
    print(f"query embedding   p50 {e['p50']} ms  p95 {e['p95']} ms  ({e['n']} real queries)")
    print(f"/fact fused       p50 {f['p50']} ms  p95 {f['p95']} ms  max {f['max']} ms  ({f['n']} searches)")
    print(f"/fact words only  p50 {w['p50']} ms  p95 {w['p95']} ms  max {w['max']} ms  (same run)")
    print(f"peak memory of the search process: {result['peak_rss_mb']} MB")
    return 0
