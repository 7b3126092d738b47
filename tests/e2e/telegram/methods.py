"""The Bot API methods the fake implements, with Telegram's checks and error texts."""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Awaitable, Callable
from typing import Any

from . import formatting
from .limits import RateLimits
from .protocol import (
    CONFLICT_POLLING,
    CONFLICT_WEBHOOK,
    NOT_FOUND,
    ApiError,
    Json,
    Params,
    bad_request,
    forbidden,
    too_many_requests,
)
from .state import (
    CHANNEL,
    PRIVATE,
    CallbackAnswer,
    ChatRecord,
    FileRecord,
    MessageRecord,
    State,
)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_DOWNLOAD = 20 * 1024 * 1024
MAX_LONG_POLL = 50
DELETE_WINDOW = 48 * 3600
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
WRONG_FILE = "wrong file identifier/HTTP URL specified"
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
MEDIA_KINDS = ("photo", "video", "document", "audio")

_BUTTON_ACTIONS = frozenset(
    {
        "callback_data",
        "url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "login_url",
        "web_app",
        "copy_text",
        "callback_game",
        "pay",
    }
)

Handler = Callable[[Params], Awaitable[Any]]


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


class BotApi:
    def __init__(
        self,
        state: State,
        limits: RateLimits,
        on_webhook_change: Callable[[], None],
        callback_query_ttl: float = 15 * 60,
    ) -> None:
        self.state = state
        self.limits = limits
        self.on_webhook_change = on_webhook_change
        self.callback_query_ttl = callback_query_ttl
        self.stopping = False
        self.handlers: dict[str, Handler] = {
            name.lower(): handler
            for name, handler in {
                "getMe": self.get_me,
                "getUpdates": self.get_updates,
                "setWebhook": self.set_webhook,
                "deleteWebhook": self.delete_webhook,
                "getWebhookInfo": self.get_webhook_info,
                "sendMessage": self.send_message,
                "sendPhoto": self.send_photo,
                "sendVideo": self.send_video,
                "sendDocument": self.send_document,
                "sendMediaGroup": self.send_media_group,
                "copyMessage": self.copy_message,
                "forwardMessage": self.forward_message,
                "editMessageText": self.edit_message_text,
                "editMessageCaption": self.edit_message_caption,
                "editMessageReplyMarkup": self.edit_message_reply_markup,
                "deleteMessage": self.delete_message,
                "answerCallbackQuery": self.answer_callback_query,
                "getFile": self.get_file,
                "setMyCommands": self.set_my_commands,
                "getMyCommands": self.get_my_commands,
                "deleteMyCommands": self.delete_my_commands,
                "sendChatAction": self.send_chat_action,
                "getChat": self.get_chat,
                "pinChatMessage": self.pin_chat_message,
                "unpinChatMessage": self.unpin_chat_message,
            }.items()
        }

    async def call(self, method: str, params: Params) -> Any:
        handler = self.handlers.get(method.lower())
        if handler is None:
            raise NOT_FOUND
        return await handler(params)

    # --- bot and updates ---

    async def get_me(self, p: Params) -> Any:
        return {
            **self.state.bot.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, p: Params) -> Any:
        state = self.state
        if state.webhook.url:
            raise CONFLICT_WEBHOOK
        offset = p.integer("offset") or 0
        limit = min(max(p.integer("limit") or 100, 1), 100)
        timeout = min(max(p.integer("timeout") or 0, 0), MAX_LONG_POLL)
        allowed = p.json_value("allowed_updates")
        if isinstance(allowed, list):
            state.allowed_updates = [str(kind) for kind in allowed]
        state.poll_generation += 1
        generation = state.poll_generation
        state.confirm(offset)

        def ready() -> list[Json] | ApiError | None:
            if state.poll_generation != generation:
                return CONFLICT_POLLING
            if state.webhook.url:
                return CONFLICT_WEBHOOK
            if self.stopping:
                return []
            batch = state.take_batch(limit, state.allowed_updates)
            return [entry.to_api() for entry in batch] or None

        result = await state.notifier.wait_until(ready, float(timeout))
        if isinstance(result, ApiError):
            raise result
        return result or []

    async def set_webhook(self, p: Params) -> Any:
        url = p.text("url") or ""
        secret = p.text("secret_token")
        if secret is not None and not (
            1 <= len(secret) <= 256 and all(c.isalnum() or c in "_-" for c in secret)
        ):
            raise bad_request("secret token contains unallowed characters")
        hook = self.state.webhook
        if p.flag("drop_pending_updates"):
            self.state.pending.clear()
        hook.url = url
        hook.secret_token = secret if url else None
        hook.max_connections = p.integer("max_connections") or 40
        allowed = p.json_value("allowed_updates")
        if isinstance(allowed, list):
            hook.allowed_updates = [str(kind) for kind in allowed]
        hook.last_error_date = None
        hook.last_error_message = None
        hook.generation += 1
        self.state.changed()
        self.on_webhook_change()
        return True

    async def delete_webhook(self, p: Params) -> Any:
        hook = self.state.webhook
        if p.flag("drop_pending_updates"):
            self.state.pending.clear()
        hook.url = ""
        hook.secret_token = None
        hook.generation += 1
        self.state.changed()
        self.on_webhook_change()
        return True

    async def get_webhook_info(self, p: Params) -> Any:
        hook = self.state.webhook
        info: Json = {
            "url": hook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.state.pending),
        }
        if hook.url:
            info["max_connections"] = hook.max_connections
            if hook.allowed_updates is not None:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    # --- helpers ---

    def _chat(self, p: Params, name: str = "chat_id") -> ChatRecord:
        if not p.text(name):
            raise bad_request(f"{name} is empty")
        chat = self.state.resolve_chat(p.text(name))
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _target(self, p: Params) -> ChatRecord:
        """A chat the bot may write to now."""
        chat = self._chat(p)
        if chat.type == PRIVATE:
            user = self.state.users[chat.id]
            if user.is_bot:
                raise forbidden("bot can't send messages to bots")
            if chat.blocked:
                raise forbidden("bot was blocked by the user")
            if not chat.started:
                raise forbidden("bot can't initiate conversation with a user")
        elif chat.type == CHANNEL:
            if chat.bot_status != "administrator":
                raise forbidden("bot is not a member of the channel chat")
        elif chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        elif chat.bot_status == "left":
            raise forbidden(f"bot is not a member of the {chat.type} chat")
        return chat

    def _message(self, chat: ChatRecord, message_id: int | None) -> MessageRecord | None:
        if message_id is None:
            return None
        message = chat.messages.get(message_id)
        return None if message is None or message.deleted else message

    def _format(
        self, p: Params, text_name: str, entities_name: str
    ) -> tuple[str | None, list[Json]]:
        raw = p.text(text_name)
        if raw is None:
            return None, []
        explicit = p.json_value(entities_name)
        if isinstance(explicit, list):
            return formatting.strip(raw, [dict(e) for e in explicit])
        mode = p.text("parse_mode")
        if mode and mode.lower() not in {"html", "markdown", "markdownv2"}:
            raise bad_request("unsupported parse_mode")
        try:
            text, entities = formatting.parse(raw, mode)
        except formatting.ParseError as e:
            raise bad_request(f"can't parse entities: {e}") from None
        return formatting.strip(text, entities)

    def _text(self, p: Params) -> tuple[str, list[Json]]:
        text, entities = self._format(p, "text", "entities")
        if not text:
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT:
            raise bad_request("message is too long")
        return text, entities

    def _caption(self, p: Params) -> tuple[str | None, list[Json]]:
        caption, entities = self._format(p, "caption", "caption_entities")
        if caption is not None and len(caption) > MAX_CAPTION:
            raise bad_request("message caption is too long")
        return caption or None, entities

    def _markup(self, p: Params, *, inline_only: bool = False) -> tuple[Json | None, Json | None]:
        """Validate reply_markup: (inline keyboard kept on the message, other markup)."""
        markup = p.json_value("reply_markup")
        if markup is None:
            return None, None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request("can't parse inline keyboard markup JSON object")
            for row in rows:
                for button in row:
                    self._check_button(button)
            return markup, None
        if inline_only:
            raise bad_request("can't parse inline keyboard markup JSON object")
        if not ("keyboard" in markup or markup.get("remove_keyboard") or markup.get("force_reply")):
            raise bad_request("can't parse reply keyboard markup JSON object")
        return None, markup

    @staticmethod
    def _apply_keyboard(chat: ChatRecord, markup: Json | None) -> None:
        if markup is None:
            return
        if "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None

    @staticmethod
    def _check_button(button: Any) -> None:
        if not isinstance(button, dict) or not button.get("text"):
            raise bad_request("can't parse inline keyboard button: Text must be non-empty")
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
        if not _BUTTON_ACTIONS & button.keys():
            raise bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the "
                "inline keyboard"
            )

    def _reply_to(self, p: Params, chat: ChatRecord) -> MessageRecord | None:
        params = p.json_value("reply_parameters")
        if not isinstance(params, dict):
            params = {}
            if p.integer("reply_to_message_id") is not None:
                params["message_id"] = p.integer("reply_to_message_id")
                params["allow_sending_without_reply"] = p.flag("allow_sending_without_reply")
        if params.get("message_id") is None:
            return None
        source = chat
        if params.get("chat_id") is not None:
            found = self.state.resolve_chat(str(params["chat_id"]))
            if found is None:
                raise bad_request("chat not found")
            source = found
        message = self._message(source, int(params["message_id"]))
        if message is None and not params.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        return message

    def _limit(self, method: str, chat: ChatRecord) -> None:
        hit = self.limits.check(method, chat.id, chat.type)
        if hit is not None:
            raise too_many_requests(hit.retry_after)

    def _author(self, chat: ChatRecord) -> dict[str, Any]:
        if chat.type == CHANNEL:
            return {"sender_chat": chat, "from_bot": True}
        return {"sender": self.state.bot, "from_bot": True}

    def _input_file(self, p: Params, name: str, value: str | None, kind: str) -> list[FileRecord]:
        """Resolve an uploaded part, `attach://` reference, file_id or URL into file records."""
        upload = p.files.get(name) if value is None else None
        if value is not None and value.startswith("attach://"):
            upload = p.files.get(value[len("attach://") :])
            if upload is None:
                raise bad_request(WRONG_FILE)
        if upload is not None:
            if kind == "photo":
                return self.state.add_photo(upload.data)
            return [
                self.state.add_file(
                    kind,
                    upload.data,
                    file_name=upload.filename,
                    mime_type=mimetypes.guess_type(upload.filename)[0] or upload.content_type,
                )
            ]
        if not value:
            raise bad_request(f"there is no {kind} in the request")
        if value.startswith(("http://", "https://")):
            if kind == "photo":
                return self.state.add_photo(b"", url=value)
            name_part = value.rsplit("/", 1)[-1] or None
            return [self.state.add_file(kind, b"", file_name=name_part, url=value)]
        existing = self.state.files.get(value)
        if existing is None:
            raise bad_request(WRONG_FILE)
        if existing.kind != kind:
            raise bad_request(f"can't use file of type {existing.kind.title()} as {kind.title()}")
        return list(existing.photo_sizes) if existing.photo_sizes else [existing]

    # --- sending ---

    async def send_message(self, p: Params) -> Any:
        chat = self._target(p)
        text, entities = self._text(p)
        markup, keyboard = self._markup(p)
        reply_to = self._reply_to(p, chat)
        self._limit("sendMessage", chat)
        message = self.state.add_message(
            chat,
            text=text,
            entities=entities,
            reply_markup=markup,
            reply_to=reply_to,
            **self._author(chat),
        )
        self._apply_keyboard(chat, keyboard)
        return message.to_api()

    async def _send_media(self, p: Params, kind: str) -> Any:
        chat = self._target(p)
        caption, caption_entities = self._caption(p)
        markup, keyboard = self._markup(p)
        reply_to = self._reply_to(p, chat)
        files = self._input_file(p, kind, p.text(kind), kind)
        if kind == "video":
            video = files[0]
            video.width = p.integer("width") or video.width or 1280
            video.height = p.integer("height") or video.height or 720
            video.duration = p.integer("duration") or video.duration or 0
        self._limit(f"send{kind.title()}", chat)
        message = self.state.add_message(
            chat,
            media_kind=kind,
            files=files,
            caption=caption,
            caption_entities=caption_entities,
            reply_markup=markup,
            reply_to=reply_to,
            **self._author(chat),
        )
        self._apply_keyboard(chat, keyboard)
        return message.to_api()

    async def send_photo(self, p: Params) -> Any:
        return await self._send_media(p, "photo")

    async def send_video(self, p: Params) -> Any:
        return await self._send_media(p, "video")

    async def send_document(self, p: Params) -> Any:
        return await self._send_media(p, "document")

    async def send_media_group(self, p: Params) -> Any:
        chat = self._target(p)
        media = p.json_value("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("media group must contain 2-10 items")
        kinds = {str(item.get("type")) for item in media if isinstance(item, dict)}
        if not kinds <= set(MEDIA_KINDS) or len(kinds) == 0:
            raise bad_request("wrong media type in the media group")
        for single in ("document", "audio"):
            if single in kinds and len(kinds) > 1:
                raise bad_request(f"{single}s can't be mixed with other media types")
        reply_to = self._reply_to(p, chat)
        prepared: list[tuple[str, list[FileRecord], str | None, list[Json]]] = []
        for index, item in enumerate(media):
            kind = str(item["type"])
            fields = {k: v for k, v in item.items() if k not in {"type", "media"}}
            item_params = Params.of(fields)
            item_params.files = p.files
            caption, entities = self._caption(item_params)
            files = self._input_file(p, f"media{index}", str(item.get("media") or ""), kind)
            prepared.append((kind, files, caption, entities))
        self._limit("sendMediaGroup", chat)
        group_id = str(13_000_000_000_000_000 + self.state.serial())
        messages = [
            self.state.add_message(
                chat,
                media_kind=kind,
                files=files,
                caption=caption,
                caption_entities=entities,
                media_group_id=group_id,
                reply_to=reply_to,
                **self._author(chat),
            )
            for kind, files, caption, entities in prepared
        ]
        return [m.to_api() for m in messages]

    def _source(self, p: Params, missing: str) -> MessageRecord:
        source_chat = self._chat(p, "from_chat_id")
        source = self._message(source_chat, p.integer("message_id"))
        if source is None:
            raise bad_request(missing)
        return source

    async def copy_message(self, p: Params) -> Any:
        chat = self._target(p)
        source = self._source(p, "message to copy not found")
        if source.extra:
            raise bad_request("message can't be copied")
        caption, caption_entities = source.caption, source.caption_entities
        if p.has("caption") and source.media_kind is not None:
            caption, caption_entities = self._caption(p)
        markup, keyboard = self._markup(p)
        reply_to = self._reply_to(p, chat)
        self._limit("copyMessage", chat)
        message = self.state.add_message(
            chat,
            text=source.text,
            entities=list(source.entities),
            media_kind=source.media_kind,
            files=list(source.files),
            caption=caption,
            caption_entities=caption_entities,
            reply_markup=markup,
            reply_to=reply_to,
            **self._author(chat),
        )
        self._apply_keyboard(chat, keyboard)
        return {"message_id": message.message_id}

    async def forward_message(self, p: Params) -> Any:
        chat = self._target(p)
        source = self._source(p, "message to forward not found")
        if source.extra:
            raise bad_request("message can't be forwarded")
        self._limit("forwardMessage", chat)
        message = self.state.add_message(
            chat,
            text=source.text,
            entities=list(source.entities),
            media_kind=source.media_kind,
            files=list(source.files),
            caption=source.caption,
            caption_entities=list(source.caption_entities),
            forward_origin=origin_of(source),
            **self._author(chat),
        )
        return message.to_api()

    # --- editing ---

    def _editable(self, p: Params) -> MessageRecord:
        if p.text("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._chat(p)
        message = self._message(chat, p.integer("message_id"))
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot or message.forward_origin is not None:
            raise bad_request("message can't be edited")
        return message

    def _edited(self, message: MessageRecord) -> Any:
        message.edit_date = self.state.now()
        self.state.touch(message)
        return message.to_api()

    async def edit_message_text(self, p: Params) -> Any:
        message = self._editable(p)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._text(p)
        markup, _ = self._markup(p, inline_only=True)
        if (
            text == message.text
            and _same(entities, message.entities)
            and _same(markup, message.reply_markup)
        ):
            raise bad_request(NOT_MODIFIED)
        message.text, message.entities, message.reply_markup = text, entities, markup
        return self._edited(message)

    async def edit_message_caption(self, p: Params) -> Any:
        message = self._editable(p)
        if message.media_kind is None:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._caption(p)
        markup, _ = self._markup(p, inline_only=True)
        if (
            caption == message.caption
            and _same(entities, message.caption_entities)
            and _same(markup, message.reply_markup)
        ):
            raise bad_request(NOT_MODIFIED)
        message.caption, message.caption_entities = caption, entities
        message.reply_markup = markup
        return self._edited(message)

    async def edit_message_reply_markup(self, p: Params) -> Any:
        message = self._editable(p)
        markup, _ = self._markup(p, inline_only=True)
        if _same(markup, message.reply_markup):
            raise bad_request(NOT_MODIFIED)
        message.reply_markup = markup
        return self._edited(message)

    async def delete_message(self, p: Params) -> Any:
        chat = self._chat(p)
        message = self._message(chat, p.integer("message_id"))
        if message is None:
            raise bad_request("message to delete not found")
        if chat.type != PRIVATE and not message.from_bot and chat.bot_status != "administrator":
            raise bad_request("message can't be deleted")
        if self.state.now() - message.date > DELETE_WINDOW:
            raise bad_request("message can't be deleted for everyone")
        message.deleted = True
        self.state.touch(message)
        return True

    async def answer_callback_query(self, p: Params) -> Any:
        query = self.state.queries.get(p.text("callback_query_id") or "")
        if (
            query is None
            or query.answer is not None
            or self.state.clock.monotonic() - query.created > self.callback_query_ttl
        ):
            raise bad_request(QUERY_TOO_OLD)
        query.answer = CallbackAnswer(query.id, p.text("text"), p.flag("show_alert"), p.text("url"))
        self.state.changed()
        return True

    # --- files, commands, chats ---

    async def get_file(self, p: Params) -> Any:
        record = self.state.files.get(p.text("file_id") or "")
        if record is None:
            raise bad_request("invalid file_id")
        if len(record.data) > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return record.file_api()

    def _commands_key(self, p: Params) -> tuple[str, str]:
        scope = p.json_value("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), p.text("language_code") or ""

    async def set_my_commands(self, p: Params) -> Any:
        commands = p.json_value("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            name = name.removeprefix("/")
            if not 1 <= len(name) <= 32 or not all(
                c.islower() or c.isdigit() or c == "_" for c in name
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("command description must be non-empty")
        self.state.commands[self._commands_key(p)] = [
            {"command": str(c["command"]).removeprefix("/"), "description": c["description"]}
            for c in commands
        ]
        return True

    async def get_my_commands(self, p: Params) -> Any:
        return self.state.commands.get(self._commands_key(p), [])

    async def delete_my_commands(self, p: Params) -> Any:
        self.state.commands.pop(self._commands_key(p), None)
        return True

    async def send_chat_action(self, p: Params) -> Any:
        chat = self._target(p)
        action = p.text("action") or ""
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.actions.append(action)
        self.state.changed()
        return True

    async def get_chat(self, p: Params) -> Any:
        chat = self._chat(p)
        info: Json = {
            **chat.to_api(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        pinned = self._message(chat, chat.pinned[-1]) if chat.pinned else None
        if pinned is not None:
            info["pinned_message"] = pinned.to_api(nested=True)
        return info

    async def pin_chat_message(self, p: Params) -> Any:
        chat = self._target(p)
        message = self._message(chat, p.integer("message_id"))
        if message is None:
            raise bad_request("message to pin not found")
        if message.message_id in chat.pinned:
            chat.pinned.remove(message.message_id)
        chat.pinned.append(message.message_id)
        self.state.changed()
        return True

    async def unpin_chat_message(self, p: Params) -> Any:
        chat = self._target(p)
        message_id = p.integer("message_id")
        if message_id is None:
            if chat.pinned:
                chat.pinned.pop()
        elif message_id in chat.pinned:
            chat.pinned.remove(message_id)
        else:
            raise bad_request("message to unpin not found")
        self.state.changed()
        return True


def origin_of(source: MessageRecord) -> Json:
    """The forward_origin a forward of `source` carries (Bot API 7)."""
    if source.forward_origin is not None:
        return dict(source.forward_origin)
    if source.chat.type == CHANNEL:
        return {
            "type": "channel",
            "date": source.date,
            "chat": source.chat.to_api(),
            "message_id": source.message_id,
        }
    if source.sender_chat is not None:
        return {"type": "chat", "date": source.date, "sender_chat": source.sender_chat.to_api()}
    assert source.sender is not None
    if source.sender.hide_forwards and not source.sender.is_bot:
        return {
            "type": "hidden_user",
            "date": source.date,
            "sender_user_name": source.sender.full_name,
        }
    return {"type": "user", "date": source.date, "sender_user": source.sender.to_api()}
