"""Benchmark of the working-time engine against businesstimedelta and pandas.

Run from the repository root:  .venv/bin/python bench/bench_worktime.py [--n 100000]
The competitors are optional (`pip install businesstimedelta pandas`); without them only
our engine is measured. They are slow, so they are timed and compared on a subset.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from datetime import time as clock
from functools import partial
from itertools import repeat
from typing import Any
from zoneinfo import ZoneInfo

from bot.production_calendar import RussianCalendarFacts
from domain.worktime import WorkingTime

ZONE = ZoneInfo("Europe/Moscow")
DAY = ((540, 780), (840, 1080))
FRIDAY = ((540, 780), (840, 1005))
SCHEDULE = (DAY, DAY, DAY, DAY, FRIDAY, (), ())
AMOUNTS = (timedelta(hours=0.5), timedelta(hours=9), timedelta(hours=72))
FIRST, LAST = date(2025, 1, 1), date(2028, 12, 31)


def per_call_us(fn: Callable[[], object], calls: int) -> float:
    began = time.perf_counter()
    fn()
    return (time.perf_counter() - began) / calls * 1e6


def label(amount: timedelta) -> str:
    return f"{amount.total_seconds() / 3600:g} h"


def worked(wt: WorkingTime, day: date) -> timedelta:
    return sum(((b - a) for a, b in wt.working_intervals(day)), timedelta())


def special_days(wt: WorkingTime) -> tuple[set[date], set[date], list[date]]:
    """(working weekend days, shortened days, weekdays off = the holidays list we feed)."""
    unshortened = WorkingTime(
        ZONE, SCHEDULE, RussianCalendarFacts(), preholiday_shortening_minutes=0
    )
    working_weekends, shortened, weekdays_off = set(), set(), []
    day = FIRST
    while day <= LAST:
        hours = worked(wt, day)
        if day.weekday() >= 5 and hours:
            working_weekends.add(day)
        if day.weekday() < 5 and not hours:
            weekdays_off.append(day)
        if hours < worked(unshortened, day):
            shortened.add(day)
        day += timedelta(days=1)
    return working_weekends, shortened, weekdays_off


class Explainer:
    """Names the first rule that explains why a competitor's answer differs from ours."""

    def __init__(self, wt: WorkingTime, one_schedule: bool) -> None:
        self.wt = wt
        self.working_weekends, self.shortened, _ = special_days(wt)
        self.one_schedule = one_schedule

    def __call__(self, start: datetime, ours: datetime, theirs: datetime) -> str:
        theirs = theirs.astimezone(ZONE)
        lo, hi = min(ours, theirs), max(ours, theirs)
        if self.wt.between(lo, hi) == timedelta(0):
            return "same working instant: closing time vs next opening"
        days = {
            start.date() + timedelta(days=k) for k in range((hi.date() - start.date()).days + 1)
        }
        if days & self.working_weekends:
            return "working Saturday ignored"
        if days & self.shortened:
            return "pre-holiday shortening ignored"
        if self.one_schedule and any(d.weekday() == 4 for d in days):
            return "one schedule for all days (Friday 16:45 ignored)"
        return "other"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="calls for our engine")
    parser.add_argument("--subset", type=int, default=2_000, help="calls for competitors")
    parser.add_argument("--seed", type=int, default=20251122)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)

    rng = random.Random(args.seed)
    span = int(
        (datetime(2028, 1, 1, tzinfo=ZONE) - datetime(2025, 1, 1, tzinfo=ZONE)).total_seconds()
    )
    base = datetime(2025, 1, 1, tzinfo=ZONE)
    starts = [base + timedelta(minutes=rng.randrange(span // 60)) for _ in range(args.n)]
    amounts = [AMOUNTS[i % 3] for i in range(args.n)]
    ends = [s + timedelta(minutes=rng.randrange(14 * 24 * 60)) for s in starts]

    facts = RussianCalendarFacts()
    began = time.perf_counter()
    wt = WorkingTime(ZONE, SCHEDULE, facts)
    wt.between(datetime(2025, 1, 1, tzinfo=ZONE), datetime(2028, 12, 31, tzinfo=ZONE))
    build_ms = (time.perf_counter() - began) * 1e3

    add = wt.add
    between = wt.between
    ours_add: list[datetime] = []
    ours_between: list[timedelta] = []
    add_us = per_call_us(lambda: ours_add.extend(map(add, starts, amounts)), args.n)
    between_us = per_call_us(lambda: ours_between.extend(map(between, starts, ends)), args.n)
    third = starts[: args.n // 3]
    by_amount = {
        a: per_call_us(partial(list, map(add, third, repeat(a))), len(third)) for a in AMOUNTS
    }

    print(
        f"{datetime.now(ZONE):%Y-%m-%d}, CPython {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cores, seed {args.seed}"
    )
    print(f"our tables for 2025-2028 built in {build_ms:.1f} ms (first call, incl. holidays)")
    print(f"random starts 2025-2027, amounts {', '.join(label(a) for a in AMOUNTS)} in turn")
    rows: list[tuple[str, str, str, str, str]] = [
        ("otklik WorkingTime", "add", f"{args.n:,}", f"{add_us:.2f}", "-"),
        ("otklik WorkingTime", "between", f"{args.n:,}", f"{between_us:.2f}", "-"),
    ]
    for a, us in by_amount.items():
        rows.append(("otklik WorkingTime", f"add {label(a)}", f"{args.n // 3:,}", f"{us:.2f}", "-"))

    _, _, holidays_list = special_days(wt)
    subset = range(min(args.subset, args.n))
    reasons: dict[str, Counter[str]] = {}
    pandas_add_us: float | None = None

    try:
        import businesstimedelta as btd
        import pytz  # type: ignore[import-untyped]
    except ImportError:
        print("businesstimedelta is not installed: pip install businesstimedelta (skipped)")
    else:
        tz = pytz.timezone("Europe/Moscow")
        weekdays = [0, 1, 2, 3, 4]
        rules = btd.Rules(
            [
                btd.WorkDayRule(clock(9), clock(18), [0, 1, 2, 3], tz=tz),
                btd.WorkDayRule(clock(9), clock(16, 45), [4], tz=tz),
                btd.LunchTimeRule(clock(13), clock(14), weekdays, tz=tz),
                btd.HolidayRule(holidays_list, tz=tz),
            ]
        )
        deltas = {a: btd.BusinessTimeDelta(rules, seconds=int(a.total_seconds())) for a in AMOUNTS}
        theirs_add: list[datetime] = []
        theirs_between: list[timedelta] = []
        us_add = per_call_us(
            lambda: theirs_add.extend(starts[i] + deltas[amounts[i]] for i in subset), len(subset)
        )
        us_between = per_call_us(
            lambda: theirs_between.extend(
                rules.difference(starts[i], ends[i]).timedelta for i in subset
            ),
            len(subset),
        )
        explain = Explainer(wt, one_schedule=False)
        add_diff = Counter(
            explain(starts[i], ours_add[i], theirs_add[i])
            for i in subset
            if theirs_add[i] != ours_add[i]
        )
        between_diff = Counter(
            _explain_between(explain, starts[i], ends[i])
            for i in subset
            if theirs_between[i] != ours_between[i]
        )
        reasons["businesstimedelta add"] = add_diff
        reasons["businesstimedelta between"] = between_diff
        n = f"{len(subset):,}"
        rows.append(("businesstimedelta", "add", n, f"{us_add:.1f}", str(sum(add_diff.values()))))
        rows.append(
            (
                "businesstimedelta",
                "between",
                n,
                f"{us_between:.1f}",
                str(sum(between_diff.values())),
            )
        )

    try:
        import pandas as pd
    except ImportError:
        print("pandas is not installed: pip install pandas (skipped)")
    else:
        offsets = {
            a: pd.offsets.CustomBusinessHour(
                n=round(a.total_seconds() / 3600),
                start=["09:00", "14:00"],
                end=["13:00", "18:00"],
                weekmask="Mon Tue Wed Thu Fri",
                holidays=holidays_list,
            )
            for a in AMOUNTS[1:]
        }
        picked = [i for i in subset if amounts[i] in offsets]
        stamps = {i: pd.Timestamp(starts[i]) for i in picked}
        theirs: dict[int, Any] = {}

        def run_pandas() -> None:
            for i in picked:
                theirs[i] = stamps[i] + offsets[amounts[i]]

        pandas_add_us = per_call_us(run_pandas, len(picked))
        explain = Explainer(wt, one_schedule=True)
        diff = Counter(
            explain(starts[i], ours_add[i], theirs[i].to_pydatetime())
            for i in picked
            if theirs[i].to_pydatetime() != ours_add[i]
        )
        reasons["pandas CustomBusinessHour add"] = diff
        rows.append(
            (
                "pandas CustomBusinessHour",
                "add (9 h, 72 h)",
                f"{len(picked):,}",
                f"{pandas_add_us:.1f}",
                str(sum(diff.values())),
            )
        )
        rows.append(("pandas CustomBusinessHour", "between", "-", "n/a", "no such operation"))

    header = ("library", "operation", "calls", "µs/call", "differ from ours")
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(5)]
    print()
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    if pandas_add_us is not None:
        print(f"\nours is {pandas_add_us / add_us:.0f}x faster than pandas on add")
    if reasons:
        print("\nwhy answers differ (first matching reason, on the subset):")
        for name, counter in reasons.items():
            for reason, count in counter.most_common():
                print(f"  {name}: {count} × {reason}")
    print(
        "\npandas: business-hour offsets take whole hours only (0.5 h is not expressible), "
        "one schedule for every weekday, no working Saturdays, no shortened days; a deadline "
        "at closing time is reported as the next opening."
        "\nbusinesstimedelta: per-weekday rules and lunch breaks work, but no working "
        "Saturdays, no shortened days; both got the same holidays list (weekdays off)."
    )


def _explain_between(explain: Explainer, start: datetime, end: datetime) -> str:
    days = {start.date() + timedelta(days=k) for k in range((end.date() - start.date()).days + 1)}
    if days & explain.working_weekends:
        return "working Saturday ignored"
    if days & explain.shortened:
        return "pre-holiday shortening ignored"
    return "other"


if __name__ == "__main__":
    main()
