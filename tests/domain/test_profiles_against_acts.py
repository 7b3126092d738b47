"""Every figure and duty of the five shipped profiles against the acts' text, written out here
from ../shared/regulations (not read from the profiles): a profile changed without its act, or
an act misread, fails here. The rows of docs/regulations.md cite these tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from domain.durations import ClockKind, Duration
from domain.incident import DraftKind
from domain.profiles import (
    AlertEvent,
    Check,
    ExternalRule,
    Holder,
    JointAnswerBy,
    JointOrder,
    Per,
    ReportPeriod,
    TimerKind,
    shipped_profile,
)
from domain.roles import Role

W, CAL = ClockKind.WORKING, ClockKind.CALENDAR
F, IM, C = DraftKind.FINAL, DraftKind.INTERMEDIATE, DraftKind.CLARIFICATION


def hours(h: float) -> Duration:
    return Duration(minutes=int(h * 60))


@dataclass(frozen=True)
class T:
    """A timer as its act sets it."""

    clause: str
    length: Duration | None
    clock: ClockKind
    start: tuple[str, ...]
    stop: tuple[str, ...] = ()
    pause: tuple[str, ...] = ()
    resume: tuple[str, ...] = ()
    close: tuple[str, ...] = ()
    kind: TimerKind = TimerKind.DEADLINE
    per: Per = Per.INCIDENT
    before: str | None = None
    external: ExternalRule = ExternalRule.NONE
    settable: bool = False
    holder: Holder = Holder.EXECUTOR
    breach: tuple[Role, ...] = ()
    step: Role | None = None


CUR, HEAD, DEP = Role.CURATOR, Role.HEAD, Role.DEPUTY_HEAD
WINDOW_STOPS = ("returned", "part_returned")
ANSWERED = ("published.final", "published.intermediate")
CLARIFYING = ("published.clarification",)
REPLIED = ("author_replied",)
APPROVING = ("submitted", "step_approved")
APPROVED = ("step_approved", "approved", "revision_requested")

TIMERS: dict[tuple[str, str], dict[str, T]] = {
    ("lipetsk", "default"): {
        # п. 6: tagged and sent within 30 minutes of detection.
        "route": T(
            "п. 6",
            hours(0.5),
            W,
            ("detected",),
            ("assigned",),
            holder=Holder.CURATOR,
            breach=(CUR, DEP),
        ),
        # п. 7: the executor may return it within 30 minutes of receipt: a window.
        "competence_return": T(
            "п. 7",
            hours(0.5),
            W,
            ("assigned",),
            WINDOW_STOPS,
            kind=TimerKind.WINDOW,
            per=Per.ASSIGNMENT,
            breach=(CUR,),
        ),
        # п. 9: a draft (an intermediate one, a request) 4 hours before п. 8's deadline.
        "draft": T(
            "п. 9",
            hours(4),
            W,
            ("assigned",),
            ("submitted", "returned"),  # a return: the next department gets its own
            before="answer",
            breach=(CUR, DEP),
        ),
        # п. 10: the curator agrees within 1 working hour of the draft's arrival.
        "approval": T(
            "п. 10", hours(1), W, APPROVING, APPROVED, holder=Holder.APPROVER, breach=(DEP,)
        ),
        # п. 11: revised within 1 working hour.
        "revision": T(
            "п. 11", hours(1), W, ("revision_requested",), ("submitted",), breach=(CUR, DEP)
        ),
        # п. 12: the executor publishes within 30 minutes of the agreement.
        "publication": T(
            "п. 12",
            hours(0.5),
            W,
            ("approved",),
            ("published", "publication_failed"),
            holder=Holder.PUBLISHER,
            breach=(CUR, DEP),
        ),
        # п. 8: prepared and published within 9 working hours of detection.
        "answer": T(
            "п. 8",
            hours(9),
            W,
            ("detected",),
            ANSWERED,
            CLARIFYING,
            REPLIED,
            external=ExternalRule.EARLIEST,
            breach=(CUR, DEP),
        ),
        # п. 13: the final draft within 7 working days of the intermediate answer.
        "final_after_intermediate": T(
            "п. 13",
            Duration(days=7),
            W,
            ("published.intermediate",),
            ("submitted.final",),
            breach=(CUR, DEP),
        ),
        # п. 14: each part within 2 hours of the message reaching the executor.
        "joint_part": T(
            "п. 14",
            hours(2),
            W,
            ("part_requested",),
            ("part_submitted", "submitted", "part_returned", "returned"),
            per=Per.ASSIGNMENT,
            breach=(CUR,),
        ),
    },
    ("bor", "default"): {
        "competence_return": T(
            "п. 7",
            hours(0.5),
            W,
            ("assigned",),
            WINDOW_STOPS,
            kind=TimerKind.WINDOW,
            per=Per.ASSIGNMENT,
            breach=(CUR, HEAD),
        ),
        # п. 9: the draft to the head within 6 working hours.
        "draft": T(
            "п. 9", hours(6), W, ("assigned",), ("submitted", "returned"), breach=(CUR, HEAD)
        ),
        # п. 10: the account specialist publishes within an hour.
        "publication": T(
            "п. 10",
            hours(1),
            W,
            ("approved",),
            ("published", "publication_failed"),
            holder=Holder.PUBLISHER,
            breach=(HEAD,),
        ),
        # п. 8: published within 12 working hours of detection; п. 16: breaches to the head.
        "answer": T(
            "п. 8",
            hours(12),
            W,
            ("detected",),
            ANSWERED,
            CLARIFYING,
            REPLIED,
            external=ExternalRule.EARLIEST,
            holder=Holder.CURATOR,
            breach=(HEAD,),
        ),
        # п. 11: the final draft within 7 working days.
        "final_after_intermediate": T(
            "п. 11",
            Duration(days=7),
            W,
            ("published.intermediate",),
            ("submitted.final",),
            breach=(CUR, HEAD),
        ),
    },
    ("gulkevichi", "accounts"): {
        # 3.1.1: routed within 2 working hours of the head's resolution.
        "route": T(
            "п. 3.1.1",
            hours(2),
            W,
            ("head_decided",),
            ("assigned",),
            holder=Holder.CURATOR,
            breach=(HEAD,),
        ),
        # 3.1.2: the answer to the curator within 8 working hours; it stands still while a
        # clarification is asked.
        "draft": T(
            "п. 3.1.2",
            hours(8),
            W,
            ("assigned",),
            ("submitted.final", "submitted.intermediate", "returned"),
            ("submitted.clarification",),
            ("author_replied", "revision_requested.clarification"),
            breach=(CUR, HEAD),
        ),
        # 3.1.2: a clarification no later than 4 working hours after receipt: a window.
        "clarification": T(
            "п. 3.1.2",
            hours(4),
            W,
            ("assigned",),
            ("submitted.clarification",),
            close=("returned",),
            kind=TimerKind.WINDOW,
            breach=(CUR,),
        ),
        # 3.1.4: revised within 4 working hours.
        "revision": T(
            "п. 3.1.4", hours(4), W, ("revision_requested",), ("submitted",), breach=(CUR, HEAD)
        ),
        # 3.1.5: the structure's total, 2 working days.
        "answer": T(
            "п. 3.1.5",
            Duration(days=2),
            W,
            ("assigned",),
            ("approved.final", "approved.intermediate", "returned"),
            ("submitted",),
            ("revision_requested", "author_replied"),
            external=ExternalRule.EARLIEST,
            breach=(CUR, HEAD),
        ),
        # 3.3: the final draft within 7 working days.
        "final_after_intermediate": T(
            "п. 3.3",
            Duration(days=7),
            W,
            ("published.intermediate",),
            ("submitted.final",),
            breach=(CUR, HEAD),
        ),
    },
    ("gulkevichi", "incident"): {
        "route": T(
            "п. 3.2.1",
            hours(2),
            W,
            ("head_decided",),
            ("assigned",),
            holder=Holder.CURATOR,
            breach=(HEAD,),
        ),
        # 3.2.2: processed and sent to the curator within 4 working hours.
        "draft": T(
            "п. 3.2.2", hours(4), W, ("assigned",), ("submitted", "returned"), breach=(CUR, HEAD)
        ),
        # 3.2.4: revised within 3 working hours.
        "revision": T(
            "п. 3.2.4", hours(3), W, ("revision_requested",), ("submitted",), breach=(CUR, HEAD)
        ),
        # 3.2.5: the structure's own 8 working hours.
        "structure_total": T(
            "п. 3.2.5",
            hours(8),
            W,
            ("assigned",),
            ("approved.final", "approved.intermediate", "returned"),
            ("submitted",),
            ("revision_requested", "author_replied"),
            breach=(CUR, HEAD),
        ),
        # 3.2.6: handed over within 8 working hours of the administration's receipt.
        "answer": T(
            "п. 3.2.6",
            hours(8),
            W,
            ("detected",),
            ANSWERED,
            CLARIFYING,
            REPLIED,
            external=ExternalRule.EARLIEST,
            holder=Holder.CURATOR,
            breach=(HEAD,),
        ),
        "final_after_intermediate": T(
            "п. 3.3",
            Duration(days=7),
            W,
            ("published.intermediate",),
            ("submitted.final",),
            breach=(CUR, HEAD),
        ),
    },
    ("myasnikovsky", "default"): {
        # п. 7: sent on within 30 minutes of receipt from the curator.
        "route": T(
            "п. 7",
            hours(0.5),
            W,  # reading: working minutes (the act names no clock for its 30 minutes)
            ("detected",),
            ("assigned",),
            holder=Holder.CURATOR,
            breach=(DEP,),
        ),
        # п. 10: the draft 4 hours before п. 8's deadline.
        "draft": T(
            "п. 10",
            hours(4),
            CAL,
            ("assigned",),
            ("submitted", "returned"),
            before="answer",
            breach=(CUR, DEP),
        ),
        # п. 10: the department forwards it to the curator within 30 minutes.
        "approval": T(
            "п. 10",
            hours(0.5),
            W,
            APPROVING,
            APPROVED,
            holder=Holder.CURATOR,
            breach=(DEP,),
            step=CUR,
        ),
        # п. 10: revised within 30 minutes.
        "revision": T(
            "п. 10", hours(0.5), W, ("revision_requested",), ("submitted",), breach=(CUR, DEP)
        ),
        # п. 8: prepared and published within 24 hours; п. 12: breaches to the deputy head.
        "answer": T(
            "п. 8",
            hours(24),
            CAL,
            ("detected",),
            ("published.final",),
            CLARIFYING,
            REPLIED,
            external=ExternalRule.EARLIEST,
            holder=Holder.CURATOR,
            breach=(DEP,),
        ),
    },
    ("barnaul", "default"): {
        # п. 5: the department's head checks competence within 30 working minutes.
        "competence_return": T(
            "п. 5",
            hours(0.5),
            W,
            ("assigned",),
            WINDOW_STOPS,
            close=("competence_confirmed",),
            kind=TimerKind.WINDOW,
            per=Per.ASSIGNMENT,
            holder=Holder.DEPARTMENT_LEAD,
            breach=(CUR,),
        ),
        # п. 4, 5: by the deadline the controller sets; the system's until then.
        "draft": T(
            "п. 4, 5",
            None,
            W,
            ("assigned",),
            # п. 5: handed to the controller agreed with the supervising deputy
            ("step_approved", "approved", "revision_requested", "returned"),
            external=ExternalRule.EXTERNAL,
            settable=True,
            breach=(CUR, Role.DEPARTMENT_LEAD),
        ),
        # п. 6: the controller checks within 30 working minutes.
        "approval": T(
            "п. 6",
            hours(0.5),
            W,
            APPROVING,
            APPROVED,
            holder=Holder.CURATOR,
            breach=(HEAD,),
            step=CUR,
        ),
        # п. 6: revised by the deadline the controller sets.
        "revision": T(
            "п. 6",
            None,
            W,
            ("revision_requested",),
            ("step_approved", "approved", "revision_requested"),
            external=ExternalRule.EXTERNAL,
            settable=True,
            breach=(CUR, Role.DEPARTMENT_LEAD),
        ),
        # п. 7: placed by the deadline the monitoring system sets.
        "answer": T(
            "п. 7",
            None,
            W,
            ("detected",),
            ("published.final",),
            CLARIFYING,
            REPLIED,
            external=ExternalRule.EXTERNAL,
            holder=Holder.CURATOR,
            breach=(HEAD,),
        ),
    },
}


@pytest.mark.parametrize(("profile", "flow"), list(TIMERS))
def test_every_timer_is_the_acts(profile: str, flow: str) -> None:
    got = shipped_profile(profile).flow(flow).timers
    assert set(got) == set(TIMERS[profile, flow])
    for name, want in TIMERS[profile, flow].items():
        spec = got[name]
        assert (
            spec.clause,
            spec.length,
            spec.clock,
            tuple(str(t) for t in spec.start),
            tuple(str(t) for t in spec.stop),
            tuple(str(t) for t in spec.pause),
            tuple(str(t) for t in spec.resume),
            tuple(str(t) for t in spec.close),
            spec.kind,
            spec.per,
            spec.before,
            spec.external,
            spec.settable,
            spec.holder,
            spec.breach,
            spec.step,
        ) == (
            want.clause,
            want.length,
            want.clock,
            want.start,
            want.stop,
            want.pause,
            want.resume,
            want.close,
            want.kind,
            want.per,
            want.before,
            want.external,
            want.settable,
            want.holder,
            want.breach,
            want.step,
        ), name


@dataclass(frozen=True)
class P:
    """Who does what in an act."""

    chain: tuple[Role, ...]
    by_kind: dict[DraftKind, tuple[Role, ...]]
    publisher: Role
    returner: Role
    joint_by: JointAnswerBy
    joint_order: JointOrder
    kinds: tuple[DraftKind, ...]
    alerted: tuple[Role, ...]
    reports: tuple[tuple[ReportPeriod, str], ...]
    checks: dict[Check, str]
    head_decision: dict[str, bool]
    external: dict[str, bool]
    not_subject: str = ""
    conversion: str = ""
    official_pages: str = ""
    explanations: str = ""
    significant_clock: ClockKind | None = None
    alerts: dict[AlertEvent, tuple[Role, ...]] | None = None
    content_plan: str = ""


PROFILES = {
    "lipetsk": P(  # п. 4, 10, 12, 14, 15, 17, 20, 21-22
        chain=(CUR,),
        by_kind={},
        publisher=Role.EXECUTOR,
        returner=Role.EXECUTOR,
        joint_by=JointAnswerBy.LAST_EXECUTOR,
        joint_order=JointOrder.SEQUENTIAL,
        kinds=(F, IM, C),
        alerted=(DEP, HEAD),
        reports=((ReportPeriod.QUARTERLY, "п. 20"),),
        checks={Check.REPEAT_PROGRESS: "п. 15"},
        head_decision={"default": False},
        external={"default": False},
        not_subject="п. 17",
    ),
    "bor": P(  # п. 6, 7, 9, 10, 12, 14, 17
        chain=(HEAD,),
        by_kind={},
        publisher=CUR,
        returner=Role.EXECUTOR,
        joint_by=JointAnswerBy.LAST_EXECUTOR,
        joint_order=JointOrder.PARALLEL,
        kinds=(F, IM, C),
        alerted=(HEAD,),
        reports=((ReportPeriod.QUARTERLY, "п. 17"),),
        checks={Check.REPEAT_PROGRESS: "п. 12"},
        head_decision={"default": True},
        external={"default": False},
        not_subject="п. 14",
    ),
    "gulkevichi": P(  # п. 3.1.1-3.1.7, 3.2, 3.4, 3.6-3.10
        chain=(CUR, HEAD),
        by_kind={C: (CUR,)},
        publisher=CUR,
        returner=Role.EXECUTOR,
        joint_by=JointAnswerBy.LAST_EXECUTOR,
        joint_order=JointOrder.PARALLEL,
        kinds=(F, IM, C),
        alerted=(HEAD,),
        reports=(),
        checks={Check.REPEAT_PROGRESS: "п. 3.4"},
        head_decision={"accounts": True, "incident": True},
        external={"accounts": False, "incident": True},
        not_subject="п. 3.7",
        conversion="п. 3.9",
        official_pages="п. 3.6",
        explanations="п. 3.8",
        significant_clock=ClockKind.EVERY_DAY,
    ),
    "myasnikovsky": P(  # п. 7-13
        chain=(CUR, Role.EXTERNAL_CURATOR),
        by_kind={},
        publisher=CUR,
        returner=Role.EXECUTOR,
        joint_by=JointAnswerBy.LAST_EXECUTOR,
        joint_order=JointOrder.PARALLEL,
        kinds=(F, C),
        alerted=(HEAD,),
        reports=((ReportPeriod.MONTHLY, "п. 13"),),
        checks={Check.MEASURES: "п. 9", Check.REPEAT_PROGRESS: "п. 11"},
        head_decision={"default": False},
        external={"default": True},
        content_plan="п. 6",  # current information at least twice a week
    ),
    "barnaul": P(  # п. 4-9, 11, 12
        chain=(Role.SUPERVISING_DEPUTY, CUR, Role.EXTERNAL_CURATOR),
        by_kind={},
        publisher=CUR,
        returner=Role.DEPARTMENT_LEAD,
        joint_by=JointAnswerBy.CURATOR,
        joint_order=JointOrder.PARALLEL,
        kinds=(F, C),
        alerted=(HEAD, DEP, Role("chief_of_staff")),
        reports=((ReportPeriod.WEEKLY, "п. 11"),),
        checks={},
        head_decision={"default": False},
        external={"default": True},
        not_subject="п. 9",
        alerts={
            AlertEvent.NOT_SUBJECT: (Role.EXTERNAL_CURATOR,),
            AlertEvent.PASSED_EXTERNAL: (Role.EXTERNAL_CURATOR,),
            AlertEvent.PUBLICATION_FAILED: (Role.EXTERNAL_CURATOR,),
        },
    ),
}


@pytest.mark.parametrize("name", list(PROFILES))
def test_who_does_what_is_the_acts(name: str) -> None:
    want, got = PROFILES[name], shipped_profile(name)
    assert got.approval_chain == want.chain
    assert dict(got.approval_by_kind) == want.by_kind
    assert (got.publisher, got.competence_return_by) == (want.publisher, want.returner)
    assert (got.joint_answer_by, got.joint_order) == (want.joint_by, want.joint_order)
    assert got.draft_kinds == want.kinds
    assert got.significant_alert == want.alerted
    assert tuple((r.period, r.clause) for r in got.reports) == want.reports
    assert dict(got.checks) == want.checks
    assert {f: got.flows[f].head_decision for f in got.flows} == want.head_decision
    assert {f: got.flows[f].external_curator for f in got.flows} == want.external
    assert (got.not_subject, got.conversion, got.official_pages, got.explanations) == (
        want.not_subject,
        want.conversion,
        want.official_pages,
        want.explanations,
    )
    assert got.significant_clock == want.significant_clock
    assert got.content_plan == want.content_plan
    assert {e: a.roles for e, a in got.alerts.items()} == (want.alerts or {})


@pytest.mark.parametrize(
    ("name", "monthly", "quarterly", "content_plan"),
    [
        ("lipetsk", False, True, False),  # п. 20: quarterly
        ("bor", False, True, False),  # п. 17: quarterly
        ("gulkevichi", False, False, False),  # п. 4.2: monitoring, no period named
        ("myasnikovsky", True, False, True),  # п. 13: monthly; п. 6: twice a week
        ("barnaul", False, False, False),  # п. 11: weekly (on for every profile)
    ],
)
def test_the_reports_go_out_as_the_act_says(
    name: str, monthly: bool, quarterly: bool, content_plan: bool
) -> None:
    from bot.config import Settings
    from bot.reporting import report_schedule

    settings = Settings.model_validate(
        {
            "organization": {"name": "x", "timezone": "Europe/Moscow", "profile": name},
            "calendar": {},
        }
    )
    schedule = report_schedule(settings, shipped_profile(name))
    assert schedule.weekly  # Barnaul 11's weekly report, on for every profile
    assert (schedule.monthly, schedule.quarterly) == (monthly, quarterly)
    assert (schedule.content_plan_days is not None) == content_plan
