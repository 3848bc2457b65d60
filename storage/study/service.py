"""Study mode for the library facade: quiz questions kept in the state store, scores, Anki decks."""

from __future__ import annotations

import asyncio
import random
import time
from typing import TYPE_CHECKING

from storage.answers import FactView, Missing
from storage.study.answers import Deck, Outcome, QuizQuestion, QuizState, Reveal, Scoreboard
from storage.study.deck import build_deck
from storage.study.questions import TermPool, StudyFact, pick
from storage.search.lexical import Filters

if TYPE_CHECKING:
    from storage.library import Library

TOP_PLAYERS = 10
# The most notes a deck sent in chat holds: about 1 KB each, so it stays within a 10 MB upload and
# is built in a second or two; the command line writes any size.
CHAT_DECK_NOTES = 5000


class NoQuestion(ValueError):
    """The selection holds no fact a question can be made from."""


class Study:
    """Quiz and export over one library: questions are picked from its facts and kept, with the
    answers and scores, in its state store."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self._pool: TermPool | None = None  # every term of the corpus; rebuilt after a load

    def invalidate(self) -> None:
        self._pool = None

    async def facts(self, concept: str | None = None, fact_type: str | None = None,
                    source: str | None = None) -> list[tuple[int, StudyFact]] | Missing:
        """(rowid, fact) of every fact the filters select, in page order, or what a filter named
        that does not exist."""
        filters = await self.library._filters(fact_type, source, concept)
        if isinstance(filters, Missing):
            return filters
        sql, params = _selection(filters)
        async with self.library.conn.execute(sql, params) as cursor:
            found = [(r["rowid"], StudyFact(r["id"], r["text"], r["type"], r["concept"])) for r in await cursor.fetchall()]
        if not found and await self.library.is_empty():
            return Missing("concept", "")  # "No concept is loaded", not "no fact matches"
        return found

    async def pool(self) -> TermPool:
        if self._pool is None:
            every = await self.facts()
            self._pool = TermPool.of(fact for _, fact in ([] if isinstance(every, Missing) else every))
        return self._pool

    async def quiz(
        self, guild_id: int, asker_id: int, concept: str | None = None, fact_type: str | None = None, *,
        answer_seconds: float, repeat_after: int, rng: random.Random | None = None,
    ) -> QuizQuestion | Missing:
        """A new question for the guild, kept in the state store; not on a fact disputed there nor
        one of its last `repeat_after` questions (while another will do)."""
        selected = await self.facts(concept, fact_type)
        if isinstance(selected, Missing):
            return selected
        facts = [fact for _, fact in selected]
        state = self.library.state
        # The guild's open disputes, not a lookup of every selectable fact's id (all of them, unfiltered).
        disputed = frozenset(d.fact_id for d in await state.disputes(guild_id))
        recent = await state.recent_facts(guild_id, repeat_after) if repeat_after else []
        cloze = pick(facts, await self.pool(), rng or random.Random(), recent, disputed)
        if cloze is None:
            raise NoQuestion("No question can be made from "
                             + (f"the {fact_type} facts" if fact_type else "the facts")
                             + (f" of {concept}" if concept else "") + " (every one is disputed or has no key term).")
        now = time.time()
        closes_at = now + answer_seconds
        question_id = await state.ask(guild_id, cloze.fact_id, asker_id, cloze.prompt, cloze.choices, cloze.answer,
                                      now, closes_at)
        fact = await self.library.fact_by_id(cloze.fact_id, guild_id)
        state = QuizState(question_id, guild_id, cloze.fact_id, asker_id, cloze.prompt, cloze.choices, cloze.answer,
                          closes_at, revealed=False)
        return QuizQuestion(question_id, cloze, fact, closes_at, state)

    async def question(self, question_id: int) -> QuizState | None:
        return await self.library.state.quiz_state(question_id)

    async def answer(self, question_id: int, user_id: int, user_name: str, choice: int) -> Outcome | None:
        """One person's answer (once each, while the question is open); None if it is unknown."""
        return await self.library.state.answer(question_id, user_id, user_name[:100], choice, time.time())

    async def reveal(self, question_id: int) -> Reveal | None:
        """Close the question; its answers and the fact in full (None if it is unknown)."""
        closed = await self.library.state.reveal(question_id, time.time())
        if closed is None:
            return None
        state, first = closed
        return Reveal(state, await self.library.fact_by_id(state.fact_id, state.guild_id), first)

    async def scores(self, guild_id: int, user_id: int | None) -> Scoreboard:
        return await self.library.state.scores(guild_id, user_id, TOP_PLAYERS)

    async def export(
        self, concept: str | None = None, source: str | None = None, fact_type: str | None = None, *,
        include_disputed: bool = False, guild_id: int | None = None, limit: int | None = None,
    ) -> Deck | Missing:
        """An Anki deck of the selected facts; facts disputed in the guild only when asked for. More
        than `limit` facts are refused before anything is built."""
        selected = await self.facts(concept, fact_type, source)
        if isinstance(selected, Missing):
            return selected
        if not selected:
            return Missing("fact", " ".join(x for x in (concept, source, fact_type) if x) or "any", as_filter=True)
        if limit is not None and len(selected) > limit:
            return Missing("deck", f"{len(selected):,}", limit=limit)
        views = await self.library.views.facts([rowid for rowid, _ in selected], guild_id)
        ordered: list[FactView] = [views[rowid] for rowid, _ in selected if rowid in views]
        kept = [f for f in ordered if include_disputed or not f.disputed]
        name = await self._deck_name(concept, kept)
        # The library's common terms (the quiz's pool, built once), not those of this selection.
        data, cloze_notes = await asyncio.to_thread(build_deck, name, kept, (await self.pool()).common)
        disputed = sum(f.disputed for f in ordered)
        return Deck(_filename(name, source, fact_type), data, len(kept), cloze_notes,
                    0 if include_disputed else disputed, disputed if include_disputed else 0)

    async def _deck_name(self, concept: str | None, facts: list[FactView]) -> str:
        concepts = sorted({f.concept for f in facts}) or await self.library.concepts()
        return "factbot::" + (" + ".join(concepts) if len(concepts) <= 3 else f"{len(concepts)} concepts")


def _selection(filters: Filters) -> tuple[str, list]:
    """SQL for the facts a set of filters selects, in page order."""
    sql = ("SELECT f.rowid, f.id, f.text, f.type, c.name AS concept FROM facts f"
           " JOIN concepts c ON c.id = f.concept_id JOIN sources s ON s.id = f.source_id WHERE 1 = 1")
    params: list = []
    if filters.fact_type:
        sql += " AND f.type = ?"
        params.append(filters.fact_type)
    if filters.concept_id is not None:
        sql += " AND f.concept_id = ?"
        params.append(filters.concept_id)
    if filters.source_ids is not None:
        sql += f" AND f.source_id IN ({','.join('?' * len(filters.source_ids))})"
        params.extend(filters.source_ids)
    return sql + " ORDER BY c.name, s.position, f.position", params


def _filename(name: str, source: str | None, fact_type: str | None) -> str:
    words = [name.removeprefix("factbot::"), source or "", fact_type or ""]
    slug = "-".join("".join(c if c.isalnum() else "-" for c in w.lower()).strip("-") for w in words if w)
    return f"factbot-{'-'.join(p for p in slug.split('-') if p)[:80] or 'deck'}.apkg"
