"""Speech front end, the parts without audio dependencies: text normalisation, domain vocabulary,
role attribution logic, manifests, quarantine, the CER metric and the reader registration."""

from __future__ import annotations

import re

import pytest

from tests.extras import need

np = need("numpy", "asr")

from convmine.audio import AUDIO_EXTENSIONS, load_manifest, quarantine_file
from convmine.audio.evaluate import character_error_rate, dropped_turns, role_accuracy, turn_recall
from convmine.audio.roles import (
    Piece,
    agent_cue_score,
    attribute_mono,
    detect_agent_channel,
    same_speech,
    two_means,
)
from convmine.audio.textnorm import normalize_numbers, normalize_transcript
from convmine.audio.vocabulary import PROMPT_HEAD, Vocabulary
from convmine.errors import InputError
from convmine.ingest import supported_extensions
from convmine.schema import Utterance
from convmine.text import mask


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("手續費怎麼收?", "手续费怎么收？"),
        ("期限6个月,年化百分之三点五", "期限六个月，年化3.5%"),
        ("我手头有二十来万闲着", "我手头有二十来万闲着"),
        ("买了二十万 存 一年", "买了20万存一年"),
        ("电话一三八零零一三八零零零", "电话13800138000"),
        ("有2个孩子", "有两个孩子"),
    ],
)
def test_transcripts_are_simplified_with_one_way_of_writing_numbers(raw: str, expected: str) -> None:
    assert normalize_transcript(raw) == expected


@pytest.mark.parametrize(
    "written",
    [
        "我的手机号是13912345678",
        "卡号6222020200112233445",
        "订单1234567",
        "12345.67元",
        "卡号6222 0212 3456 7890",
    ],
)
def test_numbers_already_in_digits_are_kept_digit_for_digit(written: str) -> None:
    """Never 1.39123e+10: a phone number the recogniser wrote in digits must stay whole to be masked."""
    assert normalize_transcript(written) == written


def test_a_spelled_number_normalised_to_digits_is_still_masked() -> None:
    assert mask(normalize_transcript("手机一三八，一二三四，五六七八")) == "手机138，****，5678"


def test_numbers_inside_words_are_left_alone() -> None:
    assert normalize_numbers("我们有一款理财，万一亏了呢") == "我们有一款理财，万一亏了呢"


def test_vocabulary_puts_the_banks_own_terms_first_and_fits_the_prompt() -> None:
    vocabulary = Vocabulary.build(extra_terms=["朝朝宝", " "])
    assert vocabulary.terms[0] == "朝朝宝"
    assert "赎回" in vocabulary.terms and "保本" in vocabulary.terms
    prompt = vocabulary.prompt(max_chars=60)
    assert prompt.startswith(PROMPT_HEAD) and "朝朝宝" in prompt and len(prompt) <= 61
    assert vocabulary.hotwords(limit=3).split() == list(vocabulary.terms[:3])


def test_agent_cues_tell_agent_from_customer() -> None:
    assert agent_cue_score("您好，我是招商银行的理财经理，给您介绍一款产品") > 0
    assert agent_cue_score("不需要，我已经有理财经理了") < 0


def _piece(start: float, text: str, spectrum: np.ndarray | None = None) -> Piece:
    return Piece(start, start + 2.0, text, spectrum if spectrum is not None else np.zeros(80, np.float32))


def test_stereo_agent_channel_is_the_one_that_sounds_like_an_agent() -> None:
    agent = [_piece(0.0, "您好，我是工商银行的客户经理"), _piece(6.0, "给您推荐一款理财产品")]
    customer = [_piece(3.0, "嗯，你说"), _piece(9.0, "不需要，我现在很忙")]
    assert detect_agent_channel([agent, customer]) == 0
    assert detect_agent_channel([customer, agent]) == 1


def test_a_mono_call_saved_as_stereo_is_told_from_a_two_sided_one() -> None:
    agent = [_piece(0.0, "您好，我是工商银行的客户经理"), _piece(6.0, "给您推荐一款理财产品")]
    customer = [_piece(3.0, "嗯，你说"), _piece(9.0, "不需要，我现在很忙")]
    both = sorted(agent + customer, key=lambda p: p.start)
    echoed = [_piece(p.start + 0.1, p.text) for p in both]  # the same speech on the other channel
    echoed[0] = _piece(0.1, "你好，我是工商银行的客户经理效力")  # heard a little differently there
    assert same_speech(both, echoed)
    assert not same_speech(agent, customer)
    assert not same_speech(both, agent)  # one side's words only: half the pieces have no twin
    assert not same_speech(both, [])


def test_mono_attribution_names_acoustic_clusters_by_their_words() -> None:
    rng = np.random.default_rng(0)
    voice_a, voice_c = rng.normal(0, 1, 80), rng.normal(0, 1, 80)
    texts = ["您好，我是银行的理财经理", "嗯", "给您介绍一款产品", "不需要", "好的，祝您生活愉快", "好"]
    pieces = [
        _piece(3.0 * n, text, (voice_a if n % 2 == 0 else voice_c) + rng.normal(0, 0.05, 80))
        for n, text in enumerate(texts)
    ]
    labels, separation = two_means(np.stack([p.spectrum for p in pieces]))
    assert separation > 3 and labels.tolist() in ([0, 1, 0, 1, 0, 1], [1, 0, 1, 0, 1, 0])
    assert attribute_mono(pieces) == ["agent", "customer"] * 3


def test_mono_attribution_falls_back_to_text_and_turns_for_one_voice() -> None:
    same = np.zeros(80, np.float32)
    pieces = [
        Piece(0.0, 3.0, "您好，我是银行的客户经理", same),
        Piece(4.0, 5.0, "嗯，什么事", same),  # long pause before: the speaker changes
        Piece(5.1, 6.0, "说吧", same),  # short pause: the same speaker goes on
        Piece(7.0, 9.0, "给您介绍一款产品", same),
    ]
    assert attribute_mono(pieces) == ["agent", "customer", "customer", "agent"]


def test_manifest_rows_resolve_relative_paths_and_check_agent_channel(tmp_path) -> None:
    manifest = tmp_path / "calls.csv"
    manifest.write_text(
        "path,call_id,customer_id,agent_channel,started_at\n"
        "a.wav,CALL-1,C-1,1,2026-03-05T10:00:00+08:00\nsub/b.mp3,,C-2,,\n",
        encoding="utf-8",
    )
    loaded = load_manifest(manifest)
    assert loaded.paths == [tmp_path / "a.wav", tmp_path / "sub" / "b.mp3"]
    row = loaded.get(tmp_path / "a.wav")
    assert (
        row is not None and row.call_id == "CALL-1" and row.agent_channel == 1 and row.started_at.hour == 10
    )
    manifest.write_text("path,agent_channel\na.wav,left\n", encoding="utf-8")
    bad = load_manifest(manifest).get(tmp_path / "a.wav")  # the row's recording fails; the batch goes on
    assert bad is not None and re.match(r"agent_channel .* must be 0 \(left\) or 1", bad.error or "")
    manifest.write_text("file,call_id\na.wav,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="path column"):
        load_manifest(manifest)


def test_quarantine_copies_the_file_with_its_reason_once_however_often_the_batch_runs(tmp_path) -> None:
    bad = tmp_path / "call.wav"
    bad.write_bytes(b"")
    first = quarantine_file(bad, "zero-byte: the file is empty", tmp_path / "q")
    again = quarantine_file(bad, "zero-byte: again", tmp_path / "q")
    assert first == again and first.name == "call.wav" and bad.exists()
    assert (tmp_path / "q" / "call.wav.reason.txt").read_text(encoding="utf-8") == "zero-byte: again\n"
    other = tmp_path / "elsewhere" / "call.wav"  # another recording of the same name
    other.parent.mkdir()
    other.write_bytes(b"RIFF")
    assert quarantine_file(other, "bad header", tmp_path / "q").name == "call-1.wav"
    assert sorted(p.name for p in (tmp_path / "q").iterdir()) == [
        "call-1.wav", "call-1.wav.reason.txt", "call.wav", "call.wav.reason.txt"
    ]  # fmt: skip


def test_a_recording_named_after_a_phone_number_is_quarantined_under_a_masked_name(tmp_path) -> None:
    bad = tmp_path / "13912345678-20261122.wav"
    bad.write_bytes(b"")
    copy = quarantine_file(bad, "zero-byte: the file is empty", tmp_path / "q")
    assert copy.name == "139****5678-20261122.wav"
    assert [p.name for p in (tmp_path / "q").iterdir() if "12345678" in p.name] == []


def test_character_error_rate_ignores_punctuation_script_and_number_style() -> None:
    assert character_error_rate("期限六个月，年化百分之三点五。", "期限6个月年化3.5%") == 0.0
    assert character_error_rate("手续费怎么收", "手續費怎麼收") == 0.0
    assert character_error_rate("赎回", "熟回") == 0.5


def test_turns_a_recogniser_lost_are_counted_without_timestamps() -> None:
    reference = [{"text": "您好，我是银行的"}, {"text": "不需要。"}, {"text": "好的，再见"}]
    assert turn_recall(reference, "您好我是很行的好的再见") == [6 / 7, 0.0, 1.0]
    assert dropped_turns(reference, "您好我是很行的好的再见") == 1
    assert dropped_turns(reference, "您好，我是银行的。不需要！好的，再见") == 0
    assert dropped_turns(reference, "") == 3


def test_role_accuracy_weighs_time() -> None:
    reference = [
        {"speaker": "agent", "start": 0.0, "end": 3.0},
        {"speaker": "customer", "start": 3.0, "end": 4.0},
    ]
    assert role_accuracy(reference, [Utterance(0, "agent", "x", 0.0, 4.0)]) == pytest.approx(0.75)


def test_audio_files_are_registered_readers() -> None:
    assert set(AUDIO_EXTENSIONS) <= set(supported_extensions())
