from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convmine.errors import ConvmineError
from convmine.schema import Call, Utterance
from convmine.text import Masker, MaskStyle, PiiMatch, is_resident_id, luhn_valid, mask

SPELLED = dict(zip("0123456789", ["零〇", "一幺", *"二三四五六七八九"], strict=True))  # how ASR spells digits
# Sentence pieces around a number; some end or start with a numeral word ("第一", "一下").
BEFORE = [
    "",
    "您好，",
    "我的卡号是",
    "号码是",
    "手机",
    "身份证号码",
    "你记一下",
    "第一",
    "万一",
    "麻烦登记：",
    "嗯 ",
]
AFTER = ["", "。", "，谢谢", "一下", "一定记住", "对吧？", " 好的", "就是这个", "吗"]


def _luhn_complete(body: str) -> str:
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError("unreachable")


def _id_check(body: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


cards = st.builds(
    lambda prefix, rest: _luhn_complete(prefix + rest),
    st.sampled_from(["622202", "621700", "436742", "955880", "518710"]),
    st.text("0123456789", min_size=8, max_size=12),
)
resident_ids = st.builds(
    lambda region, born, seq: (body := region + born.strftime("%Y%m%d") + seq) + _id_check(body),
    st.sampled_from(["110105", "310104", "440305", "510107", "650102", "820000"]),
    st.dates(min_value=date(1920, 1, 1), max_value=date(2020, 12, 31)),
    st.text("0123456789", min_size=3, max_size=3),
)
mobiles = st.builds(
    lambda second, rest: "1" + second + rest,
    st.sampled_from("3456789"),
    st.text("0123456789", min_size=9, max_size=9),
)


@st.composite
def written(draw: st.DrawFn, digits: str, group_sizes: tuple[int, ...]) -> str:
    """Write a number as plain digits, in groups, spelled in Chinese numerals, or a mixture."""
    form = draw(st.sampled_from(["digits", "grouped", "spelled", "spelled_grouped", "mixed"]))
    chars = list(digits)
    if form.startswith("spelled") or form == "mixed":
        chars = [
            d if d == "X" or (form == "mixed" and draw(st.booleans())) else draw(st.sampled_from(SPELLED[d]))
            for d in digits
        ]
    if form in ("grouped", "spelled_grouped"):
        separator = draw(
            st.sampled_from([" ", "-", "  ", " - "] + (["，"] if form == "spelled_grouped" else []))
        )
        groups, k = [], 0
        for size in group_sizes:
            groups.append("".join(chars[k : k + size]))
            k += size
        groups.append("".join(chars[k:]))
        return separator.join(g for g in groups if g)
    return "".join(chars)


def _assert_masked(number: str, sentence: str, before: str) -> None:
    masked = mask(sentence)
    assert len(masked) == len(sentence)
    assert number not in masked
    span = masked[len(before) : len(before) + len(number)]
    assert span.count("*") >= 4
    fully = Masker("full").mask(sentence)
    assert fully[len(before) : len(before) + len(number)] == "".join(
        "*" if c.isdigit() or c in "零〇一幺二三四五六七八九Xx" else c for c in number
    )


@given(st.data(), cards)
def test_bank_cards_never_survive(data: st.DataObject, card: str) -> None:
    number = data.draw(written(card, (4, 4, 4, 4)))
    before, after = data.draw(st.sampled_from(BEFORE)), data.draw(st.sampled_from(AFTER))
    sentence = before + number + after
    _assert_masked(number, sentence, before)
    assert [m.kind for m in Masker().find(sentence)] in (["bank_card"], ["resident_id"])


@given(st.data(), resident_ids)
def test_resident_ids_never_survive(data: st.DataObject, resident_id: str) -> None:
    number = data.draw(written(resident_id, (6, 8)))
    before, after = data.draw(st.sampled_from(BEFORE)), data.draw(st.sampled_from(AFTER))
    sentence = before + number + after
    _assert_masked(number, sentence, before)
    assert [(m.kind, m.start, m.end) for m in Masker().find(sentence)] == [
        ("resident_id", len(before), len(before) + len(number))
    ]


@given(st.data(), mobiles)
def test_mobiles_never_survive(data: st.DataObject, mobile: str) -> None:
    number = data.draw(written(mobile, (3, 4)))
    before, after = data.draw(st.sampled_from(BEFORE)), data.draw(st.sampled_from(AFTER))
    sentence = before + number + after
    _assert_masked(number, sentence, before)
    assert [m.kind for m in Masker().find(sentence)] == ["mobile"]


def test_generated_ids_include_the_x_check_character() -> None:
    born = date(1949, 12, 31)
    bodies = ("110105" + (born + timedelta(days=k)).strftime("%Y%m%d") + "002" for k in range(60))
    assert any(_id_check(body) == "X" for body in bodies)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("卡号6222021234567890128", "卡号622202*********0128"),
        ("卡号6222 0212 3456 7890 128", "卡号6222 02** **** ***0 128"),
        ("身份证11010519491231002X", "身份证110***********002X"),
        ("身份证11010519491231002x", "身份证110***********002x"),
        ("老身份证130102800101123", "老身份证130********1123"),
        ("手机13812345678", "手机138****5678"),
        ("手机138-1234-5678", "手机138-****-5678"),
        ("+86 138 1234 5678", "+86 138 **** 5678"),
        ("008613812345678", "0086138****5678"),
        ("幺三八幺二三四五六七八", "幺三八****五六七八"),
        ("一三八 一二三四 五六七八", "一三八 **** 五六七八"),
        ("138幺二三四5678", "138****5678"),
        ("号码一三八，一二三四，五六七八。", "号码一三八，****，五六七八。"),
        ("１３８１２３４５６７８", "１３８****５６７８"),
        ("座机010-12345678", "座机010-******78"),
        ("(010)12345678", "(010)******78"),
        ("0755 8888 6666", "0755 **** **66"),
        ("零七五五 八八八八 六六六六", "零七五五 **** **六六"),
        ("打13812345678或者13912345678都行", "打138****5678或者139****5678都行"),
        ("+86-10-12345678", "+86-10-******78"),
        ("0086 755 8888 6666", "0086 755 **** **66"),
        ("身份证号码是一一零一零五一九四九一二三一零零二叉", "身份证号码是一一零***********零零二叉"),
    ],
)
def test_default_style(text: str, expected: str) -> None:
    assert mask(text) == expected


def test_find_reports_kind_and_span_only() -> None:
    text = "卡号6222021234567890128，电话010-12345678"
    assert Masker().find(text) == [PiiMatch("bank_card", 2, 21), PiiMatch("landline", 24, 36)]


def test_full_style_masks_every_digit() -> None:
    assert Masker("full").mask("+86 138-1234-5678") == "+** ***-****-****"
    assert Masker(MaskStyle.full("#")).mask("座机010-12345678") == "座机###-########"


def test_custom_style() -> None:
    style = MaskStyle(mask_char="#", bank_card=(4, 4), resident_id=(6, 4), mobile=(0, 4), landline_last=0)
    masker = Masker(style)
    assert masker.mask("6222021234567890128") == "6222###########0128"
    assert masker.mask("11010519491231002X") == "110105########002X"
    assert masker.mask("13812345678") == "#######5678"
    assert masker.mask("010-12345678") == "010-########"


@pytest.mark.parametrize(
    "kwargs",
    [{"mask_char": "**"}, {"mask_char": "1"}, {"mask_char": "五"}, {"mobile": (4, 4)}, {"bank_card": (-1, 4)},
     {"landline_last": 5}],
)  # fmt: skip
def test_invalid_styles_are_refused(kwargs: dict) -> None:
    with pytest.raises(ConvmineError):
        MaskStyle(**kwargs)
    with pytest.raises(ConvmineError, match="Unknown mask style"):
        Masker("partial")  # type: ignore[arg-type]


def test_mask_call_masks_every_utterance_and_keeps_ids() -> None:
    call = Call(
        "CALL-0001",
        "CUST-0001",
        [
            Utterance(0, "agent", "请问您的手机号？"),
            Utterance(1, "customer", "幺三八幺二三四五六七八", 1.0, 3.5),
        ],
    )
    masked = Masker().mask_call(call)
    assert masked is not call
    assert [u.text for u in masked.utterances] == ["请问您的手机号？", "幺三八****五六七八"]
    assert (masked.utterances[1].start, masked.utterances[1].end) == (1.0, 3.5)
    assert (masked.call_id, masked.customer_id) == (call.call_id, call.customer_id)
    assert call.utterances[1].text == "幺三八幺二三四五六七八"


def test_validators() -> None:
    assert luhn_valid("6222021234567890128")
    assert not luhn_valid("6222021234567890123")
    assert is_resident_id("11010519491231002X")
    assert not is_resident_id("110105194912310021")  # wrong check character
    assert not is_resident_id("110105194913310023")  # month 13
    assert not is_resident_id("990105194912310021")  # no province 99


NOT_PERSONAL = [
    "我有20万闲着",
    "二十来万",
    "2023年11月",
    "2023年11月15日下午3点",
    "2023-11-15 10:30:00",
    "2023/11/15",
    "20231115",
    "20231115103045",
    "年化3.5%",
    "百分之四",
    "三点五个点",
    "10086",
    "95588",
    "95533客服热线",
    "400-820-8888",
    "4008208888",
    "400 820 8888",
    "800-820-8888",
    "12345",
    "基金代码110022",
    "000001华夏成长",
    "产品代码ZH2023110188",
    "验证码是123456",
    "尾号5678",
    "卡号后四位0128",
    "邮编518000",
    "工号10086",
    "1,000,000元",
    "12,345,678.90",
    "13.8元",
    "1.5亿",
    "一百二十万",
    "两万五",
    "二零二三年十一月",
    "一二三四五六七八九",
    "一二三四五六七八九十",
    "幺幺零",
    "1234567890",
    "0000000000",
    "订单号0123456789",
    "订单号6222021234567890123",  # fails Luhn
    "流水号20231115000012345",  # fails Luhn
    "我一直在一家银行买一年期的，一万一万地存",
    "192.168.1.1",
    "v1.2.3",
    "下午三点五十给我打电话",
    "打了三四次",
    "第一第二第三",
    "分三笔：50000，30000，20000",
    "五万，三万，两万",
    "一，二，三，四，五，六，七，八，九，十",
    "2023年11月15日到2024年11月15日",
]


@pytest.mark.parametrize("text", NOT_PERSONAL)
def test_non_personal_numbers_are_untouched(text: str) -> None:
    assert mask(text) == text
    assert mask(f"您好，{text}，谢谢") == f"您好，{text}，谢谢"
    assert Masker().find(text) == []


def test_golden_list_is_large_enough() -> None:
    assert len(NOT_PERSONAL) >= 40
    assert not luhn_valid("6222021234567890123")
    assert not luhn_valid("20231115000012345")


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))))
def test_masking_preserves_length(text: str) -> None:
    assert len(mask(text)) == len(text)
    assert len(Masker("full").mask(text)) == len(text)


def test_text_without_numbers_is_returned_as_is() -> None:
    text = "嗯嗯好的，我知道了，你们那个理财收益多少啊"
    assert mask(text) is text


landlines = st.builds(
    lambda area, first, rest: (area, first + rest),
    st.sampled_from(["010", "021", "0755", "0571", "028"]),
    st.sampled_from("2345678"),
    st.text("0123456789", min_size=7, max_size=7),
)


@given(landlines, st.sampled_from(["-", " ", "", "）"]), st.sampled_from(BEFORE), st.sampled_from(AFTER))
def test_landlines_never_survive(landline: tuple[str, str], separator: str, before: str, after: str) -> None:
    area, local = landline
    number = area + separator + local
    sentence = before + number + after
    masked = mask(sentence)
    assert len(masked) == len(sentence)
    assert local not in masked
    assert masked[len(before) : len(before) + len(number)] == area + separator + "******" + local[-2:]


@pytest.mark.parametrize(
    "text",
    [
        "我那张卡号是6217 0000 1234 5678 901",
        "卡号是：6217000012345678",
        "银行卡 6217-0000-1234-5678",
        "银行卡号码是 6222 0202 0011 2348",
        "卡的号码是6222020200112348",
        "账户6222020200112348",
    ],
)
def test_a_long_number_said_as_a_card_is_masked_even_when_it_fails_luhn(text):
    masked = mask(text)
    assert len(masked) == len(text) and "*" in masked
    digits = "".join(c for c in masked if c.isdigit())
    assert len(digits) <= 10


def test_a_phone_number_cut_one_digit_short_is_masked_after_phone_words():
    """Speech recognition can put the last digit of a mobile into the next turn."""
    assert mask("我的手机号是1391234567") == "我的手机号是139***4567"
    assert mask("订单号1391234567") == "订单号1391234567"


def test_the_same_number_without_card_words_is_left_alone():
    assert mask("订单号6217000012345678901") == "订单号6217000012345678901"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("我身份證號是110105195903124527", "110***********4527"),
        ("身份证号码：11010519590312452X", "110***********452X"),
    ],
)
def test_a_number_said_as_an_id_is_masked_even_when_its_checksum_fails(text, kept):
    assert mask(text).endswith(kept)


def test_mask_call_masks_the_source_and_refuses_personal_numbers_as_ids():
    from convmine.errors import ConvmineError
    from convmine.schema import Call, Utterance

    call = Call("c1", "CUST-1", [Utterance(0, "customer", "打我13912345678")], source="rec/13912345678.wav")
    masked = Masker().mask_call(call)
    assert masked.source == "rec/139****5678.wav" and masked.utterances[0].text == "打我139****5678"
    for field in ("call_id", "customer_id", "agent_id"):
        bad = Call(**{"call_id": "c1", "customer_id": "C1", "agent_id": "A1", field: "13912345678"})
        with pytest.raises(ConvmineError, match=f"{field} holds a mobile number") as caught:
            Masker().mask_call(bad)
        assert "13912345678" not in str(caught.value)


_PIECES = st.one_of(
    st.text("0123456789", min_size=1, max_size=19),
    st.text("零一二三四五六七八九幺", min_size=1, max_size=12),
    st.sampled_from(["卡号", "尾号", "手机", "电话是", "身份证", "元", " ", "-", "，", "。", "两"]),
)


@given(st.lists(_PIECES, min_size=1, max_size=6).map("".join))
def test_a_masked_text_holds_no_personal_number(text: str) -> None:
    """What the store checks before saving: masking leaves nothing it would find again."""
    masked = mask(text)
    assert Masker().find(masked) == [] and mask(masked) == masked


def test_an_amount_beside_a_masked_card_is_left_alone():
    assert mask("我的卡号6222206189200530 74190.97元要还") == "我的卡号622220******0530 74190.97元要还"


@pytest.mark.parametrize(
    "written",
    [
        "138，1234，5678", "138,1234,5678", "138、1234、5678", "138\u00a01234\u00a05678", "138\u20091234\u20095678",
        "138\u200b1234\u200b5678", "138\u00ad1234\u00ad5678", "138--1234--5678", "138(1234)5678", "138   1234   5678",
        "138\u22121234\u22125678", "138·1234·5678", "138/1234/5678", "138_1234_5678", "13812345678X",
        "幺三八幺两三四五六七八", "138\\t1234\\t5678", "138\\u30001234\\u30005678",
    ],
)  # fmt: skip
def test_a_mobile_however_it_is_grouped_is_masked(written: str) -> None:
    """As people, recognisers and spreadsheets group a number; the last two as an error's repr() writes them."""
    masked = mask(f"我的手机是{written}，记一下")
    assert (
        Masker().find(masked) == [] and "****" in masked and "1234" not in masked and "两三四五" not in masked
    )


@pytest.mark.parametrize(
    "text", ["一共10000，20000，30000元", "价格12,345,678.90元", "2026/11/25 开户", "50000，30000"]
)
def test_amounts_and_dates_grouped_the_same_ways_are_left_alone(text: str) -> None:
    assert mask(text) == text
