"""Recogniser output made uniform: simplified Chinese, Chinese punctuation, one way to write numbers.

Numbers follow one rule, whatever the recogniser wrote: a single-digit count is written in Chinese
("6个月" → "六个月"), every other number in Arabic digits ("百分之三点五" → "3.5%", "二十万" → "20万",
"一三八" → "138"); approximate amounts ("二十来万") stay as spoken, so their meaning is kept.
"""

from __future__ import annotations

import re

from convmine.text import normalize
from convmine.text.numbers import find_numbers

_CHINESE = "零一二三四五六七八九"
_MEASURE = set("个年月天次份款种位只张笔万千百块元周")
_PUNCTUATION = str.maketrans({",": "，", "?": "？", "!": "！", ";": "；", ":": "："})
_SPACE_BETWEEN_HAN = re.compile(r"(?<=[\u3400-\u9fff，。？！；：])\s+|\s+(?=[\u3400-\u9fff，。？！；：])")
_SENTENCE_DOT = re.compile(r"(?<=[\u3400-\u9fff])\.(?!\d)")


#: A number already in Arabic digits (half- or full-width): kept as written, digit for digit, so that a
#: phone, card or ID number stays whole (and so is found and masked) and "0212" keeps its zero.
_ARABIC = re.compile(r"[0-9０-９]+(?:[.．][0-9０-９]+)?")
_HALF_WIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")


def _plain(value: float) -> str:
    """A number in plain digits, never in scientific notation: 20, 3.5, 1234567."""
    return str(int(value)) if value == int(value) else f"{value:.6f}".rstrip("0").rstrip(".")


def _digits(value: float) -> str:
    for unit, size in (("亿", 10**8), ("万", 10**4)):
        if value >= size and (value / size) * 1000 == int((value / size) * 1000):
            return f"{_plain(value / size)}{unit}"
    return _plain(value)


def normalize_numbers(text: str) -> str:
    """Write every number in ``text`` the one way (see the module docstring)."""
    pieces = []
    position = 0
    for match in find_numbers(text):
        raw, value = match.raw, match.value
        if match.approximate:
            continue
        if match.percent:
            written = f"{_plain(value)}%"
        elif value == int(value) and value < 10 and len(raw) == 1:
            if raw.isdigit():
                follows = text[match.end : match.end + 1]
                written = "两" if value == 2 and follows in _MEASURE else _CHINESE[int(value)]
            else:
                written = raw
        elif _ARABIC.fullmatch(raw):
            written = raw.translate(_HALF_WIDTH)
        elif all(ch in _CHINESE or ch == "幺" for ch in raw) and len(raw) > 1:
            written = "".join("1" if ch == "幺" else str(_CHINESE.index(ch)) for ch in raw)
        else:
            written = _digits(value)
        pieces.append(text[position : match.start])
        pieces.append(written)
        position = match.end
    pieces.append(text[position:])
    return "".join(pieces)


def normalize_transcript(text: str) -> str:
    """Simplified characters, half-width digits, Chinese punctuation, no spaces between Chinese words,
    numbers written one way."""
    text = normalize(text.strip()).translate(_PUNCTUATION)
    text = _SENTENCE_DOT.sub("。", text)
    text = _SPACE_BETWEEN_HAN.sub("", text)
    return normalize_numbers(text)
