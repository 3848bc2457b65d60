"""Quiz questions, answers and scores in PostgreSQL (the PostgresState's share)."""

from __future__ import annotations

import asyncpg

from storage.state.pgerrors import unreachable_is_polite
from storage.study.answers import Outcome, QuizAnswer, QuizState, Score, Scoreboard

# One statement: the answer is inserted only while the question is open and this person has not
# answered (the primary key decides a race), and the score is added in the same statement.
_ANSWER = """
WITH q AS (SELECT id, guild_id, answer, closes_at, revealed_at FROM quiz_questions WHERE id = $1),
earlier AS (SELECT choice FROM quiz_answers WHERE question_id = $1 AND user_id = $2),
added AS (
    INSERT INTO quiz_answers (question_id, user_id, user_name, choice, correct, at)
    SELECT q.id, $2, $3, $4, $4 = q.answer, $5 FROM q
    WHERE q.revealed_at IS NULL AND $5 < q.closes_at AND NOT EXISTS (SELECT 1 FROM earlier)
    ON CONFLICT DO NOTHING RETURNING correct
),
scored AS (
    INSERT INTO quiz_scores (guild_id, user_id, user_name, correct, answered)
    SELECT q.guild_id, $2, $3, added.correct::int, 1 FROM q, added
    ON CONFLICT (guild_id, user_id) DO UPDATE SET user_name = EXCLUDED.user_name,
        correct = quiz_scores.correct + EXCLUDED.correct, answered = quiz_scores.answered + 1
    RETURNING 1
)
SELECT q.answer, q.revealed_at IS NOT NULL OR $5 >= q.closes_at AS closed,
    (SELECT choice FROM earlier) AS earlier, (SELECT correct FROM added) AS added,
    (SELECT count(*) FROM quiz_answers WHERE question_id = $1) AS count, (SELECT count(*) FROM scored) AS scored
FROM q
"""
_RANKED = (
    "SELECT 1 + (SELECT count(*) FROM quiz_scores o WHERE o.guild_id = s.guild_id AND o.correct > s.correct) AS rank,"
    " user_id, user_name, correct, answered FROM quiz_scores s WHERE guild_id = $1"
)


class PostgresQuiz:
    """Mixed into PostgresState: the same pool; every call turns a lost server into StateUnavailable."""

    pool: asyncpg.Pool

    async def ask(self, guild_id: int, fact_id: str, asker_id: int, prompt: str, choices: tuple[str, ...],
                  answer: int, asked_at: float, closes_at: float) -> int:
        """Keep a new question; its id."""
        return await self._fetchval(
            "INSERT INTO quiz_questions (guild_id, fact_id, asker_id, prompt, choices, answer, asked_at, closes_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            guild_id, fact_id, asker_id, prompt, list(choices), answer, asked_at, closes_at,
        )

    async def quiz_state(self, question_id: int) -> QuizState | None:
        """A question with every answer given, or None (one statement)."""
        async with unreachable_is_polite():
            row = await self.pool.fetchrow(
                "SELECT q.*, coalesce((SELECT array_agg(ARRAY[a.user_id::text, a.user_name, a.choice::text,"
                " a.correct::text] ORDER BY a.at, a.user_id) FROM quiz_answers a WHERE a.question_id = q.id),"
                " '{}') AS given FROM quiz_questions q WHERE q.id = $1",
                question_id,
            )
        if row is None:
            return None
        answers = tuple(QuizAnswer(int(u), name, int(c), ok == "true") for u, name, c, ok in row["given"])
        return QuizState(row["id"], row["guild_id"], row["fact_id"], row["asker_id"], row["prompt"],
                         tuple(row["choices"]), row["answer"], row["closes_at"], row["revealed_at"] is not None, answers)

    async def answer(self, question_id: int, user_id: int, user_name: str, choice: int, now: float) -> Outcome | None:
        """Record one person's first answer and add it to their score, in one statement."""
        async with unreachable_is_polite():
            row = await self.pool.fetchrow(_ANSWER, question_id, user_id, user_name, choice, now)
        if row is None:
            return None
        if row["added"] is not None:
            return Outcome(True, False, choice, row["added"], row["count"] + 1)
        first = row["earlier"] if row["earlier"] is not None else choice
        return Outcome(False, row["closed"], first, first == row["answer"], row["count"])

    async def reveal(self, question_id: int, now: float) -> tuple[QuizState, bool] | None:
        """Close a question; (its state, whether this call closed it)."""
        closed = await self._fetchval(
            "UPDATE quiz_questions SET revealed_at = $2 WHERE id = $1 AND revealed_at IS NULL RETURNING id",
            question_id, now,
        )
        state = await self.quiz_state(question_id)
        return None if state is None else (state, closed is not None)

    async def recent_facts(self, guild_id: int, limit: int) -> list[str]:
        """The facts of the guild's last `limit` questions, newest first."""
        async with unreachable_is_polite():
            rows = await self.pool.fetch(
                "SELECT fact_id FROM quiz_questions WHERE guild_id = $1 ORDER BY id DESC LIMIT $2", guild_id, limit
            )
        return [r["fact_id"] for r in rows]

    async def scores(self, guild_id: int, user_id: int | None, limit: int) -> Scoreboard:
        """The guild's best `limit` players and the asker's own rank (ties share a rank)."""
        async with unreachable_is_polite():
            top = await self.pool.fetch(_RANKED + " ORDER BY correct DESC, answered, user_id LIMIT $2", guild_id, limit)
            mine = await self.pool.fetchrow(_RANKED + " AND user_id = $2", guild_id, user_id)
            players = await self.pool.fetchval("SELECT count(*) FROM quiz_scores WHERE guild_id = $1", guild_id)
        return Scoreboard(guild_id, tuple(Score(*r) for r in top), Score(*mine) if mine else None, players)

    async def _fetchval(self, sql: str, *args: object) -> object:
        async with unreachable_is_polite():
            return await self.pool.fetchval(sql, *args)
