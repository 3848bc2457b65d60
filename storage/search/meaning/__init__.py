"""Ranking by meaning: all-MiniLM-L6-v2 sentence vectors (numpy, no torch), stored per content key
in SQLite and scanned as sign bits in memory, the best few rescored exactly."""
