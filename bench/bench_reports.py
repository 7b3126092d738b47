"""Reports benchmark: a year of a busy region (1,000,000 incidents) in the database, then the
weekly report and the quarterly summary (with quality and dynamics) computed from it.

    python bench/bench_reports.py [--engines sqlite,postgres] [--incidents 1000000]
                                  [--runs 7] [--update-readme]

Each incident gets its source, one assignment (every tenth a joint answer with two), a draft
and its publication when answered (final, or intermediate for some), three timers (route,
draft, answer; some run late, so there are breaches), a revision for some, a link to an earlier
one for some, the author's reaction for some. Bulk inserts come from bench_storage (executemany
on SQLite, COPY on PostgreSQL). Then it times `domain.reports.build_report` for the last full
week and the last full quarter (target ≤ 2 s each on SQLite), the rendering of the weekly one
(text, PNG chart, XLSX workbook), and a surge check.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_storage import load_rows, machine, size_of, table_of, timed, write_section
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.production_calendar import RussianCalendarFacts
from bot.reporting import (
    Names,
    render_chart,
    render_workbook,
    report_lines,
    split_message,
)
from domain.ports import ReportRun
from domain.reports import (
    Period,
    Report,
    SurgeSettings,
    build_discipline,
    build_report,
    check_surge,
    last_quarter,
    last_weekly,
    reported_before,
    summarize,
)
from domain.timeline import Rulers
from domain.worktime import CalendarTime, WorkingTime
from storage import migrate
from storage.engine import Database, create_engine, session_factory
from storage.models import (
    ApprovalRow,
    AssignmentRow,
    DraftRow,
    IncidentLinkRow,
    IncidentRow,
    IncidentSourceRow,
    PublicationRow,
    TimerRow,
)
from storage.reports import SqlReportQueries
from tests.pg import PostgresServer

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=365)
DEPARTMENTS = 20
STAFF = 200
TOPICS = [(f"g{g}", f"t{g}_{t}") for g in range(12) for t in range(6)]
LOCATIONS = [f"район {n}" for n in range(40)]
README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- reports-bench:begin -->", "<!-- reports-bench:end -->"
DAY = ((540, 780), (840, 1080))
FRI = ((540, 780), (840, 1005))
RULERS = Rulers(
    working=WorkingTime(MSK, (DAY, DAY, DAY, DAY, FRI, (), ()), RussianCalendarFacts()),
    calendar=CalendarTime(MSK),
    every_day=WorkingTime(
        MSK, (DAY, DAY, DAY, DAY, FRI, (), ()), RussianCalendarFacts(), days_off_schedule=DAY
    ),
)
H = timedelta(hours=1)
TABLES: list[tuple[str, Any]] = [
    ("inc", IncidentRow),
    ("src", IncidentSourceRow),
    ("asg", AssignmentRow),
    ("drf", DraftRow),
    ("pub", PublicationRow),
    ("apr", ApprovalRow),
    ("lnk", IncidentLinkRow),
    ("tim", TimerRow),
]


def generate(ids: range, n: int, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {key: [] for key, _ in TABLES}
    for i in ids:
        detected = NOW - SPAN + SPAN * (i / n)
        group, topic = TOPICS[rng.randrange(len(TOPICS))]
        roll = rng.random()
        newest = i > n - n // 50
        if newest:
            status, kind = "in_work", None
        elif roll < 0.80:
            status, kind = "closed", "final"
        elif roll < 0.85:
            status, kind = "awaiting_final", "intermediate"
        elif roll < 0.90:
            status, kind = "not_subject", None
        elif roll < 0.93:
            status, kind = "no_reaction", None
        else:
            status, kind = "published", "final"
        importance = rng.choices(("ordinary", "high", "significant"), (90, 8, 2))[0]
        reaction = (
            rng.choice(("satisfied", "neutral", "dissatisfied"))
            if status == "closed" and rng.random() < 0.3
            else None
        )
        out["inc"].append(
            {
                "id": i,
                "number": f"{detected.year}-{i:07d}",
                "profile": "lipetsk",
                "flow": "default",
                "detected_at": detected,
                "curator_id": 1 + i % 5,
                "status": status,
                "version": 5,
                "topic_group": group,
                "topic": topic,
                "location": LOCATIONS[rng.randrange(len(LOCATIONS))],
                "importance": importance,
                "outcome": "answered" if kind else None,
                "reaction": reaction,
                "extra_clauses": {},
            }
        )
        out["src"].append(
            {
                "incident_id": i,
                "network": "vk",
                "url": f"https://vk.com/wall-{i % 5000}_{i}",
                "author": f"author {rng.randrange(200_000)}",
                "text": "Жалоба на яму во дворе",
                "media": [],
                "external_number": None,
                "external_deadline": None,
                "erased": False,
            }
        )
        routed = status not in ("not_subject", "no_reaction")
        executor = 10 + i % (STAFF - 10)
        if routed:
            for part in range(2 if i % 10 == 0 else 1):
                out["asg"].append(
                    {
                        "incident_id": i,
                        "position": part,
                        "department_id": 1 + (i + part) % DEPARTMENTS,
                        "executor_id": executor,
                        "assigned_at": detected + timedelta(minutes=20),
                        "state": "accepted",
                        "part_text": None,
                        "return_reason": None,
                    }
                )
        late = rng.random() < 0.15
        answered_at = detected + (rng.uniform(9.5, 40) if late else rng.uniform(0.5, 8.5)) * H
        if kind is not None:
            draft_id = i
            out["drf"].append(
                {
                    "id": draft_id,
                    "incident_id": i,
                    "kind": kind,
                    "text": "Ответ",
                    "author_id": executor,
                    "created_at": answered_at - H,
                    "submitted_at": answered_at - H,
                    "revision": 0,
                    "promised_final": None,
                    "overridden_warnings": [],
                }
            )
            out["pub"].append(
                {
                    "incident_id": i,
                    "draft_id": draft_id,
                    "publisher_id": executor,
                    "at": answered_at,
                    "link": None,
                    "screenshot_file_id": None,
                    "public": True,
                    "general_interest": False,
                }
            )
            if rng.random() < 0.1:
                out["apr"].append(
                    {
                        "incident_id": i,
                        "draft_id": draft_id,
                        "step": 0,
                        "role": "curator",
                        "approver_id": 1 + i % 5,
                        "decision": "revision",
                        "at": answered_at - H / 2,
                        "reason": "Уточните",
                    }
                )
        if i > 1 and rng.random() < 0.05:
            out["lnk"].append({"incident_id": i, "linked_id": i - 1, "position": 0})
        done = answered_at if kind is not None else (None if newest else detected + H)
        route_done = detected + H * (0.7 if rng.random() < 0.05 else 0.3)
        timers: list[tuple[str, float, datetime | None, int]] = [
            ("route", 0.5, route_done, 1 + i % 5)
        ]
        if routed:
            drafted = (done - H) if done else None
            if drafted is not None and not late:
                drafted = min(drafted, detected + 4.5 * H)
            timers.append(("draft", 5.0, drafted, executor))
        timers.append(("answer", 9.0, done, executor))
        for name, hours, stopped, holder in timers:
            due = detected + hours * H
            out["tim"].append(
                {
                    "incident_id": i,
                    "assignment_id": None,
                    "name": name,
                    "clause": "п. 8",
                    "clock": "working",
                    "started_at": detected,
                    "due_at": due,
                    "holder_id": holder,
                    "holder_role": "curator" if name == "route" else "executor",
                    "stopped_at": stopped,
                    "breached_at": due if (stopped or NOW) > due else None,
                    "paused": False,
                    "remind_at": None,
                }
            )
    return out


async def load(engine: AsyncEngine, n: int) -> int:
    """bench_storage's bulk loader with this year's rows."""
    rng = random.Random(20261127)
    return await load_rows(
        engine,
        n,
        lambda ids: generate(ids, n, rng),
        [(key, table_of(row)) for key, row in TABLES],
        sequences=("incidents", "drafts"),
        departments=DEPARTMENTS,
        staff=STAFF,
    )


@dataclass
class Result:
    engine: str
    incidents: int
    rows: int
    load_seconds: float
    size_bytes: int
    weekly_ms: float
    weekly_incidents: int
    weekly_breaches: int
    quarterly_ms: float
    quarterly_cold_ms: float
    quarterly_incidents: int
    quarterly_breaches: int
    render_ms: float
    workbook_rows: int
    surge_ms: float
    load_average: float


def names() -> Names:
    return Names(
        staff={s: f"Сотрудник {s}" for s in range(1, STAFF + 1)},
        departments={d: f"Отдел {d}" for d in range(1, DEPARTMENTS + 1)},
        leads={},
        topics={t: f"Тема {t}" for _, t in TOPICS} | {g: f"Группа {g}" for g, _ in TOPICS},
    )


@dataclass
class Measured:
    weekly_ms: float
    weekly: Report
    quarterly_ms: float
    quarterly_cold_ms: float
    quarterly: Report
    render_ms: float
    book_rows: int
    surge_ms: float
    load_average: float
    """The 1-minute load average when the measurements began (other processes included)."""


def shown(name: str, times: list[float]) -> float:
    """The median, after printing every run (the spread shows what else the machine ran)."""
    middle = statistics.median(times)
    print(f"  {name}: median {middle:,.0f} ms of " + ", ".join(f"{t:,.0f}" for t in times))
    return middle


async def measure(db: Database, n: int, runs: int) -> Measured:
    load_average = os.getloadavg()[0]
    week = last_weekly(NOW, MSK, 4, dt_time(16, 0))
    quarter = last_quarter(NOW, MSK)

    queries = SqlReportQueries(db.sessions)

    async def report(period: Period, run: ReportRun | None = None) -> Report:
        """As `bot.reporting.Reporting.compute` makes it: the queries at once."""
        before = None
        if run is not None:
            async with db.unit_of_work() as uow:
                before = await reported_before(uow.reports, run, MSK)
        return await build_report(
            queries, period, RULERS, MSK, NOW, previous=before, concurrent=True
        )

    weekly_times, weekly = await timed(runs, lambda: report(week), warmup=1)
    cold_times, _ = await timed(runs, lambda: report(quarter), warmup=1)

    # As in production: the previous quarter's report was posted and kept its figures.
    previous = quarter.previous(MSK)
    async with db.unit_of_work() as uow:
        posted = await summarize(uow.reports, previous, RULERS, MSK, previous.end)
        old = await uow.reports.claim_run("quarterly", previous.start, previous.end, NOW)
        run = await uow.reports.claim_run("quarterly", quarter.start, quarter.end, NOW)
        assert old is not None and old.id is not None and run is not None
        await uow.reports.save_summary(old.id, posted.payload())
        await uow.commit()
    quarterly_times, quarterly = await timed(runs, lambda: report(quarter, run), warmup=1)
    assert quarterly.previous == posted

    async def render() -> int:
        """What the sender does for the weekly report: the report, the rows and breaches of its
        workbook, the text, the chart and the workbook."""
        made = await report(week)
        lines = await queries.incident_lines(week.start, week.end, NOW)
        breaches = await build_discipline(queries, week, RULERS, NOW)
        split_message(report_lines(made, names(), organization="Область", clause="11", zone=MSK))
        render_chart(made, names(), MSK)
        render_workbook(lines, breaches, names(), MSK, RULERS.working)
        return len(lines)

    render_times, book_rows = await timed(max(1, runs // 2), render, warmup=1)

    async def surge() -> bool:
        async with db.unit_of_work() as uow:
            incident = await uow.incidents.get(n - 10)
            assert incident is not None
            settings = SurgeSettings(threshold=10_000)
            return await check_surge(uow, incident, settings, incident.detected_at)

    surge_times, _ = await timed(runs * 4, surge, warmup=2)
    return Measured(
        shown("weekly report", weekly_times),
        weekly,
        shown("quarterly summary", quarterly_times),
        shown("quarterly, previous recomputed", cold_times),
        quarterly,
        shown("weekly text + PNG + XLSX", render_times),
        book_rows,
        statistics.median(surge_times),
        load_average,
    )


async def bench(engine_name: str, n: int, runs: int, workdir: Path) -> Result:
    server: PostgresServer | None = None
    path: Path | None = None
    if engine_name == "sqlite":
        path = workdir / "reports.sqlite3"
        path.unlink(missing_ok=True)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        began = time.perf_counter()
        server = await asyncio.to_thread(
            PostgresServer.start, durable=True, settings=["shared_buffers=256MB"]
        )
        print(f"  PostgreSQL server started in {time.perf_counter() - began:.2f} s")
        url = server.url()
    try:
        await migrate.upgrade(url)
        engine = create_engine(url)
        db = Database(url, engine, session_factory(engine))
        try:
            began = time.perf_counter()
            rows = await load(engine, n)
            load_seconds = time.perf_counter() - began
            m = await measure(db, n, runs)
            size = await size_of(db, path)
        finally:
            await db.close()
    finally:
        if server is not None:
            await asyncio.to_thread(server.stop)
        if path is not None:
            for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                p.unlink(missing_ok=True)
    return Result(
        engine_name,
        n,
        rows,
        load_seconds,
        size,
        m.weekly_ms,
        m.weekly.headline.total,
        m.weekly.breach_count,
        m.quarterly_ms,
        m.quarterly_cold_ms,
        m.quarterly.headline.total,
        m.quarterly.breach_count,
        m.render_ms,
        m.book_rows,
        m.surge_ms,
        m.load_average,
    )


HEADER = (
    "| engine | incidents | rows | load | size | weekly report | quarterly summary "
    "| quarterly, previous recomputed | weekly text + PNG + XLSX | surge check |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def table(results: list[Result]) -> str:
    lines = [HEADER]
    for r in results:
        lines.append(
            " | ".join(
                [
                    f"| {r.engine}",
                    f"{r.incidents:,}",
                    f"{r.rows:,}",
                    f"{r.load_seconds:.0f} s",
                    f"{r.size_bytes / 2**20:,.0f} MiB",
                    f"{r.weekly_ms:,.0f} ms ({r.weekly_incidents:,} incidents, "
                    f"{r.weekly_breaches:,} breaches)",
                    f"{r.quarterly_ms:,.0f} ms ({r.quarterly_incidents:,} incidents, "
                    f"{r.quarterly_breaches:,} breaches)",
                    f"{r.quarterly_cold_ms:,.0f} ms",
                    f"{r.render_ms:,.0f} ms ({r.workbook_rows:,} rows)",
                    f"{r.surge_ms:.1f} ms |",
                ]
            )
        )
    return "\n".join(lines)


README_SECTION = """{begin}
## Reports

`python bench/bench_reports.py` loads a year of a busy region: {incidents:,} incidents with
their sources, assignments (every tenth joint), drafts and publications (final or
intermediate), three timers each (route, draft, answer; about 15 % of answers late),
revisions, repeated-message links and reactions, with bench_storage's bulk loader
(`load_rows`). Then it times `domain.reports.build_report` for the last full week and for the
last full quarter (the summary: with quality and the previous quarter's figures for the
dynamics), both computed with aggregate queries (the time to answer reads two moments per
answered incident and measures them with `WorkingTime`); the whole weekly delivery (report,
incident rows, text, PNG chart, XLSX workbook); and `check_surge` (one indexed query).
Target: each report ≤ 2 s on SQLite. `--engines sqlite --incidents 100000` is a quicker run;
`--update-readme` rewrites this section.

Each figure is the median of {runs} warm runs in one process, one after another (the weekly
delivery: {render_runs}); the script prints every run. The machine was shared with other work's
tests. The 1-minute load average when the measurements began (the benchmark's own loading
had just kept one core busy for minutes, so about 1 means little else was running):
{loads}.

Measured {day} on {machine}:

{table}

Before (the same data and machine, 2026-11-22, median of 5 runs): SQLite weekly 170 ms,
quarterly summary 1,271 ms, previous recomputed 2,279 ms; PostgreSQL 365 ms, 3,035 ms,
5,401 ms.

Notes:
* "quarterly summary" is the scheduled one: the previous quarter's report was posted and kept
  its figures (`report_runs.summary`), which the dynamics compare with. "previous recomputed"
  is the first quarterly summary of an installation and `/report quarter` (a rolling three
  months): the previous period's figures are computed too, but not as a second report: its
  totals without the departments (`ReportQueries.headline`), its answer times and its breach
  count.
* The queries of one report run at once, each on a connection of its own
  (`storage.reports.SqlReportQueries`, `build_report(..., concurrent=True)`): SQLite in WAL
  mode reads on both cores and releases the GIL while it works.
* The answer times of a quarter (two epoch seconds per answered incident, a quarter of a
  million incidents) come from the database as two arrays in one row (`json_group_array` on
  SQLite, `array_agg` on PostgreSQL). As rows they cost a Python object each and, on SQLite, a
  round of the GIL each, so the two periods' reads slowed each other down threefold.
* Other costs taken out: the cohort and the headline group by one integer code per row (SQLite
  groups by sorting); the trend counts each week from the index on `detected_at` (was one
  pass testing every incident against every week); importance, reactions and intermediate
  answers are counted in one pass without a sort; medians sort integers once.
* On PostgreSQL the per-incident lookups become hash joins over whole tables (timers,
  assignments, publications), so a quarter costs more there than on SQLite; JIT is turned off
  for these transactions (it compiled for 0.8 s per query).
* The delivery column is dominated by openpyxl writing 19,179 incident rows and 6,481 breaches
  (a region's week); an administration's week of a few hundred incidents takes well under 1 s.
* The synthetic year is harsh on deadlines: a third of the incidents have a breach.
{end}"""


def update_readme(results: list[Result], runs: int) -> None:
    body = README_SECTION.format(
        begin=BEGIN,
        end=END,
        incidents=results[0].incidents,
        runs=runs,
        render_runs=max(1, runs // 2),
        loads=", ".join(f"{r.engine} {r.load_average:.1f}" for r in results),
        day=datetime.now(UTC).date().isoformat(),
        machine=machine(),
        table=table(results),
    )
    write_section(BEGIN, END, body)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None, help="where the SQLite file goes")
    parser.add_argument("--update-readme", action="store_true", help="write bench/README.md")
    args = parser.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if not set(engines) <= {"sqlite", "postgres"}:
        parser.error("--engines: sqlite and/or postgres")
    results = []
    with tempfile.TemporaryDirectory(prefix="otklik-reports-", dir=args.dir) as workdir:
        for name in engines:
            print(f"{name}: {args.incidents:,} incidents")
            results.append(await bench(name, args.incidents, args.runs, Path(workdir)))
            print(table(results[-1:]))
    print()
    print(table(results))
    if args.update_readme:
        update_readme(results, args.runs)
        print(f"\nwritten to {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
