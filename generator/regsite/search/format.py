"""The published search format, version 3 (docs/search.md): paths, limits and shard lookup.

The export (``render.search``), the Python reader (``search.query``) and the browser
(``static/search-core.js``) all follow these numbers; changing one is a new format version.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

__all__ = [
    "EXPANSIONS",
    "FEATURED",
    "FORMAT",
    "MANIFEST",
    "MAX_POSTINGS",
    "MAX_QUERY_LENGTH",
    "RECORDS_PER_SHARD",
    "RESULTS_PER_PAGE",
    "SEARCH_ROOT",
    "SHARD_BYTES",
    "SHARD_KINDS",
    "SUMMARY_LENGTH",
    "TERM_SHARD_BYTES",
    "TYPO_MIN_LENGTH",
    "record_shard_path",
    "shard_index",
    "shard_path",
    "typo_keys",
]

FORMAT = 3
SEARCH_ROOT = "search"
MANIFEST = f"{SEARCH_ROOT}/manifest.json"
RECORDS_PER_SHARD = 16  # small: the first page's hits are spread over many record files
RESULTS_PER_PAGE = 10  # records a reader fetches at first; more on request
SHARD_KINDS = ("terms", "names", "typos")  # in the order the manifest lists them
# A term's best documents whose records its term shard holds: ten times a page, so that the hits
# of a query of several words, which are rarely any one word's best 10, are mostly there too.
FEATURED = 10 * RESULTS_PER_PAGE
SHARD_BYTES = 32_000  # uncompressed JSON per name or typo shard (and the memo's postings runs)
TERM_SHARD_BYTES = 16_000  # uncompressed JSON per term shard, postings and records together
MAX_POSTINGS = 2_000  # a term keeps its best-scoring documents only
EXPANSIONS = 8  # terms the last query token may stand for as a prefix
SUMMARY_LENGTH = 200  # characters of description in a display record
TYPO_MIN_LENGTH = 3  # shorter queries get no "did you mean"
# Readers search the first 100 code points of a query and say that they cut it: a pasted page
# of text would otherwise cost a shard request per word and be echoed in full.
MAX_QUERY_LENGTH = 100


def shard_path(kind: str, index: int) -> str:
    """``kind`` is ``terms``, ``names`` or ``typos``."""
    return f"{SEARCH_ROOT}/{kind}/{index}.json"


def record_shard_path(doc: int) -> str:
    return f"{SEARCH_ROOT}/records/{doc // RECORDS_PER_SHARD}.json"


def shard_index(boundaries: Sequence[str], key: str) -> int:
    """The shard whose range holds ``key``: the last one whose first key is <= ``key``.

    Keys compare by code point, as Python compares strings (the browser does the same).
    """
    return max(bisect.bisect_right(boundaries, key) - 1, 0)


def typo_keys(joined: str, length: int | None = None) -> tuple[str, str]:
    """The two keys a name is filed under for "did you mean": its first two and last two letters.

    One typo cannot change both ends of a name of five letters or more, so the right name shares
    at least one key with the query, at the query's length or one more or one less.
    """
    size = f"{len(joined) if length is None else length:02d}"
    return f"p:{joined[:2]}:{size}", f"s:{joined[-2:]}:{size}"
