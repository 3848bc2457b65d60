"""One page file -> the rows the loader writes, with every CPU-bound step done (runs in a worker).

The result is made of plain tuples and strings on purpose: it crosses a process boundary, and
pickling tuples costs a fifth of what pickling the parser's dataclasses does.
"""

from __future__ import annotations

import json
import marshal
from dataclasses import dataclass, fields
from pathlib import Path

from storage.identity import ID_LENGTH, fact_keys, short_ids
from storage.pages.acronyms import find_acronyms
from storage.pages.format import PageFormatError, parse_file
from storage.pages.records import Page, Paragraph, Perspective, SourceRecord
from storage.textnorm import fold


@dataclass(frozen=True)
class Prepared:
    """A parsed page as rows ready for SQL (picklable, cheap to send between processes)."""

    path: str
    concept: str
    subtitle: str
    content_hash: str
    sources: list[tuple]  # (title, domain, publisher, authors as JSON, date, declared facts)
    source_search: list[tuple[str, str]]  # folded (title + domain, citation words) of each source
    facts: list[tuple[int, str, str]]  # (source position, type, text)
    # Folded fact texts for the search index; None where that is just the text in lowercase (plain
    # ASCII, most facts), which the writer does itself: this halves the bytes a page sends.
    bodies: list[str | None]
    keys: list[str]  # content hash of each fact
    ids: list[str]  # the short id each key gets unless another fact owns it
    paragraphs: list[tuple[str, str]]  # (text, raw)
    perspectives: list[tuple]  # (model, stance, confidence, text, raw)
    citations: list[tuple]  # (block, item, position, kind, number, label, fact position or None, score, anchor)
    acronyms: list[tuple[str, str]]

    def packed(self) -> bytes:
        """The page as bytes to send to the writer: marshal takes half the time pickle does."""
        # Exact: every field is made of str, int, float, None, lists and tuples, which marshal keeps.
        return marshal.dumps(tuple([getattr(self, name) for name in _FIELDS]))

    @classmethod
    def unpacked(cls, data: bytes) -> Prepared:
        """The page `packed` gave."""
        return cls(*marshal.loads(data))


_FIELDS = [f.name for f in fields(Prepared)]


def prepare(path: Path) -> Prepared | PageFormatError:
    """Parse one page and work out its rows, keys, ids, folded texts and acronyms."""
    try:
        page = parse_file(path)
    except PageFormatError as error:
        return error
    keys = fact_keys(page)
    return Prepared(
        path=page.path,
        concept=page.concept,
        subtitle=page.subtitle,
        content_hash=page.content_hash,
        sources=[_source_row(s) for s in page.sources],
        source_search=[(fold(f"{s.title} {s.domain}"), fold(citation_text(s))) for s in page.sources],
        facts=[(f.source_index, f.type, f.text) for f in page.facts],
        bodies=[None if f.text.isascii() else body for f, body in zip(page.facts, page.folded_facts)],
        keys=keys,
        ids=short_ids(keys, ID_LENGTH),
        paragraphs=[(p.text, p.raw) for p in page.paragraphs],
        perspectives=[(p.model, p.stance, p.confidence, p.text, p.raw) for p in page.perspectives],
        citations=_citation_rows(page),
        # Wherever the page spells an acronym out, it teaches the pair ("magnetoencephalography
        # (MEG)" is in a perspective only).
        acronyms=sorted(find_acronyms([f.text for f in page.facts] + [p.text for p in page.paragraphs]
                                      + [p.text for p in page.perspectives])),
    )


def citation_text(source: SourceRecord) -> str:
    """The words a fact is findable by through its source: publisher, authors, year, title."""
    year = source.date[:4] if source.date else ""
    return " ".join([source.title, source.publisher, *source.authors, year])


def _source_row(source: SourceRecord) -> tuple:
    authors = json.dumps(list(source.authors), ensure_ascii=False)
    return (source.title, source.domain, source.publisher, authors, source.date, source.declared_facts)


def _citation_rows(page: Page) -> list[tuple]:
    rows = []
    blocks: tuple[tuple[str, tuple[Paragraph | Perspective, ...]], ...] = (
        ("synthesis", page.paragraphs), ("perspective", page.perspectives)
    )
    for block, items in blocks:
        for item, entry in enumerate(items):
            for position, c in enumerate(entry.citations):
                rows.append((block, item, position, c.kind, c.number, c.label, c.fact_index, c.score, c.start))
    return rows
