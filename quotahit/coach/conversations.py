"""Conversations with the coach, their messages and attachments: kept per user, never shared.

Every function takes the caller's identity and checks ownership itself, because a Reflex client
or an API caller can name any conversation id.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from quotahit.accounts.identity import AccountError, Identity
from quotahit.coach.attachments import ExtractedDocument, PreparedImage
from quotahit.coach.models import CoachAttachment, CoachConversation, CoachMessage
from quotahit.db import like_pattern, tenant_select, utcnow

DEFAULT_TITLE = "New conversation"
MAX_TITLE = 120
PAGE_SIZE = 20
MAX_ATTACHMENTS = 10
IMAGES = "coach-images"


class CoachError(AccountError):
    """A refusal the user can act on (unknown conversation, too many attachments...)."""


@dataclass(frozen=True)
class ConversationPage:
    """One page of a user's conversations, newest first, and how many match in all."""

    rows: list[CoachConversation]
    total: int


def create(
    *, db_session: Session, identity: Identity, model_id: str = "local", research: bool = False
) -> CoachConversation:
    """A new, empty conversation of the caller's."""
    conversation = CoachConversation(
        organization_id=identity.organization_id,
        user_id=identity.user_id,
        model_id=model_id,
        research=research,
    )
    db_session.add(conversation)
    db_session.commit()
    db_session.refresh(conversation)
    return conversation


def get(*, db_session: Session, identity: Identity, conversation_id: int) -> CoachConversation:
    """The caller's own conversation, or CoachError (another user's reads as missing)."""
    conversation = db_session.exec(
        tenant_select(CoachConversation, identity.organization_id).where(
            CoachConversation.id == conversation_id,
            CoachConversation.user_id == identity.user_id,
        )
    ).first()
    if conversation is None:
        raise CoachError("This conversation does not exist (it may have been deleted).")
    return conversation


def search(
    *, db_session: Session, identity: Identity, text: str = "", page: int = 1
) -> ConversationPage:
    """The caller's conversations whose title or messages contain `text`, newest first."""
    query = tenant_select(CoachConversation, identity.organization_id).where(
        CoachConversation.user_id == identity.user_id
    )
    if text.strip():
        pattern = like_pattern(text)
        in_messages = (
            select(CoachMessage.conversation_id)
            .where(CoachMessage.organization_id == identity.organization_id)
            .where(func.lower(CoachMessage.content).like(pattern, escape="\\"))
        )
        query = query.where(
            or_(
                func.lower(CoachConversation.title).like(pattern, escape="\\"),
                col(CoachConversation.id).in_(in_messages),
            )
        )
    total = db_session.exec(select(func.count()).select_from(query.subquery())).one()
    page = max(1, page)
    rows = db_session.exec(
        query.order_by(col(CoachConversation.updated_at).desc(), col(CoachConversation.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return ConversationPage(list(rows), int(total))


def rename(
    *, db_session: Session, identity: Identity, conversation_id: int, title: str
) -> CoachConversation:
    """Give a conversation a title of the caller's choosing."""
    title = " ".join(title.split())[:MAX_TITLE]
    if not title:
        raise CoachError("A conversation needs a title.")
    conversation = get(db_session=db_session, identity=identity, conversation_id=conversation_id)
    conversation.title = title
    db_session.add(conversation)
    db_session.commit()
    db_session.refresh(conversation)
    return conversation


def set_options(
    *,
    db_session: Session,
    identity: Identity,
    conversation_id: int,
    model_id: str | None = None,
    research: bool | None = None,
) -> CoachConversation:
    """Remember the model and research mode a conversation was last used with."""
    conversation = get(db_session=db_session, identity=identity, conversation_id=conversation_id)
    if model_id is not None:
        conversation.model_id = model_id
    if research is not None:
        conversation.research = research
    db_session.add(conversation)
    db_session.commit()
    db_session.refresh(conversation)
    return conversation


def delete(
    *, db_session: Session, identity: Identity, conversation_id: int, data_dir: Path
) -> None:
    """Delete a conversation, its messages, its attachments and their stored images."""
    conversation = get(db_session=db_session, identity=identity, conversation_id=conversation_id)
    for attachment in attachments(
        db_session=db_session, identity=identity, conversation_id=conversation_id
    ):
        _remove_image(data_dir, attachment)
        db_session.delete(attachment)
    for message in messages(
        db_session=db_session, identity=identity, conversation_id=conversation_id
    ):
        db_session.delete(message)
    db_session.flush()  # children first: the rows carry no ORM relationship to order them
    db_session.delete(conversation)
    db_session.commit()


def messages(
    *, db_session: Session, identity: Identity, conversation_id: int
) -> list[CoachMessage]:
    """A conversation's messages, oldest first."""
    get(db_session=db_session, identity=identity, conversation_id=conversation_id)
    return list(
        db_session.exec(
            tenant_select(CoachMessage, identity.organization_id)
            .where(CoachMessage.conversation_id == conversation_id)
            .order_by(col(CoachMessage.id))
        ).all()
    )


def attachments(
    *, db_session: Session, identity: Identity, conversation_id: int
) -> list[CoachAttachment]:
    """What the user attached to a conversation, oldest first."""
    get(db_session=db_session, identity=identity, conversation_id=conversation_id)
    return list(
        db_session.exec(
            tenant_select(CoachAttachment, identity.organization_id)
            .where(CoachAttachment.conversation_id == conversation_id)
            .order_by(col(CoachAttachment.id))
        ).all()
    )


def _check_room(db_session: Session, identity: Identity, conversation_id: int) -> None:
    if (
        len(attachments(db_session=db_session, identity=identity, conversation_id=conversation_id))
        >= MAX_ATTACHMENTS
    ):
        raise CoachError(
            f"A conversation holds at most {MAX_ATTACHMENTS} attachments; remove one first."
        )


def attach_document(
    *,
    db_session: Session,
    identity: Identity,
    conversation_id: int,
    document: ExtractedDocument,
    source_url: str = "",
) -> CoachAttachment:
    """Keep a PDF's, text file's or web page's extracted text with the conversation."""
    _check_room(db_session, identity, conversation_id)
    attachment = CoachAttachment(
        organization_id=identity.organization_id,
        conversation_id=conversation_id,
        user_id=identity.user_id,
        kind=document.kind,
        name=document.name[:200],
        source_url=source_url[:2000],
        text=document.text,
        pages=document.pages,
        notice=document.notice[:300],
        size_bytes=len(document.text.encode()),
    )
    return _save(db_session, attachment, conversation_id)


def attach_image(
    *,
    db_session: Session,
    identity: Identity,
    conversation_id: int,
    image: PreparedImage,
    data_dir: Path,
) -> CoachAttachment:
    """Keep an image in private storage so vision models see it on every later question."""
    _check_room(db_session, identity, conversation_id)
    folder = data_dir / IMAGES / str(identity.organization_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    relative = f"{identity.organization_id}/{secrets.token_hex(16)}.img"
    path = data_dir / IMAGES / relative
    with path.open("xb") as handle:
        handle.write(image.data)
    os.chmod(path, 0o600)
    attachment = CoachAttachment(
        organization_id=identity.organization_id,
        conversation_id=conversation_id,
        user_id=identity.user_id,
        kind="image",
        name=image.name[:200],
        image_path=relative,
        mime=image.mime,
        size_bytes=len(image.data),
        notice=f"{image.width} x {image.height} px",
    )
    return _save(db_session, attachment, conversation_id)


def _save(
    db_session: Session, attachment: CoachAttachment, conversation_id: int
) -> CoachAttachment:
    db_session.add(attachment)
    touch(db_session=db_session, conversation_id=conversation_id)
    db_session.commit()
    db_session.refresh(attachment)
    return attachment


def image_bytes(data_dir: Path, attachment: CoachAttachment) -> bytes | None:
    """A stored image's bytes, or None when the file is gone."""
    root = (data_dir / IMAGES).resolve()
    path = (root / attachment.image_path).resolve()
    if not attachment.image_path or not path.is_relative_to(root) or not path.is_file():
        return None
    return path.read_bytes()


def _remove_image(data_dir: Path, attachment: CoachAttachment) -> None:
    if attachment.image_path:
        root = (data_dir / IMAGES).resolve()
        path = (root / attachment.image_path).resolve()
        if path.is_relative_to(root):
            path.unlink(missing_ok=True)


def detach(*, db_session: Session, identity: Identity, attachment_id: int, data_dir: Path) -> None:
    """Remove one attachment (the caller's own)."""
    attachment = db_session.exec(
        tenant_select(CoachAttachment, identity.organization_id).where(
            CoachAttachment.id == attachment_id, CoachAttachment.user_id == identity.user_id
        )
    ).first()
    if attachment is None:
        raise CoachError("This attachment does not exist.")
    _remove_image(data_dir, attachment)
    db_session.delete(attachment)
    db_session.commit()


def touch(*, db_session: Session, conversation_id: int) -> None:
    """Move a conversation to the top of its owner's list."""
    conversation = db_session.get(CoachConversation, conversation_id)
    if conversation is not None:
        conversation.updated_at = utcnow()
        db_session.add(conversation)


def citations_of(message: CoachMessage) -> list[dict[str, Any]]:
    """The sources an answer cited, as stored."""
    try:
        value = json.loads(message.citations_json or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []
