"""Word families and spelling variants: which corpus words a typed word also means.

A family is every corpus word with the same Snowball English stem after British spellings are
made American ("anaesthetics" -> "anesthetics" -> "anesthet"), so "neurotoxic" finds
"neurotoxicity" and "randomised" finds "randomized". Greek letters and their names are one word
("tnf alpha" finds "TNF-α"), and letters glued to numbers split where the corpus splits them
("0.5mg/kg", "5ht2a").
"""

from __future__ import annotations

import bisect
import functools
import json
import re
import zipfile
from collections.abc import Callable, Iterable
from itertools import combinations

import Stemmer

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "zeta": "ζ", "eta": "η",
    "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ",
    "sigma": "σ", "tau": "τ", "phi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
}  # mu is left out: fold() already writes "μ" (micro) as "u", the way units are typed ("ug")
GREEK_NAMES = {letter: name for name, letter in GREEK.items()}

# British -> American spelling, applied to both the corpus and the query, so a rule only has to
# map the two spellings of one word together (a rule that also maps some unrelated word does
# so on both sides alike, and changes nothing that was not already one word).
_SPELLING = (
    (re.compile(r"(?<=.)ae"), "e"),  # anaesthetic, haemorrhage, paediatric
    (re.compile(r"oe(?=[a-z])"), "e"),  # oesophagus, oedema, foetus, diarrhoea
    (re.compile(r"(?<=..[a-z])our(?=$|s$|ed$|ing$|ite|able)"), "or"),  # behaviour, colour, favourite
    (re.compile(r"(?<=...)is(e|es|ed|ing|ation|ations|er|ers)$"), r"iz\1"),  # randomised, organisation
    (re.compile(r"(?<=..)ys(e|es|ed|ing)$"), r"yz\1"),  # analyse
    (re.compile(r"(?<=...)tre(s?)$"), r"ter\1"),  # centre, litre
)
# A key shorter than this extends to unrelated words ("cell" -> "cellular", "celebr...").
MIN_EXTENDED_KEY = 5
MAX_EXTENDED = 12
# Derivational suffixes English adds to a whole word, which the stemmer keeps apart ("strong" ->
# "stronger", "addict" -> "addiction"); a shorter word than MIN_SUFFIXED letters is left alone (at
# four letters most matches are chance: "numb" -> "number", "stat" -> "states").
SUFFIXES = frozenset("s es ed ing er ers th ths ion ions ment ments ness ity al ally ly ive ic ical ous ist ists ism".split())
MIN_SUFFIXED = 5
_GLUED = re.compile(r"\d+|[^\W\d_]+")


class WordForms:
    """Family keys for a corpus vocabulary; built once per vocabulary (a few hundred ms at 1M facts)."""

    def __init__(self, terms: Iterable[str]) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self.families: dict[str, list[str]] = {}
        alphabetic = [t for t in terms if t.isalpha()]
        for term, key in zip(alphabetic, self.keys(alphabetic)):
            self.families.setdefault(key, []).append(term)
        self._terms = frozenset(alphabetic)
        # "anesthesia" joins the family of "anesthetic" when the corpus has both (see alternations).
        for term in filter(_alternates, alphabetic):
            for key in self._alternate_keys(term):
                if term not in self.families[key]:
                    self.families[key].append(term)
        self._sorted_keys = sorted(self.families)
        self._sorted_terms = sorted(alphabetic)

    def keys(self, words: list[str]) -> list[str]:
        """Each word's family key: its stem after American spelling."""
        return self._stemmer.stemWords([american(w) for w in words])

    def family(self, word: str) -> list[str]:
        """The corpus words of `word`'s family, the word itself excluded."""
        if not word.isalpha():
            return []
        keys = [self.keys([word])[0], *self._alternate_keys(word)]
        return list(dict.fromkeys(w for key in keys for w in self.families.get(key, ()) if w != word))

    def _alternate_keys(self, word: str) -> list[str]:
        """The family keys of the corpus words `word` alternates with (see alternations)."""
        return self.keys([alt for alt in alternations(word) if alt in self._terms])

    def extended(self, word: str, everyday: bool = False, limit: int = MAX_EXTENDED) -> list[str]:
        """Corpus words whose family key extends `word`'s (at least MIN_EXTENDED_KEY letters):
        the stemmer cuts "inflamed" to "inflam" but "inflammation" to "inflamm", so two forms of
        one word can miss each other's family; and corpus words that are `word` and a derivational
        suffix the stemmer keeps ("strong" -> "stronger"). Meant for a word with no family in the
        corpus. An `everyday` English word gets the suffixes only: its key extends to too many
        unrelated words ("demon" -> "demonstrated", "psychotic" -> "psychotherapy")."""
        if not word.isalpha():
            return []
        found: list[str] = []
        key = self.keys([word])[0]
        if not everyday and len(key) >= MIN_EXTENDED_KEY:
            for other in self._sorted_keys[bisect.bisect_left(self._sorted_keys, key):]:
                if not other.startswith(key) or len(found) >= limit:
                    break
                found.extend(w for w in self.families[other] if w != word)
        if len(word) >= MIN_SUFFIXED:
            for term in self._sorted_terms[bisect.bisect_left(self._sorted_terms, word):]:
                if not term.startswith(word):
                    break
                if term[len(word):] in SUFFIXES and term not in found:
                    found.append(term)
        return found[:limit]


# Greek and Latin noun endings and their adjectives, which the stemmer keeps apart: "psychosis" /
# "psychotic", "anesthesia" / "anesthetic", "analgesia" / "analgesic", "anorexia" / "anorexic".
# Only forms the corpus has count (a rule, not a word list; "media" has no "medic" to meet).
_ALTERNATIONS = (("sis", ("tic",)), ("sia", ("tic", "sic")), ("ia", ("ic",)))
MIN_ALTERNATING = 5


_ENDINGS = tuple({ending for noun, adjectives in _ALTERNATIONS for ending in (noun, *adjectives)})


def _alternates(word: str) -> bool:
    return len(word) >= MIN_ALTERNATING and word.endswith(_ENDINGS)


def alternations(word: str) -> list[str]:
    """The adjectives a noun in -sis, -sia or -ia may have ("psychosis" -> "psychotic"), and the
    nouns an adjective in -tic, -sic or -ic may come from ("anesthetic" -> "anesthesia", ...)."""
    if not _alternates(word):
        return []
    found: list[str] = []
    for noun, adjectives in _ALTERNATIONS:
        if word.endswith(noun):
            found += [word[: -len(noun)] + adjective for adjective in adjectives]
        found += [word[: -len(adjective)] + noun for adjective in adjectives if word.endswith(adjective)]
    return list(dict.fromkeys(found))


def american(word: str) -> str:
    """The American spelling of a British one (and most other words unchanged)."""
    for pattern, replacement in _SPELLING:
        word = pattern.sub(replacement, word)
    return word


def greek_twin(word: str) -> str | None:
    """"alpha" <-> "α"."""
    return GREEK.get(word) or GREEK_NAMES.get(word)


def unglued(word: str, known: Callable[[str], str | None]) -> tuple[str, ...] | None:
    """A word with letters glued to digits, split where every part is known (`known` gives the
    corpus word a part stands for, or None), fewest parts first: "5mg" -> ("5", "mg"),
    "5ht2a" -> ("5", "ht2ar") when the corpus writes "5-HT2AR"; None when no split fits."""
    runs = _GLUED.findall(word)
    if len(runs) < 2 or len(runs) > 6:
        return None
    cuts = range(1, len(runs))
    for count in range(1, len(runs)):
        for chosen in combinations(cuts, count):
            bounds = (0, *chosen, len(runs))
            parts = tuple(known("".join(runs[a:b])) for a, b in zip(bounds, bounds[1:]))
            if all(parts):
                return parts  # type: ignore[return-value]
    return None


@functools.lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole words of everyday English: the alphabetic whole-word entries of the sentence model's
    uncased WordPiece vocabulary (about 22,000, drawn from Wikipedia and books), which ships with
    the bot. A typo of a technical word is not among them ("scizophrenia" is five pieces); a word
    the page does not use may well be ("meditation"). Empty when the model is not installed."""
    from storage.search.meaning.encoder import locate_model_zip  # the model package is optional here

    try:
        with zipfile.ZipFile(locate_model_zip()) as archive:
            vocab = json.loads(archive.read("tokenizer.json"))["model"]["vocab"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return frozenset()
    return frozenset(w for w in vocab if w.isalpha() and w.isascii() and len(w) > 1)


@functools.lru_cache(maxsize=1)
def english_trigrams() -> frozenset[str]:
    """The letter trigrams of everyday English words (english_words), "<" and ">" marking their ends."""
    return frozenset(gram for word in english_words() for gram in _trigrams(word))


def plausible(word: str) -> bool:
    """True when `word` is spelled as English words are: at most one trigram in five unseen in them
    ("insomnia", "ayahuasca", "xanax"), unlike a keyboard run ("qwertyuiop", "asdfgh")."""
    known = english_trigrams()
    if not known:
        return True  # no model vocabulary to judge by: never refuse a word for want of one
    grams = _trigrams(word)
    return sum(gram not in known for gram in grams) <= len(grams) // 5


def _trigrams(word: str) -> list[str]:
    padded = f"<{word}>"
    return [padded[i : i + 3] for i in range(len(padded) - 2)]
