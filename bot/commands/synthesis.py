"""/synthesis: the concept's synthesis with footnoted citations, or one model perspective; menus
under it show any cited fact in full, privately, to whoever chooses it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.commands.controls import PREFIX, Control, custom_id, register
from bot.commands.respond import concept_choices, defer_thinking, in_time, send
from bot.render import embeds
from bot.render.limits import ACTION_ROWS, SELECT_PLACEHOLDER, one_line
from bot.spec import SYNTHESIS
from storage import Block, Missing, SynthesisAnswer

if TYPE_CHECKING:
    from bot.client import FactBot

_CONCEPT, _PERSPECTIVES = SYNTHESIS.option("concept").max, SYNTHESIS.option("perspective").max
GONE = "That fact is no longer on the page (it was changed or removed since this message was posted)."


class CitedFact(Control, discord.ui.DynamicItem[discord.ui.Select], template=rf"{PREFIX}:cited:(?P<menu>\d+)"):
    """"Show a cited fact": the chosen fact in full (source, id, disputes here), privately; anyone may choose."""

    what = "showing a cited fact"

    @classmethod
    def make(cls, menu: int, options: list[tuple[str, str, str]], span: str = "") -> CitedFact:
        """Menu number `menu` (unique on its message) of cited facts; `span` names its footnotes."""
        select = discord.ui.Select(
            custom_id=custom_id("cited", menu), placeholder=one_line(f"Show a cited fact{span}", SELECT_PLACEHOLDER),
            options=[discord.SelectOption(label=label, value=value, description=about) for label, value, about in options],
        )
        return cls(select)

    async def pressed(self, interaction: discord.Interaction) -> None:
        library = interaction.client.library
        fact = await in_time(interaction, library.fact_by_id(self.item.values[0], interaction.guild_id or 0), ephemeral=True)
        if fact is None:
            await send(interaction, content=GONE, ephemeral=True)
        else:
            await send(interaction, embeds=[embeds.fact_detail(fact, dispute_state=True)], ephemeral=True)


def citation_views(answer: SynthesisAnswer, blocks: list[Block]) -> list[discord.ui.View]:
    """Menus of the facts the blocks cite, ACTION_ROWS menus to a message (more menus, more messages)."""
    groups = embeds.cited_options(answer, blocks)
    menus, first = [], 1
    for number, options in enumerate(groups):
        span = f" [{first}]–[{first + len(options) - 1}]" if len(groups) > 1 else ""
        menus.append(CitedFact.make(number, options, span))
        first += len(options)
    views = []
    for start in range(0, len(menus), ACTION_ROWS):
        view = discord.ui.View(timeout=None)
        for menu in menus[start : start + ACTION_ROWS]:
            view.add_item(menu)
        views.append(view)
    return views


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
        await defer_thinking(interaction)
        answer = await library.synthesis(concept, interaction.guild_id or 0, perspective)
        if isinstance(answer, Missing):
            await send(interaction, content=embeds.missing(answer))
            return
        if perspective:
            messages, blocks = embeds.perspective(answer, perspective), [answer.perspectives[perspective - 1]]
        else:
            messages, blocks = embeds.synthesis_messages(answer), answer.paragraphs
        menus = citation_views(answer, blocks)
        for number, message in enumerate(messages):
            last = number == len(messages) - 1
            await send(interaction, embeds=message, view=menus[0] if last and menus else None)
        for more in menus[1:]:
            await send(interaction, content="More cited facts:", view=more)

    synthesis.autocomplete("concept")(concept_choices(library))

    bot.tree.add_command(synthesis)
    register(bot, CitedFact)
