"""Quiz questions, answers and scores in the facts' own SQLite file (the SqliteState's share)."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import aiosqlite

from storage.study.answers import Outcome, QuizAnswer, QuizState, Score, Scoreboard


class SqliteQuiz:
    """Mixed into SqliteState: the same connection and the same write lock as flags."""

    conn: aiosqlite.Connection
    _writing: asyncio.Lock

    async def ask(self, guild_id: int, fact_id: str, asker_id: int, prompt: str, choices: tuple[str, ...],
                  answer: int, asked_at: float, closes_at: float) -> int:
        """Keep a new question; its id."""
        async with self._writing:
            cursor = await self.conn.execute(
                "INSERT INTO quiz_questions (guild_id, fact_id, asker_id, prompt, choices, answer, asked_at, closes_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (guild_id, fact_id, asker_id, prompt, json.dumps(list(choices)), answer, asked_at, closes_at),
            )
            return cursor.lastrowid

    async def quiz_state(self, question_id: int) -> QuizState | None:
        """A question with every answer given, or None."""
        async with self.conn.execute("SELECT * FROM quiz_questions WHERE id = ?", (question_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        async with self.conn.execute(
            "SELECT user_id, user_name, choice, correct FROM quiz_answers WHERE question_id = ? ORDER BY at, user_id",
            (question_id,),
        ) as cursor:
            answers = tuple(QuizAnswer(r[0], r[1], r[2], bool(r[3])) for r in await cursor.fetchall())
        return QuizState(row["id"], row["guild_id"], row["fact_id"], row["asker_id"], row["prompt"],
                         tuple(json.loads(row["choices"])), row["answer"], row["closes_at"],
                         row["revealed_at"] is not None, answers)

    async def answer(self, question_id: int, user_id: int, user_name: str, choice: int, now: float) -> Outcome | None:
        """Record one person's first answer and add it to their score, in one transaction."""
        async with self._writing:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                outcome = await self._answer(question_id, user_id, user_name, choice, now)
                await self.conn.execute("COMMIT")
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
        return outcome

    async def _answer(self, question_id: int, user_id: int, user_name: str, choice: int, now: float) -> Outcome | None:
        async with self.conn.execute(
            "SELECT guild_id, answer, closes_at, revealed_at FROM quiz_questions WHERE id = ?", (question_id,)
        ) as cursor:
            question = await cursor.fetchone()
        if question is None:
            return None
        count = await self._count(question_id)
        async with self.conn.execute(
            "SELECT choice FROM quiz_answers WHERE question_id = ? AND user_id = ?", (question_id, user_id)
        ) as cursor:
            earlier = await cursor.fetchone()
        closed = question["revealed_at"] is not None or now >= question["closes_at"]
        if earlier is not None or closed:
            first = earlier[0] if earlier else choice
            return Outcome(False, closed, first, first == question["answer"], count)
        correct = choice == question["answer"]
        try:
            await self.conn.execute(
                "INSERT INTO quiz_answers (question_id, user_id, user_name, choice, correct, at) VALUES (?, ?, ?, ?, ?, ?)",
                (question_id, user_id, user_name, choice, int(correct), now),
            )
        except sqlite3.IntegrityError:  # another process answered for them meanwhile
            return Outcome(False, False, choice, correct, count)
        await self.conn.execute(
            "INSERT INTO quiz_scores (guild_id, user_id, user_name, correct, answered) VALUES (?, ?, ?, ?, 1)"
            " ON CONFLICT (guild_id, user_id) DO UPDATE SET user_name = excluded.user_name,"
            " correct = quiz_scores.correct + excluded.correct, answered = quiz_scores.answered + 1",
            (question["guild_id"], user_id, user_name, int(correct)),
        )
        return Outcome(True, False, choice, correct, count + 1)

    async def _count(self, question_id: int) -> int:
        async with self.conn.execute("SELECT count(*) FROM quiz_answers WHERE question_id = ?", (question_id,)) as cursor:
            return (await cursor.fetchone())[0]

    async def reveal(self, question_id: int, now: float) -> tuple[QuizState, bool] | None:
        """Close a question; (its state, whether this call closed it)."""
        async with self._writing:
            cursor = await self.conn.execute(
                "UPDATE quiz_questions SET revealed_at = ? WHERE id = ? AND revealed_at IS NULL", (now, question_id)
            )
            first = cursor.rowcount == 1
        state = await self.quiz_state(question_id)
        return None if state is None else (state, first)

    async def recent_facts(self, guild_id: int, limit: int) -> list[str]:
        """The facts of the guild's last `limit` questions, newest first."""
        async with self.conn.execute(
            "SELECT fact_id FROM quiz_questions WHERE guild_id = ? ORDER BY id DESC LIMIT ?", (guild_id, limit)
        ) as cursor:
            return [fact_id for (fact_id,) in await cursor.fetchall()]

    async def scores(self, guild_id: int, user_id: int | None, limit: int) -> Scoreboard:
        """The guild's best `limit` players and the asker's own rank (ties share a rank)."""
        rank = ("SELECT 1 + (SELECT count(*) FROM quiz_scores o WHERE o.guild_id = s.guild_id AND o.correct > s.correct)"
                " AS rank, user_id, user_name, correct, answered FROM quiz_scores s WHERE guild_id = ?")
        async with self.conn.execute(rank + " ORDER BY correct DESC, answered, user_id LIMIT ?", (guild_id, limit)) as cursor:
            top = tuple(Score(*r) for r in await cursor.fetchall())
        async with self.conn.execute(rank + " AND user_id = ?", (guild_id, user_id)) as cursor:
            mine = await cursor.fetchone()
        async with self.conn.execute("SELECT count(*) FROM quiz_scores WHERE guild_id = ?", (guild_id,)) as cursor:
            players = (await cursor.fetchone())[0]
        return Scoreboard(guild_id, top, Score(*mine) if mine else None, players)
