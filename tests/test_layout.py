"""The architecture holds: storage/ never imports Discord or bot/, and bot/ uses only the public
API that storage/__init__.py declares (the operator tools in bot/tools/ may reach further)."""

from __future__ import annotations

import re

import storage
from tests.conftest import ROOT


def _imports(folder: str) -> list[tuple[str, str]]:
    found = []
    for path in (ROOT / folder).rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"\s*(?:from|import)\s+([\w.]+)", line)
            if match:
                found.append((str(path.relative_to(ROOT)), match.group(1)))
    return found


def test_storage_never_imports_discord_or_bot():
    bad = [(p, m) for p, m in _imports("storage") if m.split(".")[0] in ("discord", "bot")]
    assert bad == []


def test_bot_uses_only_the_public_storage_api():
    bad = [(p, m) for p, m in _imports("bot") if m.startswith("storage.") and not p.startswith("bot/tools/")]
    assert bad == []
    for name in storage.__all__:
        assert getattr(storage, name) is not None
