-- Study mode: quiz questions asked in each server, each person's answer, and the scores they add
-- up to. State that people create, like flags: kept beside them, never rebuilt from the pages.

-- Each question whole (prompt, choices, answer), so its buttons still work after a restart.
CREATE TABLE quiz_questions (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,           -- 0 = the local console
    fact_id    TEXT NOT NULL,
    asker_id   INTEGER NOT NULL,
    prompt     TEXT NOT NULL,
    choices    TEXT NOT NULL,              -- JSON array of the four choices
    answer     INTEGER NOT NULL CHECK (answer BETWEEN 0 AND 3),
    asked_at   REAL NOT NULL,              -- epoch seconds
    closes_at  REAL NOT NULL,
    revealed_at REAL
);
CREATE INDEX quiz_questions_by_guild ON quiz_questions(guild_id, id);

-- One answer per person per question, enforced here.
CREATE TABLE quiz_answers (
    question_id INTEGER NOT NULL REFERENCES quiz_questions(id),
    user_id     INTEGER NOT NULL,
    user_name   TEXT NOT NULL,
    choice      INTEGER NOT NULL CHECK (choice BETWEEN 0 AND 3),
    correct     INTEGER NOT NULL CHECK (correct IN (0, 1)),
    at          REAL NOT NULL,
    PRIMARY KEY (question_id, user_id)
) WITHOUT ROWID;

-- Per server and per person, updated in the answer's own transaction.
CREATE TABLE quiz_scores (
    guild_id  INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    user_name TEXT NOT NULL,               -- as of their latest answer
    correct   INTEGER NOT NULL,
    answered  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;
CREATE INDEX quiz_scores_by_rank ON quiz_scores(guild_id, correct DESC, answered);
