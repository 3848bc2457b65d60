"""Facts related to a chat message, and whether any is related enough to show.

A chat message is long and chatty: most of its words are fillers or words no fact uses. So the
message is searched by the words the corpus knows (minus stop and chat words), a few at a time in
message order, and every candidate is then judged against the whole message: its evidence is the
idf weight of the message's words it contains, in units of one word that only one fact has.

Relatedness threshold (RELATED, tuned on the dev split of tests/judged/messages.json only): any
message that shares one word with the corpus finds a fact containing that word, so one rare word
(1.0) is what chance gives an off-topic message ("lithium", "anesthesia", "music"); a fact must
share more than that. A message that names a page's concept is about that page, which counts as
one rare word for that page's facts (NAMED: the concept's name is in every fact of its page, so
its own idf says nothing). With both, "BDNF goes up after ketamine" is related and "my cat
knocked my coffee onto my notes" is not.

One entry point, RelatedSearch.facts(); a meaning layer can later fuse its own neighbours there
and mark them with their own `match`.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from storage.search.lexical import Group, Searcher, covered
from storage.search.vocabulary import Vocabulary
from storage.textnorm import STOP_WORDS, words

# Fillers of chat that a corpus may well contain ("like" is in 21 of the seed's facts): they say
# nothing about which fact a message is about.
CHAT_WORDS = frozenset(
    """like ok okay lol lmao ngl tbh idk btw imo kinda sorta basically apparently literally actually
    really pretty yeah yes yep nope right wait guys omg thing things stuff someone anyone everyone
    thats theres dont doesnt didnt isnt arent wasnt wont cant whos im ive youre u ur pls plz""".split()
)
WINDOW = 8  # known words per search, in message order (the planner keeps at most 12 groups)
WINDOWS = 12  # searches per message: room for the rarest 96 known words of a 4,000-character paste
PER_WINDOW = 20  # candidates each search contributes
RELATED = 1.5  # evidence (rare-word units) a fact needs to be shown; see the module docstring
NAMED = 1.0  # evidence a fact gets when the message names its concept
LENGTH_NORM = 0.5  # as BM25's b: a fact twice as long as the others needs more of the message to rank first
WORDS = "words"  # the match kind of lexical evidence


@dataclass(frozen=True)
class RelatedFact:
    rowid: int
    score: float  # evidence in rare-word units (RELATED or more)
    match: str  # how it was found: "words" (lexical); a meaning layer adds its own


class RelatedSearch:
    """Facts related to free text such as a chat message (see the module docstring)."""

    def __init__(self, conn: aiosqlite.Connection, search: Searcher) -> None:
        self.conn = conn
        self.search = search

    async def facts(self, text: str, limit: int = 5) -> list[RelatedFact]:
        """Up to `limit` facts related to `text`, most related first; [] when nothing is."""
        vocab = await self.search.vocabulary()
        chosen = message_words(text, vocab)
        if not chosen:
            return []
        candidates: set[int] = set()
        groups: list[Group] = []
        for start in range(0, len(chosen), WINDOW):
            scored, plan = await self.search.facts(" ".join(chosen[start : start + WINDOW]), limit=PER_WINDOW, peak=True)
            candidates.update(s.rowid for s in scored)
            groups.extend(plan.groups)
        if not candidates:
            return []
        facts = await self._facts(sorted(candidates))
        named = await self._named_concepts(text)
        rare = vocab.idf(1)
        judged = []
        for rowid, (body, concept_id) in facts.items():
            evidence = covered(tuple(groups), body, peak=True)[0] / rare  # the units RELATED was tuned in
            judged.append((rowid, evidence, evidence + (NAMED if concept_id in named else 0.0), len(body)))
        average = sum(n for *_, n in judged) / len(judged)
        judged.sort(key=lambda j: (-j[1] / (1 - LENGTH_NORM + LENGTH_NORM * j[3] / average), j[0]))
        return [RelatedFact(rowid, round(score, 2), WORDS) for rowid, _, score, _ in judged if score >= RELATED][:limit]

    async def _facts(self, rowids: list[int]) -> dict[int, tuple[list[str], int]]:
        """rowid -> (the fact's words, its concept id)."""
        marks = ",".join("?" * len(rowids))
        sql = f"SELECT rowid, text, concept_id FROM facts WHERE rowid IN ({marks})"
        async with self.conn.execute(sql, rowids) as cursor:
            return {rowid: (words(text), concept_id) for rowid, text, concept_id in await cursor.fetchall()}

    async def _named_concepts(self, text: str) -> set[int]:
        """Ids of the concepts whose every name word the text has (inside a word too: "esketamine")."""
        tokens = set(words(text))
        async with self.conn.execute("SELECT id, name FROM concepts") as cursor:
            concepts = await cursor.fetchall()
        named = set()
        for concept_id, name in concepts:
            parts = [w for w in words(name) if w not in STOP_WORDS]
            if parts and all(any(p == t or (len(p) >= 5 and p in t) for t in tokens) for p in parts):
                named.add(concept_id)
        return named


def message_words(text: str, vocab: Vocabulary) -> list[str]:
    """The words of a message worth searching, each once, in message order: words the corpus has,
    minus stop and chat words and single letters; the rarest WINDOW * WINDOWS when there are more."""
    kept = list(dict.fromkeys(
        w for w in words(text)
        if w in vocab.df and w not in STOP_WORDS and w not in CHAT_WORDS and (len(w) > 1 or w.isdigit())
    ))
    room = WINDOW * WINDOWS
    if len(kept) > room:
        rarest = set(sorted(kept, key=lambda w: vocab.df[w])[:room])
        kept = [w for w in kept if w in rarest]
    return kept
