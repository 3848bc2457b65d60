"""/synthesis: the concept's synthesis with footnoted citations, or one model perspective."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.commands.respond import concept_choices, send
from bot.render import embeds

if TYPE_CHECKING:
    from bot.client import FactBot


def setup(bot: FactBot) -> None:
    library = bot.library

    @app_commands.command(name="synthesis", description="Post the concept's synthesis, or one model perspective")
    @app_commands.describe(concept="Which concept (default: the first)", perspective="Show model perspective N instead")
    async def synthesis(
        interaction: discord.Interaction,
        concept: app_commands.Range[str, 1, 100] | None = None,
        perspective: app_commands.Range[int, 1, 50] | None = None,
    ) -> None:
        # Several messages may follow: defer at once, then send them as followups.
        await interaction.response.defer(thinking=True)
        answer = await library.synthesis(concept, interaction.guild_id or 0)
        if answer is None:
            await send(interaction, content=f"No concept matches “{concept}”." if concept else "No concept is loaded.")
            return
        if perspective is not None:
            if perspective > len(answer.perspectives):
                await send(interaction, content=f"{answer.concept} has perspectives 1-{len(answer.perspectives)}.")
                return
            messages = embeds.perspective(answer, perspective)
        else:
            messages = embeds.synthesis_messages(answer)
        for message in messages:
            await interaction.followup.send(embeds=message)

    synthesis.autocomplete("concept")(concept_choices(library))

    bot.tree.add_command(synthesis)
