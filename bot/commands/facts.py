"""/fact: the best facts for a query, with citations, paging and autocomplete."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.commands.respond import choices, concept_choices, in_time, send, send_paged
from bot.render import embeds
from bot.spec import FACT

if TYPE_CHECKING:
    from bot.client import FactBot

_QUERY, _SOURCE, _CONCEPT = (FACT.option(name).max for name in ("query", "source", "concept"))


def setup(bot: FactBot) -> None:
    library, per_page = bot.library, bot.config.bot.results_per_page

    @app_commands.command(name=FACT.name, description=FACT.description)
    @app_commands.describe(**FACT.describe())
    @app_commands.rename(**FACT.renames())
    @app_commands.choices(fact_type=[app_commands.Choice(name=t, value=t) for t in FACT.option("type").choices])
    async def fact(
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, _QUERY],
        fact_type: app_commands.Choice[str] | None = None,
        source: app_commands.Range[str, 1, _SOURCE] | None = None,
        concept: app_commands.Range[str, 1, _CONCEPT] | None = None,
    ) -> None:
        guild = interaction.guild_id or 0
        options = {"fact_type": fact_type.value if fact_type else None, "source": source, "concept": concept}

        async def page(number: int) -> discord.Embed:
            answer = await library.fact(query, guild_id=guild, offset=number * per_page, limit=per_page, **options)
            return embeds.fact_list(answer)

        answer = await in_time(interaction, library.fact(query, guild_id=guild, limit=per_page, **options))
        if answer.exact:
            await send(interaction, embeds=[embeds.fact_detail(answer.results[0])])
        elif answer.missing:
            await send(interaction, content=embeds.missing(answer.missing), ephemeral=True)
        else:
            await send_paged(interaction, embeds.fact_list(answer), answer.total, per_page, page,
                             bot.config.bot.page_timeout)

    @fact.autocomplete("query")
    async def complete_query(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices(await library.complete.facts(current[:_QUERY]))

    @fact.autocomplete("source")
    async def complete_source(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices(await library.complete.sources(current[:_SOURCE]))

    fact.autocomplete("concept")(concept_choices(library))

    bot.tree.add_command(fact)
