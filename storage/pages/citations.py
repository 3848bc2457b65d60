"""Inline citations -> fact positions: fuzzy label match, honest when unsure.

Three forms appear in a page:
- `[fact:28|Ketamine and phencyclidine (PCP) are synthetic drugs]`: the number is the generator's
  own numbering, not a position in the fact list, so the label is what identifies the fact;
- `[21, 46]`: numbers only; they resolve only through a labelled citation with the same number in
  the same block (other blocks number their sources independently);
- a bare label glued to the end of a clause ("... neuroplasticity Neuroplasticity as a convergent
  mechanism."): accepted only when it closely matches the opening of one fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from storage.pages.records import Citation
from storage.textnorm import STOP_WORDS, first_content_word, fold, words

LABEL_THRESHOLD = 80.0  # below this a labelled citation is recorded unresolved
BARE_COVERAGE = 0.8  # share of a bare label's words found at the start of its fact
BARE_PREFIX_RATIO = 92.0  # lowercase bare labels must match a fact's opening this closely
_MAX_LABEL_WORDS = 30

_ONE = re.compile(r"\[fact:(?P<num>\d+)\|(?P<label>[^\]]*)\]|\[(?P<nums>\d+(?:\s*,\s*\d+)*)\]")
_ANY = r"\[fact:\d+\|[^\]]*\]|\[\d+(?:\s*,\s*\d+)*\]"
_RUN = re.compile(rf"\s*(?:{_ANY})(?:\s*,\s*(?:{_ANY}))*")
_WORD_SPAN = re.compile(r"\S+")
_LEADS = re.compile(r"^[^\w\n]*([^\W_]*)", re.MULTILINE)  # the first word of each line, possibly empty


@dataclass(frozen=True)
class _Window:
    lead: tuple[str, ...]  # first content words: a label starts with the first
    words: frozenset[str]  # the fact's opening content words


def _content(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOP_WORDS]


class CitationResolver:
    """Resolves citation labels against the facts of one page."""

    def __init__(self, fact_texts: list[str]) -> None:
        self.folded = [fold(t) for t in fact_texts]
        self._contents: dict[int, list[str]] = {}
        self._by_lead: dict[str, list[int]] = {}
        self._labels: dict[str, tuple[int | None, float]] = {}
        # One regex pass finds every fact's first word (facts are single lines); only the few
        # that open with a stop word ("The ...") are walked word by word.
        for index, lead in enumerate(_LEADS.findall("\n".join(self.folded))):
            if not lead or lead in STOP_WORDS:
                lead = first_content_word(self.folded[index])
            if lead:
                self._by_lead.setdefault(lead, []).append(index)

    def _content(self, index: int) -> list[str]:
        """A fact's content words, worked out only for the facts a label is compared with."""
        if index not in self._contents:
            self._contents[index] = _content(self.folded[index])
        return self._contents[index]

    def resolve_label(self, label: str) -> tuple[int | None, float]:
        """Best fact for a `[fact:N|label]` label and its score (0-100); None below the threshold."""
        if label not in self._labels:
            self._labels[label] = self._resolve(label)
        return self._labels[label]

    def _resolve(self, label: str) -> tuple[int | None, float]:
        query = fold(label).rstrip(". ").removesuffix("...").removesuffix("\u2026").strip()
        if not query or not self.folded:
            return None, 0.0
        # Labels usually open their fact: try facts that start with the same word before all.
        content = _content(query)
        leads = self._by_lead.get(content[0], []) if content else []
        choices = {i: self.folded[i] for i in leads}
        best = process.extract(query, choices, scorer=fuzz.partial_ratio, limit=5, score_cutoff=LABEL_THRESHOLD)
        if not best:
            best = process.extract(query, self.folded, scorer=fuzz.partial_ratio, limit=5)
        # Several facts may contain the label verbatim; the one that opens with it is the cited one.
        ranked = sorted(
            ((score * 0.7 + fuzz.ratio(query, self.folded[i][: len(query)]) * 0.3, -i) for _, score, i in best),
            reverse=True,
        )
        score, neg_index = ranked[0]
        return (-neg_index if score >= LABEL_THRESHOLD else None), round(score, 1)

    def bare_label(self, candidate: str) -> tuple[int | None, float]:
        """The fact a bare label names, if it matches one fact's opening reliably."""
        content = _content(candidate)
        lowercase = candidate[:1].islower()
        if lowercase and candidate != candidate.lower():
            return None, 0.0  # "neuroplasticity Neuroplasticity as ...": the label starts at the capital
        # A label says something: three distinct words, not a bare name like "2R,6R-HNK (HNK)".
        if len({w for w in content if w.isalpha()}) < 3 or len(content) > _MAX_LABEL_WORDS:
            return None, 0.0
        best: tuple[float, float, int] | None = None
        for index in self._by_lead.get(content[0], ()):
            window = set(self._content(index)[: len(content) + 5])
            coverage = sum(1 for w in content if w in window) / len(content)
            if coverage < BARE_COVERAGE:
                continue
            prefix = fuzz.ratio(fold(candidate), self.folded[index][: len(candidate)])
            key = (coverage, prefix, -index)
            if best is None or key > best:
                best = key
        if best is None:
            return None, 0.0
        coverage, prefix, neg_index = best
        # Lowercase text is usually the sentence itself; only a near-verbatim opening counts.
        if lowercase and prefix < BARE_PREFIX_RATIO:
            return None, 0.0
        return -neg_index, round(coverage * 100, 1)


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
    last = 0
    for run in _RUN.finditer(raw):
        pieces.append(raw[last : run.start()])
        anchor = sum(len(p) for p in pieces)
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
    scan = _BareScan(text, resolver, anchors)
    chosen: list[tuple[int, int, int, float]] = []  # start, end, fact index, score
    end_word = len(scan.spans) - 1
    while end_word >= 0:
        found = scan.label_ending_at(end_word)
        if found is None:
            end_word -= 1
            continue
        chosen.append(found[1])
        end_word = found[0] - 1
    chosen.reverse()
    out: list[str] = []
    removed: list[tuple[Citation, tuple[int, int]]] = []
    last = 0
    for start, end, index, score in chosen:
        cut_from = start
        while cut_from > last and text[cut_from - 1] in " ,":
            cut_from -= 1
        out.append(text[last:cut_from])
        anchor = sum(len(p) for p in out)
        removed.append((Citation("bare", text[start:end], None, index, score, anchor), (cut_from, end)))
        last = end
    out.append(text[last:])
    return "".join(out), removed


_ABBREVIATION = re.compile(r"^(?:al\.|[A-Z]\.(?:[A-Z]\.)*|e\.g\.|i\.e\.|vs\.|et\.)$")


def is_abbreviation(token: str) -> bool:
    """True for a token whose period does not end a clause ("al.", "e.g.", "J.")."""
    return _ABBREVIATION.match(token) is not None


class _BareScan:
    """Finds bare labels glued to the end of clauses in one block of text."""

    def __init__(self, text: str, resolver: CitationResolver, anchors: set[int]) -> None:
        self.text = text
        self.resolver = resolver
        self.anchors = anchors
        self.spans = [(m.start(), m.end()) for m in _WORD_SPAN.finditer(text)]
        self._memo: dict[int, tuple[int, tuple[int, int, int, float]] | None] = {}

    def word(self, i: int) -> str:
        return self.text[self.spans[i][0] : self.spans[i][1]]

    def ends_sentence(self, i: int) -> bool:
        token = self.word(i)
        return token[-1] in ".!?" and not _ABBREVIATION.match(token)

    def label_ending_at(self, end_word: int) -> tuple[int, tuple[int, int, int, float]] | None:
        """(first word, (start, end, fact index, score)) of the longest label ending at end_word."""
        if end_word not in self._memo:
            self._memo[end_word] = self._find(end_word)
        return self._memo[end_word]

    def _find(self, end_word: int) -> tuple[int, tuple[int, int, int, float]] | None:
        token = self.word(end_word)
        word_end = self.spans[end_word][1]
        if token[-1] in ".,;:" and not token.endswith("...") and not _ABBREVIATION.match(token):
            end = word_end - 1
        elif word_end == len(self.text):
            end = word_end
        else:
            return None  # labels end a clause
        best: tuple[int, tuple[int, int, int, float]] | None = None
        for first in range(end_word, max(0, end_word - _MAX_LABEL_WORDS), -1):
            if first < end_word and self.ends_sentence(first):
                break  # a label does not run across a sentence break
            if not self._glued(first):
                continue
            start = self.spans[first][0]
            index, score = self.resolver.bare_label(self.text[start:end])
            # Scanning leftwards, so on equal scores the longer (complete) label wins.
            if index is not None and (best is None or score >= best[1][3]):
                best = (first, (start, end, index, score))
        return best

    def _glued(self, first: int) -> bool:
        """A label is glued to a clause: its previous word has no punctuation, or is another citation."""
        if first == 0:
            return False
        previous = self.word(first - 1)
        if previous[-1].isalnum() or previous[-1] in ")'\"’”":
            return True
        if previous[-1] != ",":
            return False
        comma_at = self.spans[first - 1][1] - 1
        return comma_at in self.anchors or self.label_ending_at(first - 1) is not None


def _shift(citation: Citation, removed: list[tuple[Citation, tuple[int, int]]]) -> Citation:
    from dataclasses import replace

    delta = sum(end - start for _, (start, end) in removed if end <= citation.start)
    return replace(citation, start=citation.start - delta)
