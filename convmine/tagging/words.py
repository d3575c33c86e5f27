"""Word boundaries from jieba, so that a short keyword does not fire inside an unrelated word.

"黄金" must not fire in "黄金周" nor "保险" in "保险柜", but "理财" should fire in "理财产品" and
"存款" in "定期存款": a short keyword counts when it is a whole word, or the head or tail of a
compound whose other part is itself a word of two or more characters.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import lru_cache

import jieba

SHORT_KEYWORD = 2  # keywords up to this many characters must respect word boundaries


class Segmenter:
    """A private jieba tokenizer that knows the taxonomy's keywords (loaded once, quietly)."""

    def __init__(self, words: Iterable[str]):
        self._tokenizer = _tokenizer(tuple(sorted(set(words))))

    def words(self, text: str) -> list[tuple[int, int]]:
        """The (start, end) span of every word of ``text``."""
        return [(start, end) for _, start, end in self._tokenizer.tokenize(text, HMM=False)]

    @staticmethod
    def is_word_in(spans: list[tuple[int, int]], start: int, end: int) -> bool:
        """Whether ``[start, end)`` is whole words, or the head or tail of a longer compound word."""
        if any(a == start for a, _ in spans) and any(b == end for _, b in spans):
            return True
        for word_start, word_end in spans:
            if word_start <= start and end <= word_end:
                if word_start == start:
                    return word_end - end >= 2
                if word_end == end:
                    return start - word_start >= 2
                return False
        return False


@lru_cache(maxsize=4)
def _tokenizer(words: tuple[str, ...]) -> jieba.Tokenizer:
    # jieba logs "Building prefix dict ..." to stderr at DEBUG level; quiet its own logger only.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in words:
        if len(word) > 1:
            tokenizer.add_word(word)
    return tokenizer
