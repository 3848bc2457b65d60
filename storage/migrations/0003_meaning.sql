-- The meaning layer: each fact's content key, and one sentence vector per content key.

-- The key its id is derived from (the first 16 bytes of the sha256 of concept, source, type and
-- text; a repeat under one source has its own), so vectors are keyed by content: a reload keeps
-- them and a changed page embeds only its new facts.
ALTER TABLE facts ADD COLUMN key BLOB;
UPDATE facts SET key = k.key FROM (
    SELECT f.rowid AS fact, content_key(c.name, s.title, s.domain, f.type, f.text,
        row_number() OVER (PARTITION BY f.concept_id, s.title, s.domain, f.type, f.text ORDER BY f.position) - 1) AS key
    FROM facts f JOIN sources s ON s.id = f.source_id JOIN concepts c ON c.id = f.concept_id
) AS k WHERE facts.rowid = k.fact;

-- all-MiniLM-L6-v2 unit vectors, int8 with a per-vector scale: 388 bytes each (see
-- storage/search/meaning/vectors.py). Kept when a fact goes, so re-adding it costs nothing.
CREATE TABLE fact_vectors (
    key    BLOB PRIMARY KEY,
    model  TEXT NOT NULL,
    vector BLOB NOT NULL
) WITHOUT ROWID;

-- Small counters other processes poll to see that cached search state is stale.
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (name, value) VALUES ('vectors', 0);
