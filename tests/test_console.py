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


async def test_check_json_shape_and_text(library):
    data, rendered = await Console(library, "tester").run("/check BDNF goes up after ketamine, reason: a lecture")
    assert data["command"] == "check" and data["text"] == "BDNF goes up after ketamine, reason: a lecture"
    assert 1 <= len(data["results"]) <= 5 and data["missing"] is None
    first = data["results"][0]
    fact, _ = await Console(library, "tester").run(f"/fact {first['id']}")
    assert {**fact["results"][0], "score": first["score"], "match": "words"} == first, "the fact shape plus match"
    assert rendered.startswith(f"{len(data['results'])} facts related to “BDNF goes up after ketamine")
    assert first["id"] in rendered and "(matched by words)" in rendered
    quiet, text = await Console(library, "tester").run("/check lol the wifi is dead again 💀")
    assert quiet["results"] == [] and quiet["missing"]["what"] == "related fact" and text == quiet["missing"]["message"]
    paste, _ = await Console(library, "tester").run("/check " + "BDNF goes up after ketamine. " * 300)
    assert len(paste["text"]) == 4000 and paste["results"]


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
        "total": 1,
        "offset": 0,
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

    # A reader that stops early (`| head -1`) is no error of ours: no traceback.
    reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    piped = subprocess.run([sys.executable, "-m", "bot", "ask", "--config", str(config), "--json", "/synthesis"],
                           cwd=ROOT, stdout=reader.stdin, stderr=subprocess.PIPE, text=True, timeout=60)
    reader.stdin.close()
    reader.wait(timeout=10)
    assert "Traceback" not in piped.stderr and "BrokenPipe" not in piped.stderr, piped.stderr


@pytest.mark.parametrize("line, named", [
    ("/fact bdnf type:clam", "No type “clam”; types are claim, measurement, reference, procedure, account, "
                             "perspective. Did you mean: claim?"),
    ("/fact bdnf concept:zzzz", "No concept “zzzz”; concepts are ketamine."),
    ("/fact bdnf source:qqqqxqqq", "No source matches the filter “qqqqxqqq”, so nothing was searched."),
    ("/source concept:zzzz", "No concept “zzzz”; concepts are ketamine."),
    ("/synthesis zzzz", "No concept “zzzz”; concepts are ketamine."),
    ("/synthesis perspective:9", "ketamine has perspectives 1-7; there is no perspective 9."),
])
async def test_a_filter_that_names_nothing_is_named(library, line, named):
    data, rendered = await Console(library, "t").run(line)
    assert rendered == named
    assert named in json.dumps(data, ensure_ascii=False)
    assert "bdnf" not in rendered  # the query was fine; the filter is what matched nothing


async def test_disputes_give_the_total_and_the_page(library):
    console = Console(library, "mod", per_page=5)
    ids = [f["id"] for f in (await console.run("/fact ketamine"))[0]["results"]]
    ids += [f["id"] for f in (await console.run("/fact ketamine page:2"))[0]["results"]]
    ids += [f["id"] for f in (await console.run("/fact ketamine page:3"))[0]["results"]]
    for fact_id in ids[:12]:
        await console.run(f"/flag {fact_id} reason:checking")
    await _pages(console, "/disputes", 12, ["6-10 of 12 open disputes", "11-12 of 12 open disputes"])


async def test_sources_give_the_total_and_the_page(library):
    await _pages(Console(library, "t", per_page=5), "/source", 14, ["6-10 of 14 sources", "11-14 of 14 sources"])


async def _pages(console: Console, command: str, total: int, headers: list[str]) -> None:
    """Pages 2 and 3 (5 a page) give the total and their offset in JSON, and say both in text."""
    for page, header in enumerate(headers, 2):
        data, rendered = await console.run(f"{command} page:{page}")
        offset = (page - 1) * 5
        assert (data["total"], data["offset"], len(data["results"])) == (total, offset, min(5, total - offset))
        assert rendered.startswith(header)


async def test_flag_by_unclear_text_lists_candidates_by_id(library):
    console = Console(library, "mod")
    data, rendered = await console.run("/flag bdnf reason:which one is wrong?")
    assert "choose one by its id" in data["error"] and 2 <= len(data["candidates"]) <= 5
    first = data["candidates"][0]["id"]
    assert f"/flag {first} reason:" in rendered
    assert await library.disputes() == []
    data, _ = await console.run(f"/flag {first} reason:this one")
    assert data["fact"]["id"] == first and data["fact"]["disputed"]


@pytest.mark.parametrize("reason", ["reason:.", "reason:ok", "reason:   !!"])
async def test_console_refuses_a_reason_that_says_nothing(library, reason):
    fact_id = (await library.fact("bdnf")).results[0].id
    data, rendered = await Console(library, "mod").run(f"/flag {fact_id} {reason}")
    assert "error" in data and await library.disputes() == []


async def test_unflag_without_its_guild_says_where_the_dispute_is(library):
    """The console lists every guild's disputes but acts in one: it says which to name."""
    fact_id = (await library.fact("bdnf")).results[0].id
    await Console(library, "mod", guild_id=42).run(f"/flag {fact_id} reason:overstated claim")
    _, told = await Console(library, "mod").run(f"/unflag {fact_id} reason:checked it")
    assert "not disputed here" in told and "disputed in guild 42: add --guild 42" in told
    _, done = await Console(library, "mod", guild_id=42).run(f"/unflag {fact_id} reason:checked it")
    assert done.startswith("Resolved the dispute")


def test_started_from_another_folder_it_says_why_nothing_is_there(tmp_path):
    """Relative paths are read from the working folder: from elsewhere the seeds are not found, and
    the user is told so (not an empty console, nor a traceback from generate)."""
    run = subprocess.run([sys.executable, "-m", "bot", "ask", "/fact bdnf"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "no pages loaded: no seeds at seeds" in run.stderr, run.stderr
    made = subprocess.run([sys.executable, "-m", "bot", "generate", "--pages", "1", "out"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 1 and made.stderr.startswith("page error: seeds/ketamine.txt: cannot read file")
    assert "Traceback" not in made.stderr


@pytest.mark.parametrize("line", ["/fact bdnf", "/quiz play", "/export", "/source", "/synthesis", "/check ketamine is safe"])
async def test_an_empty_library_says_no_concept_is_loaded(tmp_path, line):
    """Not "no fact matches" or "every fact is disputed": nothing was loaded (a start from the
    wrong folder, or every page removed)."""
    from storage.library import Library

    library = await Library.open(tmp_path / "empty.sqlite3", meaning=False)
    try:
        data, rendered = await Console(library, "tester").run(line)
        assert rendered == "No concept is loaded.", (line, rendered)
    finally:
        await library.close()


def test_cli_export_writes_a_deck_into_a_folder_or_says_why_not(tmp_path, capsys):
    import zipfile

    from bot.__main__ import main

    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndatabase = "{tmp_path / "db.sqlite3"}"\nseeds = "{ROOT / "seeds"}"\n'
                      '[search]\nmeaning = false\n')
    decks = tmp_path / "decks"
    decks.mkdir()
    assert main(["export", "--config", str(config), "--concept", "ketamine", "--type", "measurement",
                 "--out", str(decks)]) == 0
    written = decks / "factbot-ketamine-measurement.apkg"
    assert "collection.anki2" in zipfile.ZipFile(written).namelist()
    assert f"wrote {written}: " in capsys.readouterr().out
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert main(["export", "--config", str(config), "--out", str(blocked / "deck.apkg")]) == 1
    assert capsys.readouterr().err.startswith(f"error: cannot write {blocked / 'deck.apkg'}")


async def test_plain_words_are_a_fact_search_in_every_console_mode(library):
    console = Console(library, "tester")
    plain, searched = await console.run("bdnf levels"), await console.run("/fact bdnf levels")
    assert plain[0]["command"] == "fact" and plain[0]["results"] == searched[0]["results"]
    out = io.StringIO()
    await run_lines(console, io.StringIO("bdnf levels\n"), out)
    assert json.loads(out.getvalue())["results"] == searched[0]["results"]


async def test_words_only_answers_say_why_once(tmp_path):
    """The console embeds in the background, so the index is "being built"; `ask` embeds nothing,
    so it names the command that does."""
    from storage.library import Library
    from tests.conftest import SEED

    library = await Library.open(tmp_path / "db.sqlite3")  # meaning on, no vector yet
    try:
        await library.load([SEED])
        for embedding, said in ((True, "still being built"), (False, "python -m bot embed adds them")):
            console = Console(library, "tester", embedding=embedding)
            first, again = (await console.run("bdnf"))[1], (await console.run("bdnf"))[1]
            assert said in first.splitlines()[0] and said not in again
    finally:
        await library.close()
