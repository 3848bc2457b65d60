"""/help: what each command does, with examples."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.render import embeds

if TYPE_CHECKING:
    from bot.client import FactBot


def setup(bot: FactBot) -> None:
    @app_commands.command(name="help", description="What factbot's commands do, with examples")
    async def help_command(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=embeds.help_embed(), ephemeral=True)

    bot.tree.add_command(help_command)
