"""The discord.py client: CommandTree, features registered in setup_hook, command sync, errors."""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from typing import Any

import discord
import yarl
from discord import app_commands

from bot.commands import FEATURES
from bot.commands.controls import answer_expired, note_claim
from bot.commands.respond import apologise, tell
from bot.config import Config, ConfigError
from storage import Library

log = logging.getLogger("factbot")


class FactTree(app_commands.CommandTree):
    """Every unhandled command error ends here: logged with its traceback, the user told politely."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.CheckFailure):
            await tell(interaction, str(error) or "You can't use this command here.")
            return
        command = interaction.command.name if interaction.command else "?"
        await apologise(interaction, error, f"command /{command}")


class FactBot(discord.Client):
    """factbot on Discord: slash commands only, no privileged intents.

    `sync`: sync the slash commands on login (default: only the process holding shard 0 does)."""

    def __init__(self, config: Config, library: Library, sync: bool | None = None, **options: object) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # roles, for moderator_role_ids (not a privileged intent)
        super().__init__(intents=intents, allowed_mentions=discord.AllowedMentions.none(), **options)
        self.config = config
        self.library = library
        self.sync_on_login = config.discord.syncs_commands if sync is None else sync
        self.controls: list[type[discord.ui.DynamicItem]] = []  # controls whose state is in their custom_id
        self.tree = FactTree(self)
        self.pagers: weakref.WeakSet[discord.ui.View] = weakref.WeakSet()
        self._meaning: asyncio.Task | None = None
        self._timers: set[asyncio.Task] = set()  # quiz questions waiting to be revealed
        self._stop_meaning = threading.Event()

    async def close(self) -> None:
        for pager in list(self.pagers):
            pager.stop()  # no page turns or timeout edits once the connection is gone
        for timer in list(self._timers):
            timer.cancel()  # a question left open is revealed by the next press on it
        self._stop_meaning.set()
        if self._meaning is not None:
            await asyncio.gather(self._meaning, return_exceptions=True)
        await super().close()

    async def setup_hook(self) -> None:
        for feature in FEATURES:
            feature.setup(self)
        if self.sync_on_login:
            await self.sync_commands()
        else:
            log.info("commands are synced by the process holding shard 0, not this one")

    def embed_in_background(self) -> asyncio.Task | None:
        """Embed the facts without a vector while serving (answers are by words meanwhile); the
        task, or None with the meaning layer off. Only a serving bot does this, not `sync`."""
        if self.library.meaning is not None and self._meaning is None:
            self._meaning = asyncio.create_task(self.library.embed_missing(stop=self._stop_meaning))
        return self._meaning

    async def sync_commands(self) -> int:
        """Sync to the configured guilds (instant) or globally; returns the number of commands."""
        if self.config.discord.guild_ids:
            synced = []
            for guild_id in self.config.discord.guild_ids:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to %d guild(s)", len(synced), len(self.config.discord.guild_ids))
            return len(synced)
        synced = await self.tree.sync()
        log.info("synced %d commands globally (may take up to an hour to appear)", len(synced))
        return len(synced)

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        if event == "interaction":
            note_claim(self, args[0])  # now, while the views it may go to have not run yet
        super().dispatch(event, *args, **kwargs)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await answer_expired(interaction)

    async def on_ready(self) -> None:
        log.info("connected as %s (id %s)", self.user, self.user.id if self.user else "?")

    def track(self, task: asyncio.Task) -> None:
        """Keep a background task (a quiz timer) until it is done, to cancel it on close."""
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    async def audit(self, embed: discord.Embed) -> None:
        """Post to the audit channel, when one is configured; a failure is logged, not raised."""
        channel_id = self.config.discord.audit_channel_id
        if not channel_id:
            return
        try:
            await self.get_partial_messageable(channel_id).send(embed=embed)
        except discord.HTTPException as exc:
            log.warning("audit post to channel %s failed: %s", channel_id, exc.status)


class ShardedFactBot(FactBot, discord.AutoShardedClient):
    """factbot over some of the bot's gateway shards; processes with disjoint shards act as one bot.

    Discord sends each guild's interactions to the one shard (guild_id >> 22) % shard_count, so
    each is handled, and its audit post made, by exactly one process."""


def make_bot(config: Config, library: Library, sync: bool | None = None, **options: object) -> FactBot:
    """A sharded bot when [discord] shard_count is set, else a plain one."""
    shards = config.discord
    if not shards.shard_count:
        return FactBot(config, library, sync, **options)
    return ShardedFactBot(config, library, sync, shard_count=shards.shard_count,
                          shard_ids=list(shards.shard_ids) or None, **options)


def use_endpoints(config: Config) -> None:
    """Point discord.py at the configured REST and gateway URLs (proxies, tests)."""
    discord.http.Route.BASE = config.discord.api_base_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.discord.gateway_url)


async def run_bot(config: Config, connect: bool = True) -> int:
    """Log in (which registers and syncs the commands) and, if `connect`, serve until stopped."""
    use_endpoints(config)
    library = await Library.open_seeded(config.storage.database, config.storage.seeds, config.state.url or None,
                                          meaning=config.search.meaning)
    # `python -m bot sync` syncs whichever shards its config names.
    bot = make_bot(config, library, sync=None if connect else True)
    try:
        async with bot:
            await bot.login(config.discord.token)
            if connect:
                bot.embed_in_background()
                await bot.connect()
    except discord.LoginFailure:
        raise ConfigError("Discord rejected the token: check DISCORD_TOKEN or [discord] token") from None
    finally:
        await library.close()
    return 0
