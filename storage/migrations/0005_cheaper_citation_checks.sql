-- The citations table's two CHECK constraints say the same in a form SQLite evaluates cheaply.
-- Written as `x IN ('a', 'b')` they cost as much as the rest of a row's insert (SQLite builds the
-- list's lookup for each row); as `x = 'a' OR x = 'b'` they are nearly free. A bulk load inserts
-- some 40,000 citations per 100,000 facts. SQLite cannot alter a CHECK, so the table is rebuilt.
CREATE TABLE citations_rebuilt (
    concept_id INTEGER NOT NULL REFERENCES concepts(id) ON DELETE CASCADE,
    block      TEXT NOT NULL CHECK (block = 'synthesis' OR block = 'perspective'),
    item       INTEGER NOT NULL,           -- paragraph or perspective position
    position   INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind = 'fact' OR kind = 'number' OR kind = 'bare'),
    number     INTEGER,
    label      TEXT,
    fact_id    TEXT,                       -- NULL when the label could not be resolved
    score      REAL NOT NULL,
    anchor     INTEGER NOT NULL,           -- character offset in the cleaned text
    PRIMARY KEY (concept_id, block, item, position)
) WITHOUT ROWID;
INSERT INTO citations_rebuilt SELECT concept_id, block, item, position, kind, number, label, fact_id, score, anchor
    FROM citations ORDER BY concept_id, block, item, position;
DROP TABLE citations;
ALTER TABLE citations_rebuilt RENAME TO citations;
