"""The compiled page parser (storage/compiled.py, setup.py) parses exactly as its Python source does,
and a compiled module older than its source is never run."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.tools.synthetic import write_corpus
from storage import compiled
from storage.load.prepare import prepare
from tests.conftest import SEED

ROOT = Path(__file__).resolve().parent.parent

needs_compiled = pytest.mark.skipif(
    compiled.compiled_path("storage.pages.format") is None or not compiled.parser_build().startswith("compiled"),
    reason="this install did not compile the parser (no C compiler, or FACTBOT_PURE_PYTHON was set)",
)

# Prints the parser that ran and one digest of everything prepare() made of the given files.
_DIGEST = """
import hashlib, sys
from pathlib import Path
from storage.compiled import parser_build
from storage.load.prepare import prepare
digest = hashlib.sha256()
for name in sys.argv[1:]:
    digest.update(repr(prepare(Path(name))).encode())
print(parser_build())
print(digest.hexdigest())
"""


def _pages(folder: Path) -> list[Path]:
    """The seed, generated pages and broken copies of the seed (their errors must match too)."""
    pages = [SEED] + [path for path, _ in write_corpus(folder, 12 * 285, SEED)]
    lines = SEED.read_text(encoding="utf-8").splitlines(keepends=True)
    facts_at = next(i for i, line in enumerate(lines) if line.startswith("Facts ("))
    broken = {
        "short.txt": lines[:facts_at],  # ends before its facts
        "count.txt": lines[:facts_at] + ["Facts (3)\n"] + lines[facts_at + 1 :],  # a wrong declared count
        "empty.txt": [],
    }
    for name, text in broken.items():
        (folder / name).write_text("".join(text), encoding="utf-8")
        pages.append(folder / name)
    return pages


def _run(pages: list[Path], env: dict[str, str]) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", _DIGEST, *map(str, pages)],
        capture_output=True, text=True, env={**os.environ, **env}, cwd=ROOT, timeout=120, check=True,
    )
    parser, digest = done.stdout.split("\n")[:2]
    return parser, digest


@needs_compiled
def test_compiled_parser_prepares_every_page_as_the_source_does(tmp_path):
    pages = _pages(tmp_path)
    here = hashlib.sha256()
    for page in pages:
        here.update(repr(prepare(page)).encode())
    parser, digest = _run(pages, {compiled.PURE_ENV: "1"})
    assert parser.startswith("pure Python"), parser
    assert digest == here.hexdigest()
    assert "PageFormatError" in repr(prepare(tmp_path / "count.txt"))  # the broken pages are compared as errors


@needs_compiled
def test_a_compiled_module_older_than_its_source_is_not_run(tmp_path):
    copy = tmp_path / "storage"
    shutil.copytree(ROOT / "storage", copy, ignore=shutil.ignore_patterns("__pycache__"))  # keeps mtimes
    probe = ("from storage.compiled import parser_build; import storage.pages.barelabels as b; "
             "print(parser_build()); print(b.__file__)")
    command = [sys.executable, "-c", probe]
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop(compiled.PURE_ENV, None)

    fresh = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=True)
    assert fresh.stdout.startswith("compiled"), fresh.stdout
    assert not fresh.stderr

    edited = copy / "pages" / "leadwords.py"
    later = (copy / "pages").glob("leadwords.*.so").__next__().stat().st_mtime + 10
    os.utime(edited, (later, later))
    stale = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=True)
    parser, module = stale.stdout.splitlines()
    assert parser.startswith("pure Python (the compiled modules are older"), parser
    assert module == str(copy / "pages" / "barelabels.py")  # every module of the group, not only the edited one
    assert "older than storage.pages.leadwords" in stale.stderr and "pip install -e ." in stale.stderr
