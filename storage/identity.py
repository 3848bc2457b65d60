"""What a fact id is: a short hash of the fact's content, stable across reloads.

Everything that names a fact by id (the loader, the library, the flag history) asks this module,
so the scheme lives in one place: changing it would orphan every dispute, and needs a migration.
"""

from __future__ import annotations

import hashlib
import re

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
    parts = (fold(concept), title, domain, fact_type, text)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def fact_keys(page: Page) -> list[str]:
    """Every fact's key (as fact_key_of), with repeats of one fact under one source told apart."""
    # The concept, title and domain are joined once per source, not once per fact.
    heads = [f"{fold(page.concept)}\x1f{s.title}\x1f{s.domain}\x1f" for s in page.sources]
    sha256 = hashlib.sha256
    keys = [sha256(f"{heads[f.source_index]}{f.type}\x1f{f.text}".encode("utf-8")).hexdigest() for f in page.facts]
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key in seen:
            seen[key] += 1
            keys[i] = sha256(f"{key}#{seen[key]}".encode()).hexdigest()
        else:
            seen[key] = 0
    return keys


def short_id(key_hash: str, length: int) -> str:
    """A typeable id: the key hash's leading bits in lowercase base32 (no padding), `length` characters."""
    pairs = (length + 1) // 2
    hex_digits = (pairs * 10 + 3) // 4
    bits = int(key_hash[:hex_digits].ljust(hex_digits, "0"), 16) >> (hex_digits * 4 - pairs * 10)
    text = ""
    for shift in range(pairs * 10 - 10, -1, -10):
        text += _PAIRS[(bits >> shift) & 1023]
    return text[:length]
