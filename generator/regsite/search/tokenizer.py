"""The one tokenizer rule, shared with the browser (``static/search-core.js``) and the CLI.

1. Normalise the text to NFKC.
2. Lower-case it (Unicode full case mapping, as ``str.lower`` and ``String.toLowerCase`` do).
3. A token is a maximal run that starts with a letter or digit (general category ``L*`` or
   ``N*``) and goes on over letters, digits and combining marks (``M*``); everything else
   separates tokens.

The browser writes the same rule as ``/[\\p{L}\\p{N}][\\p{L}\\p{N}\\p{M}]*/gu``; the test vectors in
``tests/search/tokenizer-vectors.json`` run through both.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache

__all__ = ["TOKENIZER_ID", "join_key", "name_key", "tokenize"]

TOKENIZER_ID = "nfkc-lower-letters-digits-marks/1"


def tokenize(text: str) -> list[str]:
    """Split ``text`` into search tokens by the rule above."""
    if text.isascii():  # the common case, and one that needs no table of combining marks
        return _ASCII_TOKEN.findall(text.lower())
    normalised = unicodedata.normalize("NFKC", text).lower().replace("_", " ")
    return _token_pattern().findall(normalised)


def name_key(text: str) -> str:
    """The normalised-name form of a query or package name: tokens joined by ``-``."""
    return "-".join(tokenize(text))


def join_key(text: str) -> str:
    """The name with separators removed: ``django rest framework`` -> ``djangorestframework``."""
    return "".join(tokenize(text))


_ASCII_TOKEN = re.compile(r"[a-z0-9]+")


@cache
def _token_pattern() -> re.Pattern[str]:
    # Python's str patterns define ``[^\W_]`` as str.isalnum(), which is exactly L* and N* (a test
    # checks this for the running interpreter); a class listing every letter would be 4x slower.
    # Underscores are replaced by spaces before matching, so ``\w`` can stand for "L or N" inside
    # the continuation class too.
    return re.compile(f"[^\\W_][\\w{_character_class(('M',))}]*")


def _character_class(categories: tuple[str, ...]) -> str:
    """A regex character class of every code point whose general category starts as given."""
    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code))[0] in categories:
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(
        re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}"
        for low, high in ranges
    )
