"""Write ``calls.jsonl``: 240 invented outbound calls for the report tests and README screenshots.

Deterministic (seeded); run ``python tests/data/reports/make_calls.py`` to rewrite the file after
changing it. Eight agents in three teams (``teams.csv``) call sixty customers from January to June
2026. Agents differ in how often customers object, objections are followed by questions, a
follow-up, a goodbye or small talk, and customers praise, criticise, complain and ask. Every name
and number is invented. The reports are computed by tagging these calls with the real pipeline,
so the tests check report numbers against the store, never against this script's choices.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).parent
CHINA = timezone(timedelta(hours=8))
AGENTS = {  # agent → how likely a customer objects in their calls
    "AG-11": 0.25, "AG-12": 0.35, "AG-13": 0.55, "AG-14": 0.30,
    "AG-15": 0.45, "AG-16": 0.65, "AG-17": 0.20, "AG-18": 0.40,
}  # fmt: skip
GREETINGS = [
    "喂，您好，我是华信银行的客户经理，打扰您一分钟。",
    "您好，这边是华信银行财富中心，请问是{name}吗？",
    "{name}您好，我是华信银行的理财经理小李。",
]
OPENERS = ["嗯，你好。", "喂，哪位？", "嗯，什么事？", "你好你好。"]
PITCHES = [
    "我们最近有一款稳健型的理财产品，想跟您介绍一下。",
    "您卡里的定期快到期了，想问问您后面怎么安排。",
    "我们行这个月有基金定投的活动，您有兴趣了解一下吗？",
    "想做个回访，问问您最近用我们手机银行还顺利吗？",
]
FACTS = [
    "我手头有点闲钱，还没想好放哪。",
    "卡里有二十来万一直放着没动。",
    "招行的理财下个月到期。",
    "工行有笔定期月底就到期了。",
    "我在支付宝上也买了一些。",
    "钱大部分在券商那边炒股。",
    "我只买保本的，亏不起。",
    "风险小一点的就行，我比较保守。",
]
OBJECTIONS = {  # label family → customer phrasings
    "no_need": ["我不需要，谢谢。", "不用了，暂时没这个需要。", "没兴趣，你找别人吧。"],
    "no_money": ["最近没什么闲钱。", "手头有点紧，没钱买。"],
    "funds_committed": ["这笔钱有用，要给孩子交学费。", "钱要留着买房，资金另有安排了。"],
    "no_time": ["我现在在开会，没时间。", "正忙着呢，没时间听。"],
    "self_research": ["我自己看看吧。", "资料发我，我自己研究。"],
    "has_advisor": ["我有理财经理了，不用你们。", "我有专门的客户经理对接。"],
    "doubts_identity": ["现在骗子这么多，我怎么知道你是真的？", "你工号多少，我要核实一下你是谁。"],
    "privacy": ["你怎么知道我电话的？谁给你的号码？", "我的个人信息是不是被你们泄露了？"],
    "dislikes_calls": ["别老打电话了，烦死了。", "都说了好几遍了别再打了。"],
}
OBJECTION_WEIGHTS = {
    "no_need": 6, "no_money": 3, "funds_committed": 2, "no_time": 4, "self_research": 3,
    "has_advisor": 2, "doubts_identity": 2, "privacy": 1, "dislikes_calls": 2,
}  # fmt: skip
AFTER = {  # outcome → (agent turn, customer turns); weights differ by objection below
    "questions": (
        "理解您的顾虑，这款产品起购门槛很低，也比较灵活。",
        ["那这个收益多少？", "手续费多少？能随时取吗？"],
    ),
    "follow_up": ("那我加您微信，把资料发给您慢慢看？", ["行，你加我微信吧。", "那你下午再打给我吧。"]),
    "ended": ("好的，打扰您了。", []),
    "continued": ("好的，那您平时主要用哪些渠道办业务呢？", ["嗯，一般就那样吧。", "嗯嗯，还行。"]),
}
AFTER_WEIGHTS = {
    "no_need": (2, 1, 4, 2), "no_money": (2, 2, 2, 2), "funds_committed": (2, 2, 3, 1),
    "no_time": (1, 4, 3, 1), "self_research": (3, 3, 1, 1), "has_advisor": (1, 1, 4, 2),
    "doubts_identity": (3, 2, 2, 1), "privacy": (1, 1, 5, 1), "dislikes_calls": (0, 1, 6, 1),
}  # fmt: skip
FEEDBACK = [
    "你们手机银行挺好用的，操作很方便。",
    "你们服务态度挺好的，小姑娘很有耐心。",
    "你讲得很清楚，挺专业的。",
    "你们活动挺多的，力度挺大的。",
    "你们大银行还是靠谱，口碑挺好的。",
    "你们网点不用排队，挺好。",
    "你们收益太低了，还不如余额宝。",
    "你们APP老是卡，转账的时候卡死了。",
    "你们手机银行操作太麻烦了。",
    "你们那个网点排队排死了。",
    "你们网点太少了，我家附近都没有。",
    "你们产品太少了，来来回回就那几个。",
    "柜员态度太差了，爱答不理的。",
    "你们这活动力度太小了，礼品太寒酸了。",
]
COMPLAINTS = ["上次转账出问题没人管，我要投诉你们。", "什么破服务，我要去消协投诉。"]
QUESTIONS = [
    "你们现在有什么好的理财产品？给我推荐一下。",
    "这个期限多久？",
    "最近有什么活动吗？",
    "你们网点在哪？",
]
CLOSINGS = [("好的，那不打扰您了，祝您生活愉快。", "嗯，再见。"), ("感谢您的接听，再见。", "好的，拜拜。")]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def make_call(rng: random.Random, n: int, customer: str, name: str, agent: str, when: datetime) -> dict:
    turns: list[tuple[str, str]] = [
        ("agent", rng.choice(GREETINGS).format(name=name)),
        ("customer", rng.choice(OPENERS)),
    ]
    turns.append(("agent", rng.choice(PITCHES)))
    if rng.random() < 0.4:
        turns.append(("customer", rng.choice(FACTS)))
        turns.append(("agent", "明白，那我们这边可以帮您规划一下。"))
    ended = False
    if rng.random() < AGENTS[agent]:
        kind = rng.choices(list(OBJECTION_WEIGHTS), weights=list(OBJECTION_WEIGHTS.values()))[0]
        turns.append(("customer", rng.choice(OBJECTIONS[kind])))
        outcome = rng.choices(list(AFTER), weights=AFTER_WEIGHTS[kind])[0]
        agent_turn, replies = AFTER[outcome]
        turns.append(("agent", agent_turn))
        if outcome == "ended":
            turns.append(("customer", "先这样吧，再见。"))
            ended = True
        for reply in replies:
            turns.append(("customer", reply))
            turns.append(("agent", "好的，明白。"))
    if not ended:
        if rng.random() < 0.45:
            turns.append(("customer", rng.choice(FEEDBACK)))
            turns.append(("agent", "感谢您的反馈，我们会改进的。"))
        if rng.random() < 0.06:
            turns.append(("customer", rng.choice(COMPLAINTS)))
            turns.append(("agent", "非常抱歉，我马上帮您登记反馈。"))
        if rng.random() < 0.3:
            turns.append(("customer", rng.choice(QUESTIONS)))
            turns.append(("agent", "这个我稍后详细跟您说。"))
        agent_close, customer_close = rng.choice(CLOSINGS)
        turns += [("agent", agent_close), ("customer", customer_close)]
    utterances, clock = [], 0.0
    for speaker, text in turns:
        length = round(0.6 + 0.22 * len(text), 1)
        utterances.append(
            {"speaker": speaker, "text": text, "start": round(clock, 1), "end": round(clock + length, 1)}
        )
        clock += length + round(rng.uniform(0.3, 1.2), 1)
    return {
        "call_id": f"OB-2026-{n:04d}",
        "customer_id": customer,
        "agent_id": agent,
        "started_at": when.isoformat(),
        "utterances": utterances,
    }


def main() -> None:
    rng = random.Random(6)
    customers = [(f"CUST-{1001 + i}", rng.choice(SURNAMES) + rng.choice(["先生", "女士"])) for i in range(60)]
    start = datetime(2026, 1, 5, tzinfo=CHINA)
    plan = []
    for _ in range(240):
        customer, name = rng.choice(customers)
        agent = rng.choice(list(AGENTS))
        day = start + timedelta(days=rng.randrange(0, 175))
        plan.append(
            (day.replace(hour=rng.randrange(9, 18), minute=rng.randrange(0, 60)), customer, name, agent)
        )
    plan.sort()
    calls = [
        make_call(rng, n, customer, name, agent, when)
        for n, (when, customer, name, agent) in enumerate(plan, 1)
    ]
    with (HERE / "calls.jsonl").open("w", encoding="utf-8") as out:
        for call in calls:
            out.write(json.dumps(call, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
