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
        (
            "不过话费券也行吧 不要白不要",
            ["不过话费券也行吧", "不要白不要"],
        ),  # ASR output: a space between phrases
        (
            "我 觉得 你们 那个 小王 人 挺 好 的",
            ["我 觉得 你们 那个 小王 人 挺 好 的"],
        ),  # a space between words
        ("I don't know, maybe later", ["I don't know", "maybe later"]),
        ("卡号6222 **** **** 0128 你们APP太卡了", ["卡号6222 **** **** 0128 你们APP太卡了"]),
        ("太慢了!!! 真的卡?", ["太慢了", "真的卡"]),
        ("三点五吧，3.5就行", ["三点五吧", "3.5就行"]),  # a decimal point ends no clause
        ("我账上有100,000元放着，你看看", ["我账上有100,000元放着", "你看看"]),  # nor a thousands comma
        ("10:30以后打吧。好的.", ["10:30以后打吧。好的"]),  # a short stretch at the end joins the one before
        ("股票、基金都有", ["股票、基金都有"]),  # the enumeration comma joins items of one list
        ("嗯，对，我管的", ["嗯，对，我管的"]),  # short stretches join the next: a filler is no evidence
        ("嗯，那个，我没钱，你们APP太卡了", ["嗯，那个，我没钱", "你们APP太卡了"]),
        ("嗯", ["嗯"]),
        ("……", []),
        ("", []),
    ],
)
def test_clauses(text, expected):
    assert _pieces(text) == expected
