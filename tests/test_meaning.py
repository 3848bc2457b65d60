"""The meaning layer: vectors keyed by content (kept across reloads), the embed command resumable
and idle when nothing is missing, the switch in the config, and fused answers that say how each
fact was found."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import numpy as np

from storage.library import Library
from storage.search import lexical
from storage.search.fusion import evidence, fuse, meaning_text
from storage.search.meaning import vectors
from storage.search.meaning.search import Near
from tests.conftest import ROOT, SEED


def _count(db, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


async def test_a_question_in_plain_words_is_answered_by_meaning(meaning_library):
    answer = await meaning_library.fact("is ketamine safe for the bladder", limit=5)
    assert any("bladder" in f.text.lower() or "urinary" in f.text.lower() for f in answer.results[:3])
    assert {f.match for f in answer.results} <= {"words", "meaning", "both"}
    assert any(f.match == "both" for f in answer.results)


async def test_the_best_answers_widen_a_short_query(meaning_library, monkeypatch):
    """Pseudo-relevance feedback: "nose spray" finds the page's "esketamine nasal spray" by words,
    and the facts close to what that answer says (intranasal esketamine) then rise by meaning."""
    async def top5() -> list[str]:
        return [f.text for f in (await meaning_library.fact("nose spray", limit=5)).results]

    intranasal = "Intranasal esketamine, the s-enantiomer of ketamine"
    assert any(text.startswith(intranasal) for text in await top5())
    monkeypatch.setattr(lexical, "FEEDBACK_WEIGHT", 0.0)
    assert not any(text.startswith(intranasal) for text in await top5())


async def test_the_sentence_model_reads_a_misspelt_word_as_the_page_spells_it(meaning_library, monkeypatch):
    """MiniLM reads "scizophrenia" as word pieces of nothing; corrected, it finds the rat model."""
    async def top3() -> list[str]:
        return [f.text for f in (await meaning_library.fact("scizophrenia", limit=3, mode="meaning")).results]

    assert any("schizophrenia" in text for text in await top3())
    monkeypatch.setattr(lexical, "replace_words", lambda query, corrections: query)
    assert not any("schizophrenia" in text for text in await top3())


async def test_words_still_lead_author_and_year(meaning_library):
    top = (await meaning_library.fact("grunebaum 2017", limit=1)).results[0]
    assert top.text.startswith("Grunebaum et al. (2017)") and top.match in ("words", "both")


async def test_nonsense_still_finds_nothing(meaning_library):
    for junk in ("zzzqqxx", "asdf qwer zxcv", "😀🔥", "***", "x" * 5000):
        answer = await meaning_library.fact(junk)
        assert answer.results == [] and answer.missing is not None, junk


async def test_no_word_of_the_page_or_of_english_is_no_question_for_meaning(meaning_library):
    """The sentence model ranks facts for any string; the nearest of "qwertyuiop" is no answer."""
    for junk in ("qwertyuiop", "asdfgh jklqw", "zxcv"):
        answer = await meaning_library.fact(junk)
        assert answer.results == [] and answer.missing is not None, junk
    # A word of English the page lacks is still a question, and so is a form of a page word or a
    # word spelled as English words are that the model's vocabulary lacks.
    for asked in ("chemotherapy", "psychoplastogenic", "insomnia", "anhedonia", "ayahuasca"):
        assert (await meaning_library.fact(asked)).results, asked


def test_a_cosine_counts_by_how_far_it_stands_above_the_querys_background():
    # A short query's best fact at 0.28 over a background of 0.02 +- 0.05 is strong evidence; the
    # same cosine for a question whose every fact scores 0.5-0.8 is none.
    assert evidence(0.28, 0.02, 0.05) > 0.6
    assert evidence(0.28, 0.55, 0.08) == 0.0
    # Facts a question scores 0.80 and 0.86 keep their order (no cap at an absolute cosine).
    assert 0 < evidence(0.80, 0.55, 0.08) < evidence(0.86, 0.55, 0.08) < 1


def test_fusion_reads_meaning_for_facts_found_by_words_and_ignores_a_query_near_nothing():
    lexical = [(1, 80.0), (2, 79.0)]
    # Fact 2 is not among the closest in meaning but its cosine came along with the lexical ones.
    ranked = fuse(lexical, Near([(3, 0.5), (1, 0.3)], {2: 0.45, 1: 0.3}, 0.1, 0.05), "words", 5)
    assert [(f.rowid, f.match) for f in ranked] == [(2, "both"), (1, "both"), (3, "meaning")]
    # Nonsense: no word of the page and the closest fact below the floor: nothing at all.
    assert fuse([], Near([(3, 0.12), (4, 0.11)], {}, -0.02, 0.04), "topic", 5) == []
    # A short query the words do find counts its low cosines by how far they stand out.
    ranked = fuse(lexical, Near([(3, 0.12)], {1: 0.0, 2: 0.11}, -0.02, 0.04), "words", 5)
    assert [(f.rowid, f.match) for f in ranked] == [(2, "both"), (1, "words"), (3, "meaning")]


def test_the_sentence_model_reads_the_query_without_the_words_every_fact_has():
    df, documents = {"aspirin": 95, "safe": 3, "stomach": 4}, 100
    assert meaning_text("is aspirin safe for the stomach", df, documents) == "is safe for the stomach"
    assert meaning_text("aspirin", df, documents) == "aspirin"  # nothing else left: kept as typed
    assert meaning_text("Is it safe?", df, documents) == "Is it safe?"  # nothing to drop: as typed


async def test_a_reload_keeps_vectors_and_a_changed_page_embeds_only_its_new_fact(tmp_path, embedded_db):
    db = tmp_path / "db.sqlite3"
    db.write_bytes(embedded_db.read_bytes())
    before = _count(db, "SELECT count(*) FROM fact_vectors")
    page = tmp_path / "ketamine.txt"
    lines = SEED.read_text(encoding="utf-8").splitlines()
    claim = next(i for i, line in enumerate(lines) if line.startswith("claim"))
    lines[claim] += " (edited)"
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")
    library = await Library.open(db)
    try:
        await library.load([page])
        assert await library.missing_vectors() == 1
        assert await library.embed_missing() == 1
        assert await library.embed_missing() == 0 and library.meaning_ready
    finally:
        await library.close()
    assert _count(db, "SELECT count(*) FROM fact_vectors") == before + 1


def test_stored_vectors_round_trip_within_int8_precision():
    rng = np.random.default_rng(7)
    unit = rng.standard_normal((20, vectors.DIMENSION)).astype(np.float32)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    back = vectors.unpack(vectors.pack(unit))
    assert np.abs((back * unit).sum(axis=1) - 1).max() < 0.01
    # Signs read from the stored int8 agree with the float signs but for components rounded to 0.
    differ = np.bitwise_count(vectors.blob_bits(vectors.pack(unit)) ^ vectors.sign_bits(unit)).sum()
    assert differ <= 0.01 * unit.size


def _cli(*args: str, config) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args, "--config", str(config)], cwd=ROOT,
                          capture_output=True, text=True, timeout=180)


def test_embed_command_is_resumable_and_a_no_op_when_done(tmp_path):
    db = tmp_path / "db.sqlite3"
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndatabase = "{db}"\nseeds = "{SEED}"\n', encoding="utf-8")
    assert _cli("load", config=config).returncode == 0
    # Killed once its first batch is stored: that batch stays, the next run embeds only the rest.
    run = subprocess.Popen([sys.executable, "-m", "bot", "embed", "--config", str(config)], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _count(db, "SELECT count(*) FROM fact_vectors") == 0 and run.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    run.kill()
    run.wait()
    kept = _count(db, "SELECT count(*) FROM fact_vectors")
    assert 0 < kept < 285
    rest = _cli("embed", config=config)
    assert rest.returncode == 0 and f"embedded {285 - kept} facts" in rest.stdout, rest.stdout + rest.stderr
    again = _cli("embed", config=config)
    assert again.returncode == 0 and "nothing to embed" in again.stdout
    assert _count(db, "SELECT count(*) FROM fact_vectors") == 285
    answer = _cli("ask", "--json", "/fact does ketamine help people who want to die", config=config)
    data = json.loads(answer.stdout)
    assert data["results"] and all(r["match"] in ("words", "meaning", "both") for r in data["results"])
    assert {"meaning", "both"} & {r["match"] for r in data["results"]}  # meaning took part


def test_the_meaning_layer_can_be_turned_off(tmp_path):
    db = tmp_path / "db.sqlite3"
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndatabase = "{db}"\nseeds = "{SEED}"\n[search]\nmeaning = false\n', encoding="utf-8")
    loaded = _cli("load", "--embed", config=config)
    assert loaded.returncode == 0, loaded.stderr
    assert _count(db, "SELECT count(*) FROM fact_vectors") == 0  # --embed with meaning off embeds nothing
    data = json.loads(_cli("ask", "--json", "/fact bdnf", config=config).stdout)
    assert {r["match"] for r in data["results"]} == {"words"}


async def test_a_page_another_process_reloads_leaves_no_stale_rowids(meaning_library, tmp_path):
    """The page is reloaded by another process with two facts swapped: no new content, so no new
    vector, but new rowids. Meaning search must answer with the facts as they are now."""
    import asyncio

    from storage.load.loader import load_paths
    from tests.conftest import SEED

    seed = SEED.read_text(encoding="utf-8")
    copy = tmp_path / "copy.txt"  # a second page: more facts than the sign-bit shortlist rescores
    copy.write_text(seed.replace("\nketamine\n", "\nketamine copy\n", 1), encoding="utf-8")
    await meaning_library.load([copy])
    await meaning_library.embed_missing()
    lines = seed.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("claim"))
    query = lines[first].removeprefix("claim")  # its fact is the closest, and its rowid moves
    lines[first], lines[first + 1] = lines[first + 1], lines[first]
    page = tmp_path / "ketamine.txt"
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")
    await meaning_library.search.similar(query, 10)  # the index is built
    await asyncio.to_thread(load_paths, meaning_library.path, [page], None, {})
    after = await meaning_library.search.similar(query, 10)
    fresh = await Library.open(meaning_library.path)
    try:
        assert await fresh.use_meaning_if_complete()
        assert after == await fresh.search.similar(query, 10)
    finally:
        await fresh.close()


class _CountingEncoder:
    """Stands in for the model: unit vectors, and every text it was asked to embed, in order."""

    def __init__(self, on_first_batch=None) -> None:
        self.texts: list[str] = []
        self.on_first_batch = on_first_batch

    def encode(self, texts: list[str]) -> np.ndarray:
        if not self.texts and self.on_first_batch:
            self.on_first_batch()
        self.texts += texts
        out = np.zeros((len(texts), vectors.DIMENSION), dtype=np.float32)
        out[:, 0] = 1.0
        return out


async def test_one_embedding_pass_embeds_each_content_once_and_catches_facts_left_behind(tmp_path, monkeypatch):
    """Batches walk the facts once; a fact whose vector goes missing behind the walk (a page loaded
    meanwhile where rowids are reused) is still embedded before the pass ends."""
    from storage.search.meaning import embed

    db = tmp_path / "db.sqlite3"
    library = await Library.open(db, meaning=False)
    try:
        await library.load([SEED])
    finally:
        await library.close()
    contents = _count(db, "SELECT count(DISTINCT key) FROM facts")
    behind = _count(db, "SELECT count(DISTINCT key) FROM facts WHERE rowid <= 60")
    monkeypatch.setattr(embed, "BATCH", 50)
    assert embed.embed_missing(db, _CountingEncoder()) == contents
    assert embed.embed_missing(db, _CountingEncoder()) == 0

    def forget_the_first() -> None:  # its vector gone after the walk has passed it
        conn = sqlite3.connect(db)
        conn.execute("DELETE FROM fact_vectors WHERE key IN (SELECT key FROM facts WHERE rowid <= 60)")
        conn.commit()
        conn.close()

    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM fact_vectors WHERE key NOT IN (SELECT key FROM facts WHERE rowid <= 60)")
    conn.commit()
    conn.close()
    left = _count(db, vectors.COUNT_MISSING)
    encoder = _CountingEncoder(on_first_batch=forget_the_first)
    done = embed.embed_missing(db, encoder)
    assert _count(db, vectors.COUNT_MISSING) == 0
    assert len(encoder.texts) == done == left + behind  # each once, those left behind too
