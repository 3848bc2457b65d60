"""The quiz share of `state copy`: questions, answers and scores move with the flag history, so
moving a server to PostgreSQL keeps everyone's score.

Rows are copied as they are (ids included: a question's buttons carry its id), inside the flag
copy's transaction, and checked by counts like it.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

import asyncpg

_QUESTION_COLUMNS = ("id", "guild_id", "fact_id", "asker_id", "prompt", "choices", "answer", "asked_at", "closes_at",
                     "revealed_at")
_ANSWER_COLUMNS = ("question_id", "user_id", "user_name", "choice", "correct", "at")
_SCORE_COLUMNS = ("guild_id", "user_id", "user_name", "correct", "answered")


@dataclass(frozen=True)
class QuizCounts:
    questions: int
    answers: int
    scores: int

    def line(self) -> str:
        return f"{self.questions} quiz questions ({self.answers} answers, {self.scores} scores)"


@dataclass(frozen=True)
class QuizRows:
    """A SQLite store's quiz tables, converted to PostgreSQL's column types."""

    questions: list[tuple]
    answers: list[tuple]
    scores: list[tuple]

    def counts(self) -> QuizCounts:
        return QuizCounts(len(self.questions), len(self.answers), len(self.scores))


def read_quiz(conn: sqlite3.Connection) -> QuizRows:
    """Every quiz row of the SQLite store (choices as a list, correct as a boolean)."""
    rows = [tuple(r) for r in conn.execute(f"SELECT {', '.join(_QUESTION_COLUMNS)} FROM quiz_questions ORDER BY id")]
    questions = [(*row[:5], json.loads(row[5]), *row[6:]) for row in rows]
    rows = [tuple(r) for r in conn.execute(
        f"SELECT {', '.join(_ANSWER_COLUMNS)} FROM quiz_answers ORDER BY question_id, user_id")]
    answers = [(*row[:4], bool(row[4]), row[5]) for row in rows]
    scores = [tuple(r) for r in conn.execute(
        f"SELECT {', '.join(_SCORE_COLUMNS)} FROM quiz_scores ORDER BY guild_id, user_id")]
    return QuizRows(questions, answers, scores)


async def quiz_counts(conn: asyncpg.Connection) -> QuizCounts:
    row = await conn.fetchrow("SELECT (SELECT count(*) FROM quiz_questions) AS questions,"
                              " (SELECT count(*) FROM quiz_answers) AS answers, (SELECT count(*) FROM quiz_scores) AS scores")
    return QuizCounts(**dict(row))


async def questions_held(conn: asyncpg.Connection, rows: QuizRows) -> int | None:
    """How many of these questions the target holds (see first_part); None when it holds others."""
    found = await conn.fetch(f"SELECT {', '.join(_QUESTION_COLUMNS)} FROM quiz_questions ORDER BY id LIMIT $1",
                             len(rows.questions))
    return first_part([(*r[:5], list(r[5]), *r[6:]) for r in found], rows.questions)


def first_part(found: list, ours: list) -> int | None:
    """How many of `ours` the target's rows are, `found` being its first len(ours) rows in id order:
    all of them when its rows start with ours (a copy made before, added to since), fewer when its
    rows are a first part of ours and nothing else (a copy made before the source went on: the
    LIMIT was not reached, so it has no more); None when they are other rows."""
    return len(found) if found == ours[: len(found)] else None


async def write_quiz(conn: asyncpg.Connection, rows: QuizRows) -> None:
    """Copy the rows into the empty quiz tables; new questions continue after the copied ids."""
    await conn.copy_records_to_table("quiz_questions", records=rows.questions, columns=_QUESTION_COLUMNS)
    await conn.copy_records_to_table("quiz_answers", records=rows.answers, columns=_ANSWER_COLUMNS)
    await conn.copy_records_to_table("quiz_scores", records=rows.scores, columns=_SCORE_COLUMNS)
    await conn.execute("SELECT setval(pg_get_serial_sequence('quiz_questions', 'id'),"
                       " coalesce((SELECT max(id) FROM quiz_questions), 0) + 1, false)")
