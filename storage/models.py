"""The rows. Repositories turn them into domain objects; nothing outside `storage/` sees them.

The author's personal data lives only in `incident_sources` (Gulkevichi 1.5); `history` is
append-only (a trigger refuses UPDATE and DELETE, see the initial migration).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime, json_type

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CODE = 32
"""Length of enum codes (statuses, roles, kinds)."""
NAME = 255


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: json_type(),
        list[Any]: json_type(),
    }


class OrganisationRow(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME))
    profile: Mapped[str] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64))


class DepartmentRow(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME), unique=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", use_alter=True))
    supervising_deputy_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", use_alter=True)
    )


class StaffVersionRow(Base):
    """One row, moved on by every change of the staff (their rows, roles, absences), so each
    process knows when its copy of the staff directory is old (`StaffDirectory`)."""

    __tablename__ = "staff_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


class StaffRow(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    full_name: Mapped[str] = mapped_column(String(NAME))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    substitute_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    blocked_bot: Mapped[bool] = mapped_column(Boolean, server_default=false())


class StaffRoleRow(Base):
    __tablename__ = "staff_roles"

    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(CODE), primary_key=True)


class AbsenceRow(Base):
    __tablename__ = "absences"
    __table_args__ = (CheckConstraint("last_day >= first_day", name="days_ordered"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(CODE))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)


class IncidentRow(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint("version >= 0", name="version_not_negative"),
        Index("ix_incidents_status_detected_at", "status", "detected_at"),
        Index("ix_incidents_next_due", "next_due", "id"),
        # What /tasks asks the database for (`open_involving`): one index per tie.
        Index("ix_incidents_curator_id_status", "curator_id", "status"),
        Index("ix_incidents_status_turn", "status", "turn"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(CODE), unique=True)
    profile: Mapped[str] = mapped_column(String(64))
    flow: Mapped[str] = mapped_column(String(64))
    detected_at: Mapped[datetime] = mapped_column(index=True)
    curator_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[str] = mapped_column(String(CODE))
    version: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    topic_group: Mapped[str | None] = mapped_column(String(NAME))
    topic: Mapped[str | None] = mapped_column(String(NAME))
    location: Mapped[str | None] = mapped_column(String(NAME))
    importance: Mapped[str] = mapped_column(String(CODE))
    outcome: Mapped[str | None] = mapped_column(String(CODE))
    reaction: Mapped[str | None] = mapped_column(String(CODE))
    extra_clauses: Mapped[dict[str, Any]]
    next_due: Mapped[datetime | None]
    """The nearest due moment of its open, running timers (None: none): written with every
    change of its timers (`SqlTimerRepository`), so /board pages by an index."""
    turn: Mapped[str | None] = mapped_column(String(CODE))
    """Whose approval step is current (`Incident.turn`): a role, "" when no step waits, None
    when not worked out (kept before migration 0010): /tasks takes it as anyone's step."""


class IncidentSourceRow(Base):
    """Where the post was, and the only place holding the author's data."""

    __tablename__ = "incident_sources"
    __table_args__ = (
        Index("ix_incident_sources_url", "url", postgresql_using="hash"),
        Index("ix_incident_sources_author", "author", postgresql_using="hash"),
    )

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    network: Mapped[str] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    media: Mapped[list[Any]]
    external_number: Mapped[str | None] = mapped_column(String(64))
    external_deadline: Mapped[datetime | None]
    erased: Mapped[bool] = mapped_column(Boolean, server_default=false())
    """The author's data was erased (Gulkevichi 1.5)."""


class AssignmentRow(Base):
    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    """The order of the part in a joint answer."""
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    executor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    assigned_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(CODE))
    part_text: Mapped[str | None] = mapped_column(Text)
    return_reason: Mapped[str | None] = mapped_column(Text)


class DraftRow(Base):
    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(CODE))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    created_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    revision: Mapped[int] = mapped_column(Integer)
    promised_final: Mapped[date | None] = mapped_column(Date)
    overridden_warnings: Mapped[list[Any]]


class AttachmentRow(Base):
    __tablename__ = "draft_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(CODE))
    file_id: Mapped[str] = mapped_column(Text)
    caption: Mapped[str | None] = mapped_column(Text)


class ApprovalRow(Base):
    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"))
    step: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(CODE))
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decision: Mapped[str] = mapped_column(String(CODE))
    at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(Text)


class PublicationRow(Base):
    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"))
    publisher_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime]
    link: Mapped[str | None] = mapped_column(Text)
    screenshot_file_id: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean)
    general_interest: Mapped[bool] = mapped_column(Boolean)


class IncidentLinkRow(Base):
    """An incident and an earlier one on the same question (a repeated message)."""

    __tablename__ = "incident_links"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    linked_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class HistoryRow(Base):
    """Append-only: inserted, never updated or deleted."""

    __tablename__ = "history"
    __table_args__ = (UniqueConstraint("incident_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    actor_roles: Mapped[list[Any]]
    action: Mapped[str] = mapped_column(String(CODE))
    from_status: Mapped[str] = mapped_column(String(CODE))
    to_status: Mapped[str] = mapped_column(String(CODE))
    clause: Mapped[str | None] = mapped_column(String(NAME))
    payload: Mapped[dict[str, Any]]


class TimerRow(Base):
    __tablename__ = "timers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"))
    name: Mapped[str] = mapped_column(String(64))
    clause: Mapped[str] = mapped_column(String(NAME))
    clock: Mapped[str] = mapped_column(String(CODE))
    started_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    holder_role: Mapped[str] = mapped_column(String(CODE))
    stopped_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]
    paused: Mapped[bool] = mapped_column(Boolean, server_default=false())
    """Whether the last pause is still running; kept in step with `timer_pauses`."""
    remind_at: Mapped[datetime | None]
    """When the sweep next looks at the timer (a reminder, or the breach); None when done."""
    window: Mapped[bool] = mapped_column(Boolean, server_default=false())
    """A window, not a deadline: never a breach by itself, only its action done late."""
    used: Mapped[bool] = mapped_column(Boolean, server_default=false())
    """A window whose action was done within it: a repetition later is not late."""


# Partial indexes: SQLite uses one only when the query repeats its WHERE terms as written, so
# the queries use these very expressions. Autogenerate renders the SQLite form for both
# dialects: write `paused = false` for PostgreSQL by hand in a migration.
Index(
    "ix_timers_due_open",
    TimerRow.due_at,
    TimerRow.id,
    sqlite_where=(TimerRow.stopped_at.is_(None)) & (TimerRow.paused == false()),
    postgresql_where=(TimerRow.stopped_at.is_(None)) & (TimerRow.paused == false()),
)
Index(
    "ix_timers_holder_open",
    TimerRow.holder_id,
    sqlite_where=TimerRow.stopped_at.is_(None),
    postgresql_where=TimerRow.stopped_at.is_(None),
)
Index(
    "ix_timers_remind_open",
    TimerRow.remind_at,
    TimerRow.id,
    sqlite_where=(TimerRow.stopped_at.is_(None)) & (TimerRow.paused == false()),
    postgresql_where=(TimerRow.stopped_at.is_(None)) & (TimerRow.paused == false()),
)


class TimerPauseRow(Base):
    __tablename__ = "timer_pauses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    timer_id: Mapped[int] = mapped_column(ForeignKey("timers.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class ReminderRow(Base):
    """A reminder that went out; the unique key makes it go out once."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("incident_id", "timer_name", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    timer_name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(CODE))
    sent_at: Mapped[datetime]


CLAIMANT = 64
"""Length of a sender's claim token."""


class OutboxRow(Base):
    """A notice to deliver, written in the transaction of the change that caused it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(CODE))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    payload: Mapped[dict[str, Any]]
    dedupe_key: Mapped[str | None] = mapped_column(String(NAME), unique=True)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    not_before: Mapped[datetime | None]
    failed: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    """Why the last attempt failed (for the log; not part of the domain's message)."""
    claimed_until: Mapped[datetime | None]
    """A sender took the row and is sending it until then; after that another may take it."""
    claimed_by: Mapped[str | None] = mapped_column(String(CLAIMANT))
    """Which sender took it (its token), so it releases only its own claims."""
    progress: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    """Parts of a notice in several messages already delivered; a retry goes on after them."""


Index(
    "ix_outbox_pending",
    OutboxRow.id,
    sqlite_where=(OutboxRow.sent_at.is_(None)) & (OutboxRow.failed.is_(None)),
    postgresql_where=(OutboxRow.sent_at.is_(None)) & (OutboxRow.failed.is_(None)),
)
Index(
    "ix_outbox_recipient_pending",
    OutboxRow.recipient_id,
    OutboxRow.id,
    sqlite_where=(OutboxRow.sent_at.is_(None)) & (OutboxRow.failed.is_(None)),
    postgresql_where=(OutboxRow.sent_at.is_(None)) & (OutboxRow.failed.is_(None)),
)
"""Per-chat order: "is an older notice to this person still unsent" is one probe."""
Index(
    "ix_outbox_chat_pending",
    OutboxRow.chat_id,
    OutboxRow.id,
    sqlite_where=(OutboxRow.sent_at.is_(None)) & (OutboxRow.failed.is_(None)),
    postgresql_where=(OutboxRow.sent_at.is_(None)) & (OutboxRow.failed.is_(None)),
)
"""The same for notices addressed to a chat (a configured group)."""


class InviteRow(Base):
    """A one-time link that makes whoever opens it a staff member."""

    __tablename__ = "invites"

    token: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    role: Mapped[str] = mapped_column(String(CODE))
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    used_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    used_at: Mapped[datetime | None]


class CardRow(Base):
    """Where a person's card of an incident is, so it is edited in place."""

    __tablename__ = "cards"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)


# ---- reports (domain/reports.py, storage/reports.py) -----------------------------------------


class ReportRunRow(Base):
    """Something posted once per (kind, period start): a periodic report or a surge alert.
    Inserted-or-skipped in the transaction that queues its notices."""

    __tablename__ = "report_runs"
    __table_args__ = (UniqueConstraint("kind", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(CODE))
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    created_at: Mapped[datetime]
    summary: Mapped[dict[str, Any] | None]
    """The figures the next period's dynamics compare with, as reported."""


class ContentPostRow(Base):
    """An official post made in the organisation's accounts (Myasnikovsky 6)."""

    __tablename__ = "content_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    posted_at: Mapped[datetime] = mapped_column(index=True)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str | None] = mapped_column(Text)


# ---- the inbox (bot/inbox.py, storage/inbox.py) ---------------------------------------------


class InboxRow(Base):
    """A Telegram update as received, recorded before it is acknowledged. `state`: `new` until
    handled; `done` when its effect committed (in that transaction) or it needed none; `bad`
    when it could not be parsed; `failed` when its handler raised. Kept a week, so a webhook
    retry or a polling redelivery after a crash finds it handled."""

    __tablename__ = "inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(index=True)
    raw: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(CODE), server_default=text("'new'"))
    note: Mapped[str | None] = mapped_column(Text)


Index(
    "ix_inbox_new",
    InboxRow.update_id,
    sqlite_where=InboxRow.state == text("'new'"),
    postgresql_where=InboxRow.state == text("'new'"),
)

# Deadline breaches of a period: timers by due moment, covering what tells a breach.
Index("ix_timers_due_at", TimerRow.due_at, TimerRow.stopped_at, TimerRow.breached_at)
# "Was the answer late": one probe per incident into the answer timers only (the report queries
# repeat this WHERE term as written, so SQLite uses the partial index).
Index(
    "ix_timers_answer",
    TimerRow.incident_id,
    TimerRow.due_at,
    TimerRow.stopped_at,
    TimerRow.breached_at,
    sqlite_where=TimerRow.name == text("'answer'"),
    postgresql_where=TimerRow.name == text("'answer'"),
)
