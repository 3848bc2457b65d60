"""The plain answers of study mode: quiz questions, their state in the store, scores, decks."""

from __future__ import annotations

from dataclasses import dataclass

from storage.answers import FactView
from storage.study.questions import Cloze


@dataclass(frozen=True)
class QuizAnswer:
    """One person's answer to one question."""

    user_id: int
    user_name: str
    choice: int
    correct: bool


@dataclass(frozen=True)
class QuizState:
    """A question as the state store keeps it: enough to answer and reveal it after a restart."""

    id: int
    guild_id: int
    fact_id: str
    asker_id: int
    prompt: str
    choices: tuple[str, ...]
    answer: int
    closes_at: float  # epoch seconds: answers are taken until then, or until it is revealed
    revealed: bool
    answers: tuple[QuizAnswer, ...] = ()

    def open_at(self, now: float) -> bool:
        return not self.revealed and now < self.closes_at

    @property
    def winners(self) -> list[str]:
        return [a.user_name for a in self.answers if a.correct]


@dataclass(frozen=True)
class QuizQuestion:
    """A new question, its id in the store and the fact it was made from."""

    id: int
    cloze: Cloze
    fact: FactView
    closes_at: float
    state: QuizState  # as the store now keeps it: open, no answer yet


@dataclass(frozen=True)
class Outcome:
    """What one press of A-D did: `accepted` False when this user had answered already (their
    first choice is in `choice`) or the question had closed."""

    accepted: bool
    closed: bool
    choice: int
    correct: bool
    answer_count: int


@dataclass(frozen=True)
class Reveal:
    """A closed question with its answers and the fact in full (None if no page has it any more)."""

    state: QuizState
    fact: FactView | None
    first: bool  # this call closed it (the message is edited once)


@dataclass(frozen=True)
class Score:
    rank: int
    user_id: int
    user_name: str
    correct: int
    answered: int


@dataclass(frozen=True)
class Scoreboard:
    guild_id: int
    top: tuple[Score, ...]
    you: Score | None  # the asker's own line, wherever they rank (None before a first answer)
    players: int


@dataclass(frozen=True)
class Deck:
    """An exported Anki deck: the .apkg bytes and what went into it."""

    filename: str
    data: bytes
    notes: int
    cloze_notes: int
    disputed_left_out: int
    disputed_included: int
