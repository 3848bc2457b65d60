"""Synthetic concept pages in the seed's format and vocabulary, for load tests and benchmarks.

Pages reuse the seed's sentences with words swapped from its own vocabulary, so term frequencies
look like real pages; each page also gets a few rare made-up terms so rare-keyword queries exist.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from storage.pages.format import parse_file
from storage.pages.records import Page

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
PAGE_FACTS = 285  # as many facts as the seed
SYLLABLES = ("ka", "lo", "mi", "ren", "tor", "vex", "qui", "zan", "bel", "dro", "fy", "gol", "hux", "pri", "sto")


@dataclass(frozen=True)
class Template:
    """What the generator borrows from a real page."""

    facts: list[tuple[str, str]]  # (type, text)
    words: list[str]
    sources: list[tuple[str, str, str, tuple[str, ...]]]  # title, domain, publisher, authors


def template_from(seed: Path) -> Template:
    page: Page = parse_file(seed)
    facts = [(f.type, f.text) for f in page.facts]
    vocab = sorted({w.strip(".,;:()'\"") for _, t in facts for w in t.split() if w.isalpha() and len(w) > 4})
    sources = [(s.title, s.domain, s.publisher, s.authors) for s in page.sources]
    return Template(facts, vocab, sources)


def rare_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(4))


def page_text(number: int, facts_wanted: int, template: Template, rng: random.Random) -> tuple[str, list[str]]:
    """One page with `facts_wanted` facts; returns the text and its rare words."""
    rare = [rare_word(rng) for _ in range(3)]
    per_source = _split(facts_wanted, rng)
    fact_lines: list[str] = []
    source_blocks: list[str] = []
    openings: list[str] = []
    for s_index, count in enumerate(per_source):
        title, domain, publisher, authors = rng.choice(template.sources)
        title = f"{title.rstrip('. ')} {rng.choice(template.words)} {number}-{s_index}"
        date = f" {rng.choice(MONTHS)} {rng.randint(1, 28)}, {rng.randint(1990, 2025)}" if rng.random() < 0.5 else ""
        people = f"{', '.join(authors)} · {publisher}" if authors else publisher
        header = f"{title} {domain} {people}{date} {count} fact{'s' if count != 1 else ''}"
        lines = []
        for _ in range(count):
            kind, text = rng.choice(template.facts)
            words = text.split()
            for _ in range(max(1, len(words) // 6)):
                words[rng.randrange(len(words))] = rng.choice(template.words)
            if rng.random() < 0.02:
                words.insert(rng.randrange(len(words)), rng.choice(rare))
            sentence = " ".join(words)
            openings.append(" ".join(words[:6]))
            lines.append(f"{kind}{sentence[0].upper()}{sentence[1:]}")
        fact_lines.extend(lines)
        source_blocks.append("\n".join([header, *lines]))
    labels = rng.sample(openings, k=min(3, len(openings)))
    paragraph = (
        f"Concept {number} is discussed across {len(per_source)} sources, including {rare[0]} "
        + ", ".join(f"[fact:{i + 1}|{label}]" for i, label in enumerate(labels))
        + "."
    )
    perspective = f"Models describe concept {number} with reference to {rare[1]} and {rare[2]} [1, 2]."
    text = "\n".join([
        "concept", "", f"synthetic concept {number:06d}", "", "synthesized from dimensions", "",
        paragraph, "", "Model Perspectives (1)", "openrouter/synthetic/model definitive 80% confidence",
        perspective, "", f"Facts ({len(fact_lines)})", "", "Sources", *source_blocks,
    ])
    return text + "\n", rare


def _split(total: int, rng: random.Random) -> list[int]:
    """Fact counts per source, skewed like the seed (one big source, a tail of small ones)."""
    counts = []
    left = total
    while left > 0:
        take = max(1, min(left, int(left * rng.uniform(0.3, 0.7)) if len(counts) < 13 else left))
        counts.append(take)
        left -= take
    return counts


def write_corpus(folder: Path, total_facts: int, seed: Path, per_page: int = PAGE_FACTS, rng_seed: int = 7) -> Iterator[tuple[Path, list[str]]]:
    """Write pages into `folder` until `total_facts` facts exist; yields each path and its rare words."""
    rng = random.Random(rng_seed)
    template = template_from(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written, number = 0, 0
    while written < total_facts:
        count = min(per_page, total_facts - written)
        text, rare = page_text(number, count, template, rng)
        path = folder / f"page_{number:06d}.txt"
        path.write_text(text, encoding="utf-8")
        yield path, rare
        written += count
        number += 1
