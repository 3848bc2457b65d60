"""State that people create (flags, their history, open disputes; quiz questions and scores) behind
one small interface.

Facts are derived data any process can rebuild from the pages; this state is the part that must
never be lost, so it lives apart from them, in a store of its own: SQLite by default (the facts'
own file), PostgreSQL when a `postgresql://` URL is configured (shared by every process).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from storage.answers import Dispute, FlagEvent
from storage.study.answers import Outcome, QuizState, Scoreboard

if TYPE_CHECKING:
    import aiosqlite

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class StateStore(Protocol):
    """Flags, flag history and open disputes, per (fact id, guild). Each read is one query."""

    async def record(
        self, fact_id: str, fact_text: str, fact_key: str, guild_id: int, action: str, reason: str,
        actor: str, actor_id: int | None,
    ) -> FlagEvent:
        """Append a flag or unflag to the history and update the dispute, in one transaction.

        An unflag of a fact that has no open dispute in the guild raises NotDisputed."""

    async def open_disputes(self, fact_ids: list[str], guild_id: int | None) -> dict[str, list[Dispute]]:
        """fact id -> its open disputes (one per guild; all guilds when guild_id is None)."""

    async def disputes(self, guild_id: int | None) -> list[Dispute]:
        """Every open dispute (of one guild, or all), newest first."""

    async def history(self, fact_id: str, guild_id: int | None) -> list[FlagEvent]:
        """Every flag and unflag of a fact, oldest first."""

    async def flagged_texts(self, fact_ids: list[str]) -> dict[str, str]:
        """What each fact said when it was last flagged or unflagged (ids never flagged are absent)."""

    async def flagged_keys(self) -> dict[str, str]:
        """Every fact id the history names -> the content key it was given to."""

    async def ask(self, guild_id: int, fact_id: str, asker_id: int, prompt: str, choices: tuple[str, ...],
                  answer: int, asked_at: float, closes_at: float) -> int:
        """Keep a new quiz question whole (it must outlive a restart); its id."""

    async def quiz_state(self, question_id: int) -> QuizState | None:
        """A question with every answer given, or None."""

    async def answer(self, question_id: int, user_id: int, user_name: str, choice: int, now: float) -> Outcome | None:
        """One person's answer: taken once while the question is open, added to their score in the
        same transaction; None when there is no such question."""

    async def reveal(self, question_id: int, now: float) -> tuple[QuizState, bool] | None:
        """Close a question: (its state, whether this call closed it), or None."""

    async def recent_facts(self, guild_id: int, limit: int) -> list[str]:
        """The fact ids of the guild's last `limit` questions, newest first."""

    async def scores(self, guild_id: int, user_id: int | None, limit: int) -> Scoreboard:
        """The guild's top `limit` players and the user's own rank."""

    async def close(self) -> None:
        """Release what the store holds (a connection pool); the library closes its own SQLite."""


class NotDisputed(LookupError):
    """An unflag of a fact with no open dispute in that guild."""


class StateError(RuntimeError):
    """The state store cannot be used (unreachable, refused the login, or migrated by a newer factbot)."""


class StateUnavailable(StateError):
    """The shared store cannot be reached (server down or restarting): the user is told politely."""

    def __init__(self, detail: str = "", message: str = "") -> None:
        super().__init__(message or "The dispute store is not reachable right now, so this could not be answered. "
                         "Please try again in a moment.")
        self.detail = detail  # for the log, never for the user


class StateUnsure(StateUnavailable):
    """The store went away after a write was sent: it may or may not have been committed."""

    def __init__(self, fact_id: str, detail: str = "") -> None:
        super().__init__(detail, "The dispute store stopped answering while this was being saved, so it may or may"
                         f" not have been recorded. Once it is back, look the fact up with /fact {fact_id} to see"
                         " whether it was.")


async def open_state(url: str | None, conn: aiosqlite.Connection) -> StateStore:
    """The store a URL names: PostgreSQL for postgresql://..., else SQLite in the facts' own file."""
    if url:
        if not url.startswith(POSTGRES_SCHEMES):
            raise ValueError("a state store URL must start with postgresql:// (or postgres://)")
        from storage.state.postgres import PostgresState  # asyncpg only when it is used

        return await PostgresState.connect(url)
    from storage.state.sqlite import SqliteState

    return SqliteState(conn)
