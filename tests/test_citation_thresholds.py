"""Borderline citations, built from the seed and edited copies of it, that pin each threshold in
a band: true matches just above it must resolve, near-misses just below it must not.

Labels (`[fact:N|label]`): a label cut from a fact and then edited a little still names it; a label
whose fact was deleted must not name the sibling that shares its opening. Scores (rapidfuzz,
0-100) and shares of the label's words are given per case; LABEL_THRESHOLD must lie between
the near-misses' best score and the true matches' lowest, LABEL_COVERAGE likewise for words.

Bare labels (lowercase, glued before a period): a label that lost its article must still be cut
out; a sentence that paraphrases a fact's opening (and says the opposite) must stay in the text.
"""

from __future__ import annotations

import pytest

from storage.pages import labels
from storage.pages.format import parse_file, parse_text
from storage.pages.labels import CitationResolver
from tests.conftest import SEED

FACTS = [f.text for f in parse_file(SEED).facts]


def _index(opening: str) -> int:
    return next(i for i, text in enumerate(FACTS) if text.startswith(opening))


TRUE_LABELS = [  # (label as a generator might have edited it, the opening of the fact it names); score
    ("Ketamine enhances synaptogenesis in young adult mice", "Ketamine enhances synaptogenesis and neurite"),  # 79.4
    ("Ketamine acts on glutamatergic NMDA receptors", "Ketamine acts on glutamatergic N-Methyl"),  # 84.5, words 0.8
    ("Zuo and colleagues observed that giving 30 mg/kg/day of ketamine...", "Zuo and colleagues observed"),  # 85.9
    ("Ketamine and phencyclidine are synthetic drugs", "Ketamine and phencyclidine (PCP) are synthetic"),  # 87.0
    ("Ketamine increses BDNF levels", "Ketamine increases BDNF levels"),  # 96.6, a typo
]
DELETED = [  # labels whose fact is gone from an edited copy: the sibling that shares words must not answer
    ("Ketamine and phencyclidine (PCP) are synthetic drugs", "Ketamine and phencyclidine (PCP) are synthetic"),  # 80.6, words 0.6
    ("2R,6R-hydroxynorketamine (2R,6R-HNK) does not act as an NMDAR antagonist", "2R,6R-hydroxynorketamine (2R,6R-HNK) does not"),
    ("Ketamine increases BDNF levels", "Ketamine increases BDNF levels"),  # 65.5
]


@pytest.mark.parametrize("label, opening", TRUE_LABELS)
def test_an_edited_label_still_names_its_fact(label, opening):
    index, score = CitationResolver(FACTS).resolve_label(label)
    assert index == _index(opening), (label, score)


@pytest.mark.parametrize("label, opening", DELETED)
def test_the_label_of_a_deleted_fact_names_no_other(label, opening):
    without = [text for i, text in enumerate(FACTS) if i != _index(opening)]
    index, score = CitationResolver(without).resolve_label(label)
    assert index is None, (label, without[index][:60] if index is not None else None, score)


def test_the_label_thresholds_sit_between_the_cases():
    resolver = CitationResolver(FACTS)
    true_scores = [resolver.resolve_label(label)[1] for label, _ in TRUE_LABELS]
    assert labels.LABEL_THRESHOLD <= min(true_scores)
    # The deleted fact's sibling scores above the threshold: only the words rule it out.
    pcp, opening = DELETED[0]
    without = CitationResolver([t for i, t in enumerate(FACTS) if i != _index(opening)])
    assert without.resolve_label(pcp)[1] >= labels.LABEL_THRESHOLD
    assert 0.6 < labels.LABEL_COVERAGE <= 0.8  # the sibling covers 3 of 5 words; the NMDA label 4 of 5


def _bare(text: str) -> list[str]:
    page = parse_text(text)
    return [c.label for block in page.perspectives for c in block.citations if c.kind == "bare"]


SEED_TEXT = SEED.read_text(encoding="utf-8")
NMDA = "the nmda antagonist ketamine and the 5-ht agonist psilocybin produce"


def test_a_bare_label_that_lost_its_article_is_still_cut_out():
    """Prefix ratio 95.5 against "a human-controlled trial at the new york state psychiatric ..."."""
    edited = SEED_TEXT.replace("cocaine addiction a human-controlled trial", "cocaine addiction human-controlled trial")
    assert edited != SEED_TEXT
    assert "human-controlled trial at the new york state" in _bare(edited)


@pytest.mark.parametrize("ending", ["similar", "distinct", "comparable"])  # prefix ratios 90.5, 91.8, 93.1
def test_a_sentence_paraphrasing_a_fact_stays_in_the_text(ending):
    edited = SEED_TEXT.replace(f"{NMDA}, ketamine", f"{NMDA} {ending} effects, ketamine")
    assert edited != SEED_TEXT
    assert not any(label and label.startswith("the nmda antagonist") for label in _bare(edited))
    page = parse_text(edited)
    assert any(f"psilocybin produce {ending} effects" in block.text for block in page.perspectives)


def test_the_bare_threshold_sits_between_the_cases():
    assert 93.1 < labels.BARE_PREFIX_RATIO <= 95.5
