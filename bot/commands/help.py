"""/help: what each command does, with examples (rendered from the command spec)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.render import embeds
from bot.spec import HELP

if TYPE_CHECKING:
    from bot.client import FactBot


def setup(bot: FactBot) -> None:
    @app_commands.command(name=HELP.name, description=HELP.description)
    async def help_command(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=embeds.help_embed(), ephemeral=True)

    bot.tree.add_command(help_command)
