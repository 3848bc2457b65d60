"""One page file -> the rows the loader writes, with every CPU-bound step done (runs in a worker).

The result is made of plain tuples and strings on purpose: it crosses a process boundary, and
pickling tuples costs a fifth of what pickling the parser's dataclasses does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from storage.pages.acronyms import find_acronyms
from storage.pages.format import PageFormatError, parse_file
from storage.pages.records import Page, SourceRecord
from storage.textnorm import fold

ID_LENGTH = 8  # 40 bits: a clash is unlikely below a million facts and handled when it happens

_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # RFC 4648 base32, lowercase
_PAIRS = tuple(a + b for a in _ALPHABET for b in _ALPHABET)  # every 10-bit value as two characters


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
        ids=[short_id(key, ID_LENGTH) for key in keys],
        paragraphs=[(p.text, p.raw) for p in page.paragraphs],
        perspectives=[(p.model, p.stance, p.confidence, p.text, p.raw) for p in page.perspectives],
        citations=_citation_rows(page),
        acronyms=sorted(find_acronyms([f.text for f in page.facts] + [p.text for p in page.paragraphs])),
    )


def fact_key_of(concept: str, title: str, domain: str, fact_type: str, text: str) -> str:
    """The content a fact id is derived from, hashed (hex)."""
    parts = (fold(concept), title, domain, fact_type, text)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def fact_keys(page: Page) -> list[str]:
    """Every fact's key (as fact_key_of), with repeats of one fact under one source told apart."""
    # The concept, title and domain are joined once per source, not once per fact.
    heads = [f"{fold(page.concept)}\x1f{s.title}\x1f{s.domain}\x1f" for s in page.sources]
    sha256 = hashlib.sha256
    keys = [sha256(f"{heads[f.source_index]}{f.type}\x1f{f.text}".encode("utf-8")).hexdigest() for f in page.facts]
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key in seen:
            seen[key] += 1
            keys[i] = sha256(f"{key}#{seen[key]}".encode()).hexdigest()
        else:
            seen[key] = 0
    return keys


def short_id(key_hash: str, length: int) -> str:
    """A typeable id: the key hash's leading bits in lowercase base32 (no padding), `length` characters."""
    pairs = (length + 1) // 2
    hex_digits = (pairs * 10 + 3) // 4
    bits = int(key_hash[:hex_digits].ljust(hex_digits, "0"), 16) >> (hex_digits * 4 - pairs * 10)
    text = ""
    for shift in range(pairs * 10 - 10, -1, -10):
        text += _PAIRS[(bits >> shift) & 1023]
    return text[:length]


def citation_text(source: SourceRecord) -> str:
    """The words a fact is findable by through its source: publisher, authors, year, title."""
    year = source.date[:4] if source.date else ""
    return " ".join([source.title, source.publisher, *source.authors, year])


def _source_row(source: SourceRecord) -> tuple:
    authors = json.dumps(list(source.authors), ensure_ascii=False)
    return (source.title, source.domain, source.publisher, authors, source.date, source.declared_facts)


def _citation_rows(page: Page) -> list[tuple]:
    rows = []
    for block, items in (("synthesis", page.paragraphs), ("perspective", page.perspectives)):
        for item, entry in enumerate(items):
            for position, c in enumerate(entry.citations):
                rows.append((block, item, position, c.kind, c.number, c.label, c.fact_index, c.score, c.start))
    return rows
