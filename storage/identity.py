"""What a fact id is: a short hash of the fact's content, stable across reloads.

Everything that names a fact by id (the loader, the library, the flag history) asks this module,
so the scheme lives in one place: changing it would orphan every dispute, and needs a migration.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from operator import itemgetter

from storage.pages.records import Page
from storage.textnorm import fold

ID_LENGTH = 8  # 40 bits: a clash is unlikely below a million facts and handled when it happens
MAX_ID_LENGTH = 16  # a clash lengthens an id one character at a time; 16 is never reached in practice

_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # RFC 4648 base32, lowercase
_PAIRS = tuple(a + b for a in _ALPHABET for b in _ALPHABET)  # every 10-bit value as two characters
_ID_SHAPE = re.compile(rf"^[{_ALPHABET}]{{{ID_LENGTH},{MAX_ID_LENGTH}}}$")


def looks_like_id(text: str) -> bool:
    """True when `text` (already lowercased) has the shape of a fact id."""
    return _ID_SHAPE.match(text) is not None


def fact_key_of(concept: str, title: str, domain: str, fact_type: str, text: str) -> str:
    """The content a fact id is derived from, hashed (hex)."""
    return hashlib.sha256(f"{_head(concept, title, domain)}{fact_type}\x1f{text}".encode("utf-8")).hexdigest()


def fact_keys(page: Page) -> list[str]:
    """Every fact's key (as fact_key_of), with repeats of one fact under one source told apart."""
    # The concept, title and domain are joined once per source, not once per fact.
    heads = [_head(page.concept, s.title, s.domain) for s in page.sources]
    sha256 = hashlib.sha256
    return _told_apart([sha256(f"{heads[f.source_index]}{f.type}\x1f{f.text}".encode("utf-8")).hexdigest()
                        for f in page.facts])


def stored_fact_keys(concept: str, facts: Iterable[tuple[str, str, str, str]]) -> list[str]:
    """The keys of a stored page's facts, given as (title, domain, type, text) in page order."""
    return _told_apart([fact_key_of(concept, title, domain, fact_type, text) for title, domain, fact_type, text in facts])


def _head(concept: str, title: str, domain: str) -> str:
    return f"{fold(concept)}\x1f{title}\x1f{domain}\x1f"


def _told_apart(keys: list[str]) -> list[str]:
    """The second, third... copy of one key gets a key of its own, derived from the first."""
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key in seen:
            seen[key] += 1
            keys[i] = repeat_key(key, seen[key])
        else:
            seen[key] = 0
    return keys


def stored_key(key: str) -> bytes:
    """The 16 bytes of a key kept with each fact (vectors are keyed by them)."""
    return bytes.fromhex(key[:32])


def stored_keys(keys: Iterable[str]) -> Iterator[bytes]:
    """stored_key of each key, lazily, without a Python call per key (a page's facts at once)."""
    return map(bytes.fromhex, map(itemgetter(slice(32)), keys))


def repeat_key(key: str, copy: int) -> str:
    """The key of the `copy`-th repeat (1, 2...) of one fact under one source."""
    return hashlib.sha256(f"{key}#{copy}".encode()).hexdigest() if copy else key


def short_id(key_hash: str, length: int) -> str:
    """A typeable id: the key hash's leading bits in lowercase base32 (no padding), `length` characters."""
    pairs = (length + 1) // 2
    hex_digits = (pairs * 10 + 3) // 4
    bits = int(key_hash[:hex_digits].ljust(hex_digits, "0"), 16) >> (hex_digits * 4 - pairs * 10)
    text = ""
    for shift in range(pairs * 10 - 10, -1, -10):
        text += _PAIRS[(bits >> shift) & 1023]
    return text[:length]


def short_ids(keys: list[str], length: int) -> list[str]:
    """short_id(key, length) of each key: a page's ids in one call, a third of the time of one each."""
    if length != 8:
        return [short_id(key, length) for key in keys]
    pairs = _PAIRS
    ids = []
    for key in keys:
        if len(key) < 10:
            ids.append(short_id(key, length))
            continue
        bits = int(key[:10], 16)  # 40 bits: four pairs of characters, as short_id reads them
        ids.append(pairs[bits >> 30] + pairs[bits >> 20 & 1023] + pairs[bits >> 10 & 1023] + pairs[bits & 1023])
    return ids
