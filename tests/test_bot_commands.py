"""Each command through the real CommandTree and client, against the fake Discord."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.commands import respond
from tests.fakediscord.harness import GUILD, MANAGER, MOD_ROLE, MODERATOR, OTHER_GUILD, STUDENT, running_bot

EPHEMERAL = 64


def _option(name: str, value, kind: int = 3, focused: bool = False) -> dict:
    option = {"name": name, "type": kind, "value": value}
    if focused:
        option["focused"] = True
    return option


def _embed_chars(embeds: list[dict]) -> int:
    total = 0
    for e in embeds:
        total += len(e.get("title", "")) + len(e.get("description", ""))
        total += len(e.get("footer", {}).get("text", "")) + len(e.get("author", {}).get("name", ""))
        total += sum(len(f["name"]) + len(f["value"]) for f in e.get("fields", []))
    return total


def _within_limits(body: dict) -> None:
    data = body.get("data", body)
    embeds = data.get("embeds") or []
    assert len(data.get("content") or "") <= 2000
    assert len(embeds) <= 10 and _embed_chars(embeds) <= 6000
    for e in embeds:
        assert len(e.get("title", "")) <= 256 and len(e.get("description", "")) <= 4096
        assert len(e.get("fields", [])) <= 25
        assert all(len(f["name"]) <= 256 and len(f["value"]) <= 1024 for f in e.get("fields", []))


def assert_clean(run) -> None:
    """Every request Discord's schema accepts, within its limits, and never pinging anyone."""
    assert run.fake.violations == []
    for request in run.fake.requests:
        if request.kind in ("callback", "followup", "edit", "channel_message") and isinstance(request.body, dict):
            _within_limits(request.body)
            assert (request.body.get("data", request.body).get("allowed_mentions") or {"parse": []})["parse"] == []


def slow_down(run, monkeypatch, method: str) -> None:
    """Make library.<method> take 0.5 s and defer after 0.1 s, as storage past DEFER_AFTER would."""
    monkeypatch.setattr(respond, "DEFER_AFTER", 0.1)
    original = getattr(run.library, method)

    async def slow(*args, **kwargs):
        await asyncio.sleep(0.5)
        return await original(*args, **kwargs)

    monkeypatch.setattr(run.library, method, slow)


@pytest.fixture
async def run(library):
    async with running_bot(library, page_timeout=10) as running:
        yield running
        await running.drained()
        assert_clean(running)


async def _flag_count(library) -> int:
    async with library.conn.execute("SELECT count(*) FROM flag_events") as cursor:
        return (await cursor.fetchone())[0]


async def test_fact_autocomplete(run):
    requests = await run.interact("fact", [_option("query", "neurog", focused=True)], kind=4)
    body = requests[0].body
    assert body["type"] == 8
    choices = body["data"]["choices"]
    assert 1 <= len(choices) <= 25
    assert all(1 <= len(c["name"]) <= 100 and 1 <= len(c["value"]) <= 100 for c in choices)
    assert any("neurogenesis" in c["name"].lower() for c in choices)


async def test_unflag_autocomplete_offers_open_disputes_to_moderators_only(run):
    fact_id = (await run.library.fact("bdnf")).results[0].id
    await run.library.flag(fact_id, "overstated", "mod", GUILD)
    typing = [_option("fact", "", focused=True), _option("reason", "x")]
    offered = (await run.interact("unflag", typing, kind=4, user_id=MODERATOR, roles=[MOD_ROLE]))[0].body["data"]
    assert [c["value"] for c in offered["choices"]] == [fact_id]
    student = (await run.interact("unflag", typing, kind=4, user_id=STUDENT))[0].body["data"]
    assert student["choices"] == []


async def test_anyone_may_turn_a_public_answers_pages(run):
    requests = await run.interact("fact", [_option("query", "ketamine")], user_id=STUDENT)
    callback = requests[0]
    message = run.fake.messages[run.fake.originals[f"token-{callback.interaction_id}"]]
    assert message["components"], "a multi-page answer has Previous/Next"
    turned = await run.click(message, "Next", user_id=STUDENT)
    assert turned[0].body["type"] == 7
    assert turned[0].body["data"]["embeds"][0]["footer"]["text"].startswith("6-10 of ")
    # The answer is public, so its controls are everyone's (a private answer's are the asker's).
    again = await run.click(message, "Next", user_id=MODERATOR)
    assert again[0].body["type"] == 7
    assert again[0].body["data"]["embeds"][0]["footer"]["text"].startswith("11-15 of ")


async def test_fact_nothing_found_is_ephemeral_with_suggestions(run):
    requests = await run.interact("fact", [_option("query", "xqzvw qqqqj")])
    data = requests[0].body["data"]
    assert data["flags"] & EPHEMERAL and "No fact matches" in data["content"]


async def test_fact_id_shows_one_fact_in_full(run):
    fact_id = (await run.library.fact("grunebaum 2017")).results[0].id
    requests = await run.interact("fact", [_option("query", fact_id)])
    embed = requests[0].body["data"]["embeds"][0]
    assert fact_id in embed["title"] and embed["description"].startswith("Grunebaum et al. (2017)")


async def test_source_detail_and_listing(run):
    detail = (await run.interact("source", [_option("query", "yaden")]))[0].body["data"]["embeds"][0]
    assert detail["title"].startswith("Psychedelics and Consciousness")
    assert "Oxford University Press" in detail["description"]
    listing = (await run.interact("source", []))[0].body["data"]["embeds"][0]
    assert listing["footer"]["text"] == "1-10 of 14"
    # Words that fit several sources list them all, as the console does (only the first showed).
    several = (await run.interact("source", [_option("query", "frontiers")]))[0].body["data"]["embeds"][0]
    assert several["footer"]["text"] == "1-3 of 3" and several["description"].count("Frontiers") == 3


async def test_synthesis_within_limits_and_perspective(run):
    requests = await run.interact("synthesis", [], wait_for=2)
    assert requests[0].body["type"] == 5  # deferred: several messages follow
    followups = [r for r in requests if r.kind == "followup"]
    text = " ".join(e.get("description", "") for r in followups for e in r.body["embeds"])
    assert "[1]" in text and "Ketamine is a synthetic" in text
    one = await run.interact("synthesis", [_option("perspective", 7, kind=4)], wait_for=2)
    author = one[1].body["embeds"][0]["author"]["name"]
    assert "openrouter/x-ai/grok-4.1-fast" in author and "90% confidence" in author
    # Perspective 3 cites by numbers from a source list the page does not have: said, not hidden.
    numbered = await run.interact("synthesis", [_option("perspective", 3, kind=4)], wait_for=2)
    notes = [e for e in numbered[1].body["embeds"] if e.get("title") == "Citations"]
    assert notes and "28 citations in this text name no fact of the page" in notes[0]["description"]
    assert run.fake.violations == []


async def test_help(run):
    body = (await run.interact("help", []))[0].body
    assert body["data"]["flags"] & EPHEMERAL
    assert any(f["name"].startswith("/fact") for f in body["data"]["embeds"][0]["fields"])


async def test_non_moderator_refused_and_nothing_written(run):
    fact_id = (await run.library.fact("bdnf")).results[0].id
    for name in ("flag", "unflag"):
        requests = await run.interact(name, [_option("fact", fact_id), _option("reason", "wrong")], user_id=STUDENT)
        data = requests[0].body["data"]
        assert data["flags"] & EPHEMERAL and "Only moderators" in data["content"]
    await run.drained()  # the handler has finished: a write after the refusal would show now
    assert await _flag_count(run.library) == 0
    assert run.fake.of_kind("channel_message") == []
    assert not (await run.library.fact_by_id(fact_id, GUILD)).disputed


async def test_moderator_flag_marks_everywhere_in_this_guild_only(run):
    fact = (await run.library.fact("Ketamine increases BDNF levels")).results[0]
    requests = await run.interact("flag", [_option("fact", fact.id), _option("reason", "overstated in humans")],
                                  user_id=MODERATOR, roles=[MOD_ROLE], wait_for=1)
    assert requests[0].body["data"]["flags"] & EPHEMERAL
    await run.fake.wait_for(lambda rs: any(r.kind == "channel_message" for r in rs))
    audit = run.fake.of_kind("channel_message")[0]
    assert fact.id in audit.body["embeds"][0]["title"] and audit.path.endswith("/channels/1600000000000000001/messages")
    # Discord shows a mention in a title as raw "<@id>": the name there, the mention in a field.
    assert "<@" not in audit.body["embeds"][0]["title"]
    assert {"name": "Moderator", "value": f"<@{MODERATOR}>", "inline": False} in audit.body["embeds"][0]["fields"]
    assert await _flag_count(run.library) == 1
    shown = (await run.interact("fact", [_option("query", fact.id)]))[0].body["data"]["embeds"][0]
    assert "⚠ Disputed" in shown["title"] and "overstated in humans" in str(shown["fields"])
    listed = (await run.interact("fact", [_option("query", "Ketamine increases BDNF levels")]))[0]
    assert "⚠ Disputed" in listed.body["data"]["embeds"][0]["fields"][0]["name"]
    synthesis = await run.interact("synthesis", [], wait_for=2)
    assert "⚠ Disputed" in str([r.body for r in synthesis if r.kind == "followup"])
    source = (await run.interact("source", [_option("query", "neurogenesis broader neuroplasticity")]))[0]
    assert "⚠ Disputed" in str(source.body["data"]["embeds"][0]["fields"]) and fact.id in str(source.body)
    listed_disputes = (await run.interact("disputes", [], user_id=MODERATOR, roles=[MOD_ROLE]))[0].body["data"]
    assert fact.id in listed_disputes["embeds"][0]["fields"][0]["name"] and listed_disputes["flags"] & EPHEMERAL
    refused = (await run.interact("disputes", [], user_id=STUDENT))[0].body["data"]
    assert "Only moderators" in refused["content"]
    elsewhere = (await run.interact("fact", [_option("query", fact.id)], guild_id=OTHER_GUILD))[0]
    assert "Disputed" not in elsewhere.body["data"]["embeds"][0]["title"]


async def test_manage_messages_moderates_and_unflag_keeps_history(run):
    fact = (await run.library.fact("grunebaum 2017")).results[0]
    perms = 1 << 11 | 1 << 10 | 1 << 13
    await run.interact("flag", [_option("fact", fact.id), _option("reason", "wrong year")], user_id=MANAGER,
                       permissions=perms)
    await run.interact("flag", [_option("fact", fact.id), _option("reason", "also wrong journal")],
                       user_id=MANAGER, permissions=perms)
    view = await run.library.fact_by_id(fact.id, GUILD)
    assert view.dispute_reasons == ["wrong year", "also wrong journal"]
    requests = await run.interact("unflag", [_option("fact", fact.id), _option("reason", "checked")],
                                  user_id=MANAGER, permissions=perms)
    assert "resolved" in requests[0].body["data"]["embeds"][0]["title"]
    assert not (await run.library.fact_by_id(fact.id, GUILD)).disputed
    assert [e.action for e in await run.library.history(fact.id)] == ["flag", "flag", "unflag"]
    listing = (await run.interact("disputes", [], user_id=MANAGER, permissions=perms))[0]
    assert "No open disputes" in listing.body["data"]["embeds"][0]["description"]
    assert listing.body["data"]["flags"] & EPHEMERAL


async def test_unknown_fact_to_flag_is_a_polite_refusal(run):
    requests = await run.interact("unflag", [_option("fact", "zzzzzzzz"), _option("reason", "not in the source")],
                                  user_id=MODERATOR, roles=[MOD_ROLE])
    assert requests[0].body["data"]["flags"] & EPHEMERAL and "No fact has the id" in requests[0].body["data"]["content"]
    await run.drained()
    assert _answers(run, requests[0].interaction_id) == 1  # the refusal, and nothing after it


async def test_errors_reach_the_tree_handler(run, monkeypatch, caplog):
    async def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(run.library, "fact", broken)
    with caplog.at_level(logging.ERROR, logger="factbot"):
        requests = await run.interact("fact", [_option("query", "bdnf")])
    data = requests[0].body["data"]
    assert data["flags"] & EPHEMERAL and "Sorry, something went wrong" in data["content"]
    assert any("database on fire" in (r.exc_text or "") or r.exc_info for r in caplog.records)


async def test_slow_storage_defers_then_follows_up(run, monkeypatch):
    slow_down(run, monkeypatch, "fact")
    requests = await run.interact("fact", [_option("query", "bdnf")], wait_for=2)
    assert [r.kind for r in requests[:2]] == ["callback", "followup"]
    assert requests[0].body["type"] == 5
    assert requests[1].body["embeds"][0]["footer"]["text"].startswith("1-5 of")


@pytest.mark.parametrize("method, command, options", [
    ("fact", "fact", [("query", "qqqqzzzz")]),
    ("source", "source", [("query", "qqqqzzzz")]),
])
async def test_a_slow_commands_notice_asks_for_the_visibility_discord_gives_it(run, monkeypatch, method, command, options):
    """After a public defer the first followup replaces "thinking..." and stays public whatever it
    asks for; the fake Discord reports a followup that asks otherwise. The notice says so plainly."""
    slow_down(run, monkeypatch, method)
    deferred, notice = (await run.interact(command, [_option(*o) for o in options], wait_for=2))[:2]
    assert deferred.body["type"] == 5 and not (deferred.body.get("data") or {}).get("flags")
    assert notice.kind == "followup" and "qqqqzzzz" in notice.body["content"]
    assert not (notice.body.get("flags") or 0) & 64
    assert run.fake.violations == []


async def test_mentions_in_user_text_never_ping(run):
    requests = await run.interact("fact", [_option("query", "@everyone <@1300000000000000002> <@&1500000000000000001>")])
    data = requests[0].body["data"]
    assert "@everyone" in data["content"]
    assert data["allowed_mentions"] == {"parse": []}


HOSTILE = ["\u202e\u200b\u200d" + "x" * 290, "😀" * 150, "\x00\x07 control", '" OR 1=1 --', "NEAR(a b) AND *", " "]


async def test_hostile_text_in_every_option_gets_an_answer_within_limits(run):
    for text in HOSTILE:
        for name, options, extra in (
            ("fact", [_option("query", text), _option("source", text), _option("concept", text)], {}),
            ("fact", [_option("query", text, focused=True)], {"kind": 4}),
            ("source", [_option("query", text)], {}),
            ("synthesis", [_option("concept", text)], {}),
            ("flag", [_option("fact", text), _option("reason", text)], {"user_id": MODERATOR, "roles": [MOD_ROLE]}),
        ):
            requests = await run.interact(name, options, **extra)
            assert requests[0].kind == "callback"
    assert run.fake.violations == []


@pytest.mark.parametrize("options, named", [
    ([_option("source", "qqqqxqqq")], "No source matches the filter “qqqqxqqq”"),
    ([_option("concept", "zzzz")], "No concept “zzzz”; concepts are ketamine."),
])
async def test_a_filter_that_names_nothing_is_named(run, options, named):
    # (Discord itself only sends a listed type, so the type case is tested through the console.)
    requests = await run.interact("fact", [_option("query", "bdnf"), *options])
    data = requests[0].body["data"]
    assert data["flags"] & EPHEMERAL and named in data["content"] and "bdnf" not in data["content"]


async def _paged_message(run) -> dict:
    requests = await run.interact("fact", [_option("query", "ketamine")], user_id=STUDENT)
    return run.fake.messages[run.fake.originals[f"token-{requests[0].interaction_id}"]]


async def test_a_slow_page_turn_is_deferred_then_edited(run, monkeypatch):
    message = await _paged_message(run)
    slow_down(run, monkeypatch, "fact")
    custom_id = next(c["custom_id"] for row in message["components"] for c in row["components"] if c["label"] == "Next")
    payload = run.fake.interaction("", kind=3, guild_id=GUILD, user_id=STUDENT, message=message, custom_id=custom_id)
    turned = await run.send(payload, wait_for=2)
    assert turned[0].kind == "callback" and turned[0].body["type"] == 6  # deferred update: no new message
    assert turned[1].kind == "edit" and turned[1].body["embeds"][0]["footer"]["text"].startswith("6-10 of ")


async def test_a_failing_page_turn_apologises_instead_of_failing(run, monkeypatch, caplog):
    message = await _paged_message(run)

    async def broken(*args, **kwargs):
        raise RuntimeError("index on fire")

    monkeypatch.setattr(run.library, "fact", broken)
    with caplog.at_level(logging.ERROR, logger="factbot"):
        turned = await run.click(message, "Next", user_id=STUDENT)
    assert turned[0].body["type"] == 4 and turned[0].body["data"]["flags"] & EPHEMERAL
    assert "Sorry, something went wrong" in turned[0].body["data"]["content"]
    assert any(r.exc_info and "index on fire" in str(r.exc_info[1]) for r in caplog.records)


async def test_flag_by_clear_text_flags_that_fact(run):
    wanted = (await run.library.fact("Ketamine increases BDNF levels")).results[0]
    await run.interact("flag", [_option("fact", "ketamine increases bdnf levels"), _option("reason", "overstated")],
                       user_id=MODERATOR, roles=[MOD_ROLE])
    await run.drained()
    assert [d.fact_id for d in await run.library.disputes(GUILD)] == [wanted.id]
    assert len(run.fake.of_kind("channel_message")) == 1


async def _ambiguous_flag(run) -> tuple[dict, list[str]]:
    requests = await run.interact("flag", [_option("fact", "bdnf"), _option("reason", "which one?")],
                                  user_id=MODERATOR, roles=[MOD_ROLE])
    data = requests[0].body["data"]
    assert data["flags"] & EPHEMERAL and "choose one" in data["content"]
    message = run.fake.messages[run.fake.originals[f"token-{requests[0].interaction_id}"]]
    labels = [c["label"] for row in message["components"] for c in row["components"]]
    return {**message, "interaction_id": requests[0].interaction_id}, labels


def _answers(run, interaction_id: str) -> int:
    return sum(1 for r in run.fake.requests if r.interaction_id == interaction_id)


async def test_a_slow_flag_is_deferred_privately(run, monkeypatch):
    monkeypatch.setattr(respond, "DEFER_AFTER", 0.1)
    original = run.library.flag

    async def slow(*args, **kwargs):
        await asyncio.sleep(0.5)
        return await original(*args, **kwargs)

    monkeypatch.setattr(run.library, "flag", slow)
    fact_id = (await run.library.fact("bdnf")).results[0].id
    requests = await run.interact("flag", [_option("fact", fact_id), _option("reason", "dose is wrong")],
                                  user_id=MODERATOR, roles=[MOD_ROLE], wait_for=2)
    assert requests[0].body["type"] == 5 and requests[0].body["data"]["flags"] & EPHEMERAL  # nobody else sees it


async def test_a_slow_dispute_list_is_deferred_privately(run, monkeypatch):
    slow_down(run, monkeypatch, "disputes")
    requests = await run.interact("disputes", [], user_id=MODERATOR, roles=[MOD_ROLE], wait_for=2)
    assert requests[0].body["type"] == 5 and requests[0].body["data"]["flags"] & EPHEMERAL
    assert requests[1].kind == "followup" and requests[1].body["flags"] & EPHEMERAL
    assert run.fake.violations == []


async def test_flag_by_unclear_text_asks_which_fact_and_writes_nothing_until_chosen(run):
    message, labels = await _ambiguous_flag(run)
    await run.drained()
    assert _answers(run, message["interaction_id"]) == 1  # the question, and nothing after it
    assert await _flag_count(run.library) == 0 and run.fake.of_kind("channel_message") == []
    assert 2 <= len(labels) <= 5 and all(label.split()[-1] in str(message["embeds"]) for label in labels)
    chosen = labels[1].split()[-1]
    pressed = await run.click(message, labels[1], user_id=MODERATOR, roles=[MOD_ROLE])
    assert pressed[0].body["data"]["flags"] & EPHEMERAL and chosen in str(pressed[0].body)
    await run.drained()
    assert [d.fact_id for d in await run.library.disputes(GUILD)] == [chosen]
    assert (await run.library.fact_by_id(chosen, GUILD)).dispute_reasons == ["which one?"]
    assert len(run.fake.of_kind("channel_message")) == 1
    # The choice is closed: its message says what was chosen and has no buttons left to press.
    closed = [r.body for r in run.fake.of_kind("edit", message["interaction_id"])]
    assert closed and closed[-1]["content"].startswith(f"You chose {chosen}") and closed[-1]["components"] == []
    assert run.fake.violations == []


async def test_only_the_asking_moderator_may_choose(run):
    message, labels = await _ambiguous_flag(run)
    for user, roles in ((STUDENT, []), (MANAGER, [MOD_ROLE])):
        refused = await run.click(message, labels[0], user_id=user, roles=roles)
        assert refused[0].body["data"]["flags"] & EPHEMERAL and "Only the moderator who asked" in str(refused[0].body)
    await run.drained()
    assert await _flag_count(run.library) == 0


@pytest.mark.parametrize("reason", ["   ", ".", "ok", "?!?"])
async def test_a_reason_that_says_nothing_is_refused(run, reason):
    fact_id = (await run.library.fact("bdnf")).results[0].id
    requests = await run.interact("flag", [_option("fact", fact_id), _option("reason", reason)],
                                  user_id=MODERATOR, roles=[MOD_ROLE])
    assert "A reason must say why" in requests[0].body["data"]["content"]
    await run.drained()
    assert await _flag_count(run.library) == 0


async def test_moderation_from_a_direct_message_is_refused_politely(run):
    """Discord hides these commands in DMs, but a client may still send one: no member, no roles."""
    fact_id = (await run.library.fact("bdnf")).results[0].id
    for name in ("flag", "unflag", "disputes"):
        options = [] if name == "disputes" else [_option("fact", fact_id), _option("reason", "wrong dose")]
        requests = await run.interact(name, options, guild_id=None, user_id=MODERATOR, roles=[MOD_ROLE])
        assert "Only moderators" in requests[0].body["data"]["content"], name
    await run.drained()
    assert await _flag_count(run.library) == 0


async def test_moderation_without_a_member_in_a_guild_is_refused_not_crashed(run):
    """A guild payload without its member (Discord sends one; discord.py then has no user at all):
    no member, no roles, so no moderator, and a refusal rather than an error."""
    fact_id = (await run.library.fact("bdnf")).results[0].id
    payload = run.fake.interaction("flag", [_option("fact", fact_id), _option("reason", "wrong dose")],
                                   guild_id=GUILD, user_id=MODERATOR, roles=[MOD_ROLE])
    payload["user"] = payload.pop("member")["user"]
    requests = await run.send(payload)
    assert "Only moderators" in requests[0].body["data"]["content"]
    await run.drained()
    assert await _flag_count(run.library) == 0


async def test_only_the_asker_may_turn_a_private_answers_pages(run):
    for fact in (await run.library.fact("ketamine", limit=7)).results:
        await run.library.flag(fact.id, "checking the source", "mod", GUILD)
    requests = await run.interact("disputes", [], user_id=MODERATOR, roles=[MOD_ROLE])
    assert requests[0].body["data"]["flags"] & EPHEMERAL
    message = run.fake.messages[run.fake.originals[f"token-{requests[0].interaction_id}"]]
    refused = await run.click(message, "Next", user_id=MANAGER, roles=[MOD_ROLE])
    assert refused[0].body["type"] == 4 and "Only the person who asked" in refused[0].body["data"]["content"]
    turned = await run.click(message, "Next", user_id=MODERATOR, roles=[MOD_ROLE])
    assert turned[0].body["type"] == 7
