"""The real discord.py client against the fake Discord: login, READY, command sync, /fact."""

from __future__ import annotations

from tests.fakediscord.harness import GUILD, MANAGE_MESSAGES, running_bot


async def test_startup_syncs_valid_commands_and_answers_fact(library):
    async with running_bot(library) as run:
        syncs = run.fake.of_kind("sync")
        assert syncs and syncs[0].path.endswith(f"/guilds/{GUILD}/commands")
        commands = {c["name"]: c for c in syncs[-1].body}
        assert set(commands) == {"fact", "source", "synthesis", "flag", "unflag", "disputes", "help"}
        for name in ("flag", "unflag", "disputes"):
            assert int(commands[name]["default_member_permissions"]) == MANAGE_MESSAGES
        assert all(len(c["description"]) <= 100 for c in commands.values())
        requests = await run.interact("fact", [{"name": "query", "type": 3, "value": "bdnf"}])
        callback = requests[0]
        assert callback.kind == "callback" and callback.body["type"] == 4
        embed = callback.body["data"]["embeds"][0]
        assert "bdnf" in embed["title"].lower()
        assert embed["footer"]["text"].startswith("1-5 of ")
        first = embed["fields"][0]["value"]
        assert "BDNF" in first and "<https://" in first
        assert run.fake.violations == []
