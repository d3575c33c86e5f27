"""The model's clause check: a tag in a turn of several clauses must be carried by one clause, which
becomes its span. The shipped model, and the rule on a scorer whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from tests.extras import need

need("tokenizers", "onnx")

from convmine.pipeline import Pipeline
from convmine.schema import Prediction, Turn
from convmine.tagging.model.base import unigram_tokenizer, write_tokenizer
from convmine.tagging.model.combine import CombinedTagger
from convmine.tagging.model.inputs import InputSettings, load_tokenizer
from convmine.tagging.model.labels import LabelSpace
from convmine.tagging.model.tagger import CERTAIN, ModelTagger
from convmine.taxonomy import load_taxonomy
from tests.model_helpers import pieces_for

IDLE, LAGGY = "basic.funds.idle", "feedback.negative.system_laggy"
TEXT = "钱闲着，APP卡了，还很慢"  # clauses: 钱闲着 / APP卡了 / 还很慢


class _CharScorer:
    """Known answers: idle funds (0.9) whenever "闲" is read; laggy (0.9) only when "卡" and "慢" are
    read together, which no clause of ``TEXT`` does alone. Records how many texts it scored; the 0.9s
    can be changed."""

    backend = "onnx"

    def __init__(self, tokenizer, space: LabelSpace):  # type: ignore[no-untyped-def]
        self.tokenizer, self.space, self.scored = tokenizer, space, 0
        self.idle = self.laggy = 0.9

    def __call__(self, batches):  # type: ignore[no-untyped-def]
        results = []
        for batch in batches:
            probabilities = np.zeros((len(batch["input_ids"]), len(self.space.labels)), dtype=np.float32)
            for row, ids in enumerate(batch["input_ids"]):
                read = {self.tokenizer.id_to_token(int(i)).lstrip("▁") for i in ids}
                if "闲" in read:
                    probabilities[row, self.space.labels.index(IDLE)] = self.idle
                if {"卡", "慢"} <= read:
                    probabilities[row, self.space.labels.index(LAGGY)] = self.laggy
            results.append(probabilities)
            self.scored += len(probabilities)
        return results


@pytest.fixture
def tagger(tmp_path) -> ModelTagger:
    taxonomy = load_taxonomy()
    pieces = pieces_for([TEXT, "嗯好的"])
    write_tokenizer(unigram_tokenizer(pieces, np.zeros(len(pieces))), tmp_path)
    settings = InputSettings()
    tokenizer = load_tokenizer(tmp_path / "tokenizer.json", settings)
    space = LabelSpace.from_taxonomy(taxonomy)
    scorer = _CharScorer(tokenizer, space)
    thresholds = np.full(len(space.labels), 0.5, dtype=np.float32)
    return ModelTagger(scorer, tokenizer, space, thresholds, settings, taxonomy)


def _spans(text: str, predictions: list[Prediction]) -> dict[str, str]:
    return {p.label: text[slice(*p.span)] for p in predictions}


def test_a_label_gets_the_span_of_its_clause_and_one_no_clause_carries_alone_is_dropped(tagger):
    (found,) = tagger.predict([Turn(TEXT, ("您最近手上有闲置资金吗？",))])
    assert _spans(TEXT, found) == {IDLE: "钱闲着"}
    assert tagger.scorer.scored == 1 + 3  # the turn, then each of its clauses alone


def test_no_clause_scoring_without_a_label_or_with_one_clause(tagger):
    tagger.predict([Turn("嗯好的"), Turn("钱闲着")])
    assert tagger.scorer.scored == 2


def test_a_label_the_model_is_near_certain_of_stands_without_a_clause(tagger):
    tagger.scorer.laggy = CERTAIN
    (found,) = tagger.predict([Turn(TEXT)])
    assert _spans(TEXT, found) == {IDLE: "钱闲着", LAGGY: TEXT}


def test_a_turn_whose_labels_are_all_near_certain_is_not_cut_unless_clause_spans_asks(tagger):
    """Nothing to drop, so no clause is scored and the labels span the turn; ``clause_spans`` scores the
    clauses anyway, for their spans (laggy, which no clause carries, keeps the turn)."""
    tagger.scorer.idle = tagger.scorer.laggy = CERTAIN
    (found,) = tagger.predict([Turn(TEXT)])
    assert _spans(TEXT, found) == {IDLE: TEXT, LAGGY: TEXT} and tagger.scorer.scored == 1
    tagger.clause_spans = True
    (found,) = tagger.predict([Turn(TEXT)])
    assert _spans(TEXT, found) == {IDLE: "钱闲着", LAGGY: TEXT} and tagger.scorer.scored == 1 + 1 + 3


def test_without_the_clause_check_every_label_spans_the_whole_turn(tagger):
    (found,) = tagger.predict([Turn(TEXT)], clause_check=False)
    assert _spans(TEXT, found) == {IDLE: TEXT, LAGGY: TEXT} and tagger.scorer.scored == 1


def test_a_clause_is_read_with_the_turns_context(tagger):
    """The context alone carries "闲" here: each clause, read with it, carries idle funds (the first of
    equals wins); laggy needs both clauses, so it is dropped."""
    (found,) = tagger.predict([Turn("APP卡了，还很慢", ("闲",))])
    assert _spans("APP卡了，还很慢", found) == {IDLE: "APP卡了"}


class _Rules:
    """Finds what it was given, in every turn."""

    name, version, source = "rules", "1", "rule"

    def __init__(self, *found: Prediction):
        self.found = list(found)

    def predict(self, turns):  # type: ignore[no-untyped-def]
        return [list(self.found) for _ in turns]


NO_NEED = "objection.refusal.no_need"


def test_combined_tagger_keeps_a_label_the_rules_place_and_checks_the_rest(tagger):
    (found,) = CombinedTagger(tagger, _Rules(Prediction(LAGGY, 0.8, (7, 8)))).predict([Turn(TEXT)])  # type: ignore[arg-type]
    assert _spans(TEXT, found) == {IDLE: "钱闲着", LAGGY: "卡"}


def test_a_label_the_rules_also_find_needs_no_clause(tagger):
    """Found by both, it stands even where the rules quote the whole turn."""
    rules = _Rules(Prediction(LAGGY, 0.8, (0, len(TEXT))))
    (found,) = CombinedTagger(tagger, rules).predict([Turn(TEXT)])  # type: ignore[arg-type]
    assert _spans(TEXT, found) == {IDLE: "钱闲着", LAGGY: TEXT}


def test_rule_only_labels_keep_the_rules_as_their_source(tagger):
    rules = _Rules(Prediction(NO_NEED, 0.8, (0, 3)))
    (union,) = CombinedTagger(tagger, rules, "union").predict([Turn(TEXT)])  # type: ignore[arg-type]
    assert {p.label: p.source for p in union} == {IDLE: None, NO_NEED: "rule"}
    tags = Pipeline(CombinedTagger(tagger, rules, "union"))(TEXT).tags  # type: ignore[arg-type]
    assert {t.label: t.source for t in tags} == {IDLE: "model", NO_NEED: "rule"}  # as stored
    (model,) = CombinedTagger(tagger, rules).predict([Turn(TEXT)])  # type: ignore[arg-type]
    assert {p.label for p in model} == {IDLE}


def test_the_rules_fill_in_past_the_part_of_a_long_turn_the_model_reads(tagger):
    text = "钱闲着，" + "嗯" * 100 + "不需要"
    end = tagger.unread(Turn(text))
    assert end == tagger.settings.max_text_chars < len(text) - 3
    past, within = (Prediction(NO_NEED, 0.8, (len(text) - 3, len(text))), Prediction(NO_NEED, 0.8, (0, 3)))
    (found,) = CombinedTagger(tagger, _Rules(past)).predict([Turn(text)])  # type: ignore[arg-type]
    assert {p.label: p.source for p in found} == {IDLE: None, NO_NEED: "rule"}
    (found,) = CombinedTagger(tagger, _Rules(within)).predict([Turn(text)])  # type: ignore[arg-type]
    assert {p.label for p in found} == {IDLE}


def test_shipped_model_points_each_tag_at_its_clause():
    need("onnxruntime", "onnx")
    from convmine.tagging.model import load_model_tagger
    from convmine.tagging.model.shipped import SHIPPED_DIR

    text = "我手头有二十万闲着，不过只买保本的"
    tagger = load_model_tagger(SHIPPED_DIR, load_taxonomy(), clause_spans=True)
    (found,) = tagger.predict([Turn(text)])
    assert _spans(text, found) == {IDLE: "我手头有二十万闲着", "preference.risk.guaranteed": "不过只买保本的"}


def test_the_version_says_whether_the_check_runs(tagger):
    """Tags keep the tagger's version as provenance; the check changes what is tagged."""
    combined = CombinedTagger(tagger, _Rules())  # type: ignore[arg-type]
    assert tagger.version.endswith(":clauses") and ":clauses+" in combined.version
    tagger.clause_check = False
    assert tagger.version == tagger.model_version and ":clauses" not in combined.version
