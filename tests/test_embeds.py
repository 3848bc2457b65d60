"""Rendering stays within Discord's limits for the longest texts."""

from __future__ import annotations

from dataclasses import replace

from bot.render import embeds
from bot.render.limits import chunks, clip
from storage.answers import (
    Block,
    CheckAnswer,
    CitationView,
    Dispute,
    FactAnswer,
    FactView,
    SourceInfo,
    SynthesisAnswer,
)

LONG_SOURCE = SourceInfo(1, "T" * 400, "example.org", "P" * 300, tuple(f"Author {i}" for i in range(40)), "2024-01-01",
                         999, "concept")


def _fact(i: int, length: int, disputed: bool = False) -> FactView:
    text = " ".join(["word"] * (length // 5))
    dispute = (Dispute(f"id{i:06d}", 1, ("r" * 600, "because " * 100), ("mod",), "2026-01-01"),) if disputed else ()
    return FactView(f"id{i:06d}", "claim", text, 99.0, "concept", LONG_SOURCE, dispute)


def _check(embed) -> None:
    data = embed.to_dict()
    assert len(embed) <= 6000
    assert len(data.get("title", "")) <= 256 and len(data.get("description", "")) <= 4096
    assert len(data.get("fields", [])) <= 25
    for field in data.get("fields", []):
        assert len(field["name"]) <= 256 and len(field["value"]) <= 1024


def test_ten_longest_facts_fit_one_embed():
    answer = FactAnswer("q" * 300, [_fact(i, 6000, disputed=i % 2 == 0) for i in range(10)], 50, 0,
                        corrections={"x" * 40: "y" * 40})
    embed = embeds.fact_list(answer)
    _check(embed)
    assert all("/fact id" in f.value for f in embed.fields), "a cut fact says how to read all of it"
    assert all("⚠ Disputed" in f.name for f in embed.fields[::2])


def test_longest_fact_in_full_and_its_source():
    _check(embeds.fact_detail(_fact(1, 6000, disputed=True)))


def test_whole_synthesis_of_huge_paragraphs_is_split_within_limits():
    text = ("A sentence of moderate length about ketamine. " * 400).strip()
    citations = [CitationView("fact", "l", n, f"id{n:06d}", 90.0, n * 10, n % 7 == 0) for n in range(300)]
    answer = SynthesisAnswer("c" * 300, "s" * 300, [Block(text, citations) for _ in range(6)],
                             [Block(text, citations, "m" * 300, "definitive", 90)])
    messages = embeds.synthesis_messages(answer)
    assert len(messages) > 1
    for message in messages:
        assert len(message) <= 10 and sum(len(e) for e in message) <= 6000
        for embed in message:
            _check(embed)
    pieces = [e.description for m in messages for e in m]
    assert any(p.endswith("…") for p in pieces) and any(p.startswith("…") for p in pieces)
    for message in embeds.perspective(answer, 1):
        assert sum(len(e) for e in message) <= 6000


def test_clip_and_chunks_never_cut_a_word_silently():
    assert clip("alpha beta gamma", 12) == "alpha beta…"
    parts = chunks("word " * 3000, 4096)
    assert all(len(p) <= 4096 for p in parts)
    assert all(p.endswith("…") for p in parts[:-1]) and all(p.startswith("…") for p in parts[1:])


def test_a_check_of_the_longest_message_and_facts_fits_one_embed():
    answer = CheckAnswer("claim " * 800, [replace(_fact(i, 6000, disputed=i % 2 == 0), match="words") for i in range(5)])
    embed = embeds.check_answer(answer, "https://discord.com/channels/1/2/3")
    _check(embed)
    assert embed.url == "https://discord.com/channels/1/2/3" and len(embed.fields) == 5
    assert "⚠ Disputed" in embed.fields[0].name and "matched by words" in embed.footer.text


def test_many_citations_become_menus_of_25_and_messages_of_5_menus():
    from bot.commands.synthesis import citation_views

    citations = [CitationView("fact", "l", n, f"id{n:06d}", 90.0, n, False) for n in range(130)]
    cited = {c.fact_id: _fact(n, 6000, disputed=n == 3) for n, c in enumerate(citations)}
    answer = SynthesisAnswer("c", "s", [Block("text " * 200, citations[:70]), Block("more " * 200, citations[60:])], [],
                             cited)
    groups = embeds.cited_options(answer, answer.paragraphs)
    assert [len(g) for g in groups] == [25, 25, 25, 25, 25, 5]
    assert all(len(label) <= 100 and len(about) <= 100 for g in groups for label, _, about in g)
    assert groups[0][0][0].startswith("[1] word") and groups[5][4][0].startswith("[130] word")
    assert groups[0][3][2].startswith("⚠ Disputed")
    views = citation_views(answer, answer.paragraphs)
    assert [len(v.children) for v in views] == [5, 1]
    placeholders = [item.item.placeholder for v in views for item in v.children]
    assert placeholders[0] == "Show a cited fact [1]–[25]" and placeholders[-1] == "Show a cited fact [126]–[130]"
    assert len({item.custom_id for v in views for item in v.children}) == 6


def test_custom_ids_fit_discords_limit_and_parse_back():
    from bot.commands.check import ShareCheck
    from bot.commands.controls import custom_id
    from bot.commands.facts import Suggestion

    title = "Psychedelics and Consciousness: a very long source title " * 3
    suggestion = Suggestion.make(2**63 - 1, title)
    assert len(suggestion.custom_id) <= 100 and suggestion.state["owner"] == str(2**63 - 1)
    assert title.startswith(suggestion.state["query"]) and not suggestion.state["query"].endswith(" ")
    assert len(suggestion.item.label) <= 80
    share = ShareCheck.make(2**63 - 1, 2**63 - 2)
    assert share.state == {"owner": str(2**63 - 1), "message": str(2**63 - 2)}
    assert custom_id("dym", 5, "x" * 200) == "fb:dym:5:" + "x" * 91
