"""The key terms of a fact: the parts a cloze question may hide, each of one kind.

Kinds: a number with its unit, an author and year, a named model or scale, an acronym, a drug or
compound name, a bare year. A term is always a verbatim slice of the fact's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.textnorm import fold

# The order a fact's term is chosen in: the most specific, least guessable kind first.
KINDS = ("citation", "quantity", "acronym", "model", "drug", "year")

_NUMBER = r"\d+(?:[.,]\d+)?(?:\s?[–-]\s?\d+(?:[.,]\d+)?)?"
_UNITS = (
    r"mg/kg|mg per kg|mg/kg/h|µg/kg|μg/kg|ng/mL|mg|µg|μg|mL|ml|kg|mmHg|Hz|"
    r"minutes?|min|hours?|days?|weeks?|months?|years?|seconds?|sessions?|infusions?|doses?|"
    r"patients?|participants?|subjects?|adults?|studies|trials?|percent|points?|mice|rats"
)
_PATTERNS: dict[str, re.Pattern[str]] = {
    # "Kenwood et al. (2019)", "Browne and Lucki (2013)", "Zarate et al., 2006"
    "citation": re.compile(
        r"\b(?:(?:[Dd][aeiu]|[Vv][ao]n|[Dd]er|[Dd]el|L[ae]) )*[A-Z][\w'’-]+(?: et al\.?| (?:and|&) [A-Z][\w'’-]+)?(?: \((?:19|20)\d{2}[a-z]?\)|, (?:19|20)\d{2}\b)"
    ),
    # "0.5 mg/kg", "230 minutes", "4–6 months", "40%"
    "quantity": re.compile(rf"(?<![\w.]){_NUMBER}(?:\s?%|\s(?:{_UNITS})\b)"),
    # "Montreal model", "Hamilton Depression Rating Scale"
    "model": re.compile(r"\b(?!(?:The|A|An|This|That|Its|Their) )(?:[A-Z][\w-]+ )+(?:[Mm]odel|Scale|Inventory|Questionnaire|Index)\b"),
    # "BDNF", "2R,6R-HNK", "NMDA", "ECT" (two capitals at least; not a capitalised word)
    "acronym": re.compile(r"(?<![\w-])(?:\d[A-Z0-9,]*-)?[A-Z][A-Z0-9]*[A-Z][A-Z0-9]*(?:-\d+)?(?![\w-])"),
    # "psilocybin", "esketamine", "ibogaine", "phencyclidine"
    "drug": re.compile(
        r"\b(?:[A-Za-z],)*[a-z][a-z-]*(?:amine|cybin|gaine|caine|azepine|azolam|oxetine|cyclidine|alopram|ipramine|"
        r"tryptamine|naltrexone|lithium|ethanol|midazolam|propofol)s?\b",
        re.IGNORECASE,
    ),
    "year": re.compile(r"(?<![\w.])(?:19|20)\d{2}(?![\w.])"),
}
_CAPITALISED_BEFORE = re.compile(r"[a-z,]\s[A-Z][\w-]+ $")
# A bracketed acronym right after a term, or a few words on ("benzodiazepine and related sedative (BZDR)").
_ACRONYM_AFTER = re.compile(r"(?:[\s-]+[\w-]+){0,3}\s*\((?:\d[A-Z0-9,]*-)?([A-Z][A-Z0-9-]*[A-Z][A-Z0-9-]*)\)")
_NOT_DRUGS = frozenset({"examine", "examines", "determine", "determines", "undermine", "undermines", "amine", "amines"})
_NOT_ACRONYMS = frozenset({"II", "III", "IV", "VI", "VII", "VIII", "IX", "XI", "XII", "USA", "AND", "THE", "NOT"})


@dataclass(frozen=True)
class Term:
    """A slice of a fact's text that a cloze question can hide."""

    text: str
    kind: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def key(self) -> str:
        """Folded form: two terms with the same key are the same answer."""
        return fold(self.text)


def terms(text: str, topic: str = "") -> list[Term]:
    """Every key term in `text`, in KINDS order then by position; never the page's own topic
    (on a ketamine page every fact is about ketamine, so it tells a student nothing)."""
    found: list[Term] = []
    taken: list[tuple[int, int]] = []  # a slice already claimed by a more specific kind
    topic_key = fold(topic)
    for kind in KINDS:
        for match in _PATTERNS[kind].finditer(text):
            value, start = match.group(0).strip(" ,"), match.start()
            end = start + len(value)
            if kind == "acronym" and (value in _NOT_ACRONYMS or not 3 <= len(value) <= 12):
                continue
            if kind == "drug" and value.lower() in _NOT_DRUGS:
                continue
            if topic_key and fold(value) in (topic_key, topic_key + "s"):
                continue
            if kind == "citation" and _CAPITALISED_BEFORE.search(text[:start]):
                continue  # "... Disorders Group (2021)": a group's name, not an author
            if any(start < e and s < end for s, e in taken):  # a more specific kind has it
                continue
            taken.append((start, end))
            if kind == "model":
                # The name only: "The _____ model" among "Montreal model" and three scales was
                # answered by the word "model" alone; "Montreal", "Hood Mysticism", ... are not.
                value = value.rsplit(" ", 1)[0]
            found.append(Term(value, kind, start))
    return found


def hideable_terms(text: str, topic: str = "") -> list[Term]:
    """The terms a question may hide, best first: never an acronym beside its long form, nor a
    long form beside its acronym ("_____ (PCP)", "_____ receptor (BZDR)" give it away)."""
    return [t for t in terms(text, topic)
            if not (t.kind == "acronym" and _spelled_out(text, t)) and not _acronym_follows(text, t)]


def _acronym_follows(text: str, term: Term) -> bool:
    """The term is the long form of a bracketed acronym just after it: the acronym's first letter
    opens one of the term's parts ("N,N-Dimethyltryptamine (DMT)", "benzodiazepine ... (BZDR)")."""
    found = _ACRONYM_AFTER.match(text, term.end)
    return found is not None and found.group(1)[0].lower() in {p[0].lower() for p in re.findall(r"[A-Za-z]+", term.text)}


def blanked_spans(text: str, term: Term) -> list[tuple[int, int]]:
    """Every place the term stands in the text, each widened to its whole word: "_____s" or
    "_____R" would tell the answer's ending, and one place left showing tells all of it."""
    pattern = re.escape(term.text)
    if term.text[:1].isalnum():
        pattern = r"\w*" + pattern
    if term.text[-1:].isalnum():
        pattern += r"\w*"
    return [m.span() for m in re.finditer(pattern, text)]


def _spelled_out(text: str, term: Term) -> bool:
    """"brain-derived neurotrophic factor (BDNF)", "phencyclidine (PCP)" or "BDNF (brain-derived
    ...)": an acronym in brackets right after words, or followed by words in brackets, is defined
    by them (however its letters map to theirs); so is one whose neighbours' initials spell it."""
    end = term.end
    bracketed = text[term.start - 1 : term.start] == "(" and text[end : end + 1] == ")"
    if bracketed and text[: term.start - 1].rstrip()[-1:].isalnum():
        return True
    if re.match(r"\s*\([^)]*[A-Za-z]{3}", text[end:]):
        return True
    initials = "".join(c for c in term.text if c.isalpha()).lower()
    before = re.findall(r"[A-Za-z]+", text[max(0, term.start - 80) : term.start])
    after = re.findall(r"[A-Za-z]+", text[end : end + 80])
    near = "".join(w[0] for w in before[-len(initials) :]).lower(), "".join(w[0] for w in after[: len(initials)]).lower()
    return initials in near
