"""/quiz play and /quiz scores: a question from a cited fact with buttons A-D, scores per server.

The buttons are DynamicItems whose custom_id carries the question id: every question is kept in the
state store, so a press after a restart (or on another shard's process) still finds it, and one
whose question is gone says plainly that it expired.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.commands.controls import register
from bot.commands.respond import apologise, concept_choices, filtered_by_type, in_time, send, tell
from bot.render import embeds
from bot.spec import QUIZ, QUIZ_PLAY, QUIZ_SCORES
from storage import LETTERS, Missing, NoQuestion, QuizState

if TYPE_CHECKING:
    from bot.client import FactBot

log = logging.getLogger("factbot")
REVEAL = "r"
EXPIRED = "This question has expired: it is no longer kept. Ask a new one with /quiz play."


class QuizButton(discord.ui.DynamicItem[discord.ui.Button], template=r"quiz:(?P<question>\d{1,18}):(?P<press>[0-3r])"):
    """A-D or Reveal on one question; all it needs is in its custom_id."""

    def __init__(self, question_id: int, press: str, disabled: bool = False, right: bool = False) -> None:
        label = "Reveal" if press == REVEAL else LETTERS[int(press)]
        style = (discord.ButtonStyle.secondary if press == REVEAL
                 else discord.ButtonStyle.success if right else discord.ButtonStyle.primary)
        super().__init__(discord.ui.Button(label=label, style=style, disabled=disabled,
                                           custom_id=f"quiz:{question_id}:{press}"))
        self.question_id, self.press = question_id, press

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> QuizButton:
        return cls(int(match["question"]), match["press"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: FactBot = interaction.client  # type: ignore[assignment]
        try:
            if self.press == REVEAL:
                await _reveal_pressed(bot, interaction, self.question_id)
            else:
                await _answer_pressed(bot, interaction, self.question_id, int(self.press))
        except Exception as error:  # discord.py only logs a DynamicItem's errors; the user hears too
            await apologise(interaction, error, "quiz button")


def buttons(question_id: int, revealed: QuizState | None = None) -> discord.ui.View:
    """A-D and Reveal; once revealed, all disabled and the right answer in green."""
    view = discord.ui.View(timeout=None)
    for index in range(len(LETTERS)):
        right = revealed is not None and index == revealed.answer
        view.add_item(QuizButton(question_id, str(index), disabled=revealed is not None, right=right))
    if revealed is None:
        view.add_item(QuizButton(question_id, REVEAL))
    return view


async def _answer_pressed(bot: FactBot, interaction: discord.Interaction, question_id: int, choice: int) -> None:
    study = bot.library.study
    outcome = await study.answer(question_id, interaction.user.id, interaction.user.display_name, choice)
    if outcome is None:
        await tell(interaction, EXPIRED)
        return
    if outcome.closed:
        reveal = await study.reveal(question_id)  # its time ran out while no timer was running (a restart)
        await interaction.response.edit_message(embed=embeds.quiz_reveal(reveal), view=buttons(question_id, reveal.state))
        await interaction.followup.send("Time is up for this question: the answer is shown above.", ephemeral=True)
        return
    if not outcome.accepted:
        await tell(interaction, f"You have already answered this one ({LETTERS[outcome.choice]}); one answer each.")
        return
    state = await study.question(question_id)
    await interaction.response.edit_message(embed=embeds.quiz_question(state), view=buttons(question_id))
    verdict = "Right!" if outcome.correct else "Not quite."
    await interaction.followup.send(f"{verdict} The answer shows when the question closes.", ephemeral=True)


async def _reveal_pressed(bot: FactBot, interaction: discord.Interaction, question_id: int) -> None:
    study = bot.library.study
    state = await study.question(question_id)
    if state is None:
        await tell(interaction, EXPIRED)
        return
    if state.asker_id != interaction.user.id and state.open_at(time.time()):
        await tell(interaction, "Only the person who asked can reveal the answer early.")
        return
    reveal = await study.reveal(question_id)
    await interaction.response.edit_message(embed=embeds.quiz_reveal(reveal), view=buttons(question_id, reveal.state))


async def _close_later(bot: FactBot, origin: discord.Interaction, question_id: int, seconds: float) -> None:
    """Reveal the question when its time is up, unless the asker did first."""
    await asyncio.sleep(seconds)
    reveal = await bot.library.study.reveal(question_id)
    if reveal is not None and reveal.first:
        try:
            await origin.edit_original_response(embed=embeds.quiz_reveal(reveal), view=buttons(question_id, reveal.state))
        except discord.HTTPException as exc:
            log.warning("could not reveal quiz question %s: %s", question_id, exc)


def setup(bot: FactBot) -> None:
    library, settings = bot.library, bot.config.quiz
    quiz = app_commands.Group(name=QUIZ.name, description=QUIZ.description)

    @quiz.command(name=QUIZ_PLAY.name, description=QUIZ_PLAY.description)
    @filtered_by_type(QUIZ_PLAY)
    async def play(
        interaction: discord.Interaction,
        concept: app_commands.Range[str, 1, QUIZ_PLAY.option("concept").max] | None = None,
        fact_type: app_commands.Choice[str] | None = None,
    ) -> None:
        work = library.study.quiz(interaction.guild_id or 0, interaction.user.id, concept,
                                  fact_type.value if fact_type else None, answer_seconds=settings.answer_seconds,
                                  repeat_after=settings.repeat_after)
        try:
            question = await in_time(interaction, work)
        except NoQuestion as refusal:
            await send(interaction, content=str(refusal), ephemeral=True)
            return
        if isinstance(question, Missing):
            await send(interaction, content=embeds.missing(question), ephemeral=True)
            return
        await send(interaction, embeds=[embeds.quiz_question(question.state)], view=buttons(question.id))
        bot.track(asyncio.create_task(_close_later(bot, interaction, question.id, settings.answer_seconds)))

    @quiz.command(name=QUIZ_SCORES.name, description=QUIZ_SCORES.description)
    async def scores(interaction: discord.Interaction) -> None:
        board = await in_time(interaction, library.study.scores(interaction.guild_id or 0, interaction.user.id))
        await send(interaction, embeds=[embeds.scores(board)])

    play.autocomplete("concept")(concept_choices(library))
    bot.tree.add_command(quiz)
    register(bot, QuizButton)  # known to the expiry check too: a live question is never called expired
