"""Two bot processes as shards 0 and 1 of 2 against the fake Discord, one PostgreSQL store: each
interaction reaches one process, each audit post is made once, one process syncs the commands.
Then the same two processes as 3 shards: every server keeps its disputes, also those that moved."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from tests.conftest import ROOT
from tests.fakediscord.harness import AUDIT_CHANNEL, MOD_ROLE, TOKEN, roles
from tests.fakediscord.server import FakeDiscord, shard_of
from tests.statebench import facts_database

# Six servers whose ids cover every pair of (shard of 2, shard of 3), so some move each way.
GUILDS = [((1_000_002 + k) << 22) + 1 for k in range(6)]
MODERATOR_PERMISSIONS = 1 << 11 | 1 << 10 | 1 << 13 | 1 << 31  # includes Manage Messages


class BotProcess:
    """`python -m bot run --shards ... --of ...` with its own facts file, logging to a file."""

    def __init__(self, name: str, config: Path, shards: str, of: int, log: Path) -> None:
        self.name, self.config, self.shards, self.of, self.log = name, config, shards, of, log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("a") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--config", str(self.config), "--shards", self.shards,
                "--of", str(self.of), cwd=ROOT, stdout=log, stderr=log, env={**os.environ, "PYTHONUNBUFFERED": "1"})

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(self.process.wait(), 15)
        except asyncio.TimeoutError:
            self.process.kill()
            await self.process.wait()

    def holds(self, guild_id: int) -> bool:
        return shard_of(guild_id, self.of) in {int(s) for s in self.shards.split(",")}


def _config(folder: Path, name: str, fake: FakeDiscord, database: str, url: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(
        f"[discord]\ntoken = {json.dumps(TOKEN)}\nguild_ids = [{GUILDS[0]}]\nmoderator_role_ids = [{MOD_ROLE}]\n"
        f"audit_channel_id = {AUDIT_CHANNEL}\napi_base_url = {json.dumps(fake.api_url)}\n"
        f"gateway_url = {json.dumps(fake.gateway_url)}\n"
        f"[storage]\ndatabase = {json.dumps(database)}\nseeds = {json.dumps(str(ROOT / 'seeds'))}\n"
        f"[state]\nurl = {json.dumps(url)}\n"
        "[search]\nmeaning = false\n"  # no background embedding in these processes
    )
    return path


async def _command(fake: FakeDiscord, guild_id: int, name: str, **options: str) -> dict:
    """Send a slash command as a moderator; its first response's data."""
    payload = fake.interaction(name, [{"name": k, "type": 3, "value": v} for k, v in options.items()],
                               guild_id=guild_id, user_id=1300000000000000002, permissions=MODERATOR_PERMISSIONS)
    interaction_id = await fake.send_interaction(payload)
    requests = await fake.wait_for(lambda rs: any(r.interaction_id == interaction_id for r in rs), timeout=20)
    first = next(r for r in requests if r.interaction_id == interaction_id)
    return first.body.get("data") or {}


async def _moderate(fake: FakeDiscord, guild_id: int, k: int, shared: str, own: str) -> list[str]:
    """One server's moderation, in order: the reasons of the flags and unflags it made."""
    steps = [("flag", shared, f"g{k}-shared-1"), ("flag", own, f"g{k}-own"), ("flag", shared, f"g{k}-shared-2")]
    if k % 2:
        steps.append(("unflag", own, f"g{k}-resolved"))
    for name, fact_id, reason in steps:
        data = await _command(fake, guild_id, name, fact=fact_id, reason=reason)
        assert fact_id in str(data.get("embeds")), (name, reason, data)
    return [reason for _, _, reason in steps]


async def _what_it_shows(fake: FakeDiscord, guild_id: int, facts: list[str]) -> dict:
    """A server's /disputes and each fact's /fact answer: what its members and moderators see."""
    shown = {"disputes": (await _command(fake, guild_id, "disputes"))["embeds"]}
    for fact_id in facts:
        shown[fact_id] = (await _command(fake, guild_id, "fact", query=fact_id))["embeds"][0]
    return shown


async def test_two_processes_as_shards_then_resharded(tmp_path, pg_url):
    (first_db, second_db), fact_ids = await facts_database(tmp_path, 2)
    shared, owns = fact_ids[0], fact_ids[1:7]
    fake = FakeDiscord(guilds={g: roles(g) for g in GUILDS})
    await fake.start()
    configs = [_config(tmp_path, name, fake, db, pg_url) for name, db in (("a", first_db), ("b", second_db))]
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    bots = [BotProcess("a", configs[0], "0", 2, logs[0]), BotProcess("b", configs[1], "1", 2, logs[1])]
    try:
        await asyncio.gather(*(bot.start() for bot in bots))
        await fake.wait_for_shards([(0, 2), (1, 2)], timeout=60)
        assert sorted(fake.identified_shards) == [(0, 2), (1, 2)]  # each IDENTIFY named its shard, once
        assert len(fake.of_kind("sync")) == 1  # only the process holding shard 0 synced

        reasons = await asyncio.gather(*(_moderate(fake, g, k, shared, owns[k]) for k, g in enumerate(GUILDS)))
        await fake.wait_for(lambda rs: sum(r.kind == "channel_message" for r in rs) >= sum(map(len, reasons)), 20)
        await asyncio.sleep(0.5)  # a second post of anything would arrive by now
        audits = [str(r.body["embeds"]) for r in fake.of_kind("channel_message")]
        assert len(audits) == sum(map(len, reasons))
        for reason in (r for server in reasons for r in server):
            assert sum(f"'value': '{reason}'" in audit for audit in audits) == 1, reason
        # Each interaction went to one connection: the shard of its server, held by one process.
        delivered = Counter(interaction_id for interaction_id, _, _ in fake.deliveries)
        assert set(delivered.values()) == {1}
        assert all(shard == (shard_of(guild, 2), 2) for _, guild, shard in fake.deliveries)
        callbacks = Counter(r.interaction_id for r in fake.of_kind("callback"))
        assert set(callbacks.values()) == {1}

        before = {g: await _what_it_shows(fake, g, [shared, owns[k]]) for k, g in enumerate(GUILDS)}
        for k, g in enumerate(GUILDS):
            assert f"g{k}-shared-2" in str(before[g]["disputes"]) and "⚠ Disputed" in before[g][shared]["title"]
            assert ("⚠ Disputed" in before[g][owns[k]]["title"]) == (k % 2 == 0)
        served_before = {g: next(b.name for b in bots if b.holds(g)) for g in GUILDS}

        await asyncio.gather(*(bot.stop() for bot in bots))
        bots = [BotProcess("a", configs[0], "0,1", 3, logs[0]), BotProcess("b", configs[1], "2", 3, logs[1])]
        await asyncio.gather(*(bot.start() for bot in bots))
        await fake.wait_for_shards([(0, 3), (1, 3), (2, 3)], timeout=60)
        assert sorted(fake.identified_shards[2:]) == [(0, 3), (1, 3), (2, 3)]
        served_after = {g: next(b.name for b in bots if b.holds(g)) for g in GUILDS}
        moved = [g for g in GUILDS if served_before[g] != served_after[g]]
        assert {served_before[g] for g in moved} == {"a", "b"}  # servers moved both ways

        after = {g: await _what_it_shows(fake, g, [shared, owns[k]]) for k, g in enumerate(GUILDS)}
        assert after == before
        # A server that moved goes on with its dispute in its new process.
        k = GUILDS.index(moved[0])
        data = await _command(fake, moved[0], "unflag", fact=shared, reason=f"g{k}-resolved-after-move")
        assert "resolved" in str(data["embeds"])
        assert len(fake.of_kind("sync")) == 2 and fake.violations == []
    except BaseException:
        for log in logs:
            print(f"--- {log.name}\n{log.read_text()[-3000:]}" if log.exists() else "")
        raise
    finally:
        await asyncio.gather(*(bot.stop() for bot in bots))
        await fake.stop()

