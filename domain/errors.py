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
