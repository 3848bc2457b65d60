"""Answering an interaction in time, and a Previous/Next pager only the asker can use."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import discord

from bot.render.limits import CHOICE_NAME, CHOICE_VALUE, CHOICES, one_line
from bot.spec import CommandSpec
from storage import StateUnavailable

T = TypeVar("T")
log = logging.getLogger("factbot")

# Discord drops an interaction not answered within 3 s; past this we defer and follow up.
DEFER_AFTER = 2.0
_LOADING = "factbot_loading_ephemeral"  # interaction.extras: a defer whose first followup is to come


async def in_time(
    interaction: discord.Interaction, work: Awaitable[T], *, ephemeral: bool = False, update: bool = False
) -> T:
    """Await `work`, deferring the response first if it is not done within DEFER_AFTER seconds.

    `update`: a component press that will edit its own message (deferred without a new message)."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER)
    if not done and not interaction.response.is_done():
        if update:
            await interaction.response.defer()
        else:
            await defer_thinking(interaction, ephemeral=ephemeral)
    return await task


async def defer_thinking(interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
    """Show "thinking..." now and answer later; the first followup takes this defer's visibility."""
    await interaction.response.defer(thinking=True, ephemeral=ephemeral)
    interaction.extras[_LOADING] = ephemeral


def _followup_ephemeral(interaction: discord.Interaction, asked: bool) -> bool:
    """Discord shows the first followup after a defer as public or private as the defer was,
    whatever it asks for: a private notice after a slow public command is public, so it asks to be."""
    return interaction.extras.pop(_LOADING, asked)


async def apologise(interaction: discord.Interaction, error: BaseException, what: str) -> None:
    """Log an unexpected error with its traceback and tell the user politely, privately.

    An unreachable state store is expected now and then (a restart): one log line, and it says so."""
    cause = getattr(error, "original", error)
    if isinstance(cause, StateUnavailable):
        log.warning("%s: state store unreachable (%s)", what, cause.detail)
        await tell(interaction, str(cause))
        return
    log.error("%s failed", what, exc_info=error)
    message = "Sorry, something went wrong while answering. The error was logged; please try again."
    await tell(interaction, message)


async def tell(interaction: discord.Interaction, message: str) -> None:
    """A private message to the user, as the response or as a followup when already answered."""
    try:
        await send(interaction, content=message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell the user (interaction %s)", interaction.id)


async def send(
    interaction: discord.Interaction,
    *,
    content: str | None = None,
    embeds: list[discord.Embed] | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = False,
    file: discord.File | None = None,
) -> None:
    """The first answer as the response, or as a followup when the response was deferred."""
    kwargs: dict = {"content": content, "embeds": embeds or [], "ephemeral": ephemeral}
    if view is not None:
        kwargs["view"] = view
    if file is not None:
        kwargs["file"] = file
    if interaction.response.is_done():
        await interaction.followup.send(**{**kwargs, "ephemeral": _followup_ephemeral(interaction, ephemeral)})
    else:
        await interaction.response.send_message(**kwargs)


def choices(pairs: list[tuple[str, str]]) -> list[discord.app_commands.Choice[str]]:
    """Autocomplete choices within Discord's limits (25, names and values 1-100 characters)."""
    found = []
    for name, value in pairs[:CHOICES]:
        name, value = one_line(name, CHOICE_NAME), value[:CHOICE_VALUE]
        if name and value:
            found.append(discord.app_commands.Choice(name=name, value=value))
    return found


def filtered_by_type(spec: CommandSpec) -> Callable[[T], T]:
    """A command's option descriptions, its `fact_type` parameter shown as `type`, and the fact
    types as that option's choices, all from the spec (/fact, /quiz play and /export share them)."""

    def apply(callback: T) -> T:
        typed = discord.app_commands.choices(
            fact_type=[discord.app_commands.Choice(name=t, value=t) for t in spec.option("type").choices])
        return discord.app_commands.describe(**spec.describe())(
            discord.app_commands.rename(**spec.renames())(typed(callback)))

    return apply


def concept_choices(library) -> Callable[[discord.Interaction, str], Awaitable[list[discord.app_commands.Choice[str]]]]:
    """The autocomplete callback every command's `concept` option shares."""

    async def complete(interaction: discord.Interaction, current: str) -> list[discord.app_commands.Choice[str]]:
        return choices(await library.complete.concepts(current[:100]))

    return complete


class Pager(discord.ui.View):
    """Previous/Next buttons over pages rendered on demand: anyone may turn a public answer's pages,
    only the asker a private one's (`owner_id` None: public)."""

    def __init__(
        self,
        owner_id: int | None,
        total: int,
        per_page: int,
        render: Callable[[int], Awaitable[discord.Embed]],
        timeout: float,
    ) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.pages = max(1, -(-total // per_page))
        self.page = 0
        self.render = render
        self.origin: discord.Interaction | None = None  # to disable the buttons on timeout
        self._refresh()

    def _refresh(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if self.owner_id is None or interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message("Only the person who asked can turn these pages.", ephemeral=True)
        return False

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        page = min(max(0, self.page + step), self.pages - 1)
        embed = await in_time(interaction, self.render(page), update=True)
        self.page = page
        self._refresh()
        if interaction.response.is_done():
            await interaction.edit_original_response(embed=embed, view=self)
        else:
            await interaction.response.edit_message(embed=embed, view=self)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        await apologise(interaction, error, "page turn")

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._turn(interaction, 1)

    async def on_timeout(self) -> None:
        self.previous.disabled = self.next.disabled = True
        if self.origin is not None:
            try:
                await self.origin.edit_original_response(view=self)
            except discord.HTTPException:
                pass  # the message may be gone; the buttons are dead either way


async def send_paged(
    interaction: discord.Interaction,
    first: discord.Embed,
    total: int,
    per_page: int,
    render: Callable[[int], Awaitable[discord.Embed]],
    timeout: float,
    ephemeral: bool = False,
) -> None:
    """Send page 1; add Previous/Next when there is more than one page."""
    if total <= per_page:
        await send(interaction, embeds=[first], ephemeral=ephemeral)
        return
    pager = Pager(interaction.user.id if ephemeral else None, total, per_page, render, timeout)
    pager.origin = interaction
    pagers = getattr(interaction.client, "pagers", None)
    if pagers is not None:
        pagers.add(pager)
    await send(interaction, embeds=[first], view=pager, ephemeral=ephemeral)
