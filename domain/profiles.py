"""Regulation profiles: data, not code.

The five shipped acts live in `domain/profile_data/*.toml`; an administration with another act
writes its own profile under `[profiles.NAME]` in the configuration file, in the same shape
(optionally `extends = "lipetsk"` and only what differs). Validation names the bad key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from types import MappingProxyType
from typing import Any

from domain.durations import ClockKind, Duration
from domain.errors import ConfigError
from domain.incident import TRANSITIONS, Action
from domain.roles import Role


class TimerStart(StrEnum):
    """The event that starts a timer's clock."""

    DETECTED = "detected"
    """The curator detected the post (or received it from the external curator)."""
    HEAD_DECIDED = "head_decided"
    ASSIGNED = "assigned"
    """The executor (department) received the incident."""
    PART_REQUESTED = "part_requested"
    DRAFT_SUBMITTED = "draft_submitted"
    REVISION_REQUESTED = "revision_requested"
    APPROVED = "approved"
    INTERMEDIATE_PUBLISHED = "intermediate_published"


class Holder(StrEnum):
    """Who must act before the timer runs out."""

    CURATOR = "curator"
    HEAD = "head"
    EXECUTOR = "executor"
    DEPARTMENT_LEAD = "department_lead"
    SUPERVISING_DEPUTY = "supervising_deputy"
    APPROVER = "approver"
    """Whoever is next in the approval chain."""
    PUBLISHER = "publisher"
    """The role the profile names as publisher."""


class JointAnswerBy(StrEnum):
    LAST_EXECUTOR = "last_executor"
    CURATOR = "curator"


class ReportPeriod(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


TIMER_NAMES = (
    "route",
    "competence_return",
    "draft",
    "clarification",
    "approval",
    "revision",
    "publication",
    "answer",
    "final_after_intermediate",
    "joint_part",
)
"""Known timer names, in the order a timeline shows them. A configured profile may add others."""


@dataclass(frozen=True, slots=True)
class Reminder:
    """A ping before a timer runs out: at half its time, or a lead time before the due moment."""

    halfway: bool = False
    before: Duration | None = None

    @classmethod
    def parse(cls, text: str) -> Reminder:
        if text == "halfway":
            return cls(halfway=True)
        lead = Duration.parse(text)
        if lead.days:
            raise ValueError("a reminder's lead time is written in hours or minutes")
        return cls(before=lead)

    @property
    def code(self) -> str:
        return "halfway" if self.halfway else f"before_{self.before}"


def default_reminders(length: Duration | None) -> tuple[Reminder, ...]:
    """Halfway and one working hour before; 10 minutes before a timer of 30 minutes or less."""
    if length is not None and not length.days and length.minutes <= 30:
        return (Reminder(before=Duration(10)),)
    if length is not None and not length.days and length.minutes <= 60:
        return (Reminder(halfway=True), Reminder(before=Duration(10)))
    return (Reminder(halfway=True), Reminder(before=Duration(60)))


@dataclass(frozen=True, slots=True)
class TimerSpec:
    name: str
    clause: str
    holder: Holder
    start: TimerStart | None
    before: str | None
    """Name of another timer: this one is due `length` before that one (Lipetsk 9)."""
    length: Duration | None
    """None: the act sets no figure, or the curator sets it (`set_by_curator`)."""
    clock: ClockKind
    breach: tuple[Role, ...]
    """Who is told when the timer runs out."""
    set_by_curator: bool = False
    """The curator sets the due moment per incident (Barnaul 4, 6); `length` is the default."""
    external_governs: bool = False
    """An external system's deadline, when given, is this timer's due moment."""
    note: str = ""
    reminders: tuple[Reminder, ...] | None = None
    """Lead times before the due moment; None: the defaults (`default_reminders`)."""


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    title: str
    head_decision: bool
    external_curator: bool
    timers: Mapping[str, TimerSpec]


@dataclass(frozen=True, slots=True)
class ReportSpec:
    period: ReportPeriod
    clause: str


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    title: str
    act: str
    approval_chain: tuple[Role, ...]
    publisher: Role
    competence_return_by: Role
    department_lead: bool
    supervising_deputy: bool
    joint_answer_by: JointAnswerBy
    significant_alert: tuple[Role, ...]
    not_subject_to_external: bool
    emergency_on_days_off: bool
    """Emergencies and reputational risks are answered on days off too (Gulkevichi 3.10)."""
    reports: tuple[ReportSpec, ...]
    flows: Mapping[str, Flow]
    default_flow: str
    clauses: Mapping[str, str]
    """Clauses for actions, overriding the transition table's (profiles written in config)."""

    def flow(self, name: str | None = None) -> Flow:
        key = name or self.default_flow
        try:
            return self.flows[key]
        except KeyError:
            known = ", ".join(sorted(self.flows))
            raise ConfigError(
                "flow", f"unknown flow {key!r} of profile {self.name!r} (known: {known})"
            ) from None


SHIPPED = ("lipetsk", "bor", "gulkevichi", "myasnikovsky", "barnaul")

_PROFILE_KEYS = {
    "extends",
    "title",
    "act",
    "approval_chain",
    "publisher",
    "competence_return_by",
    "department_lead",
    "supervising_deputy",
    "joint_answer_by",
    "significant_alert",
    "not_subject_to_external",
    "emergency_on_days_off",
    "reports",
    "flows",
    "default_flow",
    "clauses",
}
_FLOW_KEYS = {"title", "head_decision", "external_curator", "timers"}
_TIMER_KEYS = {
    "reminders",
    "clause",
    "holder",
    "start",
    "before",
    "length",
    "clock",
    "breach",
    "set_by_curator",
    "external_governs",
    "note",
}
_REPORT_KEYS = {"period", "clause"}


def load_shipped(name: str) -> dict[str, Any]:
    """The raw data of a shipped profile, as its TOML file has it."""
    if name not in SHIPPED:
        raise ConfigError(
            "organization.profile", f"unknown profile {name!r} (shipped: {', '.join(SHIPPED)})"
        )
    text = resources.files("domain.profile_data").joinpath(f"{name}.toml").read_text("utf-8")
    return tomllib.loads(text)


def build_profile(name: str, data: Mapping[str, Any], key: str | None = None) -> Profile:
    """Validate raw profile data (a shipped file or a `[profiles.NAME]` table) into a Profile."""
    where = key or f"profiles.{name}"
    data = dict(data)
    if "extends" in data:
        base_name = _str(data, "extends", where)
        data = _merge(load_shipped(base_name), {k: v for k, v in data.items() if k != "extends"})
    _no_unknown(data, _PROFILE_KEYS, where)
    flows_raw = _table(data, "flows", where)
    if not flows_raw:
        raise ConfigError(f"{where}.flows", "a profile needs at least one flow")
    flows = {
        fname: _flow(fname, _table(flows_raw, fname, f"{where}.flows"), f"{where}.flows.{fname}")
        for fname in flows_raw
    }
    default_flow = _str(data, "default_flow", where, default=next(iter(flows)))
    if default_flow not in flows:
        raise ConfigError(f"{where}.default_flow", f"unknown flow {default_flow!r}")
    clauses = _table(data, "clauses", where, default={})
    for action_name, clause in clauses.items():
        if action_name not in {a.value for a in Action}:
            raise ConfigError(f"{where}.clauses.{action_name}", "unknown action")
        if not isinstance(clause, str):
            raise ConfigError(f"{where}.clauses.{action_name}", "must be a string")
    reports = []
    for i, item in enumerate(data.get("reports", [])):
        rkey = f"{where}.reports[{i}]"
        if not isinstance(item, Mapping):
            raise ConfigError(rkey, "must be a table with period and clause")
        _no_unknown(item, _REPORT_KEYS, rkey)
        reports.append(
            ReportSpec(
                _enum(ReportPeriod, item, "period", rkey), _str(item, "clause", rkey, default="")
            )
        )
    chain = _roles(data, "approval_chain", where)
    if not chain:
        raise ConfigError(f"{where}.approval_chain", "name at least one approver")
    return Profile(
        name=name,
        title=_str(data, "title", where),
        act=_str(data, "act", where, default=""),
        approval_chain=chain,
        publisher=_role(data, "publisher", where),
        competence_return_by=_role(data, "competence_return_by", where, default=Role.EXECUTOR),
        department_lead=_bool(data, "department_lead", where, default=False),
        supervising_deputy=_bool(data, "supervising_deputy", where, default=False),
        joint_answer_by=_enum(
            JointAnswerBy, data, "joint_answer_by", where, default=JointAnswerBy.LAST_EXECUTOR
        ),
        significant_alert=_roles(data, "significant_alert", where, default=(Role.HEAD,)),
        not_subject_to_external=_bool(data, "not_subject_to_external", where, default=False),
        emergency_on_days_off=_bool(data, "emergency_on_days_off", where, default=False),
        reports=tuple(reports),
        flows=MappingProxyType(flows),
        default_flow=default_flow,
        clauses=MappingProxyType(dict(clauses)),
    )


def _flow(name: str, data: Mapping[str, Any], where: str) -> Flow:
    _no_unknown(data, _FLOW_KEYS, where)
    timers_raw = _table(data, "timers", where, default={})
    timers = {
        tname: _timer(
            tname, _table(timers_raw, tname, f"{where}.timers"), f"{where}.timers.{tname}"
        )
        for tname in timers_raw
    }
    for timer in timers.values():
        if timer.before is not None and timer.before not in timers:
            raise ConfigError(
                f"{where}.timers.{timer.name}.before", f"refers to unknown timer {timer.before!r}"
            )
        if timer.before == timer.name:
            raise ConfigError(
                f"{where}.timers.{timer.name}.before", "a timer cannot refer to itself"
            )
    head_decision = _bool(data, "head_decision", where, default=False)
    for timer in timers.values():
        if timer.start is TimerStart.HEAD_DECIDED and not head_decision:
            raise ConfigError(
                f"{where}.timers.{timer.name}.start",
                "starts at the head's decision, but the flow has no head_decision step",
            )
    order = {n: i for i, n in enumerate(TIMER_NAMES)}
    ordered = dict(sorted(timers.items(), key=lambda kv: order.get(kv[0], len(order))))
    return Flow(
        name=name,
        title=_str(data, "title", where, default=name),
        head_decision=head_decision,
        external_curator=_bool(data, "external_curator", where, default=False),
        timers=MappingProxyType(ordered),
    )


def _timer(name: str, data: Mapping[str, Any], where: str) -> TimerSpec:
    _no_unknown(data, _TIMER_KEYS, where)
    start = _enum(TimerStart, data, "start", where, default=None)
    before = _str(data, "before", where, default=None)
    if (start is None) == (before is None):
        raise ConfigError(
            where, "give exactly one of 'start' (an event) or 'before' (another timer)"
        )
    length: Duration | None = None
    if "length" in data:
        try:
            length = Duration.parse(data["length"])
        except ValueError as exc:
            raise ConfigError(f"{where}.length", str(exc)) from None
    set_by_curator = _bool(data, "set_by_curator", where, default=False)
    external_governs = _bool(data, "external_governs", where, default=False)
    if length is None and not set_by_curator and not external_governs:
        raise ConfigError(
            f"{where}.length", "missing (or mark the timer set_by_curator / external_governs)"
        )
    if before is not None and length is not None and length.days:
        raise ConfigError(f"{where}.length", "a 'before' timer is measured in hours or minutes")
    clock = _enum(ClockKind, data, "clock", where, default=ClockKind.WORKING)
    if clock is ClockKind.CALENDAR and length is not None and length.days:
        raise ConfigError(f"{where}.length", "calendar-time timers are written in hours or minutes")
    return TimerSpec(
        name=name,
        clause=_str(data, "clause", where),
        holder=_enum(Holder, data, "holder", where),
        start=start,
        before=before,
        length=length,
        clock=clock,
        breach=_roles(data, "breach", where, default=(Role.CURATOR,)),
        set_by_curator=set_by_curator,
        external_governs=external_governs,
        note=_str(data, "note", where, default=""),
        reminders=_reminders(data, where),
    )


def _reminders(data: Mapping[str, Any], where: str) -> tuple[Reminder, ...] | None:
    if "reminders" not in data:
        return None
    value = data["reminders"]
    if not isinstance(value, list):
        raise ConfigError(f"{where}.reminders", 'a list like ["halfway", "1h", "10min"]')
    result = []
    for i, item in enumerate(value):
        try:
            result.append(Reminder.parse(item))
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{where}.reminders[{i}]", str(exc)) from None
    return tuple(result)


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(merged.get(k), Mapping):
            merged[k] = _merge(merged[k], v)
        else:
            merged[k] = v
    return merged


def _no_unknown(data: Mapping[str, Any], known: set[str], where: str) -> None:
    for k in data:
        if k not in known:
            raise ConfigError(f"{where}.{k}", f"unknown key (known: {', '.join(sorted(known))})")


def _table(
    data: Mapping[str, Any], k: str, where: str, default: Mapping[str, Any] | None = None
) -> Mapping[str, Any]:
    if k not in data:
        if default is None:
            raise ConfigError(f"{where}.{k}", "missing")
        return default
    value = data[k]
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}.{k}", "must be a table")
    return value


_MISSING: Any = object()


def _str(data: Mapping[str, Any], k: str, where: str, default: Any = _MISSING) -> Any:
    if k not in data:
        if default is _MISSING:
            raise ConfigError(f"{where}.{k}", "missing")
        return default
    if not isinstance(data[k], str):
        raise ConfigError(f"{where}.{k}", "must be a string")
    return data[k]


def _bool(data: Mapping[str, Any], k: str, where: str, default: bool) -> bool:
    value = data.get(k, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.{k}", "must be true or false")
    return value


def _enum(cls: Any, data: Mapping[str, Any], k: str, where: str, default: Any = _MISSING) -> Any:
    if k not in data:
        if default is _MISSING:
            raise ConfigError(f"{where}.{k}", "missing")
        return default
    try:
        return cls(data[k])
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise ConfigError(
            f"{where}.{k}", f"unknown value {data[k]!r} (allowed: {allowed})"
        ) from None


def _role(data: Mapping[str, Any], k: str, where: str, default: Any = _MISSING) -> Role:
    result: Role = _enum(Role, data, k, where, default)
    return result


def _roles(
    data: Mapping[str, Any], k: str, where: str, default: tuple[Role, ...] = ()
) -> tuple[Role, ...]:
    value = data.get(k, list(default))
    if not isinstance(value, list):
        raise ConfigError(f"{where}.{k}", "must be a list of roles")
    roles = []
    for i, item in enumerate(value):
        try:
            roles.append(Role(item))
        except ValueError:
            allowed = ", ".join(r.value for r in Role)
            raise ConfigError(
                f"{where}.{k}[{i}]", f"unknown role {item!r} (allowed: {allowed})"
            ) from None
    return tuple(roles)


def shipped_profile(name: str) -> Profile:
    return build_profile(name, load_shipped(name), key=f"shipped profile {name}")


def known_actions() -> frozenset[str]:
    return frozenset(a.value for a in TRANSITIONS)
