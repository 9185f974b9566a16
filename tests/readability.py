"""Flesch-Kincaid grade level, counted offline (syllables by pyphen's hyphenation patterns).

    grade = 0.39 * words / sentences + 11.8 * syllables / words - 15.59

pyphen splits a word where it may be hyphenated, which undercounts syllables a little in
short words; the count is the same on every machine (no dictionary is downloaded).
"""

from __future__ import annotations

import re
from functools import cache

WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*")
SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)|\n\s*\n")


@cache
def _dictionary() -> object:
    import pyphen

    return pyphen.Pyphen(lang="en_US")


def syllables(word: str) -> int:
    """Syllables in a word: hyphenation points plus one, at least the vowel groups' count
    for words pyphen does not split."""
    word = word.lower().strip("'\u2019-")
    if not word:
        return 0
    parts = len(_dictionary().inserted(word).split("-"))  # type: ignore[attr-defined]
    groups = len(re.findall(r"[aeiouy]+", word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and groups > 1:
        groups -= 1
    return max(1, parts, groups)


def grade(text: str) -> float:
    """The Flesch-Kincaid grade of a text. A sentence ends with ., ! or ? (not a colon or
    a semicolon), or at a blank line (each list item stands on its own)."""
    words = WORD.findall(text)
    if not words:
        return 0.0
    sentences = max(1, len([s for s in SENTENCE_END.split(text) if WORD.search(s)]))
    count = sum(syllables(w) for w in words)
    return 0.39 * len(words) / sentences + 11.8 * count / len(words) - 15.59
