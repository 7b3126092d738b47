"""The fake Telegram Bot API server: HTTP front, webhook delivery and the test-side facade."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from .clock import FakeClock, Notifier
from .faults import DROP, SLOW, Faults
from .limits import RateLimits
from .methods import BotApi
from .people import People
from .protocol import NOT_FOUND, UNAUTHORIZED, ApiError, Json, Params, Upload
from .state import MessageRecord, MessageView, State, UpdateEntry, UserRecord
from .waits import WAIT

DEFAULT_TOKEN = "7000000001:AAFakeTelegramTokenForOtklikE2eTests01"
MAX_UPLOAD = 64 * 1024 * 1024


@dataclass(frozen=True)
class ApiCall:
    """One Bot API call as the fake saw it; status 0 means the connection was dropped."""

    method: str
    params: Json
    files: dict[str, int]
    status: int
    description: str | None
    result: Any
    via: str
    at: float

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass(frozen=True)
class WebhookDelivery:
    update_id: int
    url: str
    secret_token: str | None
    status: int | None
    error: str | None
    reply_method: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _Stop:
    pass


_STOP = _Stop()


class FakeTelegram:
    """A fake Bot API server for one bot, reachable over HTTP on 127.0.0.1.

    Runs in the event loop that calls `start()`; use every test-side API from that loop.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "otklik_test_bot",
        bot_name: str = "Отклик (тест)",
        host: str = "127.0.0.1",
        seed: int = 0,
    ) -> None:
        self.token = token
        self.host = host
        self.clock = FakeClock()
        self.notifier = Notifier()
        self.faults = Faults(seed)
        self.bot = UserRecord(int(token.split(":", 1)[0]), bot_name, None, bot_username, True)
        self.state = State(self.clock, self.notifier, self.bot, self.faults)
        self.limits = RateLimits(self.clock)
        self.api = BotApi(self.state, self.limits, self._webhook_changed)
        self.people = People(self)
        self.calls: list[ApiCall] = []
        self.arrivals: Counter[str] = Counter()
        self.deliveries: list[WebhookDelivery] = []
        self.group_privacy = False
        self.webhook_retry_delay = 0.05
        self.webhook_max_retry_delay = 1.0
        self.webhook_timeout = 10.0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self.base_url = ""

    # --- lifecycle ---

    @property
    def api_base(self) -> str:
        """What `TelegramAPIServer.from_base()` wants: `http://127.0.0.1:PORT`."""
        return self.base_url

    async def start(self, port: int = 0) -> str:
        app = web.Application(client_max_size=MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, port)
        await site.start()
        address = self._runner.addresses[0]
        self.base_url = f"http://{self.host}:{address[1]}"
        self._session = aiohttp.ClientSession()
        self.api.stopping = False
        return self.base_url

    async def stop(self) -> None:
        self.api.stopping = True
        self.notifier.notify()
        await self._cancel_webhook()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def reset(self) -> None:
        """Forget chats, people, messages, updates, faults, limits and records; keep the bot.

        Ids (users, chats, updates, files) keep growing so a long-running bot never sees one
        twice; the fake clock never goes back; the bot's commands are kept.
        """
        self._cancel_webhook_nowait()
        self.state.clear()
        self.faults.clear()
        self.limits.reset()
        self.calls.clear()
        self.deliveries.clear()
        self.group_privacy = False

    # --- test-side queries ---

    def calls_to(self, *methods: str) -> list[ApiCall]:
        wanted = {m.lower() for m in methods}
        return [c for c in self.calls if c.method.lower() in wanted]

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        timeout: float = WAIT,  # noqa: ASYNC109
    ) -> ApiCall:
        """Wait until a finished call to `method` (matching `predicate`) is recorded."""

        def found() -> ApiCall | None:
            for call in self.calls:
                if call.method.lower() == method.lower() and (predicate is None or predicate(call)):
                    return call
            return None

        call = await self.notifier.wait_until(found, timeout)
        if call is None:
            raise AssertionError(f"no {method} call within {timeout} s")
        return call

    async def wait_for_arrival(
        self,
        method: str,
        count: int = 1,
        timeout: float = WAIT,  # noqa: ASYNC109
    ) -> None:
        """Wait until `count` requests to `method` have arrived (finished or not).

        `arrivals` is never reset, so read it first: `n = telegram.arrivals["getupdates"]`,
        then `await telegram.wait_for_arrival("getUpdates", n + 1)`.
        """
        key = method.lower()
        if await self.notifier.wait_until(lambda: self.arrivals[key] >= count or None, timeout):
            return
        raise AssertionError(f"fewer than {count} {method} requests within {timeout} s")

    async def wait_until(self, check: Callable[[], Any], timeout: float = WAIT) -> Any:  # noqa: ASYNC109
        """Wait until `check()` returns something truthy (re-checked on every change)."""
        value = await self.notifier.wait_until(lambda: check() or None, timeout)
        if value is None:
            raise AssertionError(f"condition not met within {timeout} s")
        return value

    def messages(self, chat_id: int) -> list[MessageView]:
        chat = self.state.chats.get(chat_id)
        return [m.view() for m in chat.shown()] if chat else []

    def message(self, chat_id: int, message_id: int) -> MessageRecord | None:
        chat = self.state.chats.get(chat_id)
        return chat.messages.get(message_id) if chat else None

    @property
    def pending_updates(self) -> list[Json]:
        return [entry.to_api() for entry in self.state.pending]

    def push_update(self, payload: Json, *, batch_break: bool = False) -> None:
        """Queue a raw update body (without update_id), e.g. {"message": {...}}."""
        self.state.push_update(payload, batch_break=batch_break)

    def release_held_updates(self) -> None:
        """Queue updates held by `faults.reorder_updates` before the count was reached."""
        for payload, batch_break in reversed(self.faults.flush_held()):
            self.state.push_update(payload, batch_break=batch_break)

    def commands(self, scope: Json | None = None, language_code: str = "") -> list[Json]:
        key = json.dumps(scope or {"type": "default"}, sort_keys=True), language_code
        return list(self.state.commands.get(key, []))

    # --- the core: one API call ---

    async def execute(
        self, method: str, params: Params, via: str = "http"
    ) -> tuple[int, Json] | None:
        """Run one call through faults and the method; None means drop the connection."""
        chat_id = self.state.chat_id_of(params.text("chat_id"))
        rule = self.faults.pick(method, chat_id)
        if rule is not None and rule.kind == SLOW:
            await asyncio.sleep(rule.delay)
            rule = None
        body: Json | None
        if rule is None:
            try:
                result = await self.api.call(method, params)
                status, body = 200, {"ok": True, "result": result}
            except ApiError as error:
                status, body = error.status, error.body()
        elif rule.kind == DROP:
            status, body = 0, None
        else:
            status, body = rule.status, rule.body()
        self.calls.append(
            ApiCall(
                method=method,
                params=params.decoded(),
                files={name: len(upload.data) for name, upload in params.files.items()},
                status=status,
                description=None if body is None else body.get("description"),
                result=None if body is None else body.get("result"),
                via=via,
                at=self.clock.monotonic(),
            )
        )
        self.notifier.notify()
        return None if body is None else (status, body)

    # --- HTTP ---

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(UNAUTHORIZED)
        params = await _read_params(request)
        self.arrivals[request.match_info["method"].lower()] += 1
        self.notifier.notify()
        outcome = await self.execute(request.match_info["method"], params)
        if outcome is None:
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        status, body = outcome
        return web.json_response(body, status=status, dumps=_dumps)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(UNAUTHORIZED)
        record = self.state.file_by_path(request.match_info["path"])
        if record is None:
            return _error(NOT_FOUND)
        content_type = record.mime_type or (
            "image/jpeg" if record.kind == "photo" else "application/octet-stream"
        )
        return web.Response(body=record.data, content_type=content_type)

    async def _handle_unknown(self, request: web.Request) -> web.StreamResponse:
        return _error(NOT_FOUND)

    # --- webhook delivery ---

    def _webhook_changed(self) -> None:
        self._cancel_webhook_nowait()
        hook = self.state.webhook
        if hook.url and self._session is not None:
            self._webhook_task = asyncio.get_running_loop().create_task(
                self._webhook_loop(hook.generation)
            )

    def _cancel_webhook_nowait(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _cancel_webhook(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _webhook_loop(self, generation: int) -> None:
        state = self.state

        def next_entry() -> UpdateEntry | _Stop | None:
            if state.webhook.generation != generation or self.api.stopping:
                return _STOP
            batch = state.take_batch(1, state.webhook.allowed_updates)
            return batch[0] if batch else None

        while True:
            entry: UpdateEntry | _Stop | None = await self.notifier.wait_until(next_entry, 3600.0)
            if entry is None:
                continue
            if isinstance(entry, _Stop):
                return
            delay = self.webhook_retry_delay
            while not await self._deliver(entry):
                if state.webhook.generation != generation:
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.webhook_max_retry_delay)
            for index, pending in enumerate(state.pending):
                if pending is entry:
                    del state.pending[index]
                    break
            state.changed()

    async def _deliver(self, entry: UpdateEntry) -> bool:
        hook = self.state.webhook
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        status: int | None = None
        error: str | None = None
        reply: tuple[str, Params] | None = None
        try:
            async with self._session.post(
                hook.url,
                data=_dumps(entry.to_api()),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
            ) as response:
                status = response.status
                if 200 <= status < 300:
                    reply = await _read_reply(response)
                else:
                    error = f"Wrong response from the webhook: {status} {response.reason}"
        except aiohttp.ClientConnectorError:
            error = "Connection refused"
        except (aiohttp.ClientError, TimeoutError) as e:
            error = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        self.deliveries.append(
            WebhookDelivery(
                entry.update_id,
                hook.url,
                hook.secret_token,
                status,
                error,
                reply[0] if reply else None,
            )
        )
        if error is not None:
            hook.last_error_date = self.state.now()
            hook.last_error_message = error
            self.state.changed()
            return False
        if reply is not None:
            await self.execute(reply[0], reply[1], via="webhook")
        self.state.changed()
        return True


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _error(error: ApiError) -> web.Response:
    return web.json_response(error.body(), status=error.status, dumps=_dumps)


async def _read_params(request: web.Request) -> Params:
    params = Params(dict(request.query))
    if request.method != "POST" or not request.can_read_body:
        return params
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.fields.update(Params.of(body).fields)
        return params
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            params.files[key] = Upload(key, value.filename, value.file.read(), value.content_type)
        elif isinstance(value, bytes | bytearray):
            params.fields[key] = bytes(value).decode("utf-8")
        else:
            params.fields[key] = str(value)
    return params


async def _read_reply(response: aiohttp.ClientResponse) -> tuple[str, Params] | None:
    """A method the bot answered inside the webhook response (JSON or multipart)."""
    if response.content_type == "application/json":
        try:
            body = await response.json()
        except (ValueError, aiohttp.ContentTypeError):
            return None
        if isinstance(body, dict) and isinstance(body.get("method"), str):
            method = body.pop("method")
            return method, Params.of(body)
        return None
    if not response.content_type.startswith("multipart/"):
        return None
    params = Params()
    reader = aiohttp.MultipartReader(response.headers, response.content)
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
            continue
        if part.filename:
            data = bytes(await part.read(decode=False))
            params.files[part.name] = Upload(part.name, part.filename, data)
        else:
            params.fields[part.name] = await part.text()
    method = params.fields.pop("method", None)
    return (method, params) if method else None
