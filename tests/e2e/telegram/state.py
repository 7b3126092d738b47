"""What the fake Telegram remembers: users, chats, messages, files, queries and updates."""

from __future__ import annotations

import copy
import hashlib
import mimetypes
import struct
from dataclasses import dataclass, field
from typing import Any

from .clock import FakeClock, Notifier
from .faults import Faults
from .protocol import Json

PRIVATE = "private"
GROUP = "group"
SUPERGROUP = "supergroup"
CHANNEL = "channel"

DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)


@dataclass
class UserRecord:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    is_bot: bool = False
    language_code: str | None = None
    hide_forwards: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def to_api(self) -> Json:
        data: Json = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data


@dataclass
class FileRecord:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    duration: int | None = None
    url: str | None = None
    photo_sizes: list[FileRecord] | None = None

    def to_api(self) -> Json:
        data: Json = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.kind in {"photo", "video"}:
            data["width"] = self.width or 0
            data["height"] = self.height or 0
        if self.kind == "video":
            data["duration"] = self.duration or 0
        if self.kind != "photo":
            if self.file_name:
                data["file_name"] = self.file_name
            if self.mime_type:
                data["mime_type"] = self.mime_type
        data["file_size"] = len(self.data)
        return data

    def file_api(self) -> Json:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass
class ChatRecord:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    messages: dict[int, MessageRecord] = field(default_factory=dict)
    next_message_id: int = 1
    started: bool = False
    blocked: bool = False
    bot_status: str = "member"
    pinned: list[int] = field(default_factory=list)
    reply_keyboard: Json | None = None
    actions: list[str] = field(default_factory=list)

    def to_api(self) -> Json:
        data: Json = {"id": self.id, "type": self.type}
        if self.title is not None:
            data["title"] = self.title
        if self.username:
            data["username"] = self.username
        if self.first_name is not None:
            data["first_name"] = self.first_name
        if self.last_name:
            data["last_name"] = self.last_name
        return data

    def shown(self) -> list[MessageRecord]:
        return [m for m in self.messages.values() if not m.deleted]


@dataclass(frozen=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class FileView:
    kind: str
    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None
    mime_type: str | None


@dataclass(frozen=True)
class MessageView:
    """A snapshot of one message as the chat shows it."""

    chat_id: int
    message_id: int
    date: int
    from_bot: bool
    sender_id: int | None
    text: str | None
    caption: str | None
    entities: tuple[Json, ...]
    buttons: tuple[tuple[Button, ...], ...]
    files: tuple[FileView, ...]
    media_group_id: str | None
    reply_to_message_id: int | None
    forward_origin: Json | None
    edited: bool
    seq: int

    @property
    def content(self) -> str:
        return self.text if self.text is not None else (self.caption or "")

    @property
    def labels(self) -> list[list[str]]:
        return [[button.text for button in row] for row in self.buttons]

    @property
    def button_labels(self) -> list[str]:
        return [button.text for row in self.buttons for button in row]

    def button(self, label: str) -> Button | None:
        for row in self.buttons:
            for button in row:
                if button.text == label:
                    return button
        return None


@dataclass
class MessageRecord:
    chat: ChatRecord
    message_id: int
    date: int
    sender: UserRecord | None = None
    sender_chat: ChatRecord | None = None
    from_bot: bool = False
    text: str | None = None
    entities: list[Json] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[Json] = field(default_factory=list)
    media_kind: str | None = None
    files: list[FileRecord] = field(default_factory=list)
    reply_markup: Json | None = None
    media_group_id: str | None = None
    reply_to: MessageRecord | None = None
    forward_origin: Json | None = None
    edit_date: int | None = None
    extra: Json = field(default_factory=dict)
    deleted: bool = False
    seq: int = 0

    def to_api(self, *, nested: bool = False) -> Json:
        data: Json = {"message_id": self.message_id}
        if self.sender is not None:
            data["from"] = self.sender.to_api()
        if self.sender_chat is not None:
            data["sender_chat"] = self.sender_chat.to_api()
        data["date"] = self.date
        data["chat"] = self.chat.to_api()
        if self.forward_origin is not None:
            data["forward_origin"] = copy.deepcopy(self.forward_origin)
        if self.reply_to is not None and not nested:
            data["reply_to_message"] = self.reply_to.to_api(nested=True)
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.media_group_id is not None:
            data["media_group_id"] = self.media_group_id
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = copy.deepcopy(self.entities)
        if self.media_kind == "photo":
            data["photo"] = [f.to_api() for f in self.files]
        elif self.media_kind is not None:
            data[self.media_kind] = self.files[0].to_api()
        if self.caption is not None:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = copy.deepcopy(self.caption_entities)
        data.update(copy.deepcopy(self.extra))
        if self.reply_markup is not None:
            data["reply_markup"] = copy.deepcopy(self.reply_markup)
        return data

    def view(self) -> MessageView:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        buttons = tuple(
            tuple(Button(str(b.get("text", "")), b.get("callback_data"), b.get("url")) for b in row)
            for row in rows
        )
        shown_files = self.files[-1:] if self.media_kind == "photo" else self.files
        return MessageView(
            chat_id=self.chat.id,
            message_id=self.message_id,
            date=self.date,
            from_bot=self.from_bot,
            sender_id=self.sender.id if self.sender else None,
            text=self.text,
            caption=self.caption,
            entities=tuple(copy.deepcopy(self.entities or self.caption_entities)),
            buttons=buttons,
            files=tuple(
                FileView(f.kind, f.file_id, f.file_unique_id, f.data, f.file_name, f.mime_type)
                for f in shown_files
            ),
            media_group_id=self.media_group_id,
            reply_to_message_id=self.reply_to.message_id if self.reply_to else None,
            forward_origin=copy.deepcopy(self.forward_origin),
            edited=self.edit_date is not None,
            seq=self.seq,
        )


@dataclass
class CallbackAnswer:
    query_id: str
    text: str | None
    show_alert: bool
    url: str | None


@dataclass
class CallbackQueryRecord:
    id: str
    user: UserRecord
    message: MessageRecord
    data: str
    created: float
    answer: CallbackAnswer | None = None


@dataclass
class UpdateEntry:
    update_id: int
    payload: Json
    batch_break: bool = False

    @property
    def kind(self) -> str:
        return next(iter(self.payload))

    def to_api(self) -> Json:
        return {"update_id": self.update_id, **copy.deepcopy(self.payload)}


@dataclass
class WebhookConfig:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    generation: int = 0


_KIND_PREFIX = {"photo": "AgAC", "video": "BAAC", "document": "BQAC", "audio": "CQAC"}
_KIND_DIR = {"photo": "photos", "video": "videos", "document": "documents", "audio": "music"}


def image_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                break
            marker = data[i + 1]
            length = int.from_bytes(data[i + 2 : i + 4], "big")
            if marker in {0xC0, 0xC1, 0xC2}:
                height = int.from_bytes(data[i + 5 : i + 7], "big")
                width = int.from_bytes(data[i + 7 : i + 9], "big")
                return width, height
            i += 2 + length
    return 1280, 720


class State:
    def __init__(self, clock: FakeClock, notifier: Notifier, bot: UserRecord, faults: Faults):
        self.clock = clock
        self.notifier = notifier
        self.bot = bot
        self.faults = faults
        self._serial = 0
        self.seq = 0
        self.update_counter = 0
        self.commands: dict[tuple[str, str], list[Json]] = {}
        self.poll_generation = 0
        self.webhook = WebhookConfig()
        self.clear()

    def clear(self) -> None:
        self.users: dict[int, UserRecord] = {self.bot.id: self.bot}
        self.chats: dict[int, ChatRecord] = {}
        self.files: dict[str, FileRecord] = {}
        self.queries: dict[str, CallbackQueryRecord] = {}
        self.pending: list[UpdateEntry] = []
        self.allowed_updates: list[str] | None = None
        self.webhook = WebhookConfig(generation=self.webhook.generation + 1)
        self.seq += 1
        self.notifier.notify()

    def serial(self) -> int:
        self._serial += 1
        return self._serial

    def now(self) -> int:
        return int(self.clock.time())

    def changed(self) -> int:
        self.seq += 1
        self.notifier.notify()
        return self.seq

    def add_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        *,
        user_id: int | None = None,
        language_code: str | None = "ru",
        hide_forwards: bool = False,
    ) -> UserRecord:
        uid = user_id if user_id is not None else 100_000_000 + self.serial()
        if uid in self.users:
            raise ValueError(f"user {uid} already exists")
        user = UserRecord(uid, first_name, last_name, username, False, language_code, hide_forwards)
        self.users[uid] = user
        self.chats[uid] = ChatRecord(
            uid, PRIVATE, username=username, first_name=first_name, last_name=last_name
        )
        return user

    def add_chat(
        self,
        kind: str,
        title: str,
        username: str | None = None,
        *,
        chat_id: int | None = None,
        bot_status: str = "member",
    ) -> ChatRecord:
        if chat_id is None:
            serial = self.serial()
            chat_id = -(4_000_000_000 + serial) if kind == GROUP else -(1_002_000_000_000 + serial)
        if chat_id in self.chats:
            raise ValueError(f"chat {chat_id} already exists")
        chat = ChatRecord(chat_id, kind, title=title, username=username, bot_status=bot_status)
        self.chats[chat_id] = chat
        return chat

    def resolve_chat(self, value: str | None) -> ChatRecord | None:
        if not value:
            return None
        if value.startswith("@"):
            name = value[1:].lower()
            for chat in self.chats.values():
                if chat.type != PRIVATE and (chat.username or "").lower() == name:
                    return chat
            return None
        try:
            return self.chats.get(int(value))
        except ValueError:
            return None

    def chat_id_of(self, value: str | None) -> int | None:
        chat = self.resolve_chat(value)
        if chat is not None:
            return chat.id
        try:
            return int(value) if value else None
        except ValueError:
            return None

    def add_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int | None = None,
        height: int | None = None,
        duration: int | None = None,
        url: str | None = None,
    ) -> FileRecord:
        serial = self.serial()
        digest = hashlib.sha256(f"{kind}:{serial}".encode()).hexdigest()
        file_id = f"{_KIND_PREFIX.get(kind, 'BQAC')}AgIAAxkBAAI{serial:06d}{digest[:40]}"
        unique = f"AQAD{digest[40:56]}"
        extension = ""
        if file_name and "." in file_name:
            extension = file_name[file_name.rfind(".") :]
        elif kind == "photo":
            extension = ".jpg"
        elif kind == "video":
            extension = ".mp4"
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        path = f"{_KIND_DIR.get(kind, 'documents')}/file_{serial}{extension}"
        record = FileRecord(
            file_id, unique, kind, data, path, file_name, mime_type, width, height, duration, url
        )
        self.files[file_id] = record
        return record

    def add_photo(self, data: bytes, *, url: str | None = None) -> list[FileRecord]:
        width, height = image_size(data) if data else (1280, 720)
        scale = min(1.0, 320 / max(width, 1))
        small = self.add_file(
            "photo", data, width=max(1, int(width * scale)), height=max(1, int(height * scale))
        )
        large = self.add_file("photo", data, width=width, height=height, url=url)
        sizes = [small, large]
        small.photo_sizes = sizes
        large.photo_sizes = sizes
        return sizes

    def file_by_path(self, path: str) -> FileRecord | None:
        for record in self.files.values():
            if record.file_path == path:
                return record
        return None

    def add_message(self, chat: ChatRecord, **fields: Any) -> MessageRecord:
        message = MessageRecord(chat, chat.next_message_id, self.now(), **fields)
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        message.seq = self.changed()
        return message

    def touch(self, message: MessageRecord) -> None:
        message.seq = self.changed()

    def push_update(self, payload: Json, *, batch_break: bool = False) -> None:
        for item, brk in self.faults.release_updates(payload, batch_break):
            self.update_counter += 1
            self.pending.append(UpdateEntry(self.update_counter, item, brk))
            if self.faults.take_duplicate():
                self.pending.append(UpdateEntry(self.update_counter, copy.deepcopy(item)))
        self.changed()

    def allowed(self, kind: str, allowed: list[str] | None) -> bool:
        if not allowed:
            return kind in DEFAULT_ALLOWED_UPDATES
        return kind in allowed

    def confirm(self, offset: int) -> None:
        if offset > 0:
            self.pending = [e for e in self.pending if e.update_id >= offset]
        elif offset < 0:
            self.pending = self.pending[offset:]

    def take_batch(self, limit: int, allowed: list[str] | None) -> list[UpdateEntry]:
        """Drop updates of unwanted types, then return the next batch (not confirming it)."""
        self.pending = [e for e in self.pending if self.allowed(e.kind, allowed)]
        batch: list[UpdateEntry] = []
        for entry in self.pending:
            if len(batch) >= limit or (batch and entry.batch_break):
                break
            batch.append(entry)
        return batch
