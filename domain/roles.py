"""Who may act. The acts name the same jobs differently; see shared/regulations/README.md."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    CURATOR = "curator"
    HEAD = "head"
    DEPUTY_HEAD = "deputy_head"
    DEPARTMENT_LEAD = "department_lead"
    SUPERVISING_DEPUTY = "supervising_deputy"
    EXECUTOR = "executor"
    EXTERNAL_CURATOR = "external_curator"
    """Not a bot user: the upper-level curator whose decisions the curator records."""
    SYSTEM = "system"
    """The bot itself: the scheduler closing a silent clarification, for example."""


HEADS = frozenset({Role.HEAD, Role.DEPUTY_HEAD})
APPROVERS = frozenset(
    {
        Role.SUPERVISING_DEPUTY,
        Role.DEPARTMENT_LEAD,
        Role.CURATOR,
        Role.HEAD,
        Role.DEPUTY_HEAD,
        Role.EXTERNAL_CURATOR,
    }
)
