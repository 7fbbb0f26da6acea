"""Judging a call: a model's judgement checked against the transcript, or the local engine's when
no model can serve.

The rubric of each focus lives in `rubrics.py`, the request in `judge_prompt.py`, the reading of the
reply in `model_reply.py` and the local engine in `local_judge.py`; this module asks the model,
repairs or retries an unusable reply, and says why when it cannot score.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from quotahit.accounts.identity import Identity
from quotahit.ai.service import AnswerDone, Gateway, Notice, stream_answer
from quotahit.analysis.judge_prompt import REPAIR, scoring_messages
from quotahit.analysis.judgement import Judgement
from quotahit.analysis.local_judge import judge_locally
from quotahit.analysis.metrics import CallMetrics, Turn
from quotahit.analysis.model_reply import InvalidReply, judgement_from, read_report
from quotahit.providers.text import ChatMessage, TextDelta, TextProviderError

# The analyzer falls back to the local engine through this module (`service.py`).
__all__ = ["ScoringError", "judge_locally", "judge_with_model"]

logger = logging.getLogger(__name__)

MAX_REPLY_TOKENS = 2048
MAX_ECHOED_REPLY_CHARS = 8_000


class ScoringError(Exception):
    """The call could not be scored; the message says why and what to try."""


async def _ask(
    *,
    gateway: Gateway,
    identity: Identity,
    module: str,
    model_id: str,
    messages: Sequence[ChatMessage],
    notices: list[str],
) -> tuple[str, str]:
    """One request through the gateway: the whole reply and the model that wrote it."""
    parts: list[str] = []
    served_by = model_id
    try:
        async for event in stream_answer(
            gateway=gateway,
            identity=identity,
            module=module,
            model_id=model_id,
            messages=messages,
            max_tokens=MAX_REPLY_TOKENS,
            local_fallback=False,
        ):
            if isinstance(event, TextDelta):
                parts.append(event.text)
            elif isinstance(event, Notice) and event.text not in notices:
                notices.append(event.text)
            elif isinstance(event, AnswerDone):
                served_by = event.model_id
    except TextProviderError as error:
        raise ScoringError(
            f"The AI provider failed while scoring the call ({error}). Try again, or pick "
            "another model."
        ) from error
    return "".join(parts), served_by


async def judge_with_model(
    *,
    gateway: Gateway,
    identity: Identity,
    model_id: str,
    turns: Sequence[Turn],
    metrics: CallMetrics,
    focus: str,
    module: str = "analysis",
) -> Judgement:
    """A model's judgement of the call against the focus's rubric, its citations checked.

    An unusable reply gets one repair round (the model sees its reply and what is wrong), then
    one fresh request; three requests at most, since each is paid for.

    Raises:
        NoProviderError: no key can serve (none set, refused or capped); the caller falls back
            to `judge_locally` and shows the message.
        ScoringError: a model answered but not with a usable report, even after the repair and
            the retry, or the provider broke off in the middle of the answer.
    """
    if not turns:
        raise ScoringError("The transcript is empty: there is nothing to score.")
    messages = scoring_messages(turns, metrics, focus)
    notices: list[str] = []
    reply, problem = "", ""
    for attempt in ("first", "repair", "retry"):
        request = messages
        if attempt == "repair":
            request = [
                *messages,
                ChatMessage("assistant", reply[:MAX_ECHOED_REPLY_CHARS] or "(an empty reply)"),
                ChatMessage("user", REPAIR.format(problem=problem)),
            ]
        reply, served_by = await _ask(
            gateway=gateway,
            identity=identity,
            module=module,
            model_id=model_id,
            messages=request,
            notices=notices,
        )
        try:
            report = read_report(reply)
        except InvalidReply as error:
            problem = str(error)
            logger.warning("Unusable scoring reply (%s request, %s): %s", attempt, served_by, error)
            continue
        return judgement_from(report, turns, served_by, notices)
    raise ScoringError(
        f"The model did not return a usable score, even after a repair and a retry ({problem}). "
        "Try again, or pick another model."
    )
