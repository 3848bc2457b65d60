"""CLI: python -m bot [run|load|embed|remove|ask|console|export|sync|state|bench|bench-meaning|generate] [--config PATH] ..."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import sys
import threading
import time
from pathlib import Path

from bot.config import Config, ConfigError, load_config, state_url, with_shards
from bot.console import Console, interactive, run_lines
from storage import Library, LoadReport, Missing, PageFormatError, PageReport, Refusal, StateError

EXIT_CONFIG = 2


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        config = with_shards(load_config(getattr(args, "config", None)), getattr(args, "shards", None), getattr(args, "of", None))
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    logging.basicConfig(
        level=config.bot.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    command = args.command or ("run" if config.has_token else "start")
    handler = {
        "start": _console,
        "run": _run_bot,
        "sync": _sync,
        "load": _load,
        "remove": _remove,
        "ask": _ask,
        "console": _console,
        "bench": _bench,
        "generate": _generate,
        "embed": _embed,
        "bench-meaning": _bench_meaning,
        "state": _state,
        "export": _export,
    }[command]
    try:
        return asyncio.run(handler(config, args))
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except StateError as exc:
        print(f"state store error: {getattr(exc, 'detail', '') or exc}", file=sys.stderr)
        return 1
    except PageFormatError as exc:
        print(f"page error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader left early (`ask ... | head`): point stdout at /dev/null so the interpreter's
        # last flush cannot fail again, as the Python docs advise for SIGPIPE.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _parser() -> argparse.ArgumentParser:
    # Given before or after the command: a subcommand's own default must not undo the first.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help="config file (default: built-in defaults)")
    parser = argparse.ArgumentParser(
        prog="python -m bot", parents=[common],
        description="factbot: a concept page as a cited study companion. With no command: the Discord bot "
        "when a token is configured, else the local console.",
    )
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", parents=[common], help="start the Discord bot (loads the seeds on first start)")
    run.add_argument("--shards", metavar="IDS", help="the shards this process runs, e.g. 0,1 (with --of)")
    run.add_argument("--of", type=int, metavar="N", help="the bot's total number of shards over every process")
    sub.add_parser("sync", parents=[common], help="re-sync the slash commands with Discord and exit")
    load = sub.add_parser("load", parents=[common], help="load concept pages (default: the configured seeds)")
    load.add_argument("paths", nargs="*", metavar="PATH")
    load.add_argument("--embed", action="store_true", help="then embed the new facts for the meaning layer")
    sub.add_parser("embed", parents=[common],
                   help="embed the facts that have no vector yet (resumable; nothing to do is a no-op)")
    load.add_argument("--prune", action="store_true",
                      help="PATHs are folders: also remove the concepts whose file is no longer in them")
    remove = sub.add_parser("remove", parents=[common], help="remove a concept's page (its flag history stays)")
    remove.add_argument("concept", metavar="CONCEPT", help="the concept's name, as /synthesis shows it")
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    for name, help_text in (("ask", "run one command, e.g. ask \"/fact bdnf\"; '-' reads lines from stdin"),
                            ("console", "interactive console")):
        p = sub.add_parser(name, parents=[common], help=help_text)
        if name == "ask":
            p.add_argument("line", metavar="COMMAND")
            p.add_argument("--json", action="store_true", help="print the answer as JSON")
        p.add_argument("--as", dest="operator", default=None, help="operator name in the flag history")
        p.add_argument("--guild", type=int, default=None, help="only this guild's disputes")
    export = sub.add_parser("export", parents=[common], help="write an Anki deck (.apkg) of a concept's facts")
    export.add_argument("--concept", metavar="NAME", help="only this concept page")
    export.add_argument("--source", metavar="TEXT", help="only facts from this source (title, author or publisher)")
    export.add_argument("--type", dest="fact_type", metavar="TYPE", help="only facts of this type")
    export.add_argument("--include-disputed", action="store_true", help="keep disputed facts, tagged disputed")
    export.add_argument("--guild", type=int, default=0, help="whose disputes count (default: the console's)")
    export.add_argument("--out", metavar="FILE.apkg", required=True)
    state = sub.add_parser("state", parents=[common], help="the store of flags, disputes and quiz scores: migrate, copy")
    state_sub = state.add_subparsers(dest="state_command", required=True)
    state_sub.add_parser("migrate", parents=[common], help="bring the configured state store's schema up to date")
    copy = state_sub.add_parser("copy", parents=[common],
                                help="copy the flag history and quiz scores of [storage] database into a PostgreSQL store")
    copy.add_argument("--to", metavar="URL", help="postgresql://... (default: [state] url)")
    generate = sub.add_parser("generate", parents=[common], help="write synthetic pages in the seed's format")
    generate.add_argument("folder", metavar="DIR")
    generate.add_argument("--pages", type=int, default=100)
    bench = sub.add_parser("bench", parents=[common], help="search benchmark on a synthetic corpus")
    bench.add_argument("--facts", type=int, default=100_000)
    bench.add_argument("--queries", type=int, default=400)
    bench.add_argument("--loads", type=_at_least_one, default=None,
                       help="loads into a new database, the median reported (default 3)")
    bench.add_argument("--json", action="store_true")
    bench.add_argument("--keep", metavar="DIR", default=None, help="keep the generated database in DIR")
    meaning = sub.add_parser("bench-meaning", parents=[common], help="meaning layer timings and memory at scale")
    meaning.add_argument("--facts", type=int, default=100_000)
    meaning.add_argument("--rounds", type=int, default=2, help="times each real query is searched")
    meaning.add_argument("--keep", metavar="DIR", default=None, help="keep the generated database in DIR")
    return parser


def _at_least_one(text: str) -> int:
    """An argparse type: a whole number, 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


async def _open(config: Config) -> Library:
    return await Library.open_seeded(config.storage.database, config.storage.seeds, config.state.url or None,
                                      meaning=config.search.meaning)


class _Progress:
    """A one-line progress bar on stderr: done/total and the rate."""

    def __init__(self, what: str) -> None:
        self.what, self.started = what, time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        rate = done / max(time.perf_counter() - self.started, 1e-9)
        width = 30
        bar = "#" * (width * done // max(total, 1))
        print(f"\r  {self.what} [{bar:<{width}}] {done}/{total} ({rate:.0f}/s)", end="", file=sys.stderr, flush=True)


def _operator(args: argparse.Namespace) -> str:
    return getattr(args, "operator", None) or getpass.getuser()


async def _console(config: Config, args: argparse.Namespace) -> int:
    library = await _open(config)
    stop = threading.Event()
    meaning = asyncio.create_task(library.embed_missing(stop=stop)) if library.meaning is not None else None
    try:
        console = Console(library, _operator(args), getattr(args, "guild", None), config.bot.results_per_page,
                          config.quiz)
        intro = "factbot console — /help for commands, /quit to leave."
        if args.command is None:
            intro = (
                f"factbot local console — {', '.join(await library.concepts()) or 'no concept loaded'}.\n"
                "No Discord token is configured, so this is the local console. To run the Discord bot,\n"
                "set DISCORD_TOKEN (or [discord] token in config.toml, see README): python -m bot run\n"
                "Type /help for commands, plain words to search facts, /quit to leave."
            )
        await interactive(console, intro)
        return 0
    finally:
        if meaning is not None:
            stop.set()  # the batch being embedded finishes and is kept; the next run resumes
            await asyncio.gather(meaning, return_exceptions=True)
        await library.close()


async def _ask(config: Config, args: argparse.Namespace) -> int:
    library = await _open(config)
    try:
        await library.use_meaning_if_complete(warm=False)  # one-shot: meaning only if nothing is missing
        console = Console(library, _operator(args), args.guild, config.bot.results_per_page, config.quiz,
                          embedding=False)
        if args.line == "-":
            await run_lines(console, sys.stdin)
            return 0
        data, rendered = await console.run(args.line)
        print(json.dumps(data, ensure_ascii=False, indent=2) if args.json else rendered)
        return 1 if "error" in data else 0
    finally:
        await library.close()


async def _load(config: Config, args: argparse.Namespace) -> int:
    library = await Library.open(config.storage.database, config.state.url or None, meaning=config.search.meaning)
    started = time.perf_counter()
    try:
        report = await library.load(args.paths or [config.storage.seeds], _progress, prune=args.prune)
        print(_summary(report, time.perf_counter() - started))
        if args.embed:
            await _embed_all(library)
    except Refusal as refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return 1
    finally:
        await library.close()
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    return 1 if report.errors else 0


async def _remove(config: Config, args: argparse.Namespace) -> int:
    library = await Library.open(config.storage.database, config.state.url or None, meaning=False)
    try:
        size = await library.concept_size(args.concept)
        if isinstance(size, Missing):
            print(f"error: no concept is named {args.concept!r}{_choices(size)}; nothing was removed", file=sys.stderr)
            return 1
        name, facts, disputed = size
        question = (f"Remove the concept {name!r} and its {facts} facts ({disputed} with an open dispute; "
                    "flags stay in the history)? [y/N] ")
        if not args.yes and not await _confirmed(question):
            print("nothing was removed")
            return 1
        removed = await library.remove(name)
    finally:
        await library.close()
    print(f"removed {removed.concept!r}: {removed.removed} facts" + _orphan_warning([removed]))
    return 0


def _choices(missing: Missing) -> str:
    names = missing.choices or missing.nearest
    return f" (concepts: {', '.join(names)})" if names else ""


async def _confirmed(question: str) -> bool:
    try:
        answer = await asyncio.to_thread(input, question)
    except EOFError:  # no terminal to answer from: not confirmed
        print()
        return False
    return answer.strip().lower() in ("y", "yes")


def _progress(number: int, total: int, outcome: object) -> None:
    if isinstance(outcome, PageFormatError):
        return
    if total >= 20 and (number % max(1, total // 20) == 0 or number == total):
        print(f"  {number}/{total} pages", file=sys.stderr)
    elif total < 20 and isinstance(outcome, PageReport):
        print(f"  {outcome.path}: {outcome.concept} {outcome.status} (+{outcome.added} -{outcome.removed} "
              f"={outcome.kept})", file=sys.stderr)


def _summary(report: LoadReport, seconds: float) -> str:
    counts: dict[str, int] = {}
    for page in report.pages:
        counts[page.status] = counts.get(page.status, 0) + 1
    pages = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none"
    text = (f"pages: {pages}; facts added {report.facts_added}, removed {report.facts_removed}, "
            f"kept {report.facts_kept}; {len(report.errors)} page(s) with errors in {seconds:.2f} s")
    pruned = sorted(p.concept for p in report.pages if p.status == "removed")
    if pruned:  # their files are gone, so no progress line named them
        text += "\nremoved (file no longer in the folder): " + ", ".join(pruned)
    return text + _orphan_warning(report.pages)


def _orphan_warning(pages: list[PageReport]) -> str:
    orphaned = [f for p in pages for f in p.orphaned_flags]
    if not orphaned:
        return ""
    return (f"\nwarning: {len(orphaned)} disputed fact(s) were removed from their page; their history is kept, "
            "and /unflag ID reason:... resolves a dispute that no longer applies: " + ", ".join(orphaned))


async def _embed(config: Config, args: argparse.Namespace) -> int:
    library = await Library.open(config.storage.database, meaning=True)
    try:
        await _embed_all(library)
    finally:
        await library.close()
    return 0


async def _embed_all(library: Library) -> None:
    missing = await library.missing_vectors()
    if not missing:
        print("every fact has its vector: nothing to embed")
        return
    started = time.perf_counter()
    embedded = await library.embed_missing(_Progress("embedding"))
    seconds = time.perf_counter() - started
    print(f"\nembedded {embedded} facts in {seconds:.1f} s ({embedded / max(seconds, 1e-9):.0f} facts/s)")


async def _export(config: Config, args: argparse.Namespace) -> int:
    from bot.render import text

    library = await _open(config)
    try:
        deck = await library.study.export(args.concept, args.source, args.fact_type,
                                          include_disputed=args.include_disputed, guild_id=args.guild)
    finally:
        await library.close()
    if isinstance(deck, Missing):
        print(f"error: {deck.message}", file=sys.stderr)
        return 1
    out = Path(args.out)
    if out.is_dir() or args.out.endswith(("/", os.sep)):
        out = out / deck.filename  # a folder, as cp takes one: the deck under its own name
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(deck.data)
    except OSError as exc:
        print(f"error: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote {out}: " + text.deck(deck))
    return 0


async def _run_bot(config: Config, args: argparse.Namespace) -> int:
    from bot.client import run_bot

    _need_token(config)
    return await run_bot(config)


async def _sync(config: Config, args: argparse.Namespace) -> int:
    from bot.client import run_bot

    _need_token(config)
    return await run_bot(config, connect=False)


def _need_token(config: Config) -> None:
    if not config.has_token:
        raise ConfigError("discord.token is empty: set DISCORD_TOKEN or [discord] token in your config file")


async def _state(config: Config, args: argparse.Namespace) -> int:
    from storage import copy_history, migrate_store

    if args.state_command == "migrate":
        print(await migrate_store(config.state.url or None, config.storage.database))
        return 0
    url = state_url(args.to or config.state.url, "--to")
    if not url:
        raise ConfigError("state copy needs a target: --to postgresql://... or [state] url")
    print((await copy_history(config.storage.database, url)).line())
    return 0


async def _generate(config: Config, args: argparse.Namespace) -> int:
    from bot.tools.synthetic import PAGE_FACTS, write_corpus

    seeds = Path(config.storage.seeds)
    seed = seeds if seeds.is_file() else seeds / "ketamine.txt"  # the page the generated ones are shaped like
    written = list(write_corpus(Path(args.folder), args.pages * PAGE_FACTS, seed))
    print(f"wrote {len(written)} pages ({args.pages * PAGE_FACTS} facts) to {args.folder}")
    return 0


async def _bench(config: Config, args: argparse.Namespace) -> int:
    from bot.tools.bench import run_bench

    return await run_bench(args.facts, args.queries, args.json, args.keep, args.loads)


async def _bench_meaning(config: Config, args: argparse.Namespace) -> int:
    from bot.tools.meaningbench import run_meaning_bench

    return await run_meaning_bench(args.facts, args.rounds, args.keep)


if __name__ == "__main__":
    sys.exit(main())
