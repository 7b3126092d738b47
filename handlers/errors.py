"""Domain errors become short Russian answers; nothing else leaks to people."""

from __future__ import annotations

from collections.abc import Mapping

from domain.errors import (
    AccessDenied,
    AlreadyDone,
    DomainError,
    DraftKindNotAllowed,
    HeadDecidesFirst,
    NotHeadsChoice,
    NotInAct,
    NotStaff,
    NotYours,
    NotYourStep,
    PartsMissing,
    RoleNotAllowed,
    StaleVersion,
    TransitionNotAllowed,
)
from domain.staffing import BadStaffChange
from domain.usecases import NotFound
from handlers import texts


def explain(
    error: Exception,
    names: dict[int, str] | None = None,
    roles: Mapping[str, str] | None = None,
) -> str:
    """The alert for a refused step; `names` of people (who got there first), `roles` as
    the profile calls its own."""
    names = names or {}
    roles = {**texts.ROLES, **(roles or {})}
    if isinstance(error, StaleVersion):
        return texts.STALE
    if isinstance(error, AlreadyDone):
        who = names.get(error.by) if error.by is not None else None
        return texts.ALREADY_DONE.format(who=who) if who else texts.ALREADY_DONE_UNKNOWN
    if isinstance(error, NotStaff):
        return texts.NOT_ON_STAFF
    if isinstance(error, NotYours):
        return texts.NOT_YOURS
    if isinstance(error, NotYourStep):
        return texts.NOT_YOUR_STEP.format(role=roles.get(error.role, error.role))
    if isinstance(error, PartsMissing):
        return texts.PARTS_MISSING
    if isinstance(error, DraftKindNotAllowed):
        return texts.KIND_NOT_ALLOWED
    if isinstance(error, HeadDecidesFirst):
        return texts.HEAD_DECIDES_FIRST.format(clause=error.clause or "регламент")
    if isinstance(error, NotHeadsChoice):
        return texts.HEADS_CHOICE
    if isinstance(error, NotInAct):
        return texts.NOT_IN_ACT
    if isinstance(error, AccessDenied | RoleNotAllowed):
        return texts.NOT_ALLOWED
    if isinstance(error, TransitionNotAllowed):
        return texts.STALE
    if isinstance(error, NotFound):
        return texts.NOT_FOUND
    if isinstance(error, BadStaffChange | ValueError | DomainError):
        return texts.ERROR
    return texts.ERROR
