"""Builds factbot, compiling the page parser with mypyc where it can (storage/compiled.py says why).

Everything else is declared in pyproject.toml. When the compiler is missing or the build fails, the
install goes on with the plain Python modules, which give the same results more slowly.
FACTBOT_PURE_PYTHON=1 skips the compilation.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent


def _compiled_spec():
    """storage/compiled.py, read as a file: importing the storage package would run its guard."""
    spec = importlib.util.spec_from_file_location("factbot_compiled", HERE / "storage" / "compiled.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class OptionalBuildExt(build_ext):
    """Builds the compiled parser, or warns and leaves the Python modules when it cannot."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, no headers: the plain modules still work
            # The group's modules call one another directly: without all of them, keep none.
            for built in self.get_outputs():
                Path(built).unlink(missing_ok=True)
            _warn(f"the page parser was not compiled ({exc}); it runs as plain Python")


def _warn(message: str) -> None:
    print(f"factbot: {message}", file=sys.stderr)


def _extensions() -> list:
    if os.environ.get("FACTBOT_PURE_PYTHON"):
        return []
    compiled = _compiled_spec()
    try:
        from mypyc.build import mypycify
    except ImportError as exc:
        _warn(f"mypyc is not available ({exc}); the page parser runs as plain Python")
        return []
    paths = [str(compiled.source_path(module).relative_to(HERE)) for module in compiled.MODULES]
    try:
        # The build environment has none of factbot's dependencies: their calls stay plain calls.
        return mypycify(["--ignore-missing-imports", *paths], opt_level="3", group_name=compiled.GROUP)
    except (Exception, SystemExit) as exc:  # mypyc exits when the type check fails
        _warn(f"mypyc could not compile the page parser ({exc}); it runs as plain Python")
        return []


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
