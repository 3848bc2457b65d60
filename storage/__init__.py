"""factbot's storage: concept pages in, plain answers out; no Discord anywhere below this folder.

The names below are the public API that bot/ (and any other surface) uses. They are imported on
first use, so a parse worker that needs only storage.load does not import the whole library.

    pages/    the page format: a file -> records (format, records, citations, acronyms)
    load/     getting pages in fast: parse ahead, rows prepared in a worker, batched writes, ids
    search/   the lexical pipeline (FTS5 candidates, rapidfuzz rerank), vocabulary, autocomplete, word
              families, the meaning layer and its fusion, facts related to a chat message
    study/    quiz questions (cloze on a fact's key term) and Anki decks; pure functions over facts
    state/    state people create (flags, history, disputes, quiz scores) behind one StateStore interface:
              SQLite by default, PostgreSQL (shared by every process) when a URL is configured
    identity  what a fact id is;  textnorm  folding and words;  db  connections and migrations
    compiled  which modules setup.py compiles with mypyc (the page parser), and the guard that
              imports them from source when their compiled copies are stale
    views     rows -> answers;  answers  the plain dataclasses;  library  the facade
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from storage import compiled

compiled.guard()  # before any compiled module is imported

_PUBLIC = {
    "CHAT_DECK_NOTES": "storage.study.service",
    "Library": "storage.library",
    "Refusal": "storage.library",
    "Ambiguous": "storage.library",
    "MAX_CHECK": "storage.library",
    "MAX_QUERY": "storage.library",
    "MAX_REASON": "storage.library",
    "MIN_REASON": "storage.library",
    "LoadReport": "storage.load.loader",
    "PageReport": "storage.load.loader",
    "PageFormatError": "storage.pages.format",
    "FACT_TYPES": "storage.pages.records",
    "Block": "storage.answers",
    "CheckAnswer": "storage.answers",
    "CitationView": "storage.answers",
    "Dispute": "storage.answers",
    "FactAnswer": "storage.answers",
    "FactView": "storage.answers",
    "FlagEvent": "storage.answers",
    "FlagResult": "storage.answers",
    "Missing": "storage.answers",
    "footnotes": "storage.answers",
    "unresolved_note": "storage.answers",
    "SourceAnswer": "storage.answers",
    "SourceInfo": "storage.answers",
    "SourceView": "storage.answers",
    "SynthesisAnswer": "storage.answers",
    "POSTGRES_SCHEMES": "storage.state",
    "StateError": "storage.state",
    "StateUnavailable": "storage.state",
    "migrate_store": "storage.state.admin",
    "NoQuestion": "storage.study.service",
    "Cloze": "storage.study.questions",
    "LETTERS": "storage.study.questions",
    "Deck": "storage.study.answers",
    "Outcome": "storage.study.answers",
    "QuizQuestion": "storage.study.answers",
    "QuizState": "storage.study.answers",
    "Reveal": "storage.study.answers",
    "Score": "storage.study.answers",
    "Scoreboard": "storage.study.answers",
    "copy_history": "storage.state.admin",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'storage' has no attribute {name!r}")
    return getattr(import_module(_PUBLIC[name]), name)
