"""Who spoke when: local clustering on rendered two-voice calls, and labels for transcripts.

Accuracy is measured against the truth spans of calls rendered by tests/support/calls.py (the
time each voice really speaks). Speed belongs to the benchmarks; the 5-minute case only prints
how long the clustering took.
"""

from __future__ import annotations

import time

import pytest

from quotahit.analysis.metrics import PROSPECT, REP, Turn
from quotahit.analysis.speakers import (
    LabelledSegment,
    NoSpeechError,
    OneVoiceError,
    RepChoice,
    channel_segments,
    choose_rep,
    cluster_speakers,
    label_segments,
    label_words,
    to_turns,
)
from tests.support.calls import (
    BRITISH_VOICE,
    PROSPECT_VOICE,
    REP_VOICE,
    RenderedCall,
    Voice,
    long_call,
    one_voice_call,
    score_speakers,
)

MIN_ACCURACY = 0.9  # of voiced time, against the truth spans


@pytest.fixture(scope="module")
def minute_call() -> RenderedCall:
    return long_call(1)


@pytest.fixture(scope="module")
def five_minute_call() -> RenderedCall:
    return long_call(5)


def _spoken_words(truth: list[Turn]) -> list[tuple[float, float, str, str]]:
    """Each truth line's words spread evenly over its time, as a word-timed transcript would be."""
    words = []
    for turn in truth:
        parts = turn.text.split()
        step = turn.duration / len(parts)
        for index, word in enumerate(parts):
            start = turn.start + index * step
            words.append((start, start + step * 0.8, f" {word}", turn.speaker))
    return sorted(words)  # lines overlap where one side interrupts the other


# Clustering of mono recordings.


@pytest.mark.parametrize(
    "prospect",
    [
        pytest.param(PROSPECT_VOICE, id="male-female"),
        pytest.param(BRITISH_VOICE, id="two-male-accents"),
    ],
)
def test_two_voices_in_mono_are_told_apart(prospect: Voice) -> None:
    call = long_call(1, prospect=prospect)

    spans = cluster_speakers(call.pcm, call.sample_rate)

    score = score_speakers(call.truth, spans)
    assert score.accuracy >= MIN_ACCURACY, score
    assert score.coverage >= 0.95, score
    assert {label for _, _, label in spans} == {"S1", "S2"}
    assert spans[0][2] == "S1"
    assert spans == sorted(spans)


def test_a_five_minute_call_is_told_apart(
    five_minute_call: RenderedCall, capsys: pytest.CaptureFixture[str]
) -> None:
    call = five_minute_call

    started = time.process_time()
    spans = cluster_speakers(call.pcm, call.sample_rate)
    cpu = time.process_time() - started

    score = score_speakers(call.truth, spans)
    assert score.accuracy >= MIN_ACCURACY, score
    with capsys.disabled():
        print(
            f"\ncluster_speakers: {call.duration_s / 60:.1f} min call in {cpu:.3f} s of CPU "
            f"({cpu / call.duration_s * 60:.3f} s per minute), accuracy {score.accuracy:.3f}"
        )


@pytest.mark.parametrize("sample_rate", [8_000, 44_100])
def test_other_sample_rates_give_the_same_speakers(sample_rate: int) -> None:
    call = long_call(1, sample_rate=sample_rate)

    spans = cluster_speakers(call.pcm, sample_rate)

    assert score_speakers(call.truth, spans).accuracy >= MIN_ACCURACY


@pytest.mark.parametrize(
    "voice",
    [pytest.param(REP_VOICE, id="male"), pytest.param(PROSPECT_VOICE, id="female")],
)
def test_one_voice_is_refused(voice: Voice) -> None:
    call = one_voice_call(60, voice=voice)

    with pytest.raises(OneVoiceError, match="Only one voice"):
        cluster_speakers(call.pcm, call.sample_rate)


def test_a_few_words_are_too_little_to_tell_voices_apart(minute_call: RenderedCall) -> None:
    first_line = minute_call.pcm[: round(minute_call.truth[0].end * 16_000) * 2]

    with pytest.raises(OneVoiceError, match="Too little speech"):
        cluster_speakers(first_line, 16_000)


def test_silence_has_no_speech() -> None:
    with pytest.raises(NoSpeechError, match="No speech"):
        cluster_speakers(bytes(2 * 16_000 * 10), 16_000)
    with pytest.raises(NoSpeechError):
        cluster_speakers(b"", 16_000)


def test_words_of_a_rendered_call_get_their_speakers(minute_call: RenderedCall) -> None:
    spans = cluster_speakers(minute_call.pcm, minute_call.sample_rate)
    words = _spoken_words(minute_call.truth)

    segments = label_words([word[:3] for word in words], spans)
    choice = choose_rep(segments)
    turns = to_turns(segments, choice.label)

    assert choice.label == "S1"
    assert choice.reason.startswith("Introduced themself: “Hi Dana, this is Sam from Acme")
    heard = [(w, turn.speaker) for turn in turns for w in turn.text.split()]
    assert [w for w, _ in heard] == [w.strip() for _, _, w, _ in words]
    right = sum(said == truth[3] for (_, said), truth in zip(heard, words, strict=True))
    assert right / len(words) >= MIN_ACCURACY


# Transcripts labelled from speaker spans.

SPANS = [(0.0, 4.0, "S1"), (4.2, 6.0, "S2"), (12.0, 15.0, "S1")]


def test_each_word_takes_the_span_it_overlaps_most() -> None:
    words = [
        (0.5, 0.9, " Hi"),
        (1.0, 1.4, " there."),
        (3.8, 4.5, " So"),  # 0.2 s in S1, 0.3 s in S2
        (5.0, 5.5, " yes"),
        (6.2, 6.6, " indeed."),  # in no span: S2 ended 0.2 s before, S1 starts 5.4 s after
        (11.5, 11.9, " Next"),  # in no span, nearer S1's next span than S2's end
        (12.2, 12.6, " thing."),
    ]

    segments = label_words(words, SPANS)

    assert segments == [
        LabelledSegment(0.5, 1.4, "Hi there.", "S1"),
        LabelledSegment(3.8, 6.6, "So yes indeed.", "S2"),
        LabelledSegment(11.5, 12.6, "Next thing.", "S1"),
    ]


def test_a_long_pause_starts_a_new_segment_of_the_same_speaker() -> None:
    words = [(0.0, 0.5, "One."), (0.8, 1.2, "Two."), (2.5, 3.0, "Three."), (3.1, 3.3, " ")]

    segments = label_words(words, [(0.0, 4.0, "S1")])

    assert [(s.text, s.speaker) for s in segments] == [("One. Two.", "S1"), ("Three.", "S1")]


def test_segments_go_whole_to_the_speaker_of_most_of_them() -> None:
    segments = [
        (0.0, 5.0, " Hello, this is Sam."),  # 4 s in S1, 0.8 s in S2
        (5.0, 6.5, "Hi Sam."),
        (6.5, 7.5, "Go on."),  # in no span: S2 ended 0.5 s before, S1 starts 4.5 s after
        (13.0, 13.5, "  "),
    ]

    labelled = label_segments(segments, SPANS)

    assert [(s.text, s.speaker) for s in labelled] == [
        ("Hello, this is Sam.", "S1"),
        ("Hi Sam.", "S2"),
        ("Go on.", "S2"),
    ]


def test_labelling_needs_spans() -> None:
    with pytest.raises(ValueError, match="no speaker spans"):
        label_words([(0.0, 1.0, "hi")], [])
    with pytest.raises(ValueError, match="no speaker spans"):
        label_segments([(0.0, 1.0, "hi")], [])


def test_channels_are_merged_by_start() -> None:
    left = [(0.0, 2.0, " Hi, this is Sam."), (6.0, 7.0, "Great.")]
    right = [(2.5, 5.5, "Hi Sam."), (8.0, 8.5, " ")]

    assert channel_segments([left, right]) == [
        LabelledSegment(0.0, 2.0, "Hi, this is Sam.", "left"),
        LabelledSegment(2.5, 5.5, "Hi Sam.", "right"),
        LabelledSegment(6.0, 7.0, "Great.", "left"),
    ]
    assert channel_segments([left, right], labels=("rep", "prospect"))[1].speaker == "prospect"
    with pytest.raises(ValueError, match="3 channels"):
        channel_segments([left, right, []])


# Which speaker is the rep.


def _call(*lines: tuple[str, str], gap: float = 5.0) -> list[LabelledSegment]:
    return [
        LabelledSegment(index * gap, index * gap + gap - 0.5, text, label)
        for index, (label, text) in enumerate(lines)
    ]


@pytest.mark.parametrize(
    ("introduction", "quote"),
    [
        ("Hi Dana, this is Sam from Acme. Do you have a minute?", "Hi Dana, this is Sam from Acme"),
        ("Hey, I'm calling from Acme about your renewal.", "Hey, I'm calling from Acme about"),
        ("My name is Sam and I'm reaching out about onboarding.", "My name is Sam and I'm"),
        ("Thanks for taking the time today.", "Thanks for taking the time today"),
    ],
)
def test_the_rep_is_who_introduces_themself(introduction: str, quote: str) -> None:
    segments = _call(("A", "Hello?"), ("B", introduction), ("A", "What is this about? Who?"))

    choice = choose_rep(segments)

    assert choice.label == "B"
    assert choice.reason.startswith(f"Introduced themself: “{quote}")


def test_a_late_introduction_does_not_count() -> None:
    late = [LabelledSegment(400.0, 405.0, "Thanks for taking the time, Sam.", "B")]
    segments = _call(("A", "Hello."), ("B", "Hi.")) + late

    assert choose_rep(segments).reason.startswith("Spoke first")


def test_without_an_introduction_the_rep_asks_more_questions() -> None:
    segments = _call(
        ("0", "Hello."),
        ("1", "How is onboarding going? What tools do you use?"),
        ("0", "Badly. Mostly spreadsheets."),
        ("1", "Who owns it? Tell me more about the last hire."),
        ("0", "Why do you ask?"),
    )

    choice = choose_rep(segments)

    assert choice == RepChoice("1", "Asked more questions (4 against 1).")


def test_otherwise_the_rep_is_who_spoke_first() -> None:
    segments = _call(("S2", "Good morning."), ("S1", "Morning."), ("S2", "Is it raining?"))

    assert choose_rep(segments).label == "S2"
    assert choose_rep(segments).reason.startswith("Spoke first")


@pytest.mark.parametrize(
    ("hint", "label"),
    [
        ("first", "S2"),
        ("second", "S1"),
        ("1", "S2"),
        ("2", "S1"),
        ("s1", "S1"),
        (" S2 ", "S2"),
    ],
)
def test_a_hint_picks_the_rep(hint: str, label: str) -> None:
    segments = _call(("S2", "Hi, this is Sam from Acme."), ("S1", "Hi Sam."))

    assert choose_rep(segments, hint).label == label


def test_a_provider_label_wins_over_the_same_ordinal() -> None:
    segments = _call(("0", "Hello."), ("1", "Hi."))

    assert choose_rep(segments, "1").label == "1"
    assert choose_rep(segments, "2").label == "1"
    assert choose_rep(segments, "first").label == "0"


def test_an_unknown_hint_lists_the_speakers() -> None:
    segments = _call(("A", "Hello."), ("B", "Hi."))

    with pytest.raises(ValueError, match=r"no speaker “C” in this call\. Choose one of: A, B"):
        choose_rep(segments, "C")
    with pytest.raises(ValueError, match="Choose one of: A"):
        choose_rep(segments[:1], "second")
    with pytest.raises(ValueError, match="no speakers"):
        choose_rep([], "auto")


def test_turns_map_the_rep_label_to_rep_and_all_others_to_prospect() -> None:
    segments = [
        LabelledSegment(5.0, 6.0, "Fine.", "C"),
        LabelledSegment(0.0, 2.0, "Hi, this is Sam.", "A"),
        LabelledSegment(2.5, 4.0, "Hello.", "B"),
    ]

    assert to_turns(segments, "A") == [
        Turn(REP, 0.0, 2.0, "Hi, this is Sam."),
        Turn(PROSPECT, 2.5, 4.0, "Hello."),
        Turn(PROSPECT, 5.0, 6.0, "Fine."),
    ]
    with pytest.raises(ValueError, match="no speaker “D”"):
        to_turns(segments, "D")
    assert to_turns([], "A") == []
