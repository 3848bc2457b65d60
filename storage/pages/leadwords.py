"""Which of the facts opening with one word contain another: the sieve of the bare-label search.

A sieve, not a judge: it may name a fact that lacks the word (it finds the word as a substring of
the fact's folded text, or anywhere in the fact, not only near its start) but never misses one
that has it; CitationResolver._coverage decides.
"""

from __future__ import annotations

import re

_WORDS_AND_BREAKS = re.compile(r"[^\W_]+|\n")  # words as storage.textnorm.words; a break between facts
MANY_FACTS = 12  # a lead with more facts than this has its words indexed at once


def lead_words(texts: list[str]) -> dict[str, int]:
    """word -> the facts (bit j: texts[j], folded fact texts) that may contain it; absent words give 0."""
    if len(texts) > MANY_FACTS:
        return _Indexed(texts)
    return _Searched(texts)


class _Indexed(dict[str, int]):
    """Every word of the facts read in one pass: cheaper than searching for each word when a lead
    opens many facts (such a lead is met often, and with many different words after it)."""

    def __init__(self, texts: list[str]) -> None:
        super().__init__()
        bit = 1
        for word in _WORDS_AND_BREAKS.findall("\n".join(texts)):
            if word == "\n":
                bit <<= 1
            else:
                self[word] = self.get(word, 0) | bit

    def __missing__(self, word: str) -> int:
        return 0


class _Searched(dict[str, int]):
    """Each word looked for in the few facts when first asked about."""

    def __init__(self, texts: list[str]) -> None:
        super().__init__()
        self.texts = texts

    def __missing__(self, word: str) -> int:
        bits = 0
        for bit, text in enumerate(self.texts):
            if word in text:
                bits |= 1 << bit
        self[word] = bits
        return bits
