"""Cloze questions from facts: hide a fact's key term, offer it among three terms of the same kind
taken from other facts. Pure functions; deterministic for a given random.Random."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from storage.study.terms import Term, blanked_spans, hideable_terms, terms
from storage.textnorm import fold

BLANK = "_____"
CHOICES = 4
LETTERS = "ABCD"
# A term in more than this share of the facts is a second topic ("Montreal" in one fact of five on
# the ketamine page): hidden first, it would be the answer of every fifth question.
COMMON_SHARE = 0.10


@dataclass(frozen=True)
class StudyFact:
    """What question generation needs of a fact."""

    id: str
    text: str
    type: str
    concept: str


@dataclass(frozen=True)
class Cloze:
    """A fact with its key term blanked, and four choices of which `answer` is right."""

    fact_id: str
    kind: str
    prompt: str
    choices: tuple[str, ...]
    answer: int

    @property
    def answer_text(self) -> str:
        return self.choices[self.answer]


@dataclass(frozen=True)
class TermPool:
    """Every distinct term of the corpus by kind, in corpus order: where distractors come from; and
    the terms so common that hiding them would make many questions share one answer."""

    by_kind: dict[str, tuple[Term, ...]]
    common: dict[str, float] = field(default_factory=dict)  # term key -> odds a question on it is kept

    @classmethod
    def of(cls, facts: Iterable[StudyFact]) -> TermPool:
        seen: dict[str, dict[str, Term]] = {}
        in_facts: dict[str, int] = {}
        count = 0
        for fact in facts:
            count += 1
            found = terms(fact.text, fact.concept)
            for term in found:
                seen.setdefault(term.kind, {}).setdefault(term.key, term)
            for key in {t.key for t in found}:
                in_facts[key] = in_facts.get(key, 0) + 1
        # Kept at these odds, a common term is the answer of about COMMON_SHARE of the questions.
        common = {key: COMMON_SHARE * count / n for key, n in in_facts.items() if n > COMMON_SHARE * count}
        return cls({kind: tuple(found.values()) for kind, found in seen.items()}, common)


def cloze(fact: StudyFact, pool: TermPool, rng: random.Random) -> Cloze | None:
    """The fact's cloze question, or None when it has no key term or too few distractors."""
    # The most specific term with three distractors; one without them gives way to the next, and
    # a common one to any other (sorted() is stable: the kinds' order holds otherwise).
    for term in sorted(hideable_terms(fact.text, fact.concept), key=lambda t: t.key in pool.common):
        distractors = _distractors(fact, term, pool, rng)
        if len(distractors) == CHOICES - 1:
            break
    else:
        return None
    prompt = _blanked(fact.text, blanked_spans(fact.text, term))
    choices = [term.text, *distractors]
    if term.kind == "drug":  # one case for all: "Esketamine" alone capitalised told it apart
        choices = [_sentence_case(c, prompt.startswith(BLANK)) for c in choices]
    answer = choices[0]
    rng.shuffle(choices)
    return Cloze(fact.id, term.kind, prompt, tuple(choices), choices.index(answer))


def _blanked(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in reversed(spans):
        text = text[:start] + BLANK + text[end:]
    return text


def _sentence_case(name: str, first: bool) -> str:
    """A drug's name as a common noun ("esketamine"), capitalised where it opens the sentence;
    a name with inner capitals ("N,N-Dimethyltryptamine") as written."""
    if name[1:] == name[1:].lower():
        name = name[:1].lower() + name[1:]
    return name[:1].upper() + name[1:] if first else name


def _distractors(fact: StudyFact, answer: Term, pool: TermPool, rng: random.Random) -> list[str]:
    """Three terms of the answer's kind that are not true in the blank as far as can be told:
    absent from the fact, not the answer in another form, not containing it or contained in it."""
    in_fact = fold(fact.text)
    fits = [t for t in pool.by_kind.get(answer.kind, ()) if t.key not in in_fact and _differs(answer, t)]
    # Numbers only among numbers of the same measure (times among times), else the unit gives it away.
    fits = [t for t in fits if _measure(t) == _measure(answer)]
    rng.shuffle(fits)
    chosen: list[Term] = []
    for term in fits:
        if len(chosen) == CHOICES - 1:
            break
        if all(_differs(term, c) for c in chosen):
            chosen.append(term)
    return [t.text for t in chosen]


def _differs(a: Term, b: Term) -> bool:
    """Two terms that cannot both be the answer: different, neither inside the other, and (for
    numbers and authors) a different number or first author."""
    if a.key == b.key or a.key in b.key or b.key in a.key:
        return False
    if a.kind == "quantity":
        return _number(a) != _number(b)
    if a.kind == "citation":
        return a.key.split()[0] != b.key.split()[0]
    return True


def _number(term: Term) -> str:
    return re.match(r"[\d.,\s–-]+", term.text).group(0).replace(" ", "").replace(",", ".")


_MEASURES = {
    "time": ("second", "minute", "min", "hour", "day", "week", "month", "year"),
    "dose": ("mg", "ug", "ml", "kg"),
    "share": ("%", "percent", "point"),
}


def _measure(term: Term) -> str:
    """What a quantity measures (time, dose, share, or its own unit for a count)."""
    if term.kind != "quantity":
        return ""
    unit = term.key.split()[-1] if " " in term.key else term.key.lstrip("0123456789.,-")
    for measure, units in _MEASURES.items():
        if any(unit.startswith(u) for u in units):
            return measure
    return unit.rstrip("s")


def pick(
    facts: Sequence[StudyFact], pool: TermPool, rng: random.Random, recent: Sequence[str] = (),
    disputed: frozenset[str] = frozenset(),
) -> Cloze | None:
    """A question on one of `facts`, never a disputed one, and not one of the `recent` fact ids
    (newest first) while another will do; when all were asked lately, the longest ago comes first."""
    asked = {fact_id: age for age, fact_id in enumerate(recent)}
    order = [f for f in facts if f.id not in disputed]
    rng.shuffle(order)
    order.sort(key=lambda f: -asked.get(f.id, len(recent) + 1))  # stable: shuffled within each age
    passed_over: Cloze | None = None
    for fact in order:
        question = cloze(fact, pool, rng)
        if question is None:
            continue
        odds = pool.common.get(fold(question.answer_text))
        if odds is None or rng.random() < odds:
            return question
        passed_over = passed_over or question  # a common answer, asked when nothing else is left
    return passed_over
