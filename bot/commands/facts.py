"""/fact: the best facts for a query, with citations, paging and autocomplete; an empty answer
offers its did-you-mean suggestions as buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.commands.controls import PREFIX, Control, custom_id, register
from bot.commands.respond import choices, concept_choices, filtered_by_type, in_time, send, send_paged
from bot.render import embeds
from bot.render.limits import BUTTON_LABEL, ROW_BUTTONS, one_line
from bot.spec import FACT

if TYPE_CHECKING:
    from bot.client import FactBot

_QUERY, _SOURCE, _CONCEPT = (FACT.option(name).max for name in ("query", "source", "concept"))


async def answer_fact(bot: FactBot, interaction: discord.Interaction, query: str, *, ephemeral: bool = False,
                      **options: str | None) -> None:
    """Answer `/fact query` (filters in `options`): one fact, a paged list, or what was not found."""
    library, per_page, guild = bot.library, bot.config.bot.results_per_page, interaction.guild_id or 0

    async def page(number: int) -> discord.Embed:
        answer = await library.fact(query, guild_id=guild, offset=number * per_page, limit=per_page, **options)
        return embeds.fact_list(answer)

    answer = await in_time(interaction, library.fact(query, guild_id=guild, limit=per_page, **options),
                           ephemeral=ephemeral)
    if answer.exact:
        await send(interaction, embeds=[embeds.fact_detail(answer.results[0])], ephemeral=ephemeral)
    elif answer.missing:
        view = None
        if answer.suggestions:
            view = discord.ui.View(timeout=None)
            for suggestion in answer.suggestions[:ROW_BUTTONS]:
                view.add_item(Suggestion.make(interaction.user.id, suggestion))
        await send(interaction, content=embeds.missing(answer.missing), view=view, ephemeral=True)
    else:
        await send_paged(interaction, embeds.fact_list(answer), answer.total, per_page, page,
                         bot.config.bot.page_timeout, ephemeral=ephemeral)


class Suggestion(Control, discord.ui.DynamicItem[discord.ui.Button],
                 template=rf"{PREFIX}:dym:(?P<owner>\d+):(?P<query>.+)"):
    """A did-you-mean button: runs /fact <suggestion> privately for the person who asked."""

    what = "a did-you-mean button"

    @classmethod
    def make(cls, owner_id: int, suggestion: str) -> Suggestion:
        label = one_line(suggestion, BUTTON_LABEL)
        return cls(discord.ui.Button(label=label, style=discord.ButtonStyle.secondary,
                                     custom_id=custom_id("dym", owner_id, " ".join(suggestion.split()))))

    async def pressed(self, interaction: discord.Interaction) -> None:
        await answer_fact(interaction.client, interaction, self.state["query"], ephemeral=True)


def setup(bot: FactBot) -> None:
    library = bot.library

    @app_commands.command(name=FACT.name, description=FACT.description)
    @filtered_by_type(FACT)
    async def fact(
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, _QUERY],
        fact_type: app_commands.Choice[str] | None = None,
        source: app_commands.Range[str, 1, _SOURCE] | None = None,
        concept: app_commands.Range[str, 1, _CONCEPT] | None = None,
    ) -> None:
        await answer_fact(bot, interaction, query, fact_type=fact_type.value if fact_type else None, source=source,
                          concept=concept)

    @fact.autocomplete("query")
    async def complete_query(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices(await library.complete.facts(current[:_QUERY]))

    @fact.autocomplete("source")
    async def complete_source(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices(await library.complete.sources(current[:_SOURCE]))

    fact.autocomplete("concept")(concept_choices(library))

    bot.tree.add_command(fact)
    register(bot, Suggestion)
