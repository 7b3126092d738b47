"""The composition root: settings, clock, calendar, storage and Telegram wired together."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import signal
import sys
from datetime import timedelta
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import BotCommand
from aiohttp import web

from bot.clock import FileClock, SystemClock
from bot.config import Settings
from bot.inbox import Inbox
from bot.replies import Replies
from bot.reporting import Reporting, surge_settings
from bot.responses import keep_response_models
from bot.rulers import build_rulers
from bot.scheduler import Scheduler, report_triggers
from bot.sender import Sender
from bot.throttle import Throttle
from domain.answering import Answering, AnsweringSettings
from domain.catalog import TopicCatalog
from domain.clock import Clock
from domain.deadlines import Deadlines
from domain.routing import Routing, RoutingSettings
from domain.services import Services
from domain.staffing import ensure_setup_invite, update_skipped
from domain.timers import NOTICES_LANE, REPORTS_LANE
from handlers import get_routers, staff_middleware, texts
from storage.engine import Database, StorageError, database_url, open_database
from storage.inbox import SqlInbox
from storage.uow import member_finder

log = logging.getLogger("otklik")

TOKEN_ENV = "BOT_TOKEN"
SENDER_GRACE_SECONDS = 10
UPDATES_GRACE_SECONDS = 20
REPLIES_GRACE_SECONDS = 10
"""At a stop, the chats' queued replies get this long to go out (a reply a second a chat)."""
"""At a stop, the updates in hand get this long to finish; the rest wait for the next start."""


def new_token() -> str:
    return secrets.token_urlsafe(18)


def build_clock(settings: Settings) -> Clock:
    if settings.testing.clock_file is not None:
        return FileClock(settings.testing.clock_file)
    return SystemClock()


def build_services(settings: Settings, db: Database, clock: Clock) -> Services:
    profile = settings.profile()
    rulers = build_rulers(settings)
    window = timedelta(days=settings.intake.repeat_window_days)
    routing = Routing(
        db.unit_of_work,
        clock,
        profile,
        rulers,
        RoutingSettings(
            repeat_window=window,
            surge=surge_settings(settings, profile),
            external_curator_chat_id=settings.organization.external_curator_chat_id,
        ),
    )
    catalog = (
        TopicCatalog.from_config(settings.intake.topics)
        if settings.intake.topics
        else TopicCatalog.default()
    )
    topics = tuple(
        (g.code, g.title, tuple((t.code, t.title) for t in g.topics)) for g in catalog.groups
    )
    needs_photo = {t.code for t in catalog.topics if t.needs_photo}
    silence = settings.answers.clarification_silence_days
    answering = Answering(
        db.unit_of_work,
        clock,
        profile,
        rulers,
        AnsweringSettings(
            clarification_silence=timedelta(days=silence) if silence else None,
            external_curator_chat_id=settings.organization.external_curator_chat_id,
        ),
        needs_photo=lambda topic: topic in needs_photo,
    )
    return Services(
        uow_factory=db.unit_of_work,
        answering=answering,
        clock=clock,
        profile=profile,
        rulers=rulers,
        zone=settings.organization.zone,
        routing=routing,
        organization=settings.organization.name,
        new_token=new_token,
        topics=topics,
        locations=tuple(settings.intake.locations),
        find_member=member_finder(db.sessions),
    )


def build_dispatcher(services: Services) -> Dispatcher:
    dp = Dispatcher(storage=MemoryStorage(), services=services)
    middleware = staff_middleware()
    dp.message.middleware(middleware)
    dp.callback_query.middleware(middleware)
    dp.include_routers(*get_routers())
    return dp


def stop_signals() -> asyncio.Event:
    """An event set at SIGTERM or SIGINT (what a service stop and Ctrl+C send)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


def release_signals() -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.remove_signal_handler(sig)


async def until_stopped() -> None:
    """A worker has no polling loop to stop it: wait for SIGTERM or SIGINT."""
    stop = stop_signals()
    try:
        await stop.wait()
    finally:
        release_signals()
    log.info("stopping")


def build_inbox(
    dp: Dispatcher,
    bot: Bot,
    db: Database,
    services: Services,
    settings: Settings,
    replies: Replies | None = None,
) -> Inbox:
    async def on_bad(update_id: int, reason: str) -> None:
        await update_skipped(db.unit_of_work, services.clock, update_id, reason)
        services.kick()

    hold = None
    hold_file = settings.testing.hold_updates_file
    if hold_file is not None:

        async def hold() -> None:
            while hold_file.exists():  # noqa: ASYNC110 - a file has no event to wait on
                await asyncio.sleep(0.05)

    return Inbox(
        dp, bot, SqlInbox(db.sessions), services.clock, on_bad=on_bad, hold=hold, replies=replies
    )


async def serve_polling(inbox: Inbox, settings: Settings) -> None:
    """Long polling through the inbox until SIGTERM or SIGINT; what was acknowledged is
    finished (or, past the grace, handled at the next start)."""
    stop = stop_signals()
    waiter = asyncio.create_task(stop.wait())
    waiter.add_done_callback(lambda _: inbox.stop())
    try:
        await inbox.poll(long_poll=settings.telegram.polling_timeout, grace=UPDATES_GRACE_SECONDS)
    finally:
        waiter.cancel()
        release_signals()
    log.info("polling stopped")


def webhook_secret(token: str) -> str:
    """The secret Telegram sends with each update (X-Telegram-Bot-Api-Secret-Token): derived
    from the bot token, so every restart sets the same one and nobody else can post updates."""
    return hashlib.sha256(f"otklik-webhook:{token}".encode()).hexdigest()


async def serve_webhook(inbox: Inbox, bot: Bot, settings: Settings, token: str) -> None:
    """Updates arrive as HTTP posts, through the inbox. Each is answered only once handled, so
    if the bot dies while handling one, Telegram delivers it again; an update delivered again
    once handled is answered at once and changes nothing. The webhook stays set across
    restarts: Telegram keeps what comes meanwhile."""
    url = settings.telegram.webhook_url
    assert url is not None  # validated with the settings
    host, _, port = settings.telegram.webhook_listen.rpartition(":")
    secret = webhook_secret(token)

    async def on_update(request: web.Request) -> web.StreamResponse:
        if not secrets.compare_digest(
            request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), secret
        ):
            return web.Response(status=401, text="Unauthorized")
        try:
            raw = await request.json()
            int(raw["update_id"])
        except (ValueError, KeyError, TypeError):
            return web.Response(status=400, text="Bad Request")
        tasks = await inbox.take([raw])
        if tasks:
            await asyncio.gather(*tasks)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post(urlsplit(url).path or "/", on_update)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await inbox.prune()
    await inbox.replay()
    try:
        await web.TCPSite(runner, host, int(port)).start()
        await bot.set_webhook(
            url,
            secret_token=secret,
            allowed_updates=inbox.dp.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        log.info("webhook %s served on %s", url, settings.telegram.webhook_listen)
        await until_stopped()
    finally:
        await runner.cleanup()
        await inbox.drain(UPDATES_GRACE_SECONDS)


async def _serve(settings: Settings, token: str) -> int:
    url = database_url(settings.storage.data_dir, settings.storage.url)
    try:
        db = await open_database(url, upgrade=settings.storage.upgrade_at_start)
    except StorageError as exc:
        print(f"error: storage: {exc}", file=sys.stderr)
        return 2
    clock = build_clock(settings)
    services = build_services(settings, db, clock)
    keep_response_models()
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram.api_base))
    throttle = Throttle(overall_per_second=settings.telegram.messages_per_second)
    session.middleware(throttle)
    bot = Bot(token=token, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    replies = Replies(bot)  # what handlers say without waiting (handlers/replies.py)
    throttle.replies = replies
    # Two lanes of the outbox: cards, reminders and alerts never wait behind a report being
    # made (queries over a period, a chart and a workbook rendered in another process).
    interval = settings.testing.sender_interval_seconds
    sender = Sender(services, bot, interval=interval, lane=NOTICES_LANE)
    report_sender = Sender(services, bot, interval=interval, lane=REPORTS_LANE)
    senders = (sender, report_sender)

    def kick() -> None:
        for one in senders:
            one.kick()

    services.kick = kick
    reporting = Reporting(services, db, settings)  # reports: rendered by the sender, posted by
    for one in senders:  # the sweep (bot/reporting.py)
        one.renderers.update(reporting.renderers())
    sender_tasks: list[asyncio.Task[None]] = []
    scheduler: Scheduler | None = None
    worker = settings.telegram.mode == "worker"
    try:
        me = await bot.get_me()
        services.bot_username = me.username or ""
        if not worker:
            setup = await ensure_setup_invite(db.unit_of_work, clock, new_token)
            if setup is not None:
                print(
                    texts.SETUP_LINK_CONSOLE.format(
                        link=f"https://t.me/{me.username}?start={setup}"
                    ),
                    flush=True,
                )
        log.info(
            "bot @%s started for %s (profile %s, %s, %s)",
            me.username,
            settings.organization.name,
            settings.organization.profile,
            db.backend,
            settings.telegram.mode,
        )
        if not worker:
            # /tasks finds messages under approval by whose step is kept beside them: worked
            # out anew at each start, so a changed chain of approvals finds the right people.
            await services.answering.refresh_turns()
            await bot.set_my_commands(
                [BotCommand(command=c, description=d) for c, d in texts.COMMANDS.items()]
            )
        sender_tasks = [
            asyncio.create_task(sender.run(), name="sender"),
            asyncio.create_task(report_sender.run(), name="report-sender"),
        ]
        deadlines = Deadlines(db.unit_of_work, clock, services.profile, services.rulers)
        at = reporting.schedule.weekly_time
        weekly: tuple[int, int, int] | None = (reporting.schedule.weekly_day, at.hour, at.minute)
        if not reporting.schedule.weekly:
            weekly = None
        scheduler = Scheduler(
            deadlines,
            sweep_seconds=settings.scheduler.sweep_seconds,
            on_work=kick,
            answering=services.answering,
            reports=reporting.sweep,
            report_triggers=report_triggers(
                services.zone,
                weekly=weekly,
                monthly=reporting.schedule.monthly,
                quarterly=reporting.schedule.quarterly,
            ),
        )
        await scheduler.sweep()  # what fell due while the bot was down goes out now, once
        scheduler.start()
        if worker:
            await until_stopped()
        else:
            dp = build_dispatcher(services)
            inbox = build_inbox(dp, bot, db, services, settings, replies)
            await dp.emit_startup(bot=bot, **dp.workflow_data)
            try:
                if settings.telegram.mode == "webhook":
                    await serve_webhook(inbox, bot, settings, token)
                else:
                    await bot.delete_webhook(drop_pending_updates=False)  # back from webhook mode
                    await serve_polling(inbox, settings)
            finally:
                await dp.emit_shutdown(bot=bot, **dp.workflow_data)
    finally:
        if scheduler is not None:
            scheduler.stop()
        for one in senders:
            one.stop()
        if sender_tasks:
            # Let the notice in hand finish and be recorded as sent: cancelling mid-send could
            # send it again after the restart. A sender stuck longer (a long 429) is cancelled.
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(asyncio.gather(*sender_tasks), SENDER_GRACE_SECONDS)
        await replies.drain(REPLIES_GRACE_SECONDS)
        reporting.close()
        await bot.session.close()
        await db.close()
    return 0


def run_bot(settings: Settings) -> int:
    logging.basicConfig(
        level=settings.logging.level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    # APScheduler logs every run of the sweep at INFO: several lines a second of noise.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLogger().level))
    # aiogram logs every update at INFO ("Update id=… is handled"): the inbox's own line (at
    # DEBUG) says it with the update's CPU and statements.
    logging.getLogger("aiogram.event").setLevel(max(logging.WARNING, logging.getLogger().level))
    # aiosqlite logs every statement twice at DEBUG: more CPU than the statements themselves.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, logging.getLogger().level))
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        print(f"error: set the bot token in the {TOKEN_ENV} environment variable", file=sys.stderr)
        return 2
    return asyncio.run(_serve(settings, token))
