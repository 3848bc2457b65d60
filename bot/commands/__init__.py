"""One module per feature; each has setup(bot) that adds its commands to the tree."""

from bot.commands import check, export, facts, help, moderation, quiz, sources, synthesis

FEATURES = (facts, sources, synthesis, check, moderation, quiz, export, help)
