"""Acronym <-> long form pairs learned from the corpus ("vascular endothelial growth factor (VEGF)")."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable

from storage.textnorm import STOP_WORDS, joined_starts, words

_PAREN = re.compile(r"\((?P<short>[A-Za-z][A-Za-z0-9-]{1,9})\)")
_PARTS = re.compile(r"[^\W_]+")


def find_acronyms(texts: Iterable[str]) -> set[tuple[str, str]]:
    """(short, long) pairs, both folded, defined anywhere in `texts`."""
    found: set[tuple[str, str]] = set()
    # One search of all the texts joined (a match cannot span two: none holds a line break),
    # each match then read in its own text, which begins at the nearest start before it.
    texts = list(texts)
    joined = "\n".join(texts)
    starts = joined_starts(texts)
    for match in _PAREN.finditer(joined):
        short = match["short"]
        if sum(map(str.isupper, short)) < 2:
            continue
        letters = [c.lower() for c in short if c.isalnum()]
        window = min(len(letters) + 5, len(letters) * 2)
        text_start = starts[bisect_right(starts, match.start()) - 1]
        before = joined[text_start : match.start()].rsplit(maxsplit=window)[-window:]
        long = long_form(letters, before)
        if long:
            found.add(("".join(letters), " ".join(words(long))))
    return found


def long_form(letters: list[str], before: list[str]) -> str | None:
    """The words ending `before` that spell `letters`: most letters as word initials, then shortest.

    A variant of Schwartz & Hearst (2003): every letter must appear in order, the first opening
    the first word, and a long form never opens with a stop word ("and commitment therapy").
    """
    best: tuple[int, int, str] | None = None
    for start in range(len(before) - 1, -1, -1):
        first = before[start].lower()
        if letters[0] not in first:
            continue
        # The long form opens at a word part: "3,4-methylenedioxymethamphetamine" opens at "m".
        if first.isalnum():  # one part, the whole word (most words): what the search below finds
            if first[0] != letters[0]:
                continue
            opening, at = first, 0
        else:
            part = next((p for p in _PARTS.finditer(first) if p.group()[0] == letters[0]), None)
            if part is None:
                continue
            opening, at = part.group(), part.start()
        if opening in STOP_WORDS:
            continue
        candidate = before[start:]
        text = " ".join(candidate)[at:].strip(" ,;:\"'")
        if not _spells(letters, text.lower()):
            continue
        key = (_initials(letters, text), -len(candidate), text)
        if best is None or key[:2] > best[:2]:
            best = key
            if key[0] == len(letters):
                break  # every letter an initial: only a longer form would follow, and that ranks lower
    return best[2] if best and len(best[2]) > len(letters) else None


def _spells(letters: list[str], text: str) -> bool:
    position = 0
    for letter in letters:
        position = text.find(letter, position)
        if position < 0:
            return False
        position += 1
    return True


def _initials(letters: list[str], text: str) -> int:
    matched = 0
    for part in _PARTS.findall(text.lower()):
        if matched < len(letters) and part[0] == letters[matched]:
            matched += 1
    return matched
