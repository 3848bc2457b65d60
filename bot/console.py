"""The slash commands without Discord: parse a typed line, ask the library, render text or JSON.

The console is a trusted local operator: it may flag and unflag (named by --as in the history)
and sees every guild's disputes unless --guild narrows it.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import textwrap
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from bot.config import QuizConfig
from bot.render import jsonview, text
from bot.spec import COMMANDS, leaves
from storage import CHAT_DECK_NOTES, LETTERS, Ambiguous, FlagResult, Library, Missing, NoQuestion, Refusal, StateUnavailable

CONSOLE_GUILD = 0  # disputes made from the console belong to "guild 0"

Answer = tuple[dict[str, Any], str]  # (JSON object, text)


class UsageError(ValueError):
    """A console line that is not a command."""


@dataclass
class Command:
    name: str
    options: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        value = self.options.get(key)
        return value if value else None

    def number(self, key: str) -> int | None:
        value = self.get(key)
        return None if value is None else int(value)


def parse_command(line: str) -> Command:
    """'/fact bdnf type:claim' -> Command('fact', {'query': 'bdnf', 'type': 'claim'}), checked
    against the command's spec (the same limits Discord enforces)."""
    line = line.strip()
    name, _, rest = line.lstrip("/").partition(" ")
    name = name.lower()
    if name not in COMMANDS:
        raise UsageError(f"unknown command {name[:30]!r}; try /help")
    spec = COMMANDS[name]
    if spec.subcommands:
        sub, _, rest = rest.strip().partition(" ")
        if sub.lower() not in {c.name for c in spec.subcommands}:
            raise UsageError(f"/{name} needs one of: " + ", ".join(c.usage for c in spec.subcommands))
        spec = spec.subcommand(sub.lower())
    named = [o.name for o in spec.options if o.name != spec.main]
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
    if spec.main:
        options[spec.main] = positional.strip()
    elif positional.strip():
        raise UsageError(f"/{spec.full_name} takes no text, only {', '.join(n + ':' for n in named) or 'nothing'}; {spec.usage}")
    for key, value in options.items():
        try:
            if value:
                spec.option(key).check(value)
        except ValueError as error:
            raise UsageError(str(error)) from None
    missing = [o.name for o in spec.options if o.required and not options.get(o.name)]
    if missing:
        raise UsageError(f"/{name} needs {' and '.join(missing)}, e.g. {spec.example}")
    return Command(spec.full_name, options)


def help_text() -> str:
    """/help in the console: every command's usage and help line, from the spec."""
    lines = ["Commands (the same as in Discord):"]
    for spec in leaves():
        lines.append(f"  {spec.usage}")
        lines.append(textwrap.fill(spec.help, 100, initial_indent=" " * 8, subsequent_indent=" " * 8))
    lines.append("Examples: " + "   ".join(spec.example for spec in leaves() if spec.name != "help"))
    return "\n".join(lines)


@dataclass
class Console:
    """Runs commands against a Library as one local operator."""

    library: Library
    operator: str
    guild_id: int | None = None  # None: every guild's disputes
    per_page: int = 5
    quiz_config: QuizConfig = field(default_factory=QuizConfig)
    embedding: bool = True  # facts without a vector are being embedded meanwhile (not so for `ask`)
    _told_words_only: bool = False

    @property
    def guild(self) -> int:
        """Where the console's disputes and quiz scores belong."""
        return CONSOLE_GUILD if self.guild_id is None else self.guild_id

    @property
    def user_id(self) -> int:
        """A stable id for the operator's quiz score (the console has no Discord id)."""
        return zlib.crc32(self.operator.encode())

    async def run(self, line: str) -> Answer:
        """(JSON object, text) for one command line (plain words are a fact search); errors become
        {'error': ...}."""
        if not line.lstrip().startswith("/"):
            line = "/fact " + line
        try:
            command = parse_command(line)
            return await _HANDLERS[command.name](self, command)
        except (UsageError, Refusal, NoQuestion, StateUnavailable) as exc:
            return {"command": _name(line), "error": str(exc)}, f"Sorry: {exc}"

    def _offset(self, c: Command) -> int:
        return ((c.number("page") or 1) - 1) * self.per_page

    async def fact(self, c: Command) -> Answer:
        answer = await self.library.fact(
            c.get("query") or "", fact_type=c.get("type"), source=c.get("source"), concept=c.get("concept"),
            guild_id=self.guild_id, offset=self._offset(c), limit=self.per_page,
        )
        rendered = text.fact_answer(answer)
        if self.library.meaning is not None and not self.library.meaning_ready and not self._told_words_only:
            self._told_words_only = True  # said once
            note = ("The meaning index is still being built: answers are by words for now." if self.embedding else
                    "Answers are by words: some facts have no vector yet (python -m bot embed adds them).")
            rendered = f"({note})\n{rendered}"
        return jsonview.fact_answer_json(answer), rendered

    async def source(self, c: Command) -> Answer:
        answer = await self.library.source(
            c.get("query"), concept=c.get("concept"), guild_id=self.guild_id, offset=self._offset(c),
            limit=self.per_page,
        )
        return jsonview.source_answer_json(answer), text.source_answer(answer)

    async def synthesis(self, c: Command) -> Answer:
        perspective = c.number("perspective")
        answer = await self.library.synthesis(c.get("concept"), self.guild_id, perspective)
        if isinstance(answer, Missing):
            return jsonview.missing_json("synthesis", answer), text.missing(answer)
        return jsonview.synthesis_json(answer, perspective), text.synthesis(answer, perspective)

    async def check(self, c: Command) -> Answer:
        answer = await self.library.check(c.get("text") or "", self.guild_id, limit=self.per_page)
        return jsonview.check_json(answer), text.check_answer(answer)

    async def flag(self, c: Command) -> Answer:
        return await self._moderate(c, self.library.flag)

    async def unflag(self, c: Command) -> Answer:
        try:
            return await self._moderate(c, self.library.unflag)
        except Refusal as refusal:
            raise Refusal(str(refusal) + await self._disputed_elsewhere(c.get("fact"))) from None

    async def _disputed_elsewhere(self, fact: str | None) -> str:
        """Where the fact is disputed instead: /disputes lists every guild's, /unflag acts in one."""
        if self.guild_id is not None or not fact:
            return ""
        view = await self.library.fact_by_id(fact)  # every guild's disputes of it
        guilds = sorted({d.guild_id for d in view.disputes}) if view else []
        if not guilds:
            return ""
        return f" It is disputed in guild {', '.join(map(str, guilds))}: add --guild {guilds[0]} to unflag it there."

    async def _moderate(self, c: Command, act: Callable[..., Awaitable[FlagResult]]) -> Answer:
        try:
            result = await act(c.get("fact"), c.get("reason"), self.operator, self.guild)
        except Ambiguous as ambiguous:
            return jsonview.candidates_json(c.name, ambiguous), text.candidates(ambiguous)
        return jsonview.flag_json(c.name, result), text.flag_result(result)

    async def disputes(self, c: Command) -> Answer:
        every = await self.library.disputes(self.guild_id)
        start = self._offset(c)
        items = every[start : start + self.per_page]
        texts = await self.library.dispute_fact_texts([d.fact_id for d in items])
        return jsonview.disputes_json(items, texts, start, len(every)), text.disputes(items, texts, start, len(every))

    async def quiz_play(self, c: Command) -> Answer:
        question = await self.library.study.quiz(
            self.guild, self.user_id, c.get("concept"), c.get("type"),
            answer_seconds=self.quiz_config.answer_seconds, repeat_after=self.quiz_config.repeat_after,
        )
        if isinstance(question, Missing):
            return jsonview.missing_json("quiz", question), text.missing(question)
        return jsonview.quiz_json(question), text.quiz_question(question)

    async def answer_quiz(self, question_id: int, letter: str) -> Answer:
        """The operator's answer to a question the console asked, then the question revealed."""
        outcome = await self.library.study.answer(question_id, self.user_id, self.operator, LETTERS.index(letter))
        reveal = await self.library.study.reveal(question_id)
        if outcome is None or reveal is None:
            raise Refusal("That question no longer exists.")
        return jsonview.quiz_reveal_json(reveal, outcome), text.quiz_reveal(reveal, outcome)

    async def quiz_scores(self, c: Command) -> Answer:
        board = await self.library.study.scores(self.guild, self.user_id)
        return jsonview.scores_json(board), text.scores(board)

    async def export(self, c: Command) -> Answer:
        include = c.get("include_disputed")
        deck = await self.library.study.export(
            c.get("concept"), c.get("source"), c.get("type"), include_disputed=bool(include) and include.lower() == "true",
            guild_id=self.guild, limit=CHAT_DECK_NOTES,
        )
        if isinstance(deck, Missing):
            return jsonview.missing_json("export", deck), text.missing(deck)
        return jsonview.deck_json(deck), text.deck(deck) + "\n(the console shows what the deck holds; "\
            "python -m bot export --out FILE.apkg writes it)"

    async def help(self, c: Command) -> Answer:
        shown = help_text()
        return {"command": "help", "text": shown}, shown


_HANDLERS: dict[str, Callable[[Console, Command], Awaitable[Answer]]] = {
    spec.full_name: getattr(Console, spec.full_name.replace(" ", "_")) for spec in leaves()
}


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
            line = await asyncio.to_thread(read, "factbot> ")  # the meaning index builds meanwhile
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if line.strip().lower() in ("/quit", "/exit", "quit", "exit"):
            return
        if not line.strip():
            continue
        data, rendered = await console.run(line)
        print(rendered + "\n")
        if data.get("command") == "quiz" and "question_id" in data:
            print(await _take_answer(console, data["question_id"], read) + "\n")


async def _take_answer(console: Console, question_id: int, read: Callable[[str], str]) -> str:
    """Read A-D for a question just printed (an empty line skips it) and show the answer."""
    while True:
        try:
            typed = (await asyncio.to_thread(read, "your answer (A-D, empty to skip)> ")).strip().upper()
        except (EOFError, KeyboardInterrupt):
            typed = ""
        if typed in tuple(LETTERS) or not typed:
            break
        print("Type one letter: A, B, C or D.")
    if not typed:
        await console.library.study.reveal(question_id)
        return "Skipped."
    try:
        _, rendered = await console.answer_quiz(question_id, typed)
    except (Refusal, StateUnavailable) as exc:
        return f"Sorry: {exc}"
    return rendered
