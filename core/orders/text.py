"""Chinese text without a tokenizer: character bigrams for search and similarity.

PostgreSQL's parser does not split Chinese into words, and the embedded server has no
pg_trgm or zhparser. Overlapping two-character grams (金水 水区) are a well-known substitute:
indexed as a ``simple`` tsvector with GIN, a keyword becomes an AND of its bigrams, and the
few candidates are re-checked with ILIKE.
"""

from __future__ import annotations

import re

_KEEP = re.compile(r"[0-9A-Za-z\u3400-\u9fff]+")


def grams(text: str) -> set[str]:
    """Bigrams of every run of CJK, letters or digits (single characters for runs of one)."""
    result: set[str] = set()
    for run in _KEEP.findall(text.lower()):
        if len(run) == 1:
            result.add(run)
        result.update(run[i:i + 2] for i in range(len(run) - 1))
    return result


def search_document(*parts: str | None) -> str:
    """The text to feed ``to_tsvector('simple', …)``: the bigrams, space-separated."""
    return " ".join(sorted(grams(" ".join(p for p in parts if p))))


def search_query(keyword: str) -> str | None:
    """A ``to_tsquery('simple', …)`` expression matching every bigram of the keyword."""
    terms = sorted(grams(keyword))
    return " & ".join(terms) if terms else None


def similarity(a: str | set[str], b: str | set[str]) -> float:
    """Jaccard similarity of the two texts' bigrams (0 … 1); either may be given as its bigrams."""
    ga = a if isinstance(a, set) else grams(a)
    gb = b if isinstance(b, set) else grams(b)
    if not ga or not gb:
        return 0.0
    return len(ga & gb) / len(ga | gb)
