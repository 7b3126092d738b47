"""Reports as people get them: a message in Russian (split within Telegram's 4,096 characters),
a chart (matplotlib, Agg) and an XLSX workbook (openpyxl), made from the database when the
notice is sent, so nothing big is ever stored in the outbox. Also the discipline log (XLSX or
CSV), surge alerts and content-plan reminders.

The outbox carries facts (`NoticeKind.REPORT` with a run id or a period); the sender hands those
notices to `Reporting.renderers()`. `Reporting.sweep` is what the scheduler's interval sweep calls
to post the periodic reports that are due (once per period, see `domain.reports.ReportJobs`).
"""

from __future__ import annotations

import asyncio
import atexit
import copyreg
import csv
import functools
import html
import io
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from multiprocessing import get_context
from types import MappingProxyType
from typing import Any, TypeVar

from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile

from bot.config import WEEKDAYS, Settings
from bot.sender import ClaimLost, Parts, Renderer
from domain.durations import ClockKind
from domain.ports import ReportRun
from domain.profiles import Profile
from domain.reports import (
    Breach,
    IncidentLine,
    Period,
    Report,
    ReportJobs,
    ReportSchedule,
    SurgeSettings,
    build_discipline,
    build_report,
    discipline_log,
    reported_before,
    responsible,
)
from domain.roles import HEADS
from domain.services import Services
from domain.timers import NoticeKind, OutboxMessage
from domain.worktime import TimeRuler
from handlers import texts
from handlers.render import timer_name
from handlers.reports import period_label
from storage.engine import Database
from storage.reports import SqlReportQueries
from storage.uow import SqlUnitOfWork

log = logging.getLogger("otklik.reports")
_T = TypeVar("_T")


def read_only(table: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(table)


def _proxy(
    mapping: MappingProxyType[Any, Any],
) -> tuple[Callable[[dict[Any, Any]], MappingProxyType[Any, Any]], tuple[dict[Any, Any]]]:
    return read_only, (dict(mapping),)


# The profile's read-only tables travel to the report worker process as what they are.
copyreg.pickle(MappingProxyType, _proxy)

TELEGRAM_TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
LINES_PER_SECTION = 15

# ---- settings ---------------------------------------------------------------------------------


def report_schedule(settings: Settings, profile: Profile) -> ReportSchedule:
    cfg = settings.reports
    periods = {spec.period.value for spec in profile.reports}
    hour, minute = (int(x) for x in cfg.weekly_time.split(":"))
    content = cfg.content_plan if cfg.content_plan is not None else bool(profile.content_plan)
    return ReportSchedule(
        zone=settings.organization.zone,
        weekly=cfg.weekly,
        weekly_day=WEEKDAYS.index(cfg.weekly_day),
        weekly_time=time(hour, minute),
        monthly=cfg.monthly if cfg.monthly is not None else "monthly" in periods,
        quarterly=cfg.quarterly if cfg.quarterly is not None else "quarterly" in periods,
        group_chat_id=cfg.group_chat_id,
        content_plan_days=cfg.content_plan_days if content else None,
    )


def surge_settings(settings: Settings, profile: Profile) -> SurgeSettings:
    """Who hears of a surge: the heads and whoever the profile alerts of significant messages."""
    return SurgeSettings(
        threshold=settings.reports.surge_threshold,
        window=timedelta(hours=settings.reports.surge_window_hours),
        alert_roles=HEADS | frozenset(profile.significant_alert),
    )


# ---- names and formats ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Names:
    staff: Mapping[int, str]
    departments: Mapping[int, str]
    leads: Mapping[int, int | None]
    topics: Mapping[str, str]
    """Topic and topic-group codes → titles."""
    profile: Profile | None = None
    """Names the timers a configured act gives its own titles."""

    def timer(self, name: str) -> str:
        return timer_name(name, self.profile)

    def topic(self, code: str | None) -> str:
        return self.topics.get(code, code) if code else texts.REPORT_NO_TOPIC

    def department(self, department_id: int | None) -> str:
        if department_id is None:
            return texts.REPORT_NO_DEPARTMENT
        return self.departments.get(department_id, str(department_id))

    def person(self, breach: Breach) -> str:
        person = responsible(breach.fact, self.leads)
        if person is not None and person in self.staff:
            return self.staff[person]
        return texts.ROLES.get(breach.fact.holder_role.value, breach.fact.holder_role.value)


def topic_titles(services: Services) -> dict[str, str]:
    titles: dict[str, str] = {}
    for group_code, group_title, topics in services.topics:
        titles[group_code] = group_title
        titles.update(topics)
    return titles


def total_timer(profile: Profile) -> str:
    """The default flow's overall deadline: an answer after it is late in the reports."""
    return profile.flow().total or "answer"


def answer_clock(profile: Profile) -> ClockKind:
    """The clock of the default flow's overall deadline: the time to answer is measured on it
    (Myasnikovsky 8: 24 plain hours), working time where the profile names none."""
    flow = profile.flow()
    spec = flow.timers.get(flow.total) if flow.total else None
    return spec.clock if spec is not None else ClockKind.WORKING


async def load_names(
    uow: SqlUnitOfWork, topics: Mapping[str, str], profile: Profile | None = None
) -> Names:
    staff = {m.id: m.full_name for m in await uow.staff.all() if m.id is not None}
    departments = [d for d in await uow.departments.all() if d.id is not None]
    return Names(
        staff=staff,
        departments={d.id: d.name for d in departments if d.id is not None},
        leads={d.id: d.lead_id for d in departments if d.id is not None},
        topics=topics,
        profile=profile,
    )


def hours(delta: timedelta | None) -> str:
    """Working time as hours and minutes (never days: a working day is not 24 hours)."""
    if delta is None:
        return texts.REPORT_NO_VALUE
    minutes = max(0, int(delta.total_seconds())) // 60
    h, m = divmod(minutes, 60)
    return texts.REPORT_HOURS.format(h=h, m=m) if h else texts.REPORT_MINUTES.format(m=m)


def _local(moment: datetime, zone: tzinfo) -> datetime:
    return moment.astimezone(zone)


def _signed(delta: int) -> str:
    return f"+{delta}" if delta > 0 else (f"−{-delta}" if delta < 0 else "0")


def _signed_time(now: timedelta | None, before: timedelta | None) -> str:
    if now is None or before is None:
        return texts.REPORT_NO_VALUE
    delta = now - before
    sign = "+" if delta > timedelta(0) else ("−" if delta < timedelta(0) else "")
    return sign + hours(abs(delta))


def split_message(lines: Iterable[str], limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Whole lines per message, each message within `limit` characters (a longer line is cut:
    lines carry no open HTML tags across their end, so cutting between lines is safe)."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if len(line) > limit:
            line = line[: limit - 1] + "…"
        if current and size + 1 + len(line) > limit:
            chunks.append("\n".join(current))
            current, size = [], 0
        size += len(line) + (1 if current else 0)
        current.append(line)
    if current:
        chunks.append("\n".join(current))
    return chunks


def _top(items: Sequence[tuple[str, int]], n: int = LINES_PER_SECTION) -> list[str]:
    shown = [texts.REPORT_LINE.format(name=html.escape(name), count=c) for name, c in items[:n]]
    rest = sum(c for _, c in items[n:])
    if rest:
        shown.append(texts.REPORT_LINE.format(name="…", count=rest))
    return shown


def report_lines(
    report: Report, names: Names, *, organization: str, clause: str | None, zone: tzinfo
) -> list[str]:
    """The report as lines of HTML text, in the order the head reads it."""
    h = report.headline
    start, end = period_label(report.period, zone)
    title = texts.REPORT_TITLES[report.period.kind.value]
    lines = [
        f"<b>{title}{texts.REPORT_CLAUSE.format(clause=clause) if clause else ''}</b>",
        html.escape(organization),
        texts.REPORT_PERIOD.format(start=start, end=end),
        "",
        texts.REPORT_TOTAL.format(total=h.total),
        texts.REPORT_ANSWERS.format(on_time=h.on_time, late=h.late, open=h.open, overdue=h.overdue),
        texts.REPORT_OTHER.format(
            not_subject=h.not_subject, closed=h.closed_other, repeated=h.repeated
        ),
        texts.REPORT_TIMES.format(
            unit=texts.REPORT_TIME_UNITS[report.answer_clock.value],
            median=hours(report.median),
            p90=hours(report.p90),
            count=report.measured,
        )
        if report.measured
        else texts.REPORT_TIMES_NONE,
    ]
    if report.breakdowns.topics:
        lines += ["", texts.REPORT_TOPICS]
        groups: dict[str | None, list[tuple[str | None, int]]] = {}
        for group, topic, count in report.breakdowns.topics:
            groups.setdefault(group, []).append((topic, count))
        ordered = sorted(groups.items(), key=lambda kv: -sum(c for _, c in kv[1]))
        for group, topics in ordered[:LINES_PER_SECTION]:
            lines.append(
                texts.REPORT_TOPIC_GROUP.format(
                    group=html.escape(names.topic(group)), count=sum(c for _, c in topics)
                )
            )
            for topic, count in topics:
                if topic is not None:
                    lines.append(
                        texts.REPORT_TOPIC.format(
                            topic=html.escape(names.topic(topic)), count=count
                        )
                    )
    if report.breakdowns.locations:
        lines += ["", texts.REPORT_LOCATIONS]
        lines += _top(
            [(loc or texts.REPORT_NO_LOCATION, c) for loc, c in report.breakdowns.locations]
        )
    if report.breakdowns.importance:
        lines += ["", texts.REPORT_IMPORTANCE]
        lines += _top([(texts.IMPORTANCE.get(i, i), c) for i, c in report.breakdowns.importance])
    if report.departments:
        lines += ["", texts.REPORT_DEPARTMENTS]
        for d in report.departments:
            c = d.counts
            lines.append(
                texts.REPORT_DEPARTMENT.format(
                    name=html.escape(names.department(d.department_id)),
                    total=c.total,
                    on_time=c.on_time,
                    late=c.late,
                    open=c.open,
                )
            )
    lines.append("")
    if report.breach_count:
        lines.append(texts.REPORT_BREACHES.format(count=report.breach_count))
        for b in report.breaches:
            lines.append(breach_line(b, names, zone))
        if report.breach_count > len(report.breaches):
            lines.append(
                texts.REPORT_BREACHES_MORE.format(count=report.breach_count - len(report.breaches))
            )
    else:
        lines.append(texts.REPORT_NO_BREACHES)
    if report.quality is not None:
        q = report.quality
        reactions = ", ".join(f"{texts.REACTIONS.get(r, r)} — {c}" for r, c in q.reactions)
        lines += [
            "",
            texts.REPORT_QUALITY,
            texts.REPORT_REVISIONS.format(count=q.revisions),
            texts.REPORT_INTERMEDIATE.format(count=q.intermediate),
            texts.REPORT_REPEATED.format(count=h.repeated),
            texts.REPORT_REACTIONS.format(reactions=reactions)
            if reactions
            else texts.REPORT_REACTIONS_NONE,
        ]
    if report.previous is not None:
        before = report.previous
        prev_start, prev_end = period_label(report.period.previous(zone), zone)
        what = texts.REPORT_DYNAMICS_WHAT
        figures = (
            ("total", h.total, before.headline.total),
            ("on_time", h.on_time, before.headline.on_time),
            ("late", h.late, before.headline.late),
            ("breaches", report.breach_count, before.breaches),
        )
        lines += ["", texts.REPORT_DYNAMICS.format(start=prev_start, end=prev_end)]
        for key, now_value, before_value in figures:
            lines.append(
                texts.REPORT_DYNAMICS_LINE.format(
                    what=what[key],
                    value=now_value,
                    before=before_value,
                    delta=_signed(now_value - before_value),
                )
            )
        lines.append(
            texts.REPORT_DYNAMICS_LINE.format(
                what=what["median"],
                value=hours(report.median),
                before=hours(before.median),
                delta=_signed_time(report.median, before.median),
            )
        )
    return lines


def breach_line(b: Breach, names: Names, zone: tzinfo) -> str:
    f = b.fact
    line = texts.REPORT_BREACH.format(
        number=html.escape(f.number or str(f.incident_id)),
        department=html.escape(names.department(f.department_id)),
        who=html.escape(names.person(b)),
        what=names.timer(f.timer),
        clause=html.escape(f.clause),
        due=_local(f.due_at, zone).strftime("%d.%m.%Y %H:%M"),
        overdue=hours(b.overdue),
    )
    return line + (texts.REPORT_BREACH_OPEN if f.done_at is None else "")


# ---- chart and workbook -----------------------------------------------------------------------


def render_chart(report: Report, names: Names, zone: tzinfo) -> bytes:
    """PNG: incidents by topic, the on-time share per department, incidents per week."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 12), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    top, middle, bottom = fig.subplots(3, 1)

    topics = [(names.topic(t or g), c) for g, t, c in report.breakdowns.topics][:10]
    top.set_title(texts.CHART_TOPICS)
    if topics:
        labels = [_short(label) for label, _ in reversed(topics)]
        top.barh(labels, [c for _, c in reversed(topics)], color="#4C72B0")
    else:
        top.text(0.5, 0.5, texts.CHART_EMPTY, ha="center", va="center")

    shares = [
        (names.department(d.department_id), d.on_time_share)
        for d in report.departments
        if d.on_time_share is not None
    ][:12]
    middle.set_title(texts.CHART_ON_TIME)
    if shares:
        middle.barh(
            [_short(n) for n, _ in reversed(shares)],
            [round(100 * (s or 0)) for _, s in reversed(shares)],
            color="#55A868",
        )
        middle.set_xlim(0, 100)
    else:
        middle.text(0.5, 0.5, texts.CHART_EMPTY, ha="center", va="center")

    bottom.set_title(texts.CHART_TREND)
    weeks = [_local(w, zone).strftime("%d.%m") for w, _ in report.trend]
    bottom.plot(weeks, [c for _, c in report.trend], marker="o", color="#C44E52")
    bottom.set_ylim(bottom=0)
    bottom.grid(alpha=0.3)

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _naive(moment: datetime | None, zone: tzinfo) -> datetime | None:
    """Excel keeps no zones: local wall-clock time."""
    return None if moment is None else _local(moment, zone).replace(tzinfo=None)


def _hours_number(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def incident_row(line: IncidentLine, names: Names, zone: tzinfo, working: TimeRuler) -> list[Any]:
    to_answer = (
        _hours_number(working.between(line.detected_at, line.answered_at))
        if line.answered_at is not None and line.answered_at > line.detected_at
        else (0.0 if line.answered_at is not None else None)
    )
    on_time = None if line.answered_at is None else (texts.NO if line.late else texts.YES)
    return [
        line.number or str(line.id),
        _naive(line.detected_at, zone),
        texts.NETWORKS.get(line.network, line.network),
        names.topic(line.topic_group) if line.topic_group else "",
        names.topic(line.topic) if line.topic else "",
        line.location or "",
        texts.IMPORTANCE.get(line.importance, line.importance),
        texts.STATUSES.get(line.status, line.status),
        ", ".join(names.department(d) for d in line.departments),
        _naive(line.answered_at, zone),
        _naive(line.answer_due, zone),
        on_time,
        to_answer,
        texts.YES if line.repeated else texts.NO,
        texts.OUTCOMES.get(line.outcome, line.outcome) if line.outcome else "",
        texts.REACTIONS.get(line.reaction, line.reaction) if line.reaction else "",
    ]


def breach_row(b: Breach, names: Names, zone: tzinfo) -> list[Any]:
    f = b.fact
    return [
        f.number or str(f.incident_id),
        names.department(f.department_id),
        names.person(b),
        texts.ROLES.get(f.holder_role.value, f.holder_role.value),
        names.timer(f.timer),
        f.clause,
        _naive(f.started_at, zone),
        _naive(f.due_at, zone),
        _naive(f.done_at, zone),
        _hours_number(b.overdue),
        texts.CLOCK_KINDS.get(f.clock.value, f.clock.value),
    ]


def _workbook(sheets: Sequence[tuple[str, Sequence[str], Iterable[list[Any]]]]) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append(list(header))
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def render_workbook(
    lines: Sequence[IncidentLine],
    breaches: Sequence[Breach],
    names: Names,
    zone: tzinfo,
    working: TimeRuler,
) -> bytes:
    """One row per incident of the period, and a sheet of every breach."""
    return _workbook(
        [
            (
                texts.XLSX_INCIDENTS,
                texts.XLSX_INCIDENT_HEADER,
                (incident_row(line, names, zone, working) for line in lines),
            ),
            (
                texts.XLSX_BREACHES,
                texts.XLSX_BREACH_HEADER,
                (breach_row(b, names, zone) for b in breaches),
            ),
        ]
    )


def render_files(
    report: Report,
    lines: Sequence[IncidentLine],
    breaches: Sequence[Breach],
    names: Names,
    zone: tzinfo,
    working: TimeRuler,
) -> tuple[bytes, bytes]:
    """The report's chart and workbook (run in the report worker process)."""
    return render_chart(report, names, zone), render_workbook(lines, breaches, names, zone, working)


def _discipline_rows(breaches: Sequence[Breach], names: Names, zone: tzinfo) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for person in discipline_log(breaches, names.leads):
        rows.extend(breach_row(b, names, zone) for b in person.breaches)
    return rows


def render_discipline(breaches: Sequence[Breach], names: Names, zone: tzinfo, fmt: str) -> bytes:
    """The breaches per person: XLSX, or CSV (semicolons, UTF-8 with BOM, as Excel reads it)."""
    rows = _discipline_rows(breaches, names, zone)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(texts.XLSX_BREACH_HEADER)
        for row in rows:
            writer.writerow(
                [v.strftime("%d.%m.%Y %H:%M") if isinstance(v, datetime) else v for v in row]
            )
        return buffer.getvalue().encode("utf-8-sig")
    return _workbook([(texts.XLSX_BREACHES, texts.XLSX_BREACH_HEADER, rows)])


def discipline_lines(
    breaches: Sequence[Breach], names: Names, period: Period, zone: tzinfo
) -> list[str]:
    start, end = period_label(period, zone)
    lines = [texts.DISCIPLINE_TITLE.format(start=start, end=end)]
    people = discipline_log(breaches, names.leads)
    if not people:
        lines.append(texts.DISCIPLINE_NONE)
    for person in people:
        name = (
            names.staff.get(person.person_id, str(person.person_id))
            if person.person_id is not None
            else texts.ROLES.get(person.role.value, person.role.value)
        )
        lines.append(
            texts.DISCIPLINE_PERSON.format(
                name=html.escape(name),
                count=len(person.breaches),
                overdue=hours(person.total_overdue),
            )
        )
    return lines


# ---- delivery ---------------------------------------------------------------------------------


_pool: ProcessPoolExecutor | None = None


async def render_elsewhere(make: Callable[..., _T], *args: Any) -> _T:
    """`make(*args)` in a report worker process (a new one for each drawing)."""
    global _pool
    if _pool is None:
        # A fresh process per report: its memory (matplotlib, a quarter's rows) is given back
        # when the report is drawn, instead of staying beside the bot for its whole life.
        _pool = ProcessPoolExecutor(
            max_workers=1, mp_context=get_context("spawn"), max_tasks_per_child=1
        )
        atexit.register(close_renderer)
    try:
        return await asyncio.get_running_loop().run_in_executor(_pool, make, *args)
    except BrokenProcessPool:
        _pool = None  # the worker died (killed, out of memory): a new one next time
        raise


def close_renderer() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


class Reporting:
    """The periodic reports' sweep and the rendering of report notices."""

    def __init__(self, services: Services, db: Database, settings: Settings) -> None:
        self.services = services
        self.db = db
        self.organization = settings.organization.name
        self.schedule = report_schedule(settings, services.profile)
        self.clauses = {
            spec.period.value: spec.clause.removeprefix("п. ") for spec in services.profile.reports
        }
        self.topics = topic_titles(services)
        self.jobs = ReportJobs(
            db.unit_of_work, services.clock, self.schedule, services.rulers.working
        )

    @property
    def zone(self) -> tzinfo:
        return self.services.zone

    async def render(self, make: Callable[..., _T], *args: Any) -> _T:
        """Charts and workbooks are drawn in a process of their own: matplotlib and openpyxl
        are never imported by the bot, and a quarter's workbook never holds the bot's loop."""
        return await render_elsewhere(make, *args)

    def close(self) -> None:
        close_renderer()

    async def sweep(self) -> int:
        """For the scheduler: post what is due; the number of notices queued."""
        return await self.jobs.sweep()

    def renderers(self) -> dict[NoticeKind, Renderer]:
        return {
            NoticeKind.REPORT: self._report_notice,
            NoticeKind.DISCIPLINE: self._discipline_notice,
            NoticeKind.SURGE: self._surge_notice,
            NoticeKind.CONTENT_REMINDER: self._content_notice,
        }

    async def compute(
        self, run: ReportRun, now: datetime
    ) -> tuple[Report, list[IncidentLine], tuple[Breach, ...], Names]:
        """The run's report as of `now`, and for its workbook the period's incidents and every
        breach. A posted run keeps its figures, which the next period's summary compares with."""
        period = Period.of_run(run)
        rulers = self.services.rulers
        queries = SqlReportQueries(self.db.sessions, total=total_timer(self.services.profile))
        async with self.db.unit_of_work() as uow:
            before = await reported_before(uow.reports, run, self.zone)
            names = await load_names(uow, self.topics, self.services.profile)
        report = await build_report(
            queries,
            period,
            rulers,
            self.zone,
            now,
            previous=before,
            concurrent=True,
            answer_clock=answer_clock(self.services.profile),
        )
        lines = list(await queries.incident_lines(period.start, period.end, now))
        breaches = report.breaches
        if report.breach_count > len(breaches):
            breaches = await build_discipline(queries, period, rulers, now)
        if run.id is not None and run.summary is None:
            async with self.db.unit_of_work() as uow:
                await uow.reports.save_summary(run.id, report.summary.payload())
                await uow.commit()
        return report, lines, breaches, names

    async def deliver_report(
        self, parts: Parts, chat_id: int, run: ReportRun, now: datetime
    ) -> None:
        """The report of the run's period as of `now`: text, chart, workbook, each part once."""
        period = Period.of_run(run)
        report, lines, breaches, names = await self.compute(run, now)
        clause = self.clauses.get(period.kind.value) if run.id is not None else None
        text = report_lines(
            report, names, organization=self.organization, clause=clause, zone=self.zone
        )
        await _send_text(parts, chat_id, split_message(text))
        if not parts.pending(2):
            return
        working = self.services.rulers.working
        png, xlsx = await self.render(
            render_files, report, lines, breaches, names, self.zone, working
        )
        await parts.send(
            lambda: parts.bot.send_photo(
                chat_id,
                BufferedInputFile(png, filename="report.png"),
                caption=texts.REPORT_CHART_CAPTION[:CAPTION_LIMIT],
            )
        )
        start, end = (
            _local(period.start, self.zone).strftime("%Y%m%d"),
            _local(period.end, self.zone).strftime("%Y%m%d"),
        )
        await parts.send(
            lambda: parts.bot.send_document(
                chat_id,
                BufferedInputFile(xlsx, filename=texts.REPORT_FILE.format(start=start, end=end)),
                caption=texts.REPORT_FILE_CAPTION[:CAPTION_LIMIT],
            )
        )

    async def deliver_discipline(
        self, parts: Parts, chat_id: int, period: Period, fmt: str, now: datetime
    ) -> None:
        """The breaches per person as of `now`: text, then the XLSX or CSV file, each part once."""
        queries = SqlReportQueries(self.db.sessions, total=total_timer(self.services.profile))
        breaches = await build_discipline(queries, period, self.services.rulers, now)
        async with self.db.unit_of_work() as uow:
            names = await load_names(uow, self.topics, self.services.profile)
        lines = discipline_lines(breaches, names, period, self.zone)
        await _send_text(parts, chat_id, split_message(lines))
        if not parts.pending():
            return
        data = await self.render(render_discipline, breaches, names, self.zone, fmt)
        start, end = (
            _local(period.start, self.zone).strftime("%Y%m%d"),
            _local(period.end, self.zone).strftime("%Y%m%d"),
        )
        name = texts.DISCIPLINE_FILE.format(start=start, end=end, ext=fmt)
        await parts.send(
            lambda: parts.bot.send_document(
                chat_id, BufferedInputFile(data, filename=name), caption=texts.DISCIPLINE_CAPTION
            )
        )

    async def _guarded(self, parts: Parts, chat_id: int, make: Awaitable[None]) -> None:
        """Telegram's errors go to the sender (retry, 403…); a failure of our own is logged and
        the person told, so one broken report never blocks the outbox."""
        try:
            await make
        except (TelegramAPIError, ClaimLost):
            raise
        except Exception:
            log.exception("a report could not be made")
            await parts.bot.send_message(chat_id, texts.ERROR)

    async def _report_notice(self, parts: Parts, chat_id: int, notice: OutboxMessage) -> None:
        """Made as of the moment the notice was queued (the report minute, or the request), so
        a retry renders the same parts it resumes."""
        payload = notice.payload
        if "run_id" in payload:
            async with self.db.unit_of_work() as uow:
                run = await uow.reports.get_run(int(payload["run_id"]))
            if run is None:
                return
        else:
            period = Period.from_payload(payload)
            run = ReportRun(None, period.kind.value, period.start, period.end, notice.created_at)
        await self._guarded(
            parts, chat_id, self.deliver_report(parts, chat_id, run, notice.created_at)
        )

    async def _discipline_notice(self, parts: Parts, chat_id: int, notice: OutboxMessage) -> None:
        period = Period.from_payload(notice.payload)
        fmt = "csv" if notice.payload.get("format") == "csv" else "xlsx"
        await self._guarded(
            parts,
            chat_id,
            self.deliver_discipline(parts, chat_id, period, fmt, notice.created_at),
        )

    async def _surge_notice(self, parts: Parts, chat_id: int, notice: OutboxMessage) -> None:
        p = notice.payload
        numbers = ", №".join(html.escape(str(n)) for n in p.get("numbers", []))
        topic = self.topics.get(str(p.get("topic")), str(p.get("topic")))
        text = texts.SURGE_ALERT.format(
            count=p.get("count", 0),
            hours=p.get("hours", 0),
            topic=html.escape(topic),
            location=html.escape(str(p.get("location"))),
            numbers=numbers,
        )
        await _send_text(parts, chat_id, [text[:TELEGRAM_TEXT_LIMIT]])

    async def _content_notice(self, parts: Parts, chat_id: int, notice: OutboxMessage) -> None:
        last = notice.payload.get("last")
        if last:
            moment = datetime.fromisoformat(str(last))
            days = notice.created_at.astimezone(self.zone).date() - _local(moment, self.zone).date()
            since = texts.CONTENT_SINCE.format(
                date=_local(moment, self.zone).strftime("%d.%m.%Y"), days=days.days
            )
        else:
            since = texts.CONTENT_NEVER
        await _send_text(parts, chat_id, [texts.CONTENT_REMINDER.format(since=since)])


async def _send_text(parts: Parts, chat_id: int, chunks: Sequence[str]) -> None:
    for chunk in chunks:
        await parts.send(functools.partial(parts.bot.send_message, chat_id, chunk))
