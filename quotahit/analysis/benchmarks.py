"""Published benchmarks each metric is shown against, with where they come from.

Figures from ../shared/reference/market.md (Gong Labs and Gong-authored studies); talk ratio and
questions are shown as bands, as Gong itself presents them, not as single targets.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Benchmark:
    """A good range for a metric, and its source."""

    metric: str
    label: str
    low: float | None
    high: float | None
    unit: str
    source: str

    def verdict(self, value: float) -> str:
        """ "good", "low" or "high" against the range."""
        if self.low is not None and value < self.low:
            return "low"
        if self.high is not None and value > self.high:
            return "high"
        return "good"


BENCHMARKS: dict[str, Benchmark] = {
    benchmark.metric: benchmark
    for benchmark in (
        Benchmark(
            "rep_talk_percent",
            "Rep talk share",
            35.0,
            50.0,
            "%",
            "Gong Labs, 25,537 B2B calls: 43:57 talk-to-listen; above 65 % converts worse",
        ),
        Benchmark(
            "rep_questions",
            "Questions asked (discovery)",
            11.0,
            14.0,
            "questions",
            "Gong, 519,000 discovery calls: 11 to 14 questions had the best success rate",
        ),
        Benchmark(
            "longest_prospect_story_seconds",
            "Longest customer story",
            50.0,
            None,
            "s",
            "Gong, 257,967 calls: ≤50 s below-average close rate; ~4 min correlates with wins",
        ),
        Benchmark(
            "longest_rep_monologue_seconds",
            "Longest rep monologue",
            None,
            120.0,
            "s",
            "Gong Labs: company overviews over 2 minutes lower win rates",
        ),
        Benchmark(
            "patience_seconds",
            "Patience (pause before answering)",
            1.0,
            None,
            "s",
            "Third-party studies of 67,149 meetings: top reps pause ~1.5 s vs ~0.3 s",
        ),
        Benchmark(
            "rep_words_per_minute",
            "Speaking rate",
            None,
            180.0,
            "wpm",
            "Gong: rate rises from 173 to 188 wpm when an objection is mishandled",
        ),
        Benchmark(
            "filler_words_per_minute",
            "Filler words",
            None,
            None,
            "per min",
            "Gong, ~0.5 M calls: no measurable effect on outcomes (shown for awareness)",
        ),
    )
}
