"""Mutation testing for the guarantees users rely on: break the code one small change at a time
and check that the tests that guard it fail.

    python -m tests.mutation --jobs 1        # every target below (about 40 minutes on one core)
    python -m tests.mutation --target ids    # one target; --list shows them; --jobs N workers
    python -m tests.mutation --target ids --line 120 --line 131   # only the mutants on those lines

Each mutant is one change made with `ast` inside the named functions (or to the named constants):
a comparison flipped, `and`/`or` swapped, a `not` dropped, a number moved, True/False swapped, a
statement removed (an early `return` among them), a function's result replaced. The mutated
module is written into a private copy of the project and the target's tests run there; a mutant
the tests do not fail "survives" and is listed with its line, to be explained or killed.
Not part of .ci/run: it is the check to run before claiming a guarantee.

A mutant's tests get TIMEOUT_FACTOR times the target's clean run (a mutant that loops is killed by
the timeout). Survivors already examined and found harmless are listed in EXPLAINED with the reason
and printed apart; a new survivor is to be killed by a test, or explained there.
"""

from __future__ import annotations

import argparse
import ast
import copy
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A mutant's tests are given this many times the clean run's time (at least MIN_TIMEOUT_S): a
# mutant that loops forever (one in FactIds._free does) is killed in seconds, not minutes.
TIMEOUT_FACTOR = 5
MIN_TIMEOUT_S = 30
BASELINE_TIMEOUT_S = 600


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    functions: tuple[str, ...]  # qualified names ("Class.method", "outer.inner"); "" = module constants only
    tests: tuple[str, ...]  # pytest arguments
    constants: tuple[str, ...] = ()


BOT_MODERATION = ("tests/test_bot_commands.py", "-k", "moderat or flag or refus or reason or choose or unknown_fact")
TARGETS = (
    Target("moderation-check", "bot/commands/moderation.py",
           ("is_moderator", "setup.change", "ChooseFact.interaction_check", "flag_and_report"), BOT_MODERATION),
    Target("flag-paths", "storage/library.py",
           ("Library.resolve_fact", "Library.flag", "Library.unflag", "Library._record", "Library._content_key",
            "Library._gone_but_disputed", "Library._read_back", "_clean_reason"),
           ("tests/test_flag_text.py", "tests/test_bot_commands.py", "tests/test_console.py", "tests/test_identity.py",
            "tests/test_loader.py", "tests/test_remove.py", "tests/test_state_store.py"),
           ("MIN_REASON", "CLEAR_MATCH")),
    Target("state-writes", "storage/state/sqlite.py", ("SqliteState.record", "SqliteState.open_disputes"),
           ("tests/test_state_store.py", "tests/test_console.py", "tests/test_loader.py", "tests/test_identity.py",
            "tests/test_bot_commands.py")),
    Target("ids", "storage/load/factids.py",
           ("FactIds.assign", "FactIds.release", "FactIds.next_rowid", "FactIds.flush", "FactIds._flush_resolving",
            "FactIds._all_free", "FactIds._free", "FactIds._in_table", "FactIds._origin", "FactIds._move",
            "FactIds._rename"),
           ("tests/test_factids.py", "tests/test_loader.py", "tests/test_identity.py")),
    Target("fact-key", "storage/identity.py",
           ("looks_like_id", "fact_key_of", "fact_keys", "stored_fact_keys", "_head", "_told_apart", "repeat_key",
            "short_id"),
           ("tests/test_identity.py", "tests/test_factids.py", "tests/test_loader.py"), ("ID_LENGTH",)),
    Target("citation-thresholds", "storage/pages/labels.py", ("CitationResolver._label_coverage",),
           ("tests/test_citation_thresholds.py", "tests/test_citations_pinned.py", "tests/test_pageformat.py"),
           ("LABEL_THRESHOLD", "LABEL_COVERAGE", "LABEL_WORD_RATIO", "BARE_COVERAGE", "BARE_PREFIX_RATIO")),
)


# Survivors examined and found harmless: (path, the mutated line as written, the change) -> why.
# A run prints them apart from new survivors, which are to be killed by a test or explained here.
# Keyed by the code, not the line number (which drifts): editing the line makes its survivor new.
_SLOWER_SAME_IDS = "the fast path of assign is skipped more often; the general path gives the same ids"
_NEVER_EMPTY = ("flush runs only for a batch with a page (the loader makes a FactIds when a page comes), so "
                "_pages is never empty there: the guard keeps an empty batch harmless")
_EXTRA_BITS = "short_id computes more bits than it keeps; the kept characters are the same (checked for lengths 1-16)"
EXPLAINED: dict[tuple[str, str, str], str] = {
    ("bot/commands/moderation.py", "return False", "return None"):
        "None is as falsy as False, and every caller only tests the truth (is_moderator; discord.py's"
        " interaction_check dispatch)",
    **{("storage/library.py", "best, runner_up = fits[0][0], fits[1][0] if len(fits) > 1 else 0.0", change):
       "the runner-up of a lone candidate is only compared with `< CLEAR_MATCH`: 0, 1 and -1 all are"
       for change in ("0.0 -> -1.0", "0.0 -> 1.0")},
    ("storage/state/sqlite.py", 'if row is None or row[0] != "open":', "0 -> -1"):
        "the row has one column: row[-1] is row[0]",
    ("storage/library.py", "return None", "return None"):
        "the same statement: it returned None already",
    ("storage/state/sqlite.py", "if not fact_ids:", "if -> if False"):
        "a shortcut: json_each('[]') yields no row, so the query answers {} too",
    ("storage/load/factids.py", "check_table = any(len(i) > ID_LENGTH for i in owned)", "Gt -> GtE"):
        "every reloaded page checks the table as it goes; " + _SLOWER_SAME_IDS,
    ("storage/load/factids.py", "if not check_table and self._all_free(keys, short_ids):", "if -> if False"):
        _SLOWER_SAME_IDS,
    ("storage/load/factids.py", "taken.add(fact_id)", "drop call statement"):
        "fact_id went into self.pending on the line before, and _free refuses pending ids as it refuses taken ones",
    **{("storage/load/factids.py", code, change): _NEVER_EMPTY
       for code, change in (("if not self._pages:", "if -> if False"), ("return", "drop early `return`"))},
    ("storage/load/factids.py", "if not self._pages:", "if -> if True"):
        "the table's max(rowid) + 1 is the in-memory answer: a page's facts are inserted right after assign",
    ("storage/load/factids.py",
     'return self.conn.execute("SELECT coalesce(max(rowid), 0) + 1 FROM facts").fetchone()[0]', "0 -> -1"):
        "the row has one column: [-1] is [0]",
    ("storage/load/factids.py", "(self._pages[0][0],),", "0 -> -1"):
        "flush starts from the concept id instead of the first rowid: the insert then clashes with rows"
        " it already has and the clash path inserts the batch's ids one by one; the same table, slower",
    **{("storage/load/factids.py", code, "drop call statement"): "the loader drops its FactIds after flush (one per batch)"
       for code in ("self.pending.clear()", "self._pages.clear()")},
    ("storage/load/factids.py", "while done < len(order):", "Lt -> LtE"):
        "one more pass inserts no row and breaks",
    ("storage/load/factids.py",
     "if len(set(short_ids)) != len(short_ids) or not self.pending.keys().isdisjoint(short_ids):",
     "if -> if True"): _SLOWER_SAME_IDS,
    ("storage/load/factids.py", "return False", "return None"): _SLOWER_SAME_IDS,
    ("storage/load/factids.py", "return all(self.flagged.get(i, k) == k for i, k in zip(short_ids, keys))",
     "return None"): _SLOWER_SAME_IDS,
    ("storage/load/factids.py",
     "new_id = self._free(self._origin(rowid)[0], set(), check_table=True)  # skips fact_id: pending",
     "True -> False"):
        "a moved fact (of a page new in this batch) may take an id an earlier batch owns; flush finds the"
        " clash and lengthens it: still unique, and that page's report counts it as added either way",
    **{("storage/identity.py", code, change): _EXTRA_BITS for code, change in (
        ("pairs = (length + 1) // 2", "2 -> 1"), ("pairs = (length + 1) // 2", "1 -> 2"),
        ("hex_digits = (pairs * 10 + 3) // 4", "4 -> 3"), ("hex_digits = (pairs * 10 + 3) // 4", "3 -> 2"),
        ("hex_digits = (pairs * 10 + 3) // 4", "3 -> 4"), ("hex_digits = (pairs * 10 + 3) // 4", "3 -> 6"),
        ("hex_digits = (pairs * 10 + 3) // 4", "10 -> 11"), ("hex_digits = (pairs * 10 + 3) // 4", "10 -> 20"),
        ("for shift in range(pairs * 10 - 10, -1, -10):", "1 -> 2"),
    )},
    ("storage/pages/labels.py", "return 0.0", "0.0 -> -1.0"):
        "a label without content words covers -1 instead of 0 of them: below LABEL_COVERAGE either way",
}


@dataclass(frozen=True)
class Mutant:
    target: Target
    line: int
    description: str
    source: str  # the whole mutated module
    code: str = ""  # the mutated line as written (stripped)

    def explained(self) -> str | None:
        return EXPLAINED.get((self.target.path, self.code, self.description))


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    killed: bool
    seconds: float
    note: str = ""


_FLIPS: dict[type, type] = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}


def mutants(target: Target) -> Iterator[Mutant]:
    """Every single-change mutant of the target's functions and constants."""
    tree = ast.parse((ROOT / target.path).read_text(encoding="utf-8"))
    for scope in _scopes(tree, target):
        for path in _sites(scope):
            yield from _variants(tree, target, path)


def _scopes(tree: ast.Module, target: Target) -> Iterator[ast.AST]:
    wanted = set(target.functions)
    found: set[str] = set()

    def walk(node: ast.AST, prefix: str) -> Iterator[ast.AST]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if name in wanted and not isinstance(child, ast.ClassDef):
                    found.add(name)
                    yield child
                yield from walk(child, f"{name}.")

    yield from walk(tree, "")
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in target.constants for t in statement.targets
        ):
            found.add(next(t.id for t in statement.targets if isinstance(t, ast.Name)))
            yield statement
    missing = (wanted | set(target.constants)) - found
    if missing:
        raise SystemExit(f"{target.name}: not found in {target.path}: {', '.join(sorted(missing))}")


def _sites(scope: ast.AST) -> Iterator[ast.AST]:
    for node in ast.walk(scope):
        if isinstance(node, (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Constant, ast.Return, ast.Expr, ast.If)):
            yield node
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node is scope:
            yield node


def _variants(tree: ast.Module, target: Target, original: ast.AST) -> Iterator[Mutant]:
    """The mutants of one node, each made on a fresh copy of the module."""
    line = getattr(original, "lineno", 0)
    code = (ROOT / target.path).read_text(encoding="utf-8").splitlines()[line - 1].strip() if line else ""
    for description, change in _changes(original):
        mutated = copy.deepcopy(tree)
        node = _same_node(mutated, tree, original)
        if change(node, mutated) is False:
            continue
        try:
            source = ast.unparse(ast.fix_missing_locations(mutated))
        except Exception:  # an unparseable change is no mutant
            continue
        yield Mutant(target, line, description, source, code)


def _same_node(mutated: ast.Module, tree: ast.Module, original: ast.AST) -> ast.AST:
    for a, b in zip(ast.walk(tree), ast.walk(mutated)):
        if a is original:
            return b
    raise LookupError("node not found in the copy")


def _changes(node: ast.AST):
    """(description, change) pairs for one node; a change returning False does not apply."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in _FLIPS:
                flipped = _FLIPS[type(op)]
                yield f"{type(op).__name__} -> {flipped.__name__}", _set_op(i, flipped)
    elif isinstance(node, ast.BoolOp):
        other = ast.Or if isinstance(node.op, ast.And) else ast.And
        yield f"{type(node.op).__name__} -> {other.__name__}", lambda n, _: setattr(n, "op", other())
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "drop `not`", _drop_not
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        yield f"{node.value} -> {not node.value}", lambda n, _: setattr(n, "value", not n.value)
    elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        value = node.value
        for new in sorted({value + 1, value - 1, value * 0.9 if isinstance(value, float) else value * 2} - {value}):
            yield f"{value!r} -> {new!r}", _set_value(new)
    elif isinstance(node, ast.Return) and node.value is None:
        yield "drop early `return`", _drop_statement
    elif isinstance(node, ast.Return):
        yield "return None", lambda n, _: setattr(n, "value", ast.Constant(None))
    elif isinstance(node, ast.Expr) and isinstance(node.value, (ast.Call, ast.Await)):
        yield "drop call statement", _drop_statement
    elif isinstance(node, ast.If):
        yield "if -> if False", lambda n, _: setattr(n, "test", ast.Constant(False))
        yield "if -> if True", lambda n, _: setattr(n, "test", ast.Constant(True))


def _set_op(index: int, op: type):
    def change(node: ast.Compare, _: ast.Module) -> None:
        node.ops[index] = op()

    return change


def _set_value(value: float):
    def change(node: ast.Constant, _: ast.Module) -> None:
        node.value = value

    return change


def _drop_not(node: ast.UnaryOp, tree: ast.Module) -> bool:
    return _replace(tree, node, node.operand)


def _drop_statement(node: ast.stmt, tree: ast.Module) -> bool:
    return _replace(tree, node, ast.Pass())


def _replace(tree: ast.Module, old: ast.AST, new: ast.AST) -> bool:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if isinstance(value, list) and old in value:
                value[value.index(old)] = new
                return True
            if value is old:
                setattr(parent, field, new)
                return True
    return False


def run(outcome_of: list[Mutant], jobs: int, timeouts: dict[str, float]) -> list[Outcome]:
    """Run the mutants on `jobs` private copies of the project, one mutant at a time per copy."""
    copies = [_copy_project() for _ in range(jobs)]
    try:
        with ThreadPoolExecutor(jobs) as pool:
            queue = iter(outcome_of)
            return [o for chunk in pool.map(lambda root: _drain(root, queue, timeouts), copies) for o in chunk]
    finally:
        for root in copies:
            shutil.rmtree(root, ignore_errors=True)


def _copy_project() -> Path:
    root = Path(tempfile.mkdtemp(prefix="factbot-mutant-"))
    ignore = shutil.ignore_patterns(".git", ".venv", "data", "__pycache__", ".pytest_cache", "*.sqlite3*")
    for name in ("bot", "storage", "tests", "seeds", "pyproject.toml"):
        source = ROOT / name
        (shutil.copytree(source, root / name, ignore=ignore) if source.is_dir() else shutil.copy(source, root / name))
    return root


def _drain(root: Path, queue: Iterator[Mutant], timeouts: dict[str, float]) -> list[Outcome]:
    done = []
    for mutant in queue:  # a shared iterator: each worker takes the next mutant (next() holds the GIL)
        done.append(_try(root, mutant, timeouts[mutant.target.name]))
        outcome = done[-1]
        print(f"  {'killed  ' if outcome.killed else 'SURVIVED'} {mutant.target.name:20} "
              f"{mutant.target.path}:{mutant.line} {mutant.description} ({outcome.seconds:.0f} s"
              f"{', ' + outcome.note if outcome.note else ''})", flush=True)
    return done


def _try(root: Path, mutant: Mutant, timeout: float) -> Outcome:
    path = root / mutant.target.path
    original = path.read_text(encoding="utf-8")
    path.write_text(mutant.source, encoding="utf-8")
    started = time.monotonic()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *mutant.target.tests],
            cwd=root, capture_output=True, text=True, timeout=timeout,
        )
        return Outcome(mutant, result.returncode != 0, time.monotonic() - started)
    except subprocess.TimeoutExpired:
        return Outcome(mutant, True, time.monotonic() - started, "timeout")
    finally:
        path.write_text(original, encoding="utf-8")


def _baseline(targets: list[Target]) -> dict[str, float]:
    """The unmutated (but ast-unparsed) code must pass the same tests, or every 'kill' is a lie.

    Returns each target's timeout for its mutants, from how long the clean run took."""
    root = _copy_project()
    timeouts = {}
    try:
        for target in targets:
            source = ast.unparse(ast.parse((ROOT / target.path).read_text(encoding="utf-8")))
            outcome = _try(root, Mutant(target, 0, "baseline", source), BASELINE_TIMEOUT_S)
            if outcome.killed:
                raise SystemExit(f"baseline fails for {target.name}: fix the tests before mutating")
            timeouts[target.name] = max(MIN_TIMEOUT_S, TIMEOUT_FACTOR * outcome.seconds)
            print(f"baseline {target.name}: {outcome.seconds:.0f} s, mutants get {timeouts[target.name]:.0f} s",
                  flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return timeouts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__.splitlines()[0])
    parser.add_argument("--target", action="append", choices=[t.name for t in TARGETS])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--list", action="store_true", help="list the targets and their mutant counts")
    parser.add_argument("--line", type=int, action="append",
                        help="only the mutants on this line (repeatable): re-check survivors after a new test")
    args = parser.parse_args(argv)
    targets = [t for t in TARGETS if not args.target or t.name in args.target]
    every = {t.name: [m for m in mutants(t) if not args.line or m.line in args.line] for t in targets}
    if not args.line:  # an explanation whose line was edited away explains nothing now
        made = {(m.target.path, m.code, m.description) for t in targets for m in every[t.name]}
        paths = {t.path for t in targets}
        for key in sorted(k for k in EXPLAINED if k[0] in paths and k not in made):
            print(f"stale explanation (no such mutant now): {key}")
    if args.list:
        for t in targets:
            print(f"{t.name:20} {len(every[t.name]):4} mutants  {t.path}  tests: {' '.join(t.tests)}")
        return 0
    timeouts = _baseline(targets)
    started = time.monotonic()
    outcomes = run([m for t in targets for m in every[t.name]], args.jobs, timeouts)
    print(f"\n{'target':20} {'mutants':>7} {'killed':>7} {'survived':>8} {'explained':>9}")
    for t in targets:
        mine = [o for o in outcomes if o.mutant.target is t]
        lived = [o for o in mine if not o.killed]
        print(f"{t.name:20} {len(mine):7} {len(mine) - len(lived):7} {len(lived):8} "
              f"{sum(o.mutant.explained() is not None for o in lived):9}")
    survivors = [o for o in outcomes if not o.killed]
    for o in sorted(survivors, key=lambda o: (o.mutant.target.path, o.mutant.line)):
        why = o.mutant.explained()
        print(f"survived: {o.mutant.target.path}:{o.mutant.line} {o.mutant.description}  "
              + (f"(harmless: {why})" if why else "NEW: kill it with a test, or explain it in EXPLAINED"))
    timed_out = sum(o.note == "timeout" for o in outcomes)
    if timed_out:
        print(f"{timed_out} killed by the timeout (counted as killed: a mutant that hangs breaks the guarantee)")
    print(f"{len(outcomes)} mutants, {len(survivors)} survived, {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
