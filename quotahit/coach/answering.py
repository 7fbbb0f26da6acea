"""Answering a question in a coach conversation: materials, research, the model, the record.

`stream_reply` is what the page and the API both consume. It stores the question, streams the
answer through the AI gateway (or the local engine), and stores the answer whatever happens:
complete, stopped by the user, or cut by a provider failure — a partial answer is kept with the
error so the user can read it and retry.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from quotahit.accounts.identity import Identity
from quotahit.ai import service as ai
from quotahit.ai.service import AnswerDone, Gateway, LocalReply, NoProviderError, Notice
from quotahit.coach import conversations, local_coach, prompts
from quotahit.coach.conversations import DEFAULT_TITLE, CoachError
from quotahit.coach.models import CoachAttachment, CoachMessage, MessageStatus
from quotahit.coach.prompts import Material
from quotahit.coach.research import research
from quotahit.providers.catalogue import MODELS_BY_ID, TEXT, VISION
from quotahit.providers.text import ChatMessage, ImagePart, TextDelta, TextProviderError

MAX_QUESTION_CHARS = 8_000
HISTORY_MESSAGES = 16
HISTORY_CHARS = 4_000
MAX_ANSWER_TOKENS = 1_500


@dataclass(frozen=True)
class Started:
    """The question is stored and the answer has a row: ids the page and API report."""

    conversation_id: int
    question_id: int
    answer_id: int


@dataclass(frozen=True)
class SourcesFound:
    """Web pages research mode found, before the answer streams."""

    sources: list[dict[str, str]]


@dataclass(frozen=True)
class ReplyDone:
    """How the answer ended, what served it and what it cited."""

    answer_id: int
    status: str
    model_id: str
    key_source: str
    citations: list[dict[str, str]]
    error: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    notices: list[str] = field(default_factory=list)


CoachEvent = Started | TextDelta | Notice | SourcesFound | ReplyDone


def check_model(model_id: str) -> None:
    """Refuse a model no picker offers (a client may send anything)."""
    if model_id == "local":
        return
    model = MODELS_BY_ID.get(model_id)
    if model is None or TEXT not in model.capabilities:
        raise CoachError(f"“{model_id}” is not a model the coach can use.")


def _can_see(model_id: str) -> bool:
    model = MODELS_BY_ID.get(model_id)
    return model is not None and VISION in model.capabilities


def _documents(attachments: Sequence[CoachAttachment], question: str) -> list[Material]:
    """Attached texts as numbered materials, cut to the most relevant excerpts when too long."""
    documents = [
        Material(f"D{index}", item.name, item.text)
        for index, item in enumerate((a for a in attachments if a.kind != "image"), start=1)
    ]
    if sum(len(doc.text) for doc in documents) <= prompts.DOCUMENT_CHARS_BUDGET:
        return documents
    hits = local_coach.document_hits(question, documents, top_k=24)
    chosen: dict[str, list[str]] = {}
    used = 0
    for hit in hits:
        if used + len(hit.text) > prompts.DOCUMENT_CHARS_BUDGET:
            break
        chosen.setdefault(hit.source, []).append(hit.text)
        used += len(hit.text)
    return [
        Material(
            doc.ref,
            doc.title,
            "(excerpts most relevant to the question)\n\n" + "\n\n…\n\n".join(chosen[doc.ref]),
        )
        for doc in documents
        if doc.ref in chosen
    ]


def _history(messages: Sequence[CoachMessage]) -> list[ChatMessage]:
    turns = [
        ChatMessage(m.role, m.content[:HISTORY_CHARS])
        for m in messages[-HISTORY_MESSAGES:]
        if m.content.strip() and m.role in ("user", "assistant")
    ]
    while turns and turns[0].role != "user":
        turns.pop(0)
    return turns


def _citations(answer: str, materials: Sequence[Material]) -> list[dict[str, str]]:
    by_ref = {m.ref: m for m in materials}
    return [
        {"ref": ref, "title": by_ref[ref].title, "url": by_ref[ref].url, "kind": by_ref[ref].kind}
        for ref in prompts.cited_refs(answer)
        if ref in by_ref
    ]


async def stream_reply(
    *,
    gateway: Gateway,
    identity: Identity,
    conversation_id: int,
    question: str | None,
    model_id: str,
    research_mode: bool,
    data_dir: Path,
) -> AsyncIterator[CoachEvent]:
    """Answer `question` in the conversation (None: answer the last question again).

    Raises:
        CoachError: unknown conversation or model, empty or over-long question, nothing to
            regenerate. Provider failures are not raised: they end the stream with a ReplyDone
            whose status is partial or failed.
    """
    check_model(model_id)
    if question is not None:
        question = question.strip()
        if not question:
            raise CoachError("Type a question first.")
        if len(question) > MAX_QUESTION_CHARS:
            raise CoachError(
                f"A question can be at most {MAX_QUESTION_CHARS:,} characters; attach long "
                "text as a file instead."
            )
    prepared = await asyncio.to_thread(
        _prepare, gateway, identity, conversation_id, question, model_id, research_mode
    )
    yield Started(conversation_id, prepared["question_id"], prepared["answer_id"])
    asked: str = prepared["question"]
    attachments: list[CoachAttachment] = prepared["attachments"]
    documents = _documents(attachments, asked)
    images = [a for a in attachments if a.kind == "image"]
    notices: list[str] = []
    web: list[tuple[str, Any]] = []
    if research_mode:
        found = await research(gateway=gateway, identity=identity, query=asked)
        web = [(f"W{index}", result) for index, result in enumerate(found.results, start=1)]
        if found.notice:
            notices.append(found.notice)
            yield Notice(found.notice)
        if web:
            yield SourcesFound(
                [{"ref": ref, "title": r.title, "url": r.url, "kind": "web"} for ref, r in web]
            )
    materials = documents + [
        Material(ref, r.title, r.snippet or r.title, url=r.url, kind="web") for ref, r in web
    ]
    image_parts: tuple[ImagePart, ...] = ()
    if images and model_id != "local":
        if _can_see(model_id):
            image_parts = tuple(
                ImagePart(image.mime, data)
                for image in images
                if (data := conversations.image_bytes(data_dir, image)) is not None
            )
        else:
            text = (
                f"{MODELS_BY_ID[model_id].label} cannot see images, so "
                + ", ".join(f"“{image.name}”" for image in images)
                + " was not sent. Pick a vision model to discuss it."
            )
            notices.append(text)
            yield Notice(text)
    system = prompts.COACH_INSTRUCTIONS
    if research_mode and not web:
        system += "\n\n" + prompts.NO_RESEARCH
    if materials:
        system += "\n\nThe user's materials:\n\n" + prompts.materials_block(materials)
    history = _history(prepared["history"])
    chat = [
        ChatMessage("system", system),
        *history,
        ChatMessage("user", asked, images=image_parts),
    ]
    local_used: list[Material] = []

    async def local_engine(_messages: Sequence[ChatMessage]) -> LocalReply:
        local = await asyncio.to_thread(
            local_coach.answer,
            asked,
            documents=documents,
            web=web,
            image_names=[image.name for image in images],
        )
        local_used.extend(local.used)
        return LocalReply(local.text, [m.title for m in local.used])

    text = ""
    done: AnswerDone | None = None
    error = ""
    status = MessageStatus.STOPPED.value
    try:
        async for event in ai.stream_answer(
            gateway=gateway,
            identity=identity,
            module="coach",
            model_id=model_id,
            messages=chat,
            max_tokens=MAX_ANSWER_TOKENS,
            local_engine=local_engine,
        ):
            if isinstance(event, TextDelta):
                text += event.text
            elif isinstance(event, Notice):
                notices.append(event.text)
            elif isinstance(event, AnswerDone):
                done = event
            yield event
        status = MessageStatus.COMPLETE.value
    except (NoProviderError, TextProviderError) as failure:
        error = str(failure)
        status = MessageStatus.PARTIAL.value if text else MessageStatus.FAILED.value
    finally:
        # Runs on completion, on failure and when the consumer stops reading (the Stop button).
        if done is not None and done.key_source == "local":
            citations = [
                {"ref": m.ref, "title": m.title, "url": m.url, "kind": m.kind} for m in local_used
            ]
        else:
            citations = _citations(text, materials)
        _finish(
            gateway,
            identity,
            prepared["answer_id"],
            text=text,
            status=status,
            done=done,
            error=error,
            notices=notices,
            citations=citations,
        )
    yield ReplyDone(
        prepared["answer_id"],
        status,
        done.model_id if done else model_id,
        done.key_source if done else "",
        citations,
        error,
        done.tokens_in if done else 0,
        done.tokens_out if done else 0,
        done.cost_usd if done else 0.0,
        notices,
    )


def _prepare(
    gateway: Gateway,
    identity: Identity,
    conversation_id: int,
    question: str | None,
    model_id: str,
    research_mode: bool,
) -> dict[str, Any]:
    """Store the question (or find the one to answer again) and open the answer's row."""
    with gateway.sessions() as db_session:
        conversation = conversations.get(
            db_session=db_session, identity=identity, conversation_id=conversation_id
        )
        history = conversations.messages(
            db_session=db_session, identity=identity, conversation_id=conversation_id
        )
        if question is None:
            last_question = next((m for m in reversed(history) if m.role == "user"), None)
            if last_question is None:
                raise CoachError("There is no question to answer again yet.")
            for message in history:
                if message.role == "assistant" and message.id > (last_question.id or 0):
                    db_session.delete(message)
            history = [m for m in history if (m.id or 0) < (last_question.id or 0)]
            question, question_id = last_question.content, last_question.id
        else:
            asked = CoachMessage(
                organization_id=identity.organization_id,
                conversation_id=conversation_id,
                role="user",
                content=question,
            )
            db_session.add(asked)
            db_session.flush()
            question_id = asked.id
        answer = CoachMessage(
            organization_id=identity.organization_id,
            conversation_id=conversation_id,
            role="assistant",
            status=MessageStatus.STREAMING.value,
            model_id=model_id,
        )
        db_session.add(answer)
        if conversation.title == DEFAULT_TITLE:
            conversation.title = " ".join(question.split())[:60] or DEFAULT_TITLE
        conversation.model_id, conversation.research = model_id, research_mode
        conversations.touch(db_session=db_session, conversation_id=conversation_id)
        db_session.add(conversation)
        db_session.commit()
        attachments = conversations.attachments(
            db_session=db_session, identity=identity, conversation_id=conversation_id
        )
        for item in (*history, *attachments):
            db_session.expunge(item)
        return {
            "question": question,
            "question_id": question_id,
            "answer_id": answer.id,
            "history": history,
            "attachments": attachments,
        }


def _finish(
    gateway: Gateway,
    identity: Identity,
    answer_id: int,
    *,
    text: str,
    status: str,
    done: AnswerDone | None,
    error: str,
    notices: list[str],
    citations: list[dict[str, str]],
) -> None:
    with gateway.sessions() as db_session:
        answer = db_session.exec(
            select(CoachMessage).where(
                col(CoachMessage.id) == answer_id,
                CoachMessage.organization_id == identity.organization_id,
            )
        ).first()
        if answer is None:  # the conversation was deleted while the answer streamed
            return
        answer.content = text
        answer.status = status
        answer.error = error[:500]
        answer.notice = " ".join(notices)[:1000]
        answer.citations_json = json.dumps(citations)
        if done is not None:
            answer.model_id, answer.key_source = done.model_id, done.key_source
        db_session.add(answer)
        db_session.commit()
