"""APScheduler wakes the work; the database is the truth.

One interval job sweeps due timers (reminders, breaches) and, after them, the periodic reports
that are due. Each periodic report also has a cron job at its own minute (the weekly one on
Friday at 16:00, the monthly and quarterly ones when their period ends), so it goes out on the
minute rather than at the next sweep. Whoever gets there first posts it: `report_runs` in the
database lets each period's report out once, whatever the instances or restarts. A restart loses
nothing: what fell due while the bot was down is swept at start.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, tzinfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from domain.answering import Answering
from domain.deadlines import Deadlines

log = logging.getLogger("otklik.scheduler")


class Scheduler:
    def __init__(
        self,
        deadlines: Deadlines,
        *,
        sweep_seconds: float,
        on_work: Callable[[], None] | None = None,
        answering: Answering | None = None,
        reports: Callable[[], Awaitable[int]] | None = None,
        report_triggers: Sequence[CronTrigger] = (),
    ) -> None:
        self.deadlines = deadlines
        self.answering = answering
        self.reports = reports
        """Posts the periodic reports that are due (`bot.reporting.Reporting.sweep`)."""
        self.report_triggers = tuple(report_triggers)
        self.sweep_seconds = sweep_seconds
        self.on_work = on_work
        self.scheduler = AsyncIOScheduler(timezone=UTC)

    async def sweep(self) -> None:
        try:
            report = await self.deadlines.sweep()
            if self.answering is not None:
                closed = await self.answering.close_silent_clarifications()
                if closed:
                    log.info("closed %s clarifications the authors left unanswered", len(closed))
        except Exception:
            log.exception("deadline sweep failed; the next one retries")
            return
        if report.reminders or report.breaches:
            log.info("sweep: %s reminders, %s breaches", report.reminders, report.breaches)
            if self.on_work is not None:
                self.on_work()
        await self._reports()

    async def _reports(self) -> None:
        """Reports are due when their period has ended by the injected clock (the database's
        `report_runs` makes each go out once, whatever the number of instances or restarts)."""
        if self.reports is None:
            return
        try:
            queued = await self.reports()
        except Exception:
            log.exception("report sweep failed; the next one retries")
            return
        if queued and self.on_work is not None:
            log.info("reports: %s notices queued", queued)
            self.on_work()

    def start(self) -> None:
        self.scheduler.add_job(
            self.sweep,
            "interval",
            seconds=self.sweep_seconds,
            id="sweep",
            max_instances=1,
            coalesce=True,
        )
        for n, trigger in enumerate(self.report_triggers):
            self.scheduler.add_job(
                self._reports, trigger, id=f"report-{n}", max_instances=1, coalesce=True
            )
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)


def report_triggers(
    zone: tzinfo, *, weekly: tuple[int, int, int] | None, monthly: bool, quarterly: bool
) -> list[CronTrigger]:
    """Cron triggers of the periodic reports, in the organisation's zone: the weekly one at
    (weekday Monday=0, hour, minute); the monthly and quarterly ones at midnight of the 1st
    (the report sweep waits for the first working moment)."""
    triggers = []
    if weekly is not None:
        day, hour, minute = weekly
        triggers.append(CronTrigger(day_of_week=day, hour=hour, minute=minute, timezone=zone))
    if monthly:
        triggers.append(CronTrigger(day=1, hour=0, minute=0, timezone=zone))
    if quarterly and not monthly:
        triggers.append(CronTrigger(month="1,4,7,10", day=1, hour=0, minute=0, timezone=zone))
    return triggers
