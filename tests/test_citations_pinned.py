"""The seed's citations, pinned: every block's clean text and every citation (kind, label, number,
resolved fact, score, anchor) exactly as the scanner found them before it was made fast.

`tests/pinned/seed_citations.json` was written by `python -m tests.test_citations_pinned` from the
scanner of commit cfee085. Re-record only for a change meant to alter results, and say so.
Re-recorded once, on purpose: BARE_COVERAGE 0.8 -> 0.82, so the summary "Montreal model integrates
ketamine into therapy" (synthesis 2, perspective 1) no longer cites a fact about ECT that shares 4
of its 5 words; it stays in the text uncited (tests/test_citation_thresholds.py has the case).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from storage.pages.format import parse_file
from storage.pages.records import Page
from tests.conftest import SEED

PINNED = Path(__file__).resolve().parent / "pinned" / "seed_citations.json"


def snapshot(page: Page) -> list[dict]:
    """Every block of the page with its clean text and citations, as plain JSON data."""
    blocks = []
    for name, items in (("synthesis", page.paragraphs), ("perspective", page.perspectives)):
        for item, entry in enumerate(items):
            citations = [
                {
                    "kind": c.kind, "label": c.label, "number": c.number, "fact_index": c.fact_index,
                    "fact_opens": None if c.fact_index is None else page.facts[c.fact_index].text[:60],
                    "score": c.score, "start": c.start,
                }
                for c in entry.citations
            ]
            blocks.append({"block": name, "item": item, "text": entry.text, "citations": citations})
    return blocks


@pytest.fixture(scope="module")
def pinned() -> list[dict]:
    return json.loads(PINNED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def current() -> list[dict]:
    return snapshot(parse_file(SEED))


def test_the_same_twenty_eight_bare_labels(pinned, current):
    def bare(blocks: list[dict]) -> list[tuple]:
        return [(b["block"], b["item"], c["label"], c["fact_index"], c["score"])
                for b in blocks for c in b["citations"] if c["kind"] == "bare"]

    assert len(bare(pinned)) == 28  # 30 until the ECT miscitation went (see the docstring)
    assert bare(current) == bare(pinned)


def test_every_labelled_citation_resolves_as_before(pinned, current):
    def labelled(blocks: list[dict]) -> list[tuple]:
        return [(b["block"], b["item"], c["number"], c["label"], c["fact_index"], c["score"])
                for b in blocks for c in b["citations"] if c["kind"] == "fact"]

    assert len(labelled(pinned)) == 23
    assert labelled(current) == labelled(pinned)


def test_every_block_and_citation_as_before(pinned, current):
    assert current == pinned


def record() -> None:
    """Write the pinned snapshot from the scanner as it is now."""
    PINNED.parent.mkdir(exist_ok=True)
    PINNED.write_text(json.dumps(snapshot(parse_file(SEED)), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {PINNED}", file=sys.stderr)


if __name__ == "__main__":
    record()
