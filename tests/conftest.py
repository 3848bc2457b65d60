"""Shared fixtures: the bundled seed, a loaded library in a temporary database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from storage.library import Library

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "ketamine.txt"


@pytest.fixture
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A writable copy of the seed in its own folder."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    target = folder / "ketamine.txt"
    shutil.copy(SEED, target)
    return target


@pytest.fixture
async def library(tmp_path: Path):
    """A library with the bundled seed loaded."""
    lib = await Library.open(tmp_path / "factbot.sqlite3")
    report = await lib.load([SEED])
    assert not report.errors
    try:
        yield lib
    finally:
        await lib.close()
