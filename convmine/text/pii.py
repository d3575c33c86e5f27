"""Masking of personal numbers before anything is stored, logged or printed (PIPL; JR/T 0171-2020).

Found: bank card numbers (15–19 digits, Luhn-valid), PRC resident ID numbers (18 digits with a valid
checksum, or 15-digit legacy numbers, both with a valid province code and birth date), mainland
mobile numbers (``1[3-9]`` + 9 digits, optional ``+86``/``0086``) and landlines with an area code
(``010-12345678``, ``0755 8888 6666``). Numbers may be written in digits, full-width digits or spelled
digit by digit in Chinese numerals as ASR writes them (``幺三八幺二三四五六七八``), with spaces,
dashes or commas between groups.

Not touched: amounts, dates, times, rates, short numbers, 6-digit fund codes, service numbers
(``95588``, ``10086``, ``400-820-8888``: companies, not persons) and order numbers that fail Luhn.

Masking is length-preserving: each masked digit becomes one mask character and separators stay, so
character spans found on masked text are valid on the original. Default style (``MaskStyle()``):
card 6+4 (``622202*********0128``, as JR/T 0171 displays card numbers), resident ID 3+4 (hides the
county of registration and the birth date: ``110***********123X``), mobile 3+4 (``138****5678``),
landline area code + last 2 (``010-******78``); the ``+86`` country code is kept.
``MaskStyle.full()`` (or ``Masker("full")``) masks every digit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from typing import Literal

from convmine.errors import ConvmineError
from convmine.schema import Call
from convmine.text.numbers import NUMERAL_WORDS

PiiKind = Literal["bank_card", "resident_id", "mobile", "landline"]

_DIGIT_VALUES: dict[str, str] = {
    **{d: d for d in "0123456789"},
    **{chr(0xFF10 + v): str(v) for v in range(10)},  # full-width ０-９
    "零": "0", "〇": "0", "一": "1", "幺": "1", "二": "2", "三": "3", "四": "4",
    "五": "5", "六": "6", "七": "7", "八": "8", "九": "9", "两": "2",
}  # fmt: skip
_CHECK_X = "XxＸｘ叉"  # 叉: how an ID's X is said
_SPELLED = frozenset("零〇一幺两二三四五六七八九")  # may be trimmed off a run's ends ("八一定" → "八")
_DIGIT = "[" + "".join(_DIGIT_VALUES) + "]"
_SPACES = " \t\u3000\u00a0\u2002\u2007\u2009\u202f"  # and no-break, en, figure, thin spaces
# Between digits: up to three spaces; a dash or two, a bracket, a middle dot, slash or underscore; an
# invisible character (zero-width space, soft hyphen, word joiner); a comma (Chinese, Western or 、):
# "138，1234，5678", as people and recognisers group a number. A list of amounts is rarely a valid
# personal number.
_SEPARATOR = (
    rf"(?:[{_SPACES}]{{1,3}}|[{_SPACES}]?(?:[-－–—−‐]{{1,2}}|[)）(（·_/])[{_SPACES}]?|[\u200b\u00ad\u2060]{{1,6}}"
    r"|[，,、])"
)
# A tab, ideographic or no-break space as repr() writes it in an error message ("138\\t1234\\t5678"):
# found through, as a word joiner of the same length, so positions still index the text.
_ESCAPED_SPACE = re.compile(r"\\(?:t|u3000|u00a0|xa0)")
# A run of at least 10 digit characters with single separators: the shortest personal number is a
# 10-digit landline. Text without such a run costs one regex scan.
_RUN = re.compile(f"{_DIGIT}(?:{_SEPARATOR}?{_DIGIT}){{9,}}(?:{_SEPARATOR}?[{_CHECK_X}])?")

_MOBILE = re.compile(r"(0086|86)?1[3-9][0-9]{9}")
# A long number said right after these words is an ID or a card/account number even when its
# checksum fails (a misheard or misread digit): mask it anyway. Checked on the raw text, so both
# simplified and traditional spellings are listed.
_SAID_AS = (
    (
        "resident_id",
        re.compile(r"(?:身份证|身份證|身分證|证件|證件)的?[号號]?[码碼]?[是为為:：\s]{0,3}$"),
        (15, 18),
    ),
    (
        "bank_card",
        re.compile(r"(?:卡|账户|帐户|賬戶|帳戶|账|帐|帳)的?[号號]?[码碼]?[是为為:：\s]{0,3}$"),
        (15, 19),
    ),
    # Ten digits said as a phone number: a mobile whose last digit the recogniser put in the next turn.
    ("mobile", re.compile(r"(?:手机|手機|电话|電話)的?[号號]?[码碼]?[是为為:：\s]{0,3}$"), (10, 10)),
)
# A mainland landline: area code (with its 0, or after the country code 86/0086 without it) and number.
_LANDLINE = re.compile(
    r"(0(?:10|2[0-9]|[3-9][0-9]{2})|(?:0086|86)(?:10|2[0-9]|[3-9][0-9]{2}))[1-9][0-9]{6,7}"
)
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 "
    "71 81 82 83".split()
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_TRIMS = ((0, 0), (0, 1), (1, 0), (1, 1), (0, 2), (2, 0), (1, 2), (2, 1), (2, 2))
# Words whose numeral may touch a spelled number: "第一" + "幺三八…", "…五六七八" + "一下".
_EDGE_WORDS = re.compile(
    "|".join(
        (*NUMERAL_WORDS, "第[一二三四五六七八九]", "(?:星期|礼拜|周)[一二三四五六]", "一[遍次个位张句声]")
    )
)
_MAX_DIGITS = 19
_MIN_MASKED = 4


@dataclass(frozen=True, slots=True)
class MaskStyle:
    """How much of each kind of number stays visible: ``(leading, trailing)`` digits kept."""

    mask_char: str = "*"
    bank_card: tuple[int, int] = (6, 4)
    resident_id: tuple[int, int] = (3, 4)
    mobile: tuple[int, int] = (3, 4)
    landline_last: int = 2
    keep_area_code: bool = True
    keep_country_code: bool = True

    def __post_init__(self) -> None:
        if len(self.mask_char) != 1 or self.mask_char in _DIGIT_VALUES or self.mask_char in _CHECK_X:
            raise ConvmineError(
                f"mask_char must be one character that is not a digit, got {self.mask_char!r}; "
                'use e.g. "*" or "#"'
            )
        shortest = {"bank_card": 15, "resident_id": 15, "mobile": 11}
        for kind, length in shortest.items():
            lead, tail = getattr(self, kind)
            if lead < 0 or tail < 0 or lead + tail > length - _MIN_MASKED:
                raise ConvmineError(
                    f"MaskStyle.{kind}={(lead, tail)} keeps too much: at least {_MIN_MASKED} of its "
                    f"{length} digits must be masked; lower the kept leading/trailing digits"
                )
        if not 0 <= self.landline_last <= 3:
            raise ConvmineError(f"MaskStyle.landline_last must be 0 to 3, got {self.landline_last}")

    @classmethod
    def full(cls, mask_char: str = "*") -> MaskStyle:
        """A style that masks every digit of every personal number."""
        return cls(mask_char, (0, 0), (0, 0), (0, 0), 0, keep_area_code=False, keep_country_code=False)


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """A personal number in a text: ``text[start:end]`` (separators and country code included)."""

    kind: PiiKind
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Found:
    kind: PiiKind
    positions: tuple[int, ...]  # index in the text of each digit of the number
    prefix: int = 0  # leading digits that are a country code (mobile) or an area code (landline)


class Masker:
    """Finds and masks personal numbers; ``Masker("full")`` masks every digit of them."""

    def __init__(self, style: MaskStyle | Literal["default", "full"] | None = None):
        if style is None or style == "default":
            style = MaskStyle()
        elif style == "full":
            style = MaskStyle.full()
        elif not isinstance(style, MaskStyle):
            raise ConvmineError(f'Unknown mask style {style!r}; use a MaskStyle, "default" or "full"')
        self.style = style

    def __repr__(self) -> str:
        return f"Masker({self.style!r})"

    def find(self, text: str) -> list[PiiMatch]:
        """The personal numbers in ``text``, left to right (never their digits)."""
        return [PiiMatch(f.kind, f.positions[0], f.positions[-1] + 1) for f in _find(text)]

    def mask(self, text: str) -> str:
        """``text`` with the digits of personal numbers masked; same length as ``text``. Masking one
        number can leave digits beside it that read as another, so it repeats until nothing is found:
        a masked text holds no personal number (what :func:`unmasked_refusal` checks before storing)."""
        while found := _find(text):
            chars = list(text)
            for number in found:
                for position in self._masked_positions(number):
                    chars[position] = self.style.mask_char
            masked = "".join(chars)
            if masked == text:  # a number this style keeps whole cannot be masked further
                break
            text = masked
        return text

    def mask_call(self, call: Call) -> Call:
        """A copy of ``call`` with every utterance and its source path masked.

        An ID that is a personal number is refused (see :func:`id_refusal`).
        """
        reason = id_refusal(call_id=call.call_id, customer_id=call.customer_id, agent_id=call.agent_id)
        if reason:
            raise ConvmineError(reason)
        utterances = [replace(u, text=self.mask(u.text)) for u in call.utterances]
        source = self.mask(call.source) if call.source else call.source
        return replace(call, utterances=utterances, source=source)

    def _masked_positions(self, number: _Found) -> tuple[int, ...]:
        style, digits = self.style, number.positions
        if number.kind == "landline":
            lead = number.prefix if style.keep_area_code else 0
            return digits[lead : len(digits) - style.landline_last]
        lead, tail = getattr(style, number.kind)
        masked = digits[number.prefix + lead : len(digits) - tail]
        if not style.keep_country_code:
            masked = digits[: number.prefix] + masked
        return masked


#: The longest ID a call, customer or agent may have (a database indexes IDs, and an index entry is bounded).
MAX_ID_CHARS = 200

# What no store can keep: NUL (PostgreSQL's text refuses it) and lone surrogates (not encodable as UTF-8).
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
# And what an ID may not hold besides: every other control character.
_NOT_IN_ID = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def id_refusal(**ids: str | None) -> str | None:
    """Why a call with these IDs (``call_id=…``, ``customer_id=…``, ``agent_id=…``) cannot be stored, or
    ``None``. IDs are keys, so they cannot be masked without merging different customers: an ID that is a
    personal number (a phone number used as customer ID, a recording named after one) is refused; so is one
    longer than :data:`MAX_ID_CHARS` or holding a control character or a lone surrogate (a damaged export)."""
    for field, value in ids.items():
        if value and len(value) > MAX_ID_CHARS:
            return f"{field} is {len(value)} characters long (at most {MAX_ID_CHARS}); is it an ID?"
        if value and _NOT_IN_ID.search(value):
            return f"{field} holds a control character or a lone surrogate (a damaged export?); fix the ID"
        if value and (found := _find(value)):
            return (
                f"{field} holds a {found[0].kind.replace('_', ' ')} number; convmine never stores personal "
                "numbers, so give the call, customer or agent the bank's own ID instead"
            )
    return None


def unmasked_refusal(call: Call, quotes: Iterable[str] = ()) -> str | None:
    """Why ``call`` (with its tags' evidence ``quotes``) cannot be stored as it is, or ``None``: an ID that
    is a personal number (:func:`id_refusal`), or a personal number left unmasked in its text, as in a
    call that did not pass through a :class:`~convmine.pipeline.Pipeline` (which masks every call)."""
    if reason := id_refusal(call_id=call.call_id, customer_id=call.customer_id, agent_id=call.agent_id):
        return reason
    texts = [(f"utterance {u.index}", u.text) for u in call.utterances]
    texts += [("its source", call.source or "")] + [("a tag's evidence", quote) for quote in quotes]
    for where, text in texts:
        if _UNSTORABLE.search(text):
            return f"{where} holds a NUL character or a lone surrogate, which no store keeps"
        if found := _find(text):
            return (
                f"{where} holds an unmasked {found[0].kind.replace('_', ' ')} number; tag calls with a "
                "convmine Pipeline (convmine.load()), which masks them, or mask them first with "
                "convmine.text.Masker().mask_call"
            )
    return None


@cache
def _default_masker() -> Masker:
    return Masker()


def mask(text: str) -> str:
    """``text`` with personal numbers masked in the default style."""
    return _default_masker().mask(text)


def _find(text: str) -> list[_Found]:
    found: list[_Found] = []
    text = _ESCAPED_SPACE.sub(lambda escape: "\u2060" * len(escape.group()), text)
    for run in _RUN.finditer(text):
        numbers = _numbers_in_run(text, run.start(), run.end())
        if not any(n.kind in ("bank_card", "resident_id") for n in numbers):
            numbers = _said_as(text, run.start(), run.end()) or numbers
        found.extend(numbers)
    return found


def _said_as(text: str, start: int, end: int) -> list[_Found]:
    """The run as one ID or card number when the words before it say so and its length fits."""
    positions = tuple(k for k in range(start, end) if text[k] in _DIGIT_VALUES or text[k] in _CHECK_X)
    for kind, words, (shortest, longest) in _SAID_AS:
        if shortest <= len(positions) <= longest and words.search(text, max(0, start - 10), start):
            return [_Found(kind, positions)]
    return []


def _numbers_in_run(text: str, start: int, end: int) -> list[_Found]:
    """Split a run into digit groups at separators; take the longest personal number at each group."""
    groups: list[list[tuple[int, str, str]]] = [[]]  # (position, digit, written character)
    for k in range(start, end):
        char = text[k]
        digit = _DIGIT_VALUES.get(char) or ("X" if char in _CHECK_X else None)
        if digit is None:
            if groups[-1]:
                groups.append([])
        else:
            groups[-1].append((k, digit, char))
    if not groups[-1]:
        groups.pop()
    found: list[_Found] = []
    i = 0
    while i < len(groups):
        best: tuple[int, _Found] | None = None
        span: list[tuple[int, str, str]] = []
        for j in range(i, len(groups)):
            span = span + groups[j]
            if len(span) > _MAX_DIGITS + 4:  # the longest number plus two trimmed numerals at each end
                break
            number = _classify_trimmed(text, span)
            if number is not None:
                best = (j, number)
        if best is None:
            i += 1
        else:
            found.append(best[1])
            i = best[0] + 1
    return found


def _classify_trimmed(text: str, span: list[tuple[int, str, str]]) -> _Found | None:
    """Classify the digits; up to two spelled numerals at an end glued to a Chinese word may belong
    to that word ("第一" + ID, "…五六七八" + "一下") and are then left out.

    Trims that complete a known word are tried first, then the least trimmed reading wins, except
    that an 18-digit resident ID (checksum, date, province) beats a reading that only passes the
    weaker Luhn check.
    """
    best: _Found | None = None
    for head, tail in _trims(text, span[0][0], span[-1][0]):
        if head + tail >= len(span) or not all(c in _SPELLED for _, _, c in span[:head]):
            continue
        if tail and not all(c in _SPELLED for _, _, c in span[-tail:]):
            continue
        digits = span[head : len(span) - tail]
        number = _classify("".join(d for _, d, _ in digits))
        if number is None:
            continue
        kind, prefix = number
        if best is None or (kind == "resident_id" and len(digits) == 18):
            best = _Found(kind, tuple(p for p, _, _ in digits), prefix)
        if best.kind != "bank_card":
            break
    if best is None and span[-1][1] == "X" and len(span) > 1:
        return _classify_trimmed(text, span[:-1])  # "13812345678X": an X after it does not hide a number
    return best


def _trims(text: str, first: int, last: int) -> list[tuple[int, int]]:
    """(head, tail) numerals to try leaving out of the digits at ``text[first:last + 1]``."""
    head_room = 2 if _is_han(text, first - 1) else 0
    tail_room = 2 if _is_han(text, last + 1) else 0
    trims = [(h, t) for h, t in _TRIMS if h <= head_room and t <= tail_room]
    word_head = _word_at_head(text, first) if head_room else 0
    word_tail = _word_at_tail(text, last) if tail_room else 0
    if word_head or word_tail:
        trims.insert(0, (word_head, word_tail))
    return trims


def _word_at_head(text: str, first: int) -> int:
    """How many numerals at ``text[first]`` end a word that starts before it ("第一", "万一")."""
    for p in (first - 2, first - 1):
        m = _EDGE_WORDS.match(text, p) if p >= 0 else None
        if m and first < m.end() <= first + 2:
            return m.end() - first
    return 0


def _word_at_tail(text: str, last: int) -> int:
    """How many numerals up to ``text[last]`` start a word that goes on after it ("一下", "一定")."""
    for k in (1, 2):
        m = _EDGE_WORDS.match(text, last + 1 - k)
        if m and m.end() > last + 1:
            return k
    return 0


def _is_han(text: str, k: int) -> bool:
    return 0 <= k < len(text) and "\u4e00" <= text[k] <= "\u9fff"


def _classify(digits: str) -> tuple[PiiKind, int] | None:
    """The kind of personal number ``digits`` is, and the length of its kept prefix, or ``None``."""
    if "X" in digits[:-1]:
        return None
    if is_resident_id(digits):
        return "resident_id", 0
    if digits.endswith("X"):
        return None
    if 15 <= len(digits) <= 19 and digits[0] != "0" and luhn_valid(digits):
        return "bank_card", 0
    if mobile := _MOBILE.fullmatch(digits):
        return "mobile", len(mobile.group(1) or "")
    if landline := _LANDLINE.fullmatch(digits):
        return "landline", len(landline.group(1))
    return None


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check used by bank card numbers."""
    total = 0
    for k, char in enumerate(reversed(digits)):
        d = int(char)
        if k % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def is_resident_id(digits: str) -> bool:
    """Whether ``digits`` is a PRC resident ID number: 18 with a valid check character, or 15 legacy."""
    if len(digits) == 18:
        body = digits[:17]
        if not body.isdigit() or digits[:2] not in _PROVINCES:
            return False
        check = _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
        return digits[17] == check and _valid_date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    if len(digits) == 15 and digits.isdigit() and digits[:2] in _PROVINCES:
        return _valid_date(1900 + int(digits[6:8]), int(digits[8:10]), int(digits[10:12]))
    return False


def _valid_date(year: int, month: int, day: int) -> bool:
    if not 1900 <= year <= 2100:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True
