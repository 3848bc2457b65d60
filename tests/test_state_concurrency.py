"""Two processes x 200 flags and unflags at once on the same few facts, one PostgreSQL store: the
history is complete, no write is lost or doubled, at most one dispute is open per (fact, guild)."""

from __future__ import annotations

import asyncio
from collections import Counter

from tests.statebench import Peer, facts_database, plan, run_together, verify


async def test_two_processes_flag_and_unflag_the_same_facts_at_once(tmp_path, pg_url):
    databases, fact_ids = await facts_database(tmp_path, 2)
    peers = await asyncio.gather(*(asyncio.to_thread(Peer, database, pg_url) for database in databases))
    try:
        plans = [plan(fact_ids[:6], 200, process) for process in (1, 2)]
        outcomes = await asyncio.to_thread(run_together, peers, plans)
    finally:
        for peer in peers:
            await asyncio.to_thread(peer.stop)
    statuses = Counter(o.status for o in outcomes)
    assert len(outcomes) == 400 and statuses["error"] == statuses["unavailable"] == 0, \
        [o.detail for o in outcomes if o.status in ("error", "unavailable")][:5]
    # Contention happened: unflags both resolved disputes and found one already resolved.
    unflags = Counter(o.status for o in outcomes if o.command.action == "unflag")
    assert unflags["ok"] > 0 and unflags["refused"] > 0
    verdict = await verify(pg_url, outcomes)
    assert verdict.sound, verdict
    assert verdict.stored == statuses["ok"] and verdict.most_open_per_key == 1
    # The two processes' commands ran at the same time, not one after the other.
    spans = [(min(o.started for o in outcomes if o.command.reason.startswith(f"p{p}-")),
              max(o.started + o.ms / 1000 for o in outcomes if o.command.reason.startswith(f"p{p}-")))
             for p in (1, 2)]
    overlap = min(end for _, end in spans) - max(start for start, _ in spans)
    assert overlap > 0.5 * min(end - start for start, end in spans), spans
