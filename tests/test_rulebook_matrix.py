"""The rulebook against the acts: every move × role × status × shipped profile.

The expectations below are written from the acts' text (../shared/regulations), not read from
the profiles: who decides before routing, who may return a message, who agrees a draft in
what order, who publishes, which optional steps exist. Then every card shows exactly the
buttons of the moves the rulebook allows, no more, no fewer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from domain.incident import DraftKind, Incident, Outcome, Source, Status
from domain.people import Department, StaffMember
from domain.profiles import SHIPPED, shipped_profile
from domain.roles import Role
from domain.rulebook import DRAFT_MOVES, Move, Situation, moves
from domain.work import (
    Approval,
    Assignment,
    AssignmentState,
    Decision,
    Draft,
    Publication,
)
from handlers.callbacks import BUTTON_MOVES, A, IncCb
from handlers.render import CardView, card_keyboard
from tests.usecases.conftest import MSK, RULERS

T0 = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
F, IM, C = DraftKind.FINAL, DraftKind.INTERMEDIATE, DraftKind.CLARIFICATION


@dataclass(frozen=True)
class Act:
    """What an act says about who does what, read from its text."""

    head_decides: bool
    """Bor 6, Gulkevichi 3.1.1 / 3.2.1: the head decides before anyone routes."""
    returner: Role
    """Who may return a message as not the department's (Lipetsk 7, Bor 7: the executor;
    Barnaul 5: the head of the department). A department lead may always act for it."""
    chain: dict[DraftKind, tuple[Role, ...]]
    publisher: Role
    external: bool
    """An external curator sends messages in and takes back what is not the
    administration's (Gulkevichi 3.2, Myasnikovsky 7, Barnaul 4)."""
    conversion: bool
    """Gulkevichi 3.9: a message may become an appeal under 59-FZ."""
    not_subject: bool
    """Lipetsk 17, Bor 14, Gulkevichi 3.7, Barnaul 9 name messages not subject to answer."""
    kinds: frozenset[DraftKind]
    official_pages: bool = False
    """Gulkevichi 3.6."""
    oversight: frozenset[Role] = field(default_factory=frozenset)


CUR, HEAD, EXT = Role.CURATOR, Role.HEAD, Role.EXTERNAL_CURATOR
ACTS = {
    "lipetsk": Act(  # п. 4, 7, 9, 10, 12, 13
        head_decides=False,
        returner=Role.EXECUTOR,
        chain={F: (CUR,), IM: (CUR,), C: (CUR,)},
        publisher=Role.EXECUTOR,
        external=False,
        conversion=False,
        not_subject=True,
        kinds=frozenset({F, IM, C}),
    ),
    "bor": Act(  # п. 6, 7, 9, 10, 11, 14
        head_decides=True,
        returner=Role.EXECUTOR,
        chain={F: (HEAD,), IM: (HEAD,), C: (HEAD,)},
        publisher=Role.CURATOR,
        external=False,
        conversion=False,
        not_subject=True,
        kinds=frozenset({F, IM, C}),
    ),
    "gulkevichi": Act(  # п. 3.1.1-3.1.7, 3.3, 3.6, 3.7, 3.9; the accounts flow
        head_decides=True,
        returner=Role.EXECUTOR,
        chain={F: (CUR, HEAD), IM: (CUR, HEAD), C: (CUR,)},
        publisher=Role.CURATOR,
        external=False,
        conversion=True,
        not_subject=True,
        kinds=frozenset({F, IM, C}),
        official_pages=True,
    ),
    "myasnikovsky": Act(  # п. 7, 8, 10; no intermediate answer, no not-subject rule
        head_decides=False,
        returner=Role.EXECUTOR,
        chain={F: (CUR, EXT), C: (CUR, EXT)},
        publisher=Role.CURATOR,
        external=True,
        conversion=False,
        not_subject=False,
        kinds=frozenset({F, C}),
    ),
    "barnaul": Act(  # п. 4-9, 12
        head_decides=False,
        returner=Role.DEPARTMENT_LEAD,
        chain={F: (Role.SUPERVISING_DEPUTY, CUR, EXT), C: (Role.SUPERVISING_DEPUTY, CUR, EXT)},
        publisher=Role.CURATOR,
        external=True,
        conversion=False,
        not_subject=True,
        kinds=frozenset({F, C}),
        oversight=frozenset({Role("chief_of_staff")}),
    ),
}

# The people: one of each role; the lead, the supervising deputy and the executor of the
# department the message went to, and an executor of another department.
ROADS, PARKS = 1, 2
DEPARTMENTS = {
    ROADS: Department(ROADS, "Дороги", lead_id=4, supervising_deputy_id=5),
    PARKS: Department(PARKS, "Парки"),
}
PEOPLE = {
    "curator": StaffMember(1, 101, "Куратор", frozenset({Role.CURATOR})),
    "head": StaffMember(2, 102, "Глава", frozenset({Role.HEAD})),
    "deputy_head": StaffMember(3, 103, "Заместитель", frozenset({Role.DEPUTY_HEAD})),
    "department_lead": StaffMember(
        4, 104, "Начальник", frozenset({Role.DEPARTMENT_LEAD}), department_id=ROADS
    ),
    "supervising_deputy": StaffMember(5, 105, "Курирующий", frozenset({Role.SUPERVISING_DEPUTY})),
    "executor": StaffMember(6, 106, "Исполнитель", frozenset({Role.EXECUTOR}), ROADS),
    "other_executor": StaffMember(7, 107, "Чужой", frozenset({Role.EXECUTOR}), PARKS),
    "admin": StaffMember(8, 108, "Админ", frozenset({Role.ADMIN})),
    "chief_of_staff": StaffMember(
        9, 109, "Руководитель аппарата", frozenset({Role("chief_of_staff")})
    ),
}
EXECUTOR_ID, CURATOR_ID = 6, 1

STATUSES = [
    Status.NEW,
    Status.AWAITING_DECISION,
    Status.DECIDED,
    Status.ASSIGNED,
    Status.RETURNED,
    Status.IN_WORK,
    Status.UNDER_APPROVAL,
    Status.REVISION,
    Status.APPROVED,
    Status.CLARIFICATION,
    Status.AWAITING_FINAL,
    Status.CLOSED,
    Status.NOT_SUBJECT,
    Status.NO_REACTION,
    Status.CONVERTED,
    Status.PASSED_EXTERNAL,
]
_WITH_DRAFT = {
    Status.UNDER_APPROVAL: (F, None),
    Status.REVISION: (F, Decision.REVISION),
    Status.APPROVED: (F, Decision.APPROVED),
    Status.CLARIFICATION: (C, Decision.APPROVED),
    Status.AWAITING_FINAL: (IM, Decision.APPROVED),
    Status.CLOSED: (F, Decision.APPROVED),
}


def incident_in(profile: str, status: Status) -> Incident:
    """A message of the profile's default flow standing in `status`, as the workflow leaves
    it: routed to the roads department, taken by its executor, drafted by them."""
    flow = shipped_profile(profile).default_flow
    inc = Incident(
        id=10, profile=profile, flow=flow, source=Source("vk"), detected_at=T0, curator_id=1
    )
    inc.status = status
    if status is Status.ASSIGNED:
        inc.assignments = [Assignment(20, ROADS, None, 0, T0)]
    elif status is Status.RETURNED:
        inc.assignments = [
            Assignment(20, ROADS, EXECUTOR_ID, 0, T0, AssignmentState.RETURNED, None, "не наше")
        ]
    elif status in {
        Status.IN_WORK,
        *_WITH_DRAFT,
    }:
        inc.assignments = [Assignment(20, ROADS, EXECUTOR_ID, 0, T0, AssignmentState.ACCEPTED)]
    if status in _WITH_DRAFT:
        kind, decision = _WITH_DRAFT[status]
        submitted = T0 + timedelta(hours=1)
        inc.drafts = [Draft(30, kind, "Ответ", EXECUTOR_ID, T0, submitted_at=submitted)]
        steps = ACTS[profile].chain.get(kind, (CUR,))
        if decision is Decision.APPROVED:
            inc.approvals = [
                Approval(40 + n, 30, n, role, None, Decision.APPROVED, submitted)
                for n, role in enumerate(steps)
            ]
        elif decision is Decision.REVISION:
            inc.approvals = [Approval(40, 30, 0, steps[0], 1, Decision.REVISION, submitted)]
        if status in {Status.CLARIFICATION, Status.AWAITING_FINAL, Status.CLOSED}:
            inc.publications = [Publication(50, 30, EXECUTOR_ID, submitted, "https://vk.com/x")]
    if status is Status.CLOSED:
        inc.outcome = Outcome.ANSWERED
    return inc


def expected(profile: str, status: Status, who: str) -> set[Move]:
    act = ACTS[profile]
    person = PEOPLE[who]
    roles = person.roles
    oversees = bool(roles & {CUR, Role.ADMIN, HEAD, Role.DEPUTY_HEAD} | (roles & act.oversight))
    reached = status not in {
        Status.NEW,
        Status.AWAITING_DECISION,
        Status.DECIDED,
        Status.NOT_SUBJECT,
        Status.NO_REACTION,
        Status.CONVERTED,
        Status.PASSED_EXTERNAL,
    }
    ours = who in {"department_lead", "executor", "supervising_deputy"}
    if not (oversees or (ours and reached)):
        return set()
    out = {Move.VIEW}
    if status in _WITH_DRAFT:
        out.add(Move.PREVIEW)
    curator = bool(roles & {CUR, Role.ADMIN})
    head = bool(roles & {HEAD, Role.DEPUTY_HEAD})
    drafter = who in {"executor", "department_lead"}
    open_ = status not in {
        Status.CLOSED,
        Status.NOT_SUBJECT,
        Status.NO_REACTION,
        Status.CONVERTED,
        Status.PASSED_EXTERNAL,
    }
    before = {Status.NEW, Status.AWAITING_DECISION, Status.DECIDED, Status.RETURNED}
    with_department = {Status.ASSIGNED, Status.IN_WORK, Status.REVISION, Status.AWAITING_FINAL}
    if curator:
        if status in before:
            out.add(Move.TAG)
        if status is Status.NEW:
            out.add(Move.SET_DETECTED)
        if open_:
            out.add(Move.LINK_REPEAT)
        if act.head_decides and status in {Status.NEW, Status.RETURNED}:
            out.add(Move.SEND_TO_HEAD)
        if status is Status.DECIDED or (
            not act.head_decides and status in {Status.NEW, Status.RETURNED}
        ):
            out.add(Move.ASSIGN)
        if act.not_subject and status in before | with_department:
            out.add(Move.NOT_SUBJECT)
        if act.external and status in {Status.NEW, Status.RETURNED, Status.DECIDED}:
            out.add(Move.PASS_EXTERNAL)
        if status is Status.CLARIFICATION:
            out |= {Move.AUTHOR_REPLIED, Move.AUTHOR_SILENT}
        if (
            act.conversion
            and open_
            and status
            not in {
                Status.NEW,
                Status.UNDER_APPROVAL,
                Status.APPROVED,
            }
        ):
            out.add(Move.CONVERT)
        if status is Status.CLOSED:
            out.add(Move.REACTION)
        if status is Status.APPROVED and act.publisher is CUR:
            out |= {Move.PUBLISH, Move.CANNOT_PUBLISH}
            if act.official_pages:
                out.add(Move.PUBLISH_GENERAL)
    if head and act.head_decides and status is Status.AWAITING_DECISION:
        out |= {Move.HEAD_DECIDE, Move.HEAD_NO_REACTION}
    if status is Status.UNDER_APPROVAL:
        step = act.chain[F][0]
        if step is CUR and Role.CURATOR in roles:
            out.add(Move.APPROVE)
        if step is HEAD and head:
            out.add(Move.APPROVE)
        if step is Role.SUPERVISING_DEPUTY and who == "supervising_deputy":
            out.add(Move.APPROVE)
    if drafter:
        if status is Status.ASSIGNED:
            out.add(Move.ACCEPT)
        returns = who == "department_lead" or act.returner is Role.EXECUTOR
        if returns and status in {Status.ASSIGNED, Status.IN_WORK}:
            out.add(Move.RETURN)
        if status in {Status.IN_WORK, Status.REVISION}:
            out |= {DRAFT_MOVES[k] for k in act.kinds}
        if status is Status.AWAITING_FINAL:
            out.add(Move.DRAFT_FINAL)
    if status is Status.APPROVED and act.publisher is Role.EXECUTOR and who == "executor":
        out |= {Move.PUBLISH, Move.CANNOT_PUBLISH}
    return out


CASES = [
    (profile, status, who)
    for profile in SHIPPED
    for status in STATUSES
    for who in PEOPLE
    if who != "chief_of_staff" or profile == "barnaul"
]


def situation(who: str) -> Situation:
    return Situation(departments=DEPARTMENTS)


@pytest.mark.parametrize(("profile", "status", "who"), CASES)
def test_the_rulebook_gives_each_role_what_the_act_does(
    profile: str, status: Status, who: str
) -> None:
    inc = incident_in(profile, status)
    got = moves(inc, PEOPLE[who], shipped_profile(profile), T0, situation(who))
    assert got == expected(profile, status, who)


def _shown(markup: object, allowed: frozenset[Move]) -> set[Move]:
    shown: set[Move] = set()
    for row in getattr(markup, "inline_keyboard", []) if markup is not None else []:
        for button in row:
            cb = IncCb.unpack(button.callback_data)
            if cb.a == A.DRAFT_MENU:
                shown |= {m for m in DRAFT_MOVES.values() if m in allowed}
            else:
                shown.add(BUTTON_MOVES[cb.a])
    return shown


@pytest.mark.parametrize(("profile", "status", "who"), CASES)
def test_each_card_shows_exactly_the_allowed_buttons(
    profile: str, status: Status, who: str
) -> None:
    inc = incident_in(profile, status)
    prof = shipped_profile(profile)
    allowed = moves(inc, PEOPLE[who], prof, T0, situation(who))
    view = CardView(
        incident=inc,
        viewer=PEOPLE[who],
        timers=(),
        departments={k: d.name for k, d in DEPARTMENTS.items()},
        profile=prof,
        rulers=RULERS,
        zone=MSK,
        now=T0,
        moves=allowed,
    )
    hidden = {Move.VIEW, Move.LINK_REPEAT}  # a card; repeats are offered only when found
    if status not in {Status.UNDER_APPROVAL, Status.APPROVED}:
        hidden.add(Move.PREVIEW)  # the whole draft is offered where someone decides on it
    assert _shown(card_keyboard(view), allowed) == set(allowed) - hidden


def test_every_button_code_is_one_move() -> None:
    from handlers.callbacks import Act

    codes = [v for k, v in vars(Act).items() if k.isupper()] + [
        v for k, v in vars(A).items() if k.isupper()
    ]
    assert len(codes) == len(set(codes))
    assert set(BUTTON_MOVES) | {A.DRAFT_MENU, A.DRAFT_KIND} == set(codes)
