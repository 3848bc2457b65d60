"""The search pipeline's promises beyond ranking quality (see test_relevance.py for that)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from storage.search.lexical import escape_fts
from storage.search.wordforms import WordForms
from storage.textnorm import replace_words
from tests.conftest import ROOT


def test_user_text_is_quoted_for_fts5():
    assert escape_fts(('say "hi"',)) == '"say ""hi"""'
    assert escape_fts(("n", "methyl", "d", "aspartate")) == '"n methyl d aspartate"'


async def test_acronyms_learned_from_the_page(library):
    vocab = await library.search.vocabulary()
    assert "vascular endothelial growth factor" in vocab.acronym_long["vegf"]
    assert "vegf" in vocab.long_acronym["vascular endothelial growth factor"]


async def test_long_form_finds_acronym_only_facts(library):
    answer = await library.fact("brain derived neurotrophic factor", limit=20)
    texts = [f.text for f in answer.results]
    assert any("BDNF" in t and "brain-derived" not in t.lower() for t in texts)


async def test_misspelling_corrected_from_corpus_never_invented(library):
    answer = await library.fact("schizofrenia")
    assert answer.corrections == {"schizofrenia": "schizophrenia"}
    assert answer.results and all("schizophreni" in f.text.lower() for f in answer.results)
    nothing = await library.fact("qwzxv")
    assert nothing.results == [] and nothing.corrections == {}


async def test_accents_and_typographic_apostrophes_fold(library):
    plain = await library.fact("Montreal model's six intravenous")
    curly = await library.fact("Montréal model’s six intravenous")
    assert [f.id for f in plain.results] == [f.id for f in curly.results]
    assert plain.results[0].text.startswith("The Montreal model's six intravenous")


async def test_same_query_same_order(library):
    first = await library.fact("ketamine treatment", limit=20)
    second = await library.fact("ketamine treatment", limit=20)
    assert [f.id for f in first.results] == [f.id for f in second.results]
    scores = [f.score for f in first.results]
    assert scores == sorted(scores, reverse=True)


async def test_did_you_mean(library):
    answer = await library.fact("ketamime neurogenisis zzzzqqq")
    assert answer.results == [] or answer.suggestions == []
    nothing = await library.fact("montrael modle xqzv")
    suggestions = (await library.search.suggest("montrael modle"))
    assert suggestions and len(suggestions) <= 3
    assert any("montreal" in s.lower() for s in suggestions)
    assert len(nothing.suggestions) <= 3


async def test_filters(library):
    claims = await library.fact("ketamine", fact_type="claim", limit=10)
    assert claims.results and all(f.type == "claim" for f in claims.results)
    springer = await library.fact("ketamine", source="neurogenesis broader neuroplasticity", limit=10)
    assert springer.results and all("neurogenesis" in f.source.title for f in springer.results)
    assert (await library.fact("ketamine", fact_type="gossip")).results == []


async def test_a_source_filter_names_every_source_it_fits(library):
    """`source:frontiers` is all three Frontiers sources (195 + 2 + 1 facts), not just the one whose
    short title ranked it a hair above the others; the 195-fact Montreal paper was once left out."""
    frontiers = await library.study.facts(source="frontiers")
    assert len(frontiers) == 198
    montreal = await library.fact("montreal", source="frontiers", limit=5)
    assert montreal.total >= 5 and all(f.source.publisher.startswith("Frontiers") for f in montreal.results)
    assert len(await library.study.facts(source="springer")) == 61 + 6  # two Springer sources
    assert len(await library.study.facts(source="montreal")) == 195  # one title only


async def test_autocomplete_limits(library):
    for partial in ("ket", "bdn", "neurog", "x" * 300, "😀"):
        choices = await library.complete.facts(partial)
        assert len(choices) <= 25
        assert all(1 <= len(name) <= 100 and 1 <= len(value) <= 100 for name, value in choices)
    assert await library.complete.facts("neurog")


async def test_source_search_by_author_title_and_domain(library):
    for query, expected in (("yaden", "Psychedelics and Consciousness"), ("montreal model", "The Montreal model"),
                            ("bbc", "What Western medicine"), ("stroud", "History and Current Status")):
        answer = await library.source(query)
        assert answer.results[0].source.title.startswith(expected), query


def test_bench_command_smoke(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "bench", "--facts", "3000", "--queries", "40", "--loads", "2", "--json", "--keep",
         str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["facts"] == 3000
    for key in ("load_facts_per_s", "db_mb", "search_ms", "autocomplete_ms", "wratio_full_scan_ms", "peak_rss_mb",
                "sqlite_alone_facts_per_s", "load_average", "targets"):
        assert key in data
    assert {"p50", "p95", "max"} <= set(data["search_ms"]) and data["reload_s"]["n"] == 3
    assert len(data["load_runs_s"]) == 2 and min(data["load_runs_s"]) <= data["load_s"] <= max(data["load_runs_s"])
    assert {"generated", "seed"} == set(data["parse_ms_per_page"])
    assert set(data["targets"]) == {"load_rate", "reload"}


async def test_an_author_named_only_in_the_source_ranks_the_topic_fact_first(library):
    """"yaden memory": Yaden is named only in the source's byline, memory in the fact. bm25 over
    the fact text alone ranks other memory facts first; the rerank must put Yaden's fact first."""
    top = (await library.fact("yaden memory", limit=1)).results[0]
    assert "David B Yaden" in top.source.authors and "memory" in top.text


@pytest.mark.parametrize("query, other, own", [
    ("electroconvulsive therapy", r"\bECT\b", r"electroconvulsive"),
    ("ect", r"electroconvulsive", r"\bECT\b"),
    ("brain derived neurotrophic factor", r"\bBDNF\b", r"brain.derived neurotrophic"),
    ("magnetoencephalography", r"\bMEG\b", r"magnetoencephalography"),  # spelled out in a perspective only
])
async def test_learned_acronyms_find_facts_that_use_only_the_other_form(library, query, other, own):
    """Facts that say only "ECT" answer "electroconvulsive therapy" (and the reverse) because the
    page taught the pair at load time; without acronym learning they would not match at all."""
    answer = await library.fact(query, limit=50)
    only_other = [f for f in answer.results if re.search(other, f.text, re.I) and not re.search(own, f.text, re.I)]
    assert only_other, f"no fact using only the other form of {query!r} was found"


async def test_a_long_form_typed_finds_the_acronym_the_page_writes_alone(library):
    """The page writes only "TNF-α"; the initials of the words typed spell it."""
    top = (await library.fact("tumour necrosis factor", limit=3)).results
    assert top and "TNF-α" in top[0].text


async def test_initials_count_only_when_they_spell_an_acronym_of_the_page(library):
    vocab = await library.search.vocabulary()
    assert vocab.initialism(["tumour", "necrosis", "factor"]) == "tnf"
    assert vocab.initialism(["electroconvulsive", "therapy"]) is None  # too short to be more than chance
    assert vocab.initialism(["ketamine", "early", "treatment"]) is None  # "ket" is no acronym of the page
    # Words the page has are searched as themselves, whatever their initials spell.
    assert vocab.initialism(["excluded", "clinical", "trials"]) is None  # "ect"
    assert vocab.initialism(["mitochondrial", "damage", "morphological", "abnormalities"]) is None  # "mdma"
    # An English word is no acronym, even one the page defines ("acceptance and commitment therapy (ACT)").
    assert "act" in vocab.acronym_long and vocab.initialism(["anxiety", "children", "treatment"]) is None


@pytest.mark.parametrize("query", ["patients elderly treatment", "anxiety children treatment"])
async def test_chance_initials_leave_the_words_typed_alone(library, query):
    plan = library.search.plan(query, await library.search.vocabulary())
    assert [g.typed for g in plan.groups] == ["patients" if "patients" in query else "anxiety", "treatment"]
    assert (await library.fact(query)).total >= 20


@pytest.mark.parametrize("query, held", [
    ("sws", "sleep slow waves"),  # the long form's words in another order and form
    ("slow wave sleep", "sleep slow waves"),
])
async def test_a_long_form_is_answered_by_its_words_apart(library, query, held):
    answer = await library.fact(query, limit=5)
    assert any(held in f.text for f in answer.results), [f.text[:60] for f in answer.results]
    assert "Slow Wave Sleep (SWS)" in answer.results[0].text  # the phrase itself ranks first


async def test_a_long_form_needs_all_its_words(library):
    """Psilocybin-assisted psychotherapy is no ketamine-assisted psychotherapy ("kap")."""
    answer = await library.fact("kap", limit=50)
    assert answer.results[0].text.startswith("J. Dore")  # "Ketamine assisted psychotherapy (KAP)"
    for fact in answer.results:
        text = fact.text.lower()
        assert "kap" in text or all(w in text for w in ("ketamine", "assisted", "psychotherapy")), fact.text


@pytest.mark.parametrize("query, form", [
    ("neurotoxicity", "neurotoxic"),
    ("dissociative", "dissociation"),
    ("mystical", "mysticism"),
    ("randomised", "randomized"),  # British spelling, American page
    ("anesthetics", "anaesthetics"),  # American spelling, British page
    ("psychotic", "psychosis"),  # a Greek noun and its adjective: -sis / -tic
])
async def test_a_word_finds_the_other_forms_of_its_family(library, query, form):
    answer = await library.fact(query, limit=50)
    assert any(form in f.text.lower() for f in answer.results), f"{query!r} misses {form!r}"
    assert answer.corrections == {}  # another form of the word is no correction


def test_a_noun_and_its_adjective_alternate_only_where_the_corpus_has_both():
    forms = WordForms(["psychosis", "psychotic", "medical", "anorexia", "anorexic", "dementia"])
    assert forms.family("psychosis") == ["psychotic"] and forms.family("psychotic") == ["psychosis"]
    assert forms.family("anorexic") == ["anorexia"]
    assert forms.family("media") == []  # no "medic" here: "media" is not "medical"
    assert forms.family("demented") == []  # "dementic" is no corpus word


def test_a_form_the_stemmer_cuts_shorter_extends_to_the_corpus_forms():
    """Snowball stems "occurred" to "occur" but "occurrence" to "occurr": a word with no family in
    the corpus reaches the words whose key extends its own, and a short key reaches nothing."""
    forms = WordForms(["occurrence", "occurrences", "occupy", "cellular", "celebrate"])
    assert forms.family("occurred") == []
    assert sorted(forms.extended("occurred")) == ["occurrence", "occurrences"]
    assert forms.extended("cell") == []  # "cell" is too short a key: "cellular", "celebrate"


def test_an_everyday_word_extends_by_derivational_suffixes_only():
    forms = WordForms(["stronger", "demonstrated", "demonstrates", "numbers"])
    assert forms.extended("strong", everyday=True) == ["stronger"]
    assert forms.extended("demon", everyday=True) == []  # its key would reach "demonstrated"
    assert forms.extended("demon") == ["demonstrated", "demonstrates"]  # a technical word's would
    assert forms.extended("numb", everyday=True) == []  # four letters: "numbers" is chance


async def test_an_everyday_word_the_page_lacks_is_no_typo(library):
    answer = await library.fact("chemotherapy")  # not "psychotherapy" misspelt
    assert answer.corrections == {} and answer.results == []
    assert (await library.fact("schizofrenia")).corrections == {"schizofrenia": "schizophrenia"}


async def test_the_exact_form_ranks_a_little_above_a_related_form(library):
    results = (await library.fact("dissociative", limit=20)).results
    exact = [i for i, f in enumerate(results) if "dissociative" in f.text.lower()]
    related = [i for i, f in enumerate(results) if "dissociati" in f.text.lower() and "dissociative" not in f.text.lower()]
    assert exact and related and min(exact) < min(related)


@pytest.mark.parametrize("query, pattern", [
    ("tnf alpha", r"TNF-α"),
    ("0.5mg/kg", r"0\.5 mg/kg"),
    ("5ht2a", r"5-HT2A"),
    ("5 ht2a", r"5-HT2A"),
    ("Nmda", r"\bNMDA\b"),
])
async def test_symbols_and_notations_are_the_same(library, query, pattern):
    results = (await library.fact(query, limit=5)).results
    assert results and re.search(pattern, results[0].text), (query, results[0].text[:80] if results else None)


async def test_a_capped_total_says_so(library):
    """Every fact says "ketamine": a search ranks the best MAX_RESULTS and must not call them all."""
    from bot.render import jsonview, text
    from storage.library import MAX_RESULTS

    many = await library.fact("ketamine", limit=5)
    assert many.capped and many.total == MAX_RESULTS
    assert text.fact_answer(many).splitlines()[0] == f"1-5 of the best {MAX_RESULTS} for 'ketamine'"
    assert jsonview.fact_answer_json(many)["capped"] is True
    past = await library.fact("ketamine", offset=MAX_RESULTS, limit=5)
    assert "these were the best" in text.fact_answer(past)
    few = await library.fact("bdnf", limit=5)
    assert not few.capped and f"of {few.total} for" in text.fact_answer(few)


async def test_the_link_a_source_shows_finds_it(library):
    assert (await library.source("https://frontiersin.org")).total == 2  # the two on that domain
    assert (await library.source("https://www.nature.com")).results[0].source.title.startswith("Neuroimaging")


async def test_corrections_count_typos_as_people_make_them(library):
    """A swapped pair is one slip ("modle" is "model", not "mode"); a name the page lacks is not
    turned into a page word two edits away ("zarate" is no "rate")."""
    vocab = library.search._vocabulary()
    assert vocab.corrections("modle", limit=1)[0][0] == "model"
    assert vocab.corrections("ketmaine", limit=1)[0][0] == "ketamine"
    assert vocab.corrections("zarate") == []
    assert (await library.fact("zarate")).results == []


@pytest.mark.parametrize("author", ["yaden", "Stroud"])
async def test_et_al_after_an_author_finds_what_the_author_alone_finds(library, author):
    alone = (await library.fact(author)).results[0].id
    for typed in (f"{author} et al", f"{author} et al.", f"{author.upper()} ET AL"):
        assert (await library.fact(typed)).results[0].id == alone, typed


@pytest.mark.parametrize("typed, offered", [
    ("psychedelic drug news", "Psychedelic Drugs News - ScienceDaily"),
    ("cancer", None),  # WRatio matched it to "... ScienceDaily" on a few shared letters
    ("drop table", None),  # everyday words the page lacks are no typos of its words ("tablet")
])
async def test_did_you_mean_offers_only_what_was_plausibly_meant(library, typed, offered):
    suggestions = await library.search.suggest(typed)
    if offered is None:
        assert suggestions == [], suggestions
    else:
        assert any(s.startswith(offered[:40]) for s in suggestions), suggestions


async def test_a_source_search_that_finds_none_says_how_many_facts_mention_it(library):
    """No source is The Lancet, but two facts cite it: the student is sent where they are."""
    answer = await library.source("lancet")
    assert answer.results == [] and answer.missing.message == (
        "No source matches “lancet”. 2 facts mention it: search them with /fact lancet.")
    kept = await library.source("lancet", concept="ketamine")
    assert kept.missing.message.endswith("search them with /fact lancet concept:ketamine.")
    # Only facts with every word count; a misspelling gets its correction, not a count.
    assert "mention" not in (await library.source("lancet zzyzx")).missing.message
    assert (await library.source("lancett")).missing.message == "No source matches “lancett”. Did you mean: lancet?"
    many = await library.source("ketamine")
    assert "50+ facts mention it" in many.missing.message  # nearly every fact of the page says "ketamine"
    nothing = await library.source("qqqzzz")
    assert nothing.missing.message == "No source matches “qqqzzz”."


async def test_a_lay_name_finds_what_the_page_calls_otherwise(library):
    """The thesaurus (WordNet): the page says "nitrous oxide" and "benzodiazepine", never "laughing
    gas" or "xanax"; neither is taken for a typo, and the answer says what was searched."""
    from bot.render import jsonview, text

    answer = await library.fact("laughing gas", limit=3)
    assert "nitrous oxide" in answer.results[0].text and answer.corrections == {}
    assert answer.renamed == {"laughing gas": "nitrous oxide"}  # shown as "searched laughing gas → ..."
    assert "(searched laughing gas → nitrous oxide)" in text.fact_answer(answer)
    answer = await library.fact("xanax", limit=5)
    assert answer.results and all("benzodiazepine" in f.text.lower() for f in answer.results)
    assert answer.corrections == {} and jsonview.fact_answer_json(answer)["renamed"] == {"xanax": "benzodiazepine"}
    assert (await library.fact("ketamine")).renamed == {}
    # Nothing the page has is searched by another name: "ketamine" is not "general anesthetic".
    vocab = await library.search.vocabulary()
    assert vocab.lay.related("ketamine") and vocab.other_names(["ketamine"]) == []
    # Typed words joined as a name still count as themselves ("drug" of "club drug"), and a name
    # whose only other name on the page is too broad is no name at all ("special k": every fact
    # says "ketamine"): its words are searched as typed.
    assert any("drug" in f.text.lower() for f in (await library.fact("club drug", limit=5)).results)
    assert any("k-hole" in f.text.lower() for f in (await library.fact("special k", limit=5)).results)


async def test_a_name_the_page_lacks_weighs_as_the_facts_its_other_names_find(library):
    """"laughing gas": the page has neither word, so the group is its other name alone and weighs
    as the facts that say "nitrous oxide", not as a word no fact has."""
    vocab = await library.search.vocabulary()
    (group,) = library.search.plan("laughing gas", vocab).groups
    assert [a.words for a in group.alternatives] == [("nitrous", "oxide")]
    assert group.df > 0 and group.weight == pytest.approx(vocab.idf(group.df))


def test_words_are_replaced_where_they_stand():
    fixes = {"halucinations": "hallucinations", "scizophrenia": "schizophrenia"}
    assert replace_words("5-HT2A and Halucinations?", fixes) == "5-ht2a and hallucinations?"
    assert replace_words("Scizophrénia, scizophrenia", fixes) == "schizophrenia, schizophrenia"
    assert replace_words("nothing to fix", fixes) == "nothing to fix"
    assert replace_words("", fixes) == ""
