"""The console runs the commands and prints the documented JSON shapes."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from bot.console import Console, UsageError, parse_command, run_lines
from tests.conftest import ROOT


def test_parse_named_options_keep_spaces():
    command = parse_command("/flag 7lm2vnhe reason:the dose is wrong, see source")
    assert command.options == {"fact": "7lm2vnhe", "reason": "the dose is wrong, see source"}
    command = parse_command("/fact bdnf levels type:claim concept:ketamine")
    assert command.options == {"query": "bdnf levels", "type": "claim", "concept": "ketamine"}


def test_parse_rejects_unknown_commands():
    with pytest.raises(UsageError):
        parse_command("/drop table facts")


async def test_fact_json_shape(library):
    data, rendered = await Console(library, "tester").run("/fact bdnf")
    assert data["command"] == "fact" and data["query"] == "bdnf"
    assert isinstance(data["elapsed_ms"], float)
    first = data["results"][0]
    assert {"id", "type", "text", "score", "disputed", "source"} <= set(first)
    assert {"title", "domain", "publisher", "date"} <= set(first["source"])
    assert "BDNF" in first["text"] or "brain-derived" in first["text"].lower()
    assert "1-5 of" in rendered


async def test_source_json_shape(library):
    data, _ = await Console(library, "tester").run("/source yaden")
    first = data["results"][0]
    assert {"title", "domain", "publisher", "authors", "date", "fact_count"} <= set(first)
    assert first["publisher"] == "Oxford University Press" and len(first["authors"]) == 9


async def test_synthesis_json_shape(library):
    data, _ = await Console(library, "tester").run("/synthesis")
    assert data["command"] == "synthesis" and len(data["paragraphs"]) == 5 and len(data["perspectives"]) == 7
    citation = data["paragraphs"][0]["citations"][0]
    assert {"label", "number", "fact_id", "score"} <= set(citation)
    assert any(c["fact_id"] is None for p in data["perspectives"] for c in p["citations"])


async def test_flag_then_disputes_json(library):
    console = Console(library, "alice")
    fact_id = (await console.run("/fact bdnf"))[0]["results"][0]["id"]
    data, _ = await console.run(f"/flag {fact_id} reason:overstated")
    assert data["fact"]["disputed"] is True
    data, _ = await console.run("/disputes")
    assert data == {
        "command": "disputes",
        "results": [{
            "fact_id": fact_id, "guild_id": 0, "reasons": ["overstated"], "flagged_by": ["alice"],
            "flagged_at": data["results"][0]["flagged_at"], "text": data["results"][0]["text"],
        }],
    }
    data, _ = await console.run("/fact bdnf")
    assert data["results"][0]["disputed"] is True


async def test_ask_lines_one_json_line_each(library):
    out = io.StringIO()
    await run_lines(Console(library, "t"), io.StringIO("/fact bdnf\n\n/source montreal\n/bogus\n"), out)
    lines = [json.loads(l) for l in out.getvalue().splitlines()]
    assert [l["command"] for l in lines] == ["fact", "source", "bogus"]
    assert "error" in lines[2]


@pytest.mark.parametrize("query", ['"', "*", "AND OR NEAR", "a -b (c", "'; DROP TABLE facts; --", "😀🔥",
                                   "x" * 5000, "   ", "NEAR(ketamine bdnf)", "\u202e\u200bketamine\x00"])
async def test_strange_queries_never_raise(library, query):
    data, rendered = await Console(library, "t").run(f"/fact {query}")
    assert "results" in data or "error" in data
    assert rendered


def test_cli_ask_json_subprocess(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndatabase = "{tmp_path / "db.sqlite3"}"\nseeds = "{ROOT / "seeds"}"\n')
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--config", str(config), "--json", "/fact grunebaum 2017"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["results"][0]["text"].startswith("Grunebaum et al. (2017)")
