"""/flag, /unflag, /disputes: moderators dispute facts; every answer shows it from then on.

Who may moderate is decided here, in the handler (roles from the config, or Manage Messages);
default member permissions only hide the commands from others in Discord's menu.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.commands.respond import apologise, choices, in_time, send, send_paged
from bot.render import embeds
from bot.spec import DISPUTES, FLAG, UNFLAG
from storage import Ambiguous, Dispute, FactView, Refusal

if TYPE_CHECKING:
    from bot.client import FactBot

DISPUTES_PAGE = 5
REFUSAL = "Only moderators can change disputes (a moderator role, or Manage Messages)."


def is_moderator(interaction: discord.Interaction, moderator_role_ids: tuple[int, ...]) -> bool:
    """Manage Messages here, or one of the configured moderator roles."""
    member = interaction.user
    if not isinstance(member, discord.Member) or interaction.guild_id is None:
        return False
    if interaction.permissions.manage_messages:
        return True
    return any(role.id in moderator_role_ids for role in member.roles)


def actor_name(user: discord.abc.User) -> str:
    return f"{user.name} ({user.id})"


class ChooseFact(discord.ui.View):
    """One button per candidate fact when /flag's text named none clearly; only the moderator who
    asked may press, and is checked again at the press (roles can change in between)."""

    def __init__(self, bot: FactBot, owner_id: int, candidates: list[FactView], reason: str) -> None:
        super().__init__(timeout=bot.config.bot.page_timeout)
        self.bot, self.owner_id, self.reason = bot, owner_id, reason
        self.origin: discord.Interaction | None = None
        for number, fact in enumerate(candidates, 1):
            button = discord.ui.Button(label=f"{number}. Flag {fact.id}", style=discord.ButtonStyle.danger)
            button.callback = self._flagger(fact.id)
            self.add_item(button)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id and is_moderator(interaction, self.bot.config.discord.moderator_role_ids):
            return True
        await interaction.response.send_message("Only the moderator who asked can choose here.", ephemeral=True)
        return False

    def _flagger(self, fact_id: str):
        async def flag_it(interaction: discord.Interaction) -> None:
            self.stop()
            await flag_and_report(self.bot, interaction, "flag", fact_id, self.reason)
            await self._close(f"You chose {fact_id}; the answer is below.")

        return flag_it

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        await apologise(interaction, error, "choosing a fact to flag")

    async def on_timeout(self) -> None:
        await self._close("This choice expired; run /flag again.")

    async def _close(self, note: str) -> None:
        """The choice message without its buttons: chosen once, or expired, nothing more to press."""
        if self.origin is not None:
            try:
                await self.origin.edit_original_response(content=note, view=None)
            except discord.HTTPException:
                pass  # the message may be gone; the buttons are dead either way


async def flag_and_report(bot: FactBot, interaction: discord.Interaction, action: str, fact: str, reason: str) -> None:
    """Flag or unflag, answer the moderator privately, post to the audit channel; or explain why not."""
    act = bot.library.flag if action == "flag" else bot.library.unflag
    try:
        result = await in_time(
            interaction,
            act(fact, reason, actor_name(interaction.user), interaction.guild_id, actor_id=interaction.user.id),
            ephemeral=True,
        )
    except Ambiguous as ambiguous:
        view = ChooseFact(bot, interaction.user.id, ambiguous.candidates, reason)
        view.origin = interaction
        bot.pagers.add(view)
        await send(interaction, content=str(ambiguous), embeds=[embeds.candidates(ambiguous.candidates)], view=view,
                   ephemeral=True)
        return
    except Refusal as refusal:
        await send(interaction, content=str(refusal), ephemeral=True)
        return
    await send(interaction, embeds=[embeds.flag_result(result)], ephemeral=True)
    await bot.audit(embeds.audit(result, interaction.user.display_name, interaction.user.mention))


def setup(bot: FactBot) -> None:
    library, roles = bot.library, bot.config.discord.moderator_role_ids

    async def change(interaction: discord.Interaction, action: str, fact: str, reason: str) -> None:
        if not is_moderator(interaction, roles):
            await interaction.response.send_message(REFUSAL, ephemeral=True)
            return
        await flag_and_report(bot, interaction, action, fact, reason)

    moderators_only = app_commands.default_permissions(manage_messages=True)

    async def open_here(guild_id: int | None) -> tuple[list[Dispute], dict[str, str]]:
        """The guild's open disputes, and each disputed fact's text (as it was, if it is gone)."""
        disputes = await library.disputes(guild_id)
        return disputes, await library.dispute_fact_texts([d.fact_id for d in disputes])

    @app_commands.command(name=FLAG.name, description=FLAG.description)
    @app_commands.describe(**FLAG.describe())
    @app_commands.guild_only()
    @moderators_only
    async def flag(
        interaction: discord.Interaction,
        fact: app_commands.Range[str, 1, FLAG.option("fact").max],
        reason: app_commands.Range[str, FLAG.option("reason").min, FLAG.option("reason").max],
    ) -> None:
        await change(interaction, "flag", fact, reason)

    @app_commands.command(name=UNFLAG.name, description=UNFLAG.description)
    @app_commands.describe(**UNFLAG.describe())
    @app_commands.guild_only()
    @moderators_only
    async def unflag(
        interaction: discord.Interaction,
        fact: app_commands.Range[str, 1, UNFLAG.option("fact").max],
        reason: app_commands.Range[str, UNFLAG.option("reason").min, UNFLAG.option("reason").max],
    ) -> None:
        await change(interaction, "unflag", fact, reason)

    @app_commands.command(name=DISPUTES.name, description=DISPUTES.description)
    @app_commands.guild_only()
    @moderators_only
    async def disputes(interaction: discord.Interaction) -> None:
        if not is_moderator(interaction, roles):
            await interaction.response.send_message(REFUSAL, ephemeral=True)
            return
        items, texts = await in_time(interaction, open_here(interaction.guild_id), ephemeral=True)  # a slow store

        async def page(number: int) -> discord.Embed:
            start = number * DISPUTES_PAGE
            return embeds.disputes(items[start : start + DISPUTES_PAGE], texts, start, len(items))

        # Only the moderator who asked sees the list: disputes in progress are not a public notice.
        await send_paged(interaction, await page(0), len(items), DISPUTES_PAGE, page, bot.config.bot.page_timeout,
                         ephemeral=True)

    @flag.autocomplete("fact")
    async def complete_fact(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices(await library.complete.facts(current[: FLAG.option("fact").max]))

    @unflag.autocomplete("fact")
    async def complete_disputed(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if not is_moderator(interaction, roles):
            return []  # the list of open disputes is the moderators' (as /disputes is)
        disputed, texts = await open_here(interaction.guild_id)
        typed = current.lower()
        return choices([(f"{d.fact_id}: {texts[d.fact_id]}", d.fact_id) for d in disputed
                        if typed in d.fact_id or typed in texts[d.fact_id].lower()])

    for command in (flag, unflag, disputes):
        bot.tree.add_command(command)
