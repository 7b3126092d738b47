"""From a draft to a published answer: drafting, the parts of a joint answer, the approval
chain, revision, publication (final, intermediate, clarification request), the author's reply
or silence, conversion under 59-FZ, and the author's reaction.

Every method is one use case: one unit of work, transitions through the table (history with
the clause), timers as the profile says, and notices in the outbox in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from domain.clock import Clock
from domain.deadlines import acting_for
from domain.errors import DomainError, StaleVersion, TransitionNotAllowed
from domain.incident import (
    TRANSITIONS,
    Action,
    Actor,
    DraftKind,
    Incident,
    Outcome,
    Reaction,
    Status,
)
from domain.people import Department, StaffMember
from domain.ports import UnitOfWork, UnitOfWorkFactory
from domain.profiles import Holder, JointAnswerBy, Profile
from domain.roles import APPROVERS, HEADS, Role
from domain.routing import CURATORS, AlreadyDone, NotYours, _member
from domain.staffing import AccessDenied
from domain.textchecks import DraftWarning, check_draft, find_personal_data
from domain.timeline import Rulers
from domain.timer_plan import Plan
from domain.timers import NoticeKind, Timer
from domain.usecases import NotFound, actor_of, load_incident
from domain.work import (
    Approval,
    Assignment,
    AssignmentState,
    Attachment,
    AttachmentKind,
    Decision,
    Draft,
    Publication,
)
from domain.workflow import Workflow, _active, replace_assignment

DRAFTERS = frozenset({Role.EXECUTOR, Role.DEPARTMENT_LEAD})
WRITERS = DRAFTERS | CURATORS
"""Who may write a draft: executors and leads; curators where they write the joint answer."""
_STEP_ROLES = {Role.HEAD: HEADS}
"""Who may act for a step of the chain; any other step needs exactly its role."""
_APPROVAL_HOLDERS: dict[Holder, frozenset[Role]] = {
    Holder.APPROVER: APPROVERS - {Role.EXTERNAL_CURATOR},
    Holder.CURATOR: frozenset({Role.CURATOR}),
    Holder.HEAD: HEADS,
    Holder.SUPERVISING_DEPUTY: frozenset({Role.SUPERVISING_DEPUTY}),
    Holder.DEPARTMENT_LEAD: frozenset({Role.DEPARTMENT_LEAD}),
}
"""The steps of the chain during which an approval-held timer runs."""
_DEPARTMENT_STEPS = frozenset({Role.DEPARTMENT_LEAD, Role.SUPERVISING_DEPUTY})
_VISUAL = frozenset({AttachmentKind.PHOTO, AttachmentKind.VIDEO})


class DraftNeedsConfirmation(DomainError):
    """The draft has warnings the writer has not overridden; `fragments` are the pieces that
    look like personal data (Barnaul 9)."""

    def __init__(self, warnings: tuple[DraftWarning, ...], fragments: tuple[str, ...]) -> None:
        super().__init__(f"draft needs confirmation: {', '.join(warnings)}")
        self.warnings = warnings
        self.fragments = fragments


class NotYourStep(DomainError):
    """The draft waits for another step of the approval chain: `role` is the one it waits for.

    An external curator's step is recorded by the curator (`record_external_decision`)."""

    def __init__(self, role: Role) -> None:
        super().__init__(f"the draft waits for the {role} step")
        self.role = role


class PartsMissing(DomainError):
    """A joint answer is written only when every department's part is in (Lipetsk 14)."""

    def __init__(self, department_ids: tuple[int, ...]) -> None:
        super().__init__(f"parts missing from departments {list(department_ids)}")
        self.department_ids = department_ids


class DraftKindNotAllowed(DomainError):
    """An intermediate answer where the profile tracks no final one, or anything but a final
    answer after an intermediate one."""

    def __init__(self, kind: DraftKind, status: Status) -> None:
        super().__init__(f"a {kind} draft is not allowed in status {status}")
        self.kind = kind
        self.status = status


class EmptyDraft(DomainError):
    """A draft with neither text nor attachments cannot be submitted."""


@dataclass(frozen=True, slots=True)
class AnsweringSettings:
    require_measures: bool | None = None
    """Final answers must state measures, dates or legal grounds. None: as the shipped act
    says (Myasnikovsky 9 only)."""
    public_contacts: tuple[str, ...] = ()
    """The organisation's own phones and e-mails: not flagged as personal data."""
    clarification_silence: timedelta = timedelta(days=3)
    """Calendar time after a published clarification request with no reply from the author
    before the incident closes as "author silent"."""
    sweep_limit: int = 1000
    """Open incidents looked at by one `close_silent_clarifications` run."""


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
        self.require_measures = profile.name == "myasnikovsky" if measures is None else measures

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
        (promising the final one by `promised_final`, not in the past; Lipetsk 13, Bor 11,
        Gulkevichi 3.3) or a clarification request (Lipetsk 9, Gulkevichi 3.1.2).

        The writer is the executor who accepted (or a lead of the department); in a joint
        answer, once every part is in, the last executor in order (Lipetsk 14) or the curator
        (Barnaul 5). The same writer pressing again changes the kind of the open draft and
        keeps its content; a second writer gets `AlreadyDone`."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await _member(uow, writer_telegram_id, WRITERS)
            incident = await load_incident(uow, incident_id)
            current = _open_draft(incident)
            if current is not None:
                if current.author_id != member.id:
                    raise AlreadyDone(current.author_id)
                if current.kind is kind and current.promised_final == promised_final:
                    return current
            _fresh(incident, version, Action.SUBMIT_DRAFT)
            await self._require_writer(uow, incident, member)
            self._check_kind(incident, kind, promised_final, now)
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
        async with self.uow_factory() as uow:
            member = await _member(uow, writer_telegram_id, WRITERS)
            incident = await load_incident(uow, incident_id)
            if incident.status not in TRANSITIONS[Action.SUBMIT_DRAFT].sources:
                raise TransitionNotAllowed(Action.SUBMIT_DRAFT, incident.status)
            current = _open_draft(incident)
            if current is None:
                raise NotFound("open draft", incident_id)
            if current.author_id != member.id:
                raise NotYours(f"the draft of incident {incident_id} is {current.author_id}'s")
            joined = "\n\n".join(p for p in (current.text, part) if p)
            incident.drafts[-1] = replace(
                current, text=joined, attachments=(*current.attachments, *attachments)
            )
            draft = await self._write_draft(uow, incident, incident.version)
            await self._card(uow, incident.id, member.id, self.clock.now())
            await uow.commit()
        return draft

    async def _write_draft(self, uow: UnitOfWork, incident: Incident, seen: int) -> Draft:
        """Drafts change no status: no history entry, but the version moves (as storage moves
        it on every write), so a card drawn before the change is stale."""
        incident.version += 1
        await uow.incidents.update(incident, seen, [])
        assert incident.id is not None
        stored = _open_draft(await load_incident(uow, incident.id))
        assert stored is not None
        return stored

    async def draft(self, incident_id: int) -> Draft | None:
        """The open draft, or else the last one submitted."""
        async with self.uow_factory() as uow:
            incident = await load_incident(uow, incident_id)
        return incident.drafts[-1] if incident.drafts else None

    async def check(self, incident_id: int) -> tuple[DraftWarning, ...]:
        """Warnings for the open (or last) draft: personal data (Barnaul 9), no substance,
        no photo where the topic needs one, no measures where required (Myasnikovsky 9)."""
        async with self.uow_factory() as uow:
            incident = await load_incident(uow, incident_id)
        return self._warnings(incident, _draft_to_check(incident))

    async def personal_data(self, incident_id: int) -> tuple[str, ...]:
        """The fragments of the open (or last) draft that look like personal data."""
        async with self.uow_factory() as uow:
            incident = await load_incident(uow, incident_id)
        return self._fragments(_draft_to_check(incident))

    def _warnings(self, incident: Incident, draft: Draft) -> tuple[DraftWarning, ...]:
        """A photo and measures are asked of a final answer only: an intermediate answer or
        a clarification request reports no completed work yet."""
        final = draft.kind is DraftKind.FINAL
        return check_draft(
            draft.text,
            has_photo=any(a.kind in _VISUAL for a in draft.attachments),
            topic_needs_photo=final and self.needs_photo(incident.tags.topic),
            require_measures=final and self.require_measures,
            public_contacts=self.settings.public_contacts,
        )

    def _fragments(self, draft: Draft) -> tuple[str, ...]:
        return find_personal_data(draft.text, public_contacts=self.settings.public_contacts)

    def _check_kind(
        self, incident: Incident, kind: DraftKind, promised_final: date | None, now: datetime
    ) -> None:
        if incident.status is Status.AWAITING_FINAL and kind is not DraftKind.FINAL:
            raise DraftKindNotAllowed(kind, incident.status)
        if kind is DraftKind.INTERMEDIATE:
            if "final_after_intermediate" not in self.profile.flow(incident.flow).timers:
                raise DraftKindNotAllowed(kind, incident.status)
            if promised_final is None:
                raise ValueError("an intermediate answer promises the final one by a date")
            if promised_final < self._today(now):
                raise ValueError("the promised date of the final answer is in the past")
        elif promised_final is not None:
            raise ValueError("only an intermediate answer promises a date")

    def _today(self, now: datetime) -> date:
        zone = getattr(self.rulers.working, "zone", None)
        return now.astimezone(zone).date() if isinstance(zone, tzinfo) else now.date()

    # ---- submission ----------------------------------------------------------------------

    async def submit(
        self,
        writer_telegram_id: int,
        incident_id: int,
        version: int,
        override: Sequence[DraftWarning] = (),
    ) -> Incident:
        """Send the open draft to the first step of the approval chain (Lipetsk 9-10, Bor 9,
        Gulkevichi 3.1.2-3.1.3, Myasnikovsky 10, Barnaul 5-6).

        Refused with `DraftNeedsConfirmation` while a warning is not in `override`; the
        overridden ones are kept on the draft. After a return for revision the chain starts
        again from its first step: every approver sees the revised text."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await _member(uow, writer_telegram_id, WRITERS)
            incident = await load_incident(uow, incident_id)
            _fresh(incident, version, Action.SUBMIT_DRAFT)
            draft = _open_draft(incident)
            if draft is None:
                raise NotFound("open draft", incident_id)
            if draft.author_id != member.id:
                raise NotYours(f"the draft of incident {incident_id} is {draft.author_id}'s")
            if not draft.text.strip() and not draft.attachments:
                raise EmptyDraft(f"the draft of incident {incident_id} is empty")
            await self._require_writer(uow, incident, member)
            self._check_kind(incident, draft.kind, draft.promised_final, now)
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

            first = self._steps(incident)[0]
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
                approver_role=first,
            )
            department = await self._department(uow, incident, incident.drafts[-1])
            self._fit_approval(plan, incident, first, department)
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
        deputy by the department itself). When the last part is in, the writer's card asks
        for the joint answer."""
        part = text.strip()
        if not part and not attachments:
            raise ValueError("a part needs text or files")
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await _member(uow, executor_telegram_id, DRAFTERS)
            incident = await load_incident(uow, incident_id)
            _fresh(incident, version, Action.SUBMIT_PART)
            active = _active(incident)
            if len(active) < 2:
                raise ValueError("a part belongs to a joint answer: write the draft instead")
            assignment = _own_assignment(incident, active, member)
            if assignment.state is AssignmentState.PART_SUBMITTED:
                raise AlreadyDone(assignment.executor_id)
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
            writers: set[int] = set()
            if not self._missing_parts(_active(incident)):
                writers = await self._joint_writers(uow, incident)
            await self._settle(uow, incident, plan, now, writers)
        return incident

    async def parts(self, incident_id: int) -> tuple[Part, ...]:
        """The parts sent so far, in the curator's order, with their files."""
        async with self.uow_factory() as uow:
            incident = await load_incident(uow, incident_id)
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
            for a in _active(incident)
            if a.state is AssignmentState.PART_SUBMITTED
        )

    def _missing_parts(self, active: Sequence[Assignment]) -> tuple[int, ...]:
        """Departments whose part is still due; the last executor writes rather than sends
        a part (Lipetsk 14), the curator needs every department's (Barnaul 5)."""
        needed = active if self.profile.joint_answer_by is JointAnswerBy.CURATOR else active[:-1]
        return tuple(
            a.department_id for a in needed if a.state is not AssignmentState.PART_SUBMITTED
        )

    async def _joint_writers(self, uow: UnitOfWork, incident: Incident) -> set[int]:
        if self.profile.joint_answer_by is JointAnswerBy.CURATOR:
            return {incident.curator_id} if incident.curator_id is not None else set()
        last = _active(incident)[-1]
        if last.executor_id is not None:
            return {last.executor_id}
        return {
            m.id
            for m in await uow.staff.in_department(last.department_id)
            if m.id is not None and m.active and m.roles & DRAFTERS
        }

    async def _require_writer(
        self, uow: UnitOfWork, incident: Incident, member: StaffMember
    ) -> None:
        active = _active(incident)
        if not active:
            raise NotYours(f"incident {incident.id} has no department")
        if len(active) > 1:
            missing = self._missing_parts(active)
            if missing:
                raise PartsMissing(missing)
            if self.profile.joint_answer_by is JointAnswerBy.CURATOR:
                if not member.roles & CURATORS:
                    raise NotYours(f"the curator writes the joint answer of {incident.id}")
                return
        writer = active[-1]
        if member.id is not None and member.id == writer.executor_id:
            return
        if Role.DEPARTMENT_LEAD in member.roles and member.department_id == writer.department_id:
            return
        raise NotYours(f"incident {incident.id} is not {member.id}'s to answer")

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
            member = await _member(
                uow, telegram_id, frozenset({Role.CURATOR}) if external else APPROVERS
            )
            incident = await load_incident(uow, incident_id)
            _fresh(incident, version, Action.APPROVE)
            draft = incident.drafts[-1]
            assert draft.id is not None
            steps = self._steps(incident)
            step = sum(
                1
                for a in incident.approvals
                if a.draft_id == draft.id and a.decision is Decision.APPROVED
            )
            role = steps[step]
            department = await self._department(uow, incident, draft)
            if external != (role is Role.EXTERNAL_CURATOR):
                raise NotYourStep(role)
            if not external:
                _require_step(member, role, department)
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
            following = steps[step + 1] if action is Action.APPROVE_STEP else steps[0]
            incident, plan = await self._transition(
                uow,
                incident,
                action,
                actor_of(member),
                now,
                version=version,
                payload=payload,
                mutate=lambda i: i.approvals.append(decision),
                approver_role=following,
            )
            involved: set[int] = {draft.author_id}
            if action is Action.APPROVE_STEP:
                self._fit_approval(plan, incident, following, department)
                involved |= await self._approvers(uow, incident, following, department, now)
            else:
                _hold(plan, draft.author_id, Role.EXECUTOR)
            if action is Action.REQUEST_REVISION:
                await self._notice(
                    uow,
                    NoticeKind.REVISION,
                    incident.id,
                    draft.author_id,
                    now,
                    {"reason": reason, "role": role.value, "external": external},
                )
            await self._settle(uow, incident, plan, now, involved)
        return incident

    def _steps(self, incident: Incident) -> tuple[Role, ...]:
        """The profile's approval chain. A joint answer written by the curator skips the
        department's own steps: each department agreed its part itself (Barnaul 5)."""
        chain = self.profile.approval_chain
        by_curator = (
            len(_active(incident)) > 1 and self.profile.joint_answer_by is JointAnswerBy.CURATOR
        )
        if by_curator:
            chain = tuple(r for r in chain if r not in _DEPARTMENT_STEPS) or chain
        return chain

    def _fit_approval(
        self, plan: Plan, incident: Incident, role: Role, department: Department | None
    ) -> None:
        """An approval timer runs only during the step of its holder (Barnaul 6: the
        controller's 30 minutes start when the supervising deputy has agreed), never during
        an external curator's step, and is held by the step's person where one is named."""
        flow = self.profile.flow(incident.flow)
        kept: list[Timer] = []
        for timer in plan.start:
            spec = flow.timers.get(timer.name)
            during = _APPROVAL_HOLDERS.get(spec.holder) if spec is not None else None
            if during is None:
                kept.append(timer)
            elif role in during:
                holder = _named_approver(incident, role, department)
                kept.append(replace(timer, holder_id=holder or timer.holder_id, holder_role=role))
        plan.start = kept

    async def _department(
        self, uow: UnitOfWork, incident: Incident, draft: Draft
    ) -> Department | None:
        """The writer's department: whose lead and supervising deputy approve."""
        active = _active(incident)
        mine = [a for a in active if a.executor_id == draft.author_id]
        department_id = mine[0].department_id if mine else None
        if department_id is None:
            author = await uow.staff.get(draft.author_id)
            department_id = author.department_id if author is not None else None
        if department_id is None and active:
            department_id = active[-1].department_id
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
        return set(acting_for(people, self._today(now), staff))

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
        Gulkevichi 3.3). A clarification request stops the answer clock until the author
        replies (Gulkevichi 3.1.2). Comments are answered in public, direct messages in
        private (Gulkevichi 3.5); answers of general interest go to the official pages too
        (3.6)."""
        link = (link or "").strip() or None
        if link is None and not screenshot_file_id:
            raise ValueError("a publication needs a link or a screenshot")
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await _member(uow, publisher_telegram_id, WRITERS)
            incident = await load_incident(uow, incident_id)
            _fresh(incident, version, Action.PUBLISH_FINAL)
            draft = incident.drafts[-1]
            assert draft.id is not None and member.id is not None
            self._require_publisher(member, draft)
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
            plan = await self._replan(uow, incident, entries[-1].action, now)
            _hold(plan, draft.author_id, Role.EXECUTOR)
            await self._settle(uow, incident, plan, now, {draft.author_id})
        return incident

    async def cannot_publish(
        self, publisher_telegram_id: int, incident_id: int, version: int, reason: str
    ) -> Incident:
        """The answer cannot be published where the post was: recorded, and the curators are
        told to inform the external curator at once (Barnaul 8). The answer stays approved."""
        reason = reason.strip()
        if not reason:
            raise ValueError("say why the answer cannot be published")
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await _member(uow, publisher_telegram_id, WRITERS)
            incident = await load_incident(uow, incident_id)
            _fresh(incident, version, Action.PUBLICATION_FAILED)
            draft = incident.drafts[-1]
            self._require_publisher(member, draft)
            seen = incident.version
            entry = incident.apply(
                Action.PUBLICATION_FAILED,
                actor_of(member),
                now,
                expected_version=version,
                payload={"draft_id": draft.id, "reason": reason},
            )
            incident = await self._store(uow, incident, seen, [entry])
            external = self.profile.flow(incident.flow).external_curator
            curators = {
                m.id
                for m in await uow.staff.all()
                if m.id is not None and m.active and Role.CURATOR in m.roles
            }
            for curator in sorted(curators):
                await self._notice(
                    uow,
                    NoticeKind.PUBLICATION_FAILED,
                    incident.id,
                    curator,
                    now,
                    {"reason": reason, "external_curator": external},
                )
            await self._settle(uow, incident, Plan(), now, {draft.author_id})
        return incident

    def _require_publisher(self, member: StaffMember, draft: Draft) -> None:
        """The profile's publisher; where executors publish, the one who wrote the answer
        (Lipetsk 12)."""
        role = self.profile.publisher
        if role in DRAFTERS:
            if member.id != draft.author_id:
                if not member.roles & DRAFTERS:
                    raise AccessDenied(DRAFTERS)
                raise NotYours(f"{draft.author_id} wrote the answer and publishes it")
            return
        allowed = CURATORS if role is Role.CURATOR else _STEP_ROLES.get(role, frozenset({role}))
        if not member.roles & allowed:
            raise AccessDenied(allowed)

    # ---- clarification -------------------------------------------------------------------

    async def author_replied(
        self, curator_telegram_id: int, incident_id: int, version: int, text: str
    ) -> Incident:
        """The curator records the author's reply to the clarification request: the answer
        clock runs again, its due moment moved by the time it stood (Gulkevichi 3.1.2), and
        the writer gets the reply."""
        text = text.strip()
        if not text:
            raise ValueError("record what the author replied")
        now = self.clock.now()
        async with self.uow_factory() as uow:
            member = await _member(uow, curator_telegram_id, CURATORS)
            incident, plan = await self._transition(
                uow,
                await load_incident(uow, incident_id),
                Action.AUTHOR_REPLIED,
                actor_of(member),
                now,
                version=version,
                payload={"reply_chars": len(text)},
            )
            writer = incident.drafts[-1].author_id if incident.drafts else None
            await self._notice(
                uow, NoticeKind.AUTHOR_REPLIED, incident.id, writer, now, {"text": text}
            )
            await self._settle(uow, incident, plan, now, {writer} if writer else set())
        return incident

    async def author_silent(self, incident_id: int, version: int) -> Incident:
        """The author did not reply within the configured period: the system closes the
        incident with the outcome "author silent" (Gulkevichi 3.1.2)."""
        return await self._finish(
            None,
            incident_id,
            version,
            Action.AUTHOR_SILENT,
            {"outcome": Outcome.AUTHOR_SILENT.value},
            lambda i: setattr(i, "outcome", Outcome.AUTHOR_SILENT),
        )

    async def close_silent_clarifications(self, now: datetime | None = None) -> list[int]:
        """For the scheduler: close every clarification request published at least
        `clarification_silence` before `now` with no reply. Each closes in its own unit of
        work; one that changed meanwhile is left for the next run."""
        now = now or self.clock.now()
        async with self.uow_factory() as uow:
            waiting = [
                i
                for i in await uow.incidents.list_open(self.settings.sweep_limit)
                if i.status is Status.CLARIFICATION
            ]
        closed: list[int] = []
        for incident in waiting:
            asked = next(
                (
                    e.at
                    for e in reversed(incident.history)
                    if e.action is Action.PUBLISH_CLARIFICATION
                ),
                None,
            )
            if incident.id is None or asked is None:
                continue
            if now - asked < self.settings.clarification_silence:
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
            {"reaction": reaction.value},
            lambda i: setattr(i, "reaction", reaction),
        )

    async def _finish(
        self,
        curator_telegram_id: int | None,
        incident_id: int,
        version: int,
        action: Action,
        payload: dict[str, Any],
        mutate: Callable[[Incident], None],
    ) -> Incident:
        """An action of a curator (None: of the system) that changes nothing but the incident
        itself: its timers and everyone's cards follow."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            actor = Actor.system()
            if curator_telegram_id is not None:
                actor = actor_of(await _member(uow, curator_telegram_id, CURATORS))
            incident, plan = await self._transition(
                uow,
                await load_incident(uow, incident_id),
                action,
                actor,
                now,
                version=version,
                payload=payload,
                mutate=mutate,
            )
            await self._settle(uow, incident, plan, now)
        return incident


def _fresh(incident: Incident, version: int, action: Action) -> None:
    """The checks `Incident.apply` makes, made before the use case looks further."""
    if version != incident.version:
        last = incident.history[-1].actor_id if incident.history else None
        raise StaleVersion(version, incident.version, last)
    if incident.status not in TRANSITIONS[action].sources:
        raise TransitionNotAllowed(action, incident.status)


def _own_assignment(
    incident: Incident, active: Sequence[Assignment], member: StaffMember
) -> Assignment:
    mine = [a for a in active if a.executor_id == member.id] or [
        a
        for a in active
        if member.department_id is not None
        and a.department_id == member.department_id
        and (a.executor_id is None or Role.DEPARTMENT_LEAD in member.roles)
    ]
    if not mine:
        raise NotYours(f"incident {incident.id} is not assigned to {member.id}")
    return mine[0]


def _open_draft(incident: Incident) -> Draft | None:
    last = incident.drafts[-1] if incident.drafts else None
    return last if last is not None and last.submitted_at is None else None


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


def _require_step(member: StaffMember, role: Role, department: Department | None) -> None:
    if not member.roles & _STEP_ROLES.get(role, frozenset({role})):
        raise NotYourStep(role)
    if department is None:
        return
    if (
        role is Role.DEPARTMENT_LEAD
        and member.id != department.lead_id
        and member.department_id != department.id
    ):
        raise NotYours(f"{member.id} leads another department")
    if role is Role.SUPERVISING_DEPUTY and department.supervising_deputy_id not in (
        None,
        member.id,
    ):
        raise NotYours(f"{member.id} does not supervise department {department.id}")


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
        replace(t, holder_id=writer_id) if t.holder_role is role else t for t in plan.start
    ]


def approval_steps(profile: Profile, incident: Incident) -> tuple[Role, ...]:
    """The approval chain for this incident (see `Answering._steps`)."""
    chain = profile.approval_chain
    if len(_active(incident)) > 1 and profile.joint_answer_by is JointAnswerBy.CURATOR:
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


def open_draft(incident: Incident) -> Draft | None:
    return _open_draft(incident)
