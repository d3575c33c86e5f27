"""Clauses of a turn: the stretches a model tag must be carried by."""

from __future__ import annotations

import pytest

from convmine.text import clauses


def _pieces(text: str) -> list[str]:
    return [text[start:end] for start, end in clauses(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我手头有二十万闲着，不过只买保本的。", ["我手头有二十万闲着", "不过只买保本的"]),
        ("不过话费券也行吧 不要白不要", ["不过话费券也行吧", "不要白不要"]),  # ASR output: spaces
        ("太慢了!!! 真的卡?", ["太慢了", "真的卡"]),
        ("三点五吧，3.5就行", ["三点五吧", "3.5就行"]),  # a decimal point ends no clause
        ("10:30以后打吧。好的.", ["10:30以后打吧", "好的"]),
        ("股票、基金都有", ["股票、基金都有"]),  # the enumeration comma joins items of one list
        ("对，有二十来万", ["对", "有二十来万"]),
        ("嗯", ["嗯"]),
        ("……", []),
        ("", []),
    ],
)
def test_clauses(text, expected):
    assert _pieces(text) == expected
