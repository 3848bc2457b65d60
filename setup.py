"""Builds factbot, compiling the page parser with mypyc where it can (storage/compiled.py says why).

Everything else is declared in pyproject.toml. When mypyc, the C compiler or mypy's type check
fails, the install goes on with the plain Python modules, which give the same results more slowly
(`pip install -v` shows why). FACTBOT_PURE_PYTHON=1 skips the compilation.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
# The setup hooks that build (pip also runs this file just to read metadata: egg_info, dist_info).
_BUILDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "develop", "install"}


def _compiled_module():
    """storage/compiled.py, loaded by path: importing the storage package would run its guard."""
    spec = importlib.util.spec_from_file_location("factbot_compiled", HERE / "storage" / "compiled.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


COMPILED = _compiled_module()


class OptionalBuildExt(build_ext):
    """Builds the compiled parser and records its sources, or leaves the Python modules alone."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, no headers: the plain modules still work
            # Nothing half built may ship: the group's modules call one another directly.
            for built in self.get_outputs():
                Path(built).unlink(missing_ok=True)
            _remove_compiled()
            _warn(f"the page parser was not compiled ({exc}); it runs as plain Python")
            return
        stamp = json.dumps(COMPILED.source_digests(HERE), indent=1, sort_keys=True)
        folders = {Path(self.build_lib) / "storage"} | ({HERE / "storage"} if self.inplace else set())
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / COMPILED.STAMP).write_text(stamp + "\n", encoding="utf-8")


def _building() -> bool:
    return bool(_BUILDS.intersection(sys.argv[1:]))


def _remove_compiled() -> None:
    """Delete the compiled parser from the source tree (an earlier build's), so it never outlives its source."""
    folder = HERE / "storage"
    for built in [*folder.rglob("*.so"), *folder.rglob("*.pyd"), folder / COMPILED.STAMP]:
        try:
            built.unlink(missing_ok=True)
        except OSError:  # a read-only tree: the stamp check still refuses a stale build
            pass


def _warn(message: str) -> None:
    print(f"factbot: {message}", file=sys.stderr)


def _extensions() -> list:
    if not _building():
        return []
    _remove_compiled()  # whatever happens next, no earlier build stays in the tree
    if os.environ.get(COMPILED.PURE_ENV) == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError as exc:
        _warn(f"mypyc is not available ({exc}); the page parser runs as plain Python")
        return []
    paths = [str(COMPILED.source_path(module, HERE).relative_to(HERE)) for module in COMPILED.MODULES]
    try:
        # The build environment has none of factbot's dependencies: their calls stay plain calls.
        return mypycify(["--ignore-missing-imports", *paths], opt_level="3", group_name=COMPILED.GROUP)
    except SystemExit:  # mypy's type check failed, and printed why
        _warn("mypy's check of the page parser failed (errors above); it runs as plain Python")
    except Exception as exc:
        _warn(f"mypyc could not compile the page parser ({exc}); it runs as plain Python")
    return []


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
