"""Which of the facts opening with one word contain another: the sieve of the bare-label search.

A sieve, not a judge: it may name a fact that lacks the word (a few facts are searched for it as
a substring of their folded text; the words of many are read whole, not only near their start)
but never misses one that has it; CitationResolver._coverage decides. Nothing is read before it
is needed: most leads are asked about only once or twice, and most of the words asked about are
in none of the facts, which one search of all their text at once says.
"""

from __future__ import annotations

from storage.textnorm import words_of_folded

MANY_FACTS = 12  # a lead opening more facts has their words read all at once when first asked


class LeadWords(dict[str, int]):
    """word -> the facts (texts[j], folded) that may contain it, as bits (bit j); absent words give 0."""

    def __init__(self, texts: list[str]) -> None:
        super().__init__()
        self.texts = texts
        # A lead of many facts is asked about by its words (see any_of): their text is never searched.
        self.many = len(texts) > MANY_FACTS
        self.text = "" if self.many else "\n".join(texts)
        self._read = False

    def any_of(self, words: list[str]) -> bool:
        """True when some fact may contain one of `words` (one search of all their text each, or
        for a lead of many facts one look-up among their words)."""
        if self.many:
            # Their words are read once anyway and searching that much text cost more. Whole words
            # still never miss a fact _coverage would accept: it counts whole words only.
            if not self._read:
                self._read_all()
            return any(map(self.get, words))
        text = self.text
        for word in words:
            if word in text:
                return True
        return False

    def __missing__(self, word: str) -> int:
        if self.many:
            # A lead opening many facts is met often, with many different words after it.
            if not self._read:
                self._read_all()
                if word in self:
                    return self[word]
            self[word] = 0
            return 0
        bits = 0
        if word in self.text:
            for bit, text in enumerate(self.texts):
                if word in text:
                    bits |= 1 << bit
        self[word] = bits
        return bits

    def _read_all(self) -> None:
        self._read = True
        for bit, text in enumerate(self.texts):
            mask = 1 << bit
            for word in words_of_folded(text):
                self[word] = self.get(word, 0) | mask
