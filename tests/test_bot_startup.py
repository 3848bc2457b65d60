"""The real discord.py client against the fake Discord: login, READY, command sync, /fact."""

from __future__ import annotations

from tests.fakediscord.harness import GUILD, MANAGE_MESSAGES, running_bot


async def test_startup_syncs_valid_commands_and_answers_fact(library):
    async with running_bot(library) as run:
        syncs = run.fake.of_kind("sync")
        assert syncs and syncs[0].path.endswith(f"/guilds/{GUILD}/commands")
        commands = {c["name"]: c for c in syncs[-1].body}
        assert set(commands) == {"fact", "source", "synthesis", "Check facts", "flag", "unflag", "disputes", "quiz",
                                 "export", "help"}
        for name in ("flag", "unflag", "disputes"):
            assert int(commands[name]["default_member_permissions"]) == MANAGE_MESSAGES
        assert all(len(c.get("description", "")) <= 100 for c in commands.values())
        assert commands["Check facts"]["type"] == 3 and commands["fact"]["type"] == 1  # a message command
        requests = await run.interact("fact", [{"name": "query", "type": 3, "value": "bdnf"}])
        callback = requests[0]
        assert callback.kind == "callback" and callback.body["type"] == 4
        embed = callback.body["data"]["embeds"][0]
        assert "bdnf" in embed["title"].lower()
        assert embed["footer"]["text"].startswith("1-5 of ")
        first = embed["fields"][0]["value"]
        assert "BDNF" in first and "<https://" in first
        assert run.fake.violations == []


async def test_sync_command_logs_in_syncs_and_exits(library, tmp_path):
    import discord

    from bot.client import run_bot
    from tests.fakediscord.harness import roles, test_config
    from tests.fakediscord.server import FakeDiscord

    fake = FakeDiscord(guilds={GUILD: roles(GUILD)})
    await fake.start()
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        config = test_config(fake, str(tmp_path / "sync.sqlite3"))
        assert await run_bot(config, connect=False) == 0
        assert len(fake.of_kind("sync")) == 1 and fake.connections == 0
        assert fake.violations == []
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved
        await fake.stop()


async def test_paging_buttons_are_disabled_after_the_timeout(library):
    import asyncio

    async with running_bot(library, page_timeout=0.5) as run:
        requests = await run.interact("fact", [{"name": "query", "type": 3, "value": "ketamine"}])
        await run.fake.wait_for(lambda rs: any(r.kind == "edit" and r.interaction_id == requests[0].interaction_id
                                               for r in rs), timeout=10)
        edit = run.fake.of_kind("edit", requests[0].interaction_id)[0]
        buttons = [c for row in edit.body["components"] for c in row["components"]]
        assert buttons and all(b["disabled"] for b in buttons)
        assert run.fake.violations == []
        await asyncio.sleep(0)


async def test_a_serving_bot_embeds_what_is_missing_and_answers_by_words_meanwhile(tmp_path, embedded_db):
    import asyncio
    import shutil
    import sqlite3

    from storage.library import Library

    target = tmp_path / "factbot.sqlite3"
    shutil.copy(embedded_db, target)
    with sqlite3.connect(target) as conn:
        conn.execute("DELETE FROM fact_vectors WHERE key IN (SELECT key FROM fact_vectors LIMIT 20)")
    library = await Library.open(target)
    try:
        assert await library.missing_vectors() == 20
        async with running_bot(library) as run:
            task = run.bot.embed_in_background()
            assert run.bot.embed_in_background() is task  # started once
            answer = await run.interact("fact", [{"name": "query", "type": 3, "value": "bdnf"}])
            assert answer[0].body["type"] == 4 and "BDNF" in str(answer[0].body["data"]["embeds"])
            assert await asyncio.wait_for(task, 120) == 20
            assert await library.missing_vectors() == 0 and library.meaning_ready
            assert run.fake.violations == []
    finally:
        await library.close()
