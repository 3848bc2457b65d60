"""/export: an Anki deck of the selected facts, sent as an attachment within the upload limit."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.commands.respond import choices, concept_choices, filtered_by_type, in_time, send
from bot.render import embeds
from bot.spec import EXPORT
from storage import CHAT_DECK_NOTES, Missing

if TYPE_CHECKING:
    from bot.client import FactBot

_CONCEPT, _SOURCE = EXPORT.option("concept").max, EXPORT.option("source").max


def setup(bot: FactBot) -> None:
    library = bot.library

    @app_commands.command(name=EXPORT.name, description=EXPORT.description)
    @filtered_by_type(EXPORT)
    async def export(
        interaction: discord.Interaction,
        concept: app_commands.Range[str, 1, _CONCEPT] | None = None,
        source: app_commands.Range[str, 1, _SOURCE] | None = None,
        fact_type: app_commands.Choice[str] | None = None,
        include_disputed: bool = False,
    ) -> None:
        # Deferred only if slow (a few hundred notes take about 0.1 s): the first followup after a
        # defer keeps the defer's visibility, and the notices below are private.
        deck = await in_time(interaction, library.study.export(
            concept, source, fact_type.value if fact_type else None, include_disputed=include_disputed,
            guild_id=interaction.guild_id or 0, limit=CHAT_DECK_NOTES))
        if isinstance(deck, Missing):
            await send(interaction, content=embeds.missing(deck), ephemeral=True)
            return
        if len(deck.data) > interaction.filesize_limit:
            await send(interaction, content=embeds.deck_too_large(deck, interaction.filesize_limit), ephemeral=True)
            return
        await send(interaction, embeds=[embeds.deck(deck)], file=discord.File(io.BytesIO(deck.data), filename=deck.filename))

    @export.autocomplete("source")
    async def complete_source(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices(await library.complete.sources(current[:_SOURCE]))

    export.autocomplete("concept")(concept_choices(library))
    bot.tree.add_command(export)
