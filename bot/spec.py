"""Every command declared once: its name, options and their limits, help line and example.

The Discord commands (bot/commands/) and the console (bot/console.py) are both built from these
declarations, and /help is rendered from them in both places: a limit or a help text changed
here changes everywhere, and tests/test_spec.py fails if a surface drifts from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage import FACT_TYPES, MAX_CHECK, MAX_QUERY, MAX_REASON, MIN_REASON

CONCEPT_NAME = 100  # longer than any concept name; Discord's own limit for a choice is 100
PERSPECTIVES = 50
FACT_ID = 40  # ids are 8-16 characters; room for a pasted id with spaces around it
PAGES = 10_000


@dataclass(frozen=True)
class Option:
    name: str  # as typed: `type:claim` in the console, `type` in Discord
    description: str
    kind: type = str  # str, int or bool
    required: bool = False
    min: int = 1  # characters for text, the smallest value for numbers
    max: int = MAX_QUERY  # characters for text, the largest value for numbers
    choices: tuple[str, ...] = ()
    param: str | None = None  # the handler's parameter name when the option's name is a Python word
    console_only: bool = False  # Discord pages with buttons instead
    shown: str = ""  # how the console usage line shows the value, e.g. "<title or author>"
    cut: bool = False  # longer text is cut to `max` (a pasted message), not refused

    @property
    def parameter(self) -> str:
        return self.param or self.name

    def check(self, value: str) -> str | int:
        """The console's value checked against the same limits Discord enforces."""
        if self.kind is bool:
            if value.strip().lower() not in ("true", "false"):
                raise ValueError(f"{self.name}: expects true or false, not {value[:20]!r}")
            return value.strip().lower() == "true"
        if self.kind is int:
            if not value.strip().isdigit() or not self.min <= int(value) <= self.max:
                raise ValueError(f"{self.name}: expects a number from {self.min} to {self.max}, not {value[:20]!r}")
            return int(value)
        if self.choices and value.strip().lower() not in self.choices:
            return value.strip()  # the library names the bad choice with the valid ones
        if len(value) > self.max and not self.cut:
            raise ValueError(f"{self.name}: at most {self.max} characters (this one has {len(value)})")
        return value


@dataclass(frozen=True)
class CommandSpec:
    name: str
    description: str  # Discord's one-line description (at most 100 characters; a message command has none)
    help: str  # what /help says about it
    example: str
    options: tuple[Option, ...] = ()
    main: str | None = None  # the option the console's free text fills
    moderators: bool = False
    # On Discord a message command of this name (right-click a message -> Apps), which takes the
    # message as its text, instead of a slash command; the console keeps /name <text>.
    message_command: str | None = None
    subcommands: tuple[CommandSpec, ...] = ()  # a group (/quiz play, /quiz scores) has no options of its own
    group: str = ""  # a subcommand's group

    @property
    def full_name(self) -> str:
        """"quiz play" for a subcommand, else the name."""
        return f"{self.group} {self.name}" if self.group else self.name

    def subcommand(self, name: str) -> CommandSpec:
        return next(c for c in self.subcommands if c.name == name)

    def option(self, name: str) -> Option:
        return next(o for o in self.options if o.name == name)

    @property
    def discord_name(self) -> str:
        return self.message_command or self.name

    @property
    def discord_options(self) -> tuple[Option, ...]:
        if self.message_command:
            return ()
        return tuple(o for o in self.options if not o.console_only)

    @property
    def discord_example(self) -> str:
        """How to use it in Discord, e.g. `/fact bdnf`."""
        return f"right-click a message → Apps → {self.message_command}" if self.message_command else self.example

    def describe(self) -> dict[str, str]:
        """Parameter name -> description, for app_commands.describe."""
        return {o.parameter: o.description for o in self.discord_options}

    def renames(self) -> dict[str, str]:
        """Parameter name -> option name where they differ, for app_commands.rename."""
        return {o.param: o.name for o in self.discord_options if o.param}

    @property
    def usage(self) -> str:
        """The console form: `/fact <query> [type:claim] [page:N]`."""
        return self._usage(console=True)

    @property
    def discord_usage(self) -> str:
        """The Discord form: `/fact query:<query> [type:claim]`, or `Apps → Check facts`."""
        return f"Apps → {self.message_command} (on any message)" if self.message_command else self._usage(console=False)

    def _usage(self, console: bool) -> str:
        parts = [f"/{self.full_name}"]
        for o in self.options if console else self.discord_options:
            shown = o.shown or ("N" if o.kind is int else "true" if o.kind is bool else
                                o.choices[0] if o.choices else f"<{o.name}>")
            text = shown if console and o.name == self.main else f"{o.name}:{shown}"
            parts.append(text if o.required else f"[{text}]")
        return " ".join(parts)


_CONCEPT = Option("concept", "Only this concept page", max=CONCEPT_NAME, shown="<name>")
_PAGE = Option("page", "Which page of the answer", kind=int, max=PAGES, console_only=True)

_TYPE = Option("type", "Only facts of this type", choices=FACT_TYPES, param="fact_type", max=20)
FACT = CommandSpec(
    "fact",
    "Find facts with their citations (a fact id shows one fact)",
    "The best facts for your words, each with its citation. Typos, acronyms (VEGF ↔ vascular endothelial "
    "growth factor) and authors (grunebaum 2017) all work; a fact id (e.g. 7lm2vnhe) shows that fact in full.",
    "/fact bdnf",
    (
        Option("query", "Words, an acronym, an author and year, or a fact id", required=True, shown="<query>"),
        _TYPE,
        Option("source", "Only facts from this source (title, author or publisher)", shown="<title or author>"),
        _CONCEPT,
        _PAGE,
    ),
    main="query",
)
SOURCE = CommandSpec(
    "source",
    "A source and what it contributed; no query lists them all",
    "A source: who published it, when, how many facts of each type, a few of them. Without a query: every "
    "source of the concept.",
    "/source yaden",
    (Option("query", "Title, author, publisher or domain", shown="<query>"), _CONCEPT, _PAGE),
    main="query",
)
SYNTHESIS = CommandSpec(
    "synthesis",
    "Post the concept's synthesis, or one model perspective",
    "The concept's synthesis; [n] marks name the fact ids it cites. perspective:3 shows one model's "
    "perspective with its confidence.",
    "/synthesis perspective:3",
    (
        Option("concept", "Which concept (default: the first)", max=CONCEPT_NAME, shown="<name>"),
        Option("perspective", "Show model perspective N instead", kind=int, max=PERSPECTIVES),
    ),
    main="concept",
)
CHECK = CommandSpec(
    "check",
    "Check a message against the page's sources",
    "What the page's sources say about a chat message: the facts most related to it, each with its "
    "citation and ⚠ if disputed here. In Discord: right-click (or long-press) any message → Apps → Check "
    "facts; the answer is private, with a button to share it in the channel.",
    "/check ketamine works by blocking serotonin",
    (Option("text", "The message to check", required=True, max=MAX_CHECK, shown="<text>", cut=True),),
    main="text",
    message_command="Check facts",
)
FLAG = CommandSpec(
    "flag",
    "Moderators: mark a fact as disputed in this server",
    "Moderators: mark a fact as disputed in this server. Everyone then sees ⚠ Disputed and the reason "
    "wherever the fact appears.",
    "/flag 7lm2vnhe reason:the dose is wrong",
    (
        Option("fact", "Fact id, or words of the fact", required=True, shown="<fact id or text>"),
        Option("reason", "Why it is disputed (shown to everyone)", required=True, min=MIN_REASON, max=MAX_REASON,
               shown="<why>"),
    ),
    main="fact",
    moderators=True,
)
UNFLAG = CommandSpec(
    "unflag",
    "Moderators: resolve a fact's dispute (history is kept)",
    "Moderators: resolve a dispute (the history is kept).",
    "/unflag 7lm2vnhe reason:source checked",
    (
        Option("fact", "Fact id", required=True, max=FACT_ID, shown="<fact id>"),
        Option("reason", "Why the dispute is resolved", required=True, min=MIN_REASON, max=MAX_REASON, shown="<why>"),
    ),
    main="fact",
    moderators=True,
)
DISPUTES = CommandSpec(
    "disputes",
    "Moderators: the open disputes in this server",
    "Moderators: the open disputes in this server.",
    "/disputes",
    (_PAGE,),
    moderators=True,
)
HELP = CommandSpec("help", "What factbot's commands do, with examples", "This list.", "/help")


QUIZ_PLAY = CommandSpec(
    "play",
    "A multiple-choice question made from a cited fact",
    "A question made from a cited fact: choose A-D (anyone, once each). After the time is up or when the "
    "asker presses Reveal, the answer shows with the fact, its citation and who got it right.",
    "/quiz play type:measurement",
    (Option("concept", "Only facts of this concept page", max=CONCEPT_NAME, shown="<name>"), _TYPE),
    group="quiz",
)
QUIZ_SCORES = CommandSpec(
    "scores",
    "This server's quiz top 10 and your own rank",
    "The server's quiz top 10 (right answers) and your own rank.",
    "/quiz scores",
    group="quiz",
)
QUIZ = CommandSpec("quiz", "Study quiz made from the cited facts", "", "/quiz play",
                   subcommands=(QUIZ_PLAY, QUIZ_SCORES))
EXPORT = CommandSpec(
    "export",
    "An Anki deck (.apkg) of the facts, with their citations",
    "An Anki deck of the selected facts: a cloze on each fact's key term, the citation and fact id on the back. "
    "Disputed facts are left out unless include_disputed:true (then tagged disputed).",
    "/export type:measurement",
    (
        _CONCEPT,
        Option("source", "Only facts from this source (title, author or publisher)", shown="<title or author>"),
        _TYPE,
        Option("include_disputed", "Include facts disputed in this server (tagged disputed)", kind=bool),
    ),
)

COMMANDS: dict[str, CommandSpec] = {
    c.name: c for c in (FACT, SOURCE, SYNTHESIS, CHECK, FLAG, UNFLAG, DISPUTES, QUIZ, EXPORT, HELP)
}


def leaves() -> list[CommandSpec]:
    """Every command a person types: the plain commands and each group's subcommands."""
    return [leaf for c in COMMANDS.values() for leaf in (c.subcommands or (c,))]
