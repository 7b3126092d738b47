"""Domain errors. They carry facts, never user-facing text: handlers turn them into Russian."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule the domain refuses."""


class TransitionNotAllowed(DomainError):
    def __init__(self, action: str, status: str) -> None:
        super().__init__(f"action {action!r} is not allowed in status {status!r}")
        self.action = action
        self.status = status


class RoleNotAllowed(DomainError):
    def __init__(self, action: str, roles: frozenset[str]) -> None:
        super().__init__(f"action {action!r} is not allowed for roles {sorted(roles)!r}")
        self.action = action
        self.roles = roles


class StaleVersion(DomainError):
    """The incident changed since the button was drawn; the other action won."""

    def __init__(self, expected: int, actual: int, last_actor: int | None = None) -> None:
        super().__init__(f"expected version {expected}, incident is at {actual}")
        self.expected = expected
        self.actual = actual
        self.last_actor = last_actor


class ConfigError(DomainError):
    """A profile or a setting is invalid; `key` is the dotted path of the bad key."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


class NotStaff(DomainError):
    """A stranger, or someone removed from the staff."""


class NotYours(DomainError):
    """The person has the role but this incident is not theirs (another department's card)."""


class AlreadyDone(DomainError):
    """The same step was already taken (a double tap, or a colleague was faster)."""

    def __init__(self, by: int | None) -> None:
        super().__init__(f"already done by {by}")
        self.by = by


class NotYourStep(DomainError):
    """The draft waits for another step of the approval chain: `role` is the one it waits for.

    An external curator's step is recorded by the curator."""

    def __init__(self, role: str) -> None:
        super().__init__(f"the draft waits for the {role} step")
        self.role = role


class PartsMissing(DomainError):
    """A joint answer is written only when every department's part is in (Lipetsk 14)."""

    def __init__(self, department_ids: tuple[int, ...]) -> None:
        super().__init__(f"parts missing from departments {list(department_ids)}")
        self.department_ids = department_ids


class DraftKindNotAllowed(DomainError):
    """A kind of draft the act does not have, or anything but a final answer after an
    intermediate one."""

    def __init__(self, kind: str, status: str) -> None:
        super().__init__(f"a {kind} draft is not allowed in status {status}")
        self.kind = kind
        self.status = status


class NotInAct(DomainError):
    """The profile's act has no such step (a 59-FZ conversion in Lipetsk, a hand-over to an
    external curator where there is none)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"the act has no step {what!r}")
        self.what = what


class HeadDecidesFirst(DomainError):
    """The act makes the head's decision a step before routing (Bor 6, Gulkevichi 3.1.1)."""

    def __init__(self, clause: str) -> None:
        super().__init__(f"the head decides first ({clause})")
        self.clause = clause


class AccessDenied(DomainError):
    """The person has none of the roles the step needs."""

    def __init__(self, needed: frozenset[str]) -> None:
        super().__init__(f"needs one of the roles {sorted(needed)}")
        self.needed = needed


class NotHeadsChoice(DomainError):
    """The head named the departments (Gulkevichi 3.1.1): the curator routes to those."""

    def __init__(self, department_ids: tuple[int, ...]) -> None:
        super().__init__(f"the head chose departments {list(department_ids)}")
        self.department_ids = department_ids
