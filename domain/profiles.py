"""Regulation profiles: data, not code.

The five shipped acts live in `domain/profile_data/*.toml`; an administration with another act
writes its own profile under `[profiles.NAME]` in the configuration file, in the same shape
(optionally `extends = "lipetsk"` and only what differs). Validation names the bad key.

A profile says everything an act decides: which steps exist and which are mandatory, who agrees
which kind of draft and in what order, who publishes, the content checks, who is alerted of
what, the roles beyond the built-in ones, and every timer: the events that start, stop, pause and
resume it, its length and clock, how an external system's deadline combines with it, whether the
curator may set it, whether it is a deadline to act or only a window, and its clause. The code
knows no profile and no timer by name.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from types import MappingProxyType
from typing import Any

from domain.durations import ClockKind, Duration
from domain.errors import ConfigError
from domain.incident import TRANSITIONS, Action, DraftKind
from domain.roles import BUILT_IN, Role


class Event(StrEnum):
    """What happens to an incident, as a timer's `start`, `stop`, `pause` and `resume` name it.

    Events about a draft may name its kind: `submitted.clarification`, `published.final`."""

    DETECTED = "detected"
    """The curator detected the post (or received it from the external curator)."""
    SENT_TO_HEAD = "sent_to_head"
    HEAD_DECIDED = "head_decided"
    ASSIGNED = "assigned"
    """A department received the message: each at once, or in a sequential joint answer each
    at its turn (Lipetsk 14)."""
    PART_REQUESTED = "part_requested"
    """The same moment as `assigned`, when the answer is a joint one."""
    ACCEPTED = "accepted"
    COMPETENCE_CONFIRMED = "competence_confirmed"
    """The department lead confirmed the message is the department's (Barnaul 5)."""
    PART_RETURNED = "part_returned"
    """One department of a joint answer returned it as not its competence."""
    RETURNED = "returned"
    """The message is back with the curator: not the department's competence."""
    PART_SUBMITTED = "part_submitted"
    SUBMITTED = "submitted"
    """A draft went to its first approver."""
    STEP_APPROVED = "step_approved"
    """One approver of the chain agreed; the next one has the draft."""
    APPROVED = "approved"
    REVISION_REQUESTED = "revision_requested"
    PUBLISHED = "published"
    PUBLICATION_FAILED = "publication_failed"
    AUTHOR_REPLIED = "author_replied"


TimerStart = Event
"""The old name of `Event`, kept for code and configurations that use it."""

_EVENT_ALIASES = {
    "draft_submitted": "submitted",
    "intermediate_published": "published.intermediate",
}
"""Event names of earlier configurations."""

_DRAFT_EVENTS = frozenset(
    {
        Event.SUBMITTED,
        Event.STEP_APPROVED,
        Event.APPROVED,
        Event.REVISION_REQUESTED,
        Event.PUBLISHED,
        Event.PUBLICATION_FAILED,
    }
)
"""Events that concern a draft and so may name its kind."""


@dataclass(frozen=True, slots=True)
class Trigger:
    """An event as a timer names it: any draft kind, or only one."""

    event: Event
    kind: DraftKind | None = None

    @classmethod
    def parse(cls, text: str) -> Trigger:
        text = _EVENT_ALIASES.get(text, text)
        name, _, kind = text.partition(".")
        try:
            event = Event(name)
        except ValueError:
            known = ", ".join(e.value for e in Event)
            raise ValueError(f"unknown event {name!r} (known: {known})") from None
        if not kind:
            return cls(event)
        if event not in _DRAFT_EVENTS:
            raise ValueError(f"event {name!r} concerns no draft: it takes no kind")
        try:
            return cls(event, DraftKind(kind))
        except ValueError:
            known = ", ".join(k.value for k in DraftKind)
            raise ValueError(f"unknown draft kind {kind!r} (known: {known})") from None

    def matches(self, event: Event, kind: DraftKind | None) -> bool:
        return self.event is event and (self.kind is None or self.kind is kind)

    def __str__(self) -> str:
        return self.event.value if self.kind is None else f"{self.event.value}.{self.kind.value}"


class Holder(StrEnum):
    """Who must act before the timer runs out."""

    CURATOR = "curator"
    HEAD = "head"
    EXECUTOR = "executor"
    """The department's executors on duty, or the one who took the incident."""
    DEPARTMENT_LEAD = "department_lead"
    SUPERVISING_DEPUTY = "supervising_deputy"
    APPROVER = "approver"
    """Whoever is at the current step of the approval chain."""
    PUBLISHER = "publisher"
    """The role the profile names as publisher."""


class TimerKind(StrEnum):
    DEADLINE = "deadline"
    """A duty to act by the due moment: reminders, and a breach when it passes."""
    WINDOW = "window"
    """A limit on doing something, not a duty to do it (Lipetsk 7: a return within 30
    minutes): it closes quietly; only the thing done after it closed is late."""


class Per(StrEnum):
    INCIDENT = "incident"
    ASSIGNMENT = "assignment"
    """One timer per department of the incident (a return window, a part of a joint answer)."""


class ExternalRule(StrEnum):
    """How an external system's deadline (given with the post) combines with the timer."""

    NONE = "none"
    """The timer ignores it."""
    EARLIEST = "earliest"
    """The earlier of the act's own figure and the external deadline."""
    EXTERNAL = "external"
    """The external deadline is the due moment; the act's figure only when none is given
    (Barnaul 4, 7: the deadline the monitoring system sets)."""


class JointAnswerBy(StrEnum):
    LAST_EXECUTOR = "last_executor"
    CURATOR = "curator"


class JointOrder(StrEnum):
    PARALLEL = "parallel"
    """Every department gets the message at once."""
    SEQUENTIAL = "sequential"
    """The curator sets the order; each department gets it when the one before has sent its
    part (Lipetsk 14)."""


class ReportPeriod(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class Check(StrEnum):
    """Content checks of a final answer, overridable with one tap."""

    MEASURES = "measures"
    """The measures taken, their stages and dates, or a reasoned refusal (Myasnikovsky 9)."""
    REPEAT_PROGRESS = "repeat_progress"
    """The answer to a repeated message says what was done or how the matter stands
    (Lipetsk 15, Bor 12, Gulkevichi 3.4, Myasnikovsky 11)."""


class AlertEvent(StrEnum):
    """Moments somebody must be told of at once, beside the socially significant message."""

    NOT_SUBJECT = "not_subject"
    """A message not subject to answer (Barnaul 9: handed to the external curator at once)."""
    PASSED_EXTERNAL = "passed_external"
    """Outside the administration's competence (Barnaul 4: returned to the external curator)."""
    PUBLICATION_FAILED = "publication_failed"
    """The answer cannot be published where the post was (Barnaul 8)."""


TIMER_NAMES = (
    "route",
    "competence_return",
    "draft",
    "clarification",
    "approval",
    "revision",
    "publication",
    "answer",
    "structure_total",
    "final_after_intermediate",
    "joint_part",
)
"""Timer names of the shipped profiles, in the order a timeline shows them. A configured
profile may name its timers as it likes; they follow these, in their own order."""


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
    start: tuple[Trigger, ...]
    """The events that start it (again, once stopped)."""
    before: str | None
    """Name of another timer: this one is due `length` before that one (Lipetsk 9)."""
    length: Duration | None
    """None: the act sets no figure; the external deadline or the curator sets it."""
    clock: ClockKind
    breach: tuple[Role, ...]
    """Who is told when a deadline passes, beside the people who hold it."""
    stop: tuple[Trigger, ...] = ()
    """The events that end it; every timer also ends with the incident."""
    pause: tuple[Trigger, ...] = ()
    """The events that freeze it (a clarification asked of the author, Gulkevichi 3.1.2)."""
    resume: tuple[Trigger, ...] = ()
    close: tuple[Trigger, ...] = ()
    """Events that close a window without being its action (Barnaul 5: the lead confirms
    competence): its action after that, past its time, is late."""
    kind: TimerKind = TimerKind.DEADLINE
    per: Per = Per.INCIDENT
    external: ExternalRule = ExternalRule.NONE
    settable: bool = False
    """The curator sets the due moment per incident (Barnaul 4-6); the figure is the default."""
    step: Role | None = None
    """Runs only while the approval chain is at this role's step (Barnaul 6: the controller's
    30 minutes start when the supervising deputy has agreed)."""
    significant_length: Duration | None = None
    """A shorter (or longer) figure for socially significant messages."""
    significant_clock: ClockKind | None = None
    """The clock for socially significant messages, where it differs from the profile's."""
    note: str = ""
    reminders: tuple[Reminder, ...] | None = None
    """Lead times before the due moment; None: the defaults (`default_reminders`), and none
    for a window."""
    title: str = ""
    """How people see the timer, in Russian, where the bot has no name for it (a configured
    act's own timers); the shipped ones are named in `handlers/texts.py`."""

    @property
    def set_by_curator(self) -> bool:
        return self.settable

    @property
    def external_governs(self) -> bool:
        return self.external is not ExternalRule.NONE

    def starts_on(self, event: Event, kind: DraftKind | None) -> bool:
        return any(t.matches(event, kind) for t in self.start)

    def stops_on(self, event: Event, kind: DraftKind | None) -> bool:
        return any(t.matches(event, kind) for t in self.stop)

    def closes_on(self, event: Event, kind: DraftKind | None) -> bool:
        return any(t.matches(event, kind) for t in self.close)

    def pauses_on(self, event: Event, kind: DraftKind | None) -> bool:
        return any(t.matches(event, kind) for t in self.pause)

    def resumes_on(self, event: Event, kind: DraftKind | None) -> bool:
        return any(t.matches(event, kind) for t in self.resume)


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    title: str
    head_decision: bool
    """The head decides whether and how to react before anyone routes it (Bor 6, Gulkevichi
    3.1.1, 3.2.1): a mandatory step."""
    external_curator: bool
    timers: Mapping[str, TimerSpec]
    head_assigns: bool = True
    """The head's decision names the executor and is the assignment (Bor 6); otherwise the
    curator routes after it (Gulkevichi 3.1.1: within 2 working hours)."""
    total: str | None = None
    """The timer of the overall answer deadline: reports measure the time to answer on its
    clock."""


@dataclass(frozen=True, slots=True)
class ReportSpec:
    period: ReportPeriod
    clause: str


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """A role the profile adds to the built-in ones."""

    title: str
    """As the bot shows it, in Russian."""
    clause: str = ""
    oversight: bool = False
    """Sees every incident and the board, as the heads do."""


@dataclass(frozen=True, slots=True)
class Alert:
    roles: tuple[Role, ...]
    clause: str = ""


def _empty() -> Any:
    return field(default_factory=lambda: MappingProxyType({}))


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
    reports: tuple[ReportSpec, ...]
    flows: Mapping[str, Flow]
    default_flow: str
    clauses: Mapping[str, str]
    """Clauses for actions, overriding the transition table's (profiles written in config)."""
    approval_by_kind: Mapping[DraftKind, tuple[Role, ...]] = _empty()
    """A chain of its own for a kind of draft (Gulkevichi 3.1.2: a clarification request is
    agreed with the curator alone); the other kinds follow `approval_chain`."""
    joint_order: JointOrder = JointOrder.PARALLEL
    draft_kinds: tuple[DraftKind, ...] = tuple(DraftKind)
    significant_clock: ClockKind | None = None
    """The clock of every timer of a socially significant message (Gulkevichi 3.10:
    `every_day`), unless the timer names its own."""
    significant_clause: str = ""
    alerts: Mapping[AlertEvent, Alert] = _empty()
    checks: Mapping[Check, str] = _empty()
    """Content checks of final answers, with their clauses."""
    roles: Mapping[Role, RoleSpec] = _empty()
    """Roles the profile declares beyond the built-in ones."""
    official_pages: str = ""
    """Clause under which answers of general interest also go to the official pages (Gulkevichi
    3.6); empty: the act has no such duty."""
    explanations: str = ""
    """Clause of the explanation templates (Gulkevichi 3.8); empty: none offered."""
    conversion: str = ""
    """Clause under which a message becomes an official appeal under 59-FZ (Gulkevichi 3.9);
    empty: the act has no such step."""
    content_plan: str = ""
    """Clause of the duty to post on the official accounts regularly (Myasnikovsky 6: twice a
    week): the curators are reminded when nothing was posted; empty: no such duty."""
    not_subject: str = ""
    """Clause of the messages not subject to answer (Lipetsk 17, Bor 14, Gulkevichi 3.7,
    Barnaul 9); empty: the act names none."""

    def flow(self, name: str | None = None) -> Flow:
        key = name or self.default_flow
        try:
            return self.flows[key]
        except KeyError:
            known = ", ".join(sorted(self.flows))
            raise ConfigError(
                "flow", f"unknown flow {key!r} of profile {self.name!r} (known: {known})"
            ) from None

    def timer_title(self, name: str) -> str:
        """The title a configured timer gives itself; empty when none does."""
        for flow in self.flows.values():
            spec = flow.timers.get(name)
            if spec is not None and spec.title:
                return spec.title
        return ""

    def chain(self, kind: DraftKind) -> tuple[Role, ...]:
        """Who agrees a draft of this kind, in order."""
        return self.approval_by_kind.get(kind, self.approval_chain)

    @property
    def emergency_on_days_off(self) -> bool:
        return self.significant_clock is not None

    @property
    def not_subject_to_external(self) -> bool:
        alert = self.alerts.get(AlertEvent.NOT_SUBJECT)
        return alert is not None and Role.EXTERNAL_CURATOR in alert.roles

    def oversees(self, roles: frozenset[Role]) -> bool:
        """Roles that see every incident: curators, administrators, heads and the profile's
        oversight roles."""
        if roles & {Role.CURATOR, Role.ADMIN, Role.HEAD, Role.DEPUTY_HEAD}:
            return True
        return any(spec.oversight for role, spec in self.roles.items() if role in roles)


SHIPPED = ("lipetsk", "bor", "gulkevichi", "myasnikovsky", "barnaul")

_PROFILE_KEYS = {
    "extends",
    "title",
    "act",
    "approval_chain",
    "approval_by_kind",
    "publisher",
    "competence_return_by",
    "department_lead",
    "supervising_deputy",
    "joint_answer_by",
    "joint_order",
    "draft_kinds",
    "significant_alert",
    "significant_clock",
    "significant_clause",
    "not_subject_to_external",
    "emergency_on_days_off",
    "alerts",
    "checks",
    "roles",
    "official_pages",
    "explanations",
    "conversion",
    "not_subject",
    "content_plan",
    "reports",
    "flows",
    "default_flow",
    "clauses",
}
_FLOW_KEYS = {"title", "head_decision", "head_assigns", "external_curator", "timers", "total"}
_TIMER_KEYS = {
    "reminders",
    "clause",
    "holder",
    "start",
    "stop",
    "pause",
    "resume",
    "close",
    "before",
    "length",
    "clock",
    "kind",
    "per",
    "external",
    "settable",
    "step",
    "significant_length",
    "significant_clock",
    "breach",
    "set_by_curator",
    "external_governs",
    "note",
    "title",
}
_REPORT_KEYS = {"period", "clause"}
_ROLE_KEYS = {"title", "clause", "oversight"}
_ALERT_KEYS = {"roles", "clause"}

_FIRST_INVOLVED: Mapping[Holder, Event] = {
    Holder.CURATOR: Event.DETECTED,
    Holder.HEAD: Event.DETECTED,
    Holder.EXECUTOR: Event.ASSIGNED,
    Holder.DEPARTMENT_LEAD: Event.ASSIGNED,
    Holder.SUPERVISING_DEPUTY: Event.SUBMITTED,
    Holder.APPROVER: Event.SUBMITTED,
    Holder.PUBLISHER: Event.APPROVED,
}
"""The start of a `before` timer whose profile names none: when its holder gets the incident."""


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
    if not _table(data, "flows", where):
        raise ConfigError(f"{where}.flows", "a profile needs at least one flow")
    declared = _declared_roles(data, where)
    known_roles = BUILT_IN | frozenset(declared)

    def roles_of(table: Mapping[str, Any], k: str, at: str, default: tuple[Role, ...] = ()) -> Any:
        return _roles(table, k, at, known_roles, default)

    chain = roles_of(data, "approval_chain", where)
    if not chain:
        raise ConfigError(f"{where}.approval_chain", "name at least one approver")
    by_kind: dict[DraftKind, tuple[Role, ...]] = {}
    for kind_name, _ in _table(data, "approval_by_kind", where, default={}).items():
        at = f"{where}.approval_by_kind"
        try:
            kind = DraftKind(kind_name)
        except ValueError:
            raise ConfigError(f"{at}.{kind_name}", "unknown draft kind") from None
        by_kind[kind] = roles_of(data["approval_by_kind"], kind_name, at)
        if not by_kind[kind]:
            raise ConfigError(f"{at}.{kind_name}", "name at least one approver")
    flows_raw = _table(data, "flows", where)
    if not flows_raw:
        raise ConfigError(f"{where}.flows", "a profile needs at least one flow")
    all_chains = {*chain, *(r for c in by_kind.values() for r in c)}
    flows = {
        fname: _flow(
            fname,
            _table(flows_raw, fname, f"{where}.flows"),
            f"{where}.flows.{fname}",
            known_roles,
            all_chains,
        )
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
    alerts = _alerts(data, where, known_roles)
    significant_clock = _enum(ClockKind, data, "significant_clock", where, default=None)
    if significant_clock is None and _bool(data, "emergency_on_days_off", where, default=False):
        significant_clock = ClockKind.EVERY_DAY
    kinds = tuple(
        _enum(DraftKind, {"kind": k}, "kind", f"{where}.draft_kinds[{i}]")
        for i, k in enumerate(_list(data, "draft_kinds", where, [k.value for k in DraftKind]))
    )
    if DraftKind.FINAL not in kinds:
        raise ConfigError(f"{where}.draft_kinds", "a final answer is always a kind of draft")
    checks: dict[Check, str] = {}
    for check_name in _table(data, "checks", where, default={}):
        ckey = f"{where}.checks.{check_name}"
        checks[_enum(Check, {"c": check_name}, "c", ckey)] = _str(
            data["checks"], check_name, f"{where}.checks"
        )
    return Profile(
        name=name,
        title=_str(data, "title", where),
        act=_str(data, "act", where, default=""),
        approval_chain=chain,
        approval_by_kind=MappingProxyType(by_kind),
        publisher=_role(data, "publisher", where, known_roles),
        competence_return_by=_role(
            data, "competence_return_by", where, known_roles, default=Role.EXECUTOR
        ),
        department_lead=_bool(data, "department_lead", where, default=False),
        supervising_deputy=_bool(data, "supervising_deputy", where, default=False),
        joint_answer_by=_enum(
            JointAnswerBy, data, "joint_answer_by", where, default=JointAnswerBy.LAST_EXECUTOR
        ),
        joint_order=_enum(JointOrder, data, "joint_order", where, default=JointOrder.PARALLEL),
        draft_kinds=kinds,
        significant_alert=roles_of(data, "significant_alert", where, default=(Role.HEAD,)),
        significant_clock=significant_clock,
        significant_clause=_str(data, "significant_clause", where, default=""),
        alerts=MappingProxyType(alerts),
        checks=MappingProxyType(checks),
        roles=MappingProxyType(declared),
        official_pages=_str(data, "official_pages", where, default=""),
        explanations=_str(data, "explanations", where, default=""),
        conversion=_str(data, "conversion", where, default=""),
        not_subject=_str(data, "not_subject", where, default=""),
        content_plan=_str(data, "content_plan", where, default=""),
        reports=tuple(reports),
        flows=MappingProxyType(flows),
        default_flow=default_flow,
        clauses=MappingProxyType(dict(clauses)),
    )


def _declared_roles(data: Mapping[str, Any], where: str) -> dict[Role, RoleSpec]:
    declared: dict[Role, RoleSpec] = {}
    for role_name in _table(data, "roles", where, default={}):
        rkey = f"{where}.roles.{role_name}"
        spec = _table(data["roles"], role_name, f"{where}.roles")
        _no_unknown(spec, _ROLE_KEYS, rkey)
        try:
            role = Role(role_name)
        except ValueError:
            raise ConfigError(
                rkey, "name a role in lower-case Latin letters: chief_of_staff"
            ) from None
        if role in BUILT_IN:
            raise ConfigError(rkey, "a built-in role: declare only new ones")
        declared[role] = RoleSpec(
            title=_str(spec, "title", rkey),
            clause=_str(spec, "clause", rkey, default=""),
            oversight=_bool(spec, "oversight", rkey, default=False),
        )
    return declared


def _alerts(data: Mapping[str, Any], where: str, known: frozenset[Role]) -> dict[AlertEvent, Alert]:
    alerts: dict[AlertEvent, Alert] = {}
    for event_name in _table(data, "alerts", where, default={}):
        akey = f"{where}.alerts.{event_name}"
        event = _enum(AlertEvent, {"e": event_name}, "e", akey)
        spec = _table(data["alerts"], event_name, f"{where}.alerts")
        _no_unknown(spec, _ALERT_KEYS, akey)
        alerts[event] = Alert(
            roles=_roles(spec, "roles", akey, known),
            clause=_str(spec, "clause", akey, default=""),
        )
    if _bool(data, "not_subject_to_external", where, default=False):
        alerts.setdefault(AlertEvent.NOT_SUBJECT, Alert((Role.EXTERNAL_CURATOR,)))
    return alerts


def _flow(
    name: str,
    data: Mapping[str, Any],
    where: str,
    known_roles: frozenset[Role],
    chain_roles: set[Role],
) -> Flow:
    _no_unknown(data, _FLOW_KEYS, where)
    timers_raw = _table(data, "timers", where, default={})
    timers = {
        tname: _timer(
            tname,
            _table(timers_raw, tname, f"{where}.timers"),
            f"{where}.timers.{tname}",
            known_roles,
        )
        for tname in timers_raw
    }
    for timer in timers.values():
        tkey = f"{where}.timers.{timer.name}"
        if timer.before is not None and timer.before not in timers:
            raise ConfigError(f"{tkey}.before", f"refers to unknown timer {timer.before!r}")
        if timer.before == timer.name:
            raise ConfigError(f"{tkey}.before", "a timer cannot refer to itself")
        if timer.step is not None and timer.step not in chain_roles:
            raise ConfigError(f"{tkey}.step", f"{timer.step.value!r} is in no approval chain")
    head_decision = _bool(data, "head_decision", where, default=False)
    for timer in timers.values():
        if any(t.event in {Event.HEAD_DECIDED, Event.SENT_TO_HEAD} for t in timer.start) and (
            not head_decision
        ):
            raise ConfigError(
                f"{where}.timers.{timer.name}.start",
                "starts at the head's decision, but the flow has no head_decision step",
            )
    total = _str(data, "total", where, default=None)
    if total is not None and total not in timers:
        raise ConfigError(f"{where}.total", f"unknown timer {total!r}")
    order = {n: i for i, n in enumerate(TIMER_NAMES)}
    ordered = dict(sorted(timers.items(), key=lambda kv: order.get(kv[0], len(order))))
    return Flow(
        name=name,
        title=_str(data, "title", where, default=name),
        head_decision=head_decision,
        head_assigns=_bool(data, "head_assigns", where, default=True),
        external_curator=_bool(data, "external_curator", where, default=False),
        timers=MappingProxyType(ordered),
        total=total,
    )


def _triggers(data: Mapping[str, Any], k: str, where: str) -> tuple[Trigger, ...]:
    value = data.get(k, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(f"{where}.{k}", 'a list of events, like ["submitted", "returned"]')
    result = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise ConfigError(f"{where}.{k}[{i}]", "an event name")
        try:
            result.append(Trigger.parse(item))
        except ValueError as exc:
            raise ConfigError(f"{where}.{k}[{i}]", str(exc)) from None
    return tuple(result)


def _duration(data: Mapping[str, Any], k: str, where: str) -> Duration | None:
    if k not in data:
        return None
    try:
        return Duration.parse(data[k])
    except ValueError as exc:
        raise ConfigError(f"{where}.{k}", str(exc)) from None


def _timer(
    name: str, data: Mapping[str, Any], where: str, known_roles: frozenset[Role]
) -> TimerSpec:
    _no_unknown(data, _TIMER_KEYS, where)
    holder = _enum(Holder, data, "holder", where)
    start = _triggers(data, "start", where)
    before = _str(data, "before", where, default=None)
    if not start and before is None:
        raise ConfigError(where, "give 'start' (the events that start it) or 'before'")
    if not start:
        start = (Trigger(_FIRST_INVOLVED[holder]),)
    length = _duration(data, "length", where)
    settable = _bool(data, "settable", where, default=False) or _bool(
        data, "set_by_curator", where, default=False
    )
    external = _enum(ExternalRule, data, "external", where, default=None)
    if external is None:
        governs = _bool(data, "external_governs", where, default=False)
        external = ExternalRule.EARLIEST if governs else ExternalRule.NONE
    if length is None and not settable and external is not ExternalRule.EXTERNAL:
        raise ConfigError(
            f"{where}.length",
            "missing (or let the curator set it, settable = true, or take the external "
            'deadline, external = "external")',
        )
    kind = _enum(TimerKind, data, "kind", where, default=TimerKind.DEADLINE)
    if "close" in data and kind is not TimerKind.WINDOW:
        raise ConfigError(f"{where}.close", "only a window is closed by other events")
    clock = _enum(ClockKind, data, "clock", where, default=ClockKind.WORKING)
    significant_length = _duration(data, "significant_length", where)
    significant_clock = _enum(ClockKind, data, "significant_clock", where, default=None)
    for figure, figure_clock, key in (
        (length, clock, "length"),
        (significant_length, significant_clock or clock, "significant_length"),
    ):
        if figure is None:
            continue
        if before is not None and figure.days:
            raise ConfigError(f"{where}.{key}", "a 'before' timer is measured in hours or minutes")
        if figure_clock is ClockKind.CALENDAR and figure.days:
            raise ConfigError(
                f"{where}.{key}", "calendar-time timers are written in hours or minutes"
            )
    step = _role(data, "step", where, known_roles, default=None) if "step" in data else None
    return TimerSpec(
        name=name,
        clause=_str(data, "clause", where),
        holder=holder,
        start=start,
        before=before,
        length=length,
        clock=clock,
        breach=_roles(data, "breach", where, known_roles, default=(Role.CURATOR,)),
        stop=_triggers(data, "stop", where),
        pause=_triggers(data, "pause", where),
        resume=_triggers(data, "resume", where),
        close=_triggers(data, "close", where),
        kind=kind,
        per=_enum(Per, data, "per", where, default=Per.INCIDENT),
        external=external,
        settable=settable,
        step=step,
        significant_length=significant_length,
        significant_clock=significant_clock,
        note=_str(data, "note", where, default=""),
        reminders=_reminders(data, where),
        title=_str(data, "title", where, default=""),
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


def _list(data: Mapping[str, Any], k: str, where: str, default: list[Any]) -> list[Any]:
    value = data.get(k, default)
    if not isinstance(value, list):
        raise ConfigError(f"{where}.{k}", "must be a list")
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


def _one_role(value: Any, key: str, known: frozenset[Role]) -> Role:
    try:
        role = Role(value)
    except (ValueError, TypeError):
        role = None
    if role is None or role not in known:
        allowed = ", ".join(sorted(r.value for r in known if r is not Role.SYSTEM))
        raise ConfigError(
            key, f"unknown role {value!r} (allowed: {allowed}; declare a new one under roles)"
        )
    return role


def _role(
    data: Mapping[str, Any], k: str, where: str, known: frozenset[Role], default: Any = _MISSING
) -> Any:
    if k not in data:
        if default is _MISSING:
            raise ConfigError(f"{where}.{k}", "missing")
        return default
    return _one_role(data[k], f"{where}.{k}", known)


def _roles(
    data: Mapping[str, Any],
    k: str,
    where: str,
    known: frozenset[Role],
    default: tuple[Role, ...] = (),
) -> tuple[Role, ...]:
    value = data.get(k, list(default))
    if not isinstance(value, list):
        raise ConfigError(f"{where}.{k}", "must be a list of roles")
    return tuple(_one_role(item, f"{where}.{k}[{i}]", known) for i, item in enumerate(value))


def shipped_profile(name: str) -> Profile:
    return build_profile(name, load_shipped(name), key=f"shipped profile {name}")


def known_actions() -> frozenset[str]:
    return frozenset(a.value for a in TRANSITIONS)
