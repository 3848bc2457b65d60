"""Buttons and menus through the real client and the fake Discord: did-you-mean buttons, the cited-fact
menus under /synthesis, presses after a restart, and controls that expired."""

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
    assert 1 <= len(buttons) <= 5 and [b["label"] for b in buttons] == ["blindfold"]  # the words, unfiltered
    assert all(len(b["custom_id"]) <= 100 and b["custom_id"].startswith(f"fb:dym:{STUDENT}:") for b in buttons)
    pressed = await run.click(message, "blindfold", user_id=STUDENT)
    data = pressed[0].body["data"]
    assert pressed[0].body["type"] == 4 and data["flags"] & EPHEMERAL
    assert data["embeds"][0]["title"] == "Facts for “blindfold”" and "blindfold" in str(data["embeds"][0]["fields"]).lower()


async def test_only_the_asker_may_press_a_private_answers_suggestion(run):
    message = await _suggested(run, user_id=STUDENT)
    refused = await run.click(message, "blindfold", user_id=MODERATOR)
    assert refused[0].body["data"]["flags"] & EPHEMERAL and "Only the person who asked" in refused[0].body["data"]["content"]
    await run.drained()
    assert len([r for r in run.fake.requests if r.interaction_id == refused[0].interaction_id]) == 1


async def _synthesis_menu(run, options: list[dict] | None = None) -> tuple[dict, list[dict]]:
    requests = await run.interact("synthesis", options or [], wait_for=2)
    await run.drained()
    followups = [r for r in run.fake.requests if r.kind == "followup" and r.interaction_id == requests[0].interaction_id]
    last = run.answer(followups[-1])
    menus = [c for c in components(last) if c["type"] == 3]
    return last, menus


async def test_synthesis_has_a_cited_fact_menu_within_discords_limits(run):
    message, menus = await _synthesis_menu(run)
    assert len(menus) == 1 and len(message["components"]) <= 5
    options = menus[0]["options"]
    assert menus[0]["placeholder"] == "Show a cited fact" and 2 <= len(options) <= 25
    assert all(1 <= len(o["label"]) <= 100 and len(o.get("description", "")) <= 100 for o in options)
    assert options[0]["label"].startswith("[1] Ketamine and phencyclidine (PCP) are synthetic drugs")
    footnotes = " ".join(e.get("description", "") for e in message["embeds"])
    assert all(f"`{o['value']}`" in footnotes for o in options), "every option is one of the footnoted facts"


async def test_anyone_may_choose_a_cited_fact_and_sees_it_privately_with_its_disputes(run):
    _, menus = await _synthesis_menu(run)
    message = run.answer([r for r in run.fake.requests if r.kind == "followup"][-1])
    fact_id = menus[0]["options"][1]["value"]
    await run.library.flag(fact_id, "the sample was tiny", "moderator", guild_id=GUILD)
    chosen = await run.choose(message, fact_id, user_id=MODERATOR)  # not who ran /synthesis: a public answer
    data = chosen[0].body["data"]
    assert chosen[0].body["type"] == 4 and data["flags"] & EPHEMERAL
    embed = data["embeds"][0]
    assert fact_id in embed["title"] and "⚠ Disputed" in embed["title"] and "the sample was tiny" in str(embed["fields"])
    undisputed = menus[0]["options"][0]["value"]
    plain = (await run.choose(message, undisputed, user_id=STUDENT))[0].body["data"]["embeds"][0]
    assert {"name": "Disputes", "value": "Not disputed in this server.", "inline": False} in plain["fields"]
    assert any(f["name"] == "Source" for f in plain["fields"])


async def test_a_perspective_has_the_menu_of_its_own_citations(run):
    _, menus = await _synthesis_menu(run, [_option("perspective", 1, kind=4)])
    answer = await run.library.synthesis(perspective=1)
    cited = list(dict.fromkeys(c.fact_id for c in answer.perspectives[0].citations if c.fact_id))
    assert [o["value"] for o in menus[0]["options"]] == cited


async def test_a_menu_and_a_suggestion_work_after_a_restart(library):
    async with running_bot(library) as first:
        _, menus = await _synthesis_menu(first)
        synthesis = first.answer([r for r in first.fake.requests if r.kind == "followup"][-1])
        suggested = await _suggested(first)
    async with running_bot(library) as second:  # a new process: no view of the first one is in memory
        fact_id = menus[0]["options"][0]["value"]
        shown = (await second.choose(synthesis, fact_id, user_id=MODERATOR))[0].body["data"]
        assert fact_id in shown["embeds"][0]["title"]
        pressed = (await second.click(suggested, "blindfold", user_id=STUDENT))[0].body["data"]
        assert pressed["flags"] & EPHEMERAL and pressed["embeds"][0]["title"] == "Facts for “blindfold”"
        await _no_violations(second)


async def test_a_cited_fact_no_longer_on_the_page_is_said_plainly(run):
    message, menus = await _synthesis_menu(run)
    payload = run.fake.component(message, menus[0]["custom_id"], values=["zzzzzzzz"], guild_id=GUILD)
    answered = await run.send(payload)
    assert answered[0].body["data"]["flags"] & EPHEMERAL and "no longer on the page" in answered[0].body["data"]["content"]


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
