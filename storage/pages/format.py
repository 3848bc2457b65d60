"""A concept page -> records. The page format's one source of truth.

Layout of a page (blank lines between blocks are optional):

    concept
    <concept name>
    <subtitle, e.g. "synthesized from dimensions">
    <synthesis paragraphs ...>
    Model Perspectives (N)
    <model id> [stance] NN% confidence
    <perspective text>            (repeated N times)
    Facts (N)
    Sources
    <title> <domain> <publisher | authors · publisher> [Mon D, YYYY] N facts
    <type><fact text>             (type glued to the text, N lines)
"""

from __future__ import annotations

import hashlib
import re
from datetime import date as calendar_date
from itertools import compress, count, repeat
from pathlib import Path
from typing import NamedTuple

from storage.pages.citations import extract_citations
from storage.pages.labels import CitationResolver
from storage.pages.records import (
    FACT_TYPES,
    FactRecord,
    Page,
    Paragraph,
    Perspective,
    SourceRecord,
)

MAX_PAGE_BYTES = 20 * 1024 * 1024


class PageFormatError(ValueError):
    """A concept page that cannot be read; names the file and the line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.reason = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple:
        # Pages are parsed in another process; the default pickling would pass only the message.
        return (PageFormatError, (self.path, self.line, self.reason))


_PERSPECTIVES = re.compile(r"^Model Perspectives \((\d+)\)$")
# A concept name or subtitle is a short line without citations; one that is long or cites is a
# synthesis paragraph, so a line above it is missing.
MAX_HEADING = 200
_CITES = re.compile(r"\[(?:fact:|\d)")
_FACTS = re.compile(r"^Facts \((\d+)\)$")
_MODEL_HEADER = re.compile(
    r"^(?P<model>[\w.:-]+(?:/[\w.:-]+)+)(?:\s+(?P<stance>[a-z]+))?(?:\s+(?P<conf>\d{1,3})% confidence)?$"
)
_FACT_LINE = re.compile(r"^(?P<type>" + "|".join(FACT_TYPES) + r")(?P<text>[^a-z\s].*)$")
_SOURCE_LINE = re.compile(r"^(?P<head>.+?)\s+(?P<count>\d+) facts?$")
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
_DATE = re.compile(
    r"\s+(?P<date>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4}|\d{4}-\d{2}-\d{2})$"
)


# The parts of a date _DATE found, its periods removed: "Sep 5, 2020", "September 5, 2020", "2020-09-05".
_DATE_PARTS = re.compile(r"^(?:([A-Za-z]+) (\d{1,2}), (\d{4})|(\d{4}-\d{2}-\d{2}))$")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")
_MONTHS = {name.lower(): number for number, full in enumerate(_MONTH_NAMES, 1) for name in (full, full[:3])}


class _Line(NamedTuple):
    number: int
    text: str


def parse_file(path: str | Path) -> Page:
    """Read and parse one page file; raises PageFormatError naming the file and line."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_PAGE_BYTES:
            raise PageFormatError(str(path), None, f"file is {size:,} bytes, more than the {MAX_PAGE_BYTES:,} a page may have")
        data = path.read_bytes()
    except OSError as exc:
        raise PageFormatError(str(path), None, f"cannot read file: {exc.strerror or exc}") from exc
    return parse_bytes(data, str(path))


def parse_bytes(data: bytes, path: str) -> Page:
    """Decode UTF-8 (with a clear error) and parse."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PageFormatError(path, line, "not valid UTF-8 text") from exc
    page = parse_text(text, path)
    return _with_hash(page, page_digest(data))


# Raised whenever the same bytes parse into other rows (citations, acronyms, ...): a page loaded
# by an older parser then no longer looks unchanged, so the next load reads it again. Its facts
# keep their ids, which come from their content, not from this.
PARSER_VERSION = 2  # 2: acronyms spelled out in perspectives are learned too


def page_digest(data: bytes) -> str:
    """What identifies a page file's loaded form: its bytes, as this parser version reads them."""
    return hashlib.sha256(b"factbot-parser-%d\0" % PARSER_VERSION + data).hexdigest()


def _with_hash(page: Page, digest: str) -> Page:
    from dataclasses import replace

    return replace(page, content_hash=digest)


def parse_text(text: str, path: str = "<page>") -> Page:
    """Parse the text of one concept page into a Page."""
    if "\x00" in text:
        raise PageFormatError(path, text[: text.index("\x00")].count("\n") + 1, "binary data (NUL byte) in a text page")
    stripped = list(map(str.strip, text.splitlines()))
    # The non-blank lines with their numbers, built without a Python call per line (a page has
    # hundreds; _Line's own constructor is Python code).
    lines = list(map(tuple.__new__, repeat(_Line), compress(zip(count(1), stripped), stripped)))
    reader = _Reader(path, lines)
    return reader.page()


class _Reader:
    """Walks the non-blank lines of one page, block by block."""

    def __init__(self, path: str, lines: list[_Line]) -> None:
        self.path = path
        self.lines = lines
        self.pos = 0

    def fail(self, line: _Line | None, message: str) -> PageFormatError:
        return PageFormatError(self.path, line.number if line else None, message)

    def peek(self) -> _Line | None:
        return self.lines[self.pos] if self.pos < len(self.lines) else None

    def take(self, what: str) -> _Line:
        line = self.peek()
        if line is None:
            last = self.lines[-1] if self.lines else None
            raise self.fail(last, f"page ends early: expected {what}")
        self.pos += 1
        return line

    def page(self) -> Page:
        first = self.take("the word 'concept' on the first line")
        if first.text.lower() != "concept":
            raise self.fail(first, f"expected the word 'concept', found {first.text[:60]!r}")
        concept = self.take("the concept name").text
        subtitle = self.take("the subtitle (e.g. 'synthesized from dimensions')").text
        if _PERSPECTIVES.match(concept) or _PERSPECTIVES.match(subtitle):
            raise self.fail(self.lines[self.pos - 1], "concept name or subtitle missing")
        for number, (what, text) in enumerate((("concept name", concept), ("subtitle", subtitle))):
            if len(text) > MAX_HEADING or _CITES.search(text):
                raise self.fail(self.lines[self.pos - 2 + number],
                                f"expected the {what} (a short line), found synthesis text: "
                                "is the concept name or the subtitle missing?")
        paragraph_lines = self._until(_PERSPECTIVES, "'Model Perspectives (N)'")
        perspectives_header, declared_perspectives = self._count_line(_PERSPECTIVES, "'Model Perspectives (N)'")
        raw_perspectives = self._perspectives()
        if len(raw_perspectives) != declared_perspectives:
            raise self.fail(
                perspectives_header,
                f"'Model Perspectives ({declared_perspectives})' declares {declared_perspectives} "
                f"but {len(raw_perspectives)} were found",
            )
        facts_header, declared_facts = self._count_line(_FACTS, "'Facts (N)'")
        sources_line = self.take("'Sources'")
        if sources_line.text != "Sources":
            raise self.fail(sources_line, f"expected 'Sources', found {sources_line.text[:60]!r}")
        sources, facts = self._sources()
        if len(facts) != declared_facts:
            raise self.fail(
                facts_header, f"'Facts ({declared_facts})' declares {declared_facts} but {len(facts)} facts were found"
            )
        resolver = CitationResolver([f.text for f in facts])
        paragraphs = tuple(_paragraph(ln.text, resolver) for ln in paragraph_lines)
        if not paragraphs:
            raise self.fail(perspectives_header, "the synthesis has no paragraphs")
        perspectives = tuple(_perspective(header, body, resolver) for header, body in raw_perspectives)
        return Page(
            self.path, concept, subtitle, paragraphs, perspectives, tuple(sources), tuple(facts),
            folded_facts=tuple(resolver.folded),
        )

    def _count_line(self, pattern: re.Pattern[str], what: str) -> tuple[_Line, int]:
        """The next line, which the scan before stopped at because `pattern` matches it, and its count."""
        line = self.take(what)
        match = pattern.match(line.text)
        assert match is not None
        return line, int(match.group(1))

    def _until(self, pattern: re.Pattern[str], what: str) -> list[_Line]:
        found: list[_Line] = []
        while (line := self.peek()) is not None and not pattern.match(line.text):
            if _FACTS.match(line.text) or line.text == "Sources":
                raise self.fail(line, f"expected {what} before this line")
            found.append(line)
            self.pos += 1
        return found

    def _perspectives(self) -> list[tuple[re.Match[str], _Line]]:
        found: list[tuple[re.Match[str], _Line]] = []
        while (line := self.peek()) is not None and not _FACTS.match(line.text):
            header = _MODEL_HEADER.match(line.text)
            if not header:
                raise self.fail(line, f"expected a model header like 'provider/model 90% confidence', found {line.text[:60]!r}")
            self.pos += 1
            body = self.take("the perspective's text")
            if _MODEL_HEADER.match(body.text) or _FACTS.match(body.text):
                raise self.fail(body, "a model perspective has no text")
            found.append((header, body))
        if self.peek() is None:
            raise self.fail(self.lines[-1] if self.lines else None, "page ends early: expected 'Facts (N)'")
        return found

    def _sources(self) -> tuple[list[SourceRecord], list[FactRecord]]:
        sources: list[SourceRecord] = []
        facts: list[FactRecord] = []
        counts: list[int] = []
        fact_line = _FACT_LINE.match
        for line in self.lines[self.pos :]:  # the rest of the page; the hottest loop of a load
            fact = fact_line(line.text)
            if fact:
                if not sources:
                    raise self.fail(line, "a fact comes before any source header")
                fact_type, text = fact.groups()  # ("type", "text"), the pattern's only groups
                if "  " in text or "\t" in text:
                    # Spacing is no content: a fact's id (a hash of its text) survives a re-spaced edit.
                    text = " ".join(text.split())
                facts.append(FactRecord(fact_type, text, len(sources) - 1, line.number))
                counts[-1] += 1
                continue
            source = _source(line)
            if source is None:
                raise self.fail(
                    line,
                    f"neither a fact (type glued to text, e.g. 'claimKetamine ...') nor a source header "
                    f"(title domain publisher [date] N facts): {line.text[:60]!r}",
                )
            if sources:
                self._check_count(sources[-1], counts[-1])
            sources.append(source)
            counts.append(0)
        self.pos = len(self.lines)
        if not sources:
            raise self.fail(self.lines[-1], "the 'Sources' section is empty")
        self._check_count(sources[-1], counts[-1])
        return sources, facts

    def _check_count(self, source: SourceRecord, parsed: int) -> None:
        if source.declared_facts != parsed:
            raise PageFormatError(
                self.path,
                source.line,
                f"source {source.title!r} declares {source.declared_facts} facts but {parsed} follow it",
            )


def _source(line: _Line) -> SourceRecord | None:
    match = _SOURCE_LINE.match(line.text)
    if not match:
        return None
    tokens = match["head"].split(" ")
    domain_at = next((i for i, tok in enumerate(tokens) if i > 0 and _DOMAIN.match(tok)), None)
    if domain_at is None or domain_at == len(tokens) - 1:
        return None
    title = " ".join(tokens[:domain_at]).strip()
    rest = " ".join(tokens[domain_at + 1 :]).strip()
    date = None
    dated = _DATE.search(" " + rest)
    if dated:
        date = _iso_date(dated["date"])
        if date is None:
            return None
        rest = (" " + rest)[: dated.start()].strip()
    authors: tuple[str, ...] = ()
    publisher = rest
    if " · " in rest:
        names, publisher = rest.rsplit(" · ", 1)
        authors = tuple(a.strip() for a in names.split(",") if a.strip())
    if not publisher or not title:
        return None
    return SourceRecord(title, tokens[domain_at], publisher.strip(), authors, date, int(match["count"]), line.number)


def _iso_date(text: str) -> str | None:
    """A _DATE match as yyyy-mm-dd, or None for a day that does not exist ("Feb 30, 2020")."""
    text = text.replace(".", "").replace("Sept ", "Sep ")
    # As strptime would read it with "%b %d, %Y", "%B %d, %Y" or "%Y-%m-%d" (English month names,
    # as in the C locale), at a tenth of the cost; calendar_date turns down the days strptime does.
    parts = _DATE_PARTS.match(text)
    if parts is None:
        return None
    named, day, year, iso = parts.groups()
    try:
        if iso:
            return calendar_date.fromisoformat(iso).isoformat()
        month = _MONTHS.get(named.lower())
        return None if month is None else calendar_date(int(year), month, int(day)).isoformat()
    except ValueError:
        return None


def _paragraph(raw: str, resolver: CitationResolver) -> Paragraph:
    text, citations = extract_citations(raw, resolver)
    return Paragraph(raw, text, citations)


def _perspective(header: re.Match[str], body: _Line, resolver: CitationResolver) -> Perspective:
    text, citations = extract_citations(body.text, resolver)
    confidence = int(header["conf"]) if header["conf"] else None
    return Perspective(header["model"], header["stance"], confidence, body.text, text, citations)
