"""Who may act. The acts name the same jobs differently; see shared/regulations/README.md.

The roles below are built in. A profile may declare more (`[roles.NAME]`, Barnaul 12's chief of
staff, for example): `Role("chief_of_staff")` then is a role of its own, compared, stored and
shown like the built-in ones. Which words are roles at all is the profile's business: it refuses
a role it does not declare, so a misspelt role in a configuration is an error, not a new role.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import cast

_DECLARED = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


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

    @classmethod
    def _missing_(cls, value: object) -> Role | None:
        """A role a profile declares: a member made on first use and kept, so two lookups of
        the same name are the same object."""
        if not isinstance(value, str) or not _DECLARED.match(value):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return cast(Role, cls._value2member_map_.setdefault(value, member))


BUILT_IN = frozenset(Role)
"""The roles the code knows; any other one is declared by a profile."""
HEADS = frozenset({Role.HEAD, Role.DEPUTY_HEAD})
CURATORS = frozenset({Role.CURATOR, Role.ADMIN})
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
