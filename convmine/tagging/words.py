"""Word boundaries from jieba, so that a short keyword does not fire inside an unrelated word.

"黄金" must not fire in "黄金周" nor "保险" in "保险柜", but "理财" should fire in "理财产品" and
"存款" in "定期存款": a short keyword counts when it is a whole word, or the head or tail of a
compound whose other part is itself a word of two or more characters.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Iterable
from functools import lru_cache

import jieba

SHORT_KEYWORD = 2  # keywords up to this many characters must respect word boundaries
_AFTER_ANY_END = float("inf")  # sorts (position, _AFTER_ANY_END) after every span starting at position


class Segmenter:
    """A private jieba tokenizer that knows the taxonomy's keywords (loaded once, quietly)."""

    def __init__(self, keywords: Iterable[str]):
        self._keywords = frozenset(keywords)
        self._tokenizer = _tokenizer(tuple(sorted(self._keywords)))

    def words(self, text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
        """The (start, end) span, in ``text``, of every word of ``text[start:end]``, in order, end to end."""
        return [(start + a, start + b) for _, a, b in self._tokenizer.tokenize(text[start:end], HMM=False)]

    def is_word_in(self, text: str, spans: list[tuple[int, int]], start: int, end: int) -> bool:
        """Whether ``text[start:end]`` is whole words, or part of a keyword or of a compound word.

        A compound is a word whose rest, besides the keyword at its head or tail, has two or more
        characters ("理财|产品", "定期|存款"); "黄金|周" and "保险|柜" are not compounds.
        """
        if not spans or start < spans[0][0]:
            return False
        # Words lie end to end, so only the word that holds ``start`` can start there or hold the keyword.
        word_start, word_end = spans[bisect_right(spans, (start, _AFTER_ANY_END)) - 1]
        if word_start == start and spans[bisect_right(spans, (end - 1, _AFTER_ANY_END)) - 1][1] == end:
            return True
        if end > word_end:
            return False
        if text[word_start:word_end] in self._keywords:
            return True
        if word_start == start:
            return word_end - end >= 2
        if word_end == end:
            return start - word_start >= 2
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
