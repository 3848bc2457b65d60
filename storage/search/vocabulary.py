"""The corpus vocabulary in memory: document frequencies, spelling correction, prefixes, acronyms.

Built once from SQLite's own FTS5 vocabulary table and reused until the data changes.
"""

from __future__ import annotations

import bisect
import math
import sqlite3
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from storage.search.thesaurus import OtherName, Thesaurus, thesaurus
from storage.search.wordforms import WordForms, english_words, plausible
from storage.textnorm import STOP_WORDS, fold, words

CORRECTION_CUTOFF = 78.0  # rapidfuzz ratio a correction must reach
MIN_CORRECTABLE = 4  # shorter words are too ambiguous to correct ("pcp" vs "pap")
TYPO_LETTERS = 4  # a correction may assume one typo per this many letters of the typed word
MAX_LONG_FORMS = 3  # per acronym
INITIALS = range(3, 7)  # how many typed words may spell an acronym by their initials
MAX_JUDGED = 12  # words of a query judged by recognises_any (as many as the planner keeps)


@dataclass
class Vocabulary:
    documents: int
    df: dict[str, int]
    terms: list[str]  # sorted, for prefix look-ups
    by_length: dict[int, list[str]]
    acronym_long: dict[str, set[str]] = field(default_factory=dict)  # "vegf" -> {"vascular ... factor"}
    long_acronym: dict[str, set[str]] = field(default_factory=dict)  # reverse
    source_titles: list[str] = field(default_factory=list)
    folded_titles: list[str] = field(default_factory=list)
    # Source id -> the words of its citation, filled as searches need them; it lives exactly as long
    # as this vocabulary because source ids are reused when a page is reloaded.
    cites: dict[int, list[str]] = field(default_factory=dict)
    forms: WordForms | None = None  # word families of the corpus words
    english: frozenset[str] = frozenset()  # everyday English words, never taken for typos
    lay: Thesaurus = field(default_factory=lambda: Thesaurus({}))  # "laughing gas" -> nitrous oxide

    def notation(self, part: str) -> str | None:
        """The corpus word a piece of notation stands for: itself, or the one word it begins
        ("ht2a" -> "ht2ar"); None when the corpus has neither."""
        if part in self.df:
            return part
        if part.isalpha() and len(part) < 3:
            return None  # "mg" is a word; "m" begins too many
        found = self.completions(part, 2)
        return found[0] if len(found) == 1 else None

    def initialism(self, phrase: list[str] | tuple[str, ...]) -> str | None:
        """The acronym of the page the initials of typed words spell, when the page lacks one of the
        words in every form: "tumour necrosis factor" -> "tnf" (the page writes only "TNF-α"). The
        acronym is a learned one or a page word that is no English word ("act" is a verb)."""
        if len(phrase) not in INITIALS or not all(word.isalpha() for word in phrase):
            return None
        short = "".join(word[0] for word in phrase)
        if short in self.english or (short not in self.acronym_long and short not in self.df):
            return None
        if all(self.has(word) for word in phrase):
            return None  # words the page has are searched as themselves ("patients elderly treatment")
        return short

    def other_names(self, phrase: list[str] | tuple[str, ...]) -> list[OtherName]:
        """The thesaurus's other names for typed words of which the page lacks one in every form,
        kept when the page has each of their content words: "xanax" -> benzodiazepine (what it is a
        kind of)."""
        related = self.lay.related(" ".join(phrase))
        if not related or all(self.has(word) for word in phrase):
            return []  # the page's own words answer it ("ketamine" is not searched as "anesthetic")
        return [other for other in related if all(self.has(word) for word in other.words if word not in STOP_WORDS)]

    def has(self, word: str) -> bool:
        """True when the page has `word` in some form."""
        return word in self.df or bool(self.family(word))

    def recognises_any(self, query: str) -> bool:
        """True when some content word of `query` is one `recognises` (see there)."""
        content = [w for w in words(query) if w not in STOP_WORDS and w.isalpha()]
        return any(self.recognises(w) for w in content[:MAX_JUDGED])

    def recognises(self, word: str) -> bool:
        """True for a word of the page or of everyday English, or one spelled as English words are
        ("insomnia", "ayahuasca"); False for a keyboard run ("qwertyuiop")."""
        return word in self.df or word in self.english or plausible(word)

    def family(self, word: str) -> list[str]:
        """Corpus words of the same family as `word` (other forms, British/American spellings)."""
        return self.forms.family(word) if self.forms else []

    def extended(self, word: str) -> list[str]:
        """Corpus words whose family key extends `word`'s ("inflamed" -> "inflammation"), or that
        are `word` and a derivational suffix ("strong" -> "stronger")."""
        return self.forms.extended(word, everyday=word in self.english) if self.forms else []

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> Vocabulary:
        """Read the vocabulary of the fact index and the learned acronyms."""
        (documents,) = conn.execute("SELECT count(*) FROM facts").fetchone()
        df = {term: doc for term, doc in conn.execute("SELECT term, doc FROM fact_terms")}
        # Words only a citation has (an author's name) are corpus words too.
        for term, doc in conn.execute("SELECT term, doc FROM source_terms"):
            df.setdefault(term, doc)
        by_length: dict[int, list[str]] = {}
        for term in df:
            if term.isalpha():
                by_length.setdefault(len(term), []).append(term)
        vocab = cls(documents, df, sorted(df), by_length, forms=WordForms(df), english=english_words(), lay=thesaurus())
        # The long forms most pages agree on; a one-off variant ("brain derived trophic ...") is noise.
        rows = conn.execute(
            "SELECT short, long FROM (SELECT short, long, row_number() OVER"
            " (PARTITION BY short ORDER BY count(*) DESC, long) AS rank FROM acronyms GROUP BY short, long)"
            " WHERE rank <= ?",
            (MAX_LONG_FORMS,),
        )
        for short, long in rows:
            vocab.acronym_long.setdefault(short, set()).add(long)
            vocab.long_acronym.setdefault(long, set()).add(short)
        vocab.source_titles = [title for (title,) in conn.execute("SELECT DISTINCT title FROM sources ORDER BY title")]
        vocab.folded_titles = [fold(title) for title in vocab.source_titles]
        return vocab

    def idf(self, df: int) -> float:
        """Inverse document frequency (BM25's, floored so common words still count a little)."""
        return max(0.05, math.log(1 + (self.documents - df + 0.5) / (df + 0.5)))

    def corrections(self, word: str, limit: int = 2) -> list[tuple[str, float]]:
        """Corpus words close to a word the corpus does not have: (word, similarity 0-1)."""
        if len(word) < MIN_CORRECTABLE or not word.isalpha():
            return []
        pool = [t for n in range(len(word) - 2, len(word) + 3) for t in self.by_length.get(n, ())]
        found = process.extract(word, pool, scorer=fuzz.ratio, score_cutoff=CORRECTION_CUTOFF, limit=limit * 8)
        # Typos counted as a person makes them (a swapped pair is one slip: "modle" is "model", not
        # "mode"), at most one per TYPO_LETTERS letters ("zarate" is no "rate"); among equally
        # close words the more common one is the likelier intent.
        typos = [(term, score, OSA.distance(word, term)) for term, score, _ in found]
        allowed = max(1, len(word) // TYPO_LETTERS)
        ranked = sorted((m for m in typos if m[2] <= allowed), key=lambda m: (m[2], -self.df[m[0]], -round(m[1]), m[0]))
        return [(term, score / 100) for term, score, _ in ranked[:limit]]

    def completions(self, prefix: str, limit: int = 3) -> list[str]:
        """The most frequent corpus words starting with `prefix`."""
        start = bisect.bisect_left(self.terms, prefix)
        matches = []
        for term in self.terms[start : start + 2000]:
            if not term.startswith(prefix):
                break
            matches.append(term)
        return sorted(matches, key=lambda t: (-self.df[t], t))[:limit]
