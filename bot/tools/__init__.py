"""Operator tools behind the CLI (benchmark, synthetic pages): not on the library's import path."""
