"""Buttons and menus that outlive the process, and a plain answer for those that did not.

A control's state lives in its custom_id (discord.py's DynamicItem parses it back with the
class's template), so a press on yesterday's message still works after a restart. Pages and
/flag's choice keep their state in memory instead; a press on one whose view is gone (a restart,
a timeout) is told plainly that it expired rather than left to fail.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.commands.respond import apologise, tell
from bot.render.limits import CUSTOM_ID

if TYPE_CHECKING:
    from bot.client import FactBot

PREFIX = "fb"  # every custom_id a control writes starts "fb:<kind>:"
OWNER_ONLY = "Only the person who asked can use these controls; run the command yourself to get your own."
EXPIRED = "These controls have expired (the bot restarted, or they timed out). Run the command again."


class Control:
    """What every dynamic control shares (mixed in before discord.ui.DynamicItem): the state parsed
    from its custom_id, the owner check and errors apologised for, never a failed interaction.

    A template's `owner` group, when not 0, is the only user who may press it (a private answer's
    controls); without it, or with 0, anyone may (a public answer's)."""

    what = "a control"  # names it in the error log

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str], /):
        return cls(item)

    @property
    def state(self) -> dict[str, str]:
        """The named groups of this control's template, read from its custom_id."""
        return self.template.fullmatch(self.custom_id).groupdict()  # type: ignore[attr-defined]

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        owner = int(self.state.get("owner") or 0)
        if owner and interaction.user.id != owner:
            await tell(interaction, OWNER_ONLY)
            return False
        return True

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self.pressed(interaction)
        except Exception as error:  # discord.py would only log it; the user would see a failure
            await apologise(interaction, error, self.what)

    async def pressed(self, interaction: discord.Interaction) -> None:
        """What the control does; subclasses define it."""
        raise NotImplementedError


def custom_id(kind: str, *parts: object) -> str:
    """"fb:<kind>:<part>:...": the last part (free text) cut at a word end to fit Discord's limit."""
    *head, last = [PREFIX, kind, *(str(p) for p in parts)]
    start = ":".join(head) + ":"
    room = CUSTOM_ID - len(start)
    if len(last) > room:
        space = last.rfind(" ", 0, room + 1)
        last = last[: space if space > room // 2 else room].rstrip()
    return start + last


def register(bot: FactBot, *controls: type[discord.ui.DynamicItem[Any]]) -> None:
    """Route presses on these controls to them, from now on and after every restart."""
    bot.add_dynamic_items(*controls)
    bot.controls.extend(controls)


def claimed(bot: FactBot, custom_id_: str) -> bool:
    """Whether a registered control or a live view answers a press on `custom_id_`."""
    if any(c.__discord_ui_compiled_template__.fullmatch(custom_id_) for c in bot.controls):
        return True
    return any(
        not view.is_finished() and any(getattr(item, "custom_id", None) == custom_id_ for item in view.children)
        for view in bot.pagers
    )


def note_claim(bot: FactBot, interaction: discord.Interaction) -> None:
    """Before any handler runs (a press may finish its own view), note whether anything answers it."""
    if interaction.type is discord.InteractionType.component:
        interaction.extras["claimed"] = claimed(bot, str((interaction.data or {}).get("custom_id", "")))


async def answer_expired(interaction: discord.Interaction) -> None:
    """A press nothing answers (its view died with the process, or timed out) is told so."""
    if interaction.extras.get("claimed") is False:
        await tell(interaction, EXPIRED)
