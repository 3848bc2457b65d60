"""Bare labels: a fact's opening glued to the end of a clause, with no markup around it.

"... capable of promoting neuroplasticity Neuroplasticity as a convergent mechanism." A label ends
a clause and runs back at most MAX_LABEL_WORDS words, never across a sentence break; of the
candidates ending at one clause end the best-scoring (on ties the longest) wins.

The block is read once: its words, where they start, their folded content words and its clause
and sentence ends. Then the words a label may start at are picked once for all clause ends: their
first content word opens a fact, and one of the next few content words (as many as a label
running to the sentence's last clause end could miss, plus one) is in those facts' text
(CitationResolver.may_open). A clause end weighs only the starts within its reach; each candidate
is turned down as early and cheaply as bare_label would turn it down (too few words, mixed case),
and the part of bare_label that depends on the words alone (bare_matches) is shared by candidates
that differ only in leading stop words. Every shortcut only skips candidates bare_label would
reject, so the labels found are exactly those a candidate-by-candidate scan finds.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from storage.pages.labels import MAX_LABEL_WORDS, MIN_LABEL_WORDS, CitationResolver, misses_allowed
from storage.textnorm import STOP_WORDS, fold, joined_starts

_WORD_SPAN = re.compile(r"\S+")
_WORD = re.compile(r"[^\W_]+")  # as storage.textnorm.words
_AROUND_WORDS = ".,;:()'\""  # punctuation often around a word, never part of one
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
        self.resolver = resolver
        self.anchors = anchors
        self.tokens = text.split()
        self.starts = _starts(text, self.tokens)
        punctuated = [(i, t) for i, t in enumerate(self.tokens) if t[-1] in ".,;:!?"]
        # Marks that end something: all but the periods of abbreviations ("al.", "e.g.").
        breaks = [(i, t) for i, t in punctuated if t[-1] in ",;:" or not is_abbreviation(t)]
        self.sentence_ends = [i for i, t in breaks if t[-1] in ".!?"]
        self.clause_ends = [i for i, t in breaks if t[-1] in ".,;:" and not t.endswith("...")]
        if self.tokens and (not self.clause_ends or self.clause_ends[-1] != len(self.tokens) - 1):
            self.clause_ends.append(len(self.tokens) - 1)  # the block's end ends a clause too
        self._content_words()
        self.openers = self._openers()
        self._memo: dict[int, Found | None] = {}
        self._matches: dict[tuple[int, int], list[tuple[int, float]]] = {}  # (begin, through) -> bare_matches

    def _content_words(self) -> None:
        """Each word's content words, flattened: word i's are content[offsets[i]:offsets[i + 1]]."""
        # Folded in one call, the words joined by NUL (a page never has one): a boundary folding
        # cannot move, so word i's piece is exactly what folding that word alone gives.
        content: list[str] = []
        offsets: list[int] = []
        for word in fold("\x00".join(self.tokens)).split("\x00"):
            offsets.append(len(content))
            if not word.isalnum():  # else it is one piece, as _WORD would find it (most words are)
                word = word.strip(_AROUND_WORDS)
                if not word.isalnum():
                    content += [w for w in _WORD.findall(word) if w not in STOP_WORDS]
                    continue
            if word not in STOP_WORDS:
                content.append(word)
        offsets.append(len(content))
        self.content = content
        self.offsets = offsets

    def _openers(self) -> list[int]:
        """The words a label may start at, in order: their first content word (their own, or the
        next word's when they have none, like "The") opens a fact, and may_open says it may fit."""
        content, offsets, resolver = self.content, self.offsets, self.resolver
        leads = resolver.by_lead
        reaches = self._reaches()
        found: list[int] = []
        for at in [at for at, word in enumerate(content) if word in leads]:
            # The words whose first content word is this one: its own, and any before it with none.
            first, last = bisect_left(offsets, at), bisect_right(offsets, at)
            longest = min(reaches[bisect_left(self.sentence_ends, last - 1)] - at, MAX_LABEL_WORDS)
            if longest < MIN_LABEL_WORDS:
                continue
            if resolver.may_open(content[at], content[at + 1 : at + 2 + misses_allowed(longest)]):
                found += range(first, last)
        return found

    def _reaches(self) -> list[int]:
        """For each sentence (the words up to sentence_ends[i], and after the last), how far
        (content[:reach]) a label in it may run: to its last clause end."""
        if not self.tokens:
            return []
        return [
            self.offsets[self.clause_ends[bisect_right(self.clause_ends, stop) - 1] + 1]
            for stop in (*self.sentence_ends, len(self.tokens) - 1)
        ]

    def label_ending_at(self, end_word: int) -> Found | None:
        """(first word, (start, end, fact index, score)) of the best label ending at end_word."""
        if end_word not in self._memo:
            self._memo[end_word] = self._find(end_word)
        return self._memo[end_word]

    def _find(self, end_word: int) -> Found | None:
        # A label does not run across a sentence break, nor over more than MAX_LABEL_WORDS words.
        openers = self.openers
        nearest = bisect_right(openers, end_word) - 1
        sentence = bisect_left(self.sentence_ends, end_word) - 1
        after = max(end_word - MAX_LABEL_WORDS, self.sentence_ends[sentence] if sentence >= 0 else 0)
        if nearest < 0 or openers[nearest] <= after:
            return None  # no label can start close enough (most clauses)
        token = self.tokens[end_word]
        word_end = self.starts[end_word] + len(token)
        # Every end asked about ends a clause (see clause_ends), but perhaps the block's last word.
        if end_word < len(self.tokens) - 1 or _ends_clause(token):
            end = word_end - 1
        elif word_end == len(self.text):
            end = word_end
        else:
            return None  # labels end a clause
        best: Found | None = None
        offsets = self.offsets
        through = offsets[end_word + 1]
        lowest = through - MAX_LABEL_WORDS
        # Leftwards, so on equal scores the longer (complete) label wins.
        for at in range(nearest, -1, -1):
            first = openers[at]
            begin = offsets[first]
            if first <= after or begin < lowest:
                break
            # Turned down here as bare_label would: too few words, or mixed case (the label starts
            # at its capital, further right).
            if through - begin < MIN_LABEL_WORDS or not self._glued(first):
                continue
            start = self.starts[first]
            candidate = self.text[start:end]
            if candidate[:1].islower() and candidate != candidate.lower():
                continue
            matches = self._matches.get((begin, through))
            if matches is None:
                matches = self.resolver.bare_matches(self.content[begin:through])
                self._matches[begin, through] = matches
            if not matches:
                continue
            index, score = self.resolver.best_bare(candidate, matches)
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
        comma_at = self.starts[first - 1] + len(previous) - 1
        return comma_at in self.anchors or self.label_ending_at(first - 1) is not None


def _starts(text: str, tokens: list[str]) -> list[int]:
    """Where each of `tokens` (text.split()) starts in `text`."""
    if sum(map(len, tokens)) + len(tokens) - 1 == len(text):
        # One character between words and none around them (nearly every block): no regex needed.
        return joined_starts(tokens)
    return [m.start() for m in _WORD_SPAN.finditer(text)]


def _ends_clause(token: str) -> bool:
    return token[-1] in ".,;:" and not token.endswith("...") and not is_abbreviation(token)
