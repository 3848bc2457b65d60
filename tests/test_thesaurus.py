"""The lay-word thesaurus built from WordNet (bot/tools/thesaurus.py) and read by the search."""

from __future__ import annotations

import gzip

from bot.tools import thesaurus as builder
from storage.search.thesaurus import BROADER_WEIGHT, SYNONYM_WEIGHT, OtherName, Thesaurus, thesaurus

LICENSE_HEADER = "  1 This software and database is being provided to you\n"


def _index(rows: dict[str, int]) -> str:
    """index.<pos> lines: lemma pos synset_cnt p_cnt ptr... sense_cnt tagsense_cnt offsets."""
    return LICENSE_HEADER + "".join(
        f"{lemma} n {count} 0 {count} 0 " + " ".join(f"{i:08d}" for i in range(count)) + "\n"
        for lemma, count in rows.items())


def _synset(offset: str, lemmas: list[str], hypernyms: list[str]) -> str:
    words = " ".join(f"{lemma} 0" for lemma in lemmas)
    pointers = " ".join(f"@ {h} n 0000" for h in hypernyms)
    return f"{offset} 06 n {len(lemmas):02x} {words} {len(hypernyms):03d} {pointers} | a gloss\n"


def test_only_unambiguous_names_are_kept(tmp_path):
    """A name with one sense is kept with its other names and what it is a kind of; a name with
    several senses ("acid", "tan" as noun and adjective, "mix up" as noun and verb) is neither
    kept nor offered, and nor is a name of stop words only ("who")."""
    (tmp_path / "index.noun").write_text(_index({
        "laughing_gas": 1, "nitrous_oxide": 1, "anesthetic": 1, "special_k": 1, "green": 7,
        "ketamine": 1, "acid": 2, "lsd": 1, "drug": 1, "suntan": 1, "tan": 1, "mix-up": 1,
        "confusion": 1, "world_health_organization": 1, "who": 1, "agency": 1}))
    (tmp_path / "index.adj").write_text(_index({"green": 3, "tan": 1}))
    (tmp_path / "index.verb").write_text(_index({"mix_up": 1}))
    (tmp_path / "index.adv").write_text(LICENSE_HEADER)
    (tmp_path / "data.noun").write_text(LICENSE_HEADER + "".join([
        _synset("00000001", ["laughing_gas", "nitrous_oxide"], ["00000002"]),
        _synset("00000002", ["anesthetic"], []),
        _synset("00000003", ["Special_K", "green", "ketamine"], ["00000002"]),
        _synset("00000004", ["acid", "LSD"], ["00000005"]),
        _synset("00000005", ["drug"], []),
        _synset("00000006", ["suntan", "tan"], []),
        _synset("00000007", ["mix-up", "confusion"], []),
        _synset("00000008", ["World_Health_Organization", "WHO"], ["00000009"]),
        _synset("00000009", ["agency"], []),
    ]))
    lines = builder.build(tmp_path)
    assert "laughing gas\tnitrous oxide\tanesthetic" in lines
    assert "nitrous oxide\tlaughing gas\tanesthetic" in lines
    assert "special k\tketamine\tanesthetic" in lines  # not "green"
    assert "lsd\t\tdrug" in lines  # its synset's other name "acid" has two senses
    assert not any(line.startswith(("suntan\t", "confusion\t")) for line in lines)  # nothing to offer
    assert "world health organization\t\tagency" in lines  # never "who"
    keys = {line.split("\t")[0] for line in lines}
    assert not keys & {"acid", "green", "tan", "mix up", "who"}


def test_a_lookup_gives_synonyms_then_broader_names():
    lay = Thesaurus({"xanax": "alprazolam\tbenzodiazepine", "k pin": "k\t", "rich person": "\tsomeone|have"})
    assert lay.related("xanax") == [OtherName(("alprazolam",), SYNONYM_WEIGHT, False),
                                    OtherName(("benzodiazepine",), BROADER_WEIGHT, True)]
    assert lay.related("k pin") == []  # a one-letter name is noise
    assert lay.related("rich person") == [OtherName(("someone",), BROADER_WEIGHT, True)]  # "have" is a stop word
    assert lay.related("ketamine") == []


def test_a_damaged_thesaurus_leaves_search_without_lay_names(tmp_path, monkeypatch, caplog):
    from storage.search import thesaurus as module

    damaged = tmp_path / "thesaurus.tsv.gz"
    monkeypatch.setattr(module, "DATA", damaged)
    try:
        damaged.write_bytes(gzip.compress(b"laughing gas\tnitrous oxide\t\nno tab here\nxanax\t\tbenzodiazepine\n")[:-9])
        module.thesaurus.cache_clear()
        assert module.thesaurus().names == {} and "cannot be read" in caplog.text  # truncated
        damaged.write_bytes(gzip.compress(b"laughing gas\tnitrous oxide\t\nno tab here\nxanax\t\tbenzodiazepine\n"))
        module.thesaurus.cache_clear()
        assert set(module.thesaurus().names) == {"laughing gas", "xanax"} and "1 malformed" in caplog.text
        damaged.unlink()
        module.thesaurus.cache_clear()
        assert module.thesaurus().names == {}
    finally:
        module.thesaurus.cache_clear()


def test_the_shipped_thesaurus_reads_and_carries_its_licence():
    shipped = thesaurus()
    assert len(shipped.names) > 80_000
    assert OtherName(("nitrous", "oxide"), SYNONYM_WEIGHT, False) in shipped.related("laughing gas")
    assert OtherName(("benzodiazepine",), BROADER_WEIGHT, True) in shipped.related("xanax")
    assert "Princeton University" in builder.LICENSE.read_text(encoding="latin-1")
    with gzip.open(builder.DATA, "rt", encoding="utf-8") as lines:
        assert all(line.count("\t") == 2 for line in lines)
