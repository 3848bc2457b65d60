"""Words every renderer shows the same way (Discord embeds, console text)."""

DISPUTED = "⚠ Disputed"
