"""Which fact /flag's text names: one fact only when it alone fits closely (partial_ratio at least
CLEAR_MATCH, every other candidate below it); otherwise the moderator chooses, and nothing is
written. A dispute on the wrong fact is the failure that matters, so the edges are pinned by cases:
a text fitting at exactly CLEAR_MATCH names its fact, a runner-up at exactly CLEAR_MATCH makes it
ambiguous, and one or two candidates (not the usual five) are decided the same way.
"""

from __future__ import annotations

import pytest
from rapidfuzz import fuzz

from storage.library import CLEAR_MATCH, Ambiguous, Refusal
from storage.textnorm import fold

GUILD = 1


def _fits(reference: str, candidates) -> list[float]:
    return [fuzz.partial_ratio(fold(reference), fold(c.text)) for c in candidates]


async def test_text_that_fits_no_fact_is_refused(library):
    """Refused, quoting the text back to the moderator cut at 80 characters (a pasted paragraph is not echoed)."""
    pasted = "xqzvw qqqqj " * 10
    with pytest.raises(Refusal) as refused:
        await library.flag(pasted, "no such fact", "mod", GUILD)
    assert not isinstance(refused.value, Ambiguous)
    assert str(refused.value) == f"No fact matches {pasted[:80]!r}."
    assert await library.disputes(GUILD) == []


async def test_text_that_only_one_fact_has_names_it(library):
    """The search finds a single candidate: it is flagged, with no runner-up to compare."""
    result = await library.flag("harmala alkaloids", "wrong class", "mod", GUILD)
    assert result.fact.text.startswith("Ketamine, harmala alkaloids, and certain psychoactive tryptamines")
    assert [d.fact_id for d in await library.disputes(GUILD)] == [result.fact.id]


async def test_text_that_two_facts_have_asks_which(library):
    """The search finds exactly two candidates, both containing the word: the moderator chooses."""
    with pytest.raises(Ambiguous) as ambiguous:
        await library.flag("discontinuation", "which one?", "mod", GUILD)
    assert _fits("discontinuation", ambiguous.value.candidates) == [100.0, 100.0]
    assert await library.disputes(GUILD) == []


async def test_a_typo_fitting_at_exactly_the_clear_match_names_its_fact(library):
    """"slow tapre" fits the BZDR-discontinuation fact's "slow taper" at exactly 90, the others 70 or less."""
    fact = await library.resolve_fact("slow tapre", GUILD)
    assert "slow taper" in fact.text
    assert fuzz.partial_ratio("slow tapre", fold(fact.text)) == CLEAR_MATCH == 90


async def test_a_runner_up_at_exactly_the_clear_match_makes_it_ambiguous(library):
    """"randomised" is verbatim in one fact (100) and fits the "randomized" ones at exactly 90: it
    does not name the British-spelled fact alone."""
    with pytest.raises(Ambiguous) as ambiguous:
        await library.flag("randomised", "which trial?", "mod", GUILD)
    fits = _fits("randomised", ambiguous.value.candidates)
    assert fits[0] == 100.0 and fits[1] == CLEAR_MATCH
    assert await library.disputes(GUILD) == []
