"""The AI routes of the coach: `/api/ai/coach`, `/api/ai/chat`, `/api/ai/summarize` and
`/api/ai/research`, authenticated by a personal API token and streamed as server-sent events.

Every refusal that can be known before streaming (token, body, model, attachment) is a JSON
error with its status; once streaming, a provider failure ends the stream with an `error` event
that still carries the partial answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from quotahit import wiring
from quotahit.accounts.identity import AccountError, Identity
from quotahit.ai import service as ai
from quotahit.ai.service import AnswerDone, NoProviderError, Notice
from quotahit.ai.sse import closing_stream, event_stream
from quotahit.apitokens.http import (
    BodyError,
    authenticate_request,
    error_response,
    json_object,
)
from quotahit.coach import answering, attachments, conversations, prompts, summaries
from quotahit.coach.answering import ReplyDone, SourcesFound, Started
from quotahit.coach.research import NO_KEY, research
from quotahit.db import row_id, session_scope
from quotahit.providers.text import ChatMessage, TextDelta, TextProviderError
from quotahit.settings import get_settings

MAX_BODY_BYTES = 400_000
MAX_URLS = 3
MAX_DOCUMENTS = 5
MAX_CHAT_MESSAGES = 50
UNAUTHENTICATED = "Send a valid personal API token: Authorization: Bearer qh_..."


async def _caller(request: Request) -> tuple[Identity | None, dict[str, Any] | Response]:
    identity = await asyncio.to_thread(authenticate_request, request)
    if identity is None:
        return None, error_response(401, UNAUTHENTICATED)
    try:
        return identity, await json_object(request, MAX_BODY_BYTES)
    except BodyError as error:
        return None, error_response(400, str(error))


def _model(body: dict[str, Any]) -> str:
    model_id = str(body.get("model") or "local")
    answering.check_model(model_id)
    return model_id


def _done_payload(done: AnswerDone | None, fallback_model: str) -> dict[str, Any]:
    return {
        "model": done.model_id if done else fallback_model,
        "keySource": done.key_source if done else "",
        "tokensIn": done.tokens_in if done else 0,
        "tokensOut": done.tokens_out if done else 0,
        "costUsd": done.cost_usd if done else 0.0,
    }


async def _gateway_events(
    identity: Identity,
    module: str,
    model_id: str,
    messages: Sequence[ChatMessage],
    *,
    local_engine: ai.LocalEngine | None = None,
    max_tokens: int = 1_500,
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """A gateway stream as SSE events; a failure ends it with the partial text kept."""
    text, done = "", None
    answer = ai.stream_answer(
        gateway=wiring.gateway(),
        identity=identity,
        module=module,
        model_id=model_id,
        messages=messages,
        max_tokens=max_tokens,
        local_engine=local_engine,
    )
    try:
        async with closing_stream(answer):
            async for event in answer:
                if isinstance(event, TextDelta):
                    text += event.text
                    yield "delta", {"text": event.text}
                elif isinstance(event, Notice):
                    yield "notice", {"text": event.text}
                elif isinstance(event, AnswerDone):
                    done = event
    except (NoProviderError, TextProviderError) as failure:
        yield "error", {"error": str(failure), "partial": text, "retryable": True}
        return
    yield (
        "done",
        {"text": text, "citations": done.citations if done else []} | _done_payload(done, model_id),
    )


async def coach_endpoint(request: Request) -> Response:
    """Ask the coach; the question and answer are kept in a conversation of the caller's."""
    identity, body = await _caller(request)
    if identity is None:
        return body  # type: ignore[return-value]
    assert isinstance(body, dict)
    try:
        model_id = _model(body)
        question = _question(body)
        urls = body.get("urls") or []
        documents = body.get("documents") or []
        if not isinstance(urls, list) or len(urls) > MAX_URLS:
            raise AccountError(f"urls is a list of at most {MAX_URLS} web addresses.")
        if not isinstance(documents, list) or len(documents) > MAX_DOCUMENTS:
            raise AccountError(f"documents is a list of at most {MAX_DOCUMENTS} {{name, text}}.")
        conversation_id = await asyncio.to_thread(
            _prepare_conversation, identity, body, model_id, urls, documents
        )
    except (AccountError, attachments.AttachmentError) as refused:
        return error_response(400, str(refused))

    async def events() -> AsyncIterator[tuple[str, dict[str, Any]]]:
        text = ""
        reply = answering.stream_reply(
            gateway=wiring.gateway(),
            identity=identity,
            conversation_id=conversation_id,
            question=question,
            model_id=model_id,
            research_mode=bool(body.get("research")),
            data_dir=get_settings().data_dir,
        )
        try:
            async with closing_stream(reply):
                async for event in reply:
                    if isinstance(event, Started):
                        ids = {"conversationId": event.conversation_id, "answerId": event.answer_id}
                        yield "start", ids
                    elif isinstance(event, TextDelta):
                        text += event.text
                        yield "delta", {"text": event.text}
                    elif isinstance(event, Notice):
                        yield "notice", {"text": event.text}
                    elif isinstance(event, SourcesFound):
                        yield "sources", {"sources": event.sources}
                    elif isinstance(event, ReplyDone):
                        payload = {
                            "answerId": event.answer_id,
                            "status": event.status,
                            "model": event.model_id,
                            "keySource": event.key_source,
                            "citations": event.citations,
                            "tokensIn": event.tokens_in,
                            "tokensOut": event.tokens_out,
                            "costUsd": event.cost_usd,
                        }
                        if event.error:
                            failed = {"error": event.error, "partial": text, "retryable": True}
                            yield "error", payload | failed
                        else:
                            yield "done", payload
        except AccountError as refused:
            yield "error", {"error": str(refused), "retryable": False}

    return event_stream(events())


def _question(body: dict[str, Any]) -> str:
    """The question, refused here when empty or too long, before a conversation is made for it."""
    question = str(body.get("message") or body.get("question") or "").strip()
    if not question:
        raise AccountError("Send the question as message.")
    if len(question) > answering.MAX_QUESTION_CHARS:
        raise AccountError(
            f"A message can be at most {answering.MAX_QUESTION_CHARS:,} characters; send long "
            "text as a document instead."
        )
    return question


def _prepare_conversation(
    identity: Identity,
    body: dict[str, Any],
    model_id: str,
    urls: list[Any],
    documents: list[Any],
) -> int:
    """The conversation to answer in (the caller's, or a new one), with the new attachments."""
    fetched = [attachments.read_url(str(url)) for url in urls]
    texts = []
    for item in documents:
        if not isinstance(item, dict) or not str(item.get("text") or "").strip():
            raise AccountError('Each document is {"name": ..., "text": ...} with some text.')
        name = str(item.get("name") or "document")[:200]
        texts.append(attachments.read_text_file(str(item["text"]).encode(), name))
    with session_scope() as db_session:
        raw = body.get("conversationId", body.get("conversation_id"))
        if raw is not None:
            conversation_id = row_id(raw)
            if conversation_id is None:
                raise AccountError("conversationId is the whole number the start event answered.")
            conversation = conversations.get(
                db_session=db_session, identity=identity, conversation_id=conversation_id
            )
        else:
            conversation = conversations.create(
                db_session=db_session, identity=identity, model_id=model_id
            )
        conversation_id = conversation.id or 0
        for url, document in zip(urls, fetched, strict=True):
            conversations.attach_document(
                db_session=db_session,
                identity=identity,
                conversation_id=conversation_id,
                document=document,
                source_url=str(url),
            )
        for document in texts:
            conversations.attach_document(
                db_session=db_session,
                identity=identity,
                conversation_id=conversation_id,
                document=document,
            )
        return conversation_id


def _chat_messages(raw: Any) -> list[ChatMessage]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_CHAT_MESSAGES:
        raise AccountError(
            f"messages is a list of 1 to {MAX_CHAT_MESSAGES} {{role, content}} objects."
        )
    messages = []
    for item in raw:
        role = str(item.get("role", "")) if isinstance(item, dict) else ""
        content = str(item.get("content", "")) if isinstance(item, dict) else ""
        if role not in ("system", "user", "assistant") or not content.strip():
            raise AccountError("Each message needs a role (system, user, assistant) and content.")
        messages.append(ChatMessage(role, content[: answering.MAX_QUESTION_CHARS * 4]))
    if messages[-1].role != "user":
        raise AccountError("The last message must be the user's.")
    return messages


async def chat_endpoint(request: Request) -> Response:
    """A plain multi-model chat: the caller's messages, streamed back through the gateway."""
    identity, body = await _caller(request)
    if identity is None:
        return body  # type: ignore[return-value]
    assert isinstance(body, dict)
    try:
        model_id = _model(body)
        messages = _chat_messages(body.get("messages"))
    except AccountError as refused:
        return error_response(400, str(refused))
    return event_stream(_gateway_events(identity, "chat", model_id, messages))


async def summarize_endpoint(request: Request) -> Response:
    """Summarise text (a transcript, notes, a document) briefly, as bullets or as call notes."""
    identity, body = await _caller(request)
    if identity is None:
        return body  # type: ignore[return-value]
    assert isinstance(body, dict)
    try:
        model_id = _model(body)
        style = str(body.get("style") or "brief")
        text = summaries.check(str(body.get("text") or ""), style)
    except (AccountError, summaries.SummaryError) as refused:
        return error_response(400, str(refused))
    return event_stream(
        _gateway_events(
            identity,
            "summarize",
            model_id,
            summaries.messages(text, style),
            local_engine=summaries.local_engine(text, style),
            max_tokens=600,
        )
    )


async def research_endpoint(request: Request) -> Response:
    """Search the web (Perplexity, else Tavily) and answer with numbered citations."""
    identity, body = await _caller(request)
    if identity is None:
        return body  # type: ignore[return-value]
    assert isinstance(body, dict)
    try:
        model_id = _model(body)
        query = str(body.get("query") or body.get("message") or "").strip()
        if not query:
            raise AccountError("Send a query to research.")
        if len(query) > 2_000:
            raise AccountError("A query can be at most 2,000 characters.")
    except AccountError as refused:
        return error_response(400, str(refused))
    found = await research(gateway=wiring.gateway(), identity=identity, query=query)
    if not found.results:
        # No key: the caller must add one (409); a search ran and found nothing (404); every
        # provider failed (502).
        status = 409 if found.notice == NO_KEY else 404 if found.provider else 502
        return error_response(status, found.notice)
    web = [(f"W{index}", result) for index, result in enumerate(found.results, start=1)]
    materials = [
        prompts.Material(ref, r.title, r.snippet or r.title, url=r.url, kind="web")
        for ref, r in web
    ]
    sources = [{"ref": ref, "title": r.title, "url": r.url} for ref, r in web]
    messages = [
        ChatMessage(
            "system",
            prompts.COACH_INSTRUCTIONS
            + "\n\nWeb sources:\n\n"
            + prompts.materials_block(materials),
        ),
        ChatMessage("user", query),
    ]

    async def local(_messages: Sequence[ChatMessage]) -> ai.LocalReply:
        lines = [f"- [{r.title}]({r.url}): {r.snippet} [{ref}]" for ref, r in web]
        return ai.LocalReply(
            "What the web search found (Local engine: listed, not summarised):\n\n"
            + "\n".join(lines),
            [r.url for _ref, r in web],
        )

    async def events() -> AsyncIterator[tuple[str, dict[str, Any]]]:
        yield "sources", {"sources": sources, "provider": found.provider}
        if found.notice:
            yield "notice", {"text": found.notice}
        answer = _gateway_events(identity, "research", model_id, messages, local_engine=local)
        async with closing_stream(answer):
            async for name, payload in answer:
                if name == "done":
                    payload["citations"] = [
                        s for s in sources if s["ref"] in prompts.cited_refs(payload["text"])
                    ] or sources
                yield name, payload

    return event_stream(events())
