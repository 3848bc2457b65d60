"""Check facts: a message command (right-click a message -> Apps) that shows what the page's sources
say about the message, privately, with a button that shares the same answer in the channel."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.commands.controls import PREFIX, Control, custom_id, register
from bot.commands.respond import in_time, send
from bot.render import embeds
from bot.spec import CHECK

if TYPE_CHECKING:
    from bot.client import FactBot


def message_text(message: discord.Message) -> str:
    """What a message says: its content, or its embeds' descriptions when it has no content."""
    text = message.content.strip() or "\n\n".join(e.description for e in message.embeds if e.description)
    return text  # Library.check cuts it to MAX_CHECK


class ShareCheck(Control, discord.ui.DynamicItem[discord.ui.Button],
                 template=rf"{PREFIX}:share:(?P<owner>\d+):(?P<message>\d+)"):
    """Posts a private check answer in the channel, naming who shared it and linking the message checked."""

    what = "sharing a check"

    @classmethod
    def make(cls, owner_id: int, message_id: int, shared: bool = False) -> ShareCheck:
        label, style = ("Shared", discord.ButtonStyle.secondary) if shared else ("Share in channel", discord.ButtonStyle.primary)
        return cls(discord.ui.Button(label=label, style=style, disabled=shared,
                                     custom_id=custom_id("share", owner_id, message_id)))

    async def pressed(self, interaction: discord.Interaction) -> None:
        checked = embeds.message_link(interaction.guild_id, interaction.channel_id, int(self.state["message"]))
        answer = interaction.message.embeds if interaction.message else []
        done = discord.ui.View(timeout=None)
        done.add_item(ShareCheck.make(interaction.user.id, int(self.state["message"]), shared=True))
        await interaction.response.edit_message(view=done)
        await interaction.followup.send(content=embeds.shared_by(interaction.user.mention, checked), embeds=answer)


def setup(bot: FactBot) -> None:
    library = bot.library

    @app_commands.allowed_contexts(guilds=True, dms=True)
    async def check_facts(interaction: discord.Interaction, message: discord.Message) -> None:
        answer = await in_time(interaction, library.check(message_text(message), interaction.guild_id or 0),
                               ephemeral=True)
        if answer.missing:
            await send(interaction, content=embeds.missing(answer.missing), ephemeral=True)
            return
        share = discord.ui.View(timeout=None)
        share.add_item(ShareCheck.make(interaction.user.id, message.id))
        await send(interaction, embeds=[embeds.check_answer(answer, message.jump_url)], view=share, ephemeral=True)

    bot.tree.add_command(app_commands.ContextMenu(name=CHECK.discord_name, callback=check_facts))
    register(bot, ShareCheck)
