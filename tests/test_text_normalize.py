from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convmine.text import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我們銀行的理財產品", "我们银行的理财产品"),
        ("這個基金收益還可以", "这个基金收益还可以"),
        ("開戶要帶身份證", "开户要带身份证"),
        ("頭髮", "头发"),
        ("發現網點離我家太遠", "发现网点离我家太远"),
        ("裡面", "里面"),
        ("為什麼", "为什么"),
        ("臺灣", "台湾"),
        ("薴", "苎"),  # a chain in OpenCC's table (薴 → 苧 → 苎) is followed to its end
    ],
)
def test_traditional_becomes_simplified(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("３．５％", "3.5%"),
        ("年化４％", "年化4%"),
        ("ＡＰＰ　ｖ２", "APP v2"),
        ("１３８－１２３４－５６７８", "138-1234-5678"),
        ("３～５年", "3~5年"),
        ("＋８６", "+86"),
    ],
)
def test_full_width_becomes_half_width(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_chinese_punctuation_is_kept() -> None:
    text = "好的，谢谢。您是哪位？我不需要！时间：下午；（周末）、“理财”《说明》"
    assert normalize(text) == text


def test_simplified_text_is_unchanged() -> None:
    text = "我现在手头有二十来万闲着呢，只买保本的，收益三点五左右就行"
    assert normalize(text) == text


def test_no_phrase_level_conversion() -> None:
    # 乾 has several readings (乾坤 / 干); the character table always takes the first candidate.
    assert normalize("乾淨") == "干净"
    assert len(normalize("乾隆")) == 2


@given(st.text())
def test_length_and_positions_are_preserved(text: str) -> None:
    result = normalize(text)
    assert len(result) == len(text)
    assert all(normalize(c) == r for c, r in zip(text, result, strict=True))


def test_normalize_is_idempotent_on_every_character() -> None:
    every = "".join(chr(c) for c in range(0x20, 0x30000) if not 0xD800 <= c <= 0xDFFF)
    once = normalize(every)
    assert normalize(once) == once
