"""From a draft to a published answer: drafting, the parts of a joint answer, the approval
chain, revision, publication (final, intermediate, clarification request), the author's reply
or silence, conversion under 59-FZ, the author's reaction, and the deadlines the act leaves to
the curator.

Every method is one use case: one unit of work, the rulebook asked first, transitions through
the table (history with the clause), timers as the profile says, and notices in the outbox in
the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from domain.clock import Clock
from domain.deadlines import acting_for
from domain.errors import (
    AlreadyDone,
    DomainError,
    DraftKindNotAllowed,
    NotYourStep,
    PartsMissing,
    StaleVersion,
    TransitionNotAllowed,
)
from domain.incident import (
    Action,
    Actor,
    DraftKind,
    Incident,
    Outcome,
    Reaction,
)
from domain.people import Department
from domain.ports import UnitOfWork, UnitOfWorkFactory
from domain.profiles import AlertEvent, Check, Event, Profile
from domain.roles import CURATORS, Role
from domain.rulebook import (
    DRAFT_MOVES,
    DRAFTERS,
    Move,
    active,
    approval_steps,
    current_step,
    missing_parts,
    open_draft,
    own_share,
    settable_timers,
    writer_department,
)
from domain.textchecks import DraftWarning, check_draft, find_personal_data
from domain.timeline import Rulers, due_after
from domain.timer_plan import Occurrence, Plan
from domain.timers import NoticeKind
from domain.usecases import NotFound, actor_of
from domain.work import (
    Approval,
    AssignmentState,
    Attachment,
    AttachmentKind,
    Decision,
    Draft,
    Publication,
)
from domain.workflow import Workflow, member_of, replace_assignment

__all__ = [
    "AlreadyDone",
    "Answering",
    "AnsweringSettings",
    "DraftKindNotAllowed",
    "DraftNeedsConfirmation",
    "EmptyDraft",
    "NotYourStep",
    "Part",
    "PartsMissing",
    "PromiseTooLate",
    "approval_steps",
    "current_step",
    "open_draft",
]

WRITERS = DRAFTERS | CURATORS
"""Who may write a draft: executors and leads; curators where they write the joint answer."""
_VISUAL = frozenset({AttachmentKind.PHOTO, AttachmentKind.VIDEO})
_DEPARTMENT_STEPS = frozenset({Role.DEPARTMENT_LEAD, Role.SUPERVISING_DEPUTY})


class DraftNeedsConfirmation(DomainError):
    """The draft has warnings the writer has not overridden; `fragments` are the pieces that
    look like personal data (Barnaul 9)."""

    def __init__(self, warnings: tuple[DraftWarning, ...], fragments: tuple[str, ...]) -> None:
        super().__init__(f"draft needs confirmation: {', '.join(warnings)}")
        self.warnings = warnings
        self.fragments = fragments


class EmptyDraft(DomainError):
    """A draft with neither text nor attachments cannot be submitted."""


class PromiseTooLate(DomainError):
    """An intermediate answer promises the final one later than the act allows (Lipetsk 13,
    Bor 11, Gulkevichi 3.3: 7 working days): `latest` is the last day it may promise."""

    def __init__(self, latest: date, clause: str) -> None:
        super().__init__(f"the final answer is due by {latest} ({clause})")
        self.latest = latest
        self.clause = clause


@dataclass(frozen=True, slots=True)
class AnsweringSettings:
    require_measures: bool | None = None
    """Final answers must state measures, dates or legal grounds. None: as the profile's
    checks say (Myasnikovsky 9)."""
    public_contacts: tuple[str, ...] = ()
    """The organisation's own phones and e-mails: not flagged as personal data."""
    clarification_silence: timedelta | None = None
    """Calendar time after a published clarification request with no reply from the author
    before the incident closes as "author silent". None (the default): never by itself — no
    act has such a rule; the curator closes it."""
    sweep_limit: int = 1000
    """Incidents looked at by one `close_silent_clarifications` run."""
    external_curator_chat_id: int | None = None
    """The external curator's chat, where the profile alerts them (Barnaul 8)."""


@dataclass(frozen=True, slots=True)
class Part:
    """One department's part of a joint answer, as the writer of the joint answer sees it."""

    assignment_id: int | None
    department_id: int
    executor_id: int | None
    order: int
    text: str
    attachments: tuple[Attachment, ...]


class Answering(Workflow):
    """`needs_photo(topic code)`: whether an answer on the topic needs a confirming photo or
    video (Lipetsk 16, Bor 13, Myasnikovsky 9)."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        profile: Profile,
        rulers: Rulers,
        settings: AnsweringSettings | None = None,
        *,
        needs_photo: Callable[[str | None], bool] | None = None,
    ) -> None:
        super().__init__(uow_factory, clock, profile, rulers)
        self.settings = settings or AnsweringSettings()
        self.needs_photo = needs_photo or (lambda topic: False)
        measures = self.settings.require_measures
        self.require_measures = Check.MEASURES in profile.checks if measures is None else measures

    # ---- drafting ----------------------------------------------------------------------

    async def start_draft(
        self,
        writer_telegram_id: int,
        incident_id: int,
        version: int,
        kind: DraftKind,
        promised_final: date | None = None,
    ) -> Draft:
        """Begin the one open draft of the incident: a final answer, an intermediate one
        (promising the final one by `promised_final`: not in the past, not later than the act
        allows; Lipetsk 13, Bor 11, Gulkevichi 3.3) or a clarification request (Lipetsk 9,
        Gulkevichi 3.1.2), as the profile has them.

        The writer is the executor who took it (or a lead of the department, or whoever
        stands in for them); in a joint answer, once every part is in, the last executor in
        order (Lipetsk 14) or the curator (Barnaul 5). The same writer pressing again changes
        the kind of the open draft and keeps its content; a second writer gets `AlreadyDone`."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await member_of(uow, writer_telegram_id)
            incident = await self._load(uow, incident_id)
            current = open_draft(incident)
            situation = await self._situation(uow, incident, member, now)
            mine = situation.acts_for | {member.id or 0}
            if current is not None and current.author_id in mine:
                if current.kind is kind and current.promised_final == promised_final:
                    return current
            elif current is not None:
                raise AlreadyDone(current.author_id)  # a colleague is writing it
            await self._check(uow, DRAFT_MOVES[kind], incident, member, now, version)
            self._check_promise(incident, kind, promised_final, now)
            seen = incident.version
            if current is not None:
                incident.drafts[-1] = replace(current, kind=kind, promised_final=promised_final)
            else:
                assert member.id is not None
                incident.drafts.append(
                    Draft(
                        id=None,
                        kind=kind,
                        text="",
                        author_id=member.id,
                        created_at=now,
                        promised_final=promised_final,
                    )
                )
            draft = await self._write_draft(uow, incident, seen)
            await self._cards_for_all(uow, incident, now)
            await uow.commit()
        return draft

    async def add_to_draft(
        self,
        writer_telegram_id: int,
        incident_id: int,
        text: str | None,
        attachments: Sequence[Attachment] = (),
    ) -> Draft:
        """Add a message's text and files to the open draft. Text parts are joined with a
        blank line and kept whole, whatever their length. Only the writer's card is redrawn."""
        part = (text or "").strip()
        if not part and not attachments:
            raise ValueError("nothing to add to the draft")
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await member_of(uow, writer_telegram_id)
            incident = await self._load(uow, incident_id)
            await self._check(uow, Move.EDIT_DRAFT, incident, member, now)
            current = open_draft(incident)
            assert current is not None
            joined = "\n\n".join(p for p in (current.text, part) if p)
            incident.drafts[-1] = replace(
                current, text=joined, attachments=(*current.attachments, *attachments)
            )
            draft = await self._write_draft(uow, incident, incident.version)
            await self._card(uow, incident.id, member.id, now)
            await uow.commit()
        return draft

    async def _write_draft(self, uow: UnitOfWork, incident: Incident, seen: int) -> Draft:
        """Drafts change no status: no history entry, but the version moves (as storage moves
        it on every write), so a card drawn before the change is stale."""
        incident.version += 1
        await self._store(uow, incident, seen, [])
        stored = open_draft(incident)  # with its id: the repository gave it in hand
        assert stored is not None and stored.id is not None
        return stored

    async def draft(self, incident_id: int) -> Draft | None:
        """The open draft, or else the last one submitted."""
        async with self.uow_factory() as uow:
            incident = await self._load(uow, incident_id)
        return incident.drafts[-1] if incident.drafts else None

    async def check(self, incident_id: int) -> tuple[DraftWarning, ...]:
        """Warnings for the open (or last) draft: personal data (Barnaul 9), no substance,
        no photo where the topic needs one, no measures where the act asks for them
        (Myasnikovsky 9), no word of progress in the answer to a repeated message."""
        async with self.uow_factory() as uow:
            incident = await self._load(uow, incident_id)
        return self._warnings(incident, _draft_to_check(incident))

    async def personal_data(self, incident_id: int) -> tuple[str, ...]:
        """The fragments of the open (or last) draft that look like personal data."""
        async with self.uow_factory() as uow:
            incident = await self._load(uow, incident_id)
        return self._fragments(_draft_to_check(incident))

    def _warnings(self, incident: Incident, draft: Draft) -> tuple[DraftWarning, ...]:
        """A photo and measures are asked of a final answer only: an intermediate answer or
        a clarification request reports no completed work yet. The answer to a repeated
        message says what was done or how the matter stands, the intermediate one too."""
        final = draft.kind is DraftKind.FINAL
        repeated = bool(incident.linked_ids) and Check.REPEAT_PROGRESS in self.profile.checks
        return check_draft(
            draft.text,
            has_photo=any(a.kind in _VISUAL for a in draft.attachments),
            topic_needs_photo=final and self.needs_photo(incident.tags.topic),
            require_measures=final and self.require_measures,
            public_contacts=self.settings.public_contacts,
            require_progress=repeated and draft.kind is not DraftKind.CLARIFICATION,
        )

    def _fragments(self, draft: Draft) -> tuple[str, ...]:
        return find_personal_data(draft.text, public_contacts=self.settings.public_contacts)

    def latest_promise(self, incident: Incident, now: datetime) -> tuple[date, str] | None:
        """The last day an intermediate answer may promise the final one by: the act's figure
        for the final answer counted from today (the intermediate answer is published today
        at the earliest), and its clause. None where the act sets no figure."""
        for spec in self.profile.flow(incident.flow).timers.values():
            if spec.starts_on(Event.PUBLISHED, DraftKind.INTERMEDIATE) and spec.length:
                ruler = self.rulers.for_clock(spec.clock)
                due = due_after(ruler, now, spec.length)
                return self.today(due), spec.clause
        return None

    def _check_promise(
        self, incident: Incident, kind: DraftKind, promised_final: date | None, now: datetime
    ) -> None:
        if kind is not DraftKind.INTERMEDIATE:
            if promised_final is not None:
                raise ValueError("only an intermediate answer promises a date")
            return
        if promised_final is None:
            raise ValueError("an intermediate answer promises the final one by a date")
        if promised_final < self.today(now):
            raise ValueError("the promised date of the final answer is in the past")
        latest = self.latest_promise(incident, now)
        if latest is not None and promised_final > latest[0]:
            raise PromiseTooLate(*latest)

    # ---- submission ----------------------------------------------------------------------

    async def submit(
        self,
        writer_telegram_id: int,
        incident_id: int,
        version: int | None,
        override: Sequence[DraftWarning] = (),
    ) -> Incident:
        """Send the open draft to the first step of its kind's approval chain (Lipetsk 9-10,
        Bor 9, Gulkevichi 3.1.2-3.1.3, Myasnikovsky 10, Barnaul 5-6).

        Refused with `DraftNeedsConfirmation` while a warning is not in `override`; the
        overridden ones are kept on the draft. After a return for revision the chain starts
        again from its first step: every approver sees the revised text. `version` None: at
        the incident's current version (the drafting prompt's button, drawn before the draft
        grew; the draft sent is the one stored now)."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await member_of(uow, writer_telegram_id)
            incident = await self._load(uow, incident_id)
            version = incident.version if version is None else version
            await self._check(uow, Move.EDIT_DRAFT, incident, member, now, version)
            draft = open_draft(incident)
            assert draft is not None
            if not draft.text.strip() and not draft.attachments:
                raise EmptyDraft(f"the draft of incident {incident_id} is empty")
            await self._check(uow, DRAFT_MOVES[draft.kind], incident, member, now, version)
            self._check_promise(incident, draft.kind, draft.promised_final, now)
            warnings = self._warnings(incident, draft)
            pending = tuple(w for w in warnings if w not in set(override))
            if pending:
                raise DraftNeedsConfirmation(pending, self._fragments(draft))
            revision = _revision(incident)
            submitted = replace(
                draft,
                submitted_at=now,
                revision=revision,
                overridden_warnings=tuple(w.value for w in warnings),
            )

            def mark_submitted(i: Incident) -> None:
                i.drafts[-1] = submitted

            incident, plan = await self._transition(
                uow,
                incident,
                Action.SUBMIT_DRAFT,
                actor_of(member),
                now,
                version=version,
                payload={
                    "draft_id": draft.id,
                    "kind": draft.kind.value,
                    "revision": revision,
                    "overridden": [w.value for w in warnings],
                    "promised_final": (
                        draft.promised_final.isoformat() if draft.promised_final else None
                    ),
                },
                mutate=mark_submitted,
            )
            first = approval_steps(self.profile, incident)[0]
            department = await self._department(uow, incident)
            approvers = await self._approvers(uow, incident, first, department, now)
            await self._settle(uow, incident, plan, now, approvers)
        return incident

    # ---- joint answers -------------------------------------------------------------------

    async def submit_part(
        self,
        executor_telegram_id: int,
        incident_id: int,
        version: int,
        text: str,
        attachments: Sequence[Attachment] = (),
    ) -> Incident:
        """A department's part of a joint answer, to the writer of the joint answer (Lipetsk
        14: within 2 hours of receipt; Barnaul 5: agreed beforehand with the supervising
        deputy by the department itself). In a sequential joint answer the next department
        gets the message now; when the last part is in, the writer's card asks for the joint
        answer."""
        part = text.strip()
        if not part and not attachments:
            raise ValueError("a part needs text or files")
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await member_of(uow, executor_telegram_id)
            incident = await self._load(uow, incident_id)
            situation = await self._check(uow, Move.SUBMIT_PART, incident, member, now, version)
            assignment = own_share(incident, member, situation)
            done = replace(
                assignment,
                state=AssignmentState.PART_SUBMITTED,
                part_text=part,
                executor_id=assignment.executor_id or member.id,
            )
            incident, plan = await self._transition(
                uow,
                incident,
                Action.SUBMIT_PART,
                actor_of(member),
                now,
                version=version,
                payload={
                    "assignment_id": assignment.id,
                    "department_id": assignment.department_id,
                    "attachments": [
                        {"kind": a.kind.value, "file_id": a.file_id, "caption": a.caption}
                        for a in attachments
                    ],
                },
                mutate=replace_assignment(assignment, done),
                assignment_id=assignment.id,
            )
            await self._apply_plan(uow, plan)
            incident = await self._advance(uow, incident, now)
            writers: set[int] = set()
            if not missing_parts(self.profile, incident):
                writers = await self._joint_writers(uow, incident)
            await self._settle(uow, incident, Plan(), now, writers)
        return incident

    async def parts(self, incident_id: int) -> tuple[Part, ...]:
        """The parts sent so far, in the curator's order, with their files."""
        async with self.uow_factory() as uow:
            incident = await self._load(uow, incident_id)
        files: dict[int, tuple[Attachment, ...]] = {}
        for entry in incident.history:
            if entry.action is Action.SUBMIT_PART and entry.payload.get("assignment_id"):
                files[entry.payload["assignment_id"]] = tuple(
                    Attachment(AttachmentKind(a["kind"]), a["file_id"], a.get("caption"))
                    for a in entry.payload.get("attachments", ())
                )
        return tuple(
            Part(
                a.id,
                a.department_id,
                a.executor_id,
                a.order,
                a.part_text or "",
                files.get(a.id or 0, ()),
            )
            for a in active(incident)
            if a.state is AssignmentState.PART_SUBMITTED
        )

    async def _joint_writers(self, uow: UnitOfWork, incident: Incident) -> set[int]:
        if self.profile.joint_answer_by.value == "curator":
            return {incident.curator_id} if incident.curator_id is not None else set()
        last = active(incident)[-1]
        if last.executor_id is not None:
            return {last.executor_id}
        return {
            m.id
            for m in await uow.staff.in_department(last.department_id)
            if m.id is not None and m.active and m.roles & DRAFTERS
        }

    # ---- approval ------------------------------------------------------------------------

    async def approve(self, approver_telegram_id: int, incident_id: int, version: int) -> Incident:
        """The approver of the current step agrees: the next step gets the draft, or after the
        last one the publisher (Lipetsk 10, Bor 9, Gulkevichi 3.1.3 and 3.1.7, Barnaul 5-6).

        The step is the number of approvals of the submitted draft; a step of the department's
        lead or supervising deputy is theirs only for their department."""
        return await self._decide(approver_telegram_id, incident_id, version, approved=True)

    async def request_revision(
        self, approver_telegram_id: int, incident_id: int, version: int, reason: str
    ) -> Incident:
        """The approver of the current step sends the draft back with a reason; the revision
        clock starts for the writer (Lipetsk 11, Gulkevichi 3.1.4, Myasnikovsky 10,
        Barnaul 6)."""
        return await self._decide(
            approver_telegram_id, incident_id, version, approved=False, reason=reason
        )

    async def record_external_decision(
        self,
        curator_telegram_id: int,
        incident_id: int,
        version: int,
        approved: bool,
        reason: str | None = None,
    ) -> Incident:
        """The curator records the external curator's decision on the draft (Myasnikovsky 10,
        Barnaul 6); a refusal needs the reason given."""
        return await self._decide(
            curator_telegram_id,
            incident_id,
            version,
            approved=approved,
            reason=reason,
            external=True,
        )

    async def _decide(
        self,
        telegram_id: int,
        incident_id: int,
        version: int,
        *,
        approved: bool,
        reason: str | None = None,
        external: bool = False,
    ) -> Incident:
        reason = (reason or "").strip() or None
        if not approved and reason is None:
            raise ValueError("a return for revision needs a reason")
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await member_of(uow, telegram_id)
            incident = await self._load(uow, incident_id)
            move = Move.RECORD_EXTERNAL if external else Move.APPROVE
            await self._check(uow, move, incident, member, now, version)
            draft = incident.drafts[-1]
            assert draft.id is not None
            steps = approval_steps(self.profile, incident)
            step = sum(
                1
                for a in incident.approvals
                if a.draft_id == draft.id and a.decision is Decision.APPROVED
            )
            role = steps[step]
            if not approved:
                action = Action.REQUEST_REVISION
            elif step + 1 < len(steps):
                action = Action.APPROVE_STEP
            else:
                action = Action.APPROVE
            payload: dict[str, Any] = {"draft_id": draft.id, "step": step, "role": role.value}
            if reason is not None:
                payload["reason"] = reason
            if external:
                payload["external"] = True
            decision = Approval(
                id=None,
                draft_id=draft.id,
                step=step,
                role=role,
                approver_id=None if external else member.id,
                decision=Decision.APPROVED if approved else Decision.REVISION,
                at=now,
                reason=reason,
            )
            incident, plan = await self._transition(
                uow,
                incident,
                action,
                actor_of(member),
                now,
                version=version,
                payload=payload,
                mutate=lambda i: i.approvals.append(decision),
            )
            involved: set[int] = {draft.author_id}
            if action is Action.APPROVE_STEP:
                following = steps[step + 1]
                department = await self._department(uow, incident)
                nxt = await self._approvers(uow, incident, following, department, now)
                involved |= nxt
            else:
                _hold(plan, draft.author_id, Role.EXECUTOR)
            if action is Action.REQUEST_REVISION:
                for person in await self._on_duty(uow, draft.author_id, now):
                    await self._notice(
                        uow,
                        NoticeKind.REVISION,
                        incident.id,
                        person,
                        now,
                        {"reason": reason, "role": role.value, "external": external},
                    )
            await self._settle(uow, incident, plan, now, involved)
        return incident

    async def _department(self, uow: UnitOfWork, incident: Incident) -> Department | None:
        """The writer's department: whose lead and supervising deputy approve."""
        department_id = writer_department(incident)
        if department_id is None and incident.drafts:
            author = await uow.staff.get(incident.drafts[-1].author_id)
            department_id = author.department_id if author is not None else None
        return await uow.departments.get(department_id) if department_id is not None else None

    async def _approvers(
        self,
        uow: UnitOfWork,
        incident: Incident,
        role: Role,
        department: Department | None,
        now: datetime,
    ) -> set[int]:
        """Who acts for the step, substitutes standing in for the absent: staff with the role;
        of the writer's department for a lead or a supervising deputy; the curators for an
        external curator's step (they record its decision)."""
        staff = {m.id: m for m in await uow.staff.all() if m.id is not None}
        named = _named_approver(incident, role, department)
        if role in _DEPARTMENT_STEPS and named is not None and named in staff:
            people = [staff[named]]
        else:
            wanted = Role.CURATOR if role is Role.EXTERNAL_CURATOR else role
            people = [
                m
                for m in staff.values()
                if m.active
                and wanted in m.roles
                and (
                    role is not Role.DEPARTMENT_LEAD
                    or department is None
                    or m.department_id == department.id
                )
            ]
        return set(acting_for(people, self.today(now), staff))

    # ---- deadlines the act leaves to the curator -----------------------------------------

    async def set_deadline(
        self,
        curator_telegram_id: int,
        incident_id: int,
        version: int,
        timer_name: str,
        due: datetime,
    ) -> Incident:
        """The curator sets a deadline the act leaves to them (Barnaul 4-6: the draft, the
        revision); until then the profile's default (the monitoring system's deadline)."""
        now = self.clock.now()
        if due <= now:
            raise ValueError("a deadline is set in the future")
        async with self.uow_factory() as uow:
            member = await member_of(uow, curator_telegram_id)
            incident = await self._load(uow, incident_id)
            situation = await self._check(uow, Move.SET_DEADLINE, incident, member, now, version)
            timers = [
                t
                for t in settable_timers(self.profile, incident, situation.timers)
                if t.name == timer_name
            ]
            if not timers:
                raise NotFound("settable timer", timer_name)
            seen = incident.version
            entry = incident.apply(
                Action.SET_DEADLINE,
                actor_of(member),
                now,
                expected_version=version,
                payload={
                    "timer": timer_name,
                    "due": due.isoformat(),
                    "was": timers[0].due_at.isoformat() if timers[0].due_at else None,
                },
            )
            incident = await self._store(uow, incident, seen, [entry])
            plan = Plan(change=[self.planner.set_due(t, due, now, incident.flow) for t in timers])
            holders = {t.holder_id for t in timers if t.holder_id is not None}
            await self._settle(uow, incident, plan, now, holders)
        return incident

    # ---- publication -------------------------------------------------------------------

    async def publish(
        self,
        publisher_telegram_id: int,
        incident_id: int,
        version: int,
        link: str | None,
        screenshot_file_id: str | None,
        public: bool = True,
        general_interest: bool = False,
    ) -> Incident:
        """The publisher records the published answer with its link or a screenshot.

        A final answer publishes and closes the incident (outcome "answered", or "answered
        after an intermediate one"); the author's reaction may be recorded later. An
        intermediate answer starts the 7 working days for the final one (Lipetsk 13, Bor 11,
        Gulkevichi 3.3). A clarification request stops the clocks the profile pauses until
        the author replies (Gulkevichi 3.1.2). Comments are answered in public, direct
        messages in private (Gulkevichi 3.5); answers of general interest go to the official
        pages too where the act says so (3.6)."""
        link = (link or "").strip() or None
        if link is None and not screenshot_file_id:
            raise ValueError("a publication needs a link or a screenshot")
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await member_of(uow, publisher_telegram_id)
            incident = await self._load(uow, incident_id)
            move = Move.PUBLISH_GENERAL if general_interest else Move.PUBLISH
            await self._check(uow, move, incident, member, now, version)
            draft = incident.drafts[-1]
            assert draft.id is not None and member.id is not None
            action = {
                DraftKind.FINAL: Action.PUBLISH_FINAL,
                DraftKind.INTERMEDIATE: Action.PUBLISH_INTERMEDIATE,
                DraftKind.CLARIFICATION: Action.PUBLISH_CLARIFICATION,
            }[draft.kind]
            seen = incident.version
            entries = [
                incident.apply(
                    action,
                    actor_of(member),
                    now,
                    expected_version=version,
                    payload={
                        "draft_id": draft.id,
                        "kind": draft.kind.value,
                        "link": link,
                        "screenshot": screenshot_file_id,
                        "public": public,
                        "general_interest": general_interest,
                    },
                )
            ]
            kinds = {d.id: d.kind for d in incident.drafts}
            after_intermediate = any(
                kinds.get(p.draft_id) is DraftKind.INTERMEDIATE for p in incident.publications
            )
            incident.publications.append(
                Publication(
                    id=None,
                    draft_id=draft.id,
                    publisher_id=member.id,
                    at=now,
                    link=link,
                    screenshot_file_id=screenshot_file_id,
                    public=public,
                    general_interest=general_interest,
                )
            )
            if action is Action.PUBLISH_FINAL:
                outcome = (
                    Outcome.ANSWERED_AFTER_INTERMEDIATE if after_intermediate else Outcome.ANSWERED
                )
                entries.append(
                    incident.apply(
                        Action.CLOSE, Actor.system(), now, payload={"outcome": outcome.value}
                    )
                )
                incident.outcome = outcome
            incident = await self._store(uow, incident, seen, entries)
            plan = await self._replan(uow, incident, [Occurrence(Event.PUBLISHED, draft.kind)], now)
            _hold(plan, draft.author_id, Role.EXECUTOR)
            await self._settle(uow, incident, plan, now, {draft.author_id})
        return incident

    async def cannot_publish(
        self,
        publisher_telegram_id: int,
        incident_id: int,
        version: int,
        reason: str,
    ) -> Incident:
        """The answer cannot be published where the post was: recorded, and whom the profile
        names is told at once (Barnaul 8: the external curator). The answer stays approved."""
        reason = reason.strip()
        if not reason:
            raise ValueError("say why the answer cannot be published")
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await member_of(uow, publisher_telegram_id)
            incident = await self._load(uow, incident_id)
            await self._check(uow, Move.CANNOT_PUBLISH, incident, member, now, version)
            draft = incident.drafts[-1]
            incident, plan = await self._transition(
                uow,
                incident,
                Action.PUBLICATION_FAILED,
                actor_of(member),
                now,
                version=version,
                payload={"draft_id": draft.id, "reason": reason},
            )
            if AlertEvent.PUBLICATION_FAILED in self.profile.alerts:
                await self._alert(
                    uow,
                    incident,
                    AlertEvent.PUBLICATION_FAILED,
                    now,
                    {"reason": reason},
                    chat_id=self.settings.external_curator_chat_id,
                )
            else:
                external = self.profile.flow(incident.flow).external_curator
                for curator in sorted(
                    m.id
                    for m in await uow.staff.all()
                    if m.id is not None and m.active and Role.CURATOR in m.roles
                ):
                    await self._notice(
                        uow,
                        NoticeKind.PUBLICATION_FAILED,
                        incident.id,
                        curator,
                        now,
                        {"reason": reason, "external_curator": external},
                    )
            await self._settle(uow, incident, plan, now, {draft.author_id})
        return incident

    # ---- clarification -------------------------------------------------------------------

    async def author_replied(
        self, curator_telegram_id: int, incident_id: int, version: int, text: str
    ) -> Incident:
        """The curator records the author's reply to the clarification request: the clocks
        it paused run again, their due moments moved by the time they stood (Gulkevichi
        3.1.2), and the writer gets the reply."""
        text = text.strip()
        if not text:
            raise ValueError("record what the author replied")
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await member_of(uow, curator_telegram_id)
            incident = await self._load(uow, incident_id)
            await self._check(uow, Move.AUTHOR_REPLIED, incident, member, now, version)
            incident, plan = await self._transition(
                uow,
                incident,
                Action.AUTHOR_REPLIED,
                actor_of(member),
                now,
                version=version,
                payload={"reply_chars": len(text)},
            )
            writer = incident.drafts[-1].author_id if incident.drafts else None
            for person in await self._on_duty(uow, writer, now):
                await self._notice(
                    uow, NoticeKind.AUTHOR_REPLIED, incident.id, person, now, {"text": text}
                )
            await self._settle(uow, incident, plan, now, {writer} if writer else set())
        return incident

    async def author_silent(
        self, incident_id: int, version: int, curator_telegram_id: int | None = None
    ) -> Incident:
        """The author did not reply to the clarification request: the curator closes the
        incident with the outcome "author silent" (or the system, where a period is
        configured)."""
        return await self._finish(
            curator_telegram_id,
            incident_id,
            version,
            Action.AUTHOR_SILENT,
            Move.AUTHOR_SILENT,
            {"outcome": Outcome.AUTHOR_SILENT.value},
            lambda i: setattr(i, "outcome", Outcome.AUTHOR_SILENT),
        )

    async def close_silent_clarifications(self, now: datetime | None = None) -> list[int]:
        """For the scheduler, only where `clarification_silence` is configured (no act has
        such a rule): close the clarification requests published that long ago with no
        reply. The database finds them (status and the last request's moment), a page a run."""
        silence = self.settings.clarification_silence
        if silence is None:
            return []
        now = now or self.clock.now()
        async with self.uow_factory() as uow:
            waiting = await uow.incidents.silent_clarifications(
                now - silence, self.settings.sweep_limit
            )
        closed: list[int] = []
        for incident in waiting:
            if incident.id is None:
                continue
            try:
                await self.author_silent(incident.id, incident.version)
            except (StaleVersion, TransitionNotAllowed):
                continue
            closed.append(incident.id)
        return closed

    # ---- other outcomes ------------------------------------------------------------------

    async def convert_59fz(
        self, curator_telegram_id: int, incident_id: int, version: int, reason: str
    ) -> Incident:
        """The message needs a formal reply: the curator asks the author for contacts and it
        becomes an official appeal under 59-FZ, leaving this workflow (Gulkevichi 3.9)."""
        reason = reason.strip()
        if not reason:
            raise ValueError("a conversion under 59-FZ needs a reason")
        return await self._finish(
            curator_telegram_id,
            incident_id,
            version,
            Action.CONVERT_59FZ,
            Move.CONVERT,
            {"reason": reason, "outcome": Outcome.CONVERTED.value},
            lambda i: setattr(i, "outcome", Outcome.CONVERTED),
        )

    async def record_reaction(
        self, curator_telegram_id: int, incident_id: int, version: int, reaction: Reaction
    ) -> Incident:
        """The author's reaction to the published answer, for the reports on quality
        (Lipetsk 20)."""
        return await self._finish(
            curator_telegram_id,
            incident_id,
            version,
            Action.RECORD_REACTION,
            Move.REACTION,
            {"reaction": reaction.value},
            lambda i: setattr(i, "reaction", reaction),
        )

    async def _finish(
        self,
        curator_telegram_id: int | None,
        incident_id: int,
        version: int,
        action: Action,
        move: Move,
        payload: dict[str, Any],
        mutate: Callable[[Incident], None],
    ) -> Incident:
        """An action of a curator (None: of the system) that changes nothing but the incident
        itself: its timers and everyone's cards follow."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            incident = await self._load(uow, incident_id)
            actor = Actor.system()
            if curator_telegram_id is not None:
                member = await member_of(uow, curator_telegram_id)
                await self._check(uow, move, incident, member, now, version)
                actor = actor_of(member)
            incident, plan = await self._transition(
                uow,
                incident,
                action,
                actor,
                now,
                version=version,
                payload=payload,
                mutate=mutate,
            )
            await self._settle(uow, incident, plan, now)
        return incident


def _draft_to_check(incident: Incident) -> Draft:
    if not incident.drafts:
        raise NotFound("draft", incident.id)
    return incident.drafts[-1]


def _revision(incident: Incident) -> int:
    """Returns for revision of this answer so far: drafts since the last publication."""
    published = {p.draft_id for p in incident.publications}
    start = max((n + 1 for n, d in enumerate(incident.drafts) if d.id in published), default=0)
    returned = {a.draft_id for a in incident.approvals if a.decision is Decision.REVISION}
    return sum(1 for d in incident.drafts[start:-1] if d.id in returned)


def _named_approver(incident: Incident, role: Role, department: Department | None) -> int | None:
    if role is Role.CURATOR:
        return incident.curator_id
    if department is None:
        return None
    if role is Role.DEPARTMENT_LEAD:
        return department.lead_id
    if role is Role.SUPERVISING_DEPUTY:
        return department.supervising_deputy_id
    return None


def _hold(plan: Plan, writer_id: int, role: Role) -> None:
    """Timers of the executor just started are the writer's: the one who answers."""
    plan.start = [
        replace(t, holder_id=writer_id) if t.holder_role is role and t.holder_id is None else t
        for t in plan.start
    ]
