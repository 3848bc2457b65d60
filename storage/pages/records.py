"""Plain records parsed from a concept page; no storage or Discord concerns here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

FACT_TYPES: tuple[str, ...] = ("claim", "measurement", "reference", "procedure", "account", "perspective")


class Citation(NamedTuple):
    """One inline citation: `[fact:N|label]`, a number from `[21, 46]`, or a bare label."""

    # A NamedTuple, not a frozen dataclass: a page makes hundreds of these and thousands of
    # FactRecords, and a frozen dataclass's __init__ (one object.__setattr__ per field) cost 3x more.

    kind: str  # "fact" | "number" | "bare"
    label: str | None
    number: int | None
    fact_index: int | None  # position in Page.facts, None when unresolved
    score: float
    start: int  # offset of the citation's anchor in the cleaned text (where a footnote goes)


@dataclass(frozen=True)
class Paragraph:
    raw: str
    text: str
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class Perspective:
    model: str
    stance: str | None
    confidence: int | None
    raw: str
    text: str
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class SourceRecord:
    title: str
    domain: str
    publisher: str
    authors: tuple[str, ...]
    date: str | None  # ISO yyyy-mm-dd
    declared_facts: int
    line: int


class FactRecord(NamedTuple):  # a NamedTuple for the reason Citation is one
    type: str
    text: str
    source_index: int
    line: int


@dataclass(frozen=True)
class Page:
    path: str
    concept: str
    subtitle: str
    paragraphs: tuple[Paragraph, ...]
    perspectives: tuple[Perspective, ...]
    sources: tuple[SourceRecord, ...]
    facts: tuple[FactRecord, ...]
    content_hash: str = field(default="", compare=False)
    folded_facts: tuple[str, ...] = field(default=(), compare=False, repr=False)  # each fact's text, folded
