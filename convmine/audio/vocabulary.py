"""Domain help for recognisers: an initial prompt (Whisper) and hotwords (FunASR) from the taxonomy.

Recognisers mishear domain words (赎回 → 熟回, 理财 → 利财) unless told what to expect. The terms
are, in order: the bank's own names (banks, products) given by the user, a built-in list of wealth-
management words, and the taxonomy's label names and plain keywords. The prompt is in simplified
Chinese, which also keeps Whisper from writing traditional characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from convmine.taxonomy import Taxonomy, load_taxonomy

DOMAIN_TERMS = (
    "理财", "理财经理", "客户经理", "基金", "定投", "赎回", "申购", "年化", "收益", "业绩比较基准",
    "保本", "稳健", "风险等级", "活期", "定期", "存款", "大额存单", "国债", "债券基金", "货币基金",
    "指数基金", "混合型基金", "股票型基金", "保险", "养老", "黄金", "手机银行", "网上银行", "网点",
    "手续费", "到期", "到账", "支付宝", "理财通", "企业微信",
)  # fmt: skip
PROMPT_HEAD = "以下是银行理财电话的普通话录音，简体中文。"
_PLAIN_WORD = re.compile(r"^[\u3400-\u9fffA-Za-z0-9]{2,8}$")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Terms a recogniser should expect, most important first."""

    terms: tuple[str, ...]

    @classmethod
    def build(cls, taxonomy: Taxonomy | None = None, extra_terms: Iterable[str] = ()) -> Vocabulary:
        """The user's ``extra_terms`` (bank and product names), the built-in terms, the taxonomy's words."""
        taxonomy = taxonomy or load_taxonomy()
        words: list[str] = [t.strip() for t in extra_terms if t.strip()]
        words.extend(DOMAIN_TERMS)
        for label in taxonomy:
            words.extend(w for w in (label.name, *label.keywords) if _PLAIN_WORD.match(w))
        return cls(tuple(dict.fromkeys(words)))

    def prompt(self, max_chars: int = 120) -> str:
        """A Whisper initial prompt: a simplified-Chinese sentence and the first terms, within ``max_chars``."""
        text = PROMPT_HEAD
        for term in self.terms:
            if len(text) + len(term) + 1 > max_chars:
                break
            text += term + "、"
        return text.rstrip("、") + "。"

    def hotwords(self, limit: int = 50) -> str:
        """FunASR hotwords: the first ``limit`` terms separated by spaces."""
        return " ".join(self.terms[:limit])
