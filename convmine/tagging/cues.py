"""Clause-level cues for the rule tagger: clauses, questions, negation and yes/no answers.

All functions work on normalised text (simplified Chinese, half-width, ASCII lower-case) and
return positions in that text, so evidence spans stay valid on the original turn.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from operator import attrgetter
from typing import Literal

Polarity = Literal["yes", "no"]

# Clause breaks: punctuation, whitespace, a dot that is not a decimal point, and a contrast word
# ("不是不需要但是没钱" is two clauses). The contrast word starts the next clause.
_SEPARATOR = re.compile(r"[，,。！!？?；;、…~：:\n\t ]+|(?<![0-9])\.|\.(?![0-9])|(?=但是|可是|不过(?!来))")

_STOP = "，,。？?！!"  # clause-final punctuation, excluded from "any character" gaps below


def _any(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives))


# Words that look like questions but are not.
_NOT_QUESTION = _any(
    rf"(?:什么|啥|哪|哪里|哪儿|怎么|咋|多少|谁)(?:时候|时间)?[^{_STOP}]{{0,3}}?(?:都|也)",  # 什么时候打都行
    rf"(?<!有)没[^{_STOP}]{{0,6}}?(?:什么|啥|多久|多少|多长)",  # 没什么兴趣, 没等多久
    r"不(?:太)?(?:懂|知道|了解|清楚|会)(?:什么|啥)",  # 不懂什么基金
    r"不怎么|不知道(?:买|选|投|弄|干)?(?:什么|啥|哪|怎么)",  # 不知道买什么
    r"什么的|啥的|多少(?:有|懂|了解|知道|还)|好几|哪有|哪来的|怎么说呢|为什么不|要什么有什么",
    r"有(?:什么|啥)(?:事情|事|消息|情况)(?![吗呢啊么]|$)",  # 有什么事打电话
    rf"什么([^{_STOP}]{{1,3}})不\1",  # 什么礼品不礼品的
)
_QUESTION = _any(
    r"吗|(?<![什怎这那多])么[啊呀]?$",  # particles
    r"([^\W\d])[不没]\1",  # A-not-A: 是不是, 有没有, 保不保本
    r"什么|啥|哪|怎么|怎样|咋|如何|多少|多久|多长|多大|多高|为什么|为啥|是否|能否|可否|有无",
    r"(?<![过再好十这那前几])几(?:个点|年|天|个月|点|号|级|块钱)",  # 几个点 (not 过几天, 十几年)
    r"请问|问一下|问下|想问|咨询一下|想知道|打听一下|了解一下|(?:推荐|介绍|讲|说)一下|讲讲|说说",  # enquiries
)
# A还是B ("买股票还是买债券的"): a choice that runs on, with no stop, to a particle that ends the clause.
_CHOICE = re.compile(
    r"(?<=[^\W我你他她们就那但可也要都是得])还是(?!喜欢|比较|想|要|算了|存|觉得|得|挺|很|那|先|不|没)"
)
_CHOICE_END = "的呢啊好呀"
# Characters that negate what follows them, and compounds in which they do not negate.
_NEGATOR = re.compile(r"懒得|哪有|[不没别未甭]")
_NOT_NEGATING = _any(
    r"不错|不少|不过|不仅|不但|不然|要不|差不多|不管|不久|不好意思|不一定|不止|不光|不停|不断|不如|不得不",
    r"对不起|了不起|忍不住|不得了|说不定|受不了|没事|没关系|没错|没想到",
    r"别的|别人|别家|别处|特别|分别|区别|告别|级别|类别|性别|未来",
)
NEGATION_REACH = 4
# A negator before a place or channel reaches the verb after it: "没在别的银行买理财", "不去网点办".
_NEGATED_PLACE = re.compile(
    r"(?:没有?|不|从不|从没有?|并没有?|从来没有?|从来不)(?:在(?![乎意家])|从|去|到|通过)[^，,。！!？?]{1,8}$"
)
_NEGATED_PLACE_REACH = 4 + 2 + 8 + 1  # its longest match: "从来没有", "通过", 8 characters, a final newline
# A negation right after the evidence, in the same clause: "基金我不买", "晚上不方便", "支付宝没用过".
_POST_NEGATION = re.compile(
    ".{0,4}?(?:"
    + "|".join(
        [
            r"不(?:太|怎么|是很|大)?(?:要|买|存|投|办|弄|搞|考虑|感兴趣|喜欢|想|做|碰|用|行|方便|需要|合适|适合|敢|懂"
            r"|了解|信)",
            r"不(?:太|怎么|是很|大)?(?:靠谱|会用|会弄|会买)|[看搞弄听]不(?:太)?(?:懂|清楚|明白|清)|不太?了解",
            r"没(?:有)?(?:兴趣|考虑|想过|用过|买过|碰过|做过|需要|打算|玩过|接触过|开过|办过|存过)",
            r"[都也]没有?|没有(?=[了啊呀的]?$)|就?算了|免了|拉倒",
        ]
    )
    + ")"
)
# Words that state a preference or a holding, so that a product or channel named with them is one
# even in a turn that complains ("网点人太多，还是手机上买方便", "我一般都用手机银行", "在别家买了理财").
_PREFERENCE = _any(
    r"喜欢|爱(?:买|用|去|存)|习惯|偏好|倾向|感兴趣|(?<!没)想(?!到)|打算|准备|考虑|只(?![能好得])|专门",
    r"一般(?!般)|平时|通常|经常|常用|主要|都(?:是|在|用|去|买|存|放|找)|(?:用|买|存)得(?:比较|挺)?多",
    r"(?:买|存|投)(?:了|过)|在(?:买|存|投|定投)",
    rf"还是[^{_STOP}]{{0,10}}?(?:吧|好|稳|踏实|放心|保险|靠谱|方便)|比较(?:放心|踏实|稳|好|方便|安全)",
    r"(?<!不)放心|踏实|就行|就可以|就好|也行|也可以",
)
_FILLER = re.compile(r"^(?:[嗯恩啊呃额哦噢喔唉哎诶欸呀]|那个|这个|就是|我说|喂)+")
_NO = re.compile(r"^(?:没|不(?!好意思|错|少)|还没|暂时没|哪有|并没|否)")
_YES = re.compile(
    r"^(?:对(?!不起)|是(?!不是)|有(?!没有)|可以|行|好|要(?!不要)|会(?!不会)|当然|肯定|确实|没错|还有|一点|一些"
    r"|差不多|[0-9一二两三四五六七八九十几百千万来多]+(?:万|千|块))"
)
_NOD = re.compile("[嗯恩]")


@dataclass(frozen=True, slots=True)
class Clause:
    """A stretch of a turn between clause breaks; ``question`` marks questions and enquiries."""

    start: int
    end: int
    question: bool


def clauses(text: str) -> list[Clause]:
    """Split ``text`` into clauses (never empty; a text without breaks is one clause)."""
    found: list[Clause] = []
    start = 0
    for sep in _SEPARATOR.finditer(text):
        if sep.start() > start:
            asked = "?" in sep.group() or "？" in sep.group()
            found.append(Clause(start, sep.start(), asked or is_question(text[start : sep.start()])))
        start = max(start, sep.end())
    if start < len(text) or not found:
        found.append(Clause(start, len(text), is_question(text[start:])))
    return found


def clause_at(found: list[Clause], position: int) -> Clause:
    """The clause that holds ``position`` (or the last one that starts before it; else the first)."""
    return found[max(bisect_right(found, position, key=attrgetter("start")) - 1, 0)]


def is_question(text: str) -> bool:
    """Whether a clause asks something ("这个保本吗", "有没有保本的", "手续费多少", "想问一下利率")."""
    masked = _NOT_QUESTION.sub(lambda m: "_" * len(m.group()), text.strip())
    return _QUESTION.search(masked) is not None or _offers_a_choice(masked)


def _offers_a_choice(text: str) -> bool:
    """Whether ``text`` ends with a particle and "还是" offers a choice after its last stop (linear time)."""
    if not text or text[-1] not in _CHOICE_END:
        return False
    last_stop = max(text.rfind(stop, 0, len(text) - 1) for stop in _STOP)
    choice = _CHOICE.search(text, last_stop + 1)
    return choice is not None and choice.end() < len(text)


def negated_before(text: str, clause_start: int, position: int) -> bool:
    """Whether a negator stands just before ``position`` in its clause ("不需要" in "不是不需要")."""
    if _NEGATED_PLACE.search(text, max(clause_start, position - _NEGATED_PLACE_REACH), position):
        return True
    window_start = max(clause_start, position - NEGATION_REACH - 4)
    window = _NOT_NEGATING.sub(lambda m: "_" * len(m.group()), text[window_start:position])
    return any(window_start + m.start() >= position - NEGATION_REACH for m in _NEGATOR.finditer(window))


def negated_after(text: str, end: int, clause_end: int) -> bool:
    """Whether the clause goes on to reject what was just said ("保本的我不要", "周末不行")."""
    return _POST_NEGATION.match(text, end, clause_end) is not None


def prefers(text: str, clause: Clause) -> bool:
    """Whether a clause states a preference or holding ("我一般都用手机银行", "还是去柜台吧", "买了理财")."""
    return _PREFERENCE.search(text, clause.start, clause.end) is not None


def answer_clause(text: str, found: list[Clause]) -> Clause:
    """The clause that answers the previous turn: the first one that says more than "嗯", "哦"."""
    return next((c for c in found if _FILLER.sub("", text[c.start : c.end])), found[0])


def answer_polarity(text: str) -> Polarity | None:
    """Whether a turn answers yes ("对，有二十来万", "有的", "嗯") or no ("没有", "嗯，不是"); else ``None``."""
    nodded = False
    for clause in clauses(text):
        if clause.question:
            return None
        words = text[clause.start : clause.end]
        rest = _FILLER.sub("", words)
        if not rest:  # "嗯，" before the real answer, or a bare "嗯" that is the answer
            nodded = nodded or _NOD.search(words) is not None
            continue
        if _NO.match(rest):
            return "no"
        return "yes" if _YES.match(rest) else None
    return "yes" if nodded else None


def answer_span(text: str) -> tuple[int, int]:
    """The evidence of a short answer: the whole turn, without surrounding breaks."""
    found = clauses(text)
    return found[0].start, found[-1].end
