"""Study mode: cloze questions and Anki decks made from facts (pure functions, no I/O of their own)."""
