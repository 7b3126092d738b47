"""Domain errors become short Russian answers; nothing else leaks to people."""

from __future__ import annotations

from domain.errors import DomainError, RoleNotAllowed, StaleVersion, TransitionNotAllowed
from domain.routing import AlreadyDone, NotStaff, NotYours
from domain.staffing import AccessDenied, BadStaffChange
from domain.usecases import NotFound
from handlers import texts


def explain(error: Exception, names: dict[int, str] | None = None) -> str:
    names = names or {}
    if isinstance(error, StaleVersion):
        return texts.STALE
    if isinstance(error, AlreadyDone):
        who = names.get(error.by) if error.by is not None else None
        return texts.ALREADY_DONE.format(who=who) if who else texts.ALREADY_DONE_UNKNOWN
    if isinstance(error, NotStaff):
        return texts.NOT_ON_STAFF
    if isinstance(error, NotYours):
        return texts.NOT_YOURS
    if isinstance(error, AccessDenied | RoleNotAllowed):
        return texts.NOT_ALLOWED
    if isinstance(error, TransitionNotAllowed):
        return texts.STALE
    if isinstance(error, NotFound):
        return texts.NOT_FOUND
    if isinstance(error, BadStaffChange | ValueError | DomainError):
        return texts.ERROR
    return texts.ERROR
