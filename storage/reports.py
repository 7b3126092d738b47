"""Aggregates for the periodic reports, computed in the database."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    distinct,
    exists,
    extract,
    false,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from domain.durations import ClockKind
from domain.incident import OPEN, DraftKind, Importance, Outcome, Reaction, Status
from domain.ports import ReportRun
from domain.reports import (
    BreachFact,
    Breakdowns,
    DepartmentLine,
    Headline,
    IncidentLine,
)
from domain.roles import Role
from domain.work import AssignmentState, Decision
from storage.models import (
    ApprovalRow,
    AssignmentRow,
    ContentPostRow,
    DraftRow,
    IncidentLinkRow,
    IncidentRow,
    IncidentSourceRow,
    PublicationRow,
    ReportRunRow,
    TimerRow,
)

_T = TypeVar("_T")

ANSWERED = (Status.PUBLISHED, Status.CLOSED, Status.AWAITING_FINAL)


@dataclass(frozen=True, slots=True)
class TopicDepartmentCount:
    topic_group: str | None
    topic: str | None
    department_id: int
    incidents: int
    answered: int
    """Published (intermediate or final) or closed."""


async def by_topic_and_department(
    session: AsyncSession, start: datetime, end: datetime
) -> list[TopicDepartmentCount]:
    """Incidents detected in [start, end) per topic and assigned department (an incident with a
    joint answer counts once for each of its departments)."""
    answered = case((IncidentRow.status.in_([s.value for s in ANSWERED]), IncidentRow.id))
    query = (
        select(
            IncidentRow.topic_group,
            IncidentRow.topic,
            AssignmentRow.department_id,
            func.count(distinct(IncidentRow.id)),
            func.count(distinct(answered)),
        )
        .join(AssignmentRow, AssignmentRow.incident_id == IncidentRow.id)
        .where(IncidentRow.detected_at >= start, IncidentRow.detected_at < end)
        .group_by(IncidentRow.topic_group, IncidentRow.topic, AssignmentRow.department_id)
        .order_by(IncidentRow.topic_group, IncidentRow.topic, AssignmentRow.department_id)
    )
    rows = await session.execute(query)
    return [TopicDepartmentCount(g, t, d, n, a) for g, t, d, n, a in rows]


# ---- the reports of domain/reports.py ---------------------------------------------------------

_ANSWERS = (DraftKind.FINAL.value, DraftKind.INTERMEDIATE.value)
"""A first answer: the final one or an intermediate one (not a clarification request)."""
_OPEN = [s.value for s in OPEN]
_ANSWERED_OUTCOMES = [Outcome.ANSWERED.value, Outcome.ANSWERED_AFTER_INTERMEDIATE.value]
_ANSWERED_STATUSES = [Status.AWAITING_FINAL.value, Status.PUBLISHED.value]
"""An answer is out: the final one closed the incident with this outcome, or an intermediate
one is published. Any other incident is looked up in its publications (an intermediate answer
may have gone out before a clarification, a return or a not-subject decision)."""
_RETURNED = AssignmentState.RETURNED.value
_DEPARTMENT_ROLES = [
    r.value for r in (Role.EXECUTOR, Role.DEPARTMENT_LEAD, Role.SUPERVISING_DEPUTY)
]


def _detected_in(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(IncidentRow.detected_at >= start, IncidentRow.detected_at < end)


def _first_answer(incident_id: Any) -> Any:
    return (
        select(func.min(PublicationRow.at))
        .join(DraftRow, DraftRow.id == PublicationRow.draft_id)
        .where(PublicationRow.incident_id == incident_id, DraftRow.kind.in_(_ANSWERS))
        .scalar_subquery()
    )


_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _total_name(total: str) -> Any:
    """The overall deadline's timer name as SQL: the shipped profiles' `answer` written as the
    partial index ix_timers_answer has it (SQLite uses the index only for the same literal);
    another name as a plain literal, checked to be a timer name."""
    if not _NAME.match(total):
        raise ValueError(f"not a timer name: {total!r}")
    return text(f"'{total}'")


def _late(incident_id: Any, now: datetime, total: str = "answer") -> Any:
    """The overall deadline (the flow's `total` timer) ran out before the answer, or by now."""
    t = aliased(TimerRow)
    return case(
        (
            exists().where(
                t.incident_id == incident_id,
                t.name == _total_name(total),
                t.due_at.isnot(None),
                or_(
                    t.breached_at.isnot(None),
                    t.stopped_at > t.due_at,
                    and_(t.stopped_at.is_(None), t.paused == false(), t.due_at < now),
                ),
            ),
            1,
        ),
        else_=0,
    )


def _repeated(incident_id: Any) -> Any:
    return case((exists().where(IncidentLinkRow.incident_id == incident_id), 1), else_=0)


def _breached(start: datetime, end: datetime, now: datetime) -> ColumnElement[bool]:
    """Due in [start, end) and not done by the due moment (stopped later, or still open and
    running); a window only when its action came late (`breached_at`)."""
    t = TimerRow
    return and_(
        t.due_at >= start,
        t.due_at < end,
        or_(
            t.breached_at.isnot(None),
            and_(t.window == false(), t.stopped_at > t.due_at),
            and_(
                t.window == false(),
                t.stopped_at.is_(None),
                t.paused == false(),
                t.due_at < now,
            ),
        ),
    )


_ON_TIME, _LATE, _WAITING, _OVERDUE, _NOT_SUBJECT, _CLOSED = range(6)
"""An incident's class, as the queries number it."""


def _kind(now: datetime, total: str = "answer") -> Any:
    """An incident's class by where it stands now: answered on time or late, open or overdue,
    not subject, closed otherwise. A small integer: the aggregates group by one integer code
    per row (SQLite groups by sorting, and one integer sorts faster than several columns)."""
    i = IncidentRow
    late = _late(i.id, now, total) == 1
    answered = or_(
        i.outcome.in_(_ANSWERED_OUTCOMES),
        i.status.in_(_ANSWERED_STATUSES),
        _first_answer(i.id).isnot(None),  # last: the database stops at the first true term
    )
    return case(
        (answered, case((late, _LATE), else_=_ON_TIME)),
        (i.status.in_(_OPEN), case((late, _OVERDUE), else_=_WAITING)),
        (i.status == Status.NOT_SUBJECT.value, _NOT_SUBJECT),
        else_=_CLOSED,
    )


def _headline(kind: int, n: int, repeated: bool) -> Headline:
    """`n` incidents of one class as a Headline."""
    answered = kind in (_ON_TIME, _LATE)
    waiting = kind in (_WAITING, _OVERDUE)
    return Headline(
        total=n,
        answered=n if answered else 0,
        on_time=n if kind == _ON_TIME else 0,
        late=n if kind == _LATE else 0,
        open=n if waiting else 0,
        overdue=n if kind == _OVERDUE else 0,
        not_subject=n if kind == _NOT_SUBJECT else 0,
        closed_other=n if kind == _CLOSED else 0,
        repeated=n if repeated else 0,
    )


def _epoch(session: AsyncSession, moment: Any) -> Any:
    """Whole UTC seconds since the epoch, computed by the database."""
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        return cast(func.floor(extract("epoch", moment)), BigInteger)
    return _sqlite_epoch(moment, getattr(dialect.dbapi, "sqlite_version_info", ()) >= (3, 38))


def _sqlite_epoch(moment: Any, unixepoch: bool) -> Any:
    """`unixepoch` is SQLite 3.38's; `strftime('%s')` gives the same seconds, slower (both read the
    stored text to the millisecond)."""
    return func.unixepoch(moment) if unixepoch else cast(func.strftime("%s", moment), Integer)


def _run(row: ReportRunRow) -> ReportRun:
    return ReportRun(
        row.id, row.kind, row.period_start, row.period_end, row.created_at, row.summary
    )


@dataclass(slots=True)
class SqlReportRepository:
    """The report runs, content posts and surge lookups (`domain.ports.ReportRepository`) and
    the aggregates of the reports (`domain.reports.ReportQueries`)."""

    session: AsyncSession
    _tuned: bool = False
    total: str = "answer"
    """The profile's overall deadline timer (`Flow.total`): an answer after it is late."""

    async def _analytic(self) -> None:
        """PostgreSQL's JIT compiles these queries for longer than they run (their per-incident
        subplans make the planner's estimate large): off for this transaction."""
        if not self._tuned and self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(text("SET LOCAL jit = off"))
        self._tuned = True

    # ---- runs, posts, surges ------------------------------------------------------------

    async def claim_run(
        self, kind: str, period_start: datetime, period_end: datetime, at: datetime
    ) -> ReportRun | None:
        values = {
            "kind": kind,
            "period_start": period_start,
            "period_end": period_end,
            "created_at": at,
        }
        keys = ["kind", "period_start"]
        if self.session.get_bind().dialect.name == "postgresql":
            query: Any = (
                pg_insert(ReportRunRow).values(values).on_conflict_do_nothing(index_elements=keys)
            )
        else:
            query = (
                sqlite_insert(ReportRunRow)
                .values(values)
                .on_conflict_do_nothing(index_elements=keys)
            )
        run_id = await self.session.scalar(query.returning(ReportRunRow.id))
        if run_id is None:
            return None
        return ReportRun(run_id, kind, period_start, period_end, at)

    async def get_run(self, run_id: int) -> ReportRun | None:
        row = await self.session.get(ReportRunRow, run_id, populate_existing=True)
        return None if row is None else _run(row)

    async def run_for(self, kind: str, period_start: datetime) -> ReportRun | None:
        row = (
            await self.session.scalars(
                select(ReportRunRow)
                .where(ReportRunRow.kind == kind, ReportRunRow.period_start == period_start)
                .execution_options(populate_existing=True)
            )
        ).first()
        return None if row is None else _run(row)

    async def save_summary(self, run_id: int, summary: Mapping[str, Any]) -> None:
        await self.session.execute(
            update(ReportRunRow)
            .where(ReportRunRow.id == run_id)
            .values(summary=dict(summary))
            .execution_options(synchronize_session=False)
        )

    async def last_run(self, kind: str) -> ReportRun | None:
        row = (
            await self.session.scalars(
                select(ReportRunRow)
                .where(ReportRunRow.kind == kind)
                .order_by(ReportRunRow.period_start.desc())
                .limit(1)
                .execution_options(populate_existing=True)
            )
        ).first()
        return None if row is None else _run(row)

    async def any_incident_before(self, moment: datetime) -> bool:
        found = await self.session.scalar(
            select(IncidentRow.id).where(IncidentRow.detected_at < moment).limit(1)
        )
        return found is not None

    async def same_topic_and_location(
        self, topic: str, location: str, since: datetime, until: datetime
    ) -> Sequence[tuple[int, str | None, datetime]]:
        rows = await self.session.execute(
            select(IncidentRow.id, IncidentRow.number, IncidentRow.detected_at)
            .where(
                IncidentRow.topic == topic,
                IncidentRow.location == location,
                IncidentRow.detected_at >= since,
                IncidentRow.detected_at <= until,
            )
            .order_by(IncidentRow.detected_at, IncidentRow.id)
        )
        return [(i, n, d) for i, n, d in rows]

    async def record_post(self, at: datetime, by: int | None, note: str | None) -> None:
        await self.session.execute(
            insert(ContentPostRow).values(posted_at=at, recorded_by=by, note=note)
        )

    async def last_post(self) -> datetime | None:
        moment: datetime | None = await self.session.scalar(
            select(func.max(ContentPostRow.posted_at))
        )
        return moment

    # ---- aggregates -----------------------------------------------------------------------

    async def cohort(
        self, start: datetime, end: datetime, now: datetime
    ) -> tuple[Headline, Sequence[DepartmentLine]]:
        """One pass over the period's incidents joined to their departments: each (incident,
        department) pair gets its class (answered on time or late, open or overdue, not subject,
        closed otherwise) in one expression, so each per-incident lookup runs once; `first`
        marks one pair per incident, so the totals count a joint answer once and the
        departments count it for each."""
        await self._analytic()
        i = IncidentRow
        a = aliased(AssignmentRow)
        earlier = aliased(AssignmentRow)
        kind = _kind(now, self.total)
        first = case(
            (a.id.is_(None), 1),
            (
                exists().where(
                    earlier.incident_id == a.incident_id,
                    earlier.state != _RETURNED,
                    earlier.id < a.id,
                ),
                0,
            ),
            else_=1,
        )
        pairs = (
            select(
                a.department_id.label("department_id"),
                (kind * 4 + first * 2 + _repeated(i.id)).label("code"),
            )
            .select_from(i)
            .outerjoin(a, and_(a.incident_id == i.id, a.state != _RETURNED))
            .where(_detected_in(start, end))
            .cte("pairs")
            .prefix_with("MATERIALIZED")  # each lookup once per row, not once per use
        )
        p = pairs.c
        rows = await self.session.execute(
            select(p.department_id, p.code, func.count()).group_by(p.department_id, p.code)
        )
        total = Headline()
        departments: dict[int | None, Headline] = {}
        for department_id, code, n in rows:
            klass, rest = divmod(int(code), 4)
            is_first, repeated = divmod(rest, 2)
            counts = _headline(klass, int(n), bool(repeated))
            departments[department_id] = departments.get(department_id, Headline()) + counts
            if is_first:
                total += counts
        return total, [  # in the order of the ids, the unrouted first, on both engines
            DepartmentLine(d, departments[d])
            for d in sorted(departments, key=lambda d: (d is not None, d or 0))
        ]

    async def headline(self, start: datetime, end: datetime, now: datetime) -> Headline:
        """`cohort`'s totals alone: the same classes, one row per incident, no departments."""
        await self._analytic()
        classes = (
            select((_kind(now, self.total) * 2 + _repeated(IncidentRow.id)).label("code"))
            .where(_detected_in(start, end))
            .subquery("classes")
        )
        code = classes.c.code
        total = Headline()
        for value, n in await self.session.execute(select(code, func.count()).group_by(code)):
            klass, repeated = divmod(int(value), 2)
            total += _headline(klass, int(n), bool(repeated))
        return total

    async def breakdowns(self, start: datetime, end: datetime) -> Breakdowns:
        await self._analytic()
        i = IncidentRow
        n = func.count()
        where = _detected_in(start, end)
        topics = await self.session.execute(
            select(i.topic_group, i.topic, n)
            .where(where)
            .group_by(i.topic_group, i.topic)
            .order_by(n.desc(), i.topic_group, i.topic)
        )
        locations = await self.session.execute(
            select(i.location, n).where(where).group_by(i.location).order_by(n.desc(), i.location)
        )
        importance, reactions, intermediate = await self._marks(start, end)
        return Breakdowns(
            topics=tuple((g, t, c) for g, t, c in topics),
            locations=tuple((loc, c) for loc, c in locations),
            importance=tuple(sorted(importance.items(), key=lambda kv: (-kv[1], kv[0]))),
            reactions=tuple(sorted(reactions.items())),
            intermediate=intermediate,
        )

    async def _marks(
        self, start: datetime, end: datetime
    ) -> tuple[dict[str, int], dict[str, int], int]:
        """Incidents per importance and per reaction (the values present), and those given an
        intermediate answer: one pass counting each known value (no sort, unlike a GROUP BY);
        grouped after all if a value the enums do not know is found."""
        i = IncidentRow
        where = _detected_in(start, end)
        intermediate = or_(
            i.outcome == Outcome.ANSWERED_AFTER_INTERMEDIATE.value,
            i.status == Status.AWAITING_FINAL.value,
        )
        levels = [v.value for v in Importance]
        kinds = [v.value for v in Reaction]
        total, reacted, after_intermediate, *counts = (
            await self.session.execute(
                select(
                    func.count(),
                    func.count(i.reaction),
                    func.count(case((intermediate, 1))),
                    *(func.count(case((i.importance == v, 1))) for v in levels),
                    *(func.count(case((i.reaction == v, 1))) for v in kinds),
                ).where(where)
            )
        ).one()
        by_level, by_kind = counts[: len(levels)], counts[len(levels) :]
        if sum(by_level) == total and sum(by_kind) == reacted:
            return (
                {v: c for v, c in zip(levels, by_level, strict=True) if c},
                {v: c for v, c in zip(kinds, by_kind, strict=True) if c},
                int(after_intermediate),
            )
        importance: dict[str, int] = {}
        reactions: dict[str, int] = {}
        n = func.count()
        for level, count in await self.session.execute(
            select(i.importance, n).where(where).group_by(i.importance)
        ):
            importance[level] = count
        for kind, count in await self.session.execute(
            select(i.reaction, n).where(where).group_by(i.reaction)
        ):
            if kind is not None:
                reactions[kind] = count
        return importance, reactions, int(after_intermediate)

    async def breaches(
        self, start: datetime, end: datetime, now: datetime, limit: int | None = None
    ) -> Sequence[BreachFact]:
        await self._analytic()
        t = TimerRow
        own = aliased(AssignmentRow)
        last = aliased(AssignmentRow)

        def latest(column: Any) -> Any:
            """Of the incident's last department (a timer held by a role, not a person)."""
            return (
                select(column)
                .where(last.incident_id == t.incident_id, last.state != _RETURNED)
                .order_by(last.position.desc(), last.id.desc())
                .limit(1)
                .scalar_subquery()
            )

        department = func.coalesce(
            own.department_id,
            case((t.holder_role.in_(_DEPARTMENT_ROLES), latest(last.department_id)), else_=None),
        )
        holder = func.coalesce(
            t.holder_id,
            own.executor_id,
            case((t.holder_role == Role.EXECUTOR.value, latest(last.executor_id)), else_=None),
        )
        rows = await self.session.execute(
            select(
                t.incident_id,
                IncidentRow.number,
                t.name,
                t.clause,
                t.clock,
                holder,
                t.holder_role,
                department,
                t.started_at,
                t.due_at,
                t.stopped_at,
            )
            .join(IncidentRow, IncidentRow.id == t.incident_id)
            .outerjoin(own, own.id == t.assignment_id)
            .where(_breached(start, end, now))
            .order_by(t.due_at, t.id)
            .limit(limit)
        )
        return [
            BreachFact(
                incident_id=incident_id,
                number=number,
                timer=name,
                clause=clause,
                clock=ClockKind(clock),
                holder_id=holder,
                holder_role=Role(role),
                department_id=department_id,
                started_at=started,
                due_at=due or started,  # never None: the query asks for a due moment
                done_at=stopped,
            )
            for (
                incident_id,
                number,
                name,
                clause,
                clock,
                holder,
                role,
                department_id,
                started,
                due,
                stopped,
            ) in rows
        ]

    async def breach_count(self, start: datetime, end: datetime, now: datetime) -> int:
        await self._analytic()
        count = await self.session.scalar(
            select(func.count()).select_from(TimerRow).where(_breached(start, end, now))
        )
        return int(count or 0)

    async def answer_times(self, start: datetime, end: datetime) -> Sequence[tuple[int, int]]:
        """Two numbers per answered incident, computed by the database as epoch seconds and
        sent as two arrays in one row: a quarter has a quarter of a million answers, which as
        rows would cost a Python object each (and on SQLite a round of the GIL each, so two
        such reads at once would slow each other down several times). Grouped by
        (detected_at, id), the order SQLite reads the incidents in from the index on
        detected_at: no sort."""
        await self._analytic()
        i = IncidentRow
        answered = (
            select(
                _epoch(self.session, i.detected_at).label("detected"),
                _epoch(self.session, func.min(PublicationRow.at)).label("answered"),
            )
            .join(PublicationRow, PublicationRow.incident_id == i.id)
            .join(DraftRow, DraftRow.id == PublicationRow.draft_id)
            .where(_detected_in(start, end), DraftRow.kind.in_(_ANSWERS))
            .group_by(i.detected_at, i.id)
            .subquery("answered")
        )
        a = answered.c
        if self.session.get_bind().dialect.name == "postgresql":  # int8[]: lists of int
            detected, first = (
                await self.session.execute(
                    select(func.array_agg(a.detected), func.array_agg(a.answered))
                )
            ).one()
        else:  # both aggregates see the rows in the same order
            texts = (
                await self.session.execute(
                    select(func.json_group_array(a.detected), func.json_group_array(a.answered))
                )
            ).one()
            detected, first = (json.loads(t) for t in texts)
        return list(zip(detected or (), first or (), strict=True))

    async def trend(self, edges: Sequence[datetime]) -> Sequence[int]:
        await self._analytic()
        if len(edges) < 2:
            return []
        # A count per week, each read from the index on detected_at alone (not one pass over
        # the weeks' incidents testing every row against every week: 20 times slower).
        detected = IncidentRow.detected_at
        columns = [
            select(func.count())
            .select_from(IncidentRow)
            .where(detected >= a, detected < b)
            .scalar_subquery()
            for a, b in pairwise(edges)
        ]
        row = (await self.session.execute(select(*columns))).one()
        return [int(v or 0) for v in row]

    async def revisions(self, start: datetime, end: datetime) -> int:
        await self._analytic()
        count = await self.session.scalar(
            select(func.count())
            .select_from(ApprovalRow)
            .join(IncidentRow, IncidentRow.id == ApprovalRow.incident_id)
            .where(_detected_in(start, end), ApprovalRow.decision == Decision.REVISION.value)
        )
        return int(count or 0)

    async def incident_lines(
        self, start: datetime, end: datetime, now: datetime
    ) -> Sequence[IncidentLine]:
        await self._analytic()
        i = IncidentRow
        t = aliased(TimerRow)
        answer_due = (
            select(func.max(t.due_at))
            .where(t.incident_id == i.id, t.name == self.total)
            .scalar_subquery()
        )
        rows = await self.session.execute(
            select(
                i.id,
                i.number,
                i.detected_at,
                IncidentSourceRow.network,
                i.topic_group,
                i.topic,
                i.location,
                i.importance,
                i.status,
                i.outcome,
                i.reaction,
                _first_answer(i.id),
                answer_due,
                _late(i.id, now, self.total),
                _repeated(i.id),
            )
            .join(IncidentSourceRow, IncidentSourceRow.incident_id == i.id)
            .where(_detected_in(start, end))
            .order_by(i.detected_at, i.id)
        )
        departments: dict[int, list[int]] = {}
        for incident_id, department_id in await self.session.execute(
            select(AssignmentRow.incident_id, AssignmentRow.department_id)
            .join(IncidentRow, IncidentRow.id == AssignmentRow.incident_id)
            .where(_detected_in(start, end), AssignmentRow.state != _RETURNED)
            .order_by(AssignmentRow.incident_id, AssignmentRow.position, AssignmentRow.id)
        ):
            departments.setdefault(incident_id, []).append(department_id)
        return [
            IncidentLine(
                id=r[0],
                number=r[1],
                detected_at=r[2],
                network=r[3],
                topic_group=r[4],
                topic=r[5],
                location=r[6],
                importance=r[7],
                status=r[8],
                outcome=r[9],
                reaction=r[10],
                answered_at=r[11],
                answer_due=r[12],
                late=bool(r[13]),
                repeated=bool(r[14]),
                departments=tuple(departments.get(r[0], ())),
            )
            for r in rows
        ]


@dataclass(frozen=True, slots=True)
class SqlReportQueries:
    """`ReportQueries` whose every call reads on a connection of its own, so a report's queries
    run at once (`build_report(..., concurrent=True)`): SQLite in WAL mode reads in parallel
    and releases the GIL while it works; PostgreSQL serves each on its own backend."""

    sessions: async_sessionmaker[AsyncSession]
    total: str = "answer"

    async def _on_own(self, read: Callable[[SqlReportRepository], Awaitable[_T]]) -> _T:
        async with self.sessions() as session:
            try:
                return await read(SqlReportRepository(session, total=self.total))
            finally:
                await session.rollback()

    async def cohort(
        self, start: datetime, end: datetime, now: datetime
    ) -> tuple[Headline, Sequence[DepartmentLine]]:
        return await self._on_own(lambda r: r.cohort(start, end, now))

    async def headline(self, start: datetime, end: datetime, now: datetime) -> Headline:
        return await self._on_own(lambda r: r.headline(start, end, now))

    async def breakdowns(self, start: datetime, end: datetime) -> Breakdowns:
        return await self._on_own(lambda r: r.breakdowns(start, end))

    async def breaches(
        self, start: datetime, end: datetime, now: datetime, limit: int | None = None
    ) -> Sequence[BreachFact]:
        return await self._on_own(lambda r: r.breaches(start, end, now, limit))

    async def breach_count(self, start: datetime, end: datetime, now: datetime) -> int:
        return await self._on_own(lambda r: r.breach_count(start, end, now))

    async def answer_times(self, start: datetime, end: datetime) -> Sequence[tuple[int, int]]:
        return await self._on_own(lambda r: r.answer_times(start, end))

    async def trend(self, edges: Sequence[datetime]) -> Sequence[int]:
        return await self._on_own(lambda r: r.trend(edges))

    async def revisions(self, start: datetime, end: datetime) -> int:
        return await self._on_own(lambda r: r.revisions(start, end))

    async def incident_lines(
        self, start: datetime, end: datetime, now: datetime
    ) -> Sequence[IncidentLine]:
        return await self._on_own(lambda r: r.incident_lines(start, end, now))
