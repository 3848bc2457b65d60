"""The compiled page parser (storage/compiled.py, setup.py) parses exactly as its Python source does,
and compiled modules built from other source are never run."""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
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

# Skipped only when this install compiled nothing (no C compiler); compiled files that do not match
# their source fail test_this_install_runs_its_compiled_parser instead.
needs_compiled = pytest.mark.skipif(
    compiled.compiled_path("storage.pages.format") is None, reason="this install did not compile the parser"
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
def test_this_install_runs_its_compiled_parser():
    assert compiled.stale_modules() == [], "the compiled parser does not match its source: pip install -e . again"
    assert compiled.parser_build() == "compiled (mypyc)"


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
def test_compiled_modules_built_from_other_source_are_not_run(tmp_path):
    copy = tmp_path / "storage"
    shutil.copytree(ROOT / "storage", copy, ignore=shutil.ignore_patterns("__pycache__"))
    probe = ("import importlib; from storage.compiled import MODULES, parser_build; print(parser_build()); "
             "print(*[importlib.import_module(m).__file__ for m in MODULES], sep='\\n')")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop(compiled.PURE_ENV, None)

    def run() -> tuple[str, list[str], str]:
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path,
                              timeout=60, check=True)
        parser, *files = done.stdout.splitlines()
        return parser, files, done.stderr

    # Every source newer than its compiled module, as a wheel installs them: still the same source.
    later = max(path.stat().st_mtime for path in copy.rglob("*.so")) + 10
    for module in compiled.MODULES:
        os.utime(compiled.source_path(module, tmp_path), (later, later))
    parser, files, warned = run()
    assert parser.startswith("compiled"), parser
    assert all(name.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)) for name in files), files
    assert not warned

    edited = compiled.source_path("storage.pages.leadwords", tmp_path)
    source = edited.read_bytes()
    edited.write_bytes(source + b"# edited\n")
    parser, files, warned = run()
    assert parser.startswith("pure Python (the compiled modules were built from other source"), parser
    # Every module of the group from source, not only the edited one: compiled ones call each other directly.
    assert files == [str(compiled.source_path(module, tmp_path)) for module in compiled.MODULES]
    assert "(storage.pages.leadwords)" in warned and "pip install -e ." in warned

    edited.write_bytes(source)
    assert run()[0].startswith("compiled")

    # A module the build compiled that is no longer one of MODULES (after a checkout, say).
    stamp = copy / compiled.STAMP
    recorded = json.loads(stamp.read_text(encoding="utf-8"))
    stamp.write_text(json.dumps({**recorded, "storage.views": "0" * 64}), encoding="utf-8")
    parser, files, warned = run()
    assert parser.startswith("pure Python") and "(storage.views)" in warned

    stamp.unlink()  # a build that recorded nothing is not trusted
    parser, files, _ = run()
    assert parser.startswith("pure Python") and all(name.endswith(".py") for name in files)
