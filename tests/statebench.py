"""Shared state across processes: flag round trips and many concurrent flags, with the history checked.

    python -m tests.statebench [--url postgresql://...] [--commands 1000] [--round-trips 200]

Two worker processes, each with its own SQLite copy of the facts and one PostgreSQL state store (a
throwaway durable cluster on 127.0.0.1 unless --url names one), as two bot processes would be:
- round trip: one process flags or unflags a fact, then the other is asked for that fact and must
  already show (or no longer show) the marker; timed from the command to the answer, pipes included;
- throughput: both processes run their share of N flags and unflags on overlapping facts at once;
  then the history is checked: every acknowledged command stored once, nothing else stored, at
  most one open dispute per (fact, guild), and a replay of the history agrees with the disputes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import shutil
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import asyncpg

from storage import Refusal, StateUnavailable
from storage.library import Library
from tests.conftest import SEED

GUILDS = (1400000000000000001, 1400000000000000002)


@dataclass(frozen=True)
class Command:
    action: str  # flag | unflag
    fact_id: str
    guild_id: int
    reason: str  # unique per command: how a stored event is traced back to its command


@dataclass(frozen=True)
class Outcome:
    command: Command
    status: str  # ok | refused (an unflag with nothing to resolve) | unavailable | error
    ms: float
    started: float  # time.monotonic(): one clock for every process on the machine
    detail: str = ""


@dataclass
class Verdict:
    """What the history says about a run of commands."""

    acknowledged: int
    stored: int
    lost: list[str] = field(default_factory=list)  # acknowledged, not stored
    duplicated: list[str] = field(default_factory=list)  # stored more than once
    unacknowledged: list[str] = field(default_factory=list)  # stored, never acknowledged
    replay_errors: list[str] = field(default_factory=list)
    most_open_per_key: int = 0

    @property
    def sound(self) -> bool:
        return not (self.lost or self.duplicated or self.unacknowledged or self.replay_errors) and \
            self.most_open_per_key <= 1 and self.stored == self.acknowledged


# -- the worker process ---------------------------------------------------------------------------

def _serve(pipe: Connection, database: str, url: str) -> None:
    """One process's loop: a Library on its own facts file and the shared store; commands by pipe."""
    loop = asyncio.new_event_loop()
    library = loop.run_until_complete(Library.open(database, url))
    try:
        pipe.send("ready")
        while (message := pipe.recv()) != "stop":
            kind, *args = message
            handler = {"run": _run, "see": _see}[kind]
            pipe.send(loop.run_until_complete(handler(library, *args)))
    finally:
        loop.run_until_complete(library.close())
        loop.close()


async def _one(library: Library, command: Command) -> Outcome:
    act = library.flag if command.action == "flag" else library.unflag
    started = time.monotonic()
    status, detail = "ok", ""
    try:
        await act(command.fact_id, command.reason, "bench", command.guild_id)
    except Refusal as refusal:
        status, detail = "refused", str(refusal)
    except StateUnavailable as exc:
        status, detail = "unavailable", exc.detail
    except Exception as exc:  # reported, never hidden: the verdict counts these
        status, detail = "error", f"{type(exc).__name__}: {exc}"
    return Outcome(command, status, (time.monotonic() - started) * 1000, started, detail)


async def _run(library: Library, commands: list[Command], start_at: float) -> list[Outcome]:
    """All commands at once (the pool queues them), starting at `start_at` on the shared clock."""
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    return list(await asyncio.gather(*(_one(library, c) for c in commands)))


async def _see(library: Library, fact_id: str, guild_id: int, disputed: bool) -> int:
    """Ask for the fact until its marker is as expected; how many asks it took (1 = at once)."""
    for attempt in range(1, 1001):
        fact = await library.fact_by_id(fact_id, guild_id)
        if fact is not None and fact.disputed == disputed:
            return attempt
        await asyncio.sleep(0.001)
    raise AssertionError(f"{fact_id} never showed disputed={disputed} in guild {guild_id}")


class Peer:
    """A worker process and the pipe to it."""

    def __init__(self, database: str, url: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, theirs = context.Pipe()
        self.process = context.Process(target=_serve, args=(theirs, database, url), daemon=True)
        self.process.start()
        if not self.pipe.poll(60) or self.pipe.recv() != "ready":
            raise RuntimeError("worker process did not start")

    def ask(self, *message: object) -> object:
        self.pipe.send(message)
        return self.pipe.recv()

    def stop(self) -> None:
        try:
            self.pipe.send("stop")
        finally:
            self.process.join(30)
            if self.process.is_alive():
                self.process.kill()


# -- setting up, running, checking ----------------------------------------------------------------

async def facts_database(folder: Path, copies: int) -> tuple[list[str], list[str]]:
    """The seed loaded once into SQLite, copied once per process; (database paths, fact ids)."""
    first = folder / "facts.sqlite3"
    library = await Library.open(first)
    try:
        await library.load([SEED])
        ids = [f.id for f in (await library.fact("ketamine", limit=50)).results]
    finally:
        await library.close()
    paths = [str(first)]
    for n in range(1, copies):
        shutil.copy(first, folder / f"facts{n}.sqlite3")
        paths.append(str(folder / f"facts{n}.sqlite3"))
    return paths, ids


def plan(fact_ids: list[str], count: int, process: int, seed: int = 7) -> list[Command]:
    """`count` flags and unflags (3 to 2) over the same few facts and both guilds in every process."""
    rng = random.Random(seed * 1000 + process)
    return [Command(rng.choice(("flag", "flag", "flag", "unflag", "unflag")), rng.choice(fact_ids),
                    rng.choice(GUILDS), f"p{process}-{n}") for n in range(count)]


def run_together(peers: list[Peer], plans: list[list[Command]]) -> list[Outcome]:
    """Every peer runs its plan at the same moment; all outcomes."""
    start_at = time.monotonic() + 0.5
    for peer, commands in zip(peers, plans):
        peer.pipe.send(("run", commands, start_at))
    return [outcome for peer in peers for outcome in peer.pipe.recv()]


async def verify(url: str, outcomes: list[Outcome]) -> Verdict:
    """Check the stored history against the acknowledged commands, and replay it."""
    conn = await asyncpg.connect(url)
    try:
        events = await conn.fetch("SELECT id, dispute_id, fact_id, guild_id, action, reason FROM flag_events ORDER BY id")
        disputes = {r["id"]: r for r in await conn.fetch("SELECT id, fact_id, guild_id, closed_at FROM disputes")}
        most_open = await conn.fetchval("SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM disputes"
                                        " WHERE closed_at IS NULL GROUP BY fact_id, guild_id) AS per_key")
    finally:
        await conn.close()
    acknowledged = {o.command.reason for o in outcomes if o.status == "ok"}
    stored = Counter(e["reason"] for e in events)
    verdict = Verdict(len(acknowledged), len(events), sorted(acknowledged - set(stored)),
                      sorted(r for r, n in stored.items() if n > 1), sorted(set(stored) - acknowledged),
                      most_open_per_key=most_open)
    verdict.replay_errors = _replay(events, disputes)
    return verdict


def _replay(events: list, disputes: dict) -> list[str]:
    """Per (fact, guild), in id order (which is lock order there): a flag opens a new dispute or
    joins the open one, an unflag closes the open one; the result must match the disputes table."""
    open_now: dict[tuple, int] = {}
    seen: set[int] = set()
    errors = []
    for e in events:
        key, dispute = (e["fact_id"], e["guild_id"]), e["dispute_id"]
        current = open_now.get(key)
        if e["action"] == "flag" and current is None and dispute in seen:
            errors.append(f"event {e['id']} re-opens closed dispute {dispute}")
        elif current is not None and dispute != current:
            errors.append(f"event {e['id']} names dispute {dispute} while {current} is open")
        elif e["action"] == "unflag" and current is None:
            errors.append(f"event {e['id']} unflags with no open dispute")
        seen.add(dispute)
        if e["action"] == "flag":
            open_now[key] = dispute
        else:
            open_now.pop(key, None)
    really_open = {(d["fact_id"], d["guild_id"]): i for i, d in disputes.items() if d["closed_at"] is None}
    if really_open != open_now:
        errors.append(f"replay ends with {len(open_now)} open disputes, the table has {len(really_open)}")
    return errors


def round_trips(peers: list[Peer], fact_ids: list[str], count: int) -> tuple[list[float], list[Outcome]]:
    """Flag (then, a pass later, unflag) a fact in one process and ask the other for it until the
    marker shows (or is gone): milliseconds from the command to that answer, pipes included."""
    times, outcomes = [], []
    for n in range(count):
        writer, reader = peers[n % 2], peers[1 - n % 2]
        fact_id = fact_ids[n % len(fact_ids)]
        action = "flag" if (n // len(fact_ids)) % 2 == 0 else "unflag"
        started = time.perf_counter()
        (outcome,) = writer.ask("run", [Command(action, fact_id, GUILDS[0], f"rt-{n}")], 0.0)
        if outcome.status != "ok":
            raise AssertionError(f"round trip {n}: {outcome}")
        reader.ask("see", fact_id, GUILDS[0], action == "flag")
        times.append((time.perf_counter() - started) * 1000)
        outcomes.append(outcome)
    return times, outcomes


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median": round(statistics.median(ordered), 2),
            "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
            "max": round(ordered[-1], 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.statebench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an empty PostgreSQL database (default: a throwaway local cluster)")
    parser.add_argument("--commands", type=int, default=1000, help="flags and unflags over both processes")
    parser.add_argument("--round-trips", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    server = None
    folder = Path(tempfile.mkdtemp(prefix="factbot-statebench-"))
    try:
        url = args.url
        if url is None:
            from tests.pgserver import PgServer

            server = PgServer(durable=True)  # fsync on: commit times as in production
            server.start()
            url = server.create_database("statebench")
        databases, fact_ids = asyncio.run(facts_database(folder, 2))
        peers = [Peer(database, url) for database in databases]
        try:
            trips, tripped = round_trips(peers, fact_ids[:10], args.round_trips)
            started = time.perf_counter()
            outcomes = run_together(peers, [plan(fact_ids[:10], args.commands // 2, p) for p in (1, 2)])
            elapsed = time.perf_counter() - started
        finally:
            for peer in peers:
                peer.stop()
        verdict = asyncio.run(verify(url, tripped + outcomes))
    finally:
        if server is not None:
            server.remove()
        shutil.rmtree(folder, ignore_errors=True)
    statuses = Counter(o.status for o in outcomes)
    report = {
        "round_trip_ms": percentiles(trips), "round_trips": len(trips),
        "commands": len(outcomes), "processes": 2, "seconds": round(elapsed, 2),
        "command_ms": percentiles([o.ms for o in outcomes]), "statuses": dict(statuses),
        "verdict": {**asdict(verdict), "sound": verdict.sound},
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        rt, cm = report["round_trip_ms"], report["command_ms"]
        print(f"flag round trip (command in one process, marker seen from the other), {len(trips)} trips: "
              f"median {rt['median']} ms, p95 {rt['p95']} ms, max {rt['max']} ms")
        print(f"{len(outcomes)} flag/unflag commands over 2 processes in {elapsed:.2f} s "
              f"({dict(statuses)}); per command median {cm['median']} ms, p95 {cm['p95']} ms")
        print(f"history: {verdict.stored} events for {verdict.acknowledged} acknowledged commands; lost "
              f"{len(verdict.lost)}, duplicated {len(verdict.duplicated)}, unacknowledged {len(verdict.unacknowledged)},"
              f" replay errors {len(verdict.replay_errors)}, most open disputes per (fact, guild) "
              f"{verdict.most_open_per_key}: {'sound' if verdict.sound else 'NOT SOUND'}")
    return 0 if verdict.sound and statuses["error"] == 0 and statuses["unavailable"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
