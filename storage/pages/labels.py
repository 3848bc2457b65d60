"""Citation labels -> the facts of one page: fuzzy for `[fact:N|label]`, strict for bare labels.

Both look at the facts that open with the label's first content word (a labelled citation falls
back to every fact), found through an index built once per page, so rapidfuzz compares a label
with a few facts, not with all of them. For a bare label those facts are first sieved by word
(storage.pages.leadwords): a fact may lack at most misses_allowed(n) of its n words, so each run of
that many plus one words must hold a word of the fact; only the facts left are scored.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from storage.pages.leadwords import LeadWords
from storage.textnorm import STOP_WORDS, first_content_word, fold, words, words_of_folded

# A labelled citation resolves when its label is found in a fact closely enough (rapidfuzz score,
# 0-100) and says the same words: a label whose fact was deleted can still score 80 against a
# sibling that shares its opening ("…(PCP) are synthetic drugs" vs "…(PCP) were initially
# employed…"), and only the words tell them apart. Both pinned by tests/test_citation_thresholds.py.
LABEL_THRESHOLD = 75.0
LABEL_COVERAGE = 0.75  # share of the label's content words (typos forgiven) the fact must contain
LABEL_WORD_RATIO = 85.0  # a misspelt label word still counts when this close to a word of the fact
BARE_COVERAGE = 0.82  # share of a bare label's words found at the start of its fact
BARE_PREFIX_RATIO = 94.0  # lowercase bare labels must match a fact's opening this closely (pinned by cases)
MAX_LABEL_WORDS = 30
EXTRACT_LIMIT = 5  # facts a labelled citation's fuzzy match reranks
BARE_WINDOW_EXTRA = 5  # a bare label's words are looked for in its fact's first len(label) + this words

# A fact's first word (possibly empty: then it opens with "_") and its second, if any.
_LEADS = re.compile(r"[^\w\n]*([^\W_]*)(?:(?:[^\w\n]|_)+([^\W_]+))?")


def content_words(text: str) -> list[str]:
    """The folded words of `text` that are not stop words."""
    return [w for w in words(text) if w not in STOP_WORDS]


MIN_LABEL_WORDS = 3  # a label says something: this many distinct words at least (see bare_label)


# The most words a bare label of n content words may miss in its fact (computed as the coverage
# test computes it, so the shortcuts built on it never disagree with it).
def max_misses(coverage: float) -> list[int]:
    """For each label length n, the most of its words a fact may lack at this coverage."""
    return [0] + [max(m for m in range(n + 1) if (n - m) / n >= coverage) for n in range(1, MAX_LABEL_WORDS + 1)]


_MAX_MISSES = max_misses(BARE_COVERAGE)


def misses_allowed(words: int) -> int:
    """The most words a bare label of `words` content words may miss in its fact (no more for fewer)."""
    return _MAX_MISSES[words]


class CitationResolver:
    """Resolves citation labels against the facts of one page."""

    def __init__(self, fact_texts: list[str]) -> None:
        self.folded = [fold(t) for t in fact_texts]
        # The text a fact's words are read from (words() folds again; a no-op for plain ASCII).
        self._searchable = [f if f.isascii() else fold(f) for f in self.folded]
        self._positions: dict[int, dict[str, int]] = {}
        self.by_lead: dict[str, list[int]] = {}  # first content word -> facts opening with it
        self._labels: dict[str, tuple[int | None, float]] = {}
        self._sieves: dict[str, LeadWords] = {}  # lead -> its facts' words (see _sieve)
        # One anchored match per fact reads its first two words; only the few that open with two
        # stop words ("In a ...") are walked word by word. _LEADS matches any text: all of it is optional.
        for index, (lead, second) in enumerate(match.groups() for match in map(_LEADS.match, self.folded)):  # type: ignore[union-attr]
            if not lead or lead in STOP_WORDS:
                if lead and second and second not in STOP_WORDS:
                    lead = second
                else:
                    lead = first_content_word(self.folded[index])
            if lead:
                self.by_lead.setdefault(lead, []).append(index)

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
        content = content_words(query)
        leads = self.by_lead.get(content[0], []) if content else []
        opener = self._opener(query, leads)
        if opener is not None:
            return opener, round(_combined(100.0, 100.0), 1)
        choices = {i: self.folded[i] for i in leads}
        best = process.extract(query, choices, scorer=fuzz.partial_ratio, limit=EXTRACT_LIMIT, score_cutoff=LABEL_THRESHOLD)
        if not best:
            best = process.extract(query, self.folded, scorer=fuzz.partial_ratio, limit=EXTRACT_LIMIT)
        # Several facts may contain the label verbatim; the one that opens with it is the cited one.
        ranked = sorted(
            ((_combined(score, fuzz.ratio(query, self.folded[i][: len(query)])), -i) for _, score, i in best),
            reverse=True,
        )
        score, neg_index = ranked[0]
        if score < LABEL_THRESHOLD or self._label_coverage(-neg_index, content) < LABEL_COVERAGE:
            return None, round(score, 1)
        return -neg_index, round(score, 1)

    def _label_coverage(self, index: int, content: list[str]) -> float:
        """Share of a label's content words found among the fact's, a misspelt word counting when close."""
        if not content:
            return 0.0
        words_ = self._positions_of(index)
        found = sum(
            1 for w in content
            if w in words_ or process.extractOne(w, words_.keys(), scorer=fuzz.ratio, score_cutoff=LABEL_WORD_RATIO)
        )
        return found / len(content)

    def _opener(self, query: str, leads: list[int]) -> int | None:
        """The first fact that opens with the label verbatim, when the fuzzy ranking would pick it.

        It scores 100 on both measures, the most there is; the ranking sees it unless more than
        EXTRACT_LIMIT facts contain the label (or are contained in it), which scores them 100 too."""
        openers = [i for i in leads if self.folded[i].startswith(query)]
        if not openers:
            return None
        verbatim = sum(1 for i in leads if query in self.folded[i] or self.folded[i] in query)
        return openers[0] if verbatim <= EXTRACT_LIMIT else None

    def bare_label(self, candidate: str, content: list[str]) -> tuple[int | None, float]:
        """The fact a bare label names, if it matches one fact's opening reliably.

        `content` is content_words(candidate), which the caller has read already."""
        if candidate[:1].islower() and candidate != candidate.lower():
            return None, 0.0  # "neuroplasticity Neuroplasticity as ...": the label starts at the capital
        return self.best_bare(candidate, self.bare_matches(content))

    def bare_matches(self, content: list[str]) -> list[tuple[int, float]]:
        """(fact, coverage) of each fact whose opening holds enough of a bare label's content words.

        The part of bare_label that depends on the words alone: labels that differ only in their
        stop words ("The Montreal model ...", "Montreal model ...") share it."""
        # A label says something: three distinct words, not a bare name like "2R,6R-HNK (HNK)".
        if len(content) > MAX_LABEL_WORDS or len(set(filter(str.isalpha, content))) < MIN_LABEL_WORDS:
            return []
        found = []
        for index in self._openers(content):
            coverage = self._coverage(index, content)
            if coverage is not None:
                found.append((index, coverage))
        return found

    def best_bare(self, candidate: str, matches: list[tuple[int, float]]) -> tuple[int | None, float]:
        """bare_label of `candidate` (not in mixed case), given its bare_matches."""
        best: tuple[float, float, int] | None = None
        for index, coverage in matches:
            prefix = fuzz.ratio(fold(candidate), self.folded[index][: len(candidate)])
            key = (coverage, prefix, -index)
            if best is None or key > best:
                best = key
        if best is None:
            return None, 0.0
        coverage, prefix, neg_index = best
        # Lowercase text is usually the sentence itself; only a near-verbatim opening counts.
        if candidate[:1].islower() and prefix < BARE_PREFIX_RATIO:
            return None, 0.0
        return -neg_index, round(coverage * 100, 1)

    def may_open(self, lead: str, following: list[str]) -> bool:
        """False when no bare label opening with `lead` can match a fact, whatever its length.

        `following` are the misses_allowed(n) + 1 content words after the lead, n the longest the label
        may be: one of them is in its fact's text (the first of the runs _openers tests)."""
        return self._sieve(lead).any_of(following)

    def _openers(self, content: list[str]) -> list[int]:
        """The facts opening with content[0] that may hold all but _MAX_MISSES of `content`: each
        run of misses + 1 of its words has a word of theirs."""
        misses = _MAX_MISSES[len(content)]
        near = self._sieve(content[0])
        run = misses + 1
        alive = -1  # every fact of the lead
        # The last run first, overlapping the others: the words a label ends with are the sharpest
        # test (a sentence's words before a comma are seldom a fact's).
        for at in (len(content) - run, *range(1, len(content) - misses, run)):
            found = 0
            for word in content[at : at + run]:
                found |= near[word]
            alive &= found
            if not alive:
                return []
        facts = self.by_lead[content[0]]
        return [facts[bit] for bit in range(len(facts)) if alive >> bit & 1]

    def _sieve(self, lead: str) -> LeadWords:
        """The facts opening with `lead`, to ask which may contain a word (bit j: by_lead[lead][j])."""
        sieve = self._sieves.get(lead)
        if sieve is None:
            sieve = self._sieves[lead] = LeadWords([self._searchable[i] for i in self.by_lead.get(lead, ())])
        return sieve

    def _positions_of(self, index: int) -> dict[str, int]:
        """Each content word of a fact -> where it first appears among them."""
        positions = self._positions.get(index)
        if positions is None:
            words_ = [w for w in words_of_folded(self._searchable[index]) if w not in STOP_WORDS]
            # Reversed, so the first position of a repeated word is the one kept.
            positions = self._positions[index] = dict(zip(reversed(words_), range(len(words_) - 1, -1, -1)))
        return positions

    def _coverage(self, index: int, content: list[str]) -> float | None:
        """Share of `content` among the fact's first len(content) + 5 content words; None below
        BARE_COVERAGE (given up as soon as too many words are missing)."""
        positions = self._positions_of(index)
        limit = len(content) + BARE_WINDOW_EXTRA
        misses, allowed = 0, _MAX_MISSES[len(content)]
        for word in content:
            if positions.get(word, limit) >= limit:
                misses += 1
                if misses > allowed:
                    return None
        return (len(content) - misses) / len(content)


def _combined(partial: float, opening: float) -> float:
    """A labelled citation's score: the label found in the fact, and at its start."""
    return partial * 0.7 + opening * 0.3
