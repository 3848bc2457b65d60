"""The plain-data answers every surface renders (Discord embeds, console text, JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any


@dataclass(frozen=True)
class SourceInfo:
    id: int
    title: str
    domain: str
    publisher: str
    authors: tuple[str, ...]
    date: str | None
    fact_count: int
    concept: str

    @property
    def url(self) -> str:
        return f"https://{self.domain}" if self.domain else ""

    @property
    def byline(self) -> str:
        """Authors then publisher, or the publisher alone."""
        if not self.authors:
            return self.publisher
        names = ", ".join(self.authors[:3]) + (" et al." if len(self.authors) > 3 else "")
        return f"{names} · {self.publisher}"


@dataclass(frozen=True)
class Dispute:
    """A fact's open dispute in one guild, with every reason given so far."""

    fact_id: str
    guild_id: int
    reasons: tuple[str, ...]
    flagged_by: tuple[str, ...]
    flagged_at: str


@dataclass(frozen=True)
class Missing:
    """Why an answer is empty, in the one shape every renderer shows: what was asked for, what exists."""

    what: str  # "fact" | "source" | "concept" | "type" | "perspective" | "text" | "related fact" | "deck"
    asked: str
    choices: tuple[str, ...] = ()  # every valid value, when there are few enough to list
    nearest: tuple[str, ...] = ()  # the closest things that do exist (did you mean)
    as_filter: bool = False  # a filter of a search named nothing, so nothing was searched
    scope: str = ""  # the concept a perspective number was asked of, or a source search was kept to
    filtered_out: bool = False  # the words find facts, but none the filters allow
    limit: int = 0  # "deck": the most facts one may hold (asked is how many were selected)
    mentioned: int = 0  # "source": facts whose text has the words asked (a journal cited in a fact)
    mentioned_more: bool = False  # and there are more than that many (the search's cap)

    @property
    def message(self) -> str:
        asked = " ".join(self.asked.split())[:200]
        if self.what == "perspective":
            return f"{self.scope} has perspectives 1-{len(self.choices)}; there is no perspective {asked}."
        if self.what == "concept" and not asked:
            return "No concept is loaded."
        if self.what == "deck":
            return (f"These filters select {asked} facts, more than the {self.limit:,} a deck sent here may hold. "
                    "Narrow it: concept:, source: or type: (e.g. /export type:claim).")
        if self.what == "text":
            return "There is no text to check: the message has none (an image or a file alone, say)."
        if self.what == "related fact":
            return "Nothing on the loaded pages is closely related to this message, so there is nothing to check it against."
        if self.choices:
            text = f"No {self.what} “{asked}”; {self.what}s are {', '.join(self.choices)}."
        elif self.as_filter:
            text = f"No {self.what} matches the filter “{asked}”, so nothing was searched."
        elif self.filtered_out:
            return (f"No {self.what} matches “{asked}” with these filters, though some do without them:"
                    " drop type:, source: or concept: to see them.")
        else:
            text = f"No {self.what} matches “{asked}”."
        if self.mentioned:
            # "lancet": no source is the journal, but facts cite it; /fact is where they are.
            some = ("1 fact mentions it: search it" if self.mentioned == 1
                    else f"{self.mentioned:,}{'+' if self.mentioned_more else ''} facts mention it: search them")
            within = f" concept:{self.scope}" if self.scope else ""
            text += f" {some} with /fact {asked}{within}."
        elif self.nearest:
            text += " Did you mean: " + ", ".join(self.nearest) + "?"
        return text


@dataclass(frozen=True)
class FactView:
    id: str
    type: str
    text: str
    score: float | None
    concept: str
    source: SourceInfo
    disputes: tuple[Dispute, ...] = ()
    match: str | None = None  # for search results: found by "words", "meaning" or "both"

    @property
    def disputed(self) -> bool:
        return bool(self.disputes)

    @property
    def dispute_reasons(self) -> list[str]:
        return [r for d in self.disputes for r in d.reasons]


@dataclass(frozen=True)
class FactAnswer:
    query: str
    results: list[FactView]
    total: int
    offset: int
    missing: Missing | None = None  # why there are no results
    corrections: dict[str, str] = field(default_factory=dict)
    exact: bool = False  # the query was a fact id
    elapsed_ms: float = 0.0
    capped: bool = False  # more facts match than one search ranks: `total` is the best MAX_RESULTS
    renamed: dict[str, str] = field(default_factory=dict)  # typed -> the page's name ("xanax" -> "benzodiazepine")

    @property
    def searched_as(self) -> dict[str, str]:
        """Typed words searched as other words: corrected, or by the name the page uses."""
        return {**self.corrections, **self.renamed}

    @property
    def of_total(self) -> str:
        """How many results there are, in words: "17", or "the best 50" when more match."""
        return f"the best {self.total}" if self.capped else str(self.total)

    @property
    def suggestions(self) -> list[str]:
        """Did-you-mean words for a search that found nothing."""
        return list(self.missing.nearest) if self.missing and self.missing.what == "fact" else []


@dataclass(frozen=True)
class CheckAnswer:
    """The facts most related to a piece of text (a chat message), or why there are none."""

    text: str  # the text checked, as cut to MAX_CHECK
    results: list[FactView]  # each with its relatedness as score and how it was found as match
    missing: Missing | None = None  # "text": nothing to check; "related fact": nothing related
    elapsed_ms: float = 0.0


@dataclass(frozen=True)
class SourceView:
    source: SourceInfo
    score: float | None
    counts_by_type: dict[str, int]
    sample: list[FactView]
    disputed: list[str] = field(default_factory=list)  # ids of its facts with an open dispute


@dataclass(frozen=True)
class SourceAnswer:
    query: str | None
    results: list[SourceView]
    total: int
    offset: int
    missing: Missing | None = None
    elapsed_ms: float = 0.0

    @property
    def suggestions(self) -> list[str]:
        return list(self.missing.nearest) if self.missing and self.missing.what == "source" else []


@dataclass(frozen=True)
class CitationView:
    kind: str
    label: str | None
    number: int | None
    fact_id: str | None
    score: float
    anchor: int
    disputed: bool = False


@dataclass(frozen=True)
class Block:
    """A synthesis paragraph or a model perspective, with its citations."""

    text: str
    citations: list[CitationView]
    model: str | None = None
    stance: str | None = None
    confidence: int | None = None

    @property
    def disputed(self) -> bool:
        return any(c.disputed for c in self.citations)

    @property
    def unresolved(self) -> int:
        """Citations in the text that name no fact of the page (a source list the page lacks)."""
        return sum(1 for c in self.citations if not c.fact_id)

    @property
    def unresolved_note(self) -> str:
        return unresolved_note(self.unresolved, "this text")


def unresolved_note(count: int, where: str) -> str:
    """What citations naming no fact of the page come to ("" for none)."""
    if not count:
        return ""
    return f"{count} citation{'s' if count != 1 else ''} in {where} name no fact of the page, so they are not shown."


@dataclass(frozen=True)
class SynthesisAnswer:
    concept: str
    subtitle: str
    paragraphs: list[Block]
    perspectives: list[Block]
    cited: dict[str, FactView] = field(default_factory=dict)  # fact id -> every fact a block cites


def footnotes(blocks: list[Block]) -> dict[str, int]:
    """Fact id -> its footnote number: the facts the blocks cite, numbered in order of first citation."""
    numbers: dict[str, int] = {}
    for block in blocks:
        for citation in block.citations:
            if citation.fact_id:
                numbers.setdefault(citation.fact_id, len(numbers) + 1)
    return numbers


@dataclass(frozen=True)
class FlagEvent:
    fact_id: str
    guild_id: int
    action: str
    actor: str
    actor_id: int | None
    reason: str
    at: str


GONE = SourceInfo(0, "no longer on any loaded page", "", "", (), None, 0, "")


def gone_fact(fact_id: str, text: str, disputes: tuple[Dispute, ...]) -> FactView:
    """A disputed fact that its page no longer has, as the flag history remembers it."""
    return FactView(fact_id, "removed", text, None, "", GONE, disputes)


def with_event(fact: FactView, event: FlagEvent) -> FactView:
    """The fact's disputes as a recorded flag or unflag left them (when they cannot be read back)."""
    others = tuple(d for d in fact.disputes if d.guild_id != event.guild_id)
    if event.action == "unflag":
        return replace(fact, disputes=others)
    mine = next((d for d in fact.disputes if d.guild_id == event.guild_id), None)
    if mine is None:
        mine = Dispute(fact.id, event.guild_id, (event.reason,), (event.actor,), event.at)
    else:
        actors = tuple(dict.fromkeys((*mine.flagged_by, event.actor)))
        mine = replace(mine, reasons=(*mine.reasons, event.reason), flagged_by=actors)
    return replace(fact, disputes=(*others, mine))


@dataclass(frozen=True)
class FlagResult:
    fact: FactView
    event: FlagEvent
    already_disputed: bool


def to_json(value: Any) -> Any:
    """A dataclass answer as JSON-ready dicts (properties such as `disputed` included)."""
    if hasattr(value, "__dataclass_fields__"):
        data = {f.name: to_json(getattr(value, f.name)) for f in fields(value)}
        for name in ("disputed", "url", "byline", "dispute_reasons"):
            if hasattr(type(value), name):
                data[name] = to_json(getattr(value, name))
        return data
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value
