"""/synthesis: the concept's synthesis with footnoted citations, or one model perspective."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.commands.respond import concept_choices, send
from bot.render import embeds
from bot.spec import SYNTHESIS
from storage import Missing

if TYPE_CHECKING:
    from bot.client import FactBot

_CONCEPT, _PERSPECTIVES = SYNTHESIS.option("concept").max, SYNTHESIS.option("perspective").max


def setup(bot: FactBot) -> None:
    library = bot.library

    @app_commands.command(name=SYNTHESIS.name, description=SYNTHESIS.description)
    @app_commands.describe(**SYNTHESIS.describe())
    async def synthesis(
        interaction: discord.Interaction,
        concept: app_commands.Range[str, 1, _CONCEPT] | None = None,
        perspective: app_commands.Range[int, 1, _PERSPECTIVES] | None = None,
    ) -> None:
        # Several messages may follow: defer at once, then send them as followups.
        await interaction.response.defer(thinking=True)
        answer = await library.synthesis(concept, interaction.guild_id or 0, perspective)
        if isinstance(answer, Missing):
            await send(interaction, content=embeds.missing(answer))
            return
        messages = embeds.perspective(answer, perspective) if perspective else embeds.synthesis_messages(answer)
        for message in messages:
            await interaction.followup.send(embeds=message)

    synthesis.autocomplete("concept")(concept_choices(library))

    bot.tree.add_command(synthesis)
