"""`python -m bot`: the bot itself, and commands to check the rules without Telegram.

Bad input gives one line naming the problem on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from bot.config import Settings, load_settings
from bot.db_cli import add_db_parser, run_db_command
from bot.rulers import build_rulers, build_working_time
from domain.errors import ConfigError
from domain.incident import Importance
from domain.profiles import ExternalRule, TimerKind
from domain.timeline import TimelineEntry, timeline
from domain.worktime import uncovered_years_message

EXIT_BAD_INPUT = 2
DEFAULT_CONFIG = "config.toml"


class BadInput(Exception):
    """One line for stderr; the command exits with 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise BadInput(message)


def _config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        default=os.environ.get("OTKLIK_CONFIG", DEFAULT_CONFIG),
        help="the TOML configuration file (default: $OTKLIK_CONFIG or ./config.toml)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m bot", description="otklik: the bot and its rule checks")
    _config_arg(parser)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", help="run the bot (the default)")
    _config_arg(run)

    wt = sub.add_parser("worktime", help="working-time arithmetic of the organisation")
    wt_sub = wt.add_subparsers(dest="worktime_command", required=True, parser_class=_Parser)
    add = wt_sub.add_parser("add", help="the moment N working minutes, hours or days after START")
    _config_arg(add)
    add.add_argument("--start", required=True)
    amount = add.add_mutually_exclusive_group(required=True)
    amount.add_argument("--minutes", type=float)
    amount.add_argument("--hours", type=float)
    amount.add_argument("--days", type=int)
    between = wt_sub.add_parser("between", help="working minutes between START and END")
    _config_arg(between)
    between.add_argument("--start", required=True)
    between.add_argument("--end", required=True)

    add_db_parser(sub)

    dl = sub.add_parser(
        "deadlines", help="the profile's timeline for a message detected at a moment"
    )
    _config_arg(dl)
    dl.add_argument("--detected", required=True)
    dl.add_argument("--flow")
    dl.add_argument("--importance", choices=[i.value for i in Importance], default="ordinary")
    dl.add_argument("--external-deadline")
    dl.add_argument("--json", action="store_true")
    return parser


def parse_moment(text: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{what}: not an ISO 8601 moment: {text!r}") from None
    if moment.tzinfo is None:
        raise BadInput(
            f"{what}: give a UTC offset, for example {text}+03:00 (a naive time is ambiguous)"
        )
    return moment


def _settings(path: str) -> Settings:
    return load_settings(Path(path))


def _minutes(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    whole, rest = divmod(seconds, 60)
    return str(whole) if not rest else f"{seconds / 60:.2f}"


def cmd_worktime(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    wt = build_working_time(settings)
    zone = settings.organization.zone
    start = parse_moment(args.start, "--start")
    if args.worktime_command == "add":
        if args.days is not None:
            if args.days < 1:
                raise BadInput("--days: must be a whole number of at least 1")
            result = wt.add_days(start, args.days)
        else:
            minutes = args.minutes if args.minutes is not None else args.hours * 60
            if minutes < 0:
                raise BadInput("--minutes/--hours: a duration cannot be negative")
            result = wt.add(start, timedelta(minutes=minutes))
        print(result.astimezone(zone).isoformat())
        return 0
    end = parse_moment(args.end, "--end")
    if end < start:
        raise BadInput("--end: the end is before the start")
    print(_minutes(wt.between(start, end)))
    return 0


def cmd_deadlines(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    profile = settings.profile()
    flow = profile.flow(args.flow or settings.organization.flow)
    detected = parse_moment(args.detected, "--detected")
    external = (
        parse_moment(args.external_deadline, "--external-deadline")
        if args.external_deadline
        else None
    )
    if external is not None and external < detected:
        raise BadInput("--external-deadline: the deadline is before the detection")
    importance = Importance(args.importance)
    rulers = build_rulers(settings)
    entries = timeline(profile, flow, rulers, detected, importance, external)
    latest = max((e.due for e in entries if e.due is not None), default=detected)
    uncovered = rulers.working.uncovered_years(detected, latest + timedelta(days=30))
    zone = settings.organization.zone
    if args.json:
        doc = {
            "profile": profile.name,
            "flow": flow.name,
            "detected": detected.astimezone(zone).isoformat(),
            "importance": importance.value,
            "external_deadline": external.astimezone(zone).isoformat() if external else None,
            "timers": [_entry_json(e, zone) for e in entries],
            "warnings": [uncovered_years_message(uncovered)] if uncovered else [],
        }
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0
    print(f"{profile.title} — {profile.act}")
    print(f"profile {profile.name}, flow {flow.name}: {flow.title}")
    print(f"detected {detected.astimezone(zone).isoformat()}, importance {importance.value}")
    for e in entries:
        print(_entry_line(e, zone))
    if uncovered:
        print(f"WARNING: {uncovered_years_message(uncovered)}")
    return 0


def _length(e: TimelineEntry) -> str:
    t = e.timer
    if t.length is None:
        return "set by the curator" if t.set_by_curator else "external deadline"
    return f"{t.length} {e.clock.value}"


def _events(triggers: Sequence[Any]) -> str:
    return ", ".join(str(t) for t in triggers)


def _entry_line(e: TimelineEntry, zone: Any) -> str:
    """One timer: its due moment or what starts it, and always its clock (working, calendar,
    every_day), whether it is only a window, and how an external deadline combines with it."""
    t = e.timer
    if e.due is not None:
        when = e.due.astimezone(zone).isoformat()
        if e.external:
            when += " (external deadline)"
    elif t.before is not None:
        when = f"{_length(e)} before {t.before}"
    else:
        when = f"starts at {_events(t.start)}, {_length(e)}"
    notes = [f"clock {e.clock.value}"]
    if t.kind is TimerKind.WINDOW:
        notes.append("window: no breach by itself")
    if t.external is not ExternalRule.NONE:
        notes.append(f"external deadline: {t.external.value}")
    if t.settable:
        notes.append("the curator may set it")
    return f"{t.name:<26} {t.clause:<12} {when} [{'; '.join(notes)}]"


def _entry_json(e: TimelineEntry, zone: Any) -> dict[str, Any]:
    t = e.timer
    return {
        "name": t.name,
        "clause": t.clause,
        "holder": t.holder.value,
        "clock": e.clock.value,
        "length": str(t.length) if t.length is not None else None,
        "start": t.start[0].event.value if t.start else None,
        "starts": [str(x) for x in t.start],
        "stops": [str(x) for x in t.stop],
        "pauses": [str(x) for x in t.pause],
        "resumes": [str(x) for x in t.resume],
        "kind": t.kind.value,
        "per": t.per.value,
        "external_rule": t.external.value,
        "before": t.before,
        "due": e.due.astimezone(zone).isoformat() if e.due else None,
        "external": e.external,
        "set_by_curator": t.set_by_curator,
        "settable": t.settable,
        "breach": [r.value for r in t.breach],
        "note": t.note,
    }


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        args = build_parser().parse_args(argv)
        if args.command == "worktime":
            return cmd_worktime(args)
        if args.command == "deadlines":
            return cmd_deadlines(args)
        settings = _settings(args.config)
        if args.command == "db":
            return asyncio.run(run_db_command(args, settings))
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ConfigError as exc:
        print(f"error: configuration: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from bot.main import run_bot

    return run_bot(settings)
