"""/quiz and /export through the real client against the fake Discord (schema-checked bodies)."""

from __future__ import annotations

import io
import sqlite3
import zipfile

from bot.commands import export
from bot.config import QuizConfig
from storage import LETTERS
from tests.fakediscord.harness import GUILD, MODERATOR, STUDENT, STUDENT_ROLE, running_bot

EPHEMERAL = 64


def _sub(name: str, options: list[dict] | None = None) -> list[dict]:
    return [{"name": name, "type": 1, "options": options or []}]


def _question_id(message: dict) -> int:
    return int(message["components"][0]["components"][0]["custom_id"].split(":")[1])


async def _play(run) -> tuple[dict, int]:
    requests = await run.interact("quiz", _sub("play"), user_id=STUDENT)
    assert requests[0].body["type"] == 4 and not requests[0].body["data"].get("flags")
    message = run.fake.messages[run.fake.originals[f"token-{requests[0].interaction_id}"]]
    assert [c["label"] for c in message["components"][0]["components"]] == [*LETTERS, "Reveal"]
    return message, _question_id(message)


def _said(requests) -> str:
    followups = [r.body for r in requests if r.kind == "followup"]
    callbacks = [r.body["data"] for r in requests if r.kind == "callback" and r.body["type"] == 4]
    return " ".join(b.get("content") or "" for b in followups + callbacks)


async def test_play_answer_reveal_scores_and_export(library, tmp_path, monkeypatch):
    async with running_bot(library, QuizConfig(answer_seconds=600)) as run:
        message, question_id = await _play(run)
        state = await library.study.question(question_id)
        right, wrong = LETTERS[state.answer], LETTERS[(state.answer + 1) % 4]
        assert state.prompt in message["embeds"][0]["description"]

        first = await run.click(message, right, user_id=STUDENT, wait_for=2)
        assert first[0].body["type"] == 7 and "1 answer so far" in first[0].body["data"]["embeds"][0]["footer"]["text"]
        assert first[1].body["flags"] & EPHEMERAL and "Right!" in first[1].body["content"]
        other = await run.click(message, wrong, user_id=MODERATOR, wait_for=2)
        assert "Not quite" in _said(other) and "2 answers" in other[0].body["data"]["embeds"][0]["footer"]["text"]
        again = await run.click(message, wrong, user_id=STUDENT)
        assert again[0].body["data"]["flags"] & EPHEMERAL and f"already answered this one ({right})" in _said(again)
        assert len((await library.study.question(question_id)).answers) == 2

        early = await run.click(message, "Reveal", user_id=MODERATOR)
        assert "Only the person who asked" in _said(early)
        revealed = (await run.click(message, "Reveal", user_id=STUDENT))[0].body
        assert revealed["type"] == 7
        embed = revealed["data"]["embeds"][0]
        assert embed["title"].startswith(f"Answer: {right}") and state.fact_id in embed["footer"]["text"]
        fact = await library.fact_by_id(state.fact_id)
        assert embed["description"] == fact.text and any(f["name"] == "Source" for f in embed["fields"])
        assert any(f["name"] == "Right (1 of 2)" and "user" in f["value"] for f in embed["fields"])
        buttons = revealed["data"]["components"][0]["components"]
        assert all(b["disabled"] for b in buttons) and buttons[state.answer]["style"] == 3

        gone = {**message, "components": [{"type": 1, "components": [
            {**message["components"][0]["components"][0], "custom_id": "quiz:987654321:0"}]}]}
        assert "expired" in _said(await run.click(gone, "A", user_id=STUDENT))

        board = (await run.interact("quiz", _sub("scores"), user_id=MODERATOR))[0].body["data"]["embeds"][0]
        assert board["description"].startswith("**1.** ") and "1 right of 1" in board["description"]
        assert board["footer"]["text"].startswith("You: rank 2 of 2")

        exported = await run.interact("export", [{"name": "type", "type": 3, "value": "measurement"}])
        (upload,) = exported  # built well within the 3 s: answered at once, the deck in the channel
        assert upload.body["type"] == 4 and not upload.body["data"].get("flags")
        ((name, data),) = upload.files
        assert name == "factbot-ketamine-measurement.apkg" and upload.body["data"]["attachments"][0]["filename"] == name
        (tmp_path / "deck.anki2").write_bytes(zipfile.ZipFile(io.BytesIO(data)).read("collection.anki2"))
        with sqlite3.connect(tmp_path / "deck.anki2") as conn:
            assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 16

        small = run.fake.interaction("export", [], guild_id=GUILD, roles=[STUDENT_ROLE])
        small["attachment_size_limit"] = 10_000
        (narrowed,) = await run.send(small)
        assert "over this server's upload limit" in narrowed.body["data"]["content"] and not narrowed.files
        assert narrowed.body["data"]["flags"] == 64  # only the asker sees why no deck came
        monkeypatch.setattr(export, "CHAT_DECK_NOTES", 15)
        (refused,) = await run.interact("export", [{"name": "type", "type": 3, "value": "measurement"}])
        assert "select 16 facts, more than the 15 a deck" in refused.body["data"]["content"]
        assert refused.body["data"]["flags"] == 64 and not refused.files
        await run.drained()
        assert run.fake.violations == []


async def test_time_up_and_buttons_after_a_restart(library):
    async with running_bot(library, QuizConfig(answer_seconds=1.0)) as run:
        message, question_id = await _play(run)
        await run.fake.wait_for(lambda rs: any(r.kind == "edit" for r in rs), timeout=15)
        edit = run.fake.of_kind("edit")[0].body
        assert edit["embeds"][0]["title"].startswith("Answer:") and all(
            b["disabled"] for b in edit["components"][0]["components"])
        assert run.fake.violations == []
    async with running_bot(library, QuizConfig(answer_seconds=600)) as run:  # a new process, the same store
        late = await run.click(message, "A", user_id=STUDENT)
        assert late[0].body["type"] == 7 and late[0].body["data"]["embeds"][0]["title"].startswith("Answer:")
        fresh, fresh_id = await _play(run)
        state = await library.study.question(fresh_id)
        assert fresh_id != question_id and state.fact_id != (await library.study.question(question_id)).fact_id
        # The bot restarts before anyone answers: the new process takes the answer from the store.
    async with running_bot(library, QuizConfig(answer_seconds=600)) as run:
        answered = await run.click(fresh, LETTERS[state.answer], user_id=STUDENT, wait_for=2)
        assert "Right!" in _said(answered)
        assert run.fake.violations == []
