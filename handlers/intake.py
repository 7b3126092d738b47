"""The curator forwards a post, sends a link or screenshots: the bot registers an incident."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.types import (
    Message,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
)

from domain import receipts
from domain.errors import DomainError
from domain.incident import Source
from domain.intake import Origin, find_urls, network_of, origin_from_forward, origin_from_text
from domain.people import StaffMember
from domain.roles import Role
from domain.services import Services
from handlers import replies, texts
from handlers.errors import explain
from handlers.filters import When

CURATORS = frozenset({Role.CURATOR, Role.ADMIN})
ALBUM_QUIET_SECONDS = 1.5
"""An album arrives as separate messages with no end marker: wait this long after the last."""
_EXTERNAL = re.compile(
    r"№\s*([\w\-/.]+)\s+до\s+(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(\d{1,2}):(\d{2})", re.IGNORECASE
)


def parse_external(text: str, zone: tzinfo) -> tuple[str | None, datetime | None]:
    """ "№ 12345 до 25.11.2026 15:00" in a caption: the external system's number and deadline."""
    m = _EXTERNAL.search(text)
    if not m:
        return None, None
    number, day, month, year, hour, minute = m.groups()
    try:
        deadline = datetime(int(year), int(month), int(day), int(hour), int(minute), tzinfo=zone)
    except ValueError:
        return number, None
    return number, deadline


def origin_of(message: Message) -> Origin:
    fo = message.forward_origin
    text = message.text or message.caption or ""
    if isinstance(fo, MessageOriginChannel):
        return origin_from_forward(
            "channel",
            chat_title=fo.chat.title,
            chat_username=fo.chat.username,
            chat_id=fo.chat.id,
            message_id=fo.message_id,
            date=fo.date,
        )
    if isinstance(fo, MessageOriginChat):
        return origin_from_forward(
            "chat",
            chat_title=fo.sender_chat.title,
            chat_username=fo.sender_chat.username,
            chat_id=fo.sender_chat.id,
            date=fo.date,
        )
    if isinstance(fo, MessageOriginUser):
        return origin_from_forward(
            "user",
            sender_name=fo.sender_user.full_name,
            sender_username=fo.sender_user.username,
            date=fo.date,
        )
    if isinstance(fo, MessageOriginHiddenUser):
        return origin_from_forward("hidden_user", sender_name=fo.sender_user_name, date=fo.date)
    urls = [e.url for e in (message.entities or message.caption_entities or []) if e.url]
    if urls:
        return Origin(network=network_of(urls[0]), url=urls[0])
    return origin_from_text(text)


def media_of(message: Message) -> tuple[str, ...]:
    if message.photo:
        return (message.photo[-1].file_id,)
    for item in (message.video, message.document, message.animation):
        if item is not None:
            return (item.file_id,)
    return ()


@dataclass
class _Album:
    messages: list[Message] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    receipts: list[receipts.Receipt] = field(default_factory=list)
    """The inbox's receipts of the album's updates: handled when the album is registered."""


class AlbumCollector:
    """Collects the messages of one media group, then registers them as one incident."""

    def __init__(self) -> None:
        self._albums: dict[str, _Album] = {}

    def add(self, message: Message, finish: object) -> None:
        key = f"{message.chat.id}:{message.media_group_id}"
        album = self._albums.setdefault(key, _Album())
        album.messages.append(message)
        receipt = receipts.current()
        if receipt is not None:
            receipt.deferred = True  # settled with the album, not when this handler returns
            album.receipts.append(receipt)
        if album.task is not None:
            album.task.cancel()

        async def later() -> None:
            await asyncio.sleep(ALBUM_QUIET_SECONDS)
            done = self._albums.pop(key)
            assert callable(finish)
            with receipts.holding(receipts.combined(done.receipts)) as receipt:
                await finish(sorted(done.messages, key=lambda m: m.message_id))
                if receipt is not None:
                    await receipt.done()

        album.task = asyncio.create_task(later())


async def register(messages: list[Message], services: Services, member: StaffMember) -> None:
    first = messages[0]
    origin = next((origin_of(m) for m in messages if m.forward_origin), None) or origin_of(first)
    text = "\n".join(t for t in ((m.text or m.caption or "") for m in messages) if t)
    media = tuple(f for m in messages for f in media_of(m))
    if not text and not media and origin.url is None and first.forward_origin is None:
        await replies.later(first.answer(texts.NOTHING_TO_REGISTER))
        return
    url = origin.url
    if url is None:
        urls = find_urls(text)
        url = urls[0] if urls else None
    number, deadline = parse_external(text, services.zone)
    flow = None
    if number is not None:
        flow = next((f.name for f in services.profile.flows.values() if f.external_curator), None)
    source = Source(
        network=origin.network.value,
        url=url,
        author=origin.author,
        text=text,
        media=media,
        external_number=number,
        external_deadline=deadline,
    )
    files = len(media) if len(messages) > 1 else 0
    try:
        await services.routing.register_post(member.telegram_id, source, flow=flow, files=files)
    except DomainError as exc:
        await replies.later(first.answer(explain(exc)))
        return
    # The number, any likely repeats and the card come through the outbox (NoticeKind.REGISTERED).
    services.kick()


def make_router() -> Router:
    router = Router(name="intake")
    router.message.filter(When(F.chat.type == "private"))
    albums = AlbumCollector()

    @router.message(StateFilter(None), When(~F.text.startswith("/")))
    async def on_post(message: Message, services: Services, member: StaffMember | None) -> None:
        if member is None or not member.roles & CURATORS:
            await replies.later(
                message.answer(texts.NOT_ON_STAFF if member is None else texts.UNKNOWN_INPUT)
            )
            return
        if message.media_group_id is not None:

            async def finish(batch: list[Message]) -> None:
                await register(batch, services, member)

            albums.add(message, finish)
            return
        await register([message], services, member)

    return router
