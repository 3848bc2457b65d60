"""Bare labels: a fact's opening glued to the end of a clause, with no markup around it.

"... capable of promoting neuroplasticity Neuroplasticity as a convergent mechanism." A label ends
a clause and runs back at most MAX_LABEL_WORDS words, never across a sentence break; of the
candidates ending at one clause end the best-scoring (on ties the longest) wins.

The block is read once: its words, their folded content words and which of them open some fact.
A candidate is weighed only when its first content word opens a fact of the page, so the work per
block grows with its length, not with its length times the candidates' lengths.
"""

from __future__ import annotations

import re

from storage.pages.labels import MAX_LABEL_WORDS, CitationResolver
from storage.textnorm import STOP_WORDS, fold

_WORD_SPAN = re.compile(r"\S+")
_WORDS_AND_BOUNDARIES = re.compile(r"[^\W_]+|\x00")  # words as storage.textnorm.words
_ABBREVIATION = re.compile(r"^(?:al\.|[A-Z]\.(?:[A-Z]\.)*|e\.g\.|i\.e\.|vs\.|et\.)$")

Found = tuple[int, tuple[int, int, int, float]]  # (first word, (start, end, fact index, score))


def is_abbreviation(token: str) -> bool:
    """True for a token whose period does not end a clause ("al.", "e.g.", "J.")."""
    return _ABBREVIATION.match(token) is not None


def find_bare_labels(text: str, resolver: CitationResolver, anchors: set[int]) -> list[tuple[int, int, int, float]]:
    """(start, end, fact index, score) of each bare label in `text`, in order.

    `anchors` are the offsets where bracketed citations were cut out (a comma there is a list of
    citations, so a label may follow it)."""
    scan = _BareScan(text, resolver, anchors)
    chosen: list[tuple[int, int, int, float]] = []
    # From the end backwards: a label found there hides the words it covers.
    ends = scan.clause_ends
    at = len(ends) - 1
    while at >= 0:
        found = scan.label_ending_at(ends[at])
        if found is None:
            at -= 1
            continue
        chosen.append(found[1])
        while at >= 0 and ends[at] >= found[0]:
            at -= 1
    chosen.reverse()
    return chosen


class _BareScan:
    """The words of one block of text, read once, and the labels ending at its clause ends."""

    def __init__(self, text: str, resolver: CitationResolver, anchors: set[int]) -> None:
        self.text = text
        self.leads = resolver.by_lead
        self.resolver = resolver
        self.anchors = anchors
        self.spans = [m.span() for m in _WORD_SPAN.finditer(text)]
        self.tokens = text.split()  # the same words: str.split and \s agree on what whitespace is
        punctuated = [(i, t) for i, t in enumerate(self.tokens) if t[-1] in ".,;:!?"]
        self.sentence_ends = {i for i, t in punctuated if t[-1] in ".!?" and not is_abbreviation(t)}
        self.clause_ends = [i for i, t in punctuated if _ends_clause(t)]
        if self.tokens and (not self.clause_ends or self.clause_ends[-1] != len(self.tokens) - 1):
            self.clause_ends.append(len(self.tokens) - 1)  # the block's end ends a clause too
        self._content_words()
        self._memo: dict[int, Found | None] = {}

    def _content_words(self) -> None:
        """Each word's content words, flattened: word i's are content[offsets[i]:offsets[i + 1]]."""
        # Folded in one call, the words joined by NUL (a page never has one): a boundary folding
        # cannot move, so word i's pieces are exactly what folding that word alone gives.
        pieces = _WORDS_AND_BOUNDARIES.findall(fold("\x00".join(self.tokens)))
        kept = [p for p in pieces if p not in STOP_WORDS]
        boundaries = [i for i, p in enumerate(kept) if p == "\x00"]
        self.content = [p for p in kept if p != "\x00"]
        # Before word i come i - 1 boundaries, so its first content word is at boundary - (i - 1).
        self.offsets = [0, *(at - i for i, at in enumerate(boundaries)), len(self.content)]

    def label_ending_at(self, end_word: int) -> Found | None:
        """(first word, (start, end, fact index, score)) of the best label ending at end_word."""
        if end_word not in self._memo:
            self._memo[end_word] = self._find(end_word)
        return self._memo[end_word]

    def _find(self, end_word: int) -> Found | None:
        token = self.tokens[end_word]
        word_end = self.spans[end_word][1]
        if _ends_clause(token):
            end = word_end - 1
        elif word_end == len(self.text):
            end = word_end
        else:
            return None  # labels end a clause
        best: Found | None = None
        through = self.offsets[end_word + 1]
        for first in range(end_word, max(0, end_word - MAX_LABEL_WORDS), -1):
            if first < end_word and first in self.sentence_ends:
                break  # a label does not run across a sentence break
            begin = self.offsets[first]
            if through - begin > MAX_LABEL_WORDS:
                break  # too many words, and longer still further left
            if begin == through or self.content[begin] not in self.leads or not self._glued(first):
                continue  # a label opens with the first content word of some fact
            start = self.spans[first][0]
            index, score = self.resolver.bare_label(self.text[start:end], self.content[begin:through])
            # Scanning leftwards, so on equal scores the longer (complete) label wins.
            if index is not None and (best is None or score >= best[1][3]):
                best = (first, (start, end, index, score))
        return best

    def _glued(self, first: int) -> bool:
        """A label is glued to a clause: its previous word has no punctuation, or is another citation."""
        if first == 0:
            return False
        previous = self.tokens[first - 1]
        if previous[-1].isalnum() or previous[-1] in ")'\"’”":
            return True
        if previous[-1] != ",":
            return False
        comma_at = self.spans[first - 1][1] - 1
        return comma_at in self.anchors or self.label_ending_at(first - 1) is not None


def _ends_clause(token: str) -> bool:
    return token[-1] in ".,;:" and not token.endswith("...") and not is_abbreviation(token)
