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
# The setup commands that build (pip also runs this file just to read metadata: egg_info, dist_info),
# and those that build into the source tree (an editable install, or build_ext --inplace).
_BUILDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "develop", "install"}
_IN_TREE = {"editable_wheel", "develop"}


def _compiled_module():
    """storage/compiled.py, loaded by path: importing the storage package would run its guard."""
    spec = importlib.util.spec_from_file_location("factbot_compiled", HERE / "storage" / "compiled.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


COMPILED = _compiled_module()


def _recording(digests: dict[str, str]) -> type[build_ext]:
    """A build_ext that records `digests` (the sources mypyc read) beside what it built, or, when
    building fails, leaves no compiled file behind and the Python modules in charge."""

    class OptionalBuildExt(build_ext):
        def run(self) -> None:
            _remove_compiled(Path(self.build_lib))  # an earlier build's, which a wheel would take along
            try:
                super().run()
            except Exception as exc:  # no compiler, no headers: the plain modules still work
                # Nothing half built may ship: the group's modules call one another directly.
                for built in self.get_outputs():
                    Path(built).unlink(missing_ok=True)
                if self.inplace:
                    _remove_compiled(HERE)
                _warn(f"the page parser was not compiled ({exc}); it runs as plain Python")
                return
            # self.inplace is restored once the build is done: then the modules were copied beside their source.
            for root in {Path(self.build_lib)} | ({HERE} if self.inplace else set()):
                (root / "storage").mkdir(parents=True, exist_ok=True)
                (root / "storage" / COMPILED.STAMP).write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")

    return OptionalBuildExt


def _command() -> str | None:
    """The setup command this run performs (the first argument that is not an option)."""
    return next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)


def _remove_compiled(root: Path) -> None:
    """Delete compiled parser files under root/storage (an earlier build's), so none outlives its source."""
    # Every .so, not only this Python's suffix: the record of sources is shared by all of them.
    folder = root / "storage"
    for built in [*folder.rglob("*.so"), *folder.rglob("*.pyd"), folder / COMPILED.STAMP]:
        try:
            built.unlink(missing_ok=True)
        except OSError:  # a read-only tree: the guard still refuses what does not match its record
            pass


def _warn(message: str) -> None:
    print(f"factbot: {message}", file=sys.stderr)


def _extensions(command: str | None) -> tuple[list, dict[str, str]]:
    """mypyc's extensions for a build command, and the digests of the sources it read."""
    if command not in _BUILDS:
        return [], {}
    if command in _IN_TREE or (command == "build_ext" and {"--inplace", "-i"} & set(sys.argv)):
        _remove_compiled(HERE)  # whatever happens next, no earlier build stays beside the source
    if os.environ.get(COMPILED.PURE_ENV) == "1":
        return [], {}
    try:
        from mypyc.build import mypycify
    except ImportError as exc:
        _warn(f"mypyc is not available ({exc}); the page parser runs as plain Python")
        return [], {}
    paths = [str(COMPILED.source_path(module, HERE).relative_to(HERE)) for module in COMPILED.MODULES]
    digests = COMPILED.source_digests(HERE)  # before mypyc reads them: an edit meanwhile shows as stale
    try:
        # The build environment has none of factbot's dependencies: their calls stay plain calls.
        return mypycify(["--ignore-missing-imports", *paths], opt_level="3", group_name=COMPILED.GROUP), digests
    except SystemExit:  # mypy's type check failed, and printed why
        _warn("mypy's check of the page parser failed (errors above); it runs as plain Python")
    except Exception as exc:
        _warn(f"mypyc could not compile the page parser ({exc}); it runs as plain Python")
    return [], {}


_ext_modules, _digests = _extensions(_command())
setup(ext_modules=_ext_modules, cmdclass={"build_ext": _recording(_digests)})
