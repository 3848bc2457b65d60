-- Concept pages and everything parsed from them. A page is replaced as a whole on reload;
-- flags and their history are keyed by fact id (not foreign keys) so they outlive a fact.

CREATE TABLE concepts (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    subtitle     TEXT NOT NULL,
    path         TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    loaded_at    TEXT NOT NULL
);
CREATE INDEX concepts_by_hash ON concepts(content_hash);

CREATE TABLE paragraphs (
    concept_id INTEGER NOT NULL REFERENCES concepts(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    text       TEXT NOT NULL,
    raw        TEXT NOT NULL,
    PRIMARY KEY (concept_id, position)
) WITHOUT ROWID;

CREATE TABLE perspectives (
    concept_id INTEGER NOT NULL REFERENCES concepts(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    model      TEXT NOT NULL,
    stance     TEXT,
    confidence INTEGER,
    text       TEXT NOT NULL,
    raw        TEXT NOT NULL,
    PRIMARY KEY (concept_id, position)
) WITHOUT ROWID;

CREATE TABLE sources (
    id             INTEGER PRIMARY KEY,
    concept_id     INTEGER NOT NULL REFERENCES concepts(id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    title          TEXT NOT NULL,
    domain         TEXT NOT NULL,
    publisher      TEXT NOT NULL,
    authors        TEXT NOT NULL,          -- JSON array of names, [] when the page names none
    date           TEXT,                   -- ISO yyyy-mm-dd
    declared_facts INTEGER NOT NULL,
    UNIQUE (concept_id, position)
);

CREATE TABLE facts (
    rowid      INTEGER PRIMARY KEY,        -- the search index's rowid
    id         TEXT NOT NULL UNIQUE,       -- short hash of (concept, source, type, text)
    concept_id INTEGER NOT NULL,           -- its source's concept (no index: reached via sources)
    source_id  INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    type       TEXT NOT NULL,
    text       TEXT NOT NULL
);
CREATE INDEX facts_by_source ON facts(source_id, position);

CREATE TABLE citations (
    concept_id INTEGER NOT NULL REFERENCES concepts(id) ON DELETE CASCADE,
    block      TEXT NOT NULL CHECK (block IN ('synthesis', 'perspective')),
    item       INTEGER NOT NULL,           -- paragraph or perspective position
    position   INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('fact', 'number', 'bare')),
    number     INTEGER,
    label      TEXT,
    fact_id    TEXT,                       -- NULL when the label could not be resolved
    score      REAL NOT NULL,
    anchor     INTEGER NOT NULL,           -- character offset in the cleaned text
    PRIMARY KEY (concept_id, block, item, position)
) WITHOUT ROWID;

-- Acronym <-> long form, learned from "long form (ACRONYM)" in the page's facts.
CREATE TABLE acronyms (
    concept_id INTEGER NOT NULL REFERENCES concepts(id) ON DELETE CASCADE,
    short      TEXT NOT NULL,              -- folded, e.g. "vegf"
    long       TEXT NOT NULL,              -- folded words, e.g. "vascular endothelial growth factor"
    PRIMARY KEY (concept_id, short, long)
) WITHOUT ROWID;
CREATE INDEX acronyms_by_short ON acronyms(short);

-- One row per (fact, guild): the dispute's current state.
CREATE TABLE flags (
    fact_id    TEXT NOT NULL,
    guild_id   INTEGER NOT NULL,           -- 0 = the local console
    status     TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    opened_event INTEGER NOT NULL,         -- the flag_events row that (re)opened it
    opened_at  TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (fact_id, guild_id)
) WITHOUT ROWID;
CREATE INDEX flags_open ON flags(status, guild_id);

-- Append-only history of every flag and unflag.
CREATE TABLE flag_events (
    id        INTEGER PRIMARY KEY,
    fact_id   TEXT NOT NULL,
    guild_id  INTEGER NOT NULL,
    action    TEXT NOT NULL CHECK (action IN ('flag', 'unflag')),
    actor     TEXT NOT NULL,
    actor_id  INTEGER,
    reason    TEXT NOT NULL,
    at        TEXT NOT NULL,
    fact_text TEXT NOT NULL,               -- what the fact said when it was flagged
    fact_key  TEXT NOT NULL                -- the content hash its id came from (see loader.fact_key)
);
CREATE INDEX flag_events_by_fact ON flag_events(fact_id, guild_id, id);
CREATE TRIGGER flag_events_append_only_update BEFORE UPDATE ON flag_events
BEGIN SELECT RAISE(ABORT, 'flag_events is append-only'); END;
CREATE TRIGGER flag_events_append_only_delete BEFORE DELETE ON flag_events
BEGIN SELECT RAISE(ABORT, 'flag_events is append-only'); END;

-- Search: folded fact text, contentless (the text lives in facts; a delete must pass the same
-- folded text back). Citations (title, publisher, authors, year) are searched in source_index.
CREATE VIRTUAL TABLE fact_index USING fts5(
    body, tokenize = 'unicode61 remove_diacritics 2', content = ''
);
CREATE VIRTUAL TABLE fact_terms USING fts5vocab(fact_index, 'row');

CREATE VIRTUAL TABLE source_index USING fts5(
    title, people, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE source_terms USING fts5vocab(source_index, 'row');

-- Merge index segments in larger steps while loading (fewer rewrites of a growing index).
INSERT INTO fact_index (fact_index, rank) VALUES ('automerge', 8);
