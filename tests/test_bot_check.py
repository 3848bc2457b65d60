"""Check facts (a message command) through the real client and the fake Discord: the private
answer, sharing it, who may press, a restart in between, DMs, and messages with nothing to check."""

from __future__ import annotations

import pytest

from tests.fakediscord.harness import GUILD, MODERATOR, STUDENT, components, running_bot
from tests.test_bot_commands import EPHEMERAL, assert_clean, slow_down

CLAIM = "ketamine works by blocking serotonin right?"


def _checked(run, requests) -> tuple[dict, dict]:
    """(the answer's request body data, the stored answer message)."""
    callback = requests[0]
    assert callback.kind == "callback" and callback.body["type"] == 4
    return callback.body["data"], run.answer(callback)


async def _no_violations(run) -> None:
    await run.drained()
    assert_clean(run)


@pytest.fixture
async def run(library):
    async with running_bot(library, page_timeout=10) as running:
        yield running
        await _no_violations(running)


async def test_check_facts_answers_privately_with_the_related_facts(run):
    target = run.fake.chat_message(CLAIM)
    data, message = _checked(run, await run.check(target))
    assert data["flags"] & EPHEMERAL
    embed = data["embeds"][0]
    assert embed["url"] == f"https://discord.com/channels/{GUILD}/{target['channel_id']}/{target['id']}"
    assert "blocking serotonin" in embed["description"] and 1 <= len(embed["fields"]) <= 5
    assert "Serotonin" in str(embed["fields"]) and "<https://" in embed["fields"][0]["value"]
    share = [c for c in components(message) if c["label"] == "Share in channel"]
    assert share and share[0]["custom_id"] == f"fb:share:{STUDENT}:{target['id']}"


async def test_share_posts_the_same_answer_publicly_naming_who_shared_it(run):
    target = run.fake.chat_message(CLAIM)
    data, message = _checked(run, await run.check(target))
    shared = await run.click(message, "Share in channel", user_id=STUDENT, wait_for=2)
    edit, post = shared[0], shared[1]
    assert edit.kind == "callback" and edit.body["type"] == 7  # the private answer's button becomes "Shared"
    button = edit.body["data"]["components"][0]["components"][0]
    assert button["label"] == "Shared" and button["disabled"] is True
    assert post.kind == "followup" and not (post.body.get("flags") or 0) & EPHEMERAL
    assert f"<@{STUDENT}>" in post.body["content"] and f"/{target['id']}" in post.body["content"]
    assert post.body["allowed_mentions"] == {"parse": []}
    assert [e["fields"] for e in post.body["embeds"]] == [e["fields"] for e in data["embeds"]]


async def test_someone_else_cannot_use_a_private_answers_controls(run):
    _, message = _checked(run, await run.check(run.fake.chat_message(CLAIM)))
    refused = await run.click(message, "Share in channel", user_id=MODERATOR)
    assert refused[0].body["data"]["flags"] & EPHEMERAL and "Only the person who asked" in refused[0].body["data"]["content"]
    await run.drained()
    assert run.fake.of_kind("followup") == []


async def test_a_share_pressed_after_a_restart_still_shares(library):
    async with running_bot(library) as first:
        target = first.fake.chat_message(CLAIM)
        _, message = _checked(first, await first.check(target))
    async with running_bot(library) as second:  # a new process: nothing of the first one in memory
        shared = await second.click(message, "Share in channel", user_id=STUDENT, wait_for=2)
        assert shared[0].body["type"] == 7 and shared[1].kind == "followup"
        assert f"/{target['id']}" in shared[1].body["content"] and shared[1].body["embeds"]
        await _no_violations(second)


@pytest.mark.parametrize("content, attachments, expected", [
    ("lol the wifi is dead again 💀", [], "Nothing on the loaded pages is closely related"),
    ("", [{"id": "1700000000000000001", "filename": "notes.png", "size": 1024, "url": "https://cdn.example/n.png",
           "proxy_url": "https://cdn.example/n.png", "content_type": "image/png"}], "There is no text to check"),
    ("'; DROP TABLE facts; -- \"quoted\" NEAR(a b) *", [], "Nothing on the loaded pages is closely related"),
    ("😀" * 2000, [], "Nothing on the loaded pages is closely related"),
])
async def test_a_message_with_nothing_to_check_gets_a_plain_private_answer(run, content, attachments, expected):
    data, message = _checked(run, await run.check(run.fake.chat_message(content, attachments=attachments)))
    assert data["flags"] & EPHEMERAL and expected in data["content"]
    assert not data.get("embeds") and not components(message)


async def test_a_message_with_only_an_embed_is_checked_by_its_description(run):
    target = run.fake.chat_message("", embeds=[{"type": "rich", "description": "BDNF goes up after ketamine"}])
    data, _ = _checked(run, await run.check(target))
    assert "BDNF" in data["embeds"][0]["fields"][0]["value"]


async def test_a_long_message_is_checked_within_discords_limits(run):
    paste = (CLAIM + " and the montreal model uses music, blindfolds and SMART goals. ") * 60
    data, _ = _checked(run, await run.check(run.fake.chat_message(paste)))
    assert len(paste) > 4000 and data["embeds"] and len(data["embeds"][0]["description"]) <= 1000


async def test_check_facts_works_in_a_direct_message(run):
    target = run.fake.chat_message(CLAIM, channel_id="1200000000000000009")
    data, message = _checked(run, await run.check(target, guild_id=None))
    assert data["embeds"][0]["url"].startswith("https://discord.com/channels/@me/1200000000000000009/")
    shared = await run.click(message, "Share in channel", user_id=STUDENT, guild_id=None, wait_for=2)
    assert "/channels/@me/" in shared[1].body["content"]


async def test_a_check_shows_this_servers_disputes(run):
    first = (await run.library.check("BDNF goes up after ketamine", guild_id=GUILD)).results[0]
    await run.library.flag(first.id, "rodent data only", "moderator", guild_id=GUILD)
    data, _ = _checked(run, await run.check(run.fake.chat_message("BDNF goes up after ketamine")))
    assert "⚠ Disputed" in data["embeds"][0]["fields"][0]["name"] and "rodent data only" in str(data["embeds"])


async def test_a_slow_check_is_deferred_privately_then_answered(run, monkeypatch):
    slow_down(run, monkeypatch, "check")
    requests = await run.check(run.fake.chat_message(CLAIM), wait_for=2)
    assert requests[0].body["type"] == 5 and requests[0].body["data"]["flags"] & EPHEMERAL
    assert requests[1].kind == "followup" and requests[1].body["embeds"] and requests[1].body["components"]
