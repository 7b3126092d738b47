"""The rulebook: what a person may do on an incident now, and why not.

One function of (incident, person, profile, moment) — and the few facts around them a rule
reads (`Situation`: the departments, whom the person stands in for today, the open timers) —
built from the transition table, its guards and the profile. The buttons on a card, the
handlers' checks, the use cases' checks and every read (a card, a draft, a list) ask it;
nothing else decides. A refusal is a domain error that says why (another department's
incident, another step of the approval chain, a step the act does not have...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from domain.errors import (
    AccessDenied,
    AlreadyDone,
    DomainError,
    DraftKindNotAllowed,
    HeadDecidesFirst,
    NotInAct,
    NotYours,
    NotYourStep,
    PartsMissing,
    TransitionNotAllowed,
)
from domain.incident import OPEN, TRANSITIONS, Action, DraftKind, Incident, Outcome, Status
from domain.people import Department, StaffMember, on_duty
from domain.ports import Involvement
from domain.profiles import Event, JointAnswerBy, Profile, TimerKind
from domain.roles import CURATORS, HEADS, Role
from domain.timers import Timer
from domain.work import Assignment, AssignmentState, Decision, Draft

DRAFTERS = frozenset({Role.EXECUTOR, Role.DEPARTMENT_LEAD})
DRAFTING = frozenset({Status.IN_WORK, Status.REVISION, Status.AWAITING_FINAL})
_DEPARTMENT_STEPS = frozenset({Role.DEPARTMENT_LEAD, Role.SUPERVISING_DEPUTY})


class Move(StrEnum):
    """What a person can do on an incident: a button, a typed reply, a read."""

    VIEW = "view"
    """See the card (and open it from a list or a search)."""
    PREVIEW = "preview"
    """Read the draft whole."""
    TAG = "tag"
    SET_DETECTED = "set_detected"
    LINK_REPEAT = "link_repeat"
    SEND_TO_HEAD = "send_to_head"
    ASSIGN = "assign"
    NOT_SUBJECT = "not_subject"
    PASS_EXTERNAL = "pass_external"
    HEAD_DECIDE = "head_decide"
    HEAD_NO_REACTION = "head_no_reaction"
    ACCEPT = "accept"
    CONFIRM_COMPETENCE = "confirm_competence"
    RETURN = "return"
    SUBMIT_PART = "submit_part"
    DRAFT_FINAL = "draft_final"
    DRAFT_INTERMEDIATE = "draft_intermediate"
    DRAFT_CLARIFICATION = "draft_clarification"
    EDIT_DRAFT = "edit_draft"
    """Add to the open draft and submit it: its author."""
    APPROVE = "approve"
    """Agree, or send back for revision, at one's own step of the chain."""
    RECORD_EXTERNAL = "record_external"
    """Record the external curator's decision at its step."""
    PUBLISH = "publish"
    PUBLISH_GENERAL = "publish_general"
    """Publish, and on the official pages too (Gulkevichi 3.6)."""
    CANNOT_PUBLISH = "cannot_publish"
    SET_DEADLINE = "set_deadline"
    AUTHOR_REPLIED = "author_replied"
    AUTHOR_SILENT = "author_silent"
    CONVERT = "convert"
    REACTION = "reaction"


DRAFT_MOVES: Mapping[DraftKind, Move] = {
    DraftKind.FINAL: Move.DRAFT_FINAL,
    DraftKind.INTERMEDIATE: Move.DRAFT_INTERMEDIATE,
    DraftKind.CLARIFICATION: Move.DRAFT_CLARIFICATION,
}


@dataclass(frozen=True, slots=True)
class Situation:
    """What a rule reads beyond the incident and the person."""

    departments: Mapping[int, Department] = field(default_factory=dict)
    """Their leads and supervising deputies approve at their steps."""
    acts_for: frozenset[int] = frozenset()
    """People the person stands in for today (absent, with this person as substitute)."""
    acting_departments: frozenset[int] = frozenset()
    """The departments of those people: the person acts for them there too."""
    timers: Sequence[Timer] = ()
    """The incident's open timers."""


def standing_in(
    person: StaffMember, staff: Iterable[StaffMember], day: date
) -> tuple[frozenset[int], frozenset[int]]:
    """Whom `person` acts for on `day`, and those people's departments."""
    members = [m for m in staff if m.id is not None]
    ids = acting_ids(person, members, day)
    departments = frozenset(
        m.department_id for m in members if m.id in ids and m.department_id is not None
    )
    return ids, departments


def acting_ids(person: StaffMember, staff: Iterable[StaffMember], day: date) -> frozenset[int]:
    """Everyone `person` acts for on `day`: whose chain of substitutes (the absent, the blocked)
    ends at them (Lipetsk 5.2)."""
    by_id = {m.id: m for m in staff if m.id is not None}
    acting = set()
    for member in by_id.values():
        if member.id == person.id or member.acts_on(day):
            continue  # `on_duty` would stop at them: only the absent are followed
        duty = on_duty(member, day, by_id)
        if duty.acting is not None and duty.acting.id == person.id:
            acting.add(member.id)
    return frozenset(i for i in acting if i is not None)


@dataclass(frozen=True, slots=True)
class _Case:
    incident: Incident
    person: StaffMember
    profile: Profile
    now: datetime
    situation: Situation

    @property
    def roles(self) -> frozenset[Role]:
        return self.person.roles

    @property
    def ids(self) -> frozenset[int]:
        own = {self.person.id} if self.person.id is not None else set()
        return frozenset(own) | self.situation.acts_for

    @property
    def status(self) -> Status:
        return self.incident.status

    @property
    def departments(self) -> frozenset[int]:
        """The person's department and those of whom they stand in for."""
        own = {self.person.department_id} if self.person.department_id is not None else set()
        return frozenset(own) | self.situation.acting_departments


def moves(
    incident: Incident,
    person: StaffMember,
    profile: Profile,
    now: datetime,
    situation: Situation | None = None,
) -> frozenset[Move]:
    """Everything `person` may do on `incident` at `now`."""
    case = _Case(incident, person, profile, now, situation or Situation())
    if _RULES[Move.VIEW](case) is not None:
        return frozenset()
    return frozenset(m for m, rule in _RULES.items() if rule(case) is None)


def refusal(
    move: Move,
    incident: Incident,
    person: StaffMember,
    profile: Profile,
    now: datetime,
    situation: Situation | None = None,
) -> DomainError | None:
    """Why `person` may not make `move` now; None: they may."""
    case = _Case(incident, person, profile, now, situation or Situation())
    return _RULES[Move.VIEW](case) or _RULES[move](case)


def require(
    move: Move,
    incident: Incident,
    person: StaffMember,
    profile: Profile,
    now: datetime,
    situation: Situation | None = None,
) -> None:
    """Raise the refusal, if any."""
    error = refusal(move, incident, person, profile, now, situation)
    if error is not None:
        raise error


# ---- the approval chain ----------------------------------------------------------------------


def active(incident: Incident) -> list[Assignment]:
    """The assignments not returned, in the curator's order (queued ones included)."""
    return sorted(
        (a for a in incident.assignments if a.state is not AssignmentState.RETURNED),
        key=lambda a: a.order,
    )


def delivered(incident: Incident) -> list[Assignment]:
    """The active assignments whose department has the message (not waiting its turn)."""
    return [a for a in active(incident) if a.state is not AssignmentState.QUEUED]


def approval_steps(profile: Profile, incident: Incident) -> tuple[Role, ...]:
    """Who agrees the incident's last draft, in order: the chain of its kind. A joint answer
    the curator writes skips the departments' own steps: each agreed its part itself
    (Barnaul 5)."""
    kind = incident.drafts[-1].kind if incident.drafts else DraftKind.FINAL
    chain = profile.chain(kind)
    if len(active(incident)) > 1 and profile.joint_answer_by is JointAnswerBy.CURATOR:
        chain = tuple(r for r in chain if r not in _DEPARTMENT_STEPS) or chain
    return chain


def current_step(profile: Profile, incident: Incident) -> Role | None:
    """Whose turn it is to approve the submitted draft; None when nothing is under approval."""
    if incident.status is not Status.UNDER_APPROVAL or not incident.drafts:
        return None
    draft = incident.drafts[-1]
    done = sum(
        1 for a in incident.approvals if a.draft_id == draft.id and a.decision is Decision.APPROVED
    )
    steps = approval_steps(profile, incident)
    return steps[done] if done < len(steps) else None


def turn_of(profile: Profile, incident: Incident) -> str:
    """What is kept beside the incident of whose approval step it is (`Incident.turn`): the
    current step's role, or "" when no step waits."""
    step = current_step(profile, incident)
    return step.value if step is not None else ""


def approval_turns(person: StaffMember, acts_for: Iterable[int]) -> frozenset[str]:
    """The approval steps (`turn_of`) that can be the person's, a superset of what
    `step_refusal` and `_record_external` grant: a step of one of their roles, any head's step
    for a head or deputy, the external curator's step recorded by a curator, and a department
    lead's or supervising deputy's step for whoever stands in for someone (Lipetsk 5.2)."""
    roles = set(person.roles)
    if roles & HEADS:
        roles |= HEADS
    if Role.CURATOR in roles:
        roles.add(Role.EXTERNAL_CURATOR)
    if any(True for _ in acts_for):
        roles |= {Role.DEPARTMENT_LEAD, Role.SUPERVISING_DEPUTY}
    return frozenset(r.value for r in roles)


def writer_department(incident: Incident) -> int | None:
    """The department of the last draft's author: whose lead and supervising deputy agree."""
    if not incident.drafts:
        return None
    author = incident.drafts[-1].author_id
    mine = [a for a in active(incident) if a.executor_id == author]
    if mine:
        return mine[0].department_id
    current = active(incident)
    return current[-1].department_id if current else None


def open_draft(incident: Incident) -> Draft | None:
    last = incident.drafts[-1] if incident.drafts else None
    return last if last is not None and last.submitted_at is None else None


def missing_parts(profile: Profile, incident: Incident) -> tuple[int, ...]:
    """Departments whose part of a joint answer is still due; the last executor writes rather
    than sends a part (Lipetsk 14), the curator needs every department's (Barnaul 5)."""
    current = active(incident)
    if len(current) < 2:
        return ()
    needed = current if profile.joint_answer_by is JointAnswerBy.CURATOR else current[:-1]
    return tuple(a.department_id for a in needed if a.state is not AssignmentState.PART_SUBMITTED)


# ---- the rules --------------------------------------------------------------------------------

Rule = Callable[[_Case], DomainError | None]


def _status(case: _Case, *actions: Action) -> DomainError | None:
    """The incident's status lets one of `actions` start (the transition table)."""
    if any(case.status in TRANSITIONS[a].sources for a in actions):
        return None
    return TransitionNotAllowed(actions[0], case.status)


def _roles(case: _Case, needed: frozenset[Role]) -> DomainError | None:
    return None if case.roles & needed else AccessDenied(needed)


def _first(*checks: Callable[[], DomainError | None]) -> DomainError | None:
    for check in checks:
        error = check()
        if error is not None:
            return error
    return None


def _view(case: _Case) -> DomainError | None:
    inc, person = case.incident, case.person
    if case.profile.oversees(case.roles):
        return None
    ids = case.ids
    for a in inc.assignments:
        if a.state is AssignmentState.QUEUED:
            continue
        if a.executor_id in ids or a.department_id in case.departments:
            return None
        department = case.situation.departments.get(a.department_id)
        if department is not None and person.id in {
            department.lead_id,
            department.supervising_deputy_id,
        }:
            return None
    if any(d.author_id in ids for d in inc.drafts):
        return None
    if inc.drafts and case.status in {Status.UNDER_APPROVAL, Status.APPROVED}:
        for role in approval_steps(case.profile, inc):
            if role is not Role.EXTERNAL_CURATOR and step_refusal(case, role) is None:
                return None  # whoever agrees the draft sees it while it is agreed
        if case.status is Status.APPROVED and _publish(case) is None:
            return None  # and whoever publishes it
    if any(t.holder_id in ids for t in case.situation.timers if t.holder_id is not None):
        return None
    return NotYours(f"incident {inc.id} is not {person.id}'s")


def _preview(case: _Case) -> DomainError | None:
    if not case.incident.drafts:
        return NotInAct("draft")
    return None


def _curator_step(action: Action) -> Rule:
    def rule(case: _Case) -> DomainError | None:
        return _first(lambda: _roles(case, CURATORS), lambda: _status(case, action))

    return rule


def _set_detected(case: _Case) -> DomainError | None:
    if case.status is not Status.NEW:
        return TransitionNotAllowed(Action.TAG, case.status)
    return _roles(case, CURATORS)


def _send_to_head(case: _Case) -> DomainError | None:
    if not case.profile.flow(case.incident.flow).head_decision:
        return NotInAct(Move.SEND_TO_HEAD)
    return _curator_step(Action.SEND_TO_HEAD)(case)


def _assign(case: _Case) -> DomainError | None:
    flow = case.profile.flow(case.incident.flow)
    return _first(
        lambda: _status(case, Action.ASSIGN),
        lambda: _roles(case, CURATORS),
        lambda: (
            HeadDecidesFirst(case.incident.clauses.get(Action.SEND_TO_HEAD, ""))
            if flow.head_decision and case.status is not Status.DECIDED
            else None
        ),
    )


def _not_subject(case: _Case) -> DomainError | None:
    if not case.profile.not_subject:
        return NotInAct(Move.NOT_SUBJECT)
    return _curator_step(Action.MARK_NOT_SUBJECT)(case)


def _pass_external(case: _Case) -> DomainError | None:
    if not case.profile.flow(case.incident.flow).external_curator:
        return NotInAct(Move.PASS_EXTERNAL)
    return _curator_step(Action.PASS_TO_EXTERNAL)(case)


def _head(action: Action) -> Rule:
    def rule(case: _Case) -> DomainError | None:
        if not case.profile.flow(case.incident.flow).head_decision:
            return NotInAct(action)
        return _first(lambda: _status(case, action), lambda: _roles(case, HEADS))

    return rule


def own_assignment(
    incident: Incident,
    person: StaffMember,
    ids: frozenset[int],
    departments: frozenset[int] = frozenset(),
) -> Assignment:
    """The share of the incident that is the person's: named to them (or to whom they stand
    in for), else their department's (or that of whom they stand in for). Raises NotYours or,
    when theirs was returned, AlreadyDone."""
    theirs = departments | ({person.department_id} if person.department_id is not None else set())
    current = [a for a in active(incident) if a.state is not AssignmentState.QUEUED]
    mine = [a for a in current if a.executor_id in ids] or [
        a for a in current if a.department_id in theirs
    ]
    if mine:
        return mine[0]
    returned = [
        a
        for a in incident.assignments
        if a.state is AssignmentState.RETURNED
        and (a.executor_id in ids or a.department_id in theirs)
    ]
    if returned:
        return returned[0]
    raise NotYours(f"incident {incident.id} is not assigned to {person.id}")


def own_share(incident: Incident, person: StaffMember, situation: Situation) -> Assignment:
    """`own_assignment` for the person as they stand today (substitutes included)."""
    ids = situation.acts_for | ({person.id} if person.id is not None else set())
    return own_assignment(incident, person, frozenset(ids), situation.acting_departments)


def _own(case: _Case) -> Assignment | DomainError:
    try:
        assignment = own_assignment(case.incident, case.person, case.ids, case.departments)
    except NotYours as exc:
        return exc
    if assignment.state is AssignmentState.RETURNED:
        return AlreadyDone(assignment.executor_id)
    return assignment


def _taken_by_other(case: _Case, a: Assignment) -> bool:
    department = case.situation.departments.get(a.department_id)
    lead = Role.DEPARTMENT_LEAD in case.roles or (
        department is not None and department.lead_id in case.situation.acts_for
    )
    return a.executor_id is not None and a.executor_id not in case.ids and not lead


def _accept(case: _Case) -> DomainError | None:
    error = _first(lambda: _status(case, Action.ACCEPT), lambda: _roles(case, DRAFTERS))
    if error is not None:
        return error
    a = _own(case)
    if isinstance(a, DomainError):
        return a
    if a.state is not AssignmentState.PENDING:
        return AlreadyDone(a.executor_id)
    if _taken_by_other(case, a):
        return NotYours(f"incident {case.incident.id} is named to {a.executor_id}")
    return None


def _return_roles(case: _Case) -> frozenset[Role]:
    return frozenset({case.profile.competence_return_by, Role.DEPARTMENT_LEAD})


def _return(case: _Case) -> DomainError | None:
    error = _status(case, Action.RETURN_NOT_COMPETENT)
    if error is not None:
        return error
    a = _own(case)
    if isinstance(a, DomainError):
        return _roles(case, _return_roles(case)) or a
    department = case.situation.departments.get(a.department_id)
    stands_in = department is not None and department.lead_id in case.situation.acts_for
    if not stands_in and (error := _roles(case, _return_roles(case))) is not None:
        return error
    if a.state not in {AssignmentState.PENDING, AssignmentState.ACCEPTED}:
        return AlreadyDone(a.executor_id)
    if _taken_by_other(case, a):
        return NotYours(f"incident {case.incident.id} was taken by {a.executor_id}")
    return None


def _confirm_competence(case: _Case) -> DomainError | None:
    error = _return(case)
    if error is not None:
        return error
    a = _own(case)
    assert not isinstance(a, DomainError)
    flow = case.profile.flow(case.incident.flow)
    for timer in case.situation.timers:
        spec = flow.timers.get(timer.name)
        if (
            spec is not None
            and timer.is_open
            and spec.kind is TimerKind.WINDOW
            and timer.assignment_id == a.id
            and spec.closes_on(Event.COMPETENCE_CONFIRMED, None)
        ):
            return None
    return NotInAct(Move.CONFIRM_COMPETENCE)


def _submit_part(case: _Case) -> DomainError | None:
    error = _first(lambda: _status(case, Action.SUBMIT_PART), lambda: _roles(case, DRAFTERS))
    if error is not None:
        return error
    current = active(case.incident)
    if len(current) < 2:
        return NotInAct(Move.SUBMIT_PART)
    a = _own(case)
    if isinstance(a, DomainError):
        return a
    if a.state is AssignmentState.PART_SUBMITTED:
        return AlreadyDone(a.executor_id)
    if a.state is not AssignmentState.ACCEPTED:
        return TransitionNotAllowed(Action.SUBMIT_PART, case.status)
    if _taken_by_other(case, a):
        return NotYours(f"incident {case.incident.id} was taken by {a.executor_id}")
    if case.profile.joint_answer_by is JointAnswerBy.LAST_EXECUTOR and a is current[-1]:
        return NotYours("the last department writes the joint answer, not a part")
    return None


def writer_refusal(case: _Case) -> DomainError | None:
    """Whether the person writes the answer: the one who took it (or a lead of their
    department); in a joint answer, once the parts are in, the last executor (Lipetsk 14) or
    the curator (Barnaul 5)."""
    current = active(case.incident)
    if not current:
        return NotYours(f"incident {case.incident.id} has no department")
    if len(current) > 1:
        missing = missing_parts(case.profile, case.incident)
        if missing:
            return PartsMissing(missing)
        if case.profile.joint_answer_by is JointAnswerBy.CURATOR:
            if case.roles & CURATORS:
                return None
            if case.roles & DRAFTERS:
                return NotYours(f"the curator writes the joint answer of {case.incident.id}")
            return AccessDenied(CURATORS)
    writer = current[-1]
    if writer.state is AssignmentState.QUEUED:
        return PartsMissing((writer.department_id,))
    if writer.executor_id is not None and writer.executor_id in case.ids:
        return None
    if Role.DEPARTMENT_LEAD in case.roles and writer.department_id in case.departments:
        return None
    if case.roles & DRAFTERS:
        return NotYours(f"incident {case.incident.id} is not {case.person.id}'s to answer")
    return AccessDenied(DRAFTERS)


def _draft(kind: DraftKind) -> Rule:
    def rule(case: _Case) -> DomainError | None:
        if kind not in case.profile.draft_kinds:
            return DraftKindNotAllowed(kind, case.status)
        if case.status not in DRAFTING:
            return TransitionNotAllowed(Action.SUBMIT_DRAFT, case.status)
        if case.status is Status.AWAITING_FINAL and kind is not DraftKind.FINAL:
            return DraftKindNotAllowed(kind, case.status)
        current = open_draft(case.incident)
        if current is not None and current.author_id not in case.ids:
            return AlreadyDone(current.author_id)
        return writer_refusal(case)

    return rule


def _edit_draft(case: _Case) -> DomainError | None:
    if case.status not in DRAFTING:
        return TransitionNotAllowed(Action.SUBMIT_DRAFT, case.status)
    current = open_draft(case.incident)
    if current is None:
        return NotInAct("open draft")
    if current.author_id not in case.ids:
        return NotYours(f"the draft of incident {case.incident.id} is {current.author_id}'s")
    return None


def step_refusal(case: _Case, role: Role) -> DomainError | None:
    """Whether the person acts for the step `role`: the role itself (a head's step: the head or
    a deputy); a lead or a supervising deputy only for the writer's department."""
    department_id = writer_department(case.incident)
    department = case.situation.departments.get(department_id or -1)
    named = _named(department, role)
    if named is not None and named in case.situation.acts_for:
        return None  # stands in for the absent lead or supervising deputy (Lipetsk 5.2)
    needed = HEADS if role in HEADS else frozenset({role})
    if not case.roles & needed:
        return NotYourStep(role)
    if department is None:
        return None
    if (
        role is Role.DEPARTMENT_LEAD
        and case.person.id != department.lead_id
        and case.person.department_id != department.id
    ):
        return NotYours(f"{case.person.id} leads another department")
    if role is Role.SUPERVISING_DEPUTY and department.supervising_deputy_id not in (
        None,
        case.person.id,
    ):
        return NotYours(f"{case.person.id} does not supervise department {department.id}")
    return None


def _named(department: Department | None, role: Role) -> int | None:
    """The person a department names for an approval step: its lead, its supervising deputy."""
    if department is None:
        return None
    if role is Role.DEPARTMENT_LEAD:
        return department.lead_id
    if role is Role.SUPERVISING_DEPUTY:
        return department.supervising_deputy_id
    return None


def _approve(case: _Case) -> DomainError | None:
    step = current_step(case.profile, case.incident)
    if step is None:
        return TransitionNotAllowed(Action.APPROVE, case.status)
    if step is Role.EXTERNAL_CURATOR:
        return NotYourStep(step)
    return step_refusal(case, step)


def _record_external(case: _Case) -> DomainError | None:
    step = current_step(case.profile, case.incident)
    if step is None:
        return TransitionNotAllowed(Action.APPROVE, case.status)
    if step is not Role.EXTERNAL_CURATOR:
        return NotYourStep(step)
    return _roles(case, frozenset({Role.CURATOR}))


def _publish(case: _Case) -> DomainError | None:
    if case.status is not Status.APPROVED or not case.incident.drafts:
        return TransitionNotAllowed(Action.PUBLISH_FINAL, case.status)
    role = case.profile.publisher
    if role in DRAFTERS:
        author = case.incident.drafts[-1].author_id
        if author in case.ids:
            return None
        if case.roles & DRAFTERS:
            return NotYours(f"{author} wrote the answer and publishes it")
        return AccessDenied(DRAFTERS)
    allowed = CURATORS if role is Role.CURATOR else HEADS if role in HEADS else frozenset({role})
    return _roles(case, allowed)


def _publish_general(case: _Case) -> DomainError | None:
    if not case.profile.official_pages:
        return NotInAct(Move.PUBLISH_GENERAL)
    return _publish(case)


def _set_deadline(case: _Case) -> DomainError | None:
    error = _roles(case, CURATORS)
    if error is not None:
        return error
    if settable_timers(case.profile, case.incident, case.situation.timers):
        return None
    return NotInAct(Move.SET_DEADLINE)


def settable_timers(profile: Profile, incident: Incident, timers: Sequence[Timer]) -> list[Timer]:
    """The open timers the curator may set (Barnaul 4-6)."""
    flow = profile.flow(incident.flow)
    found = []
    for timer in timers:
        spec = flow.timers.get(timer.name)
        if spec is not None and spec.settable and timer.is_open:
            found.append(timer)
    return found


def _convert(case: _Case) -> DomainError | None:
    if not case.profile.conversion:
        return NotInAct(Move.CONVERT)
    if case.status is Status.NEW:
        return TransitionNotAllowed(Action.CONVERT_59FZ, case.status)
    return _curator_step(Action.CONVERT_59FZ)(case)


def _reaction(case: _Case) -> DomainError | None:
    inc = case.incident
    answered = inc.outcome in {Outcome.ANSWERED, Outcome.ANSWERED_AFTER_INTERMEDIATE}
    if inc.status is not Status.CLOSED or not answered or inc.reaction is not None:
        return TransitionNotAllowed(Action.RECORD_REACTION, inc.status)
    return _roles(case, CURATORS)


def _link_repeat(case: _Case) -> DomainError | None:
    if case.status not in OPEN:
        return TransitionNotAllowed(Action.LINK_REPEATED, case.status)
    return _roles(case, CURATORS)


_RULES: Mapping[Move, Rule] = {
    Move.VIEW: _view,
    Move.PREVIEW: _preview,
    Move.TAG: _curator_step(Action.TAG),
    Move.SET_DETECTED: _set_detected,
    Move.LINK_REPEAT: _link_repeat,
    Move.SEND_TO_HEAD: _send_to_head,
    Move.ASSIGN: _assign,
    Move.NOT_SUBJECT: _not_subject,
    Move.PASS_EXTERNAL: _pass_external,
    Move.HEAD_DECIDE: _head(Action.HEAD_DECIDE),
    Move.HEAD_NO_REACTION: _head(Action.HEAD_NO_REACTION),
    Move.ACCEPT: _accept,
    Move.CONFIRM_COMPETENCE: _confirm_competence,
    Move.RETURN: _return,
    Move.SUBMIT_PART: _submit_part,
    Move.DRAFT_FINAL: _draft(DraftKind.FINAL),
    Move.DRAFT_INTERMEDIATE: _draft(DraftKind.INTERMEDIATE),
    Move.DRAFT_CLARIFICATION: _draft(DraftKind.CLARIFICATION),
    Move.EDIT_DRAFT: _edit_draft,
    Move.APPROVE: _approve,
    Move.RECORD_EXTERNAL: _record_external,
    Move.PUBLISH: _publish,
    Move.PUBLISH_GENERAL: _publish_general,
    Move.CANNOT_PUBLISH: _publish,
    Move.SET_DEADLINE: _set_deadline,
    Move.AUTHOR_REPLIED: _curator_step(Action.AUTHOR_REPLIED),
    Move.AUTHOR_SILENT: _curator_step(Action.AUTHOR_SILENT),
    Move.CONVERT: _convert,
    Move.REACTION: _reaction,
}


# ---- where a person's work can be ----------------------------------------------------------

# A move falls to someone by role alone, not by a tie to the incident, only in three places:
# the head's decision (Bor 6, Gulkevichi 3.1.1), an approval step, a publisher of the act's own
# role. Everything else that is work (routing one's own registration, accepting, drafting, a
# part, a return, agreeing competence, a held deadline) needs a tie the database records.


def _publishes_by_role(profile: Profile, person: StaffMember) -> bool:
    """The act's publisher is a role the person has (`_publish`); a drafter publishes their
    own answer, which is a tie (the draft's author)."""
    role = profile.publisher
    if role in DRAFTERS:
        return False
    allowed = CURATORS if role is Role.CURATOR else HEADS if role in HEADS else frozenset({role})
    return bool(person.roles & allowed)


def involvement(
    person: StaffMember,
    acts_for: Iterable[int],
    acting_departments: Iterable[int],
    departments: Mapping[int, Department],
    profile: Profile,
) -> Involvement:
    """The open incidents that can hold work for `person` (a superset; `moves` decides): those
    tied to them or to whom they stand in for — registered, assigned (to them or to a
    department they belong to, act for, lead or supervise), drafted, a deadline held — and
    those whose work falls to a role of theirs: awaiting the head's
    decision for a head or deputy, approved for a publisher by role, under approval at a step
    that can be theirs (`approval_turns`)."""
    acting = frozenset(acts_for)
    people = acting | ({person.id} if person.id is not None else set())
    own = {person.department_id} if person.department_id is not None else set()
    led = {
        d_id
        for d_id, d in departments.items()
        if d.lead_id in people or d.supervising_deputy_id in people
    }
    statuses = set()
    if person.roles & HEADS:
        statuses.add(Status.AWAITING_DECISION.value)
    if _publishes_by_role(profile, person):
        statuses.add(Status.APPROVED.value)
    return Involvement(
        people,
        frozenset({*own, *acting_departments, *led}),
        frozenset(statuses),
        approval_turns(person, acting),
    )
