"""Buttons and menus through the real client and the fake Discord: did-you-mean buttons, and controls
that expired."""

from __future__ import annotations

import pytest

from tests.fakediscord.harness import GUILD, MODERATOR, STUDENT, components, running_bot
from tests.test_bot_check import _no_violations
from tests.test_bot_commands import EPHEMERAL, _option

NOTHING_FOUND = [_option("query", "blindfold"), _option("type", "account")]  # no account mentions it


@pytest.fixture
async def run(library):
    async with running_bot(library, page_timeout=10) as running:
        yield running
        await _no_violations(running)


async def _suggested(run, user_id: int = STUDENT) -> dict:
    requests = await run.interact("fact", NOTHING_FOUND, user_id=user_id)
    data = requests[0].body["data"]
    assert data["flags"] & EPHEMERAL and "No fact matches" in data["content"]
    return run.answer(requests[0])


async def test_did_you_mean_comes_as_buttons_that_run_fact_privately(run):
    message = await _suggested(run)
    buttons = components(message)
    assert 1 <= len(buttons) <= 5 and [b["label"] for b in buttons] == ["blindfolds"]
    assert all(len(b["custom_id"]) <= 100 and b["custom_id"].startswith(f"fb:dym:{STUDENT}:") for b in buttons)
    pressed = await run.click(message, "blindfolds", user_id=STUDENT)
    data = pressed[0].body["data"]
    assert pressed[0].body["type"] == 4 and data["flags"] & EPHEMERAL
    assert data["embeds"][0]["title"] == "Facts for “blindfolds”" and "blindfold" in str(data["embeds"][0]["fields"]).lower()


async def test_only_the_asker_may_press_a_private_answers_suggestion(run):
    message = await _suggested(run, user_id=STUDENT)
    refused = await run.click(message, "blindfolds", user_id=MODERATOR)
    assert refused[0].body["data"]["flags"] & EPHEMERAL and "Only the person who asked" in refused[0].body["data"]["content"]
    await run.drained()
    assert len([r for r in run.fake.requests if r.interaction_id == refused[0].interaction_id]) == 1


async def test_pages_pressed_after_a_restart_say_they_expired(library):
    async with running_bot(library) as first:
        requests = await first.interact("fact", [_option("query", "ketamine")], user_id=STUDENT)
        paged = first.answer(requests[0])
        assert [c["label"] for c in components(paged)] == ["Previous", "Next"]
    async with running_bot(library) as second:
        pressed = await second.click(paged, "Next", user_id=STUDENT)
        data = pressed[0].body["data"]
        assert pressed[0].body["type"] == 4 and data["flags"] & EPHEMERAL and "expired" in data["content"]
        stray = second.fake.component(paged, "not-a-control-of-ours", guild_id=GUILD)
        assert "expired" in (await second.send(stray))[0].body["data"]["content"]
        await _no_violations(second)


async def test_a_live_page_turn_is_not_told_it_expired(run):
    requests = await run.interact("fact", [_option("query", "ketamine")], user_id=STUDENT)
    turned = await run.click(run.answer(requests[0]), "Next", user_id=STUDENT)
    await run.drained()
    answers = [r for r in run.fake.requests if r.interaction_id == turned[0].interaction_id]
    assert len(answers) == 1 and answers[0].body["type"] == 7
