"""Inline citations -> fact positions: fuzzy label match, honest when unsure.

Three forms appear in a page:
- `[fact:28|Ketamine and phencyclidine (PCP) are synthetic drugs]`: the number is the generator's
  own numbering, not a position in the fact list, so the label is what identifies the fact;
- `[21, 46]`: numbers only; they resolve only through a labelled citation with the same number in
  the same block (other blocks number their sources independently);
- a bare label glued to the end of a clause ("... neuroplasticity Neuroplasticity as a convergent
  mechanism."): accepted only when it closely matches the opening of one fact (see barelabels).
"""

from __future__ import annotations

import re

from storage.pages.barelabels import find_bare_labels
from storage.pages.labels import CitationResolver
from storage.pages.records import Citation

_ONE = re.compile(r"\[fact:(?P<num>\d+)\|(?P<label>[^\]]*)\]|\[(?P<nums>\d+(?:\s*,\s*\d+)*)\]")
_ANY = r"\[fact:\d+\|[^\]]*\]|\[\d+(?:\s*,\s*\d+)*\]"
# A run of citations; the spaces before it go with it (see _strip_brackets). Opening on its bracket
# lets the regex engine skip straight to the next "[" instead of trying a match at every space.
_RUN = re.compile(rf"(?:{_ANY})(?:\s*,\s*(?:{_ANY}))*")


def extract_citations(raw: str, resolver: CitationResolver) -> tuple[str, tuple[Citation, ...]]:
    """Strip citation markup from `raw`; return the clean text and its resolved citations."""
    text, bracketed = _strip_brackets(raw, resolver)
    text, bare = _strip_bare_labels(text, resolver, {c.start for c in bracketed})
    shifted = [_shift(c, bare) for c in bracketed]
    citations = sorted(shifted + [c for c, _ in bare], key=lambda c: c.start)
    return text, tuple(citations)


def _strip_brackets(raw: str, resolver: CitationResolver) -> tuple[str, list[Citation]]:
    labelled: dict[int, tuple[int | None, float]] = {}
    for match in _ONE.finditer(raw):
        if match["num"] is not None:
            resolved = resolver.resolve_label(match["label"])
            if resolved[0] is not None:
                labelled.setdefault(int(match["num"]), resolved)
    pieces: list[str] = []
    citations: list[Citation] = []
    last = anchor = 0  # anchor: the length of the text kept so far
    for run in _RUN.finditer(raw):
        cut_from = last + len(raw[last : run.start()].rstrip())  # with the spaces before it
        pieces.append(raw[last:cut_from])
        anchor += cut_from - last
        for match in _ONE.finditer(run.group()):
            citations.extend(_bracket_citations(match, resolver, labelled, anchor))
        last = run.end()
    pieces.append(raw[last:])
    return "".join(pieces), citations


def _bracket_citations(
    match: re.Match[str], resolver: CitationResolver, labelled: dict[int, tuple[int | None, float]], anchor: int
) -> list[Citation]:
    if match["num"] is not None:
        index, score = resolver.resolve_label(match["label"])
        return [Citation("fact", match["label"], int(match["num"]), index, score, anchor)]
    found = []
    for number in (int(n) for n in match["nums"].split(",")):
        index, score = labelled.get(number, (None, 0.0))
        found.append(Citation("number", None, number, index, score, anchor))
    return found


def _strip_bare_labels(
    text: str, resolver: CitationResolver, anchors: set[int]
) -> tuple[str, list[tuple[Citation, tuple[int, int]]]]:
    """Cut the bare labels out of `text` (with the spaces and commas before them)."""
    out: list[str] = []
    removed: list[tuple[Citation, tuple[int, int]]] = []
    last = anchor = 0  # anchor: the length of the text kept so far
    for start, end, index, score in find_bare_labels(text, resolver, anchors):
        cut_from = start
        while cut_from > last and text[cut_from - 1] in " ,":
            cut_from -= 1
        out.append(text[last:cut_from])
        anchor += cut_from - last
        removed.append((Citation("bare", text[start:end], None, index, score, anchor), (cut_from, end)))
        last = end
    out.append(text[last:])
    return "".join(out), removed


def _shift(citation: Citation, removed: list[tuple[Citation, tuple[int, int]]]) -> Citation:
    delta = sum(end - start for _, (start, end) in removed if end <= citation.start)
    if not delta:
        return citation
    # Built directly: _replace goes through a dict of the fields, twice the time.
    c = citation
    return Citation(c.kind, c.label, c.number, c.fact_index, c.score, c.start - delta)
