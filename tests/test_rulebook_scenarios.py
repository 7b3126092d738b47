"""The rulebook in the situations the plain matrix does not reach: the later steps of an
approval chain, joint answers in order and in parallel, windows and settable deadlines that
are open, substitutes standing in for the absent, the Gulkevichi "Incident" flow and a role of
a configured act. Each expectation is the act's, written out by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from domain.durations import ClockKind
from domain.incident import DraftKind, Incident, Source, Status
from domain.people import Department, StaffMember
from domain.profiles import Profile, build_profile, shipped_profile
from domain.roles import Role
from domain.rulebook import Move, Situation, moves
from domain.timers import Timer
from domain.work import Approval, Assignment, AssignmentState, Decision, Draft
from tests.sixth_act import sixth_data

T0 = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
ROADS, PARKS = 1, 2
DEPARTMENTS = {
    ROADS: Department(ROADS, "Дороги", lead_id=4, supervising_deputy_id=5),
    PARKS: Department(PARKS, "Парки", lead_id=8),
}
CURATOR = StaffMember(1, 101, "Куратор", frozenset({Role.CURATOR}))
ADMIN = StaffMember(12, 112, "Админ", frozenset({Role.ADMIN}))
HEAD = StaffMember(2, 102, "Глава", frozenset({Role.HEAD}))
DEPUTY = StaffMember(3, 103, "Заместитель", frozenset({Role.DEPUTY_HEAD}))
LEAD = StaffMember(4, 104, "Начальник", frozenset({Role.DEPARTMENT_LEAD}), ROADS)
SUPERVISOR = StaffMember(5, 105, "Курирующий", frozenset({Role.SUPERVISING_DEPUTY}))
EXECUTOR = StaffMember(6, 106, "Исполнитель", frozenset({Role.EXECUTOR}), ROADS)
PARKS_EXECUTOR = StaffMember(7, 107, "Садовник", frozenset({Role.EXECUTOR}), PARKS)
SUBSTITUTE = StaffMember(10, 110, "Замещающий", frozenset({Role.EXECUTOR}), PARKS)
"""An executor of the parks standing in for the roads executor, away on leave."""
LEADS_STAND_IN = StaffMember(11, 111, "За начальника", frozenset({Role.EXECUTOR}), ROADS)
"""An executor of the roads standing in for their lead, away on leave."""
PRESS = StaffMember(9, 109, "Пресс-секретарь", frozenset({Role("press_secretary")}))

V, P = Move.VIEW, Move.PREVIEW
DRAFTS_F_C = {Move.DRAFT_FINAL, Move.DRAFT_CLARIFICATION}
DRAFTS_ALL = {Move.DRAFT_FINAL, Move.DRAFT_INTERMEDIATE, Move.DRAFT_CLARIFICATION}


@dataclass
class Case:
    profile: Profile
    status: Status
    flow: str | None = None
    shares: list[Assignment] = field(default_factory=list)
    kind: DraftKind | None = None
    approved_steps: int = 0
    timers: list[Timer] = field(default_factory=list)

    def incident(self) -> Incident:
        inc = Incident(
            id=10,
            profile=self.profile.name,
            flow=self.flow or self.profile.default_flow,
            source=Source("vk"),
            detected_at=T0,
            curator_id=CURATOR.id,
            status=self.status,
            assignments=list(self.shares),
        )
        if self.kind is not None:
            inc.drafts = [Draft(30, self.kind, "Ответ", 6, T0, submitted_at=T0)]
            chain = self.profile.chain(self.kind)
            inc.approvals = [
                Approval(40 + n, 30, n, chain[n], None, Decision.APPROVED, T0)
                for n in range(self.approved_steps)
            ]
        return inc


def share(
    department: int, executor: int | None, state: AssignmentState, order: int = 0
) -> Assignment:
    return Assignment(20 + order, department, executor, order, T0, state)


def timer(name: str, assignment: int | None = None, *, window: bool = False) -> Timer:
    return Timer(
        None,
        10,
        name,
        "п. 5",
        ClockKind.WORKING,
        T0,
        T0 + timedelta(hours=1),
        None,
        Role.EXECUTOR,
        assignment,
        window=window,
    )


def allowed(
    case: Case, person: StaffMember, *, acts_for: frozenset[int] = frozenset()
) -> set[Move]:
    departments = frozenset(
        p.department_id
        for p in (EXECUTOR, LEAD)
        if p.id in acts_for and p.department_id is not None
    )
    situation = Situation(
        departments=DEPARTMENTS,
        acts_for=acts_for,
        acting_departments=departments,
        timers=case.timers,
    )
    return set(moves(case.incident(), person, case.profile, T0, situation))


BARNAUL = shipped_profile("barnaul")
GULKEVICHI = shipped_profile("gulkevichi")
LIPETSK = shipped_profile("lipetsk")
SIXTH = build_profile("vymyshlenny", sixth_data())


def test_barnaul_an_open_window_and_a_settable_deadline() -> None:
    # п. 5: the head of the department checks competence; п. 4-6: the controller sets deadlines.
    case = Case(
        BARNAUL,
        Status.ASSIGNED,
        shares=[share(ROADS, None, AssignmentState.PENDING)],
        timers=[timer("competence_return", 20, window=True), timer("draft")],
    )
    assert allowed(case, LEAD) == {V, Move.ACCEPT, Move.RETURN, Move.CONFIRM_COMPETENCE}
    assert allowed(case, EXECUTOR) == {V, Move.ACCEPT}
    assert allowed(case, CURATOR) == {V, Move.LINK_REPEAT, Move.NOT_SUBJECT, Move.SET_DEADLINE}
    # The lead's stand-in acts as the lead (Lipetsk 5.2's interchangeability).
    assert allowed(case, LEADS_STAND_IN, acts_for=frozenset({4})) == allowed(case, LEAD)


def test_barnaul_the_later_steps_of_the_chain() -> None:
    shares = [share(ROADS, 6, AssignmentState.ACCEPTED)]
    deputy = Case(BARNAUL, Status.UNDER_APPROVAL, shares=shares, kind=DraftKind.FINAL)
    assert allowed(deputy, SUPERVISOR) == {V, P, Move.APPROVE}
    assert allowed(deputy, CURATOR) == {V, P, Move.LINK_REPEAT}
    controller = Case(
        BARNAUL, Status.UNDER_APPROVAL, shares=shares, kind=DraftKind.FINAL, approved_steps=1
    )
    assert allowed(controller, CURATOR) == {V, P, Move.LINK_REPEAT, Move.APPROVE}
    assert allowed(controller, SUPERVISOR) == {V, P}
    external = Case(
        BARNAUL, Status.UNDER_APPROVAL, shares=shares, kind=DraftKind.FINAL, approved_steps=2
    )
    assert allowed(external, CURATOR) == {V, P, Move.LINK_REPEAT, Move.RECORD_EXTERNAL}
    assert allowed(external, ADMIN) == {V, P, Move.LINK_REPEAT}  # the controller records it


def test_barnaul_a_joint_answer_is_written_by_the_controller_once_every_part_is_in() -> None:
    working = Case(
        BARNAUL,
        Status.IN_WORK,
        shares=[
            share(ROADS, 6, AssignmentState.ACCEPTED),
            share(PARKS, 7, AssignmentState.ACCEPTED, order=1),
        ],
    )
    assert allowed(working, EXECUTOR) == {V, Move.SUBMIT_PART}
    assert allowed(working, PARKS_EXECUTOR) == {V, Move.SUBMIT_PART}
    assert Move.DRAFT_FINAL not in allowed(working, CURATOR)
    ready = Case(
        BARNAUL,
        Status.IN_WORK,
        shares=[
            share(ROADS, 6, AssignmentState.PART_SUBMITTED),
            share(PARKS, 7, AssignmentState.PART_SUBMITTED, order=1),
        ],
    )
    assert allowed(ready, CURATOR) >= DRAFTS_F_C
    assert allowed(ready, EXECUTOR) == {V}


def test_lipetsk_the_parts_go_in_the_curators_order() -> None:
    # п. 14: the second department gets the message when the first has sent its part.
    first = Case(
        LIPETSK,
        Status.IN_WORK,
        shares=[
            share(ROADS, 6, AssignmentState.ACCEPTED),
            share(PARKS, None, AssignmentState.QUEUED, order=1),
        ],
    )
    assert allowed(first, EXECUTOR) == {V, Move.SUBMIT_PART, Move.RETURN}
    assert allowed(first, PARKS_EXECUTOR) == set()  # not yet theirs to see
    second = Case(
        LIPETSK,
        Status.IN_WORK,
        shares=[
            share(ROADS, 6, AssignmentState.PART_SUBMITTED),
            share(PARKS, None, AssignmentState.PENDING, order=1),
        ],
    )
    assert allowed(second, PARKS_EXECUTOR) == {V, Move.ACCEPT, Move.RETURN}
    assert allowed(second, EXECUTOR) == {V}
    writing = Case(
        LIPETSK,
        Status.IN_WORK,
        shares=[
            share(ROADS, 6, AssignmentState.PART_SUBMITTED),
            share(PARKS, 7, AssignmentState.ACCEPTED, order=1),
        ],
    )
    # The last executor writes the joint answer; they send no part of their own.
    assert allowed(writing, PARKS_EXECUTOR) == {V, Move.RETURN} | DRAFTS_ALL


def test_lipetsk_a_substitute_acts_for_the_absent_executor() -> None:
    # п. 5.2: executors substitute each other during absence.
    away = frozenset({6})
    assigned = Case(LIPETSK, Status.ASSIGNED, shares=[share(ROADS, None, AssignmentState.PENDING)])
    assert allowed(assigned, SUBSTITUTE, acts_for=away) == {V, Move.ACCEPT, Move.RETURN}
    assert allowed(assigned, SUBSTITUTE) == set()  # not standing in: not theirs
    in_work = Case(LIPETSK, Status.IN_WORK, shares=[share(ROADS, 6, AssignmentState.ACCEPTED)])
    assert allowed(in_work, SUBSTITUTE, acts_for=away) == {V, Move.RETURN} | DRAFTS_ALL
    approved = Case(
        LIPETSK,
        Status.APPROVED,
        shares=[share(ROADS, 6, AssignmentState.ACCEPTED)],
        kind=DraftKind.FINAL,
        approved_steps=1,
    )
    # п. 12: the executor publishes; their stand-in does it for them.
    assert allowed(approved, SUBSTITUTE, acts_for=away) == {
        V,
        P,
        Move.PUBLISH,
        Move.CANNOT_PUBLISH,
    }


def test_gulkevichi_the_head_agrees_after_the_curator_and_a_request_needs_the_curator_only() -> (
    None
):
    shares = [share(ROADS, 6, AssignmentState.ACCEPTED)]
    head_step = Case(
        GULKEVICHI, Status.UNDER_APPROVAL, shares=shares, kind=DraftKind.FINAL, approved_steps=1
    )
    assert allowed(head_step, HEAD) == {V, P, Move.APPROVE}
    assert allowed(head_step, DEPUTY) == {V, P, Move.APPROVE}
    assert allowed(head_step, CURATOR) == {V, P, Move.LINK_REPEAT}
    request = Case(
        GULKEVICHI,
        Status.APPROVED,
        shares=shares,
        kind=DraftKind.CLARIFICATION,
        approved_steps=1,
    )
    # 3.1.2: agreed with the curator, the request is published; no head step is left.
    assert {Move.PUBLISH, Move.CANNOT_PUBLISH} <= allowed(request, CURATOR)


def test_gulkevichi_the_incident_flow_has_an_external_curator_and_the_heads_decision() -> None:
    new = Case(GULKEVICHI, Status.NEW, flow="incident")
    assert allowed(new, CURATOR) == {
        V,
        Move.TAG,
        Move.SET_DETECTED,
        Move.LINK_REPEAT,
        Move.SEND_TO_HEAD,
        Move.NOT_SUBJECT,
        Move.PASS_EXTERNAL,
    }
    decided = Case(GULKEVICHI, Status.DECIDED, flow="incident")
    assert allowed(decided, CURATOR) == {
        V,
        Move.TAG,
        Move.LINK_REPEAT,
        Move.ASSIGN,
        Move.NOT_SUBJECT,
        Move.PASS_EXTERNAL,
        Move.CONVERT,
    }
    assert allowed(Case(GULKEVICHI, Status.NEW), CURATOR) == allowed(new, CURATOR) - {
        Move.PASS_EXTERNAL
    }


def test_a_role_of_a_configured_act_agrees_and_publishes_at_its_step() -> None:
    shares = [share(ROADS, 6, AssignmentState.ACCEPTED)]
    curator_step = Case(SIXTH, Status.UNDER_APPROVAL, shares=shares, kind=DraftKind.FINAL)
    assert allowed(curator_step, PRESS) == {V, P}  # in the chain: sees it, not its turn
    press_step = Case(
        SIXTH, Status.UNDER_APPROVAL, shares=shares, kind=DraftKind.FINAL, approved_steps=1
    )
    assert allowed(press_step, PRESS) == {V, P, Move.APPROVE}
    approved = Case(SIXTH, Status.APPROVED, shares=shares, kind=DraftKind.FINAL, approved_steps=2)
    assert allowed(approved, PRESS) == {V, P, Move.PUBLISH, Move.CANNOT_PUBLISH}
    assert allowed(Case(SIXTH, Status.NEW), PRESS) == set()


@pytest.mark.parametrize("person", [HEAD, CURATOR, LEAD, EXECUTOR])
def test_nobody_acts_on_a_closed_message(person: StaffMember) -> None:
    closed = Case(LIPETSK, Status.NOT_SUBJECT)
    assert allowed(closed, person) - {V} == set()
