"""What people produce on an incident: assignments, drafts, approvals, publications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from domain.incident import DraftKind
from domain.roles import Role


class AssignmentState(StrEnum):
    QUEUED = "queued"
    """A later part of a sequential joint answer: the department gets the message when the
    one before it has sent its part (Lipetsk 14)."""
    PENDING = "pending"
    """The department has the message; nobody took it yet."""
    ACCEPTED = "accepted"
    PART_SUBMITTED = "part_submitted"
    RETURNED = "returned"
    """"Not our competence"."""


@dataclass(frozen=True, slots=True)
class Assignment:
    """One department's share of an incident; several, ordered, make a joint answer (Lipetsk 14)."""

    id: int | None
    department_id: int
    executor_id: int | None
    order: int
    assigned_at: datetime
    state: AssignmentState = AssignmentState.PENDING
    part_text: str | None = None
    return_reason: str | None = None


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"
    DOCUMENT = "document"


@dataclass(frozen=True, slots=True)
class Attachment:
    kind: AttachmentKind
    file_id: str
    caption: str | None = None


@dataclass(frozen=True, slots=True)
class Draft:
    id: int | None
    kind: DraftKind
    text: str
    author_id: int
    created_at: datetime
    attachments: tuple[Attachment, ...] = ()
    submitted_at: datetime | None = None
    revision: int = 0
    """0 for the first submission, then one more per return for revision."""
    promised_final: date | None = None
    """The date an intermediate answer promises the final one by."""
    overridden_warnings: tuple[str, ...] = ()


class Decision(StrEnum):
    APPROVED = "approved"
    REVISION = "revision"


@dataclass(frozen=True, slots=True)
class Approval:
    id: int | None
    draft_id: int
    step: int
    """Position in the profile's approval chain."""
    role: Role
    approver_id: int | None
    """None when the curator records an external curator's decision."""
    decision: Decision
    at: datetime
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Publication:
    id: int | None
    draft_id: int
    publisher_id: int
    at: datetime
    link: str | None = None
    screenshot_file_id: str | None = None
    public: bool = True
    """A comment is answered in public, a direct message in private (Gulkevichi 3.5)."""
    general_interest: bool = False
    """Also for the official page and site (Gulkevichi 3.6)."""
