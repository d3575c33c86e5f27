from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convmine.text import find_numbers, find_rates, parse_number

DIGITS = "零一二三四五六七八九"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("三点五", 3.5),
        ("二十万", 200_000),
        ("两万五", 25_000),
        ("一百二十", 120),
        ("一百二", 120),
        ("三千五", 3_500),
        ("一万二", 12_000),
        ("十二万五", 125_000),
        ("一亿二", 120_000_000),
        ("十五", 15),
        ("十", 10),
        ("一百零五", 105),
        ("一千零五十", 1_050),
        ("两万零五百", 20_500),
        ("一亿二千万", 120_000_000),
        ("三亿五千万", 350_000_000),
        ("一万亿", 10**12),
        ("3.5", 3.5),
        ("3.5万", 35_000),
        ("2万", 20_000),
        ("2万5", 25_000),
        ("1,000,000", 1_000_000),
        ("２０万", 200_000),
        ("三点五万", 35_000),
        ("二十点五", 20.5),
        ("十三点五", 13.5),
        ("零点五", 0.5),
        ("三点一四", 3.14),
        ("百分之四", 4),
        ("百分之三点五", 3.5),
        ("百分之百", 100),
        ("千分之五", 0.5),
        ("4%", 4),
        ("十来万", 100_000),
        ("二十来万", 200_000),
        ("二十多万", 200_000),
        ("十几万", 100_000),
        ("三万多", 30_000),
        ("20多万", 200_000),
        ("三四万", 30_000),
        ("十五六万", 150_000),
        ("幺", 1),
        ("两", 2),
        ("零", 0),
        ("二零二三", 2023),
        ("幺三八", 138),
        ("伍仟", 5_000),
        (" 三点五 ", 3.5),
    ],
)
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "万",
        "百",
        "千万",
        "好的",
        "三点五十",
        "三点",
        "三万块",
        "一下",
        "十百",
        "三万四万",
        "3.5.2",
        "百分之",
    ],
)
def test_parse_number_rejects_non_numbers(text: str) -> None:
    assert parse_number(text) is None


def _chinese(n: int) -> str:
    """Write 0 < n < 10**12 the way it is read aloud (一亿零五百万, 三千零一十)."""

    def below_10000(k: int) -> str:
        out, pending_zero = "", False
        for unit, power in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
            d, k = divmod(k, power)
            if d:
                out += ("零" if pending_zero else "") + DIGITS[d] + unit
                pending_zero = False
            elif out:
                pending_zero = True
        return out

    parts: list[str] = []
    for unit, power in (("亿", 10**8), ("万", 10**4), ("", 1)):
        section, n = divmod(n, power)
        needs_zero = bool(parts) and parts[-1] != "零" and ((section == 0 and n > 0) or 0 < section < 1000)
        if needs_zero:
            parts.append("零")
        if section:
            parts.append(below_10000(section) + unit)
    return "".join(parts)


@given(st.integers(min_value=1, max_value=10**12 - 1), st.booleans())
def test_parse_number_reads_numbers_written_out(n: int, short_ten: bool) -> None:
    written = _chinese(n)
    if short_ten and written.startswith("一十"):
        written = written[1:]  # "十二万" as well as "一十二万"
    assert parse_number(written) == n
    assert parse_number(str(n)) == n


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我有二十来万闲着", [("二十来万", 200_000, True)]),
        ("一共三万", [("三万", 30_000, False)]),
        ("一万一", [("一万一", 11_000, False)]),
        ("十一点以后打给我", [("十一", 11, False)]),
        ("十分钟后", [("十", 10, False)]),
        ("两三年吧", [("两三", 2, True)]),
        ("买了3只基金，每只2万", [("3", 3, False), ("2万", 20_000, False)]),
        ("下午三点五十", [("三", 3, False), ("五十", 50, False)]),
        ("我有三点五万", [("三点五万", 35_000, False)]),
        ("到期了五十万，又进来１０万", [("五十万", 500_000, False), ("１０万", 100_000, False)]),
        ("利率百分之二点五", [("百分之二点五", 2.5, False)]),
        ("2023年11月", [("2023", 2023, False), ("11", 11, False)]),
    ],
)
def test_find_numbers(text: str, expected: list[tuple[str, float, bool]]) -> None:
    found = find_numbers(text)
    assert [(m.raw, m.value, m.approximate) for m in found] == expected
    assert all(text[m.start : m.end] == m.raw for m in found)


@pytest.mark.parametrize(
    "text",
    [
        "我等一下再说",
        "我一直在你们这买",
        "收益一般般",
        "万一亏了呢",
        "你们统一回复一下",
        "这是唯一的问题",
        "十分满意",
        "千万别再给我打电话了",
        "零钱通里放着呢",
        "产品太单一了",
        "一定要保本",
        "我们一起去",
        "便宜一点",
        "其中之一",
        "三心二意",
        "版本v1.2.3",
        "QD2023款",
        "5G网络",
        "一样的",
        "一些钱",
    ],
)
def test_find_numbers_skips_numerals_inside_words(text: str) -> None:
    assert find_numbers(text) == []


@pytest.mark.parametrize(
    ("text", "value", "raw"),
    [
        ("三点五吧", 3.5, "三点五"),
        ("百分之四", 4, "百分之四"),
        ("4%就行", 4, "4%"),
        ("能有 3.5 % 吗", 3.5, "3.5 %"),
        ("年化三个点", 3, "三个点"),
        ("收益能到四", 4, "四"),
        ("3个点以上", 3, "3个点"),
        ("三个半点", 3.5, "三个半点"),
        ("年化三点五个点", 3.5, "三点五个点"),
        ("年化3.5", 3.5, "3.5"),
        ("年化收益率大概百分之三点五左右", 3.5, "百分之三点五"),
        ("活期才零点三", 0.3, "零点三"),
        ("利率四点二", 4.2, "四点二"),
        ("收益起码得有个四", 4, "四"),
        ("年化三点", 3, "三点"),
    ],
)
def test_find_rates(text: str, value: float, raw: str) -> None:
    rates = find_rates(text)
    assert [(r.raw, r.value) for r in rates] == [(raw, pytest.approx(value))]
    assert rates[0].percent
    assert text[rates[0].start : rates[0].end] == raw


def test_find_rates_marks_approximate_yields() -> None:
    (rate,) = find_rates("收益有四五个点")
    assert (rate.value, rate.approximate) == (4, True)
    (rate,) = find_rates("三个多点就行")
    assert (rate.value, rate.approximate) == (3, True)


def test_find_rates_finds_each_number_of_a_range() -> None:
    assert [r.value for r in find_rates("年化四到五个点")] == [4, 5]


@pytest.mark.parametrize(
    "text",
    [
        "我有三点五万",
        "下午三点给我打电话",
        "下午三点半",
        "收益下午三点到账",
        "我要收益高一点",
        "收益一般",
        "亏了百分之二十",
        "手续费百分之一点五",
        "千分之五的费率",
        "收益三年",
        "百分之百保本",
        "收益每年五千块",
        "收益有五块钱",
        "2.5倍",
        "3.5元",
        "四吧",
        "买了三只基金",
        "我要存三个月",
        "年化收益四十",
        "房贷利率四点一",
        "万份收益零点八",
        "好的好的",
    ],
)
def test_find_rates_rejects_non_yields(text: str) -> None:
    assert find_rates(text) == []


def test_expect_rate_accepts_a_plain_number() -> None:
    assert find_rates("四吧") == []
    assert [r.value for r in find_rates("四吧", expect_rate=True)] == [4]
    assert find_rates("三个月吧", expect_rate=True) == []
    assert find_rates("五十吧", expect_rate=True) == []


def test_numbers_in_a_long_turn_are_those_of_its_parts():
    """One transcript line can be long (ASR output without breaks); each number is found once, in place."""
    part = "我有三万五，一点点，四个点，"
    found = find_numbers(part * 500)
    alone = [(m.start, m.value) for m in find_numbers(part)]
    assert [(m.start % len(part), m.value) for m in found] == alone * 500
