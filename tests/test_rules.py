"""The rule tagger: vocabulary-driven labels, cues (negation, questions, context), values and spans."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from convmine.errors import TaxonomyError
from convmine.evaluate import score
from convmine.schema import Turn
from convmine.tagging import cues
from convmine.tagging.base import Tagger
from convmine.tagging.rules import RuleTagger
from convmine.tagging.words import _tokenizer
from convmine.taxonomy import load_taxonomy

HOLDOUT = Path(__file__).parent / "data" / "rules_holdout.jsonl"
# Micro-F1 on the hand-written holdout. Its first 217 rows, tagged before any vocabulary was tuned
# on them, scored 0.80 (precision 0.94, recall 0.70); a later blind batch of 101 rows scored 0.82.
# A third batch of 67 rows (negation, complaints, contact times, other-bank maturities, ranges),
# written before the fixes it was meant to check, scored 0.73 before them and 0.95 after.
# The whole file scores about 0.98, so this floor guards against regressions.
HOLDOUT_FLOOR = 0.9
TAXONOMY = load_taxonomy()
IDLE_QUESTION = "您最近有闲置资金吗？"


@pytest.fixture(scope="module")
def tagger() -> RuleTagger:
    return RuleTagger(TAXONOMY)


def labels(tagger: RuleTagger, text: str, *context: str) -> set[str]:
    return {p.label for p in tagger.predict([Turn(text, context)])[0]}


def test_is_a_tagger(tagger: RuleTagger) -> None:
    assert isinstance(tagger, Tagger)
    assert (tagger.name, tagger.source, tagger.taxonomy) == ("rules", "rule", TAXONOMY)
    assert TAXONOMY.hash in tagger.version
    assert RuleTagger().taxonomy is TAXONOMY  # the default taxonomy when none is given


def test_predict_keeps_input_order(tagger: RuleTagger) -> None:
    turns = [Turn("手头有点闲钱"), Turn("喂你好"), Turn("你们APP老是卡")]
    result = tagger.predict(turns)
    assert len(result) == 3
    assert [p.label for p in result[0]] == ["basic.funds.idle"]
    assert result[1] == []
    assert "feedback.negative.system_laggy" in {p.label for p in result[2]}
    assert tagger.predict([]) == []


EXAMPLES = [(label.id, example) for label in TAXONOMY for example in label.examples]


def test_every_label_has_vocabulary_and_examples() -> None:
    for label in TAXONOMY:
        assert label.keywords or label.patterns, label.id
        assert 3 <= len(label.examples) <= 6, label.id


@pytest.mark.parametrize(("label_id", "example"), EXAMPLES, ids=[f"{lab}:{ex}" for lab, ex in EXAMPLES])
def test_every_example_is_tagged_with_its_label(tagger: RuleTagger, label_id: str, example: str) -> None:
    assert label_id in labels(tagger, example)


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("不是不需要，是现在没钱", "objection.refusal.no_money", "objection.refusal.no_need"),
        ("不是不需要是现在没钱", "objection.refusal.no_money", "objection.refusal.no_need"),
        ("我不需要", "objection.refusal.no_need", None),
        ("不太懂这些", "basic.experience.novice", None),
        ("手机银行不卡了", "feedback.positive.system_smooth", "feedback.negative.system_laggy"),
        ("我不是小白，基金我也买了好几年了", "basic.experience.intermediate", "basic.experience.novice"),
        ("我没在别的银行买过", "basic.platform.this_bank_only", "basic.platform.other_bank"),
        ("基金我不买", None, "preference.product.fund"),
        ("周末不方便，要带孩子", None, "basic.contact_time.weekend"),
        ("手头没有闲钱", "objection.refusal.no_money", "basic.funds.idle"),
        ("我不买基金，基金亏怕了", "basic.investment.loss_elsewhere", "preference.product.fund"),
        ("我没有在别的银行买理财", "basic.platform.this_bank_only", "preference.product.wealth"),
        ("我不是嫌收益低，是怕风险", "preference.risk.steady", "feedback.negative.product_low_return"),
        (
            "你们服务一点都不专业",
            "feedback.negative.service_unprofessional",
            "feedback.positive.service_professional",
        ),
    ],
)
def test_negation_is_local(tagger: RuleTagger, text: str, present: str | None, absent: str | None) -> None:
    found = labels(tagger, text)
    if present:
        assert present in found
    if absent:
        assert absent not in found


@pytest.mark.parametrize("text", ["有没有保本的", "这个保本吗", "保不保本啊", "这个产品是保本的吗？"])
def test_a_question_is_not_a_preference(tagger: RuleTagger, text: str) -> None:
    found = labels(tagger, text)
    assert "feedback.question.risk" in found
    assert "preference.risk.guaranteed" not in found


@pytest.mark.parametrize("text", ["我只买保本的", "我只要保本的", "本金不能亏，亏不起"])
def test_a_statement_is_a_preference(tagger: RuleTagger, text: str) -> None:
    found = labels(tagger, text)
    assert "preference.risk.guaranteed" in found
    assert "feedback.question.risk" not in found


def test_questions_are_found_clause_by_clause(tagger: RuleTagger) -> None:
    found = labels(tagger, "我只买保本的，手续费多少？")
    assert {"preference.risk.guaranteed", "feedback.question.fees"} <= found
    assert labels(tagger, "收益能到三点五吗") == {"feedback.question.return"}


@pytest.mark.parametrize("answer", ["对，有二十来万", "有的", "嗯，有一点", "有啊，三十来万"])
def test_a_yes_answers_the_agent_question(tagger: RuleTagger, answer: str) -> None:
    assert "basic.funds.idle" in labels(tagger, answer, "您好，我是客户经理小王", IDLE_QUESTION)


@pytest.mark.parametrize("answer", ["没有", "没有，钱都买房了", "暂时没有"])
def test_a_no_answer_does_not_tag_the_question(tagger: RuleTagger, answer: str) -> None:
    assert "basic.funds.idle" not in labels(tagger, answer, IDLE_QUESTION)


def test_a_short_answer_needs_context(tagger: RuleTagger) -> None:
    assert labels(tagger, "有的") == set()
    assert labels(tagger, "对，有二十来万", "您是张先生吗？") == set()


def test_a_no_answer_can_tag_the_opposite(tagger: RuleTagger) -> None:
    question = "请问这张卡是您本人在管理吗？"
    assert labels(tagger, "不是", question) == {"basic.fund_control.other"}
    assert labels(tagger, "对，是我", question) == {"basic.fund_control.self"}


def test_an_answer_pattern_reads_the_answer(tagger: RuleTagger) -> None:
    question = "那您看什么时候方便再联系您？"
    assert labels(tagger, "晚上吧", question) == {"basic.contact_time.evening"}
    assert labels(tagger, "晚上不行", question) == set()
    assert labels(tagger, "晚上吧") == set()


def test_context_skips_fillers_and_is_less_confident(tagger: RuleTagger) -> None:
    [prediction] = tagger.predict([Turn("有的", (IDLE_QUESTION, "嗯"))])[0]
    assert prediction.label == "basic.funds.idle"
    [stated] = tagger.predict([Turn("手头有点闲钱")])[0]
    assert 0 < prediction.confidence < stated.confidence <= 1


def value_of(tagger: RuleTagger, text: str, *context: str) -> dict[str, float | None]:
    return {p.label: p.value for p in tagger.predict([Turn(text, context)])[0]}


def test_target_return_carries_the_rate(tagger: RuleTagger) -> None:
    assert value_of(tagger, "收益能到三点五就行") == {"preference.return.target": 3.5}
    assert value_of(tagger, "年化有个百分之四我就满意了") == {"preference.return.target": 4.0}
    assert value_of(tagger, "四个点吧", "您期望的年化收益大概多少？") == {"preference.return.target": 4.0}


def test_high_return_and_no_rate(tagger: RuleTagger) -> None:
    assert value_of(tagger, "收益越高越好") == {"preference.return.high": None}
    assert "preference.return.target" not in labels(tagger, "年化才两个点，跑不赢通胀")
    assert "preference.return.target" not in labels(tagger, "收益要稳定")


@pytest.mark.parametrize(
    ("text", "label", "evidence"),
    [
        ("都是我老婆在管", "basic.fund_control.other", "老婆在管"),
        ("那个我之前在招行买的理财下个月到期", "basic.platform.other_bank", "招行"),
        ("那个我之前在招行买的理财下个月到期", "basic.investment.maturing_elsewhere", "理财下个月到期"),
        ("晚上七点以后打", "basic.contact_time.evening", "晚上七点以后"),
        ("收益能到三点五就行", "preference.return.target", "收益能到三点五"),
        ("嗯，你们那个网点排队排死了", "feedback.negative.branch_long_wait", "排死了"),
    ],
)
def test_span_points_at_the_evidence(tagger: RuleTagger, text: str, label: str, evidence: str) -> None:
    [prediction] = [p for p in tagger.predict([Turn(text)])[0] if p.label == label]
    assert prediction.span is not None
    start, end = prediction.span
    assert text[start:end] == evidence


def test_raw_text_is_normalised_and_spans_stay_valid(tagger: RuleTagger) -> None:
    text = "您們ＡＰＰ老是卡，手續費多少？"
    found = {p.label: p.span for p in tagger.predict([Turn(text)])[0]}
    assert {"feedback.negative.system_laggy", "feedback.question.fees"} <= set(found)
    start, end = found["feedback.question.fees"]
    assert text[start:end] == "手續費多少"
    assert labels(tagger, "對，有二十來萬", "您最近有閒置資金嗎？") == {"basic.funds.idle"}


@pytest.mark.parametrize(
    "text",
    ["喂你好", "嗯嗯好的", "行那你说吧", "好的谢谢", "喂，哪位", "哦这样啊", "你好，有什么事吗", "我在听，你继续说",
     "", "   ", "刚才说到哪了", "我明白了"],
)  # fmt: skip
def test_small_talk_gets_nothing(tagger: RuleTagger, text: str) -> None:
    assert labels(tagger, text) == set()


def test_short_keywords_respect_word_boundaries(tagger: RuleTagger) -> None:
    assert "preference.product.gold" not in labels(tagger, "黄金周出去玩了")
    assert "preference.product.gold" in labels(tagger, "我想买点黄金")
    assert "preference.product.insurance" not in labels(tagger, "家里有个保险柜")
    assert "preference.product.deposit" in labels(tagger, "我有个定期存款")
    assert labels(tagger, "我有理财经理了") == {"objection.refusal.has_advisor"}
    assert labels(tagger, "就买余额宝那种货币基金") == {"preference.product.fund_money_market"}


def test_single_dimensions_keep_one_label(tagger: RuleTagger) -> None:
    found = labels(tagger, "收益越高越好，三点五以上吧")
    assert len(found & {"preference.return.high", "preference.return.target"}) == 1
    found = labels(tagger, "三个月的可以，半年的也行")
    assert len({lab for lab in found if lab.startswith("preference.term.")}) == 1
    assert {"preference.product.fund", "preference.product.gold"} <= labels(tagger, "基金和黄金我都想买点")


def test_no_single_dimension_is_repeated_on_any_example(tagger: RuleTagger) -> None:
    single = {lab.dimension for lab in TAXONOMY if lab.cardinality == "single"}
    for _, example in EXAMPLES:
        dimensions = [TAXONOMY[p.label].dimension for p in tagger.predict([Turn(example)])[0]]
        repeated = [d for d in single if dimensions.count(d) > 1]
        assert not repeated, (example, repeated)


def test_predictions_are_well_formed(tagger: RuleTagger) -> None:
    rows = [json.loads(line) for line in HOLDOUT.read_text(encoding="utf-8").splitlines()]
    turns = [Turn(row["text"], tuple(row.get("context", ()))) for row in rows]
    for turn, predictions in zip(turns, tagger.predict(turns), strict=True):
        for p in predictions:
            assert p.label in TAXONOMY
            assert 0 < p.confidence <= 1
            assert p.span is not None and 0 <= p.span[0] < p.span[1] <= len(turn.text)
            assert (p.value is not None) == (TAXONOMY[p.label].value_type == "percent")


def test_holdout_micro_f1_stays_above_the_floor(tagger: RuleTagger) -> None:
    rows = [json.loads(line) for line in HOLDOUT.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 200
    gold, predicted, values = [], [], []
    for row in rows:
        parsed = dict(TAXONOMY.parse_label(entry) for entry in row["labels"])
        predictions = tagger.predict([Turn(row["text"], tuple(row.get("context", ())))])[0]
        gold.append(frozenset(parsed))
        predicted.append(frozenset(p.label for p in predictions))
        values += [p.value == parsed[p.label] for p in predictions if parsed.get(p.label) is not None]
    scores = score(gold, predicted)
    assert scores.micro_f1 >= HOLDOUT_FLOOR, scores.micro
    assert scores.false_tag_rate <= 0.1
    assert values and all(values)


EXTENSION = """\
name: my-bank
version: 0.1.0
extends: default
dimensions:
- id: preference.product
  labels:
  - id: preference.product.pension
    name: 个人养老金
    keywords: [个人养老金, 养老金账户]
    patterns: ['(开|办)(个|一个)?养老金(账户)?']
    examples: [我想开个个人养老金账户]
- id: basic.platform
  labels:
  - id: basic.platform.other_bank
    keywords: [苏州银行]
"""


def test_an_extension_file_changes_the_tagger_without_code(tmp_path: Path) -> None:
    path = tmp_path / "my_bank.yaml"
    path.write_text(EXTENSION, encoding="utf-8")
    extended = RuleTagger(load_taxonomy(path))
    assert labels(extended, "我想开个个人养老金账户") == {"preference.product.pension"}
    assert "basic.platform.other_bank" in labels(extended, "我在苏州银行存了点钱")
    assert extended.version != RuleTagger(TAXONOMY).version
    assert labels(RuleTagger(TAXONOMY), "我在苏州银行存了点钱") == set()


def test_a_broken_answer_pattern_names_its_label(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(
        EXTENSION.replace("examples: [我想开个个人养老金账户]", "context_patterns: ['(养老 => 要)']"),
        encoding="utf-8",
    )
    with pytest.raises(TaxonomyError, match=r"preference\.product\.pension"):
        RuleTagger(load_taxonomy(path))


def test_jieba_loads_quietly(capfd: pytest.CaptureFixture[str]) -> None:
    root_handlers = list(logging.getLogger().handlers)
    _tokenizer.cache_clear()
    tagger = RuleTagger(TAXONOMY)
    assert "preference.product.gold" in labels(tagger, "买点黄金")
    assert capfd.readouterr().err == ""
    assert logging.getLogger().handlers == root_handlers


@pytest.mark.parametrize(
    ("text", "question"),
    [("这个保本吗", True), ("有没有三个月的", True), ("手续费多少", True), ("我想问一下利率", True),
     ("它是买股票还是买债券的", True), ("什么时候打都行", False), ("多少有点闲钱", False),
     ("钱过几天到账", False), ("我还是喜欢存定期", False), ("没什么兴趣", False)],
)  # fmt: skip
def test_question_cue(text: str, question: bool) -> None:
    assert cues.is_question(text) is question


@pytest.mark.parametrize(
    ("text", "polarity"),
    [("对，有二十来万", "yes"), ("有的", "yes"), ("嗯", "yes"), ("二十来万吧", "yes"), ("没有", "no"),
     ("嗯，不是", "no"), ("哪有闲钱", "no"), ("对不起我在开会", None), ("有没有别的", None), ("你说", None)],
)  # fmt: skip
def test_answer_polarity(text: str, polarity: str | None) -> None:
    assert cues.answer_polarity(text) == polarity


def test_clauses_mark_their_own_questions() -> None:
    text = "我只买保本的，收益多少？不过不急"
    found = cues.clauses(text)
    assert [(text[c.start : c.end], c.question) for c in found] == [
        ("我只买保本的", False),
        ("收益多少", True),
        ("不过不急", False),
    ]
    assert cues.clause_at(found, text.index("收益")) == found[1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你们的APP太难用了", {"feedback.negative.system_cumbersome"}),
        ("上次去网点排了两个小时队", {"feedback.negative.branch_long_wait"}),
        ("手机银行啊，老是卡…一点进去基金页面就转圈圈", {"feedback.negative.system_laggy"}),
        ("你们天天打电话推销基金，烦死了", {"objection.risk.dislikes_calls"}),
        ("利率2.15太低了", {"feedback.negative.product_low_return"}),
    ],
)
def test_a_product_or_channel_named_in_a_complaint_is_no_preference(
    tagger: RuleTagger, text: str, expected: set[str]
) -> None:
    assert labels(tagger, text) == expected


@pytest.mark.parametrize(
    ("text", "channel"),
    [
        ("网点人太多了，还是手机上买方便", "preference.channel.mobile_banking"),
        ("我一般都去网点办，手机银行太难用", "preference.channel.branch"),
        ("网点排队太久，手机银行方便", "preference.channel.mobile_banking"),
        ("我都是在手机上操作的", "preference.channel.mobile_banking"),  # no complaint, no cue needed
    ],
)
def test_a_stated_preference_survives_a_complaint(tagger: RuleTagger, text: str, channel: str) -> None:
    assert channel in labels(tagger, text)
    assert "preference.channel.mobile_banking" not in labels(tagger, "我一般都去网点办，手机银行太难用")


def test_a_busy_time_is_not_a_contact_time(tagger: RuleTagger) -> None:
    question = "那我什么时间再联系您比较方便？"
    assert labels(tagger, "上午吧，上午我都在家，下午要去接孙子", question) == {"basic.contact_time.morning"}
    assert labels(tagger, "什么时候都行，我退休了在家", question) == {"basic.contact_time.anytime"}


def test_maturing_elsewhere_needs_another_bank(tagger: RuleTagger) -> None:
    this_bank = "您好，我是XX银行的客户经理，您在我们行的定期存款快到期了"
    assert labels(tagger, "是快到期了…到期了是自动转存吗", this_bank) == set()
    assert labels(tagger, "是快到期了…到期了是自动转存吗") == set()
    maturing = "basic.investment.maturing_elsewhere"
    assert maturing in labels(tagger, "下个月到期的那笔是在招行买的")
    assert maturing in labels(tagger, "快了，下个月就到期", "您在别的银行买的理财什么时候到期呀？")


def test_a_stock_fund_is_not_a_brokerage_account(tagger: RuleTagger) -> None:
    found = labels(tagger, "我能接受高风险，想买股票基金")
    assert {"preference.risk.high", "preference.product.fund_equity"} <= found
    assert "basic.platform.securities" not in found
    assert "basic.platform.securities" in labels(tagger, "我想买点股票")


def test_declining_a_service_offer_is_not_refusing_the_product(tagger: RuleTagger) -> None:
    no_need = "objection.refusal.no_need"
    assert labels(tagger, "不需要，我自己过去", "需要我帮您预约网点吗？") == set()
    assert labels(tagger, "不用了，地址我知道", "我把网点地址发给您吧？") == set()
    assert labels(tagger, "不需要", "这款理财年化三点五，您考虑一下吗？") == {no_need}
    assert labels(tagger, "不用了", "我们这款理财年化3.2%，要不要给您预约网点办理？") == {no_need}
    assert no_need in labels(tagger, "不需要，我自己过去")  # without context a bare refusal stands


def test_contact_method_after_a_rejected_one(tagger: RuleTagger) -> None:
    assert labels(tagger, "我不喜欢微信，打电话吧") == {"preference.contact_method.phone"}
    assert labels(tagger, "还是打电话吧") == {"preference.contact_method.phone"}
    assert "preference.contact_method.phone" not in labels(tagger, "你们老是打电话")


@pytest.mark.parametrize(
    ("text", "context", "value"),
    [
        ("四个点我就买", (), 4.0),
        ("二点八到三点二之间都行", (), 3.0),  # a range stands for its midpoint
        ("百分之三到百分之四都可以", (), 3.5),
        ("三到四个点吧", ("您期望的年化收益大概是多少？",), 3.5),
    ],
)
def test_a_target_return_is_a_rate_or_the_middle_of_a_range(
    tagger: RuleTagger, text: str, context: tuple[str, ...], value: float
) -> None:
    assert value_of(tagger, text, *context) == {"preference.return.target": value}


def test_times_and_amounts_are_no_target_return(tagger: RuleTagger) -> None:
    for text in ["三点半以后都行", "两三万都行", "一年以内的都行"]:
        assert "preference.return.target" not in labels(tagger, text), text


def test_an_evidence_group_cites_part_of_a_match(tmp_path: Path) -> None:
    path = tmp_path / "cited.yaml"
    cited = EXTENSION.replace("keywords: [个人养老金, 养老金账户]", "keywords: []").replace(
        "patterns: ['(开|办)(个|一个)?养老金(账户)?']",
        "patterns: ['(单位|公司)[^，]{0,6}?(?P<evidence>养老金账户)']",
    )
    path.write_text(cited, encoding="utf-8")
    [prediction] = RuleTagger(load_taxonomy(path)).predict([Turn("单位帮我开了个养老金账户")])[0]
    assert prediction.label == "preference.product.pension"
    assert prediction.span == (7, 12)


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("我没在别的银行买", True),
        ("我从来不去网点办", True),
        ("我不在家的时候打", False),
        ("我在别的银行买", False),
    ],
)
def test_a_negator_reaches_over_a_place(text: str, negated: bool) -> None:
    assert cues.negated_before(text, 0, len(text)) is negated


@pytest.mark.parametrize(
    ("text", "prefers"),
    [("我一般都用手机银行", True), ("还是去柜台吧", True), ("大额存单比较放心", True), ("在别家买了理财", True),
     ("一点进去就转圈圈", False), ("手机银行还是老是卡", False), ("只能去网点排队", False)],
)  # fmt: skip
def test_preference_cue(text: str, prefers: bool) -> None:
    assert cues.prefers(text, cues.clauses(text)[0]) is prefers


def test_the_answer_clause_skips_fillers() -> None:
    text = "嗯，不用了，我自己去"
    found = cues.clauses(text)
    assert cues.answer_clause(text, found) == found[1]
