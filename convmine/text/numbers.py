"""Numbers as ASR systems and people write them in Chinese: ``3.5``, ``2万``, ``两万五``, ``三点五``.

* :func:`parse_number` reads one number expression ("一百二十" → 120, "二十来万" → 200000).
* :func:`find_numbers` finds every number in a text, with its character span, skipping numerals
  that are part of words ("一下", "万一", "统一", "十分满意", "千万别" …).
* :func:`find_rates` finds the annual yields a customer names ("年化三个点", "百分之四", "4%").

Conventions: approximate expressions ("十来万", "二十多万", "三四万") give their lower bound and are
flagged ``approximate``; percentages ("百分之四", "4%", "三个点") give the percent value (4 means 4 %).
A run of bare digits without units ("一三八", "二零二三") is read digit by digit.
Text is expected to be normalised (:func:`convmine.text.normalize`), but full-width digits also work.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from itertools import accumulate

CHINESE_DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
    "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9,
}  # fmt: skip
SMALL_UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS: dict[str, int] = {"万": 10**4, "亿": 10**8}
APPROXIMATE_MARKERS = "来多几余"
ASCII_DIGITS = "0123456789０１２３４５６７８９"

_TO_ASCII = str.maketrans("０１２３４５６７８９．", "0123456789.", ",")
_ARABIC = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9０-９]+(?:[.．][0-9０-９]+)?")
_START = re.compile(f"百分之|千分之|[{ASCII_DIGITS}{''.join(CHINESE_DIGITS)}十拾]")
_PERCENT_SIGN = re.compile(r" ?[%％]")
_TIME_OF_DAY = ("上午", "下午", "晚上", "早上", "中午", "凌晨", "傍晚", "今晚", "明早")
# Words in which a numeral is not a quantity. A candidate number that lies entirely inside one of
# these is dropped ("一下" drops "一"; "十一点" keeps "十一", which reaches outside "一点").
NUMERAL_WORDS = (
    "一下", "一直", "一般", "一起", "一样", "一定", "一些", "一切", "一旦", "一边", "一向", "一致",
    "一共", "一点", "一会", "一再", "一律", "一并", "一同", "一齐", "一时", "一阵", "一番", "一口气",
    "一面", "一方面", "一半", "一概", "一贯", "一心", "一路", "一早", "一大早", "一来", "二来",
    "一块儿", "一辈子", "一开始", "一旁", "一揽子", "一刀切", "一手", "一道", "一体", "一生", "一经",
    "一味", "一度", "一模一样", "一清二楚", "一五一十", "一干二净", "一本万利", "一心一意",
    "万一", "统一", "唯一", "同一", "专一", "单一", "划一", "之一", "一一", "不一", "说一不二",
    "独一无二", "九牛一毛", "万无一失", "接二连三", "三心二意", "不三不四", "再三", "三番五次",
    "乱七八糟", "七上八下", "七嘴八舌", "四平八稳", "五花八门", "十全十美", "十足", "十分(?![钟之])",
    "两口子",
)  # fmt: skip
_NON_NUMERIC = re.compile("(?=(" + "|".join(NUMERAL_WORDS) + "))")

_RATE_CONTEXT = re.compile(r"年化|收益|利率|利息|回报|预期|业绩基准|业绩比较基准")
_NOT_A_YIELD = re.compile(
    r"亏|跌|赔|损失|回撤|手续费|费率|管理费|服务费|托管费|违约金|罚息|贷款|房贷|车贷|首付|万份收益"
)
_POINTS = re.compile(r" ?(?:(个)(多|半)?)?点(?![钟半整])")  # "三个点", "三个半点", "年化三点"
_CLAUSE_BREAK = re.compile(r"[，。？！；,?!;\n]")
_UNIT_AFTER = frozenset("万亿千百元块毛角钱年月天日号岁倍份次个只期分秒周米斤股手张笔家")
MAX_RATE = 30.0


@dataclass(frozen=True, slots=True)
class NumberMatch:
    """A number found in a text: ``text[start:end] == raw``; ``value`` is a percent if ``percent``."""

    start: int
    end: int
    value: float
    raw: str
    approximate: bool = False
    percent: bool = False


def parse_number(s: str) -> float | None:
    """Read one number expression; ``None`` unless all of ``s`` (spaces aside) is one number.

    >>> parse_number("两万五"), parse_number("三点五"), parse_number("百分之四"), parse_number("2万")
    (25000.0, 3.5, 4.0, 20000.0)
    """
    s = s.strip()
    if not s:
        return None
    match = _read(s, 0, time_context=False)
    if match is None or match.end != len(s):
        return None
    return match.value


def find_numbers(text: str) -> list[NumberMatch]:
    """Every number in ``text``, left to right, with its span; numerals inside words are skipped."""
    matches: list[NumberMatch] = []
    # numeral words (they may overlap): their starts in order, and the furthest end reached so far
    non_numeric: tuple[list[int], list[int]] | None = None
    position = 0
    while True:
        start = _START.search(text, position)
        if start is None:
            return matches
        i = start.start()
        match = _read(text, i, time_context=_after_time_of_day(text, i))
        if match is None or _is_code(text, match) or _is_lone_zero(match):
            position = start.end()
            continue
        if not match.percent and match.end - match.start <= 4:
            if non_numeric is None:
                spans = [(m.start(), m.start() + len(m.group(1))) for m in _NON_NUMERIC.finditer(text)]
                non_numeric = ([a for a, _ in spans], list(accumulate((b for _, b in spans), max)))
            # inside a word: some word starting at or before the number reaches past its end
            word = bisect_right(non_numeric[0], match.start) - 1
            if word >= 0 and match.end <= non_numeric[1][word]:
                position = start.end()
                continue
        matches.append(match)
        position = match.end


def find_rates(text: str, *, expect_rate: bool = False) -> list[NumberMatch]:
    """Annual yields named in ``text``, as percent values in (0, 30] ("年化三个点" → 3.0).

    A number counts when it is a percentage ("百分之四", "4%"), is followed by "个点" ("3个点以上"),
    follows a yield word in the same clause ("收益能到四", "年化3.5"), or is a bare decimal such as
    "三点五". Losses and fees ("亏了百分之五", "手续费百分之一点五") do not count. ``expect_rate``
    (the agent has just asked for a yield) also accepts a plain number such as "四吧".
    """
    rates: list[NumberMatch] = []
    for number in find_numbers(text):
        rate = _as_rate(text, number, expect_rate)
        if rate is not None and 0 < rate.value <= MAX_RATE:
            rates.append(rate)
    return rates


def _as_rate(text: str, number: NumberMatch, expect_rate: bool) -> NumberMatch | None:
    clause = _clause_before(text, number.start)
    if _NOT_A_YIELD.search(clause) or number.raw.startswith("千分之"):
        return None
    if number.percent:
        return number
    in_context = expect_rate or _RATE_CONTEXT.search(clause) is not None
    points = _POINTS.match(text, number.end)
    if points and (points.group(1) or in_context) and not _after_time_of_day(text, number.start):
        bonus = 0.5 if points.group(2) == "半" else 0.0
        end = points.end()
        approximate = number.approximate or points.group(2) == "多"
        return NumberMatch(
            number.start, end, number.value + bonus, text[number.start : end], approximate, True
        )
    if _unit_follows(text, number.end) or text.startswith("点", number.end):
        return None
    if in_context or _is_decimal(number.raw):
        return replace(number, percent=True)
    return None


def _unit_follows(text: str, end: int) -> bool:
    """Whether a unit or classifier follows the number ("3.5元", "三年", "两个月")."""
    return end < len(text) and text[end] in _UNIT_AFTER


def _after_time_of_day(text: str, start: int) -> bool:
    return text[max(0, start - 2) : start] in _TIME_OF_DAY


def _clause_before(text: str, start: int) -> str:
    window = text[max(0, start - 10) : start]
    breaks = list(_CLAUSE_BREAK.finditer(window))
    return window[breaks[-1].end() :] if breaks else window


def _is_decimal(raw: str) -> bool:
    return "点" in raw or "." in raw or "．" in raw


def _is_code(text: str, match: NumberMatch) -> bool:
    """Digits glued to ASCII letters or dotted sequences are codes or versions, not quantities."""
    before = text[match.start - 1] if match.start else ""
    after = text[match.end] if match.end < len(text) else ""
    return (before.isascii() and (before.isalnum() or before == ".")) or (after.isascii() and after.isalpha())


def _is_lone_zero(match: NumberMatch) -> bool:
    return match.raw in ("零", "〇")


# --- reading one number -------------------------------------------------------------------------


@dataclass(slots=True)
class _Token:
    kind: str  # "num", "frac", "small", "big", "approx"
    value: float
    end: int
    single_digit: bool = False
    decimal: bool = False
    approximate: bool = False


def _read(text: str, i: int, *, time_context: bool) -> NumberMatch | None:
    """The longest number expression starting at ``text[i]``, or ``None``."""
    ratio: float | None = None
    if text.startswith("百分之", i) or text.startswith("千分之", i):
        ratio = 1.0 if text[i] == "百" else 0.1
        if ratio == 1.0 and text.startswith("百", i + 3):
            return NumberMatch(i, i + 4, 100.0, text[i : i + 4], percent=True)
        tokens = _tokens(text, i + 3, time_context)
    else:
        tokens = _tokens(text, i, time_context)
    while tokens:
        result = _evaluate(tokens)
        if result is not None:
            value, approximate = result
            end = tokens[-1].end
            percent = ratio is not None
            if percent:
                value *= ratio
            elif sign := _PERCENT_SIGN.match(text, end):
                end, percent = sign.end(), True
            return NumberMatch(i, end, round(value, 9), text[i:end], approximate, percent)
        tokens.pop()
    return None


def _tokens(text: str, i: int, time_context: bool) -> list[_Token]:
    """Split the number expression at ``text[i]`` into tokens; stops at the first misplaced character.

    Once a decimal or an approximation marker is read ("三点五", "十来"), only 万/亿 may follow.
    """
    tokens: list[_Token] = []
    sealed = False
    n = len(text)
    j = i
    while j < n:
        c = text[j]
        previous = tokens[-1] if tokens else None
        after_number = previous is not None and previous.kind in ("num", "frac")
        if c in ASCII_DIGITS:
            if sealed or after_number:
                break
            m = _ARABIC.match(text, j)
            assert m is not None  # c is a digit
            raw = m.group().translate(_TO_ASCII)
            decimal = "." in raw
            tokens.append(_Token("num", float(raw), m.end(), single_digit=len(raw) == 1, decimal=decimal))
            sealed = decimal
            j = m.end()
        elif c in CHINESE_DIGITS:
            if sealed or after_number:
                break
            k = j
            while k < n and text[k] in CHINESE_DIGITS:
                k += 1
            tokens.append(_chinese_digits(text, j, k))
            j = k
        elif c in SMALL_UNITS:
            leading_ten = previous is None and c in "十拾"
            if sealed or not (leading_ten or (previous is not None and previous.kind == "num")):
                break
            tokens.append(_Token("small", SMALL_UNITS[c], j + 1))
            j += 1
        elif c in BIG_UNITS:
            if previous is None or (previous.kind == "big" and BIG_UNITS[c] <= previous.value):
                break
            tokens.append(_Token("big", BIG_UNITS[c], j + 1))
            j += 1
        elif c == "点":
            if sealed or time_context or previous is None or previous.kind not in ("num", "small"):
                break
            fraction = _fraction(text, j)
            if fraction is None:
                break
            tokens.append(_Token("frac", fraction[0], fraction[1]))
            sealed = True
            j = fraction[1]
        elif c in APPROXIMATE_MARKERS:
            if sealed or not _approximate_allowed(text, j, previous):
                break
            tokens.append(_Token("approx", 0.0, j + 1))
            sealed = True
            j += 1
        else:
            break
    return tokens


def _chinese_digits(text: str, j: int, k: int) -> _Token:
    run = text[j:k]
    if len(run) == 1:
        return _Token("num", CHINESE_DIGITS[run], k, single_digit=True)
    if len(run) == 2 and "幺" not in run and ("两" in run or not text.startswith("年", k)):
        first, second = CHINESE_DIGITS[run[0]], CHINESE_DIGITS[run[1]]
        if first >= 1 and second == first + 1:  # "三四万", "两三年": a range, read as its lower bound
            return _Token("num", first, k, single_digit=True, approximate=True)
    return _Token("num", float("".join(str(CHINESE_DIGITS[c]) for c in run)), k)


def _fraction(text: str, j: int) -> tuple[float, int] | None:
    """The decimal part after "点" at ``text[j]``: "三点五" → 0.5; not "三点五十" or "三点五分" (times)."""
    k = j + 1
    digits = []
    while k < len(text) and (text[k] in CHINESE_DIGITS or text[k] in ASCII_DIGITS):
        c = text[k]
        digits.append(str(CHINESE_DIGITS[c]) if c in CHINESE_DIGITS else c.translate(_TO_ASCII))
        k += 1
    if not digits or (k < len(text) and (text[k] in SMALL_UNITS or text[k] == "分")):
        return None
    return float("0." + "".join(digits)), k


def _approximate_allowed(text: str, j: int, previous: _Token | None) -> bool:
    if previous is None or text.startswith("多少", j):
        return False
    if previous.kind in ("small", "big"):
        return True
    return (
        previous.kind == "num" and not previous.decimal and previous.value >= 10 and previous.value % 10 == 0
    )


def _evaluate(tokens: list[_Token]) -> tuple[float, bool] | None:
    """The value of a token sequence, or ``None`` when it is not a well-formed number."""
    total = 0.0
    section = 0.0
    number: float | None = None
    single_after_unit = False
    last_unit = 0
    smallest = math.inf
    wan_seen = yi_seen = False
    approximate = False
    previous: _Token | None = None
    for token in tokens:
        if token.kind == "num":
            number = token.value
            single_after_unit = (
                token.single_digit and previous is not None and previous.kind in ("small", "big")
            )
            approximate = approximate or token.approximate
        elif token.kind == "small":
            unit = int(token.value)
            if unit >= smallest or (number is None and previous is not None):
                return None
            section += (1 if number is None else number) * unit
            number, smallest, last_unit = None, unit, unit
        elif token.kind == "big":
            unit = int(token.value)
            if (unit == 10**4 and wan_seen) or (unit == 10**8 and yi_seen):
                return None
            value = section + (number or 0.0)
            if unit == 10**8:
                total = (total + value) * unit
                wan_seen, yi_seen = False, True
            else:
                total += value * unit
                wan_seen = True
            section, number, smallest, last_unit = 0.0, None, math.inf, unit
        elif token.kind == "frac":
            number = (number or 0.0) + token.value
            single_after_unit = False
        else:
            approximate = True
        previous = token
    if number is not None and single_after_unit:
        number *= last_unit / 10  # "两万五" → 25000, "一百二" → 120
    return total + section + (number or 0.0), approximate
