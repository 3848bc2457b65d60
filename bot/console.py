"""The slash commands without Discord: parse a typed line, ask the library, render text or JSON.

The console is a trusted local operator: it may flag and unflag (named by --as in the history)
and sees every guild's disputes unless --guild narrows it.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from bot.render import jsonview, text
from storage.library import Library, Refusal

CONSOLE_GUILD = 0  # disputes made from the console belong to "guild 0"

# Each command: its main (positional) option, then the named options it accepts.
COMMANDS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "fact": ("query", ("type", "source", "concept", "page")),
    "source": ("query", ("concept", "page")),
    "synthesis": ("concept", ("perspective",)),
    "flag": ("fact", ("reason",)),
    "unflag": ("fact", ("reason",)),
    "disputes": (None, ("page",)),
    "help": (None, ()),
}

HELP = """Commands (the same as in Discord):
  /fact <query> [type:claim] [source:<title or author>] [concept:<name>] [page:N]
        best matching facts with their citations; a fact id shows that fact
  /source [query] [concept:<name>] [page:N]   a source, its fact counts and a few facts
  /synthesis [concept] [perspective:N]        the concept's synthesis, or one model perspective
  /flag <fact id or text> reason:<why>        mark a fact as disputed (moderators)
  /unflag <fact id> reason:<why>              resolve a dispute (moderators)
  /disputes [page:N]                          open disputes
  /help                                       this text
Examples: /fact bdnf   /fact grunebaum 2017   /source montreal   /flag 7lm2vnhe reason:dose is wrong"""


class UsageError(ValueError):
    """A console line that is not a command."""


@dataclass
class Command:
    name: str
    options: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        value = self.options.get(key)
        return value if value else None

    def number(self, key: str, default: int | None = None) -> int | None:
        value = self.get(key)
        if value is None:
            return default
        if not value.isdigit() or not 1 <= int(value) <= 10_000:
            raise UsageError(f"{key}: expects a number from 1, not {value[:20]!r}")
        return int(value)


def parse_command(line: str) -> Command:
    """'/fact bdnf type:claim' -> Command('fact', {'query': 'bdnf', 'type': 'claim'})."""
    line = line.strip()
    name, _, rest = line.lstrip("/").partition(" ")
    name = name.lower()
    if name not in COMMANDS:
        raise UsageError(f"unknown command {name[:30]!r}; try /help")
    main, named = COMMANDS[name]
    options: dict[str, str] = {}
    if named:
        # A named option's value runs to the next known "key:" or the end, so values keep spaces.
        pattern = re.compile(r"(?:^|\s)(" + "|".join(named) + r"):", re.IGNORECASE)
        pieces = pattern.split(" " + rest)
        positional, pairs = pieces[0], pieces[1:]
        for key, value in zip(pairs[::2], pairs[1::2]):
            options[key.lower()] = value.strip()
    else:
        positional = rest
    if main:
        options[main] = positional.strip()
    elif positional.strip():
        raise UsageError(f"/{name} takes no text, only {', '.join(n + ':' for n in named) or 'nothing'}")
    return Command(name, options)


@dataclass
class Console:
    """Runs commands against a Library as one local operator."""

    library: Library
    operator: str
    guild_id: int | None = None  # None: every guild's disputes
    per_page: int = 5

    async def run(self, line: str) -> tuple[dict[str, Any], str]:
        """(JSON object, text) for one command line; errors become {'error': ...}."""
        try:
            command = parse_command(line)
            return await self._dispatch(command)
        except (UsageError, Refusal) as exc:
            return {"command": _name(line), "error": str(exc)}, f"Sorry: {exc}"

    async def _dispatch(self, c: Command) -> tuple[dict[str, Any], str]:
        lib, guild = self.library, self.guild_id
        page = (c.number("page", 1) or 1) - 1
        if c.name == "fact":
            query = c.get("query")
            if not query:
                raise UsageError("/fact needs a query, e.g. /fact bdnf")
            answer = await lib.fact(
                query, fact_type=c.get("type"), source=c.get("source"), concept=c.get("concept"),
                guild_id=guild, offset=page * self.per_page, limit=self.per_page,
            )
            return jsonview.fact_answer_json(answer), text.fact_answer(answer)
        if c.name == "source":
            answer = await lib.source(
                c.get("query"), concept=c.get("concept"), guild_id=guild, offset=page * self.per_page,
                limit=self.per_page,
            )
            return jsonview.source_answer_json(answer), text.source_answer(answer)
        if c.name == "synthesis":
            answer = await lib.synthesis(c.get("concept"), guild)
            if answer is None:
                raise Refusal(f"No concept named {c.get('concept')!r}." if c.get("concept") else "No concept is loaded.")
            perspective = c.number("perspective")
            if perspective is not None and perspective > len(answer.perspectives):
                raise Refusal(f"{answer.concept} has perspectives 1-{len(answer.perspectives)}.")
            return jsonview.synthesis_json(answer, perspective), text.synthesis(answer, perspective)
        if c.name in ("flag", "unflag"):
            fact, reason = c.get("fact"), c.get("reason")
            if not fact or not reason:
                raise UsageError(f"/{c.name} needs a fact and a reason, e.g. /{c.name} 7lm2vnhe reason:why")
            guild_id = CONSOLE_GUILD if guild is None else guild
            act = lib.flag if c.name == "flag" else lib.unflag
            result = await act(fact, reason, self.operator, guild_id)
            return jsonview.flag_json(c.name, result), text.flag_result(result)
        if c.name == "disputes":
            every = await lib.disputes(guild)
            items = every[page * self.per_page : (page + 1) * self.per_page]
            texts = await lib.dispute_fact_texts([d.fact_id for d in items])
            return jsonview.disputes_json(items, texts), text.disputes(items, texts)
        return {"command": "help", "text": HELP}, HELP


def _name(line: str) -> str:
    return line.strip().lstrip("/").partition(" ")[0].lower()[:32]


async def run_lines(console: Console, lines: TextIO, out: TextIO = sys.stdout) -> None:
    """`ask -`: one command per input line, one JSON line per answer."""
    for line in lines:
        if line.strip():
            data, _ = await console.run(line)
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
            out.flush()


async def interactive(console: Console, intro: str, read: Callable[[str], str] = input) -> None:
    """The interactive loop: a prompt, one command at a time, until EOF or /quit."""
    print(intro)
    while True:
        try:
            line = read("factbot> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if line.strip().lower() in ("/quit", "/exit", "quit", "exit"):
            return
        if not line.strip():
            continue
        if not line.lstrip().startswith("/"):
            line = "/fact " + line  # plain words are a fact search
        _, rendered = await console.run(line)
        print(rendered + "\n")
