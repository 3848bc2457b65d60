"""Checking a chat message against the page (Library.check): the judged chat messages, the
relatedness threshold, disputes, and hostile text.

tests/judged/messages.json holds 68 chat messages written and graded from the page by an
independent judge before any ranker ran, split dev/test when written. The check was tuned on the
dev split only; the test split is measured, never tuned on.
"""

from __future__ import annotations

import json

import pytest

from storage import MAX_CHECK
from storage.search import related
from storage.search.related import RELATED
from tests.conftest import ROOT

MESSAGES = json.loads((ROOT / "tests" / "judged" / "messages.json").read_text(encoding="utf-8"))["messages"]

# The issue's floors: a grade-3 fact in the top 3 for 80% of on-topic messages, "nothing related"
# for 80% of off-topic ones. Lexical search alone reaches the second, not the first (see
# test_judged_messages_meet_the_floors); fused with meaning it reaches both (the test below it).
ISSUE_TOP3, ISSUE_QUIET = 0.80, 0.80
FLOORS = {  # split -> (top-3 floor, nothing-related floor) asserted
    "dev": (0.65, ISSUE_QUIET),
    "test": (0.63, ISSUE_QUIET),
}


def _fact_of(texts: dict[str, str], fragment: str) -> set[str]:
    return {fact_id for fact_id, text in texts.items() if fragment in text}


@pytest.fixture
async def judged(library) -> dict[str, dict[str, list[tuple[str, bool, float]]]]:
    """The judged messages checked by words alone (see _judge)."""
    return await _judge(library)


async def test_with_meaning_the_test_split_meets_the_issues_floors(meaning_library, capsys):
    """Words and meaning fused (storage/search/fusion.py: fuse_related, tuned on dev only): the
    test split, never tuned on, meets both of the issue's floors."""
    judged = await _judge(meaning_library)
    with capsys.disabled():
        for split in ("dev", "test"):
            on, off = judged[split]["on_topic"], judged[split]["off_topic"]
            print(f"\nfused {split}: right fact in top 3 {_rate(on):.0%}, nothing related {_rate(off):.0%}")
    assert _rate(judged["test"]["on_topic"]) >= ISSUE_TOP3
    assert _rate(judged["test"]["off_topic"]) >= ISSUE_QUIET


async def _judge(library) -> dict[str, dict[str, list[tuple[str, bool, float]]]]:
    """split -> kind -> (message, passed, best score): passed is a grade-3 fact in the top 3 for an
    on-topic message, nothing related for an off-topic one."""
    async with library.conn.execute("SELECT id, text FROM facts") as cursor:
        texts = {fact_id: text for fact_id, text in await cursor.fetchall()}
    table: dict[str, dict[str, list[tuple[str, bool, float]]]] = {}
    for message in MESSAGES:
        answer = await library.check(message["text"])
        shown = [f.id for f in answer.results]
        best = max((f.score or 0.0 for f in answer.results), default=0.0)
        if message["kind"] == "on_topic":
            wanted = set().union(*(_fact_of(texts, r["fact"]) for r in message["relevant"] if r["grade"] == 3))
            passed = bool(wanted & set(shown[:3]))
        else:
            passed = answer.missing is not None and answer.missing.what == "related fact"
        table.setdefault(message["split"], {}).setdefault(message["kind"], []).append((message["text"], passed, best))
    return table


def _rate(rows: list[tuple[str, bool, float]]) -> float:
    return sum(passed for _, passed, _ in rows) / len(rows)


def test_every_judged_fact_is_on_the_page(seed_text):
    assert len(MESSAGES) >= 30 and {m["kind"] for m in MESSAGES} == {"on_topic", "off_topic"}
    for message in MESSAGES:
        assert message["split"] in FLOORS
        for relevant in message["relevant"]:
            assert relevant["fact"] in seed_text, relevant["fact"]


async def test_judged_messages_meet_the_floors(judged, capsys):
    """The test split meets the issue's floor for off-topic messages ("nothing related" for at
    least 80%) but NOT its floor for on-topic ones: lexical search puts a grade-3 fact in the top 3
    for 68% of them (15 of 22), so 0.63 is asserted as a regression floor (one message of slack).

    The gap is meaning, not words: "ketamine is a classic psychedelic like LSD" or "ketamine was
    discovered in the 90s" share no rare word with the facts that answer them (the page says the
    ketamine experience is unlike classic psychedelics, and dates it to the 1960s). The meaning
    layer (sentence embeddings, fused in storage/search/related.py) is meant to close it; raise
    the floor to ISSUE_TOP3 then."""
    lines = [f"{'split':6} {'right fact in top 3':>22} {'nothing related':>17}"]
    for split in ("dev", "test"):
        on, off = judged[split]["on_topic"], judged[split]["off_topic"]
        lines.append(f"{split:6} {sum(p for _, p, _ in on):>9}/{len(on)} = {_rate(on):5.0%} "
                     f"{sum(p for _, p, _ in off):>6}/{len(off)} = {_rate(off):4.0%}")
    with capsys.disabled():
        print("\nchecked chat messages (tests/judged/messages.json):\n" + "\n".join(lines))
    for split, (top3, quiet) in FLOORS.items():
        assert _rate(judged[split]["on_topic"]) >= top3, split
        assert _rate(judged[split]["off_topic"]) >= quiet >= ISSUE_QUIET, split
    assert FLOORS["test"][0] < ISSUE_TOP3, "the floor is met: assert the issue's floor instead of the regression floor"


async def test_the_threshold_separates_the_dev_messages(library, monkeypatch, capsys):
    """RELATED was chosen on the dev split, in the gap between what chance gives an off-topic
    message (one rare word shared with the page: 1.0) and the least related on-topic message."""
    monkeypatch.setattr(related, "RELATED", 0.0)  # every candidate's score, threshold off
    best: dict[str, list[float]] = {"on_topic": [], "off_topic": []}
    for message in MESSAGES:
        if message["split"] == "dev":
            results = (await library.check(message["text"])).results
            best[message["kind"]].append(max((f.score or 0.0 for f in results), default=0.0))
    off = sorted(best["off_topic"])
    with capsys.disabled():
        print(f"\ndev best scores: on-topic from {min(best['on_topic']):.2f}; off-topic up to {off[-2]:.2f}, "
              f"and {off[-1]:.2f} once; threshold {RELATED}")
    # One off-topic message may pass: "nitrous oxide ... greenhouse gas" shares two rare words.
    assert off[-2] < RELATED <= min(best["on_topic"])


async def test_a_check_shows_this_guilds_disputes(library):
    text = "BDNF goes up after ketamine"
    first = (await library.check(text, guild_id=1)).results[0]
    await library.flag(first.id, "only in rodents so far", "moderator", guild_id=1)
    here = (await library.check(text, guild_id=1)).results
    elsewhere = (await library.check(text, guild_id=2)).results
    assert [f.id for f in here] == [f.id for f in elsewhere]
    assert here[0].disputed and here[0].dispute_reasons == ["only in rodents so far"]
    assert not elsewhere[0].disputed
    assert all(f.match == "words" for f in here) and 1 <= len(here) <= 5


async def test_few_related_facts_are_shown_when_few_are_related(library):
    answer = await library.check("montreal model makes you set at least 3 SMART goals", limit=2)
    assert len(answer.results) == 2 and answer.missing is None
    assert "SMART" in answer.results[0].text


@pytest.mark.parametrize("text, what", [
    ("", "text"),
    ("   \n\t ", "text"),
    ("😀🔥💀" * 40, "related fact"),
    ("' OR 1=1; DROP TABLE facts; --", "related fact"),
    ('"quoted" NEAR(a b) AND * ^ -', "related fact"),
    ("\x00\x07 \u202e\u200b", "related fact"),
])
async def test_text_with_nothing_to_check_gets_a_plain_answer(library, text, what):
    answer = await library.check(text)
    assert answer.results == [] and answer.missing is not None and answer.missing.what == what
    assert answer.missing.message and "Traceback" not in answer.missing.message


async def test_a_long_paste_is_cut_and_still_checked(library):
    paste = " ".join(m["text"] for m in MESSAGES if m["kind"] == "on_topic") * 3
    assert len(paste) > MAX_CHECK
    answer = await library.check(paste)
    assert len(answer.text) == MAX_CHECK and 1 <= len(answer.results) <= 5
    assert await library.fact_by_id(answer.results[0].id) is not None
