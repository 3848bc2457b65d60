"""Discord misbehaving: a dropped gateway, rate limits, server errors; and the token never leaks."""

from __future__ import annotations

import asyncio
import logging

from tests.fakediscord.harness import GUILD, TOKEN, running_bot

QUERY = [{"name": "query", "type": 3, "value": "bdnf"}]


async def test_gateway_drop_resumes_and_keeps_answering(library):
    async with running_bot(library) as run:
        await run.fake.drop_connection(code=4000)
        await asyncio.wait_for(run.fake.identified.wait(), 15)
        assert run.fake.connections == 2
        assert run.fake.resumes + run.fake.identifies >= 2  # resumed (or identified again)
        requests = await run.interact("fact", QUERY)
        assert requests[0].body["type"] == 4
        assert run.fake.violations == []


async def test_rate_limited_callback_is_retried_and_delivered_once(library):
    async with running_bot(library) as run:
        run.fake.fail_next("callback", 429, {"message": "You are being rate limited.", "retry_after": 0.2,
                                             "global": False}, {"Via": "1.1 google", "Retry-After": "1"})
        requests = await run.interact("fact", QUERY, wait_for=2)
        callbacks = [r for r in requests if r.kind == "callback"]
        assert len(callbacks) == 2 and callbacks[0].body == callbacks[1].body
        assert callbacks[1].at - callbacks[0].at >= 0.15
        await asyncio.sleep(0.3)
        assert len([r for r in run.fake.requests if r.interaction_id == requests[0].interaction_id]) == 2


async def test_500_is_retried_while_others_are_served(library):
    async with running_bot(library) as run:
        run.fake.fail_next("callback", 500, {"message": "internal", "code": 0})
        first = await run.fake.send_interaction(run.fake.interaction("fact", QUERY, guild_id=GUILD))
        await run.fake.wait_for(lambda rs: any(r.interaction_id == first for r in rs))
        other = await run.interact("fact", [{"name": "query", "type": 3, "value": "grunebaum"}])
        await run.fake.wait_for(lambda rs: sum(r.interaction_id == first for r in rs) >= 2, timeout=10)
        retried = run.fake.of_kind("callback", first)
        assert len(retried) == 2 and retried[1].at > other[0].at  # the other user did not wait for the retry


async def test_server_error_is_logged_and_the_user_told(library, caplog):
    # discord.py retries a 5xx five times (1 + 3 + 5 + 7 s apart) before giving up: ~16 s.
    async with running_bot(library) as run:
        for _ in range(5):
            run.fake.fail_next("callback", 500, {"message": "internal", "code": 0})
        with caplog.at_level(logging.ERROR, logger="factbot"):
            requests = await run.interact("fact", QUERY, wait_for=6, timeout=40)
        assert any("command /fact failed" in r.getMessage() and r.exc_info for r in caplog.records), [r.getMessage() for r in caplog.records]
        assert "Sorry, something went wrong" in requests[5].body["data"]["content"]
        assert (await run.interact("fact", QUERY))[0].body["type"] == 4


async def test_token_never_logged(library, caplog):
    with caplog.at_level(logging.DEBUG):
        async with running_bot(library) as run:
            run.fake.fail_next("callback", 500, {"message": "internal", "code": 0})
            await run.interact("fact", QUERY)
            await run.interact("fact", QUERY)
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert logged and TOKEN not in logged
    assert TOKEN not in repr(run.bot.config)
