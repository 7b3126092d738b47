"""Storage benchmark: a year and more of a busy region in the database, then the two queries
that must stay fast at that size.

    python bench/bench_storage.py [--engines sqlite,postgres] [--incidents 1000000]
                                  [--open-timers 100000] [--runs 50] [--update-readme]

It fills N incidents (each with its source, one or two assignments, 3-5 history entries and
a timer; the newest `--open-timers` timers are open) with bulk core inserts (executemany on
SQLite, COPY on PostgreSQL), then times "what is due now" (`TimerRepository.due(now, 100)`,
target ≤ 10 ms, median) and a weekly aggregate by topic and department (target ≤ 1 s).
PostgreSQL runs on a throwaway server started like the test fixture does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import JSON, Table, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.incident import Action, Status
from storage import migrate
from storage.engine import Database, create_engine, session_factory
from storage.models import (
    AssignmentRow,
    DepartmentRow,
    HistoryRow,
    IncidentRow,
    IncidentSourceRow,
    StaffRoleRow,
    StaffRow,
    TimerRow,
)
from storage.reports import by_topic_and_department
from tests.pg import PostgresServer

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=730)
DEPARTMENTS = 20
STAFF = 200
CURATORS = 5
TOPICS = [(f"group {g}", f"topic {g}.{t}") for g in range(12) for t in range(6)]
BATCH = 20_000
README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- storage-bench:begin -->", "<!-- storage-bench:end -->"

PATH: list[tuple[Action, Status, Status]] = [
    (Action.DETECT, Status.NEW, Status.NEW),
    (Action.TAG, Status.NEW, Status.NEW),
    (Action.ASSIGN, Status.NEW, Status.ASSIGNED),
    (Action.ACCEPT, Status.ASSIGNED, Status.IN_WORK),
    (Action.SUBMIT_DRAFT, Status.IN_WORK, Status.UNDER_APPROVAL),
]


@dataclass
class Result:
    engine: str
    incidents: int
    rows: int
    load_seconds: float
    size_bytes: int
    due_ms: float
    due_p95_ms: float
    due_rows: int
    weekly_ms: float
    weekly_rows: int
    weekly_incidents: int
    get_ms: float


def batches(n: int, size: int) -> Iterator[range]:
    for start in range(1, n + 1, size):
        yield range(start, min(start + size, n + 1))


def generate(
    ids: range, n: int, open_timers: int, rng: random.Random
) -> dict[str, list[dict[str, Any]]]:
    """Rows for incidents `ids`; detection moves evenly over SPAN, the newest last."""
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in ("inc", "src", "asg", "his", "tim")}
    for i in ids:
        detected = NOW - SPAN + SPAN * (i / n)
        group, topic = TOPICS[rng.randrange(len(TOPICS))]
        steps = rng.randint(3, 5)
        status = PATH[steps - 1][2] if i > n - open_timers else Status.CLOSED
        curator = 1 + i % 5
        out["inc"].append(
            {
                "id": i,
                "number": f"{detected.year}-{i:07d}",
                "profile": "lipetsk",
                "flow": "default",
                "detected_at": detected,
                "curator_id": curator,
                "status": status.value,
                "version": steps - 1,
                "topic_group": group,
                "topic": topic,
                "location": f"district {i % 17}",
                "importance": "ordinary",
                "extra_clauses": {},
                "turn": "",  # no draft: no approval step waits (as the bot and 0010 keep it)
            }
        )
        out["src"].append(
            {
                "incident_id": i,
                "network": "vk",
                "url": f"https://vk.com/wall-{i % 5000}_{i}",
                "author": f"author {rng.randrange(200_000)}",
                "text": "Жалоба на яму во дворе " * 4,
                "media": ["AgACAgIAAxkBAAI" + str(i)],
                "external_number": None,
                "external_deadline": None,
                "erased": False,
            }
        )
        for part in range(2 if i % 10 == 0 else 1):
            out["asg"].append(
                {
                    "incident_id": i,
                    "position": part,
                    "department_id": 1 + (i + part) % DEPARTMENTS,
                    "executor_id": 10 + (i + part) % (STAFF - 10),
                    "assigned_at": detected + timedelta(minutes=20),
                    "state": "accepted",
                    "part_text": None,
                    "return_reason": None,
                }
            )
        for seq, (action, src, dst) in enumerate(PATH[:steps], start=1):
            out["his"].append(
                {
                    "incident_id": i,
                    "seq": seq,
                    "at": detected + timedelta(minutes=10 * seq),
                    "actor_id": curator,
                    "actor_roles": ["curator"],
                    "action": action.value,
                    "from_status": src.value,
                    "to_status": dst.value,
                    "clause": "п. 6",
                    "payload": {"step": seq},
                }
            )
        is_open = i > n - open_timers
        due = (
            NOW + timedelta(minutes=rng.randint(-2 * 24 * 60, 5 * 24 * 60))
            if is_open
            else detected + timedelta(hours=9)
        )
        paused = is_open and i % 97 == 0
        out["inc"][-1]["next_due"] = due if is_open and not paused else None
        out["tim"].append(
            {
                "incident_id": i,
                "assignment_id": None,
                "name": "answer",
                "clause": "п. 8",
                "clock": "working",
                "started_at": detected,
                "due_at": None if paused else due,
                "holder_id": 10 + i % (STAFF - 10),
                "holder_role": "executor",
                "stopped_at": None if is_open else detected + timedelta(hours=5),
                "breached_at": None,
                "paused": paused,
                "remind_at": None if paused or not is_open else due - timedelta(minutes=30),
            }
        )
    return out


async def copy_rows(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: COPY through asyncpg; JSON columns (found by their type) go as JSON text."""
    if not rows:
        return
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    columns = list(rows[0])
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    records = [
        tuple(json.dumps(r[c], ensure_ascii=False) if c in json_columns else r[c] for c in columns)
        for r in rows
    ]
    await driver.copy_records_to_table(table.name, records=records, columns=columns)


Generate = Callable[[range], dict[str, list[dict[str, Any]]]]
"""Rows of the incidents with these ids, per table key."""


async def load_rows(
    engine: AsyncEngine,
    n: int,
    generate: Generate,
    tables: Sequence[tuple[str, Table]],
    *,
    sequences: Sequence[str] = ("incidents",),
    departments: int = DEPARTMENTS,
    staff: int = STAFF,
) -> int:
    """The bulk loader: `departments` departments and `staff` people (the first five curators,
    the others executors), then N incidents in batches of BATCH, each batch one transaction of
    bulk inserts (executemany on SQLite, COPY on PostgreSQL) into `tables` in their order; then
    the serial sequences of `sequences` (and departments, staff) moved past the ids written,
    and the statistics gathered (VACUUM ANALYZE, ANALYZE). Rows written in batches back."""
    postgres = engine.dialect.name == "postgresql"
    async with engine.begin() as conn:
        await conn.execute(
            insert(DepartmentRow),
            [{"id": d, "name": f"department {d}"} for d in range(1, departments + 1)],
        )
        await conn.execute(
            insert(StaffRow),
            [
                {
                    "id": s,
                    "telegram_id": 10_000 + s,
                    "full_name": f"person {s}",
                    "department_id": 1 + s % departments,
                    "active": True,
                    "blocked_bot": False,
                }
                for s in range(1, staff + 1)
            ],
        )
        await conn.execute(
            insert(StaffRoleRow),
            [
                {"staff_id": s, "role": "curator" if s <= CURATORS else "executor"}
                for s in range(1, staff + 1)
            ],
        )
    rows = 0
    for ids in batches(n, BATCH):
        data = generate(ids)
        async with engine.begin() as conn:
            for key, table in tables:
                if postgres:
                    await copy_rows(conn, table, data[key])
                elif data[key]:
                    await conn.execute(insert(table), data[key])
                rows += len(data[key])
        print(f"\r  loaded {ids[-1]:,} incidents", end="", flush=True)
    print()
    if postgres:
        async with engine.begin() as conn:
            for name in ("departments", "staff", *sequences):
                sequence = f"pg_get_serial_sequence('{name}', 'id')"
                await conn.execute(text(f"SELECT setval({sequence}, max(id)) FROM {name}"))
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
    else:
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
    return rows


def table_of(row: Any) -> Table:
    table = row.__table__
    assert isinstance(table, Table)
    return table


async def load(engine: AsyncEngine, n: int, open_timers: int) -> int:
    rng = random.Random(20261120)
    tables = [
        ("inc", table_of(IncidentRow)),
        ("src", table_of(IncidentSourceRow)),
        ("asg", table_of(AssignmentRow)),
        ("his", table_of(HistoryRow)),
        ("tim", table_of(TimerRow)),
    ]
    return await load_rows(engine, n, lambda ids: generate(ids, n, open_timers, rng), tables)


async def timed(
    runs: int, call: Callable[[], Awaitable[Any]], warmup: int = 3
) -> tuple[list[float], Any]:
    result: Any = None
    for _ in range(warmup):
        result = await call()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        result = await call()
        times.append((time.perf_counter() - began) * 1000)
    return times, result


async def measure(db: Database, runs: int) -> tuple[float, float, int, float, int, int, float]:
    async def due() -> int:
        async with db.unit_of_work() as uow:
            return len(await uow.timers.due(NOW, limit=100))

    due_times, due_rows = await timed(runs, due)
    monday = (NOW - timedelta(days=NOW.weekday() + 7)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )

    async def weekly() -> Any:
        async with db.sessions() as session:
            return await by_topic_and_department(session, monday, monday + timedelta(days=7))

    weekly_times, weekly_rows = await timed(max(5, runs // 5), weekly, warmup=1)

    async def get() -> Any:
        async with db.unit_of_work() as uow:
            return await uow.incidents.get(random.randrange(1, 1000))

    get_times, _ = await timed(runs, get)
    due_sorted = sorted(due_times)
    return (
        statistics.median(due_times),
        due_sorted[int(len(due_sorted) * 0.95) - 1],
        due_rows,
        statistics.median(weekly_times),
        len(weekly_rows),
        sum(r.incidents for r in weekly_rows),
        statistics.median(get_times),
    )


async def explain_due(db: Database) -> str:
    async with db.engine.connect() as conn:
        if db.backend == "postgresql":
            rows = await conn.execute(
                text(
                    "EXPLAIN SELECT id FROM timers WHERE stopped_at IS NULL AND paused = false "
                    "AND due_at <= :now ORDER BY due_at, id LIMIT 100"
                ),
                {"now": NOW},
            )
        else:
            rows = await conn.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT id FROM timers WHERE stopped_at IS NULL "
                    "AND paused = 0 AND due_at <= :now ORDER BY due_at, id LIMIT 100"
                ),
                {"now": NOW.replace(tzinfo=None).isoformat(sep=" ")},
            )
        return " / ".join(str(r[-1]).strip() for r in rows)


def file_size(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


async def size_of(db: Database, path: Path | None) -> int:
    if path is not None:
        async with db.engine.connect() as conn:
            await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        return await asyncio.to_thread(file_size, path)
    async with db.engine.connect() as conn:
        return int(
            (await conn.execute(text("SELECT pg_database_size(current_database())"))).scalar_one()
        )


async def bench(engine_name: str, n: int, open_timers: int, runs: int, workdir: Path) -> Result:
    server: PostgresServer | None = None
    path: Path | None = None
    if engine_name == "sqlite":
        path = workdir / "bench.sqlite3"
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
            rows = await load(engine, n, open_timers)
            load_seconds = time.perf_counter() - began
            print(f"  plan of due(): {await explain_due(db)}")
            (
                due_ms,
                due_p95,
                due_rows,
                weekly_ms,
                weekly_rows,
                weekly_incidents,
                get_ms,
            ) = await measure(db, runs)
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
        due_ms,
        due_p95,
        due_rows,
        weekly_ms,
        weekly_rows,
        weekly_incidents,
        get_ms,
    )


HEADER = (
    "| engine | incidents | rows | load | size on disk | due(now, 100) median / p95 "
    "| weekly by topic × department | get(incident) |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|"
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
                    f"{r.due_ms:.2f} / {r.due_p95_ms:.2f} ms ({r.due_rows} rows)",
                    f"{r.weekly_ms:.0f} ms ({r.weekly_incidents:,} incidents, "
                    f"{r.weekly_rows} groups)",
                    f"{r.get_ms:.2f} ms |",
                ]
            )
        )
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.system()}"
    )


def write_section(begin: str, end: str, body: str) -> None:
    """Put `body` (which starts with `begin` and ends with `end`) into bench/README.md in place
    of the section between those markers, or append it."""
    text_ = README.read_text() if README.exists() else "# Benchmarks\n"
    if begin in text_ and end in text_:
        head, rest = text_.split(begin, 1)
        text_ = head + body + rest.split(end, 1)[1]
    else:
        text_ = text_.rstrip("\n") + "\n\n" + body + "\n"
    README.write_text(text_)


README_SECTION = """{begin}
## Storage

`python bench/bench_storage.py` fills the database with bulk core inserts (executemany on
SQLite, COPY on PostgreSQL): each incident with its source, one assignment (every tenth a
joint answer with two), 3-5 history entries and a timer; the newest {open_timers:,} timers
are open (1 % of them paused), the others stopped; detection spreads over two years. Then it
times `TimerRepository.due(now, limit=100)` through a unit of work ({runs} runs; target
≤ 10 ms), the weekly aggregate `storage.reports.by_topic_and_department` (the incidents of
the last full week joined to their assignments; target ≤ 1 s) and loading one whole
incident (`IncidentRepository.get`). PostgreSQL 15 runs on a throwaway local server (fsync
on, shared_buffers 256MB), SQLite in WAL mode with synchronous=NORMAL.
A quicker run: `--engines sqlite --incidents 100000`; `--update-readme` rewrites this
section.

Measured {day} on {machine}:

{table}
{end}"""


def update_readme(results: list[Result], open_timers: int, runs: int) -> None:
    body = README_SECTION.format(
        begin=BEGIN,
        end=END,
        open_timers=open_timers,
        runs=runs,
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
    parser.add_argument("--open-timers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument(
        "--dir", type=Path, default=None, help="where the SQLite file goes (default: a temp dir)"
    )
    parser.add_argument(
        "--update-readme", action="store_true", help="write the table to bench/README.md"
    )
    args = parser.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if not set(engines) <= {"sqlite", "postgres"}:
        parser.error("--engines: sqlite and/or postgres")
    open_timers = min(args.open_timers, args.incidents)
    results = []
    with tempfile.TemporaryDirectory(prefix="otklik-bench-", dir=args.dir) as workdir:
        for name in engines:
            print(f"{name}: {args.incidents:,} incidents, {open_timers:,} open timers")
            results.append(await bench(name, args.incidents, open_timers, args.runs, Path(workdir)))
    print()
    print(table(results))
    if args.update_readme:
        update_readme(results, open_timers, args.runs)
        print(f"\nwritten to {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
