"""Two-voice test calls rendered with espeak-ng (or Piper), with known speech spans.

Accuracy tests and benchmarks of speaker separation need recordings whose right answer is known
to the centisecond. Each line is synthesized on its own, trimmed to its voiced audio and placed on
a timeline, so `truth` says exactly who speaks when. Rendered lines are cached by text, voice and
rate: a 30-minute call cycles through a bank of lines and renders each one only once.
"""

from __future__ import annotations

import atexit
import functools
import io
import itertools
import os
import random
import shutil
import subprocess
import wave
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from quotahit.analysis.metrics import PROSPECT, REP, Turn
from quotahit.providers.local.audio import decode_audio, resample_pcm16
from quotahit.providers.local.tts import PiperWorker

ESPEAK, PIPER = "espeak", "piper"
# A 10 ms frame counts as voiced when its peak passes this fraction of the line's peak: espeak's
# and Piper's lead-in and tail are digital near-silence, far below it.
TRIM_THRESHOLD = 0.02
TRIM_FRAME_S = 0.01
SCORE_STEP_S = 0.01
RENDER_BATCH = 12
RENDER_THREADS = os.cpu_count() or 2


@dataclass(frozen=True)
class Voice:
    """A synthetic speaker: espeak-ng voice name (with variant), pitch and rate, or Piper's joe."""

    engine: str = ESPEAK
    name: str = "en-us"
    pitch: int = 50  # espeak-ng -p, 0-99
    words_per_minute: int = 165


REP_VOICE = Voice(ESPEAK, "en-us", pitch=40)
PROSPECT_VOICE = Voice(ESPEAK, "en-us+f3", pitch=65)
# Two male espeak voices: only the accent and a little pitch tell them apart.
BRITISH_VOICE = Voice(ESPEAK, "en-gb", pitch=60, words_per_minute=175)
PIPER_JOE = Voice(PIPER, "joe")


@dataclass(frozen=True)
class RenderedCall:
    """A rendered call: the WAV file, its mono mix, and who really spoke when."""

    wav: bytes  # mono mix, or stereo with the rep on the left channel and the prospect on the right
    pcm: bytes  # the mono mix as PCM16, whatever `wav` holds
    sample_rate: int
    truth: list[Turn]

    @property
    def duration_s(self) -> float:
        """Length of the call in seconds."""
        return len(self.pcm) / 2 / self.sample_rate


@dataclass(frozen=True)
class SpeakerScore:
    """How well speaker spans match the truth, over the time exactly one side speaks."""

    accuracy: float  # of the time labelled at all, the share labelled with the right speaker
    coverage: float  # share of the truth's single-speaker time that got any label


def render_call(
    script: Sequence[tuple[str, str]],
    *,
    stereo: bool = False,
    sample_rate: int = 16_000,
    rep: Voice = REP_VOICE,
    prospect: Voice = PROSPECT_VOICE,
    gap_seconds: tuple[float, float] = (0.3, 0.9),
    overlap_every: int = 0,
    overlap_seconds: float = 0.4,
    noise_rms: float = 0.0,
    seed: int = 0,
) -> RenderedCall:
    """Render a scripted call of (speaker, text) lines, speaker "rep" or "prospect".

    Args:
        script: The lines in order.
        stereo: Put the rep on the left channel and the prospect on the right, as call
            recorders do; otherwise mix both into one channel.
        sample_rate: Rate of the rendered audio.
        rep: The rep's voice.
        prospect: The prospect's voice.
        gap_seconds: The pause before each line is drawn from this range (seconds).
        overlap_every: Every n-th change of speaker starts `overlap_seconds` before the other
            side has finished (an interruption); 0 for none.
        overlap_seconds: How far such a line overlaps the previous one.
        noise_rms: White background noise (PCM16 units; 0 for digital silence between lines).
        seed: Seed of the pauses and the noise, so a call renders the same every time.
    """
    rng = random.Random(seed)
    voices = {REP: rep, PROSPECT: prospect}
    placed: list[tuple[str, float, np.ndarray, str]] = []
    cursor = 0.5
    changes = 0
    previous_speaker: str | None = None
    for speaker, text in script:
        if speaker not in voices:
            raise ValueError(f"speaker must be {REP!r} or {PROSPECT!r}, not {speaker!r}")
        audio = render_line(text, voices[speaker], sample_rate)
        start = cursor + rng.uniform(*gap_seconds)
        if previous_speaker is not None and speaker != previous_speaker:
            changes += 1
            if overlap_every and changes % overlap_every == 0:
                start = max(placed[-1][1], cursor - overlap_seconds)
        start = round(start * sample_rate) / sample_rate
        placed.append((speaker, start, audio, text))
        cursor = max(cursor, start + len(audio) / sample_rate)
        previous_speaker = speaker
    total = round((cursor + 0.5) * sample_rate)
    tracks = {REP: np.zeros(total, np.int32), PROSPECT: np.zeros(total, np.int32)}
    truth = []
    for speaker, start, audio, text in placed:
        first = round(start * sample_rate)
        tracks[speaker][first : first + len(audio)] += audio
        truth.append(Turn(speaker, start, start + len(audio) / sample_rate, text))
    if noise_rms:
        noise = np.random.default_rng(seed).normal(0.0, noise_rms, (2, total))
        tracks[REP] += noise[0].astype(np.int32)
        tracks[PROSPECT] += noise[1].astype(np.int32)
    mono = _pcm16(tracks[REP] + tracks[PROSPECT])
    channels = np.stack([_pcm16(tracks[REP]), _pcm16(tracks[PROSPECT])], axis=1) if stereo else mono
    return RenderedCall(_wav(channels, sample_rate), mono.tobytes(), sample_rate, truth)


def long_call(
    minutes: float,
    *,
    stereo: bool = False,
    sample_rate: int = 16_000,
    rep: Voice = REP_VOICE,
    prospect: Voice = PROSPECT_VOICE,
    seed: int = 0,
) -> RenderedCall:
    """A discovery call of about `minutes`: questions, answers, stories, a pitch, next steps.

    The script draws from a bank of some 40 lines per side (the prospect talks a little more, as
    in a good discovery call) and includes monologues of 20-40 s on both sides.
    """
    script = discovery_script(
        minutes * 60, rep=rep, prospect=prospect, sample_rate=sample_rate, seed=seed
    )
    return render_call(
        script,
        stereo=stereo,
        sample_rate=sample_rate,
        rep=rep,
        prospect=prospect,
        overlap_every=9,
        seed=seed,
    )


def one_voice_call(
    seconds: float, *, voice: Voice = REP_VOICE, sample_rate: int = 16_000
) -> RenderedCall:
    """About `seconds` of one voice reading discovery-call lines, questions and answers alike."""
    lines = _cycle(REP_LINES + PROSPECT_LINES, random.Random(1))
    script: list[tuple[str, str]] = []
    spoken = 0.0
    while spoken < seconds:
        batch = [(REP, next(lines)) for _ in range(RENDER_BATCH)]
        for line, samples in zip(batch, _rendered(batch, {REP: voice}, sample_rate), strict=True):
            if spoken >= seconds:
                break
            script.append(line)
            spoken += len(samples) / sample_rate + 0.6
    return render_call(script, sample_rate=sample_rate, rep=voice)


def discovery_script(
    seconds: float,
    *,
    rep: Voice = REP_VOICE,
    prospect: Voice = PROSPECT_VOICE,
    sample_rate: int = 16_000,
    seed: int = 0,
) -> list[tuple[str, str]]:
    """A discovery-call script whose rendered speech lasts about `seconds` (pauses included)."""
    voices = {REP: rep, PROSPECT: prospect}
    pause = 0.6 * sample_rate  # the mean of render_call's default pauses
    ends = list(CLOSING)
    budget = seconds * sample_rate - pause * (len(OPENING) + len(ends) + 1)
    budget -= sum(len(samples) for samples in _rendered(OPENING + CLOSING, voices, sample_rate))
    script: list[tuple[str, str]] = list(OPENING)
    exchanges = _exchanges(random.Random(seed))
    while budget > 0:
        batch = list(itertools.islice(exchanges, RENDER_BATCH))
        lines = [line for exchange in batch for line in exchange]
        lengths = iter(len(samples) for samples in _rendered(lines, voices, sample_rate))
        for exchange in batch:
            if budget <= 0:
                break
            script += exchange
            budget -= sum(next(lengths) + pause for _ in exchange)
    return script + ends


def _exchanges(rng: random.Random) -> Iterator[list[tuple[str, str]]]:
    """Endless question-and-answer exchanges, now and then a prospect's story or a rep's pitch."""
    rep_lines, prospect_lines = _cycle(REP_LINES, rng), _cycle(PROSPECT_LINES, rng)
    stories, pitches = _cycle(PROSPECT_STORIES, rng), _cycle(REP_PITCHES, rng)
    for turn in itertools.count(1):
        exchange = [(REP, next(rep_lines))]
        if turn % 7 == 0:
            exchange.append((PROSPECT, next(stories)))
        elif turn % 11 == 0:
            exchange += [(REP, next(pitches)), (PROSPECT, next(prospect_lines))]
        else:
            exchange.append((PROSPECT, next(prospect_lines)))
        yield exchange


def _rendered(
    lines: Sequence[tuple[str, str]], voices: dict[str, Voice], sample_rate: int
) -> list[np.ndarray]:
    """Render lines side by side (espeak-ng runs as one process per line), in order."""
    with ThreadPoolExecutor(max_workers=RENDER_THREADS) as pool:
        return list(
            pool.map(lambda line: render_line(line[1], voices[line[0]], sample_rate), lines)
        )


@functools.lru_cache(maxsize=2048)
def render_line(text: str, voice: Voice, sample_rate: int) -> np.ndarray:
    """One line in one voice as int16 samples, its silent lead-in and tail trimmed (cached)."""
    if voice.engine == ESPEAK:
        samples = _espeak(text, voice, sample_rate)
    elif voice.engine == PIPER:
        samples = _piper(text, sample_rate)
    else:
        raise ValueError(f"unknown speech engine {voice.engine!r}")
    samples = _trimmed(samples, sample_rate)
    samples.flags.writeable = False  # shared by every call that uses the cached line
    return samples


def score_speakers(
    truth: Sequence[Turn], spans: Sequence[tuple[float, float, str]]
) -> SpeakerScore:
    """Compare speaker spans ("S1", "S2", ...) with the truth, taking the best label mapping.

    Only time where exactly one side speaks counts: during overlaps either answer is fair.
    """
    end = max([turn.end for turn in truth] + [span[1] for span in spans] + [0.0])
    steps = int(end / SCORE_STEP_S) + 1
    rep = _mask(((t.start, t.end) for t in truth if t.speaker == REP), steps)
    prospect = _mask(((t.start, t.end) for t in truth if t.speaker == PROSPECT), steps)
    single = rep ^ prospect
    labels = sorted({span[2] for span in spans})
    found = {
        label: _mask(((s[0], s[1]) for s in spans if s[2] == label), steps) for label in labels
    }
    labelled = np.zeros(steps, bool)
    for mask in found.values():
        labelled |= mask
    best = 0
    for rep_label in labels or [""]:
        rep_mask = found.get(rep_label, np.zeros(steps, bool))
        others = labelled & ~rep_mask
        correct = np.count_nonzero(single & ((rep_mask & rep) | (others & prospect)))
        best = max(best, correct)
    scored = np.count_nonzero(single & labelled)
    return SpeakerScore(
        accuracy=best / scored if scored else 0.0,
        coverage=scored / max(1, np.count_nonzero(single)),
    )


def _mask(spans: Iterator[tuple[float, float]], steps: int) -> np.ndarray:
    mask = np.zeros(steps, bool)
    for start, end in spans:
        mask[round(start / SCORE_STEP_S) : round(end / SCORE_STEP_S)] = True
    return mask


def _espeak(text: str, voice: Voice, sample_rate: int) -> np.ndarray:
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise RuntimeError("espeak-ng is missing: run `make system-deps` (scripts/system-deps.sh)")
    command = [binary, "--stdout", "-v", voice.name, "-p", str(voice.pitch)]
    wav = subprocess.run(
        [*command, "-s", str(voice.words_per_minute)],
        input=text.encode(),
        capture_output=True,
        check=True,
    ).stdout
    return decode_audio(wav, sample_rate=sample_rate).samples.copy()


@functools.cache
def _piper_worker() -> PiperWorker:
    worker = PiperWorker()
    worker.start()
    atexit.register(worker.close)
    return worker


def _piper(text: str, sample_rate: int) -> np.ndarray:
    worker = _piper_worker()
    pcm = resample_pcm16(b"".join(worker.synthesize(text)), worker.sample_rate, sample_rate)
    return np.frombuffer(pcm, np.int16).copy()


def _trimmed(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    frame = max(1, round(TRIM_FRAME_S * sample_rate))
    usable = len(samples) - len(samples) % frame
    peaks = np.abs(samples[:usable].astype(np.int32)).reshape(-1, frame).max(axis=1)
    voiced = np.flatnonzero(peaks > TRIM_THRESHOLD * max(1, int(peaks.max(initial=0))))
    if voiced.size == 0:
        raise ValueError("the synthesized line is silent")
    return samples[voiced[0] * frame : (voiced[-1] + 1) * frame]


def _pcm16(track: np.ndarray) -> np.ndarray:
    return np.clip(track, -32768, 32767).astype(np.int16)


def _wav(samples: np.ndarray, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1 if samples.ndim == 1 else samples.shape[1])
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


def _cycle(lines: Sequence[str], rng: random.Random) -> Iterator[str]:
    """Every line once in a shuffled order, then again in a new order, without end."""
    while True:
        order = list(lines)
        rng.shuffle(order)
        yield from order


OPENING = (
    (REP, "Hi Dana, this is Sam from Acme. Thanks for taking the time to talk today."),
    (PROSPECT, "Hi Sam, happy to. I have about thirty minutes, so let's make it count."),
    (REP, "Perfect. Could you start by telling me a little about your role and your team?"),
    (
        PROSPECT,
        "Sure. I run revenue operations at Globex. We have about forty account executives "
        "and a dozen sales development reps spread across three offices.",
    ),
)
CLOSING = (
    (REP, "This was really helpful. Can we book a demo with your manager next Tuesday?"),
    (PROSPECT, "Tuesday works. Send me a calendar invite and I will loop her in."),
    (REP, "Will do. I will send a short summary and the invite this afternoon. Thanks Dana."),
)
REP_LINES = (
    "How does your team handle onboarding today?",
    "What happens when a new rep joins in the middle of a quarter?",
    "How long does it take before a new hire closes their first deal?",
    "Who else is involved when you evaluate a tool like this?",
    "What made you take this call today?",
    "Can you walk me through your current sales process?",
    "What does a typical week look like for one of your reps?",
    "How do you measure whether coaching is working?",
    "What have you tried so far to fix that?",
    "Why do you think that approach did not stick?",
    "What would it mean for the business if ramp time dropped by a month?",
    "How are deals reviewed with managers today?",
    "Which part of the call do your reps struggle with most?",
    "Is this a priority for this quarter or more for next year?",
    "What does your budget process look like?",
    "Who signs off on a purchase of this size?",
    "Got it. That makes sense.",
    "Interesting. Tell me more about that.",
    "So if I heard you right, the real issue is consistency across the offices.",
    "How many calls does a manager actually listen to each week?",
    "What tools are your reps using right now?",
    "Do you record your calls already?",
    "How do you handle objections about price?",
    "What happened with the last deal you lost?",
    "Where do deals usually stall in your pipeline?",
    "How do your managers find time to coach?",
    "What would success look like six months from now?",
    "Are there any security reviews we should plan for?",
    "How did you hear about us?",
    "Okay, that is really helpful context.",
    "What is the cost of doing nothing here?",
    "How do top performers differ from the rest of the team?",
    "Have you looked at any other vendors?",
    "What would make you say no to this?",
    "Does the team use scripts or talk tracks?",
    "When is your next hiring wave planned?",
    "How do you share best practices between offices?",
    "Makes sense. What else should I know?",
    "Can you give me an example of a call that went badly?",
    "What does your manager care about most this year?",
)
PROSPECT_LINES = (
    "Honestly, it is mostly shadowing and a few slide decks.",
    "It takes about four months before someone is really productive.",
    "My boss and the head of sales would both need to be involved.",
    "We lost two big deals last quarter and nobody could say why.",
    "They spend most of the day on calls and the rest updating the CRM.",
    "We do not really measure it, which is part of the problem.",
    "We tried weekly role plays, but people stopped showing up.",
    "Managers are just too busy closing their own deals.",
    "That would be huge. Probably a quarter of a million in pipeline.",
    "Mostly in a spreadsheet, to be honest.",
    "Discovery, definitely. They jump to the demo too early.",
    "It is a priority for this quarter, we have a board meeting in June.",
    "Anything over fifty thousand goes to the finance committee.",
    "The CFO signs off, but the head of sales has a strong voice.",
    "Yes, exactly.",
    "Right.",
    "Maybe two or three calls a week, if that.",
    "We use the usual CRM, a dialer, and a lot of spreadsheets.",
    "We record them, but nobody listens to the recordings.",
    "Usually they just offer a discount, which hurts our margins.",
    "The buyer went quiet after the proposal and we never found out why.",
    "Between the demo and the proposal, almost every time.",
    "They do not, that is the honest answer.",
    "Reps who ramp in three months instead of six.",
    "Our security team will want to see a questionnaire, yes.",
    "A colleague at another company mentioned you.",
    "We lose momentum every time a deal needs legal review.",
    "The best reps ask better questions and listen more.",
    "We looked at one other tool but it felt too heavy.",
    "If it takes more than a week to roll out, it will not happen.",
    "We have a wiki, but it is out of date.",
    "We are hiring ten more reps in September.",
    "Mostly on a monthly all hands call.",
    "I think that covers the main points.",
    "One rep talked for twenty minutes straight and the buyer hung up.",
    "Hitting the number with the same headcount.",
    "Sure, go ahead.",
    "I am not sure, I would have to check with finance.",
    "That sounds about right.",
    "Good question. I have not thought about it that way.",
)
PROSPECT_STORIES = (
    "So last quarter we had a deal with a logistics company that looked like a sure thing. "
    "The champion loved the product, we had three great calls, and then the proposal went to "
    "procurement and everything stopped. It turned out nobody had talked to their finance team "
    "at all, and by the time we did, they had already committed the budget somewhere else. "
    "That one still hurts, because it was the biggest deal in the pipeline.",
    "The way onboarding works today is pretty informal. A new rep sits with a senior rep for two "
    "weeks, listens to a lot of calls, and then gets their own territory. Some of the senior "
    "reps are great teachers and some of them are not, so the experience is very uneven. We see "
    "it in the numbers too. Reps in the Chicago office ramp almost twice as fast as the others.",
    "Our managers want to coach, they really do. The problem is that they also carry a number, "
    "and when the quarter gets tight they go back to closing deals themselves. Coaching is the "
    "first thing that gets dropped. I have asked for more headcount for enablement three times, "
    "and every time the answer is that we should make do with what we have.",
    "We actually tried a tool like this two years ago. It recorded everything, but the reports "
    "were so long that nobody read them. The managers felt like it was surveillance, and the "
    "reps hated it. After six months we quietly turned it off. So if we do this again, it has "
    "to be something the reps actually want to use, not something that is done to them.",
    "The board meeting is in June, and the main question is going to be why our win rate dropped "
    "from twenty eight percent to twenty two. I need a real answer, not just more activity. If I "
    "can show that we fixed discovery and that new reps ramp faster, that is a story the board "
    "will accept. Without that, I expect they will push for cutting headcount.",
    "Let me give you a concrete example. Last month one of our newer reps had a call with a "
    "hospital group. She did everything by the book, but she never asked who else was involved. "
    "Two weeks later a vice president showed up on the call with completely different priorities "
    "and we had to start over. A coach would have caught that in the first call.",
    "Budget is the tricky part. We plan in the fall for the whole year, and anything new in the "
    "middle of the year has to come out of an existing line. I can probably move some money "
    "from the events budget, since we are doing fewer conferences, but I would need a strong "
    "business case to take to the finance committee.",
    "Honestly, the biggest difference between our top reps and everyone else is listening. The "
    "best ones let the buyer talk, they ask a follow up question, and they wait. The others are "
    "so nervous about silence that they fill it with features. I have tried to teach that in "
    "training sessions, but it does not stick unless someone reviews their actual calls.",
)
REP_PITCHES = (
    "That is exactly what we hear from most teams your size. What we do is listen to every call, "
    "measure the things your best reps do, like talk ratio and the questions they ask, and then "
    "give each rep a short practice session against an AI buyer before their next real call. "
    "Managers get a one page summary instead of a long report.",
    "Let me share how another customer handled this. They had the same problem with uneven "
    "onboarding across offices. They started with ten new hires, had them practice discovery "
    "calls with our AI buyer every day for two weeks, and their ramp time dropped from five "
    "months to three. The managers only reviewed the calls the tool flagged.",
    "On security, we can share our questionnaire and our latest audit report right after this "
    "call. Recordings stay in your region, and you decide how long we keep them. Most security "
    "teams finish their review in about two weeks.",
)
