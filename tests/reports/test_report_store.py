"""The report of a scripted week, computed in the database (SQLite and PostgreSQL); posted once
whatever the number of runs or schedulers; surges, the content plan and reports asked for."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import literal, select, update

from domain.errors import AccessDenied
from domain.incident import Source, Status
from domain.profiles import shipped_profile
from domain.reports import (
    Headline,
    Period,
    PeriodKind,
    Report,
    ReportJobs,
    ReportSchedule,
    Summary,
    SurgeSettings,
    build_report,
    check_surge,
    record_official_post,
    reported_before,
    request_report,
)
from domain.roles import HEADS
from domain.routing import Routing, RoutingSettings
from domain.timers import NoticeKind, OutboxMessage
from storage.engine import Database, create_engine, session_factory
from storage.models import IncidentRow
from storage.reports import SqlReportQueries, _epoch, _sqlite_epoch
from storage.types import UTCDateTime
from storage.uow import unit_of_work_factory
from tests.fakes import FixedClock
from tests.reports.conftest import (
    HEATING,
    LIGHTING,
    MSK,
    NOW,
    POTHOLES,
    RULERS,
    WEEK,
    Office,
    msk,
    put,
    renumbered,
    scripted_week,
    seed_staff,
)
from tests.storage.conftest import UowFactory

H = timedelta(hours=1)


async def week_in(db: Database) -> Office:
    async with db.unit_of_work() as uow:
        office = await scripted_week(uow)
        await uow.commit()
    return office


async def report_of(db: Database, period: Period = WEEK, now: datetime = NOW) -> Report:
    async with db.unit_of_work() as uow:
        return await build_report(uow.reports, period, RULERS, MSK, now)


async def test_the_weekly_report_of_a_scripted_week(db: Database) -> None:
    office = await week_in(db)
    number = renumbered(office)
    report = await report_of(db)

    assert report.headline == Headline(
        total=6, answered=4, on_time=3, late=1, open=1, overdue=1, not_subject=1, repeated=1
    )
    departments = {d.department_id: d.counts for d in report.departments}
    assert departments == {
        office.roads_id: Headline(total=3, answered=3, on_time=2, late=1),
        office.housing_id: Headline(total=3, answered=2, on_time=2, open=1, overdue=1, repeated=1),
        None: Headline(total=1, not_subject=1),
    }
    assert report.departments[-1].department_id is None

    b = report.breakdowns
    assert {(g, t): n for g, t, n in b.topics} == {
        POTHOLES: 2,
        HEATING: 2,
        LIGHTING: 1,
        (None, None): 1,
    }
    assert dict(b.locations) == {"Центр": 3, "Северный": 2, None: 1}
    assert dict(b.importance) == {"ordinary": 4, "high": 1, "significant": 1}

    assert [
        (
            x.fact.number,
            x.fact.timer,
            x.fact.department_id,
            x.fact.holder_id,
            x.overdue,
            x.fact.done_at is None,
        )
        for x in report.breaches
    ] == [
        (number["7"], "answer", office.roads_id, office.ivanov.id, 1 * H, False),
        (number["2"], "draft", office.roads_id, office.ivanov.id, 5 * H, False),
        (number["2"], "answer", office.roads_id, office.ivanov.id, 3 * H, False),
        (number["4"], "route", None, office.curator.id, H / 2, False),
        (number["4"], "answer", office.housing_id, office.petrova.id, 11 * H, True),
    ]
    assert report.breaches[1].fact.clause == "п. 4, 6"

    # detection → first final or intermediate answer, in working hours: 2, 12, 4, 6
    assert (report.median, report.p90, report.measured) == (5 * H, 12 * H, 4)

    assert len(report.trend) == 8
    assert report.trend[-1] == (WEEK.start, 6)
    assert report.trend[-2] == (WEEK.start - timedelta(days=7), 1)
    assert report.quality is None and report.previous is None
    assert report.breach_count == 5


async def test_the_queries_at_once_on_connections_of_their_own_give_the_same_report(
    db: Database,
) -> None:
    await week_in(db)
    november = Period(PeriodKind.MONTHLY, msk("2026-11-01 00:00"), msk("2026-12-01 00:00"))
    for period, now in ((WEEK, NOW), (november, msk("2026-12-01 09:00"))):
        one_by_one = await report_of(db, period, now)
        at_once = await build_report(
            SqlReportQueries(db.sessions), period, RULERS, MSK, now, concurrent=True
        )
        assert at_once == one_by_one


async def test_the_database_reads_moments_as_whole_epoch_seconds(db: Database) -> None:
    moments = [
        msk("2026-11-23 10:00"),
        datetime(2026, 6, 30, 21, 0, 13, 392000, tzinfo=UTC),
        datetime(2026, 7, 1, 1, 29, 51, 999000, tzinfo=UTC),  # SQLite reads milliseconds
    ]
    async with db.sessions() as session:
        for moment in moments:
            value = literal(moment, UTCDateTime())
            expressions = [_epoch(session, value)]
            if db.backend == "sqlite":  # both ways, whichever this SQLite has
                expressions += [_sqlite_epoch(value, True), _sqlite_epoch(value, False)]
            row = (await session.execute(select(*expressions))).one()
            assert set(row) == {int(moment.timestamp())}


async def test_importance_and_reactions_the_code_does_not_know_are_counted_too(
    db: Database,
) -> None:
    office = await week_in(db)
    before = (await report_of(db)).breakdowns
    async with db.sessions() as session:  # as an older or newer version might have written
        await session.execute(
            update(IncidentRow)
            .where(IncidentRow.id == office.incidents["1"].id)
            .values(importance="urgent", reaction="grateful")
        )
        await session.commit()
    after = (await report_of(db)).breakdowns
    assert dict(before.importance) == {"ordinary": 4, "high": 1, "significant": 1}
    assert dict(after.importance) == {"ordinary": 3, "high": 1, "significant": 1, "urgent": 1}
    assert dict(before.reactions) == {"satisfied": 1, "dissatisfied": 1}
    assert dict(after.reactions) == {"grateful": 1, "dissatisfied": 1}
    assert after.intermediate == before.intermediate == 1


async def test_the_report_lists_the_first_breaches_and_counts_them_all(db: Database) -> None:
    await week_in(db)
    async with db.unit_of_work() as uow:
        report = await build_report(uow.reports, WEEK, RULERS, MSK, NOW, breaches_listed=2)
    assert [b.fact.timer for b in report.breaches] == ["answer", "draft"]
    assert report.breach_count == 5 and report.summary.breaches == 5


async def test_a_monthly_summary_adds_quality_and_dynamics(db: Database) -> None:
    await week_in(db)
    november = Period(PeriodKind.MONTHLY, msk("2026-11-01 00:00"), msk("2026-12-01 00:00"))
    report = await report_of(db, november, msk("2026-12-01 09:00"))
    assert report.headline == Headline(
        total=8, answered=5, on_time=3, late=2, open=2, overdue=1, not_subject=1, repeated=1
    )
    assert report.quality is not None
    assert (report.quality.revisions, report.quality.intermediate) == (1, 1)
    assert dict(report.quality.reactions) == {"satisfied": 1, "dissatisfied": 1}
    # #7 answered Monday 15:00 after Friday 15:00: 1 h 45 min + 5 h
    assert (report.median, report.p90, report.measured) == (6 * H, 12 * H, 5)
    assert len(report.breaches) == 5
    assert report.previous == Summary(Headline(), 0, None)

    december = Period(PeriodKind.MONTHLY, msk("2026-12-01 00:00"), msk("2027-01-01 00:00"))
    later = await report_of(db, december, msk("2027-01-11 09:00"))
    assert later.previous == report.summary


def _reports(notices: Sequence[OutboxMessage]) -> list[OutboxMessage]:
    return [n for n in notices if n.kind is NoticeKind.REPORT]


async def _pending(uow_factory: UowFactory) -> list[OutboxMessage]:
    async with uow_factory() as uow:
        return list(await uow.outbox.pending(limit=1000))


GROUP = -1001234567890


async def test_the_weekly_job_posts_once_run_twice_by_two_schedulers_or_after_a_restart(
    db_url: str,
) -> None:
    engines = [create_engine(db_url), create_engine(db_url)]
    try:
        factories = [unit_of_work_factory(session_factory(e)) for e in engines]  # two processes
        async with factories[0]() as uow:
            await scripted_week(uow)
            await uow.commit()
        clock = FixedClock(NOW + timedelta(seconds=30))
        schedule = ReportSchedule(zone=MSK, group_chat_id=GROUP)
        first, second = (ReportJobs(f, clock, schedule, RULERS.working) for f in factories)
        queued = await asyncio.gather(first.sweep(), second.sweep(), first.sweep())
        assert sorted(queued) == [0, 0, 1]
        restarted = ReportJobs(factories[1], clock, schedule, RULERS.working)
        assert await restarted.sweep() == 0
        clock.move(timedelta(days=1))
        assert await first.sweep() == 0

        (notice,) = _reports(await _pending(factories[0]))
        assert (notice.chat_id, notice.recipient_id) == (GROUP, None)
        async with factories[0]() as uow:
            run = await uow.reports.get_run(int(notice.payload["run_id"]))
        assert run is not None
        assert (run.kind, run.period_start, run.period_end) == ("weekly", WEEK.start, WEEK.end)

        clock.set(msk("2026-12-04 16:00"))  # the next Friday: the next week, once
        assert await second.sweep() == 1
        assert await first.sweep() == 0
        assert len(_reports(await _pending(factories[0]))) == 2
    finally:
        for engine in engines:
            await engine.dispose()


async def test_without_a_group_the_heads_and_curators_get_it_in_private(
    uow_factory: UowFactory,
) -> None:
    async with uow_factory() as uow:
        office = await scripted_week(uow)
        await uow.commit()
    jobs = ReportJobs(uow_factory, FixedClock(NOW), ReportSchedule(zone=MSK), RULERS.working)
    assert await jobs.sweep() == 3
    recipients = {n.recipient_id for n in _reports(await _pending(uow_factory))}
    assert recipients == {office.head.id, office.deputy.id, office.curator.id}


async def test_a_new_installation_gets_no_empty_report(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        await seed_staff(uow)
        await uow.commit()
    jobs = ReportJobs(uow_factory, FixedClock(NOW), ReportSchedule(zone=MSK), RULERS.working)
    assert await jobs.sweep() == 0
    assert _reports(await _pending(uow_factory)) == []


async def test_a_surge_alerts_the_heads_once(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        office = await seed_staff(uow)
        await uow.commit()
    settings = SurgeSettings(threshold=5, window=timedelta(hours=24), alert_roles=HEADS)

    async def tag(detected: str, location: str = "ул. Ленина") -> bool:
        at = msk(detected)
        async with uow_factory() as uow:
            incident = await put(
                uow, office, detected=at, status=Status.NEW, topic=POTHOLES, location=location
            )
            alerted = await check_surge(uow, incident, settings, at + timedelta(minutes=5))
            await uow.commit()
        return alerted

    moments = [f"2026-11-24 {h:02d}:00" for h in (9, 10, 11, 12, 13, 14, 15)]
    assert [await tag(m) for m in moments] == [False] * 4 + [True, False, False]
    assert not await tag("2026-11-24 16:00", location="ул. Мира")

    surges = [n for n in await _pending(uow_factory) if n.kind is NoticeKind.SURGE]
    assert {n.recipient_id for n in surges} == {office.head.id, office.deputy.id}
    assert all(n.payload["count"] == 5 and len(n.payload["numbers"]) == 5 for n in surges)
    assert surges[0].payload["location"] == "ул. Ленина" and surges[0].payload["hours"] == 24

    # The same street three days later: a new surge, told again.
    later = [f"2026-11-27 {h:02d}:00" for h in (9, 10, 11, 12, 13)]
    assert [await tag(m) for m in later] == [False] * 4 + [True]
    surges = [n for n in await _pending(uow_factory) if n.kind is NoticeKind.SURGE]
    assert len(surges) == 4


async def test_the_content_plan_reminds_the_curators_once_a_working_day(
    uow_factory: UowFactory,
) -> None:
    async with uow_factory() as uow:
        office = await seed_staff(uow)
        await uow.commit()
    clock = FixedClock(msk("2026-11-24 10:00"))
    schedule = ReportSchedule(zone=MSK, weekly=False, content_plan_days=3)
    jobs = ReportJobs(uow_factory, clock, schedule, RULERS.working)

    def reminders(notices: Sequence[OutboxMessage]) -> list[OutboxMessage]:
        return [n for n in notices if n.kind is NoticeKind.CONTENT_REMINDER]

    assert await jobs.sweep() == 1  # nothing ever posted
    assert await jobs.sweep() == 0
    (first,) = reminders(await _pending(uow_factory))
    assert first.recipient_id == office.curator.id and first.payload["last"] is None

    with pytest.raises(AccessDenied):
        await record_official_post(uow_factory, clock, office.ivanov.telegram_id)
    assert await record_official_post(uow_factory, clock, 100, "https://vk.com/wall-1_9") is None
    clock.move(timedelta(minutes=5))
    assert await record_official_post(uow_factory, clock, 100) == msk("2026-11-24 10:00")

    clock.set(msk("2026-11-26 10:00"))  # two days after: fine
    assert await jobs.sweep() == 0
    clock.set(msk("2026-11-28 12:00"))  # Saturday: nobody is pinged on a day off
    assert await jobs.sweep() == 0
    clock.set(msk("2026-11-30 09:30"))  # Monday: six days
    assert await jobs.sweep() == 1
    last = reminders(await _pending(uow_factory))[-1]
    assert last.payload["days"] == 3
    assert datetime.fromisoformat(last.payload["last"]) == msk("2026-11-24 10:05")


async def test_a_report_asked_for_goes_to_the_one_who_asked(
    uow_factory: UowFactory, backend_url: str | None
) -> None:
    async with uow_factory() as uow:
        office = await seed_staff(uow)
        await uow.commit()
    clock = FixedClock(NOW)
    await request_report(uow_factory, clock, office.head.telegram_id, WEEK, request="200:7")
    await request_report(
        uow_factory, clock, office.curator.telegram_id, WEEK, request="100:8", discipline="csv"
    )
    with pytest.raises(AccessDenied):
        await request_report(uow_factory, clock, office.ivanov.telegram_id, WEEK, request="300:1")
    if backend_url is not None:  # the databases keep the outbox's dedupe key; the fake does not
        await request_report(uow_factory, clock, office.head.telegram_id, WEEK, request="200:7")
    notices = [
        n
        for n in await _pending(uow_factory)
        if n.kind in {NoticeKind.REPORT, NoticeKind.DISCIPLINE}
    ]
    assert [(n.kind, n.recipient_id) for n in notices] == [
        (NoticeKind.REPORT, office.head.id),
        (NoticeKind.DISCIPLINE, office.curator.id),
    ]
    assert Period.from_payload(notices[0].payload) == WEEK
    assert notices[1].payload["format"] == "csv"


async def test_a_summary_compares_with_the_previous_period_as_it_was_reported(
    uow_factory: UowFactory,
) -> None:
    october = Period(PeriodKind.MONTHLY, msk("2026-10-01 00:00"), msk("2026-11-01 00:00"))
    november = Period(PeriodKind.MONTHLY, october.end, msk("2026-12-01 00:00"))
    posted = Summary(Headline(total=7, on_time=5, late=1), 3, 2 * H)
    async with uow_factory() as uow:
        run = await uow.reports.claim_run("monthly", october.start, october.end, NOW)
        assert run is not None and run.id is not None
        await uow.reports.save_summary(run.id, posted.payload())
        now_run = await uow.reports.claim_run("monthly", november.start, november.end, NOW)
        assert now_run is not None
        assert await reported_before(uow.reports, now_run, MSK) == posted
        weekly = await uow.reports.claim_run("weekly", WEEK.start, WEEK.end, NOW)
        assert weekly is not None
        assert await reported_before(uow.reports, weekly, MSK) is None
        await uow.commit()
    assert Summary.from_payload(Summary(Headline(), 0, None).payload()) == Summary(
        Headline(), 0, None
    )


async def test_tagging_through_routing_alerts_a_surge_once(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        office = await seed_staff(uow)
        await uow.commit()
    clock = FixedClock(msk("2026-11-24 10:00"))
    surge = SurgeSettings(threshold=3, window=timedelta(hours=24), alert_roles=HEADS)
    routing = Routing(
        uow_factory, clock, shipped_profile("lipetsk"), RULERS, RoutingSettings(surge=surge)
    )
    curator = office.curator.telegram_id
    for n in range(5):
        registered = await routing.register_post(
            curator, Source(network="vk", url=f"https://vk.com/wall-7_{n}", text="Яма")
        )
        incident = registered.incident
        assert incident.id is not None
        tagged = await routing.tag(
            curator, incident.id, incident.version, topic_group="roads", topic="potholes"
        )
        await routing.tag(curator, incident.id, tagged.version, location="ул. Ленина")
        clock.move(timedelta(minutes=20))
    surges = [n for n in await _pending(uow_factory) if n.kind is NoticeKind.SURGE]
    assert sorted(n.recipient_id or 0 for n in surges) == sorted(
        [office.head.id or 0, office.deputy.id or 0]
    )
    assert surges[0].payload["count"] == 3
