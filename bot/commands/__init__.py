"""One module per feature; each has setup(bot) that adds its commands to the tree."""

from bot.commands import check, facts, help, moderation, sources, synthesis

FEATURES = (facts, sources, synthesis, check, moderation, help)
