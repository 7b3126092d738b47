"""Whole-bot benchmark: the bot, unmodified, as its own process (`python -m bot`) polling the
fake Telegram Bot API server, over a database that already holds N incidents, with scripted
people doing whole Lipetsk lifecycles of posts, then a burst of posts.

    python bench/bench_bot.py [--sizes 10000,100000] [--workdir /tmp/otklik-bot-bench]
                              [--solo 3] [--tasks 1] [--lifecycles 40] [--burst 400]
                              [--curators 10] [--executors 30] [--departments 10]
                              [--fresh] [--prepare-only]
                              [--update-readme]

For each size (1,000,000 only when asked: loading it takes ~2.5 min) the database is made
once under `--workdir/<size>-.../`: migrated, filled by bench_storage's bulk loader (each
incident with its source, assignments, history and a timer; the newest 100,000, or all of a
smaller size, open), then staffed through the bot's own buttons (the setup link makes the
administrator, who creates the departments and invites the curators and executors), and kept
as `pristine.sqlite3` with the people's Telegram ids in `people.json`. Every run copies the
pristine file to `run.sqlite3`, so a second run measures the same data (`--fresh` makes it
again; `--prepare-only` only makes it).

A run starts the bot (log level DEBUG: the inbox logs each update's bot CPU, SQL statements and
handling time; the bot's log is kept as `bot.log` beside the database) and plays a Lipetsk
lifecycle of a post: a forwarded channel post -> card -> topic -> route to a department -> the
executor accepts -> drafts the final answer with a photo -> sends it for approval -> the curator
approves -> the executor marks it published with a link. Every wait is for the bot's reply,
never a fixed sleep. Phases:

1. solo: `--solo` lifecycles one step at a time, /board from the curator after approving and,
   in the first `--tasks`, /tasks from the curator after routing and the executor after
   accepting (before the database narrowed /tasks it took about a minute at 100,000 open);
2. concurrent: `--lifecycles` lifecycles, all curators at once, each through its own in turn,
   /board after approving;
3. burst: `--burst` posts forwarded by the curators at once; handled updates per second from
   the first pushed to the last handled (the inbox's log lines).

Each update the bench caused is labelled with its step (the fake assigns the update ids), and
the bot's log lines give the figures per step. Bot process CPU comes from /proc/<pid>/stat over
each phase, RSS from /proc/<pid>/status at the end of each size.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench_storage import STAFF, load, machine, write_section  # noqa: E402

from storage import migrate  # noqa: E402
from storage.engine import create_engine  # noqa: E402
from tests.e2e.botproc import BotProcess  # noqa: E402
from tests.e2e.org import Org, card, msk  # noqa: E402
from tests.e2e.telegram import FakeTelegram, MessageView, tiny_png  # noqa: E402
from tests.e2e.telegram.people import Person  # noqa: E402

README = ROOT / "bench" / "README.md"
BEGIN = "<!-- bot-bench:begin -->"
END = "<!-- bot-bench:end -->"
PROFILE = "lipetsk"
OPEN = 100_000
"""Open incidents (with open timers) in the loaded data; all of them below this size."""
SETUP_AT = msk("2026-11-18 09:00")
RUN_AT = msk("2026-11-18 10:00")
"""A working Wednesday. The loaded open timers fall due from 18.11 14:30 (Moscow) on, so the
bot's sweeps find nothing of theirs due while the bench runs."""
TODAY = "18.11.2026"
LOADED_TELEGRAM = 10_000
"""bench_storage's staff have Telegram ids 10_001 and on."""
DEBUG = '\n[logging]\nlevel = "DEBUG"\n'
INBOX = re.compile(
    r"^(\S+ \S+) DEBUG otklik\.inbox: update (\d+) (\S+): "
    r"cpu ([\d.]+) ms, sql (\d+), wall ([\d.]+) ms(?:, process cpu ([\d.]+) ms)?"
)
REPLY = re.compile(
    r" DEBUG otklik\.replies: reply of update (\d+) \S+: "
    r"cpu ([\d.]+) ms, waited ([\d.]+) ms, wall ([\d.]+) ms"
)
"""A reply given with `later`, sent after its update was handled (bot/replies.py)."""
FAILURE = re.compile(r" ERROR otklik\.inbox: update (\d+) failed")
REASON = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*: ")
"""The last line of a traceback: `package.ExceptionName: message`."""
KINDS = ("forward", "tag", "route", "accept", "submit", "approve", "publish", "tasks", "board")
PRESSES = KINDS[:7]
LISTS = ("tasks", "board")
BURST = "forward (burst)"
LIST_WAIT = 1800.0
"""A ceiling for a list's answer (/tasks once took about a minute at 100,000 open)."""
PHASES = ("solo", "concurrent", "burst")
TICK = os.sysconf("SC_CLK_TCK")

# Targets of the issue, one core with SQLite.
T_RATE = 200.0
T_CPU_MS = 5.0
T_P99_MS = 50.0
T_SQL_PRESS = 12
T_SQL_LIST = 5


# ---- the people ----------------------------------------------------------------------------


@dataclass
class Staffing:
    """Who the bench's people are in the pristine database: Telegram id, first and last name."""

    admin: tuple[int, str, str]
    curators: list[tuple[int, str, str]]
    executors: list[tuple[int, str, str]]
    executor_department: list[str]
    departments: list[str]

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Staffing:
        raw = json.loads(text)
        return cls(
            admin=tuple(raw["admin"]),
            curators=[tuple(p) for p in raw["curators"]],
            executors=[tuple(p) for p in raw["executors"]],
            executor_department=list(raw["executor_department"]),
            departments=list(raw["departments"]),
        )


def who(person: Person) -> tuple[int, str, str]:
    return (person.id, person.user.first_name, person.user.last_name or "")


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def remove_db(path: Path) -> None:
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)


def fresh_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_db(path)


def checkpoint(path: Path) -> None:
    """Fold the WAL into the file, so the one file is the whole database."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def max_update_id(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT max(update_id) FROM inbox").fetchone()
    return int(row[0] or 0)


async def staff(
    path: Path, workdir: Path, curators: int, executors: int, departments: int
) -> Staffing:
    """The administrator from the setup link, then departments and people through the admin
    menu, as an installation does it (tests/e2e/org.py)."""
    fake = FakeTelegram()
    await fake.start()
    bot = BotProcess(fake, workdir, PROFILE, storage_url=sqlite_url(path))
    try:
        await bot.start(SETUP_AT)
        org = await Org.create(fake, bot)
        names = [await org.department("Отдел") for _ in range(departments)]
        cur = [await org.invite("куратор", f"Куратор{n + 1}") for n in range(curators)]
        exe: list[Person] = []
        where: list[str] = []
        for n in range(executors):
            department = names[n % departments]
            exe.append(await org.invite("исполнитель", f"Исполнитель{n + 1}", department))
            where.append(department)
            print(f"\r  invited {curators + n + 1} of {curators + executors}", end="", flush=True)
        print()
        return Staffing(who(org.admin), [who(p) for p in cur], [who(p) for p in exe], where, names)
    finally:
        await bot.close()
        await fake.stop()


async def prepare(n: int, base: Path, args: argparse.Namespace) -> tuple[Path, Staffing, str]:
    """The pristine database of size n and its people; made once, then reused."""
    pristine = base / "pristine.sqlite3"
    people = base / "people.json"
    if pristine.exists() and people.exists() and not args.fresh:
        return pristine, Staffing.from_json(people.read_text("utf-8")), "reused"
    filling = base / "filling.sqlite3"
    fresh_file(filling)
    url = sqlite_url(filling)
    began = time.perf_counter()
    await migrate.upgrade(url)
    engine = create_engine(url)
    try:
        await load(engine, n, min(n, OPEN))
    finally:
        await engine.dispose()
    loaded = time.perf_counter() - began
    checkpoint(filling)
    print(f"  loaded in {loaded:.0f} s; staffing through the bot …", flush=True)
    staffing = await staff(filling, base / "setup", args.curators, args.executors, args.departments)
    checkpoint(filling)
    remove_db(pristine)
    filling.rename(pristine)
    people.write_text(staffing.to_json(), "utf-8")
    return pristine, staffing, f"made (loaded in {loaded:.0f} s)"


# ---- what the bot logged -------------------------------------------------------------------


@dataclass
class Handled:
    update_id: int
    log_kind: str
    cpu_ms: float
    sql: int
    wall_ms: float
    process_ms: float
    """The whole process's CPU while the update was handled (other updates' and the sender's
    work included); `cpu_ms` is the update's own."""
    at: float
    """When the log line was written (epoch seconds, from its timestamp)."""
    reply_cpu_ms: float = 0.0
    """The CPU of sending the replies it gave with `later` (after its handling, in its chat's
    queue): counted with the update's own."""
    reply_out_ms: float | None = None
    """From the end of its handling until its last such reply was sent (its wait in the chat's
    queue, under Telegram's per-chat limit, and the request)."""

    @property
    def own_ms(self) -> float:
        return self.cpu_ms + self.reply_cpu_ms

    def add_reply(self, cpu_ms: float, out_ms: float) -> None:
        self.reply_cpu_ms += cpu_ms
        self.reply_out_ms = max(self.reply_out_ms or 0.0, out_ms)


class Ledger:
    """The updates the bench caused, labelled with their step, and what the bot logged."""

    def __init__(self, fake: FakeTelegram, bot: BotProcess) -> None:
        self.fake = fake
        self.bot = bot
        self.labels: dict[int, tuple[str, str]] = {}
        """update id -> (phase, step)"""
        self.phase = PHASES[0]
        self.handled: dict[int, Handled] = {}
        self.failed: set[int] = set()
        """Updates whose handling failed (the inbox logged "update N failed")."""
        self.reasons: dict[int, str] = {}
        """The exception that ended a failed update's traceback."""
        self._failing: int | None = None
        self._read = 0
        self._early_replies: dict[int, list[tuple[float, float]]] = {}
        """Replies logged before their update's own line (the queue ran first)."""

    def mark(self, kind: str) -> int:
        """Label the update the last person action pushed."""
        update_id = self.fake.state.update_counter
        self.labels[update_id] = (self.phase, kind)
        return update_id

    def scan(self) -> None:
        lines = self.bot.lines
        while self._read < len(lines):
            line = lines[self._read]
            self._read += 1
            m = INBOX.match(line)
            if m is None:
                reply = REPLY.search(line)
                if reply is not None:
                    update_id = int(reply.group(1))
                    cost = (float(reply.group(2)), float(reply.group(3)) + float(reply.group(4)))
                    if update_id in self.handled:
                        self.handled[update_id].add_reply(*cost)
                    else:
                        self._early_replies.setdefault(update_id, []).append(cost)
                    continue
                failed = FAILURE.search(line)
                if failed is not None:
                    self.failed.add(int(failed.group(1)))
                    self._failing = int(failed.group(1))
                elif self._failing is not None and REASON.match(line):
                    self.reasons[self._failing] = line.strip()
                    self._failing = None
                continue
            stamp = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()  # noqa: DTZ007 - the machine's local time, as logging writes it
            update_id = int(m.group(2))
            self.handled[update_id] = Handled(
                update_id,
                m.group(3),
                float(m.group(4)),
                int(m.group(5)),
                float(m.group(6)),
                float(m.group(7) or m.group(4)),
                stamp,
            )
            for cost in self._early_replies.pop(update_id, []):
                self.handled[update_id].add_reply(*cost)

    async def phase_done(self, t0: float, cpu0: float, pid: int) -> Phase:
        """Wait until the phase's updates are handled; its updates, time and bot CPU."""
        ids = [u for u, (phase, _) in self.labels.items() if phase == self.phase]
        if ids:  # a phase asked with none (`--lifecycles 0`) has nothing to wait for
            await self.until_handled(range(min(ids), max(ids) + 1))
        return Phase(len(ids), time.perf_counter() - t0, cpu_seconds(pid) - cpu0)

    async def until_handled(self, ids: range, timeout: float = 600) -> None:  # noqa: ASYNC109
        """Wait (polling the log every 20 ms) until every update of `ids` is logged as handled."""
        deadline = time.monotonic() + timeout
        while True:
            self.scan()
            if all(i in self.handled for i in ids):
                return
            if time.monotonic() > deadline:
                missing = sum(1 for i in ids if i not in self.handled)
                raise AssertionError(f"{missing} updates not handled within {timeout} s")
            await asyncio.sleep(0.02)


# ---- one lifecycle ---------------------------------------------------------------------


def on(message: MessageView, check: Callable[[MessageView], bool]) -> Callable[[MessageView], bool]:
    """The same message (edited), once `check` holds."""
    return lambda m: m.message_id == message.message_id and check(m)


def has_button(label: str, marker: str | None = None) -> Callable[[MessageView], bool]:
    return lambda m: label in m.button_labels and (marker is None or marker in m.content)


FAILED = "Не получилось выполнить действие"
"""The bot's apology when handling an update failed (handlers/texts.py)."""


def listing(m: MessageView) -> bool:
    return any(
        s in m.content
        for s in (
            "Ваши задачи (",
            "Открытых задач нет",
            "Открытые сообщения (",
            "Открытых сообщений нет",
            FAILED,
        )
    )


async def ask_list(ledger: Ledger, person: Person, command: str) -> None:
    person.send(f"/{command}")
    ledger.mark(command)
    await person.wait_for(listing, timeout=LIST_WAIT)


async def lifecycle(
    ledger: Ledger,
    tag: str,
    i: int,
    curator: Person,
    executor: Person,
    department: str,
    *,
    tasks: bool,
    board: bool,
) -> None:
    fake = ledger.fake
    marker = f"метка{tag}x{i:04d}"
    channel = fake.people.channel(f"Новости {tag}-{i}", f"news_{tag}_{i}")

    # forward: the curator's post becomes a card
    curator.forward_from_channel(channel, f"{marker} Яма на дороге у дома {i}, машины бьют колёса")
    ledger.mark("forward")
    shown = await card(curator, marker)

    # tag: a topic
    curator.press("🏷 Тема", message=shown)
    ledger.mark("tag")
    groups = await curator.wait_for(lambda m: any(b.startswith("Дороги") for b in m.button_labels))
    curator.press(next(b for b in groups.button_labels if b.startswith("Дороги")), message=groups)
    ledger.mark("tag")
    topics = await curator.wait_for(
        lambda m: any("Ямы" in b or "ремонт" in b.lower() for b in m.button_labels)
    )
    topic = next(b for b in topics.button_labels if "Ямы" in b or "ремонт" in b.lower())
    curator.press(topic, message=topics)
    ledger.mark("tag")
    await curator.wait_for(lambda m: marker in m.content and "Тема: Дороги →" in m.content)

    # route: to the executor's department
    shown = await curator.wait_for(has_button("➡️ Направить", marker), since=0)
    curator.press("➡️ Направить", message=shown)
    ledger.mark("route")
    menu = await curator.wait_for(lambda m: any(b.endswith(department) for b in m.button_labels))
    curator.press(next(b for b in menu.button_labels if b.endswith(department)), message=menu)
    ledger.mark("route")
    ready = await curator.wait_for(has_button("Готово: направить (1)"))
    curator.press("Готово: направить (1)", message=ready)
    ledger.mark("route")
    await curator.wait_for(on(shown, lambda m: "направлено исполнителю" in m.content))
    if tasks:
        await ask_list(ledger, curator, "tasks")

    # accept
    task = await executor.wait_for(has_button("✅ Принять", marker), since=0)
    executor.press("✅ Принять", message=task)
    ledger.mark("accept")
    taken = await executor.wait_for(on(task, lambda m: "в работе" in m.content))
    if tasks:
        await ask_list(ledger, executor, "tasks")

    # submit: the final answer's draft, sent for approval
    executor.press("✍️ Подготовить ответ", message=taken)
    ledger.mark("submit")
    kinds = await executor.wait_for(has_button("Окончательный ответ"))
    executor.press("Окончательный ответ", message=kinds)
    ledger.mark("submit")
    await executor.wait_for("Пишите окончательный ответ")
    executor.send(f"Добрый день! {marker}: яму у дома {i} заделали {TODAY}.")
    ledger.mark("submit")
    await executor.wait_for("Добавлено в проект")
    executor.send_photo(tiny_png(shade=i % 250))  # the topic asks for a photo of the work
    ledger.mark("submit")
    added = await executor.wait_for("вложений: 1")
    executor.press("📤 На согласование", message=added)
    ledger.mark("submit")
    await executor.wait_for("Проект отправлен на согласование")

    # approve
    review = await curator.wait_for(has_button("✅ Согласовать", marker), since=0)
    curator.press("✅ Согласовать", message=review)
    ledger.mark("approve")
    await curator.wait_for(on(review, lambda m: "✅ Согласовать" not in m.button_labels))
    if board:
        await ask_list(ledger, curator, "board")

    # publish: the executor says where
    published = await executor.wait_for(has_button("📢 Опубликовано", marker), since=0)
    executor.press("📢 Опубликовано", message=published)
    ledger.mark("publish")
    await executor.wait_for("Пришлите ссылку")
    executor.send(f"https://t.me/news_{tag}_{i}/1?comment=1")
    ledger.mark("publish")
    await executor.wait_for("Публикация записана")
    await curator.wait_for(
        lambda m: marker in m.content and "Статус: закрыто" in m.content, since=0
    )


# ---- a run ---------------------------------------------------------------------------------


def write_log(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", "utf-8")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def memory_kib(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


@dataclass
class Phase:
    updates: int
    seconds: float
    cpu_seconds: float

    @property
    def cpu_ms_per_update(self) -> float:
        return self.cpu_seconds * 1000 / self.updates if self.updates else 0.0


@dataclass
class Figures:
    count: int
    cpu_median: float
    cpu_p99: float
    sql_median: float
    sql_max: int
    wall_p50: float
    wall_p99: float
    process_median: float
    out_p50: float | None
    out_p99: float | None


@dataclass
class SizeResult:
    incidents: int
    open_incidents: int
    database: str
    load_at_size: float
    load_at_run: float
    lifecycles: int
    solo: Phase
    life: Phase
    burst: Phase
    kinds: dict[tuple[str, str], Figures]
    detail: dict[tuple[str, str, str], Figures]
    rss_kib: int
    hwm_kib: int
    unhandled: int
    failed: dict[str, int]
    """Updates per step whose handling failed (the bot apologised)."""
    loaded_staff_messages: int
    loaded_staff_sample: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.burst.updates / self.burst.seconds if self.burst.seconds else 0.0


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def figures(rows: list[Handled]) -> Figures:
    out = [r.reply_out_ms for r in rows if r.reply_out_ms is not None]
    return Figures(
        len(rows),
        statistics.median(r.own_ms for r in rows),
        p99([r.own_ms for r in rows]),
        statistics.median(r.sql for r in rows),
        max(r.sql for r in rows),
        statistics.median(r.wall_ms for r in rows),
        p99([r.wall_ms for r in rows]),
        statistics.median(r.process_ms for r in rows),
        statistics.median(out) if out else None,
        p99(out) if out else None,
    )


def out_text(f: Figures) -> str:
    if f.out_p50 is None or f.out_p99 is None:
        return "–"
    return f"{f.out_p50:.1f} / {f.out_p99:.1f} ms"


def people_of(fake: FakeTelegram, staffing: Staffing) -> tuple[Person, list[Person], list[Person]]:
    def person(p: tuple[int, str, str]) -> Person:
        made = fake.people.create(p[1], p[2] or None, user_id=p[0])
        fake.state.chats[p[0]].started = True
        return made

    # bench_storage's staff, in case the bot writes to any of them
    for s in range(1, STAFF + 1):
        fake.people.create("person", str(s), user_id=LOADED_TELEGRAM + s)
        fake.state.chats[LOADED_TELEGRAM + s].started = True
    return (
        person(staffing.admin),
        [person(p) for p in staffing.curators],
        [person(p) for p in staffing.executors],
    )


async def run(
    n: int,
    base: Path,
    pristine: Path,
    staffing: Staffing,
    database: str,
    args: argparse.Namespace,
    load_at_size: float,
) -> SizeResult:
    work = base / "run.sqlite3"
    remove_db(work)
    shutil.copyfile(pristine, work)
    first_id = max_update_id(work) + 1000
    fake = FakeTelegram()
    await fake.start()
    fake.state.update_counter = first_id  # past the setup's updates, which the inbox remembers
    bot = BotProcess(fake, base / "bot", PROFILE, DEBUG, storage_url=sqlite_url(work))
    ledger = Ledger(fake, bot)
    _, curators, executors = people_of(fake, staffing)
    notes: list[str] = []
    try:
        await bot.start(RUN_AT)
        assert bot.proc is not None
        pid = bot.proc.pid
        gc.collect()
        gc.freeze()
        load_at_run = os.getloadavg()[0]
        tag = f"{n}"

        # 1. solo: lifecycles one at a time, every step alone (the log's process CPU is then
        # the update's own), /tasks and /board between the steps
        print(f"  solo: {args.solo} lifecycles …", flush=True)
        cpu0, t0 = cpu_seconds(pid), time.perf_counter()
        for j in range(args.solo):
            e = j % len(executors)
            await lifecycle(
                ledger,
                tag,
                10_000 + j,
                curators[j % len(curators)],
                executors[e],
                staffing.executor_department[e],
                tasks=j < args.tasks,
                board=True,
            )
        solo = await ledger.phase_done(t0, cpu0, pid)

        # 2. concurrent: one worker per curator, each through its own lifecycles in turn
        ledger.phase = "concurrent"
        queues: list[list[int]] = [[] for _ in curators]
        for i in range(args.lifecycles):
            queues[i % len(curators)].append(i)

        async def worker(c: int) -> None:
            for i in queues[c]:
                e = i % len(executors)
                await lifecycle(
                    ledger,
                    tag,
                    i,
                    curators[c],
                    executors[e],
                    staffing.executor_department[e],
                    tasks=False,
                    board=True,
                )

        print(f"  concurrent: {args.lifecycles} lifecycles …", flush=True)
        cpu0, t0 = cpu_seconds(pid), time.perf_counter()
        await asyncio.gather(*(worker(c) for c in range(len(curators))))
        life = await ledger.phase_done(t0, cpu0, pid)

        # 3. burst: the curators forward posts all at once
        ledger.phase = "burst"
        print(f"  burst: {args.burst} posts …", flush=True)
        channels = [
            fake.people.channel(f"Лента {tag}-{k}", f"feed_{tag}_{k}") for k in range(args.burst)
        ]
        cpu0 = cpu_seconds(pid)
        pushed = time.time()
        first = fake.state.update_counter + 1
        for k, channel in enumerate(channels):
            curators[k % len(curators)].forward_from_channel(
                channel, f"Не убран снег во дворе дома {k}, пост {tag}-{k}"
            )
            ledger.mark(BURST)
        last = fake.state.update_counter
        await ledger.until_handled(range(first, last + 1))
        burst_cpu = cpu_seconds(pid) - cpu0
        finished = max(ledger.handled[u].at for u in range(first, last + 1))
        burst = Phase(last - first + 1, finished - pushed, burst_cpu)

        ledger.scan()
        memory = memory_kib(pid)
        to_loaded = [
            m.content for s in range(1, STAFF + 1) for m in fake.messages(LOADED_TELEGRAM + s)
        ]
        loaded_messages = len(to_loaded)
        loaded_sample = sorted({t.split("\n", 1)[0][:70] for t in to_loaded})[:3]
    except BaseException:
        print(bot.log(60), file=sys.stderr)
        raise
    finally:
        gc.unfreeze()
        await bot.close()
        await fake.stop()
        write_log(base / "bot.log", bot.lines)

    by_kind: dict[tuple[str, str], list[Handled]] = {}
    detail: dict[tuple[str, str, str], list[Handled]] = {}
    for update_id, (phase, kind) in ledger.labels.items():
        h = ledger.handled.get(update_id)
        if h is None:
            continue
        by_kind.setdefault((phase, kind), []).append(h)
        detail.setdefault((phase, kind, h.log_kind), []).append(h)
    failed: dict[str, int] = {}
    for update_id, (phase, kind) in ledger.labels.items():
        if update_id in ledger.failed:
            reason = ledger.reasons.get(update_id, "?")
            failed[f"{phase} {kind} ({reason})"] = failed.get(f"{phase} {kind} ({reason})", 0) + 1
    unhandled = sum(1 for u in ledger.labels if u not in ledger.handled)
    return SizeResult(
        incidents=n,
        open_incidents=min(n, OPEN),
        database=database,
        load_at_size=load_at_size,
        load_at_run=load_at_run,
        lifecycles=args.lifecycles,
        solo=solo,
        life=life,
        burst=burst,
        kinds={k: figures(v) for k, v in by_kind.items()},
        detail={k: figures(v) for k, v in sorted(detail.items())},
        rss_kib=memory.get("VmRSS", 0),
        hwm_kib=memory.get("VmHWM", 0),
        unhandled=unhandled,
        failed=failed,
        loaded_staff_messages=loaded_messages,
        loaded_staff_sample=loaded_sample,
        notes=notes,
    )


def base_of(n: int, args: argparse.Namespace) -> Path:
    return Path(args.workdir) / f"{n}-{args.curators}c{args.executors}e{args.departments}d"


async def bench_size(n: int, args: argparse.Namespace) -> SizeResult:
    load_at_size = os.getloadavg()[0]
    base = base_of(n, args)
    pristine, staffing, database = await prepare(n, base, args)
    return await run(n, base, pristine, staffing, database, args, load_at_size)


# ---- the report ----------------------------------------------------------------------------


def targets(kind: str) -> tuple[float | None, int, float]:
    """CPU median (ms), SQL statements, handling p99 (ms)."""
    if kind in LISTS:
        return None, T_SQL_LIST, T_P99_MS
    if kind in PRESSES:
        return T_CPU_MS, T_SQL_PRESS, T_P99_MS
    return T_CPU_MS, T_SQL_PRESS, T_P99_MS


def verdict(kind: str, f: Figures) -> str:
    cpu, sql, wall = targets(kind)
    missed = []
    if cpu is not None and f.cpu_median > cpu:
        missed.append("CPU")
    if f.sql_max > sql:
        missed.append("SQL")
    if f.wall_p99 > wall:
        missed.append("p99")
    return "✓" if not missed else "✗ " + ", ".join(missed)


def target_text(kind: str) -> str:
    cpu, sql, wall = targets(kind)
    head = f"≤ {cpu:g} ms / " if cpu is not None else "– / "
    return f"{head}≤ {sql} / ≤ {wall:g} ms"


def kinds_table(results: list[SizeResult]) -> str:
    lines = [
        "| incidents (open) | phase | step | updates | bot CPU per update median / p99 "
        "| process CPU meanwhile, median | SQL per update median / max | handling p50 / p99 "
        "| its replies out after handling p50 / p99 | target CPU / SQL / p99 | met |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        for phase, kind in [(p, k) for p in PHASES for k in (*KINDS, BURST)]:
            f = r.kinds.get((phase, kind))
            if f is None:
                continue
            lines.append(
                f"| {r.incidents:,} ({r.open_incidents:,}) | {phase} | {kind} | {f.count} "
                f"| {f.cpu_median:.2f} / {f.cpu_p99:.2f} ms | {f.process_median:.2f} ms "
                f"| {f.sql_median:g} / {f.sql_max} "
                f"| {f.wall_p50:.1f} / {f.wall_p99:.1f} ms | {out_text(f)} | {target_text(kind)} "
                f"| {verdict(kind, f)} |"
            )
    return "\n".join(lines)


def totals_table(results: list[SizeResult]) -> str:
    lines = [
        "| incidents (open) | burst: handled updates/s (target ≥ 200) | burst: bot CPU per update "
        "| solo: updates, time, bot CPU per update "
        "| concurrent: updates, time, bot CPU per update | RSS / peak (VmHWM) | load average "
        "(size start / run start) | database |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.incidents:,} ({r.open_incidents:,}) "
            f"| {r.rate:.0f} ({r.burst.updates} in {r.burst.seconds:.2f} s) "
            f"{'✓' if r.rate >= T_RATE else '✗'} "
            f"| {r.burst.cpu_ms_per_update:.1f} ms "
            f"| {r.solo.updates}, {r.solo.seconds:.0f} s, {r.solo.cpu_ms_per_update:.1f} ms "
            f"| {r.life.updates}, {r.life.seconds:.0f} s, {r.life.cpu_ms_per_update:.1f} ms "
            f"| {r.rss_kib / 1024:.0f} / {r.hwm_kib / 1024:.0f} MiB "
            f"| {r.load_at_size:.2f} / {r.load_at_run:.2f} | {r.database} |"
        )
    return "\n".join(lines)


def detail_table(results: list[SizeResult]) -> str:
    lines = [
        "| incidents | phase | step | the inbox's kind | updates | CPU median / p99 "
        "| SQL median / max | handling p50 / p99 | replies out after p50 / p99 |",
        "|---|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for (phase, kind, log_kind), f in r.detail.items():
            lines.append(
                f"| {r.incidents:,} | {phase} | {kind} | `{log_kind}` | {f.count} "
                f"| {f.cpu_median:.2f} / {f.cpu_p99:.2f} ms | {f.sql_median:g} / {f.sql_max} "
                f"| {f.wall_p50:.1f} / {f.wall_p99:.1f} ms | {out_text(f)} |"
            )
    return "\n".join(lines)


README_SECTION = """{begin}
## The whole bot

`python bench/bench_bot.py` runs the bot unmodified as its own process (`python -m bot`,
polling, log level DEBUG) against the fake Telegram Bot API server (`tests/e2e/telegram`,
flood limits on: 30 messages a second, 1 a second per chat after a burst of 3) over an SQLite
database that already holds N incidents (bench_storage's bulk loader: source, assignments,
history and a timer each; the newest 100,000, or all of a smaller size, open). The
administrator comes from the setup link and invites {curators} curators and {executors}
executors in {departments} departments through the bot's menus; that database is kept per size
under `--workdir` and copied before every run, so runs repeat on the same data. Scripted people
then play whole Lipetsk lifecycles: a forwarded channel post → card → topic (3 presses) → route
to a department (3 presses) → the executor accepts → drafts the final answer (2 presses, the
text, a photo) and sends it for approval (1 press) → the curator approves → the executor presses
«📢 Опубликовано» and sends the link. Every wait is for the bot's reply, never a sleep. Phases:
**solo**: {solo} lifecycles one step at a time, nothing else in flight, with /board after
approving and, in the first {tasks} of them, /tasks from the curator after routing and from the
executor after accepting; **concurrent**: {lifecycles} lifecycles, the {curators} curators at
once, each through its own in turn, /board after approving; **burst**: {burst} forwarded posts
from the curators at once, handled updates per second from the first pushed to the last
handled. Each update the bench caused is labelled with its step (the fake assigns the update
ids); the figures per update come from the inbox's DEBUG line (`otklik.inbox`: `cpu` is the
update's own CPU, the event loop thread's time while the update's steps ran, without SQLite's
work in aiosqlite's thread; `process cpu` the whole process's CPU over the same handling, the
other updates' and the sender's work included, which is what this column showed before
2026-12-05; `sql` the statements counted for its task, `wall` the handling time) and from the
lines of the replies it gave to be sent after it (`otklik.replies`, `handlers/replies.py`):
"bot CPU per update" is the update's own CPU plus the CPU of sending those replies, and "its
replies out after handling" the time from the end of its handling until the last of them was
sent (its wait in the chat's queue under the per-chat limit, and the request). Bot process
CPU per phase, everything included, comes from /proc/&lt;pid&gt;/stat, memory from
/proc/&lt;pid&gt;/status at the end of each size.

```sh
{command}
```

Measured {day} on {machine},
commit `{commit}`. The 1-minute load average when each size started is in the first table
(a size that follows another starts right after it, which kept both cores busy).

Per size: the burst, the bot process's CPU per phase (/proc, divided by the updates of the
phase) and memory:

{totals}

Per step (p99 of fewer than 100 updates is their maximum); targets from the issue, for one
core with SQLite: bot CPU ≤ 5 ms per update (median), handling p99 ≤ 50 ms, ≤ 12 SQL
statements per press, /tasks and /board ≤ 5 statements and ≤ 50 ms with 100,000 open, ≥ 200
updates handled per second, the cost flat from 10,000 to 1,000,000:

{kinds}

Per step and the inbox's own kind of update:

<details><summary>table</summary>

{detail}

</details>

Notes:
{notes}
{end}"""


NOTES = """\
* The phase figures in the first table are the whole process's CPU (/proc): the sender, the
  sweep every 0.3 s and logging included, divided by the phase's updates.
* Handling time (`wall`) includes the calls to Telegram a handler still awaits (a card it
  sends and whose message id it keeps, a callback query's answer). Replies given with `later`
  (menus, prompts, "done", lists, the draft's echo) are sent after the handling, in the chat's
  queue: when a person presses faster than Telegram lets the bot write into their chat (1
  message a second after a burst of 3), it is there that they wait, in the column "its
  replies out after handling", not in the handling (before 2026-12-05 they waited in it: the
  steps of about 1 s and 2 s of the earlier runs).
* /tasks runs only in the solo phase. It asks the database for the open messages tied to the
  person (`rulebook.involvement`) and puts the rulebook to those; the bench's loaded open
  messages are tied to the loader's staff, not to the bench's people.
* Logging: the config sets `[logging] level = "DEBUG"` for the inbox's per-update lines; the
  bot keeps aiosqlite's logger at INFO even then (at DEBUG it logs every call with its SQL
  text, which cost more CPU than the statements).
* The bot's clock is Wednesday 18.11.2026 10:00 (Moscow): the loaded open timers fall due from
  14:30 on, so the sweeps find none of them due during the run; the bench's own incidents start
  their timers then. The e2e harness's config is used (`tests/e2e/botproc.py`: sweep every
  0.3 s, sender interval 0.3 s, 28 messages a second).
* A forwarded post's acknowledgement and its card are outbox notices (the sender sends them at
  Telegram's pace), so the burst is bounded by the bot's CPU and the database: its bot CPU per
  update (first table) gives the CPU-bound ceiling, 1,000 ms ÷ that.
* The solo phase's bot CPU per update (first table) includes its /tasks.
* The fake server and the scripted people run in the bench's process, on the second core.
* The databases kept per size may be older than the code: the bot migrates the copy when it
  starts (0009 fills each incident's `next_due` from its timers), before the phases.
* To see where the figures come from: `OTKLIK_BOT_WRAPPER=bench/sqltrace.py
  OTKLIK_SQL_TRACE=<file>` writes every update's SQL statements after its log line;
  `OTKLIK_PROFILE=<file>` runs the bot under cProfile."""


def notes(results: list[SizeResult]) -> str:
    lines = [NOTES]
    for r in results:
        if r.failed:
            failed = ", ".join(f"{k}: {v}" for k, v in sorted(r.failed.items()))
            lines.append(
                f"* {r.incidents:,}: updates whose handling failed (the bot logged "
                f'"update N failed" and apologised): {failed}.'
            )
        if r.unhandled:
            lines.append(f"* {r.incidents:,}: {r.unhandled} updates never logged as handled.")
        if r.loaded_staff_messages:
            lines.append(
                f"* {r.incidents:,}: {r.loaded_staff_messages} messages went to the loaded "
                "data's staff (cards of new messages go to every curator, bench_storage's "
                "five too), e.g. " + "; ".join(f"«{t}»" for t in r.loaded_staff_sample) + "."
            )
    return "\n".join(lines)


def commit_of() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def update_readme(
    results: list[SizeResult], args: argparse.Namespace, command: str, notes: str
) -> None:
    body = README_SECTION.format(
        begin=BEGIN,
        end=END,
        curators=args.curators,
        executors=args.executors,
        departments=args.departments,
        lifecycles=args.lifecycles,
        burst=args.burst,
        solo=args.solo,
        tasks=args.tasks,
        command=command,
        day=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        machine=machine(),
        commit=commit_of(),
        totals=totals_table(results),
        kinds=kinds_table(results),
        detail=detail_table(results),
        notes=notes,
    )
    write_section(BEGIN, END, body)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="10000,100000", help="incidents, e.g. 10000,100000,1000000"
    )
    parser.add_argument("--workdir", default="/tmp/otklik-bot-bench")
    parser.add_argument("--lifecycles", type=int, default=40, help="the concurrent phase's")
    parser.add_argument("--solo", type=int, default=3, help="lifecycles one step at a time")
    parser.add_argument(
        "--tasks", type=int, default=1, help="solo lifecycles with /tasks (curator, executor)"
    )
    parser.add_argument("--burst", type=int, default=400)
    parser.add_argument("--curators", type=int, default=10)
    parser.add_argument("--executors", type=int, default=30)
    parser.add_argument("--departments", type=int, default=10)
    parser.add_argument("--fresh", action="store_true", help="make the databases again")
    parser.add_argument(
        "--prepare-only", action="store_true", help="make the databases and stop there"
    )
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    results: list[SizeResult] = []
    if args.prepare_only:
        for n in sizes:
            print(f"{n:,} incidents: {(await prepare(n, base_of(n, args), args))[2]}")
        return 0
    for n in sizes:
        print(f"{n:,} incidents (load average {os.getloadavg()[0]:.2f}) …", flush=True)
        results.append(await bench_size(n, args))
        r = results[-1]
        print(
            f"  burst {r.rate:.0f} updates/s; lifecycles {r.life.seconds:.0f} s; "
            f"RSS {r.rss_kib / 1024:.0f} MiB; unhandled {r.unhandled}; failed {r.failed}",
            flush=True,
        )
    print()
    print(totals_table(results))
    print()
    print(kinds_table(results))
    print()
    print(detail_table(results))
    print()
    print(notes(results))
    if args.update_readme:
        command = "python bench/bench_bot.py " + " ".join(sys.argv[1:] if argv is None else argv)
        update_readme(results, args, command.strip(), notes(results))
        print(f"\nwritten to {README}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
