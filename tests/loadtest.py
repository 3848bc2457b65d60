"""Load: N interactions sent as fast as the fake Discord can dispatch them, against the real bot.

    python -m tests.loadtest --count 500

A mix of /fact, autocomplete, /source and moderators' /flag and /unflag. Prints how many were
answered and lost, p50/p95 from dispatch to callback, and checks every flag was stored once.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from storage.library import Library
from tests.fakediscord.harness import GUILD, MOD_ROLE, MODERATOR, STUDENT, running_bot

SEED = Path(__file__).resolve().parent.parent / "seeds"
QUERIES = ["bdnf", "ketmine anorexia", "VEGF", "grunebaum 2017", "music anxiety", "montreal model", "psilocybin",
           "suicidal ideation", "NMDA receptors", "slow release tablet", "does ketamine work for anorexia"]


@dataclass
class LoadResult:
    sent: int
    answered: int
    lost: int
    p50_ms: float
    p95_ms: float
    flags_sent: int
    flag_events: int
    violations: int
    errors: int

    def line(self) -> str:
        return (f"{self.sent} interactions: {self.answered} answered, {self.lost} lost; dispatch->callback "
                f"p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms; flags/unflags sent {self.flags_sent}, "
                f"stored {self.flag_events}; schema violations {self.violations}; error answers {self.errors}")


def _opt(name: str, value, focused: bool = False) -> dict:
    option = {"name": name, "type": 3, "value": value}
    if focused:
        option["focused"] = True
    return option


async def run_load(library: Library, count: int, seed: int = 1) -> LoadResult:
    """Send `count` interactions at once and wait for every answer."""
    rng = random.Random(seed)
    fact_ids = [f.id for f in (await library.fact("ketamine", limit=50)).results]
    async with running_bot(library) as run:
        fake = run.fake
        payloads, flags_sent = [], 0
        flagged: set[str] = set()
        for i in range(count):
            roll = rng.random()
            if roll < 0.45:
                payloads.append(fake.interaction("fact", [_opt("query", rng.choice(QUERIES))], guild_id=GUILD, user_id=STUDENT))
            elif roll < 0.70:
                partial = rng.choice(QUERIES)[: rng.randint(2, 6)]
                payloads.append(fake.interaction("fact", [_opt("query", partial, focused=True)], kind=4, guild_id=GUILD))
            elif roll < 0.85:
                payloads.append(fake.interaction("source", [_opt("query", rng.choice(["yaden", "montreal", "springer", "bbc"]))],
                                                 guild_id=GUILD))
            else:
                # Each moderator action targets its own fact: flag one, or unflag one flagged earlier.
                fact_id = fact_ids[len(flagged) % len(fact_ids)]
                action = "unflag" if fact_id in flagged else "flag"
                flagged.symmetric_difference_update({fact_id})
                payloads.append(fake.interaction(action, [_opt("fact", fact_id), _opt("reason", f"load test {i}")],
                                                 guild_id=GUILD, user_id=MODERATOR, roles=[MOD_ROLE]))
                flags_sent += 1
        async with library.conn.execute("SELECT count(*) FROM flag_events") as cursor:
            before = (await cursor.fetchone())[0]
        sent_at: dict[str, float] = {}
        for payload in payloads:
            sent_at[payload["id"]] = time.monotonic()
            await fake.send_interaction(payload)
        wanted = set(sent_at)
        try:
            await fake.wait_for(lambda rs: wanted <= {r.interaction_id for r in rs if r.kind == "callback"},
                                timeout=max(30.0, count * 0.2))
        except asyncio.TimeoutError:
            pass
        first: dict[str, float] = {}
        errors = 0
        for r in fake.requests:
            if r.kind == "callback" and r.interaction_id in sent_at and r.interaction_id not in first:
                first[r.interaction_id] = r.at
                errors += "Sorry, something went wrong" in str(r.body)
        await asyncio.sleep(0.5)  # audit posts trail the answers
        latencies = sorted((first[i] - sent_at[i]) * 1000 for i in first)
        async with library.conn.execute("SELECT count(*) FROM flag_events") as cursor:
            after = (await cursor.fetchone())[0]
        return LoadResult(
            sent=count, answered=len(first), lost=count - len(first),
            p50_ms=statistics.median(latencies) if latencies else 0.0,
            p95_ms=latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0.0,
            flags_sent=flags_sent, flag_events=after - before, violations=len(fake.violations), errors=errors,
        )


async def _main(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        library = await Library.open(Path(folder) / "load.sqlite3", meaning=False)
        try:
            await library.load([SEED])
            print((await run_load(library, count)).line())
        finally:
            await library.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    asyncio.run(_main(parser.parse_args().count))
