"""/source: one source in detail, or every source of a concept, paged."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.commands.respond import choices, concept_choices, in_time, send, send_paged
from bot.render import embeds
from bot.spec import SOURCE

if TYPE_CHECKING:
    from bot.client import FactBot

LIST_PAGE = 10
_QUERY, _CONCEPT = SOURCE.option("query").max, SOURCE.option("concept").max


def setup(bot: FactBot) -> None:
    library = bot.library

    @app_commands.command(name=SOURCE.name, description=SOURCE.description)
    @app_commands.describe(**SOURCE.describe())
    async def source(
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, _QUERY] | None = None,
        concept: app_commands.Range[str, 1, _CONCEPT] | None = None,
    ) -> None:
        guild = interaction.guild_id or 0

        async def page(number: int) -> discord.Embed:
            listed = await library.source(query, concept=concept, guild_id=guild, offset=number * LIST_PAGE, limit=LIST_PAGE)
            return embeds.source_list(listed)

        answer = await in_time(interaction, library.source(query, concept=concept, guild_id=guild, limit=LIST_PAGE))
        if answer.missing:
            await send(interaction, content=embeds.missing(answer.missing), ephemeral=True)
            return
        if query and answer.total == 1:  # the one source asked for, in full
            await send(interaction, embeds=[embeds.source_detail(answer.results[0])])
            return
        # Every source the words fit ("frontiers" is three), in pages, as the console lists them.
        await send_paged(interaction, embeds.source_list(answer), answer.total, LIST_PAGE, page,
                         bot.config.bot.page_timeout)

    @source.autocomplete("query")
    async def complete_source(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices(await library.complete.sources(current[:_QUERY]))

    source.autocomplete("concept")(concept_choices(library))

    bot.tree.add_command(source)
