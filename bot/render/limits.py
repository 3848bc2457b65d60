"""Discord's size limits, in one place, and the text cutting that respects them."""

from __future__ import annotations

CONTENT = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR = 256
EMBED_TOTAL = 6000  # all embeds of one message together
CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100
OPTION_MAX_LENGTH = 6000
COMMAND_DESCRIPTION = 100
CUSTOM_ID = 100  # a component's custom_id
ACTION_ROWS = 5  # per message; a select menu fills a row, up to 5 buttons share one
ROW_BUTTONS = 5
BUTTON_LABEL = 80
SELECT_OPTIONS = 25
SELECT_LABEL = 100  # an option's label and description
SELECT_VALUE = 100
SELECT_PLACEHOLDER = 150

ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with an ellipsis if cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + ELLIPSIS


def one_line(text: str, limit: int) -> str:
    """Whitespace folded to single spaces, then clipped (for titles, names, choices)."""
    return clip(" ".join(text.split()), limit)


def chunks(text: str, limit: int) -> list[str]:
    """Split long text into pieces of at most `limit` characters, at sentence or word ends.

    Every piece but the last ends with an ellipsis and the next starts with one, so no word is
    cut silently.
    """
    text = text.strip()
    pieces: list[str] = []
    while len(text) > limit:
        window = text[: limit - 2]
        cut = max(window.rfind(". "), window.rfind("? "), window.rfind("! "))
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 4:
            cut = limit - 2
        else:
            cut += 1
        pieces.append(text[:cut].rstrip() + ELLIPSIS)
        text = ELLIPSIS + text[cut:].lstrip()
    pieces.append(text)
    return pieces
