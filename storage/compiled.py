"""The page parser's modules, compiled to C by mypyc when factbot is installed (see setup.py).

Parsing is most of a load's CPU time, and compiled it takes about 30% less (the same code;
`python -m bot bench` reports which parser ran). Without a C compiler the install keeps the plain
Python modules, which give the same results.

An editable install puts each compiled module beside its source, and Python imports the compiled
one first, so after an edit or a checkout the old parser would still run. The build records a hash
of each source it compiled (STAMP); when a source no longer matches, or the record is missing, all
of them are imported from source instead (compiled modules call one another directly, so they
cannot be mixed) and a warning says how to recompile. Hashes, not file times: pip writes a wheel's
files in name order, each .so just before its .py, and copies may keep old times. FACTBOT_PURE_PYTHON=1
imports them from source on purpose. This module uses the standard library only: it runs before any
of them is imported, and setup.py loads it by path.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

# The modules setup.py compiles, as one group: the parse path of a load, and only modules whose
# names tests and callers never patch (a compiled module calls its own functions directly).
MODULES = (
    "storage.textnorm",
    "storage.identity",
    "storage.pages.records",
    "storage.pages.format",
    "storage.pages.citations",
    "storage.pages.labels",
    "storage.pages.barelabels",
    "storage.pages.leadwords",
    "storage.pages.acronyms",
    "storage.load.prepare",
)
GROUP = "storage.parser"  # mypyc's shared library of the group: storage/parser__mypyc.*.so
STAMP = "compiled_sources.json"  # beside this file: module -> sha256 of the source it was compiled from
PURE_ENV = "FACTBOT_PURE_PYTHON"  # "1": import MODULES from source
_UNREADABLE = "unreadable"  # the digest of a module shipped without its source: nothing to compare, nor to run instead

_ROOT = Path(__file__).resolve().parent.parent  # the folder holding the storage package


def source_path(module: str, root: Path = _ROOT) -> Path:
    """The .py file of one of MODULES, under `root` (the folder holding the storage package)."""
    return root.joinpath(*module.split(".")).with_suffix(".py")


def compiled_path(module: str) -> Path | None:
    """The compiled extension of a module beside its source, if there is one."""
    source = source_path(module)
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = source.with_suffix(suffix)
        if candidate.exists():
            return candidate
    return None


def parser_build() -> str:
    """Which parser this process runs: "compiled (mypyc)", or "pure Python" and why."""
    loaded = sys.modules.get("storage.pages.format") or importlib.import_module("storage.pages.format")
    if _is_compiled(loaded):
        return "compiled (mypyc)"
    if os.environ.get(PURE_ENV) == "1":
        return f"pure Python ({PURE_ENV}=1)"
    if stale_modules():
        return "pure Python (the compiled modules were built from other source: pip install -e . recompiles them)"
    return "pure Python (not compiled at install)"


def stale_modules() -> list[str]:
    """Modules whose source differs from what was compiled, with any the build compiled that are
    no longer in MODULES (all of MODULES when nothing says what was); empty when nothing is compiled."""
    if all(compiled_path(module) is None for module in MODULES):
        return []
    try:
        compiled_from = json.loads((_ROOT / "storage" / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return list(MODULES)
    current = source_digests()
    return [
        module
        for module in sorted(set(current) | set(compiled_from))
        if current.get(module) != _UNREADABLE and current.get(module) != compiled_from.get(module)
    ]


def source_digests(root: Path = _ROOT) -> dict[str, str]:
    """sha256 of each module's source under `root` (the folder holding the storage package)."""
    digests = {}
    for module in MODULES:
        try:
            digests[module] = hashlib.sha256(source_path(module, root).read_bytes()).hexdigest()
        except OSError:
            digests[module] = _UNREADABLE
    return digests


def guard() -> None:
    """Import MODULES from source when asked to or when a compiled one is stale (before any is imported)."""
    if any(isinstance(finder, _FromSource) for finder in sys.meta_path):
        return
    if os.environ.get(PURE_ENV) == "1":
        sys.meta_path.insert(0, _FromSource(MODULES))
        return
    stale = stale_modules()
    if not stale:
        return
    sys.meta_path.insert(0, _FromSource((*MODULES, *stale)))
    # Imported only here: every process imports this module first, and multiprocessing costs
    # 6 ms to import (a parse worker has it already).
    from multiprocessing import parent_process

    if parent_process() is None:  # a parse worker says nothing: its parent has
        warnings.warn(
            f"the compiled page parser does not match its source ({', '.join(stale)}); using the "
            "Python source (slower). Run `pip install -e .` again to recompile it.",
            RuntimeWarning,
            stacklevel=2,
        )


class _FromSource(importlib.abc.MetaPathFinder):
    """Finds `modules` as their .py files, ahead of the compiled extensions beside them."""

    def __init__(self, modules: Sequence[str]) -> None:
        self.modules = frozenset(modules)

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name not in self.modules:
            return None
        return importlib.util.spec_from_file_location(name, source_path(name))


def _is_compiled(module: ModuleType) -> bool:
    return not str(getattr(module, "__file__", "")).endswith(".py")
