"""Scripted people: the test acts as users, groups and channels talking to the bot.

Actions are synchronous (they change the fake's state and queue updates at once); waiting
for the bot is `await ....wait_for(...)`. Call everything from the fake's event loop.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .methods import origin_of
from .protocol import Json
from .state import (
    CHANNEL,
    GROUP,
    SUPERGROUP,
    CallbackAnswer,
    CallbackQueryRecord,
    ChatRecord,
    FileRecord,
    MessageRecord,
    MessageView,
    UserRecord,
)
from .waits import WAIT

if TYPE_CHECKING:
    from .server import FakeTelegram

Match = str | Callable[[MessageView], bool]
MessageRef = MessageView | int


class ButtonNotFound(AssertionError):
    pass


def tiny_png(width: int = 2, height: int = 2, shade: int = 0) -> bytes:
    """A valid PNG; different `shade`s give different bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes([shade % 256, 128, 255 - shade % 256]) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def chat_instance(chat_id: int) -> str:
    return str((chat_id * 2654435761) % 2**63)


def _command_entities(text: str) -> list[Json]:
    if not text.startswith("/"):
        return []
    word = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": len(word.encode("utf-16-le")) // 2}]


def _describe(views: Sequence[MessageView]) -> str:
    if not views:
        return "  (no messages)"
    lines = []
    for view in views:
        who = "bot" if view.from_bot else f"user {view.sender_id}"
        line = f"  #{view.message_id} [{who}] {view.content!r}"
        if view.buttons:
            line += f" buttons={view.labels}"
        if view.files:
            line += f" files={[f.kind for f in view.files]}"
        lines.append(line)
    return "\n".join(lines)


class _ChatSide:
    """What one chat shows now, and waiting for the bot to show something in it."""

    def __init__(self, fake: FakeTelegram, chat: ChatRecord) -> None:
        self._fake = fake
        self._chat = chat
        self._last_action = fake.state.seq

    @property
    def chat_id(self) -> int:
        return self._chat.id

    def mark(self) -> int:
        """A point in time for `wait_for(since=...)`."""
        return self._fake.state.seq

    def messages(self) -> list[MessageView]:
        return [m.view() for m in self._chat.shown()]

    def bot_messages(self) -> list[MessageView]:
        return [m.view() for m in self._chat.shown() if m.from_bot]

    def last_bot_message(self) -> MessageView | None:
        shown = self.bot_messages()
        return shown[-1] if shown else None

    @property
    def pinned(self) -> list[int]:
        return list(self._chat.pinned)

    @property
    def chat_actions(self) -> list[str]:
        return list(self._chat.actions)

    def _record(self, ref: MessageRef) -> MessageRecord:
        message_id = ref if isinstance(ref, int) else ref.message_id
        record = self._chat.messages.get(message_id)
        if record is None or record.deleted:
            raise ButtonNotFound(f"message {message_id} is not shown in chat {self._chat.id}")
        return record

    async def wait_for(
        self,
        match: Match,
        timeout: float = WAIT,  # noqa: ASYNC109
        *,
        since: int | None = None,
    ) -> MessageView:
        """Wait until the bot shows a matching message (sent or edited after `since`).

        `match` is a substring of the text or caption, or a predicate on the message.
        `since` defaults to the last action taken in this chat through this object.
        """
        after = self._last_action if since is None else since

        def check() -> MessageView | None:
            records = sorted(
                (m for m in self._chat.shown() if m.from_bot and m.seq > after),
                key=lambda m: m.seq,
            )
            for record in records:
                view = record.view()
                if (match in view.content) if isinstance(match, str) else match(view):
                    return view
            return None

        found = await self._fake.notifier.wait_until(check, timeout)
        if found is None:
            wanted = repr(match) if isinstance(match, str) else "a matching message"
            raise AssertionError(
                f"the bot did not show {wanted} in chat {self._chat.id} within {timeout} s; "
                f"the chat shows:\n{_describe(self.messages())}"
            )
        return found

    def _incoming(
        self,
        sender: UserRecord,
        *,
        batch_break: bool = False,
        **fields: Any,
    ) -> MessageView:
        state = self._fake.state
        record = state.add_message(self._chat, sender=sender, **fields)
        if self._delivered(record):
            state.push_update({"message": record.to_api()}, batch_break=batch_break)
        self._last_action = state.seq
        return record.view()

    def _delivered(self, record: MessageRecord) -> bool:
        return True


class Person(_ChatSide):
    """A Telegram user and their private chat with the bot."""

    def __init__(self, fake: FakeTelegram, user: UserRecord) -> None:
        super().__init__(fake, fake.state.chats[user.id])
        self.user = user

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.full_name

    @property
    def has_started(self) -> bool:
        return self._chat.started

    @property
    def has_blocked(self) -> bool:
        return self._chat.blocked

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        markup = self._chat.reply_keyboard
        if markup is None:
            return None
        return [
            [b if isinstance(b, str) else str(b.get("text", "")) for b in row]
            for row in markup.get("keyboard", [])
        ]

    # --- private chat ---

    def _say(self, **fields: Any) -> MessageView:
        if self._chat.blocked:
            self.unblock_bot()
        self._chat.started = True
        return self._incoming(self.user, **fields)

    def start(self, payload: str | None = None) -> MessageView:
        """Press Start (or open a t.me/<bot>?start=<payload> link)."""
        text = "/start" if payload is None else f"/start {payload}"
        return self._say(text=text, entities=_command_entities(text))

    def send(self, text: str, *, reply_to: MessageRef | None = None) -> MessageView:
        target = self._record(reply_to) if reply_to is not None else None
        return self._say(text=text, entities=_command_entities(text), reply_to=target)

    def reply(self, to: MessageRef, text: str) -> MessageView:
        return self.send(text, reply_to=to)

    def press_reply_button(self, label: str) -> MessageView:
        labels = [b for row in self.reply_keyboard or [] for b in row]
        if label not in labels:
            raise ButtonNotFound(f"the reply keyboard has no {label!r}; it shows {labels}")
        return self.send(label)

    def send_photo(self, data: bytes | None = None, *, caption: str | None = None) -> MessageView:
        files = self._fake.state.add_photo(data if data is not None else tiny_png())
        return self._say(media_kind="photo", files=files, caption=caption)

    def send_document(
        self,
        data: bytes = b"%PDF-1.4 fake\n",
        filename: str = "document.pdf",
        *,
        caption: str | None = None,
        mime_type: str | None = None,
    ) -> MessageView:
        record = self._fake.state.add_file(
            "document", data, file_name=filename, mime_type=mime_type
        )
        return self._say(media_kind="document", files=[record], caption=caption)

    def send_video(
        self, data: bytes = b"\x00\x00\x00\x18ftypmp42", *, caption: str | None = None
    ) -> MessageView:
        record = self._fake.state.add_file(
            "video", data, file_name="video.mp4", width=640, height=360, duration=3
        )
        return self._say(media_kind="video", files=[record], caption=caption)

    def send_album(
        self,
        items: int | Sequence[bytes] = 2,
        *,
        kind: str = "photo",
        caption: str | None = None,
        split_after: int | None = None,
    ) -> list[MessageView]:
        """Several messages sharing a media_group_id, the caption on the first.

        With `split_after=k` the first k arrive in one getUpdates batch, the rest in a later one.
        """
        state = self._fake.state
        blobs = [tiny_png(2, 2, i * 40) for i in range(items)] if isinstance(items, int) else items
        group_id = str(13_000_000_000_000_000 + state.serial())
        views = []
        for index, blob in enumerate(blobs):
            files: list[FileRecord]
            if kind == "photo":
                files = state.add_photo(blob)
            else:
                files = [state.add_file(kind, blob, file_name=f"{kind}{index + 1}")]
            views.append(
                self._say(
                    media_kind=kind,
                    files=files,
                    caption=caption if index == 0 else None,
                    media_group_id=group_id,
                    batch_break=split_after is not None and index == split_after,
                )
            )
        return views

    def edit(self, message: MessageRef, text: str) -> MessageView:
        """Edit one's own text message (an edited_message update)."""
        record = self._record(message)
        if record.sender is not self.user or record.text is None:
            raise AssertionError(f"message {record.message_id} is not {self.name}'s text")
        state = self._fake.state
        record.text, record.entities = text, _command_entities(text)
        record.edit_date = state.now()
        state.touch(record)
        state.push_update({"edited_message": record.to_api()})
        self._last_action = state.seq
        return record.view()

    # --- forwards ---

    def _forward(self, origin: Json, text: str | None, **fields: Any) -> MessageView:
        return self._say(text=text, forward_origin=origin, **fields)

    def forward(self, message: MessageView) -> MessageView:
        """Forward any message the fake knows (keeps its text, caption and files)."""
        source = self._fake.message(message.chat_id, message.message_id)
        if source is None:
            raise AssertionError(f"unknown message {message.chat_id}/{message.message_id}")
        return self._say(
            text=source.text,
            entities=list(source.entities),
            caption=source.caption,
            media_kind=source.media_kind,
            files=list(source.files),
            forward_origin=origin_of(source),
        )

    def forward_from_channel(
        self,
        channel: Channel,
        text: str = "Пост канала",
        *,
        author_signature: str | None = None,
    ) -> MessageView:
        post = channel.post(text)
        origin: Json = {
            "type": "channel",
            "date": post.date,
            "chat": channel.record.to_api(),
            "message_id": post.message_id,
        }
        if author_signature:
            origin["author_signature"] = author_signature
        return self._forward(origin, text)

    def forward_from_user(self, other: Person | UserRecord, text: str) -> MessageView:
        user = other.user if isinstance(other, Person) else other
        date = self._fake.state.now()
        if user.hide_forwards:
            origin: Json = {"type": "hidden_user", "date": date, "sender_user_name": user.full_name}
        else:
            origin = {"type": "user", "date": date, "sender_user": user.to_api()}
        return self._forward(origin, text)

    def forward_from_hidden_user(self, name: str, text: str) -> MessageView:
        origin = {"type": "hidden_user", "date": self._fake.state.now(), "sender_user_name": name}
        return self._forward(origin, text)

    def forward_from_chat(
        self, chat: Group | Channel, text: str, *, author_signature: str | None = None
    ) -> MessageView:
        """A message sent on behalf of a chat (anonymous admin): origin type `chat`."""
        origin: Json = {
            "type": "chat",
            "date": self._fake.state.now(),
            "sender_chat": chat.record.to_api(),
        }
        if author_signature:
            origin["author_signature"] = author_signature
        return self._forward(origin, text)

    # --- buttons ---

    def press(
        self,
        label: str,
        *,
        message: MessageRef | None = None,
        chat: Group | None = None,
    ) -> Press:
        """Press the inline button `label` on `message`, or on the latest bot message with one."""
        side: _ChatSide = chat if chat is not None else self
        if message is not None:
            record = side._record(message)
            button = record.view().button(label)
            if button is None:
                raise ButtonNotFound(
                    f"message {record.message_id} has no button {label!r} now; "
                    f"it shows {record.view().labels}"
                )
        else:
            candidates = [
                m for m in reversed(side._chat.shown()) if m.from_bot and m.view().button(label)
            ]
            if not candidates:
                raise ButtonNotFound(
                    f"no bot message in chat {side.chat_id} shows a button {label!r}; "
                    f"the chat shows:\n{_describe(side.messages())}"
                )
            record = candidates[0]
            button = record.view().button(label)
        assert button is not None
        if button.callback_data is None:
            raise ButtonNotFound(f"button {label!r} is not a callback button: {button}")
        return self._press(record, button.callback_data, side)

    def press_data(self, data: str, message: MessageRef, *, chat: Group | None = None) -> Press:
        """Press with arbitrary callback data, as a stale client could."""
        side: _ChatSide = chat if chat is not None else self
        return self._press(side._record(message), data, side)

    def _press(self, record: MessageRecord, data: str, side: _ChatSide) -> Press:
        state = self._fake.state
        query_id = str(4_000_000_000_000_000_000 + state.serial())
        query = CallbackQueryRecord(query_id, self.user, record, data, state.clock.monotonic())
        state.queries[query_id] = query
        state.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user.to_api(),
                    "message": record.to_api(),
                    "chat_instance": chat_instance(record.chat.id),
                    "data": data,
                }
            }
        )
        side._last_action = state.seq
        return Press(self._fake, query)

    @property
    def last_answer(self) -> CallbackAnswer | None:
        answered = [
            q.answer
            for q in self._fake.state.queries.values()
            if q.user is self.user and q.answer is not None
        ]
        return answered[-1] if answered else None

    @property
    def last_alert(self) -> str | None:
        """The text the bot showed for this person's latest answered press."""
        answer = self.last_answer
        return answer.text if answer else None

    # --- membership ---

    def _member_update(self, chat: ChatRecord, old: Json, new: Json) -> None:
        state = self._fake.state
        state.push_update(
            {
                "my_chat_member": {
                    "chat": chat.to_api(),
                    "from": self.user.to_api(),
                    "date": state.now(),
                    "old_chat_member": {**old, "user": state.bot.to_api()},
                    "new_chat_member": {**new, "user": state.bot.to_api()},
                }
            }
        )

    def block_bot(self) -> None:
        """Stop and block the bot: later sends get 403 and a my_chat_member update is queued."""
        self._chat.blocked = True
        self._member_update(self._chat, {"status": "member"}, {"status": "kicked", "until_date": 0})
        self._last_action = self._fake.state.seq

    def unblock_bot(self) -> None:
        self._chat.blocked = False
        self._member_update(self._chat, {"status": "kicked", "until_date": 0}, {"status": "member"})

    def add_bot_to_group(
        self, title: str = "Рабочая группа", *, supergroup: bool = False, admin: bool = False
    ) -> Group:
        state = self._fake.state
        kind = SUPERGROUP if supergroup else GROUP
        chat = state.add_chat(kind, title, bot_status="administrator" if admin else "member")
        new = _ADMIN if admin else {"status": "member"}
        self._member_update(chat, {"status": "left"}, new)
        group = Group(self._fake, chat)
        group._incoming(self.user, extra={"new_chat_members": [state.bot.to_api()]})
        return group

    def remove_bot_from_group(self, group: Group) -> None:
        old = _ADMIN if group.record.bot_status == "administrator" else {"status": "member"}
        group.record.bot_status = "kicked"
        self._member_update(group.record, old, {"status": "kicked", "until_date": 0})

    def post(self, group: Group, text: str, *, reply_to: MessageRef | None = None) -> MessageView:
        return group.post(self, text, reply_to=reply_to)


_ADMIN: Json = {
    "status": "administrator",
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_send_welcome_messages": False,
}


class Press:
    """One press of an inline button (a callback_query update)."""

    def __init__(self, fake: FakeTelegram, query: CallbackQueryRecord) -> None:
        self._fake = fake
        self._query = query

    @property
    def query_id(self) -> str:
        return self._query.id

    @property
    def data(self) -> str:
        return self._query.data

    @property
    def message(self) -> MessageView:
        return self._query.message.view()

    @property
    def answer(self) -> CallbackAnswer | None:
        return self._query.answer

    async def answered(self, timeout: float = WAIT) -> CallbackAnswer:  # noqa: ASYNC109
        """Wait until the bot answers this query (answerCallbackQuery)."""
        answer = await self._fake.notifier.wait_until(lambda: self._query.answer, timeout)
        if answer is None:
            raise AssertionError(f"the bot did not answer the press {self.data!r} in {timeout} s")
        return answer


class Group(_ChatSide):
    """A group or supergroup with the bot in it."""

    @property
    def record(self) -> ChatRecord:
        return self._chat

    @property
    def id(self) -> int:
        return self._chat.id

    @property
    def title(self) -> str:
        return self._chat.title or ""

    def post(self, person: Person, text: str, *, reply_to: MessageRef | None = None) -> MessageView:
        target = self._record(reply_to) if reply_to is not None else None
        return self._incoming(
            person.user, text=text, entities=_command_entities(text), reply_to=target
        )

    def _delivered(self, record: MessageRecord) -> bool:
        if self._chat.bot_status not in {"member", "administrator"}:
            return False
        if not self._fake.group_privacy or record.extra:
            return True
        text = record.text or ""
        mention = f"@{self._fake.bot.username}"
        replied_to_bot = record.reply_to is not None and record.reply_to.from_bot
        return text.startswith("/") or mention in text or replied_to_bot


class Channel:
    """A channel; its posts can be forwarded to the bot."""

    def __init__(self, fake: FakeTelegram, chat: ChatRecord) -> None:
        self._fake = fake
        self.record = chat

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def title(self) -> str:
        return self.record.title or ""

    @property
    def username(self) -> str | None:
        return self.record.username

    def post(self, text: str) -> MessageView:
        record = self._fake.state.add_message(self.record, sender_chat=self.record, text=text)
        return record.view()

    def messages(self) -> list[MessageView]:
        return [m.view() for m in self.record.shown()]


class People:
    """Creates the people and chats of a test: `telegram.people.create(...)`."""

    def __init__(self, fake: FakeTelegram) -> None:
        self._fake = fake

    def create(
        self,
        first_name: str = "Анна",
        last_name: str | None = None,
        username: str | None = None,
        *,
        user_id: int | None = None,
        language_code: str | None = "ru",
        hide_forwards: bool = False,
    ) -> Person:
        user = self._fake.state.add_user(
            first_name,
            last_name,
            username,
            user_id=user_id,
            language_code=language_code,
            hide_forwards=hide_forwards,
        )
        return Person(self._fake, user)

    def get(self, user_id: int) -> Person:
        return Person(self._fake, self._fake.state.users[user_id])

    def channel(
        self,
        title: str = "Новости района",
        username: str | None = None,
        *,
        bot_is_admin: bool = False,
    ) -> Channel:
        chat = self._fake.state.add_chat(
            CHANNEL, title, username, bot_status="administrator" if bot_is_admin else "left"
        )
        return Channel(self._fake, chat)
