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


async def test_a_runner_up_just_below_the_clear_match_leaves_it_clear(library):
    """A phrase pasted from the BZDR fact fits it at 100 and the RAPID study's "... the antidepressant
    effects of" at 89.2: below CLEAR_MATCH, so the pasted fact is named alone."""
    fact = await library.resolve_fact("shorten the antidepressant effects of", GUILD)
    assert fact.text.startswith("The Montreal model clinical team proposes a trial of benzodiazepine")


async def test_a_flag_says_whether_this_guild_disputed_the_fact_already(library):
    bdnf = (await library.fact("Ketamine increases BDNF levels")).results[0].id
    elsewhere = await library.flag(bdnf, "wrong dose", "mod", GUILD + 1)
    first = await library.flag(bdnf, "wrong dose", "mod", GUILD)
    second = await library.flag(bdnf, "and the wrong unit", "mod", GUILD)
    assert [r.already_disputed for r in (elsewhere, first, second)] == [False, False, True]
    assert second.fact.dispute_reasons == ["wrong dose", "and the wrong unit"]


async def test_an_unflag_answers_with_the_fact_as_it_is_now(library):
    bdnf = (await library.fact("Ketamine increases BDNF levels")).results[0].id
    await library.flag(bdnf, "wrong dose", "mod", GUILD)
    result = await library.unflag(bdnf, "checked the source", "mod", GUILD)
    assert result.already_disputed and result.event.action == "unflag"
    assert not result.fact.disputed and result.fact.dispute_reasons == []


async def test_an_unflag_of_an_unknown_id_is_refused_quoting_40_characters(library):
    typed = "z" * 60
    with pytest.raises(Refusal) as refused:
        await library.unflag(typed, "checked the source", "mod", GUILD)
    assert str(refused.value) == f"No fact has the id {typed[:40]!r}."


async def test_a_reason_of_three_letters_is_enough(library):
    """MIN_REASON counts letters and digits: "dup" says why (a duplicate), "ok" (2) does not."""
    bdnf = (await library.fact("Ketamine increases BDNF levels")).results[0].id
    assert (await library.flag(bdnf, "dup", "mod", GUILD)).event.reason == "dup"
    with pytest.raises(Refusal, match="A reason must say why"):
        await library.flag(bdnf, "ok!", "mod", GUILD)
