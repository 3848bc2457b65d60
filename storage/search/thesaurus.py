"""The lay-word thesaurus: other names for a thing a page calls by its technical name.

Students type "laughing gas", "xanax" or "angel dust"; a page says "nitrous oxide",
"benzodiazepine" or "phencyclidine". Neither a stemmer nor the small sentence model knows that,
but WordNet does. thesaurus.tsv.gz, beside this module, holds every WordNet noun with one sense,
the other names of that sense, and the names of what it is a kind of (bot/tools/thesaurus.py
builds it).
"""

from __future__ import annotations

import functools
import gzip
import logging
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from storage.textnorm import STOP_WORDS

DATA = Path(__file__).resolve().parent / "thesaurus.tsv.gz"
LICENSE = DATA.parent / "WORDNET_LICENSE"
SYNONYM_WEIGHT = 0.85  # another name of the same thing: a little below another form of the word
BROADER_WEIGHT = 0.7  # what it is a kind of ("xanax" -> benzodiazepine)
MIN_NAME = 3  # shorter names ("k" for ketamine) are noise in a search

log = logging.getLogger("factbot")


class OtherName(NamedTuple):
    words: tuple[str, ...]
    weight: float
    broader: bool  # what the thing is a kind of, not another name of it


@dataclass(frozen=True)
class Thesaurus:
    # name -> "synonym|synonym<TAB>broader|broader", split only when looked up: 85,000 names kept
    # as one string each cost a third of the memory of tuples of strings.
    names: dict[str, str]

    def related(self, name: str) -> list[OtherName]:
        """Other names for a name as folded words ("laughing gas"), synonyms first; [] if unknown."""
        entry = self.names.get(name)
        if entry is None:
            return []
        synonyms, broader = (part.split("|") if part else [] for part in entry.split("\t"))
        found = [OtherName(tuple(other.split()), SYNONYM_WEIGHT, False) for other in synonyms]
        found += [OtherName(tuple(other.split()), BROADER_WEIGHT, True) for other in broader if other not in synonyms]
        # A name must have a word to search for ("who" for the World Health Organization has none).
        return [other for other in found
                if len(" ".join(other.words)) >= MIN_NAME and any(w not in STOP_WORDS for w in other.words)]


@functools.lru_cache(maxsize=1)
def thesaurus() -> Thesaurus:
    """The thesaurus shipped with the bot, read once per process. A missing or damaged file leaves
    search without lay names, with a warning; malformed lines are passed over."""
    try:
        text = gzip.decompress(DATA.read_bytes()).decode("utf-8")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
        log.warning("lay names are off: %s cannot be read (%s)", DATA, error)
        return Thesaurus({})
    entries = [line.split("\t", 1) for line in text.splitlines()]
    names = {entry[0]: entry[1] for entry in entries if len(entry) == 2 and entry[1].count("\t") == 1}
    if len(names) < len(entries):
        log.warning("%s: %d malformed lines passed over", DATA, len(entries) - len(names))
    return Thesaurus(names)
