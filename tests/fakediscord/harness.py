"""Start the fake Discord and the real bot against it; helpers to send interactions."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import discord

from bot.client import FactBot, use_endpoints
from bot.config import BotConfig, Config, DiscordConfig, QuizConfig, SearchConfig, StorageConfig
from storage.library import Library
from tests.fakediscord.server import FakeDiscord, Recorded

GUILD = 1400000000000000001
OTHER_GUILD = 1400000000000000002
MOD_ROLE = 1500000000000000001
STUDENT_ROLE = 1500000000000000002  # every test member holds roles that are not moderator roles
HELPER_ROLE = 1500000000000000003
AUDIT_CHANNEL = 1600000000000000001
TOKEN = "test-token-do-not-log-0123456789"
STUDENT = 1300000000000000001
MODERATOR = 1300000000000000002
MANAGER = 1300000000000000003
MANAGE_MESSAGES = 1 << 13


def roles(guild_id: int) -> list[dict]:
    base = {"color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0, "icon": None,
            "unicode_emoji": None}
    return [
        {**base, "id": str(guild_id), "name": "@everyone", "position": 0, "permissions": str(1 << 11 | 1 << 10)},
        {**base, "id": str(MOD_ROLE), "name": "study moderators", "position": 1, "permissions": str(1 << 11 | 1 << 10)},
        {**base, "id": str(STUDENT_ROLE), "name": "students", "position": 2, "permissions": str(1 << 11 | 1 << 10)},
        {**base, "id": str(HELPER_ROLE), "name": "helpers", "position": 3, "permissions": str(1 << 11 | 1 << 10)},
    ]


@dataclass
class Running:
    bot: FactBot
    fake: FakeDiscord
    library: Library

    async def interact(self, name: str, options: list[dict] | None = None, *, wait_for: int = 1,
                       timeout: float = 10.0, **kwargs) -> list[Recorded]:
        """Send a slash command (or autocomplete with kind=4) and wait for `wait_for` requests about it."""
        kwargs.setdefault("guild_id", GUILD)
        kwargs["roles"] = [STUDENT_ROLE, HELPER_ROLE, *kwargs.get("roles", [])]
        payload = self.fake.interaction(name, options, **kwargs)
        return await self.send(payload, wait_for=wait_for, timeout=timeout)

    async def send(self, payload: dict, *, wait_for: int = 1, timeout: float = 10.0) -> list[Recorded]:
        interaction_id = await self.fake.send_interaction(payload)
        await self.fake.wait_for(
            lambda requests: sum(1 for r in requests if r.interaction_id == interaction_id) >= wait_for, timeout
        )
        return [r for r in self.fake.requests if r.interaction_id == interaction_id]

    async def click(self, message: dict, label: str, user_id: int = STUDENT, roles: list[int] | None = None,
                    wait_for: int = 1, guild_id: int | None = GUILD) -> list[Recorded]:
        """Press the button labelled `label` on `message`."""
        custom_id = next(c["custom_id"] for c in components(message) if c.get("label") == label)
        payload = self.fake.component(message, custom_id, guild_id=guild_id, user_id=user_id,
                                      roles=[STUDENT_ROLE, HELPER_ROLE, *(roles or [])])
        return await self.send(payload, wait_for=wait_for)

    async def choose(self, message: dict, value: str, user_id: int = STUDENT, wait_for: int = 1) -> list[Recorded]:
        """Choose `value` in the select menu of `message` that offers it."""
        menu = next(c for c in components(message) if value in [o["value"] for o in c.get("options", [])])
        payload = self.fake.component(message, menu["custom_id"], values=[value], guild_id=GUILD, user_id=user_id,
                                      roles=[STUDENT_ROLE, HELPER_ROLE])
        return await self.send(payload, wait_for=wait_for)

    async def check(self, target: dict, user_id: int = STUDENT, guild_id: int | None = GUILD,
                    wait_for: int = 1) -> list[Recorded]:
        """Use the "Check facts" message command on `target` (a message from fake.chat_message)."""
        payload = self.fake.message_command("Check facts", target, guild_id=guild_id, user_id=user_id,
                                            roles=[STUDENT_ROLE, HELPER_ROLE])
        return await self.send(payload, wait_for=wait_for)

    def answer(self, request: Recorded) -> dict:
        """The message a callback (type 4 or 5) or a followup created, as the fake stored it."""
        return self.fake.messages[request.message_id]

    async def drained(self, timeout: float = 10.0) -> None:
        """Wait until every interaction handler the bot started has finished, so a test that checks
        "nothing was written" checks after the handler's last step, not when its first answer came."""
        handlers = ("CommandTree-invoker", "discord-ui-view-dispatch", "discord-ui-dynamic-item", "discord.py: on_")
        deadline = asyncio.get_running_loop().time() + timeout
        while any(t.get_name().startswith(handlers) and not t.done() for t in asyncio.all_tasks()):
            assert asyncio.get_running_loop().time() < deadline, "an interaction handler is still running"
            await asyncio.sleep(0.01)


def components(message: dict) -> list[dict]:
    """Every button and menu of a message (inside its action rows)."""
    return [c for row in message.get("components") or [] for c in row["components"]]


def test_config(fake: FakeDiscord, database: str, quiz: QuizConfig = QuizConfig(), **bot_options) -> Config:
    return Config(
        DiscordConfig(token=TOKEN, guild_ids=(GUILD,), moderator_role_ids=(MOD_ROLE,), audit_channel_id=AUDIT_CHANNEL,
                      api_base_url=fake.api_url, gateway_url=fake.gateway_url),
        StorageConfig(database=database, seeds="seeds"),
        BotConfig(**bot_options),
        search=SearchConfig(meaning=False),  # the library a test passes in decides; no background embedding
        quiz=quiz,
    )


@contextlib.asynccontextmanager
async def running_bot(library: Library, quiz: QuizConfig = QuizConfig(), **bot_options) -> AsyncIterator[Running]:
    """The fake Discord and a connected, ready bot; both stopped afterwards."""
    fake = FakeDiscord(guilds={GUILD: roles(GUILD), OTHER_GUILD: roles(OTHER_GUILD)})
    await fake.start()
    config = test_config(fake, str(library.path), quiz, **bot_options)
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    use_endpoints(config)
    bot = FactBot(config, library, guild_ready_timeout=0.05)
    task = asyncio.create_task(bot.start(TOKEN))
    try:
        ready = asyncio.ensure_future(bot.wait_until_ready())
        await asyncio.wait({ready, task}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            ready.cancel()
            task.result()  # the start-up error, rather than a timeout
        assert ready.done(), "the bot was not ready within 15 s"
        yield Running(bot, fake, library)
    finally:
        await bot.close()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(task, 5)
        await fake.stop()
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved
