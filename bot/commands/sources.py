"""/source: one source in detail, or every source of a concept, paged."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.commands.respond import choices, concept_choices, in_time, send, send_paged
from bot.render import embeds

if TYPE_CHECKING:
    from bot.client import FactBot

LIST_PAGE = 10


def setup(bot: FactBot) -> None:
    library = bot.library

    @app_commands.command(name="source", description="A source and what it contributed; no query lists them all")
    @app_commands.describe(query="Title, author, publisher or domain", concept="Only this concept's sources")
    async def source(
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, 300] | None = None,
        concept: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        guild = interaction.guild_id or 0
        if query:
            answer = await in_time(interaction, library.source(query, concept=concept, guild_id=guild, limit=1))
            if not answer.results:
                await send(interaction, content=embeds.nothing_found(query, answer.suggestions, "source"), ephemeral=True)
            else:
                await send(interaction, embeds=[embeds.source_detail(answer.results[0])])
            return

        async def page(number: int) -> discord.Embed:
            listed = await library.source(None, concept=concept, guild_id=guild, offset=number * LIST_PAGE, limit=LIST_PAGE)
            return embeds.source_list(listed)

        answer = await in_time(interaction, library.source(None, concept=concept, guild_id=guild, limit=LIST_PAGE))
        if not answer.results:
            await send(interaction, content="No sources are loaded for that concept.", ephemeral=True)
            return
        await send_paged(interaction, embeds.source_list(answer), answer.total, LIST_PAGE, page,
                         bot.config.bot.page_timeout)

    @source.autocomplete("query")
    async def complete_source(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices(await library.complete_sources(current[:300]))

    source.autocomplete("concept")(concept_choices(library))

    bot.tree.add_command(source)
