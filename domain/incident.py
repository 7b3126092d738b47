"""The incident, its statuses, and the one table of allowed transitions.

`Incident.apply` is the only code that changes a status; every call appends a history entry
with the clause the profile gives the action (`Incident.clauses`). Who may take an action on
this incident now is the rulebook's answer (`domain/rulebook.py`): the table is its ground
floor, the statuses an action starts from and the roles that may ever take it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from domain.clock import require_aware
from domain.errors import RoleNotAllowed, StaleVersion, TransitionNotAllowed
from domain.roles import Role

if TYPE_CHECKING:
    from domain.work import Approval, Assignment, Draft, Publication


class Status(StrEnum):
    NEW = "new"
    """Detected by the curator; being tagged."""
    AWAITING_DECISION = "awaiting_decision"
    """With the head, who decides whether and how to react (Bor 6, Gulkevichi 3.1.1)."""
    DECIDED = "decided"
    """The head named the department or person; the curator routes it."""
    ASSIGNED = "assigned"
    """Sent to one or more departments; not yet accepted."""
    RETURNED = "returned"
    """"Not our competence": back with the curator for re-routing."""
    IN_WORK = "in_work"
    """Accepted; the executor prepares a draft (or the parts of a joint answer)."""
    UNDER_APPROVAL = "under_approval"
    REVISION = "revision"
    """Sent back for revision by an approver."""
    APPROVED = "approved"
    """Approved; waits for publication."""
    CLARIFICATION = "clarification"
    """A clarification request is published; the answer clock is paused."""
    AWAITING_FINAL = "awaiting_final"
    """An intermediate answer is published; the final one is due in 7 working days."""
    PUBLISHED = "published"
    CLOSED = "closed"
    NOT_SUBJECT = "not_subject"
    """Not subject to answer: obscene, insulting, threats, intent to harm, unreadable."""
    NO_REACTION = "no_reaction"
    """The head decided no reaction is needed."""
    CONVERTED = "converted"
    """Converted into an official citizen appeal under 59-FZ (Gulkevichi 3.9)."""
    PASSED_EXTERNAL = "passed_external"
    """Outside the administration's competence: handed to the external curator (Barnaul 4)."""


TERMINAL = frozenset(
    {
        Status.CLOSED,
        Status.NOT_SUBJECT,
        Status.NO_REACTION,
        Status.CONVERTED,
        Status.PASSED_EXTERNAL,
    }
)
OPEN = frozenset(Status) - TERMINAL


class Action(StrEnum):
    DETECT = "detect"
    """Not a transition: the first history entry of every incident."""
    TAG = "tag"
    SEND_TO_HEAD = "send_to_head"
    HEAD_DECIDE = "head_decide"
    HEAD_NO_REACTION = "head_no_reaction"
    ASSIGN = "assign"
    REASSIGN = "reassign"
    ACCEPT = "accept"
    CONFIRM_COMPETENCE = "confirm_competence"
    RETURN_NOT_COMPETENT = "return_not_competent"
    RETURN_PART = "return_part"
    PASS_TO_EXTERNAL = "pass_to_external"
    MARK_NOT_SUBJECT = "mark_not_subject"
    LINK_REPEATED = "link_repeated"
    SUBMIT_PART = "submit_part"
    SUBMIT_DRAFT = "submit_draft"
    APPROVE_STEP = "approve_step"
    APPROVE = "approve"
    REQUEST_REVISION = "request_revision"
    SET_DEADLINE = "set_deadline"
    PUBLISH_FINAL = "publish_final"
    PUBLISH_INTERMEDIATE = "publish_intermediate"
    PUBLISH_CLARIFICATION = "publish_clarification"
    PUBLICATION_FAILED = "publication_failed"
    AUTHOR_REPLIED = "author_replied"
    AUTHOR_SILENT = "author_silent"
    CONVERT_59FZ = "convert_59fz"
    CLOSE = "close"
    RECORD_REACTION = "record_reaction"


class DraftKind(StrEnum):
    FINAL = "final"
    INTERMEDIATE = "intermediate"
    CLARIFICATION = "clarification"


class Importance(StrEnum):
    ORDINARY = "ordinary"
    HIGH = "high"
    SIGNIFICANT = "significant"
    """Socially significant: the head is told at once.

    Lipetsk 21-22, Myasnikovsky 13, Barnaul 12."""


class Outcome(StrEnum):
    ANSWERED = "answered"
    ANSWERED_AFTER_INTERMEDIATE = "answered_after_intermediate"
    NOT_SUBJECT = "not_subject"
    CONVERTED = "converted"
    PASSED_EXTERNAL = "passed_external"
    NO_REACTION = "no_reaction"
    AUTHOR_SILENT = "author_silent"


class Reaction(StrEnum):
    SATISFIED = "satisfied"
    NEUTRAL = "neutral"
    DISSATISFIED = "dissatisfied"


@dataclass(frozen=True, slots=True)
class Transition:
    action: Action
    sources: frozenset[Status]
    target: Status | None
    """None keeps the status (tagging, a step of the approval chain, a part of a joint answer)."""
    roles: frozenset[Role]
    """Empty: as the profile's approval chain says (the rulebook checks the step)."""
    summary: str

    def target_from(self, source: Status) -> Status:
        return source if self.target is None else self.target


S = Status
R = Role
_BEFORE_ASSIGNMENT = frozenset({S.NEW, S.AWAITING_DECISION, S.DECIDED, S.RETURNED})
_WITH_DEPARTMENT = frozenset({S.ASSIGNED, S.IN_WORK, S.REVISION, S.AWAITING_FINAL})
_CURATORS = frozenset({R.CURATOR, R.ADMIN})
_DRAFTERS = frozenset({R.EXECUTOR, R.DEPARTMENT_LEAD})
_BY_PROFILE: frozenset[Role] = frozenset()
"""The profile names who: the approval chain, the publisher."""


def _t(
    action: Action,
    sources: frozenset[Status] | set[Status],
    target: Status | None,
    roles: frozenset[Role] | set[Role],
    summary: str,
) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), summary)


TRANSITIONS: Mapping[Action, Transition] = MappingProxyType(
    {
        t.action: t
        for t in (
            _t(
                Action.TAG,
                {S.NEW, S.AWAITING_DECISION, S.DECIDED, S.RETURNED},
                None,
                _CURATORS,
                "tag topic, location and importance; changeable until assignment",
            ),
            _t(
                Action.SEND_TO_HEAD,
                {S.NEW, S.RETURNED},
                S.AWAITING_DECISION,
                _CURATORS,
                "pass to the head for a decision on whether and how to react",
            ),
            _t(
                Action.HEAD_DECIDE,
                {S.AWAITING_DECISION},
                S.DECIDED,
                {R.HEAD, R.DEPUTY_HEAD},
                "the head names the department or person",
            ),
            _t(
                Action.HEAD_NO_REACTION,
                {S.AWAITING_DECISION},
                S.NO_REACTION,
                {R.HEAD, R.DEPUTY_HEAD},
                "the head decides no reaction is needed, with a reason",
            ),
            _t(
                Action.ASSIGN,
                {S.NEW, S.DECIDED, S.RETURNED},
                S.ASSIGNED,
                _CURATORS | {R.HEAD, R.DEPUTY_HEAD},
                "route to one department or person, or several in order for a joint answer",
            ),
            _t(
                Action.REASSIGN,
                _WITH_DEPARTMENT,
                None,
                _CURATORS | {R.DEPARTMENT_LEAD},
                "hand to another executor (a substitute during absence)",
            ),
            _t(
                Action.ACCEPT,
                {S.ASSIGNED, S.IN_WORK},
                S.IN_WORK,
                _DRAFTERS,
                "the executor (or each department of a joint answer) accepts",
            ),
            _t(
                Action.CONFIRM_COMPETENCE,
                {S.ASSIGNED, S.IN_WORK},
                None,
                _DRAFTERS,
                "the department lead confirms the message is the department's: the return "
                "window closes",
            ),
            _t(
                Action.RETURN_PART,
                {S.ASSIGNED, S.IN_WORK},
                None,
                _DRAFTERS,
                "one department of a joint answer: not our competence; the others go on",
            ),
            _t(
                Action.RETURN_NOT_COMPETENT,
                {S.ASSIGNED, S.IN_WORK},
                S.RETURNED,
                _DRAFTERS,
                '"not our competence": back to the curator with a reason',
            ),
            _t(
                Action.PASS_TO_EXTERNAL,
                {S.NEW, S.RETURNED, S.DECIDED},
                S.PASSED_EXTERNAL,
                _CURATORS,
                "outside the administration's competence: to the external curator",
            ),
            _t(
                Action.MARK_NOT_SUBJECT,
                _BEFORE_ASSIGNMENT | _WITH_DEPARTMENT,
                S.NOT_SUBJECT,
                _CURATORS,
                "not subject to answer, with the reason",
            ),
            _t(
                Action.LINK_REPEATED,
                OPEN,
                None,
                _CURATORS,
                "link an earlier incident on the same question (a repeated message)",
            ),
            _t(
                Action.SUBMIT_PART,
                {S.IN_WORK},
                None,
                _DRAFTERS,
                "a department's part of a joint answer",
            ),
            _t(
                Action.SUBMIT_DRAFT,
                {S.IN_WORK, S.REVISION, S.AWAITING_FINAL},
                S.UNDER_APPROVAL,
                _DRAFTERS | _CURATORS,
                "submit a draft: final, intermediate or clarification request",
            ),
            _t(
                Action.APPROVE_STEP,
                {S.UNDER_APPROVAL},
                None,
                _BY_PROFILE,
                "one approver of the chain agrees; the next one gets the draft",
            ),
            _t(
                Action.APPROVE,
                {S.UNDER_APPROVAL},
                S.APPROVED,
                _BY_PROFILE,
                "the last approver of the chain agrees (or the curator records the external one)",
            ),
            _t(
                Action.REQUEST_REVISION,
                {S.UNDER_APPROVAL},
                S.REVISION,
                _BY_PROFILE,
                "send the draft back for revision with a reason",
            ),
            _t(
                Action.SET_DEADLINE,
                _WITH_DEPARTMENT | {S.UNDER_APPROVAL},
                None,
                _CURATORS,
                "the curator sets a deadline the act leaves to them (a draft, a revision)",
            ),
            _t(
                Action.PUBLISH_FINAL,
                {S.APPROVED},
                S.PUBLISHED,
                _BY_PROFILE,
                "the final answer is published where the post was",
            ),
            _t(
                Action.PUBLISH_INTERMEDIATE,
                {S.APPROVED},
                S.AWAITING_FINAL,
                _BY_PROFILE,
                "an intermediate answer is published; the final one is due in 7 working days",
            ),
            _t(
                Action.PUBLISH_CLARIFICATION,
                {S.APPROVED},
                S.CLARIFICATION,
                _BY_PROFILE,
                "a clarification request is published; the answer clock stops",
            ),
            _t(
                Action.PUBLICATION_FAILED,
                {S.APPROVED},
                None,
                _BY_PROFILE,
                "the answer cannot be published where the post was; the external curator is told",
            ),
            _t(
                Action.AUTHOR_REPLIED,
                {S.CLARIFICATION},
                S.IN_WORK,
                _CURATORS,
                "the author answered the clarification request; the clock runs again",
            ),
            _t(
                Action.AUTHOR_SILENT,
                {S.CLARIFICATION},
                S.CLOSED,
                _CURATORS | {R.SYSTEM},
                "the curator closes a request the author left unanswered",
            ),
            _t(
                Action.CONVERT_59FZ,
                OPEN - {S.PUBLISHED, S.UNDER_APPROVAL, S.APPROVED},
                S.CONVERTED,
                _CURATORS,
                "converted into an official citizen appeal under 59-FZ",
            ),
            _t(
                Action.CLOSE,
                {S.PUBLISHED},
                S.CLOSED,
                _CURATORS | {R.SYSTEM},
                "close with the outcome and, optionally, the author's reaction",
            ),
            _t(
                Action.RECORD_REACTION,
                {S.CLOSED, S.PUBLISHED},
                None,
                _CURATORS,
                "record the author's reaction (satisfied, neutral, dissatisfied)",
            ),
        )
    }
)


def allowed_actions(status: Status) -> tuple[Action, ...]:
    return tuple(t.action for t in TRANSITIONS.values() if status in t.sources)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a staff member (by internal id) in the role they act in."""

    person_id: int | None
    roles: frozenset[Role]

    @classmethod
    def system(cls) -> Actor:
        return cls(None, frozenset({Role.SYSTEM}))


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    actor_id: int | None
    actor_roles: frozenset[Role]
    action: Action
    from_status: Status
    to_status: Status
    clause: str | None
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Source:
    """Where the post was. The author's data lives only here (Gulkevichi 1.5)."""

    network: str
    url: str | None = None
    author: str | None = None
    text: str = ""
    media: tuple[str, ...] = ()
    external_number: str | None = None
    external_deadline: datetime | None = None


@dataclass(frozen=True, slots=True)
class Tags:
    topic_group: str | None = None
    topic: str | None = None
    location: str | None = None
    importance: Importance = Importance.ORDINARY


@dataclass(slots=True)
class Incident:
    id: int | None
    profile: str
    flow: str
    source: Source
    detected_at: datetime
    curator_id: int | None = None
    number: str | None = None
    """Human-readable number shown on cards and in reports."""
    status: Status = Status.NEW
    version: int = 0
    tags: Tags = field(default_factory=Tags)
    outcome: Outcome | None = None
    reaction: Reaction | None = None
    linked_ids: tuple[int, ...] = ()
    history: list[HistoryEntry] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    drafts: list[Draft] = field(default_factory=list)
    approvals: list[Approval] = field(default_factory=list)
    publications: list[Publication] = field(default_factory=list)
    clauses: Mapping[str, str] = field(default_factory=dict)
    """The profile's clause of each action (`Profile.clauses`), for the history; set by the
    use cases, not stored."""
    turn: str | None = field(default=None, compare=False)
    """Whose approval step is current, as the use case storing the incident worked it out
    (`rulebook.turn_of`): the step's role, or "" when no step waits. Written for the lists
    (/tasks asks the database by it), never loaded: None on a loaded incident, and an incident
    stored with None is taken by the lists as anyone's step. Not compared: the same incident
    loaded and in hand are equal."""

    def __post_init__(self) -> None:
        require_aware(self.detected_at, "detected_at")

    @classmethod
    def detect(
        cls,
        *,
        profile: str,
        flow: str,
        source: Source,
        detected_at: datetime,
        curator: Actor,
        at: datetime,
        tags: Tags | None = None,
    ) -> Incident:
        """A new incident whose history starts with its detection."""
        require_aware(at, "at")
        if detected_at > at:
            raise ValueError("a message cannot be detected in the future")
        incident = cls(
            id=None,
            profile=profile,
            flow=flow,
            source=source,
            detected_at=detected_at,
            curator_id=curator.person_id,
            tags=tags or Tags(),
        )
        incident.history.append(
            HistoryEntry(
                at=at,
                actor_id=curator.person_id,
                actor_roles=curator.roles,
                action=Action.DETECT,
                from_status=Status.NEW,
                to_status=Status.NEW,
                clause=None,
                payload={"detected_at": detected_at.isoformat()},
            )
        )
        return incident

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def can(self, action: Action, roles: frozenset[Role]) -> bool:
        """The transition table's answer alone; the rulebook adds the profile's guards."""
        transition = TRANSITIONS.get(action)
        return (
            transition is not None
            and self.status in transition.sources
            and (not transition.roles or bool(transition.roles & roles))
        )

    def clause_for(self, action: Action) -> str | None:
        return self.clauses.get(action)

    def apply(
        self,
        action: Action,
        actor: Actor,
        at: datetime,
        *,
        expected_version: int | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> HistoryEntry:
        """Move the incident by one allowed transition and append the history entry.

        `expected_version` is the version the actor saw (the one in the pressed button): a press
        on a card drawn before another change loses with `StaleVersion`.
        """
        require_aware(at, "at")
        transition = TRANSITIONS.get(action)
        if transition is None:
            raise TransitionNotAllowed(action, self.status)
        if expected_version is not None and expected_version != self.version:
            last = self.history[-1].actor_id if self.history else None
            raise StaleVersion(expected_version, self.version, last)
        if self.status not in transition.sources:
            raise TransitionNotAllowed(action, self.status)
        if transition.roles and not transition.roles & actor.roles:
            raise RoleNotAllowed(action, frozenset(actor.roles))
        source = self.status
        entry = HistoryEntry(
            at=at,
            actor_id=actor.person_id,
            actor_roles=actor.roles,
            action=action,
            from_status=source,
            to_status=transition.target_from(source),
            clause=self.clause_for(action),
            payload=dict(payload or {}),
        )
        self.status = entry.to_status
        self.version += 1
        self.history.append(entry)
        return entry
