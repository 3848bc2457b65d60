"""Synthetic concept pages shaped like the seed, for load tests and benchmarks.

Every number that describes a page is measured from the seed, not written here: each generated
block (synthesis paragraph or model perspective) mirrors one of the seed's, with the same prose
around the same citations (`[fact:N|label]` labels and bare labels cut from the generated page's
own facts, `[n, m]` groups of the same sizes); the facts are the seed's, shuffled, with words
swapped from its vocabulary (so the seed's type proportions and lengths); sources follow the seed's
skew (one big source, a tail of small ones), some shared across pages, a few with authors and dates.
Each page also gets a few rare made-up words, so rare-keyword queries exist.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from storage.pages.barelabels import is_abbreviation
from storage.pages.format import parse_file
from storage.pages.records import Page
from storage.textnorm import STOP_WORDS, words

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
PAGE_FACTS = 285  # as many facts as the seed has (a test checks it)
SYLLABLES = ("ka", "lo", "mi", "ren", "tor", "vex", "qui", "zan", "bel", "dro", "fy", "gol", "hux", "pri", "sto")
SWAP_EVERY = 6  # one word in this many is swapped for another of the seed's words
SHARED_SOURCES = 0.3  # share of a page's sources taken from a pool every page draws from
SHARED_POOL = 3  # variants of each seed source in that pool
SOURCE_SPREAD = 0.7  # a page has between this share of the seed's source count and one more
BARE_TRIES = 20  # facts tried for a bare label before one with an inner period is used
RARE_FACTS = 0.02  # share of facts that get one of the page's rare words (besides one each at least)
_BRACKETS = re.compile(r"\[fact:\d+\|[^\]]*\]|\[(?P<nums>\d+(?:\s*,\s*\d+)*)\]")


@dataclass(frozen=True)
class Cite:
    """A citation's place in a seed block: what kind it is and how long its label is."""

    kind: str  # "fact" | "number" | "bare"
    size: int  # words of the label, or numbers in the group
    lowercase: bool = False  # a bare label written in lowercase (the sentence's own words)


Segment = str | Cite


@dataclass(frozen=True)
class Template:
    """What the generator measures and borrows from a real page."""

    facts: list[tuple[str, str]]  # (type, text)
    words: list[str]
    sources: list[tuple[str, str, str, tuple[str, ...], bool, int]]  # title, domain, publisher, authors, dated, facts
    subtitle: str
    paragraphs: list[list[Segment]]
    perspectives: list[tuple[str, list[Segment]]]  # (header line, body)


def template_from(seed: Path) -> Template:
    page: Page = parse_file(seed)
    facts = [(f.type, f.text) for f in page.facts]
    vocab = sorted({w for _, t in facts for w in t.split() if w.isalpha() and len(w) > 4})
    sources = [(s.title, s.domain, s.publisher, s.authors, s.date is not None, s.declared_facts) for s in page.sources]
    paragraphs = [segments(p.raw, [c.label for c in p.citations if c.kind == "bare"]) for p in page.paragraphs]
    perspectives = [
        (_header(p.model, p.stance, p.confidence), segments(p.raw, [c.label for c in p.citations if c.kind == "bare"]))
        for p in page.perspectives
    ]
    return Template(facts, vocab, sources, page.subtitle, paragraphs, perspectives)


def segments(raw: str, bare_labels: list[str]) -> list[Segment]:
    """A block's raw text as prose and the citations between it (bare labels given in order)."""
    spans: list[tuple[int, int, Cite]] = []
    for match in _BRACKETS.finditer(raw):
        if match["nums"] is None:
            label = match.group()[match.group().index("|") + 1 : -1]
            spans.append((match.start(), match.end(), Cite("fact", len(label.split()))))
        else:
            spans.append((match.start(), match.end(), Cite("number", len(match["nums"].split(",")))))
    brackets = list(spans)
    cursor = 0
    for label in bare_labels:
        at = raw.find(label, cursor)
        while any(start <= at < end for start, end, _ in brackets):  # the same words inside a [fact:N|label]
            at = raw.find(label, at + 1)
        spans.append((at, at + len(label), Cite("bare", len(label.split()), label[:1].islower())))
        cursor = at + len(label)
    out: list[Segment] = []
    last = 0
    for start, end, cite in sorted(spans, key=lambda span: span[0]):
        out += [raw[last:start], cite]
        last = end
    out.append(raw[last:])
    return out


def _header(model: str, stance: str | None, confidence: int | None) -> str:
    parts = [model, stance, None if confidence is None else f"{confidence}% confidence"]
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class SharedSources:
    """The sources pages have in common: per seed source, a few title variants."""

    variants: list[list[str]]
    dates: list[list[str | None]]


def shared_sources(template: Template, rng: random.Random) -> SharedSources:
    variants, dates = [], []
    for title, _, _, _, dated, _ in template.sources:
        variants.append([f"{title.rstrip('. ')} {rng.choice(template.words)}" for _ in range(SHARED_POOL)])
        dates.append([_date(rng) if dated else None for _ in range(SHARED_POOL)])
    return SharedSources(variants, dates)


def rare_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(4))


def page_text(
    number: int, facts_wanted: int, template: Template, rng: random.Random, shared: SharedSources | None = None
) -> tuple[str, list[str]]:
    """One page with `facts_wanted` facts; returns the text and its rare words."""
    shared = shared or shared_sources(template, rng)
    rare = [rare_word(rng) for _ in range(3)]
    facts = _facts(facts_wanted, template, rare, rng)
    source_blocks: list[str] = []
    first = 0
    for position, count in _source_counts(facts_wanted, template, rng):
        header = _source_header(number, len(source_blocks), position, count, template, shared, rng)
        source_blocks.append("\n".join([header, *(f"{kind}{text}" for kind, text in facts[first : first + count])]))
        first += count
    citing = _Citing([text for _, text in facts], rng)
    paragraphs = [citing.block(shape, template) for shape in template.paragraphs]
    perspectives = [line for header, shape in template.perspectives for line in (header, citing.block(shape, template))]
    lines = [
        "concept", "", f"synthetic concept {number:06d}", "", template.subtitle, "",
        *paragraphs, "", f"Model Perspectives ({len(template.perspectives)})", *perspectives, "",
        f"Facts ({len(facts)})", "", "Sources", *source_blocks,
    ]
    return "\n".join(lines) + "\n", rare


def _facts(wanted: int, template: Template, rare: list[str], rng: random.Random) -> list[tuple[str, str]]:
    """The seed's facts (all of them, shuffled, when as many are wanted), words swapped, rare words added."""
    picked = rng.sample(template.facts, wanted) if wanted <= len(template.facts) else rng.choices(template.facts, k=wanted)
    with_rare = set(rng.sample(range(wanted), min(wanted, len(rare))))
    facts = []
    for index, (kind, text) in enumerate(picked):
        tokens = vary(text.split(), template.words, rng)
        if index in with_rare or rng.random() < RARE_FACTS:
            tokens.insert(rng.randrange(len(tokens) + 1), rare[index % len(rare)])
        sentence = " ".join(tokens)
        facts.append((kind, sentence[0].upper() + sentence[1:]))
    return facts


def vary(tokens: list[str], vocabulary: list[str], rng: random.Random) -> list[str]:
    """`tokens` with one plain word in SWAP_EVERY swapped (punctuated ones stay: they end clauses)."""
    plain = [i for i, token in enumerate(tokens) if token.isalpha()]
    for i in rng.sample(plain, min(len(plain), len(tokens) // SWAP_EVERY)):
        tokens[i] = rng.choice(vocabulary)
    return tokens


def _source_counts(total: int, template: Template, rng: random.Random) -> list[tuple[int, int]]:
    """(seed source position, facts) per source: the seed's biggest source and a sample of the rest,
    their fact counts scaled to `total` (each at least one)."""
    seed_count = len(template.sources)
    wanted = min(total, rng.randint(max(1, round(seed_count * SOURCE_SPREAD)), seed_count + 1))
    rest = list(range(1, seed_count))
    positions = [0] + sorted(rng.sample(rest, min(wanted - 1, len(rest))))
    positions += rng.choices(rest or [0], k=wanted - len(positions))  # one more than the seed has
    weights = [template.sources[p][5] * rng.uniform(0.8, 1.2) for p in positions]
    counts = [1] * len(positions)
    spare = total - len(positions)
    shares = [spare * w / sum(weights) for w in weights]
    for i, share in enumerate(shares):
        counts[i] += int(share)
    by_remainder = sorted(range(len(shares)), key=lambda i: shares[i] - int(shares[i]), reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return list(zip(positions, counts))


def _source_header(
    page: int, index: int, position: int, count: int, template: Template, shared: SharedSources, rng: random.Random
) -> str:
    title, domain, publisher, authors, dated, _ = template.sources[position]
    if rng.random() < SHARED_SOURCES:
        variant = rng.randrange(SHARED_POOL)
        title, date = shared.variants[position][variant], shared.dates[position][variant]
    else:
        title = f"{title.rstrip('. ')} {rng.choice(template.words)} {page}-{index}"
        date = _date(rng) if dated else None
    people = f"{', '.join(authors)} · {publisher}" if authors else publisher
    return f"{title} {domain} {people}{f' {date}' if date else ''} {count} fact{'s' if count != 1 else ''}"


def _date(rng: random.Random) -> str:
    return f"{rng.choice(MONTHS)} {rng.randint(1, 28)}, {rng.randint(1990, 2025)}"


class _Citing:
    """Fills a seed block's citations with the generated page's facts."""

    def __init__(self, fact_texts: list[str], rng: random.Random) -> None:
        self.facts = fact_texts
        self.rng = rng
        # The page's own numbering of the facts it cites, as a generator would give: not positions.
        self.numbers = rng.sample(range(1, len(fact_texts) * 2 + 1), len(fact_texts))

    def block(self, shape: list[Segment], template: Template) -> str:
        out = []
        for segment in shape:
            if isinstance(segment, str):
                out.append(" ".join(vary(segment.split(" "), template.words, self.rng)))
            elif segment.kind == "fact":
                index = self.rng.randrange(len(self.facts))
                out.append(f"[fact:{self.numbers[index]}|{self._opening(index, segment.size)}]")
            elif segment.kind == "number":
                out.append("[" + ", ".join(str(n) for n in self.rng.sample(range(1, 100), segment.size)) + "]")
            else:
                label = self._bare_label(segment.size)
                out.append(label.lower() if segment.lowercase else label)
        return "".join(out)

    def _bare_label(self, size: int) -> str:
        """A fact's opening that a reader could take for a label: no sentence ends inside it."""
        for _ in range(BARE_TRIES):
            label = self._opening(self.rng.randrange(len(self.facts)), size)
            if not any(token[-1] in ".!?" for token in label.split()[:-1]):
                return label
        return label

    def _opening(self, index: int, size: int) -> str:
        """The first `size` words of a fact, or more until they name three things (as a label does)
        and end on a word that can end a clause ("et al." cannot)."""
        tokens = self.facts[index].split()
        size = min(size, len(tokens))
        while size < len(tokens) and (
            len({w for w in words(" ".join(tokens[:size])) if w not in STOP_WORDS}) < 3
            or is_abbreviation(tokens[size - 1].rstrip(".,;:") + ".")
        ):
            size += 1
        return " ".join(tokens[:size]).rstrip(".,;:")


def write_corpus(
    folder: Path, total_facts: int, seed: Path, per_page: int = PAGE_FACTS, rng_seed: int = 7
) -> Iterator[tuple[Path, list[str]]]:
    """Write pages into `folder` until `total_facts` facts exist; yields each path and its rare words."""
    rng = random.Random(rng_seed)
    template = template_from(seed)
    shared = shared_sources(template, rng)
    folder.mkdir(parents=True, exist_ok=True)
    written, number = 0, 0
    while written < total_facts:
        count = min(per_page, total_facts - written)
        text, rare = page_text(number, count, template, rng, shared)
        path = folder / f"page_{number:06d}.txt"
        path.write_text(text, encoding="utf-8")
        yield path, rare
        written += count
        number += 1
