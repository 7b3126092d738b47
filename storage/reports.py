"""Aggregates for the periodic reports, computed in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.incident import Status
from storage.models import AssignmentRow, IncidentRow

ANSWERED = (Status.PUBLISHED, Status.CLOSED, Status.AWAITING_FINAL)


@dataclass(frozen=True, slots=True)
class TopicDepartmentCount:
    topic_group: str | None
    topic: str | None
    department_id: int
    incidents: int
    answered: int
    """Published (intermediate or final) or closed."""


async def by_topic_and_department(
    session: AsyncSession, start: datetime, end: datetime
) -> list[TopicDepartmentCount]:
    """Incidents detected in [start, end) per topic and assigned department (an incident with a
    joint answer counts once for each of its departments)."""
    answered = case((IncidentRow.status.in_([s.value for s in ANSWERED]), IncidentRow.id))
    query = (
        select(
            IncidentRow.topic_group,
            IncidentRow.topic,
            AssignmentRow.department_id,
            func.count(distinct(IncidentRow.id)),
            func.count(distinct(answered)),
        )
        .join(AssignmentRow, AssignmentRow.incident_id == IncidentRow.id)
        .where(IncidentRow.detected_at >= start, IncidentRow.detected_at < end)
        .group_by(IncidentRow.topic_group, IncidentRow.topic, AssignmentRow.department_id)
        .order_by(IncidentRow.topic_group, IncidentRow.topic, AssignmentRow.department_id)
    )
    rows = await session.execute(query)
    return [TopicDepartmentCount(g, t, d, n, a) for g, t, d, n, a in rows]
