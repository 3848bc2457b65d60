"""Finding facts and sources: the lexical pipeline (FTS5 candidates, rapidfuzz rerank) and its vocabulary."""
