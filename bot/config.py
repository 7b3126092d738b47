"""The configuration file: one TOML file, validated; every error names its key.

Only `[organization]` and `[calendar]` are required; every other section has defaults.
The bot token comes from the `BOT_TOKEN` environment variable, never from the file.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from domain.errors import ConfigError
from domain.profiles import SHIPPED, Profile, build_profile, shipped_profile

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_WORKDAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?::(mon|tue|wed|thu|fri|sat|sun))?$")
_DEFAULT_DAY = ["09:00-13:00", "14:00-18:00"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_interval(text: str) -> tuple[int, int]:
    """ "09:00-13:00" → (540, 780) minutes from local midnight; "24:00" may end a day."""
    m = _INTERVAL.match(text)
    if not m:
        raise ValueError(f"bad interval {text!r}: write it like '09:00-13:00'")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
        raise ValueError(f"bad time in {text!r}")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        raise ValueError(f"interval {text!r} ends before it starts")
    return start, end


def _check_day(value: list[str]) -> list[str]:
    """One day's intervals: each well formed, none overlapping."""
    parsed = sorted(parse_interval(v) for v in value)
    for (_, end), (start, _) in pairwise(parsed):
        if start < end:
            raise ValueError("intervals overlap")
    return value


class Organization(_Section):
    name: str = Field(min_length=1)
    timezone: str
    profile: str
    flow: str | None = None
    """The flow used when the curator does not name one (a profile's default otherwise)."""
    external_curator_chat_id: int | None = None
    """The external curator's Telegram chat: what the profile hands them at once (Barnaul 4,
    8, 9) goes there too; without it the curators are told to pass it on."""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (for example 'Europe/Moscow')") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class CalendarSettings(_Section):
    mon: list[str] = Field(default_factory=lambda: list(_DEFAULT_DAY))
    tue: list[str] = Field(default_factory=lambda: list(_DEFAULT_DAY))
    wed: list[str] = Field(default_factory=lambda: list(_DEFAULT_DAY))
    thu: list[str] = Field(default_factory=lambda: list(_DEFAULT_DAY))
    fri: list[str] = Field(default_factory=lambda: list(_DEFAULT_DAY))
    sat: list[str] = Field(default_factory=list)
    sun: list[str] = Field(default_factory=list)
    preholiday_shortening_minutes: int = Field(default=60, ge=0, le=24 * 60)
    extra_days_off: list[date] = Field(default_factory=list)
    extra_workdays: list[str] = Field(default_factory=list)
    """"YYYY-MM-DD" (follows Monday's schedule) or "YYYY-MM-DD:fri" (follows Friday's)."""
    production_calendar: Literal["ru", "none"] = "ru"
    days_off_hours: list[str] | None = None
    """Hours worked on days off by timers on the `every_day` clock (Gulkevichi 3.10);
    None: the most common Monday..Friday schedule (see `days_off_schedule`)."""

    @field_validator("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    @classmethod
    def _intervals(cls, value: list[str]) -> list[str]:
        return _check_day(value)

    @field_validator("days_off_hours")
    @classmethod
    def _days_off_hours(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("no working time: name the hours, or leave the key out")
        return _check_day(value)

    @field_validator("extra_workdays")
    @classmethod
    def _workdays(cls, value: list[str]) -> list[str]:
        for item in value:
            m = _WORKDAY.match(item)
            if not m:
                raise ValueError(f"bad day {item!r}: write 'YYYY-MM-DD' or 'YYYY-MM-DD:fri'")
            date.fromisoformat(m.group(1))
        return value

    @model_validator(mode="after")
    def _some_work(self) -> CalendarSettings:
        if not any(getattr(self, d) for d in WEEKDAYS):
            raise ValueError("the weekly schedule has no working time at all")
        both = sorted(set(self.extra_days_off) & set(self.workdays()))
        if both:
            raise ValueError(f"{both[0]} is both in extra_days_off and in extra_workdays")
        return self

    def week(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        return tuple(tuple(sorted(parse_interval(v) for v in getattr(self, d))) for d in WEEKDAYS)

    def days_off_schedule(self) -> tuple[tuple[int, int], ...]:
        """The usual daily hours worked on days off on the `every_day` clock: `days_off_hours`,
        else the non-empty schedule most common among Monday..Friday (ties: the earliest
        weekday), else the first non-empty day of the week."""
        if self.days_off_hours is not None:
            return tuple(sorted(parse_interval(v) for v in self.days_off_hours))
        week = self.week()
        weekdays = [day for day in week[:5] if day]
        if weekdays:
            return max(weekdays, key=weekdays.count)  # max keeps the first of equals
        return next(day for day in week if day)

    def workdays(self) -> dict[date, int]:
        result = {}
        for item in self.extra_workdays:
            m = _WORKDAY.match(item)
            assert m is not None  # validated above
            result[date.fromisoformat(m.group(1))] = WEEKDAYS.index(m.group(2) or "mon")
        return result


class TelegramSettings(_Section):
    api_base: str = "https://api.telegram.org"
    """A local Bot API server, or the fake one in tests."""
    polling_timeout: int = Field(default=30, ge=0, le=60)
    mode: Literal["polling", "webhook", "worker"] = "polling"
    """`polling` or `webhook`: answers people, sweeps deadlines and sends. `worker`: only sweeps
    and sends, beside one polling or webhook instance on the same database (reminders and outbox
    rows are claimed with row locks, so nothing goes out twice)."""
    webhook_url: str | None = None
    """`webhook` mode: the public HTTPS address Telegram posts updates to (its path is served)."""
    webhook_listen: str = "127.0.0.1:8080"
    """`webhook` mode: host:port this process listens on, behind the reverse proxy."""
    messages_per_second: float = Field(default=28, gt=0, le=30)
    """This process's share of Telegram's overall limit of about 30 messages a second: with
    several instances sending for one bot, divide it between them (e.g. 14 each for two)."""

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise ValueError(f"not an http(s) address: {value!r}")
        return value

    @field_validator("webhook_listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"expected host:port, got {value!r}")
        return value

    @model_validator(mode="after")
    def _webhook_needs_url(self) -> TelegramSettings:
        if self.mode == "webhook" and not self.webhook_url:
            raise ValueError("mode = 'webhook' needs webhook_url")
        return self


class SchedulerSettings(_Section):
    sweep_seconds: float = Field(default=30.0, gt=0, le=3600)
    """How often due timers are swept for reminders and breaches."""


class TestingSettings(_Section):
    """For end-to-end tests and demos only: never set these in production."""

    clock_file: Path | None = None
    """The bot's "now": the ISO moment written in this file, ticking on from when it was written."""
    sender_interval_seconds: float = Field(default=5.0, gt=0, le=60)
    hold_updates_file: Path | None = None
    """While this file exists, updates are recorded and acknowledged but not handled: a test
    stops the bot between an update's receipt and its effect."""


class IntakeSettings(_Section):
    repeat_window_days: int = Field(default=30, ge=1, le=3650)
    """A post by the same author within this many days is offered as a repeated message."""
    locations: list[str] = Field(default_factory=list)
    """Locations offered as buttons when tagging (free text is always possible)."""
    topics: list[dict[str, Any]] = Field(default_factory=list)
    """Two-level topic list; empty: the built-in list close to the federal platform's."""


class StorageSettings(_Section):
    data_dir: Path = Path("data")
    url: str | None = None
    """SQLAlchemy URL; default: an SQLite file `otklik.sqlite3` in `data_dir`."""
    upgrade_at_start: bool = True


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class ReportsSettings(_Section):
    """Reports the head reads (domain/reports.py)."""

    weekly: bool = True
    """The weekly report (Barnaul 11) is on for every profile unless turned off."""
    weekly_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "fri"
    weekly_time: str = "16:00"
    """Local time; the week runs from the previous report moment to this one."""
    monthly: bool | None = None
    """None: as the profile says (Myasnikovsky 13)."""
    quarterly: bool | None = None
    """None: as the profile says (Lipetsk 20, Bor 17)."""
    group_chat_id: int | None = None
    """Where periodic reports go; without it, to the heads' and curators' private chats."""
    surge_threshold: int = Field(default=5, ge=2, le=1000)
    """This many messages on one topic and location within the window make a surge."""
    surge_window_hours: int = Field(default=24, ge=1, le=24 * 14)
    content_plan: bool | None = None
    """Remind the curators to post in the official accounts; None: on for myasnikovsky."""
    content_plan_days: int = Field(default=3, ge=1, le=60)

    @field_validator("weekly_time")
    @classmethod
    def _time(cls, value: str) -> str:
        m = re.fullmatch(r"(\d{2}):(\d{2})", value)
        if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            raise ValueError(f"bad time {value!r}: write it like '16:00'")
        return value


class AnswersSettings(_Section):
    clarification_silence_days: int | None = Field(default=None, ge=1, le=365)
    """Close a clarification request the author left unanswered this many days; None (the
    default): never by itself, no act has such a rule: the curator closes it."""


class Settings(_Section):
    organization: Organization
    calendar: CalendarSettings
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    intake: IntakeSettings = Field(default_factory=IntakeSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    testing: TestingSettings = Field(default_factory=TestingSettings)
    reports: ReportsSettings = Field(default_factory=ReportsSettings)
    answers: AnswersSettings = Field(default_factory=AnswersSettings)
    profiles: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Profiles written in configuration, in the shape of the shipped ones."""

    def profile(self) -> Profile:
        return resolve_profile(self.organization.profile, self.profiles)


def resolve_profile(name: str, custom: dict[str, dict[str, Any]]) -> Profile:
    if name in custom:
        return build_profile(name, custom[name])
    if name in SHIPPED:
        return shipped_profile(name)
    known = ", ".join([*SHIPPED, *custom])
    raise ConfigError("organization.profile", f"unknown profile {name!r} (known: {known})")


def _key(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def load_settings(path: Path | str) -> Settings:
    """Read and validate the file; the first problem becomes a ConfigError naming its key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), "configuration file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), "not a UTF-8 text file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from None
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "missing"
        raise ConfigError(_key(tuple(err["loc"])), msg) from None
    for name, data in settings.profiles.items():
        build_profile(name, data)
    profile = settings.profile()
    if settings.organization.flow is not None and settings.organization.flow not in profile.flows:
        raise ConfigError("organization.flow", f"unknown flow {settings.organization.flow!r}")
    return settings
