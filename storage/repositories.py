"""Repositories: a session in, domain objects out. They never commit; the unit of work does."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from types import SimpleNamespace
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import (
    JSON,
    BindParameter,
    Boolean,
    ColumnElement,
    CompoundSelect,
    Date,
    DateTime,
    Select,
    String,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    false,
    func,
    insert,
    literal_column,
    or_,
    select,
    true,
    union,
    union_all,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain import receipts
from domain.durations import ClockKind
from domain.errors import StaleVersion
from domain.incident import (
    OPEN,
    Action,
    DraftKind,
    HistoryEntry,
    Importance,
    Incident,
    Outcome,
    Reaction,
    Source,
    Status,
    Tags,
)
from domain.people import Absence, AbsenceKind, Department, Invite, StaffMember
from domain.ports import CardRef, IncidentHead, Involvement
from domain.roles import Role
from domain.timers import Lane, NoticeKind, OutboxMessage, ReminderKey, Timer, TimerPause
from domain.usecases import NotFound
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
from storage.models import (
    AbsenceRow,
    ApprovalRow,
    AssignmentRow,
    AttachmentRow,
    CardRow,
    DepartmentRow,
    DraftRow,
    HistoryRow,
    IncidentLinkRow,
    IncidentRow,
    IncidentSourceRow,
    InviteRow,
    OrganisationRow,
    OutboxRow,
    PublicationRow,
    ReminderRow,
    StaffRoleRow,
    StaffRow,
    StaffVersionRow,
    TimerPauseRow,
    TimerRow,
)
from storage.types import UTCDateTime


def _rowcount(result: Result[Any]) -> int:
    return cast(CursorResult[Any], result).rowcount


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def incident_number(detected_at: datetime, incident_id: int) -> str:
    """The number shown on cards and in reports: the year of detection and the id."""
    return f"{detected_at.year}-{incident_id:06d}"


# --- incidents -------------------------------------------------------------------------------


def _incident_values(incident: Incident) -> dict[str, Any]:
    tags = incident.tags
    return {
        "number": incident.number,
        "profile": incident.profile,
        "flow": incident.flow,
        "detected_at": incident.detected_at,
        "curator_id": incident.curator_id,
        "status": incident.status.value,
        "topic_group": tags.topic_group,
        "topic": tags.topic,
        "location": tags.location,
        "importance": tags.importance.value,
        "outcome": incident.outcome.value if incident.outcome else None,
        "reaction": incident.reaction.value if incident.reaction else None,
        "extra_clauses": dict(incident.clauses),
        "turn": incident.turn,
    }


def _source_values(source: Source) -> dict[str, Any]:
    return {
        "network": source.network,
        "url": source.url,
        "author": source.author,
        "text": source.text,
        "media": list(source.media),
        "external_number": source.external_number,
        "external_deadline": source.external_deadline,
    }


def _assignment_values(incident_id: int, a: Assignment) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "position": a.order,
        "department_id": a.department_id,
        "executor_id": a.executor_id,
        "assigned_at": a.assigned_at,
        "state": a.state.value,
        "part_text": a.part_text,
        "return_reason": a.return_reason,
    }


def _draft_values(incident_id: int, d: Draft) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "kind": d.kind.value,
        "text": d.text,
        "author_id": d.author_id,
        "created_at": d.created_at,
        "submitted_at": d.submitted_at,
        "revision": d.revision,
        "promised_final": d.promised_final,
        "overridden_warnings": list(d.overridden_warnings),
    }


def _approval_values(incident_id: int, a: Approval) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "draft_id": a.draft_id,
        "step": a.step,
        "role": a.role.value,
        "approver_id": a.approver_id,
        "decision": a.decision.value,
        "at": a.at,
        "reason": a.reason,
    }


def _publication_values(incident_id: int, p: Publication) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "draft_id": p.draft_id,
        "publisher_id": p.publisher_id,
        "at": p.at,
        "link": p.link,
        "screenshot_file_id": p.screenshot_file_id,
        "public": p.public,
        "general_interest": p.general_interest,
    }


def history_values(incident_id: int, seq: int, e: HistoryEntry) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "seq": seq,
        "at": e.at,
        "actor_id": e.actor_id,
        "actor_roles": sorted(r.value for r in e.actor_roles),
        "action": e.action.value,
        "from_status": e.from_status.value,
        "to_status": e.to_status.value,
        "clause": e.clause,
        "payload": dict(e.payload),
    }


def _history(row: HistoryRow) -> HistoryEntry:
    return HistoryEntry(
        at=row.at,
        actor_id=row.actor_id,
        actor_roles=frozenset(Role(r) for r in row.actor_roles),
        action=Action(row.action),
        from_status=Status(row.from_status),
        to_status=Status(row.to_status),
        clause=row.clause,
        payload=dict(row.payload),
    )


def _source(row: IncidentSourceRow) -> Source:
    return Source(
        network=row.network,
        url=row.url,
        author=row.author,
        text=row.text,
        media=tuple(row.media),
        external_number=row.external_number,
        external_deadline=row.external_deadline,
    )


def _assignment(row: AssignmentRow) -> Assignment:
    return Assignment(
        id=row.id,
        department_id=row.department_id,
        executor_id=row.executor_id,
        order=row.position,
        assigned_at=row.assigned_at,
        state=AssignmentState(row.state),
        part_text=row.part_text,
        return_reason=row.return_reason,
    )


def _draft(row: DraftRow, attachments: Sequence[AttachmentRow]) -> Draft:
    return Draft(
        id=row.id,
        kind=DraftKind(row.kind),
        text=row.text,
        author_id=row.author_id,
        created_at=row.created_at,
        attachments=tuple(
            Attachment(kind=AttachmentKind(a.kind), file_id=a.file_id, caption=a.caption)
            for a in attachments
        ),
        submitted_at=row.submitted_at,
        revision=row.revision,
        promised_final=row.promised_final,
        overridden_warnings=tuple(row.overridden_warnings),
    )


def _approval(row: ApprovalRow) -> Approval:
    return Approval(
        id=row.id,
        draft_id=row.draft_id,
        step=row.step,
        role=Role(row.role),
        approver_id=row.approver_id,
        decision=Decision(row.decision),
        at=row.at,
        reason=row.reason,
    )


def _publication(row: PublicationRow) -> Publication:
    return Publication(
        id=row.id,
        draft_id=row.draft_id,
        publisher_id=row.publisher_id,
        at=row.at,
        link=row.link,
        screenshot_file_id=row.screenshot_file_id,
        public=row.public,
        general_interest=row.general_interest,
    )


class _HasId(Protocol):
    @property
    def id(self) -> int | None: ...


_Child = TypeVar("_Child", bound=_HasId)


@dataclass(frozen=True, slots=True)
class _Seen:
    """The children of an incident as this unit of work loaded or wrote them."""

    source: Source
    assignments: Mapping[int, Assignment]
    drafts: Mapping[int, Draft]
    approvals: Mapping[int, Approval]
    publications: Mapping[int, Publication]
    links: tuple[int, ...]
    last_seq: int
    """The `seq` of the incident's last history entry (the next one follows it)."""

    @classmethod
    def of(cls, incident: Incident, last_seq: int) -> _Seen:
        return cls(
            last_seq=last_seq,
            source=incident.source,
            assignments={a.id: a for a in incident.assignments if a.id is not None},
            drafts={d.id: d for d in incident.drafts if d.id is not None},
            approvals={a.id: a for a in incident.approvals if a.id is not None},
            publications={p.id: p for p in incident.publications if p.id is not None},
            links=incident.linked_ids,
        )


_QUOTING_NOTICES = (NoticeKind.AUTHOR_REPLIED,)
"""Notices whose payload quotes the author."""
_SEARCHED = (IncidentSourceRow.text, IncidentSourceRow.author, IncidentSourceRow.url)
_ERASED_SOURCE: dict[str, Any] = {
    "author": None,
    "url": None,
    "text": "",
    "media": [],
    "erased": True,
}


_LOAD_AT_ONCE = 1000
"""Incidents per statement of `_load`: 8,000 bound ids, within SQLite's and asyncpg's 32,767."""

_CHILDREN: dict[str, type[Any]] = {
    "a": AssignmentRow,
    "d": DraftRow,
    "p": ApprovalRow,
    "u": PublicationRow,
    "l": IncidentLinkRow,
    "h": HistoryRow,
}
"""An incident's child tables, by the kind their rows carry in `_load`'s one statement."""
_CHILD_ORDER: dict[str, Callable[[Any], Any]] = {
    "a": lambda r: (r.incident_id, r.id),
    "d": lambda r: (r.incident_id, r.id),
    "p": lambda r: (r.incident_id, r.id),
    "u": lambda r: (r.incident_id, r.id),
    "l": lambda r: (r.incident_id, r.position),
    "h": lambda r: (r.incident_id, r.seq),
}


def _json_row(row: type[Any], postgres: bool) -> ColumnElement[str]:
    """The row as one JSON object (text): its columns by name, JSON columns nested."""
    pairs: list[Any] = []
    for column in row.__table__.columns:
        value: Any = column
        if not postgres and isinstance(column.type, JSON):
            value = func.json(column)  # stored as text: nested, not quoted
        pairs += [literal_column(f"'{column.name}'"), value]
    built = func.json_build_object(*pairs) if postgres else func.json_object(*pairs)
    return sql_cast(built, Text)


@functools.cache
def _load_statement(postgres: bool) -> CompoundSelect[Any]:
    """`_load`'s one statement, built once per dialect with the ids as an expanding bound
    parameter: building it (eight parts of every column) and working out its cache key was a
    fifth of a press's CPU."""
    ids: BindParameter[int] = bindparam("ids", expanding=True)

    def part(kind: str, incident_id: Any, row: type[Any]) -> Select[Any]:
        return select(literal_column(f"'{kind}'"), incident_id, _json_row(row, postgres))

    def c(row: type[Any]) -> Any:  # the table's columns: a Core statement (no ORM around it)
        return row.__table__.c

    drafts = c(DraftRow)
    return union_all(
        part("i", c(IncidentRow).id, IncidentRow).where(c(IncidentRow).id.in_(ids)),
        part("s", c(IncidentSourceRow).incident_id, IncidentSourceRow).where(
            c(IncidentSourceRow).incident_id.in_(ids)
        ),
        *(
            part(kind, c(row).incident_id, row).where(c(row).incident_id.in_(ids))
            for kind, row in _CHILDREN.items()
        ),
        part("t", drafts.incident_id, AttachmentRow)
        .join(cast(Table, DraftRow.__table__), drafts.id == c(AttachmentRow).draft_id)
        .where(drafts.incident_id.in_(ids)),
    )


_DECODE: dict[type[Any], dict[str, Callable[[Any], Any]]] = {}


def _moment(value: str) -> datetime:
    """A moment as either engine writes it in JSON: SQLite's naive UTC text, PostgreSQL's ISO
    form with its offset."""
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _decoded(row: type[Any], body: str | Mapping[str, Any]) -> SimpleNamespace:
    """A row read back from `_json_row`, its values of the types the row's columns give."""
    decode = _DECODE.get(row)
    if decode is None:
        decode = {}
        for column in row.__table__.columns:
            kind = column.type
            if isinstance(kind, UTCDateTime | DateTime):
                decode[column.name] = _moment
            elif isinstance(kind, Date):
                decode[column.name] = date.fromisoformat
            elif isinstance(kind, Boolean):
                decode[column.name] = bool
        _DECODE[row] = decode
    values = dict(json.loads(body) if isinstance(body, str) else body)
    for name, convert in decode.items():
        if values.get(name) is not None:
            values[name] = convert(values[name])
    return SimpleNamespace(**values)


_INCIDENTS = cast(Table, IncidentRow.__table__)
_ADD_INCIDENT = insert(_INCIDENTS).returning(_INCIDENTS.c.id)
_NUMBER_INCIDENT = (
    update(_INCIDENTS)
    .where(_INCIDENTS.c.id == bindparam("b_id"))
    .values(number=bindparam("b_number"))
)
_ADD_SOURCE = insert(cast(Table, IncidentSourceRow.__table__))
_UPDATE_INCIDENT = (
    update(_INCIDENTS)
    .where(_INCIDENTS.c.id == bindparam("b_id"), _INCIDENTS.c.version == bindparam("b_version"))
    .values(number=func.coalesce(bindparam("b_number", type_=String()), _INCIDENTS.c.number))
)
_ADD_HISTORY = insert(cast(Table, HistoryRow.__table__))


@functools.cache
def _insert_ids_statement(row: type[Any]) -> Any:
    """Rows of `row` inserted with their ids returned in the order given, built once."""
    table = cast(Table, row.__table__)
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


_BY_URL = (
    select(IncidentSourceRow.incident_id)
    .where(IncidentSourceRow.url == bindparam("url"))
    .order_by(IncidentSourceRow.incident_id)
)
_BY_AUTHOR = (
    select(IncidentRow.id)
    .join(IncidentSourceRow, IncidentSourceRow.incident_id == IncidentRow.id)
    .where(
        IncidentSourceRow.author == bindparam("author"),
        IncidentRow.detected_at >= bindparam("since"),
    )
    .order_by(IncidentRow.detected_at, IncidentRow.id)
)
"""An incident's statements, built once on its tables (no ORM bookkeeping: the aggregate is
read by `_load`, never as ORM objects): the columns set are the parameters given, `b_…` are
the bound keys."""


@dataclass(slots=True)
class SqlIncidentRepository:
    session: AsyncSession
    _seen: dict[int, _Seen] = field(default_factory=dict)

    async def add(self, incident: Incident) -> Incident:
        s = self.session
        values = _incident_values(incident) | {"version": incident.version}
        incident_id = (await s.execute(_ADD_INCIDENT, values)).scalar_one()
        stored = replace(
            incident,
            id=incident_id,
            history=list(incident.history),
            assignments=[replace(a, id=None) for a in incident.assignments],
            drafts=[replace(d, id=None) for d in incident.drafts],
            approvals=[replace(a, id=None) for a in incident.approvals],
            publications=[replace(p, id=None) for p in incident.publications],
        )
        if stored.number is None:
            stored.number = incident_number(incident.detected_at, incident_id)
            await s.execute(_NUMBER_INCIDENT, {"b_id": incident_id, "b_number": stored.number})
        await s.execute(
            _ADD_SOURCE, {"incident_id": incident_id, **_source_values(incident.source)}
        )
        await self._write_children(stored, None, created=True)
        last = await self._append_history(incident_id, stored.history, first_seq=1)
        self._seen[incident_id] = _Seen.of(stored, last)
        return stored

    async def get(self, incident_id: int) -> Incident | None:
        found = await self._load([incident_id])
        return found[0] if found else None

    async def update(
        self, incident: Incident, expected_version: int, new_history: Sequence[HistoryEntry]
    ) -> None:
        if incident.id is None:
            raise ValueError("an incident that was never added cannot be updated")
        new_version = max(incident.version, expected_version + 1)
        values = _incident_values(incident)
        del values["number"]  # kept when the incident has none (set by `add`)
        result = await self.session.execute(
            _UPDATE_INCIDENT,
            values
            | {
                "version": new_version,
                "b_id": incident.id,
                "b_version": expected_version,
                "b_number": incident.number,
            },
        )
        if _rowcount(result) != 1:
            raise await self._stale(incident.id, expected_version)
        incident.version = new_version
        seen = self._seen.get(incident.id)
        await self._write_children(incident, seen)
        # The version check above proves nobody wrote the incident since it was loaded here,
        # so its history still ends where this unit of work saw it end.
        first_seq = seen.last_seq + 1 if seen is not None else None
        last = await self._append_history(incident.id, new_history, first_seq)
        self._seen[incident.id] = _Seen.of(incident, last)

    async def find_by_url(self, url: str, but: int | None = None) -> Sequence[Incident]:
        ids = await self.session.scalars(_BY_URL, {"url": url})
        return await self._load([i for i in ids if i != but])

    async def find_by_author(
        self, author: str, since: datetime, but: int | None = None
    ) -> Sequence[Incident]:
        ids = await self.session.scalars(_BY_AUTHOR, {"author": author, "since": since})
        return await self._load([i for i in ids if i != but])

    async def list_open(self, limit: int = 100) -> Sequence[Incident]:
        ids = await self.session.scalars(
            select(IncidentRow.id)
            .where(IncidentRow.status.in_([s.value for s in OPEN]))
            .order_by(IncidentRow.detected_at, IncidentRow.id)
            .limit(limit)
        )
        return await self._load(list(ids))

    async def count_open(self) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(IncidentRow)
            .where(IncidentRow.status.in_([s.value for s in OPEN]))
        )
        return int(count or 0)

    async def open_page(self, after_id: int | None = None, limit: int = 500) -> Sequence[Incident]:
        query = select(IncidentRow.id).where(IncidentRow.status.in_([s.value for s in OPEN]))
        if after_id is not None:
            query = query.where(IncidentRow.id > after_id)
        ids = await self.session.scalars(query.order_by(IncidentRow.id).limit(limit))
        found = await self._load(list(ids))
        return sorted(found, key=lambda i: i.id or 0)

    async def open_involving(
        self, who: Involvement, after_id: int | None = None, limit: int = 500
    ) -> Sequence[Incident]:
        # One indexed look per tie, their union joined to the open incidents: an OR of the
        # ties would scan every open incident (131 ms at 100,000 open; this: 2 ms).
        people = sorted(who.people)
        departments = sorted(who.departments)
        ties: list[Select[Any]] = [
            select(IncidentRow.id).where(IncidentRow.curator_id.in_(people)),
            select(AssignmentRow.incident_id).where(
                or_(
                    AssignmentRow.executor_id.in_(people),
                    AssignmentRow.department_id.in_(departments),
                )
            ),
            select(DraftRow.incident_id).where(DraftRow.author_id.in_(people)),
            select(TimerRow.incident_id).where(
                TimerRow.stopped_at.is_(None), TimerRow.holder_id.in_(people)
            ),
        ]
        if who.statuses:
            ties.append(select(IncidentRow.id).where(IncidentRow.status.in_(sorted(who.statuses))))
        if who.turns:
            ties.append(
                select(IncidentRow.id).where(
                    IncidentRow.status == Status.UNDER_APPROVAL.value,
                    or_(IncidentRow.turn.is_(None), IncidentRow.turn.in_(sorted(who.turns))),
                )
            )
        tied = union(*ties).subquery("tied")
        query = (
            select(IncidentRow.id)
            .join(tied, tied.c[0] == IncidentRow.id)
            .where(IncidentRow.status.in_([s.value for s in OPEN]))
        )
        if after_id is not None:
            query = query.where(IncidentRow.id > after_id)
        ids = await self.session.scalars(query.order_by(IncidentRow.id).limit(limit))
        return sorted(await self._load(list(ids)), key=lambda i: i.id or 0)

    async def awaiting_approval(
        self, after_id: int | None = None, limit: int = 500
    ) -> Sequence[Incident]:
        query = select(IncidentRow.id).where(
            IncidentRow.status == Status.UNDER_APPROVAL.value,
            select(DraftRow.id).where(DraftRow.incident_id == IncidentRow.id).exists(),
        )
        if after_id is not None:
            query = query.where(IncidentRow.id > after_id)
        ids = await self.session.scalars(query.order_by(IncidentRow.id).limit(limit))
        return sorted(await self._load(list(ids)), key=lambda i: i.id or 0)

    async def keep_turns(self, turns: Mapping[int, tuple[int, str]]) -> None:
        if not turns:
            return
        table = cast(Table, IncidentRow.__table__)
        await self.session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
            .values(turn=bindparam("b_turn")),
            [
                {"b_id": i, "b_version": version, "b_turn": turn}
                for i, (version, turn) in turns.items()
            ],
        )

    async def open_by_urgency(self, offset: int = 0, limit: int = 30) -> Sequence[IncidentHead]:
        heads = select(IncidentRow.id, IncidentRow.number, IncidentRow.status, IncidentRow.version)
        is_open = IncidentRow.status.in_([s.value for s in OPEN])
        # Those with a deadline by it, through the index on (next_due, id); then those without.
        dated = list(
            await self.session.execute(
                heads.where(is_open, IncidentRow.next_due.is_not(None))
                .order_by(IncidentRow.next_due, IncidentRow.id)
                .offset(offset)
                .limit(limit)
            )
        )
        if len(dated) < limit:
            start = 0  # the page ends the dated ones: the undated from their first
            if not dated:  # a page past the dated ones: skip as many as there are
                count = select(func.count()).where(is_open, IncidentRow.next_due.is_not(None))
                start = max(0, offset - (await self.session.scalar(count) or 0))
            dated += await self.session.execute(
                heads.where(is_open, IncidentRow.next_due.is_(None))
                .order_by(IncidentRow.id)
                .offset(start)
                .limit(limit - len(dated))
            )
        return [IncidentHead(i, n, Status(s), v) for i, n, s, v in dated]

    async def silent_clarifications(
        self, asked_before: datetime, limit: int = 100
    ) -> Sequence[Incident]:
        asked = (
            select(func.max(HistoryRow.at))
            .where(
                HistoryRow.incident_id == IncidentRow.id,
                HistoryRow.action == Action.PUBLISH_CLARIFICATION.value,
            )
            .scalar_subquery()
        )
        ids = await self.session.scalars(
            select(IncidentRow.id)
            .where(IncidentRow.status == Status.CLARIFICATION.value, asked <= asked_before)
            .order_by(IncidentRow.id)
            .limit(limit)
        )
        return await self._load(list(ids))

    async def by_number(self, number: str) -> Incident | None:
        incident_id = await self.session.scalar(
            select(IncidentRow.id).where(IncidentRow.number == number)
        )
        return None if incident_id is None else await self.get(incident_id)

    async def search(self, text: str, limit: int = 20) -> Sequence[Incident]:
        """Source text, author or URL containing `text`, any case (Cyrillic too), newest first."""
        needle = text.casefold()
        if not needle:
            return []
        if _dialect(self.session) == "postgresql":
            fields = [func.lower(c) for c in _SEARCHED]
            hit = [func.strpos(f, func.lower(text)) > 0 for f in fields]
        else:
            hit = [func.instr(func.casefold(c), needle) > 0 for c in _SEARCHED]
        ids = await self.session.scalars(
            select(IncidentRow.id)
            .join(IncidentSourceRow, IncidentSourceRow.incident_id == IncidentRow.id)
            .where(or_(*hit))
            .order_by(IncidentRow.detected_at.desc(), IncidentRow.id.desc())
            .limit(limit)
        )
        return await self._load(list(ids))

    async def erase_personal_data(self, incident_id: int) -> bool:
        """The author, text, URL and media of the source, and the author's words quoted in
        notices; the network, external number, history and counts stay."""
        result = await self.session.execute(
            update(IncidentSourceRow)
            .where(IncidentSourceRow.incident_id == incident_id)
            .values(_ERASED_SOURCE)
            .execution_options(synchronize_session=False)
        )
        await self._erase_quotes(OutboxRow.incident_id == incident_id)
        self._forget([incident_id])
        return _rowcount(result) == 1

    async def erase_personal_data_before(self, moment: datetime) -> int:
        """Erase the sources of incidents detected before `moment`; returns how many."""
        detected_before = select(IncidentRow.id).where(IncidentRow.detected_at < moment)
        result = await self.session.execute(
            update(IncidentSourceRow)
            .where(
                IncidentSourceRow.incident_id.in_(detected_before),
                IncidentSourceRow.erased == false(),
            )
            .values(_ERASED_SOURCE)
            .execution_options(synchronize_session=False)
        )
        await self._erase_quotes(OutboxRow.incident_id.in_(detected_before))
        self._seen.clear()
        return _rowcount(result)

    async def _erase_quotes(self, which: ColumnElement[bool]) -> None:
        await self.session.execute(
            update(OutboxRow)
            .where(which, OutboxRow.kind.in_([k.value for k in _QUOTING_NOTICES]))
            .values(payload={})
            .execution_options(synchronize_session=False)
        )

    async def count(self) -> int:
        return (
            await self.session.execute(select(func.count()).select_from(IncidentRow))
        ).scalar_one()

    def _forget(self, ids: Iterable[int]) -> None:
        for incident_id in ids:
            self._seen.pop(incident_id, None)

    async def _stale(self, incident_id: int, expected: int) -> Exception:
        version = await self.session.scalar(
            select(IncidentRow.version).where(IncidentRow.id == incident_id)
        )
        if version is None:
            return NotFound("incident", incident_id)
        last_actor = await self.session.scalar(
            select(HistoryRow.actor_id)
            .where(HistoryRow.incident_id == incident_id)
            .order_by(HistoryRow.seq.desc())
            .limit(1)
        )
        return StaleVersion(expected, version, last_actor)

    async def _append_history(
        self, incident_id: int, entries: Sequence[HistoryEntry], first_seq: int | None = None
    ) -> int:
        """Append after `first_seq - 1` (read from the database when not known); the `seq` of
        the incident's last entry after it."""
        if first_seq is None:
            last = await self.session.scalar(
                select(func.max(HistoryRow.seq)).where(HistoryRow.incident_id == incident_id)
            )
            first_seq = (last or 0) + 1
        if entries:
            await self.session.execute(  # on the table: every key of every row, one INSERT
                _ADD_HISTORY,
                [history_values(incident_id, first_seq + i, e) for i, e in enumerate(entries)],
            )
        return first_seq + len(entries) - 1

    async def _insert_ids(self, row: Any, values: list[dict[str, Any]]) -> list[int]:
        if not values:
            return []
        ids = await self.session.scalars(_insert_ids_statement(row), values)
        return list(ids)

    async def _update_by_id(self, row: Any, values: list[dict[str, Any]]) -> None:
        if values:
            await self.session.execute(update(row), values)

    async def _sync(
        self,
        row: Any,
        items: list[_Child],
        seen: Mapping[int, _Child] | None,
        values: Callable[[_Child], dict[str, Any]],
    ) -> tuple[list[_Child], list[_Child]]:
        """Insert the children without an id (setting it), update those changed since loaded."""
        changed = [x for x in items if x.id is not None and (seen is None or seen.get(x.id) != x)]
        await self._update_by_id(row, [{"id": x.id, **values(x)} for x in changed])
        new = [i for i, x in enumerate(items) if x.id is None]
        ids = await self._insert_ids(row, [values(items[i]) for i in new])
        for i, new_id in zip(new, ids, strict=True):
            items[i] = replace(items[i], id=new_id)  # type: ignore[type-var]
        return changed, [items[i] for i in new]

    async def _write_children(
        self, incident: Incident, seen: _Seen | None, *, created: bool = False
    ) -> None:
        assert incident.id is not None
        iid = incident.id
        s = self.session
        if not created and (seen is None or seen.source != incident.source):
            await s.execute(
                update(IncidentSourceRow)
                .where(IncidentSourceRow.incident_id == iid, IncidentSourceRow.erased == false())
                .values(_source_values(incident.source))
                .execution_options(synchronize_session=False)
            )
        await self._sync(
            AssignmentRow,
            incident.assignments,
            seen.assignments if seen else None,
            lambda a: _assignment_values(iid, a),
        )
        changed, added = await self._sync(
            DraftRow,
            incident.drafts,
            seen.drafts if seen else None,
            lambda d: _draft_values(iid, d),
        )
        rewrite = list(added)
        for d in changed:
            old = seen.drafts.get(d.id) if seen is not None and d.id is not None else None
            if old is None or old.attachments != d.attachments:
                await s.execute(delete(AttachmentRow).where(AttachmentRow.draft_id == d.id))
                rewrite.append(d)
        attachments = [
            {
                "draft_id": d.id,
                "position": n,
                "kind": a.kind.value,
                "file_id": a.file_id,
                "caption": a.caption,
            }
            for d in rewrite
            for n, a in enumerate(d.attachments)
        ]
        if attachments:
            await s.execute(insert(AttachmentRow), attachments)
        await self._sync(
            ApprovalRow,
            incident.approvals,
            seen.approvals if seen else None,
            lambda a: _approval_values(iid, a),
        )
        await self._sync(
            PublicationRow,
            incident.publications,
            seen.publications if seen else None,
            lambda p: _publication_values(iid, p),
        )
        if seen is None or seen.links != incident.linked_ids:
            if not created:
                await s.execute(delete(IncidentLinkRow).where(IncidentLinkRow.incident_id == iid))
            links = [
                {"incident_id": iid, "linked_id": linked, "position": n}
                for n, linked in enumerate(dict.fromkeys(incident.linked_ids))
            ]
            if links:
                await s.execute(insert(IncidentLinkRow), links)

    async def _load(self, ids: Sequence[int]) -> list[Incident]:
        """Whole aggregates in one statement whatever their number: each row of the incident,
        its source and its children as a JSON object, all tables in one UNION ALL (a press
        read them in eight statements)."""
        if not ids:
            return []
        keys = list(dict.fromkeys(ids))
        if len(keys) > _LOAD_AT_ONCE:  # each of the eight parts binds every id
            loaded: list[Incident] = []
            for start in range(0, len(keys), _LOAD_AT_ONCE):
                loaded += await self._load(keys[start : start + _LOAD_AT_ONCE])
            return loaded
        statement = _load_statement(_dialect(self.session) == "postgresql")
        heads: dict[int, Any] = {}
        sources: dict[int, Any] = {}
        kids: dict[str, list[Any]] = {kind: [] for kind in (*_CHILDREN, "t")}
        for kind, incident_id, body in await self.session.execute(statement, {"ids": keys}):
            if kind == "i":
                heads[incident_id] = _decoded(IncidentRow, body)
            elif kind == "s":
                sources[incident_id] = _decoded(IncidentSourceRow, body)
            else:
                row_type = AttachmentRow if kind == "t" else _CHILDREN[kind]
                kids[kind].append(_decoded(row_type, body))
        found = {i: (heads[i], sources[i]) for i in keys if i in heads and i in sources}
        if not found:
            return []
        order = _CHILD_ORDER
        assignments = sorted(kids["a"], key=order["a"])
        drafts = sorted(kids["d"], key=order["d"])
        approvals = sorted(kids["p"], key=order["p"])
        publications = sorted(kids["u"], key=order["u"])
        links = sorted(kids["l"], key=order["l"])
        history = sorted(kids["h"], key=order["h"])
        attachments: dict[int, list[Any]] = {}
        for a in sorted(kids["t"], key=lambda a: (a.draft_id, a.position)):
            attachments.setdefault(a.draft_id, []).append(a)

        result: dict[int, Incident] = {}
        for incident_id, (row, source) in found.items():
            result[incident_id] = Incident(
                id=row.id,
                profile=row.profile,
                flow=row.flow,
                source=_source(source),
                detected_at=row.detected_at,
                curator_id=row.curator_id,
                number=row.number,
                status=Status(row.status),
                version=row.version,
                tags=Tags(
                    topic_group=row.topic_group,
                    topic=row.topic,
                    location=row.location,
                    importance=Importance(row.importance),
                ),
                outcome=Outcome(row.outcome) if row.outcome else None,
                reaction=Reaction(row.reaction) if row.reaction else None,
                clauses=dict(row.extra_clauses),
            )
        for a in assignments:
            result[a.incident_id].assignments.append(_assignment(a))
        for d in drafts:
            result[d.incident_id].drafts.append(_draft(d, attachments.get(d.id, ())))
        for ap in approvals:
            result[ap.incident_id].approvals.append(_approval(ap))
        for p in publications:
            result[p.incident_id].publications.append(_publication(p))
        last_seq: dict[int, int] = {}
        for h in history:
            result[h.incident_id].history.append(_history(h))
            last_seq[h.incident_id] = h.seq
        linked: dict[int, list[int]] = {}
        for link in links:
            linked.setdefault(link.incident_id, []).append(link.linked_id)
        for incident_id, incident in result.items():
            incident.linked_ids = tuple(linked.get(incident_id, ()))
            self._seen[incident_id] = _Seen.of(incident, last_seq.get(incident_id, 0))
        return [result[i] for i in keys if i in result]


# --- people ----------------------------------------------------------------------------------


def _staff_values(m: StaffMember) -> dict[str, Any]:
    return {
        "telegram_id": m.telegram_id,
        "full_name": m.full_name,
        "department_id": m.department_id,
        "substitute_id": m.substitute_id,
        "active": m.active,
        "blocked_bot": m.blocked_bot,
    }


class StaffDirectory:
    """The staff and the departments of one database, kept by this process: every update and
    nearly every use case asks who is who and which department is whose, and they change
    seldom. Every change of either moves the database's staff version on (`staff_version`, in
    the change's transaction); a reader asks for the version (one small query, once per update:
    `DirectoryVersion`) and reads them again only when it moved, so a change made by any
    process is seen by the next update of every other."""

    def __init__(self) -> None:
        self._version: int | None = None
        self._members: tuple[StaffMember, ...] = ()
        self._departments_version: int | None = None
        self._departments: tuple[Department, ...] = ()

    def members(self, version: int) -> tuple[StaffMember, ...] | None:
        return self._members if version == self._version else None

    def keep(self, members: Sequence[StaffMember], version: int) -> None:
        self._members = tuple(members)
        self._version = version

    generation: int = 0
    """Moved on by every change made in this process: an update's memo of the version is good
    only while it stays (a change made by a task the update started cannot clear the memo)."""

    def forget(self) -> None:
        """A unit of work of this process changes the staff or a department: read both again
        (even by a unit of work that still trusts the version its update saw)."""
        self._version = None
        self._departments_version = None
        self.generation += 1

    def departments(self, version: int) -> tuple[Department, ...] | None:
        return self._departments if version == self._departments_version else None

    def keep_departments(self, departments: Sequence[Department], version: int) -> None:
        self._departments = tuple(departments)
        self._departments_version = version


_UPDATE_VERSION: ContextVar[tuple[object, int, int] | None] = ContextVar(
    "otklik_directory_version", default=None
)
"""The staff version the update being handled saw first (its receipt, the version, the
directory's generation): the staff middleware's unit of work and the use case's ask once
between them."""


_STAFF_VERSIONS = cast(Table, StaffVersionRow.__table__)
_STAFF_VERSION = select(_STAFF_VERSIONS.c.version).where(_STAFF_VERSIONS.c.id == 1)
"""Built once, on the table (Core): asked by most updates."""


@dataclass(slots=True)
class DirectoryVersion:
    """The staff version as one unit of work sees it: asked at most once per unit of work, and
    once per update (the receipt in the context) unless a unit of work of the update changed
    the staff or the departments, or the directory has to be read again."""

    session: AsyncSession | AsyncConnection
    """A unit of work's session, or a plain connection (`storage.uow.member_finder`)."""
    directory: StaffDirectory | None = None
    _version: int | None = None
    _asked: bool = False
    """`_version` was read from the database by this unit of work (not the update's memo)."""
    wrote: bool = False

    async def current(self, *, fresh: bool = False) -> int:
        """The version; `fresh`: as the database has it now in this unit of work (before a
        read of the directory's rows that will be kept under it)."""
        if self._version is not None and (not fresh or self._asked):
            return self._version
        receipt = receipts.current()
        memo = _UPDATE_VERSION.get()
        generation = self.directory.generation if self.directory is not None else 0
        if (
            not fresh
            and not self.wrote
            and receipt is not None
            and memo is not None
            and memo[0] is receipt
            and memo[2] == generation
        ):
            self._version = memo[1]
            return self._version
        self._version = int(await self.session.scalar(_STAFF_VERSION) or 0)
        self._asked = True
        if receipt is not None and not self.wrote:  # not this transaction's own, uncommitted
            _UPDATE_VERSION.set((receipt, self._version, generation))
        return self._version

    async def bump(self) -> None:
        """Move the staff version on, in this transaction (once per unit of work)."""
        _UPDATE_VERSION.set(None)  # the update's next units of work ask again
        if self.directory is not None:
            self.directory.forget()
        if self.wrote:
            return
        self.wrote = True
        self._version = None
        self._asked = False
        values = {"id": 1, "version": 1}
        if not isinstance(self.session, AsyncSession):
            raise TypeError("the staff version moves in a unit of work's session")
        if _dialect(self.session) == "postgresql":
            query: Any = pg_insert(StaffVersionRow).values(values)
        else:
            query = sqlite_insert(StaffVersionRow).values(values)
        await self.session.execute(
            query.on_conflict_do_update(
                index_elements=[StaffVersionRow.id],
                set_={"version": StaffVersionRow.version + 1},
            )
        )


@dataclass(slots=True)
class SqlStaffRepository:
    session: AsyncSession
    directory: StaffDirectory | None = None
    versions: DirectoryVersion | None = None
    wrote: bool = False
    """This unit of work changed the staff: it reads its own writes."""
    _seen: tuple[StaffMember, ...] | None = None
    """What this unit of work read already (the version is asked once per unit of work)."""

    async def add(self, member: StaffMember) -> StaffMember:
        await self._changed()
        member_id = (
            await self.session.execute(
                insert(StaffRow).values(_staff_values(member)).returning(StaffRow.id)
            )
        ).scalar_one()
        await self._write_parts(member_id, member)
        return replace(member, id=member_id)

    async def get(self, member_id: int) -> StaffMember | None:
        return next((m for m in await self.all() if m.id == member_id), None)

    async def by_telegram(self, telegram_id: int) -> StaffMember | None:
        return next((m for m in await self.all() if m.telegram_id == telegram_id), None)

    async def update(self, member: StaffMember) -> None:
        if member.id is None:
            raise ValueError("a staff member who was never added cannot be updated")
        await self._changed()
        result = await self.session.execute(
            update(StaffRow)
            .where(StaffRow.id == member.id)
            .values(_staff_values(member))
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) != 1:
            raise NotFound("staff member", member.id)
        await self.session.execute(delete(StaffRoleRow).where(StaffRoleRow.staff_id == member.id))
        await self.session.execute(delete(AbsenceRow).where(AbsenceRow.staff_id == member.id))
        await self._write_parts(member.id, member)

    async def in_department(self, department_id: int) -> Sequence[StaffMember]:
        return [m for m in await self.all() if m.department_id == department_id]

    async def all(self) -> Sequence[StaffMember]:
        if self.wrote or self.directory is None or self._versions().wrote:
            return await self._load(None)  # this unit of work's own writes: kept nowhere
        if self._seen is not None:
            return self._seen
        versions = self._versions()
        members = self.directory.members(await versions.current())
        if members is None:
            version = await versions.current(fresh=True)
            members = tuple(await self._load(None))
            self.directory.keep(members, version)
        self._seen = members
        return members

    def _versions(self) -> DirectoryVersion:
        if self.versions is None:
            self.versions = DirectoryVersion(self.session)
        return self.versions

    async def _changed(self) -> None:
        """Move the staff version on, in this transaction (first write of the unit of work)."""
        if self.wrote:
            return
        self.wrote = True
        self._seen = None
        await self._versions().bump()

    async def _write_parts(self, member_id: int, member: StaffMember) -> None:
        if member.roles:
            await self.session.execute(
                insert(StaffRoleRow),
                [{"staff_id": member_id, "role": r.value} for r in sorted(member.roles)],
            )
        if member.absences:
            await self.session.execute(
                insert(AbsenceRow),
                [
                    {
                        "staff_id": member_id,
                        "kind": a.kind.value,
                        "first_day": a.first_day,
                        "last_day": a.last_day,
                    }
                    for a in member.absences
                ],
            )

    async def _load(self, where: ColumnElement[bool] | None) -> list[StaffMember]:
        query = select(StaffRow).order_by(StaffRow.id).execution_options(populate_existing=True)
        if where is not None:
            query = query.where(where)
        rows = (await self.session.scalars(query)).all()
        if not rows:
            return []
        ids = [r.id for r in rows]
        roles: dict[int, set[Role]] = {}
        for staff_id, role in await self.session.execute(
            select(StaffRoleRow.staff_id, StaffRoleRow.role).where(StaffRoleRow.staff_id.in_(ids))
        ):
            roles.setdefault(staff_id, set()).add(Role(role))
        absences: dict[int, list[Absence]] = {}
        for a in await self.session.scalars(
            select(AbsenceRow)
            .where(AbsenceRow.staff_id.in_(ids))
            .order_by(AbsenceRow.id)
            .execution_options(populate_existing=True)
        ):
            absences.setdefault(a.staff_id, []).append(
                Absence(kind=AbsenceKind(a.kind), first_day=a.first_day, last_day=a.last_day)
            )
        return [
            StaffMember(
                id=r.id,
                telegram_id=r.telegram_id,
                full_name=r.full_name,
                roles=frozenset(roles.get(r.id, ())),
                department_id=r.department_id,
                substitute_id=r.substitute_id,
                absences=tuple(absences.get(r.id, ())),
                active=r.active,
                blocked_bot=r.blocked_bot,
            )
            for r in rows
        ]


def _department(row: DepartmentRow) -> Department:
    return Department(
        id=row.id,
        name=row.name,
        lead_id=row.lead_id,
        supervising_deputy_id=row.supervising_deputy_id,
    )


@dataclass(slots=True)
class SqlDepartmentRepository:
    session: AsyncSession
    directory: StaffDirectory | None = None
    versions: DirectoryVersion | None = None
    _all: tuple[Department, ...] | None = None
    """The departments as this unit of work read them (Department is frozen): the rulebook,
    the planner and the card each ask; a write here forgets them."""
    wrote: bool = False
    """This unit of work changed a department: it reads its own writes."""

    async def add(self, department: Department) -> Department:
        await self._changed()
        department_id = (
            await self.session.execute(
                insert(DepartmentRow)
                .values(
                    name=department.name,
                    lead_id=department.lead_id,
                    supervising_deputy_id=department.supervising_deputy_id,
                )
                .returning(DepartmentRow.id)
            )
        ).scalar_one()
        return replace(department, id=department_id)

    async def get(self, department_id: int) -> Department | None:
        return next((d for d in await self.all() if d.id == department_id), None)

    async def update(self, department: Department) -> None:
        if department.id is None:
            raise ValueError("a department that was never added cannot be updated")
        await self._changed()
        await self.session.execute(
            update(DepartmentRow)
            .where(DepartmentRow.id == department.id)
            .values(
                name=department.name,
                lead_id=department.lead_id,
                supervising_deputy_id=department.supervising_deputy_id,
            )
            .execution_options(synchronize_session=False)
        )

    async def _changed(self) -> None:
        self._all = None
        self.wrote = True
        if self.versions is not None:
            await self.versions.bump()

    async def all(self) -> Sequence[Department]:
        if self._all is None:
            # This unit of work's own, uncommitted changes are read but kept nowhere.
            versions = self.versions
            if self.wrote or self.directory is None or versions is None or versions.wrote:
                self._all = await self._read()
            else:
                kept = self.directory.departments(await versions.current())
                if kept is None:
                    version = await versions.current(fresh=True)
                    kept = await self._read()
                    self.directory.keep_departments(kept, version)
                self._all = kept
        return list(self._all)

    async def _read(self) -> tuple[Department, ...]:
        rows = await self.session.scalars(
            select(DepartmentRow)
            .order_by(DepartmentRow.id)
            .execution_options(populate_existing=True)
        )
        return tuple(_department(r) for r in rows)


def _invite(row: InviteRow) -> Invite:
    return Invite(
        token=row.token,
        role=Role(row.role),
        created_at=row.created_at,
        created_by=row.created_by,
        department_id=row.department_id,
        used_by=row.used_by,
        used_at=row.used_at,
    )


@dataclass(slots=True)
class SqlInviteRepository:
    session: AsyncSession

    async def add(self, invite: Invite) -> None:
        await self.session.execute(
            insert(InviteRow).values(
                token=invite.token,
                role=invite.role.value,
                created_at=invite.created_at,
                created_by=invite.created_by,
                department_id=invite.department_id,
                used_by=invite.used_by,
                used_at=invite.used_at,
            )
        )

    async def get(self, token: str) -> Invite | None:
        row = await self.session.get(InviteRow, token, populate_existing=True)
        return None if row is None else _invite(row)

    async def mark_used(self, token: str, member_id: int, at: datetime) -> bool:
        result = await self.session.execute(
            update(InviteRow)
            .where(InviteRow.token == token, InviteRow.used_by.is_(None))
            .values(used_by=member_id, used_at=at)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def unused_setup(self) -> Invite | None:
        row = (
            await self.session.scalars(
                select(InviteRow)
                .where(InviteRow.created_by.is_(None), InviteRow.used_by.is_(None))
                .order_by(InviteRow.created_at)
                .limit(1)
                .execution_options(populate_existing=True)
            )
        ).first()
        return None if row is None else _invite(row)


_CARDS = cast(Table, CardRow.__table__)
"""Cards are read and written with Core (on the table): every card drawn passes here."""


@dataclass(slots=True)
class SqlCardRepository:
    session: AsyncSession

    async def holders(self, incident_id: int) -> Sequence[int]:
        rows = await self.session.scalars(
            select(_CARDS.c.person_id).where(_CARDS.c.incident_id == incident_id)
        )
        return list(rows)

    async def of_incident(self, incident_id: int) -> Sequence[CardRef]:
        c = _CARDS.c
        rows = await self.session.execute(
            select(c.incident_id, c.person_id, c.chat_id, c.message_id).where(
                c.incident_id == incident_id
            )
        )
        return [CardRef(*row) for row in rows]

    async def get(self, incident_id: int, person_id: int) -> CardRef | None:
        row = await self.session.get(CardRow, (incident_id, person_id), populate_existing=True)
        return (
            None
            if row is None
            else CardRef(row.incident_id, row.person_id, row.chat_id, row.message_id)
        )

    async def put(self, card: CardRef) -> None:
        values = {
            "incident_id": card.incident_id,
            "person_id": card.person_id,
            "chat_id": card.chat_id,
            "message_id": card.message_id,
        }
        keys = ["incident_id", "person_id"]
        changed = {"chat_id": card.chat_id, "message_id": card.message_id}
        if _dialect(self.session) == "postgresql":
            query: Any = (
                pg_insert(_CARDS)
                .values(values)
                .on_conflict_do_update(index_elements=keys, set_=changed)
            )
        else:
            query = (
                sqlite_insert(_CARDS)
                .values(values)
                .on_conflict_do_update(index_elements=keys, set_=changed)
            )
        await self.session.execute(query)


@dataclass(frozen=True, slots=True)
class Organisation:
    """The one administration this database serves."""

    name: str
    profile: str
    timezone: str


@dataclass(slots=True)
class SqlOrganisationRepository:
    session: AsyncSession

    async def get(self) -> Organisation | None:
        row = await self.session.get(OrganisationRow, 1, populate_existing=True)
        return None if row is None else Organisation(row.name, row.profile, row.timezone)

    async def save(self, organisation: Organisation) -> None:
        values = {
            "name": organisation.name,
            "profile": organisation.profile,
            "timezone": organisation.timezone,
        }
        result = await self.session.execute(
            update(OrganisationRow)
            .where(OrganisationRow.id == 1)
            .values(values)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) == 0:
            await self.session.execute(insert(OrganisationRow).values(id=1, **values))


# --- timers, reminders, outbox ----------------------------------------------------------------


def _timer_values(t: Timer) -> dict[str, Any]:
    return {
        "incident_id": t.incident_id,
        "assignment_id": t.assignment_id,
        "name": t.name,
        "clause": t.clause,
        "clock": t.clock.value,
        "started_at": t.started_at,
        "due_at": t.due_at,
        "holder_id": t.holder_id,
        "holder_role": t.holder_role.value,
        "stopped_at": t.stopped_at,
        "breached_at": t.breached_at,
        "paused": t.is_paused,
        "remind_at": t.remind_at,
        "window": t.window,
        "used": t.used,
    }


_TIMERS = cast(Table, TimerRow.__table__)
"""Timers are read with Core (on the table): rows, no ORM objects to build and throw away."""


def _timer(row: Any, pauses: Sequence[TimerPause]) -> Timer:
    return Timer(
        id=row.id,
        incident_id=row.incident_id,
        name=row.name,
        clause=row.clause,
        clock=ClockKind(row.clock),
        started_at=row.started_at,
        due_at=row.due_at,
        holder_id=row.holder_id,
        holder_role=Role(row.holder_role),
        assignment_id=row.assignment_id,
        pauses=list(pauses),
        stopped_at=row.stopped_at,
        breached_at=row.breached_at,
        remind_at=row.remind_at,
        window=row.window,
        used=row.used,
    )


def due_query(now: datetime, limit: int, moment: Any = _TIMERS.c.due_at) -> Any:
    """Open, unpaused timers whose `moment` (due_at or remind_at) has come: served by the
    partial indexes `ix_timers_due_open` and `ix_timers_remind_open`."""
    return (
        select(_TIMERS)
        .where(_TIMERS.c.stopped_at.is_(None), _TIMERS.c.paused == false(), moment <= now)
        .order_by(moment, _TIMERS.c.id)
        .limit(limit)
    )


@dataclass(slots=True)
class SqlTimerRepository:
    session: AsyncSession
    _moved: set[int] = field(default_factory=set)
    """Incidents whose timers this unit of work changed: their `next_due` is written at
    commit (`settle`), once each."""
    _closed: set[int] = field(default_factory=set)
    """Windows closed by the sweep (by timer id): their incidents' `next_due` likewise."""
    _known: dict[int, dict[int, Timer]] = field(default_factory=dict)
    """The timers of an incident (all of them, by id) as this unit of work read or wrote them:
    a use case asks for them several times (the rulebook, the planner, its own step) and reads
    them once. The sweep's own writes (`mark_swept`, `close_window`) forget them all."""

    def _copy(self, incident_id: int, *, open_only: bool) -> list[Timer] | None:
        known = self._known.get(incident_id)
        if known is None:
            return None
        return [
            replace(t, pauses=list(t.pauses))
            for _, t in sorted(known.items())
            if not open_only or t.stopped_at is None
        ]

    def _remember(self, timer: Timer) -> None:
        known = self._known.get(timer.incident_id)
        if known is not None and timer.id is not None:
            known[timer.id] = replace(timer, pauses=list(timer.pauses))

    async def add(self, timer: Timer) -> Timer:
        timer_id = (await self.session.execute(_ADD_TIMER, _timer_values(timer))).scalar_one()
        await self._write_pauses(timer_id, timer.pauses)
        self._moved.add(timer.incident_id)
        added = replace(timer, id=timer_id, pauses=list(timer.pauses))
        self._remember(added)
        return added

    async def add_many(self, timers: Sequence[Timer]) -> list[Timer]:
        if len(timers) < 2:
            return [await self.add(t) for t in timers]
        ids = (
            await self.session.scalars(
                # NULLs written, not left out: every row alike, one INSERT, ids in row order
                insert(TimerRow).returning(TimerRow.id).execution_options(render_nulls=True),
                [_timer_values(t) for t in timers],
            )
        ).all()
        added = []
        # One INSERT of many rows: the ids are given in the order of the rows.
        for timer, timer_id in zip(timers, sorted(ids), strict=True):
            await self._write_pauses(timer_id, timer.pauses)
            self._moved.add(timer.incident_id)
            one = replace(timer, id=timer_id, pauses=list(timer.pauses))
            self._remember(one)
            added.append(one)
        return added

    async def update(self, timer: Timer) -> None:
        if timer.id is None:
            raise ValueError("a timer that was never added cannot be updated")
        before = self._known.get(timer.incident_id, {}).get(timer.id)
        self._moved.add(timer.incident_id)
        values = _timer_values(timer)
        result = await self.session.execute(
            _timer_update(tuple(values)),
            {"p_id": timer.id, **{f"p_{k}": v for k, v in values.items()}},
        )
        if _rowcount(result) != 1:
            raise NotFound("timer", timer.id)
        await self._written(timer, before)

    async def _written(self, timer: Timer, before: Timer | None) -> None:
        """After a timer's row is written over `before` (as read here, if it was): its pauses
        rewritten only when they changed, and this unit of work's copy brought up to date."""
        assert timer.id is not None
        if before is None or before.pauses != timer.pauses:
            await self.session.execute(
                delete(TimerPauseRow).where(TimerPauseRow.timer_id == timer.id)
            )
            await self._write_pauses(timer.id, timer.pauses)
        if before is not None:
            # What the row holds now: a breach the sweep recorded stays (see `update`).
            self._remember(replace(timer, breached_at=before.breached_at or timer.breached_at))

    async def update_many(self, timers: Sequence[Timer]) -> None:
        """`update` each, the rows in one statement (what an action's plan changes)."""
        if len(timers) < 2:
            for timer in timers:
                await self.update(timer)
            return
        if any(t.id is None for t in timers):
            raise ValueError("a timer that was never added cannot be updated")
        query = _timer_update(tuple(_timer_values(timers[0])))
        rows = [
            {"p_id": t.id, **{f"p_{k}": v for k, v in _timer_values(t).items()}} for t in timers
        ]
        result = await self.session.execute(query, rows)
        self._moved.update(t.incident_id for t in timers)
        if _rowcount(result) not in (-1, len(timers)):
            raise NotFound("timer", [t.id for t in timers])
        for timer in timers:
            assert timer.id is not None
            await self._written(timer, self._known.get(timer.incident_id, {}).get(timer.id))

    async def mark_swept(
        self, timer_id: int, remind_at: datetime | None, breached_at: datetime | None
    ) -> bool:
        values: dict[str, Any] = {"remind_at": remind_at}
        if breached_at is not None:
            values["breached_at"] = breached_at
        return await self._if_running(timer_id, values)

    async def close_window(self, timer_id: int) -> bool:
        closed = await self._if_running(
            timer_id, {"stopped_at": TimerRow.due_at, "remind_at": None}
        )
        if closed:
            self._closed.add(timer_id)
        return closed

    async def settle(self) -> None:
        """Write the nearest open deadline of every incident whose timers changed here, in
        one statement (the unit of work calls it before it commits)."""
        if not self._moved and not self._closed:
            return
        if not self._closed:  # what a press does: built once
            moved = sorted(self._moved)
            self._moved.clear()
            await self.session.execute(_SETTLE_NEXT_DUE, {"ids": moved})
            return
        which: ColumnElement[bool] = IncidentRow.id.in_(sorted(self._moved))
        if self._closed:
            which = which | IncidentRow.id.in_(
                select(TimerRow.incident_id).where(TimerRow.id.in_(sorted(self._closed)))
            )
        self._moved.clear()
        self._closed.clear()
        await self.session.execute(
            update(IncidentRow)
            .where(which)
            .values(next_due=next_due_of(IncidentRow.id))
            .execution_options(synchronize_session=False)
        )

    async def _if_running(self, timer_id: int, values: dict[str, Any]) -> bool:
        """Write only these columns, only where the timer is still open and not paused: the
        first write of the sweep's transaction, so on SQLite it also takes the write lock
        before the notices are queued."""
        self._known.clear()
        result = await self.session.execute(
            update(TimerRow)
            .where(
                TimerRow.id == timer_id,
                TimerRow.stopped_at.is_(None),
                TimerRow.paused == false(),
            )
            .values(values)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def open_for(self, incident_id: int) -> Sequence[Timer]:
        """Read with the stopped ones (an incident has a handful), so that `for_incident` in
        the same unit of work reads nothing."""
        known = self._copy(incident_id, open_only=True)
        if known is None:
            await self.for_incident(incident_id)
            known = self._copy(incident_id, open_only=True)
        return known or []

    async def open_for_many(self, incident_ids: Sequence[int]) -> Mapping[int, Sequence[Timer]]:
        found: dict[int, list[Timer]] = {i: [] for i in incident_ids}
        if not incident_ids:
            return found
        timers = await self._with_pauses(
            select(_TIMERS)
            .where(_TIMERS.c.incident_id.in_(list(incident_ids)), _TIMERS.c.stopped_at.is_(None))
            .order_by(_TIMERS.c.incident_id, _TIMERS.c.id)
        )
        for timer in timers:
            found.setdefault(timer.incident_id, []).append(timer)
        return found

    async def for_incident(self, incident_id: int) -> Sequence[Timer]:
        """Open and stopped: a window that closed by its time is found late by the action
        after it."""
        known = self._copy(incident_id, open_only=False)
        if known is not None:
            return known
        postgres = _dialect(self.session) == "postgresql"
        rows = await self.session.execute(
            _timers_of_statement(postgres), {"incident_id": incident_id}
        )
        timers = _timers_of(rows)
        self._known[incident_id] = {t.id: t for t in timers if t.id is not None}
        return self._copy(incident_id, open_only=False) or []

    async def due(self, now: datetime, limit: int = 100) -> Sequence[Timer]:
        """Earliest first. On PostgreSQL the rows stay locked (SKIP LOCKED) until the unit of
        work ends, so several bot instances never take the same timer."""
        return await self._claim(due_query(now, limit))

    async def to_remind(self, now: datetime, limit: int = 100) -> Sequence[Timer]:
        """Open, unpaused timers whose `remind_at` has come, earliest first; locked like `due`."""
        return await self._claim(due_query(now, limit, _TIMERS.c.remind_at))

    async def _claim(self, query: Any) -> list[Timer]:
        if _dialect(self.session) == "postgresql":
            query = query.with_for_update(skip_locked=True, of=_TIMERS)
        return await self._with_pauses(query)

    async def _write_pauses(self, timer_id: int, pauses: Sequence[TimerPause]) -> None:
        if pauses:
            await self.session.execute(
                insert(TimerPauseRow),
                [
                    {"timer_id": timer_id, "started_at": p.started_at, "ended_at": p.ended_at}
                    for p in pauses
                ],
            )

    async def _with_pauses(self, query: Select[Any]) -> list[Timer]:
        """The timers `query` selects with their pauses, in one statement: each timer's pauses
        come beside it as a JSON array of [id, started_at, ended_at]."""
        postgres = _dialect(self.session) == "postgresql"
        return _timers_of(await self.session.execute(_and_pauses(query, postgres)))


def _and_pauses(query: Select[Any], postgres: bool) -> Select[Any]:
    """`query` (of the timers table's rows) with each timer's pauses beside it, `pauses`, as a
    JSON array of [id, started_at, ended_at]."""
    table = cast(Table, TimerPauseRow.__table__)
    item = (func.json_build_array if postgres else func.json_array)(
        table.c.id, table.c.started_at, table.c.ended_at
    )
    pauses = (
        select(sql_cast((func.json_agg if postgres else func.json_group_array)(item), Text))
        .where(table.c.timer_id == _TIMERS.c.id)
        .scalar_subquery()
    )
    return query.add_columns(pauses.label("pauses"))


def _timers_of(rows: Iterable[Any]) -> list[Timer]:
    timers = []
    for row in rows:
        kept = sorted(json.loads(row.pauses or "[]"))
        timers.append(
            _timer(
                row,
                [
                    TimerPause(_moment(started), _moment(ended) if ended else None)
                    for _, started, ended in kept
                ],
            )
        )
    return timers


@functools.cache
def _timers_of_statement(postgres: bool) -> Select[Any]:
    """An incident's timers with their pauses, per dialect, built once (`for_incident`)."""
    return _and_pauses(
        select(_TIMERS)
        .where(_TIMERS.c.incident_id == bindparam("incident_id"))
        .order_by(_TIMERS.c.id),
        postgres,
    )


_ADD_TIMER = insert(cast(Table, TimerRow.__table__)).returning(TimerRow.__table__.c.id)


@functools.cache
def _timer_update(names: tuple[str, ...]) -> Any:
    """A timer's row written by its id, built once: `p_<column>` bound for each of `names`,
    `p_id` the row. A breach the sweep recorded stays recorded, whatever copy an action writes
    back. Executed with many rows, one statement."""
    table = cast(Table, TimerRow.__table__)
    values: dict[str, Any] = {n: bindparam(f"p_{n}") for n in names}
    values["breached_at"] = func.coalesce(table.c.breached_at, bindparam("p_breached_at"))
    return update(table).where(table.c.id == bindparam("p_id")).values(values)


def next_due_of(incident_id: Any) -> Any:
    """The nearest due moment of the incident's open, running timers (a scalar subquery)."""
    return (
        select(func.min(_TIMERS.c.due_at))
        .where(
            _TIMERS.c.incident_id == incident_id,
            _TIMERS.c.stopped_at.is_(None),
            _TIMERS.c.due_at.is_not(None),
        )
        .scalar_subquery()
    )


_SETTLE_NEXT_DUE = (
    update(_INCIDENTS)
    .where(_INCIDENTS.c.id.in_(bindparam("ids", expanding=True)))
    .values(next_due=next_due_of(_INCIDENTS.c.id))
)
"""`SqlTimerRepository.settle` for the incidents whose timers a press changed, built once."""


def _insert_or_ignore(
    session: AsyncSession, row: Any, values: dict[str, Any] | None, keys: Sequence[str]
) -> Any:
    """INSERT … ON CONFLICT DO NOTHING on `row`'s table (Core); without `values`, for rows
    given at execution."""
    table = getattr(row, "__table__", row)
    query = pg_insert(table) if _dialect(session) == "postgresql" else sqlite_insert(table)
    if values is not None:
        query = query.values(values)
    return query.on_conflict_do_nothing(index_elements=list(keys))


def _outbox_values(message: OutboxMessage) -> dict[str, Any]:
    return {
        "created_at": message.created_at,
        "kind": message.kind.value,
        "recipient_id": message.recipient_id,
        "chat_id": message.chat_id,
        "incident_id": message.incident_id,
        "payload": dict(message.payload),
        "dedupe_key": message.dedupe_key,
        "sent_at": message.sent_at,
        "attempts": message.attempts,
        "not_before": message.not_before,
        "failed": message.failed,
        "progress": message.progress,
    }


@dataclass(slots=True)
class SqlReminderLog:
    session: AsyncSession

    async def record(self, key: ReminderKey, at: datetime) -> bool:
        values = {
            "incident_id": key.incident_id,
            "timer_name": key.timer_name,
            "kind": key.kind,
            "sent_at": at,
        }
        result = await self.session.execute(
            _insert_or_ignore(
                self.session, ReminderRow, values, ("incident_id", "timer_name", "kind")
            )
        )
        return _rowcount(result) == 1


def _message(row: Any) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        created_at=row.created_at,
        kind=NoticeKind(row.kind),
        recipient_id=row.recipient_id,
        chat_id=row.chat_id,
        incident_id=row.incident_id,
        payload=dict(row.payload),
        dedupe_key=row.dedupe_key,
        sent_at=row.sent_at,
        attempts=row.attempts,
        not_before=row.not_before,
        failed=row.failed,
        progress=row.progress,
    )


_UNCLAIMED: dict[str, Any] = {"claimed_until": None, "claimed_by": None}
_CANDIDATE = cast(Table, OutboxRow.__table__).alias("candidate")
_OLDER = cast(Table, OutboxRow.__table__).alias("older")
"""On the table (Core): the sender claims several times a second."""


def _unsent(row: Any) -> ColumnElement[bool]:
    return and_(row.sent_at.is_(None), row.failed.is_(None))


def _in_lane(row: Any, lane: Lane | None) -> ColumnElement[bool]:
    if lane is None:
        return true()
    kinds = sorted(k.value for k in lane.kinds)
    column: ColumnElement[str] = row.kind
    return column.not_in(kinds) if lane.other else column.in_(kinds)


_OUTBOX = cast(Table, OutboxRow.__table__)
_MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("message_id"))
    .values(sent_at=bindparam("at"), claimed_until=None, claimed_by=None)
)
"""Built once, on the table (no ORM bookkeeping): every notice sent is marked so."""


@functools.cache
def _claim_statements(lane: Lane | None, postgres: bool) -> tuple[Any, Any]:
    """`SqlOutbox.claim`'s statements for a lane, built once (the sender claims several times
    a second: building them anew was a tenth of its CPU), with `now`, `limit`, `until`, `by`
    (and on PostgreSQL the candidates' `ids`) bound. PostgreSQL: the candidates locked
    `FOR UPDATE SKIP LOCKED`, then the lease on those ids; SQLite: the lease on the candidates
    in one `UPDATE … RETURNING`."""
    candidates = _claimable(bindparam("now"), bindparam("limit"), lane)
    where: ColumnElement[bool]
    if postgres:
        where = _OUTBOX.c.id.in_(bindparam("ids", expanding=True))
        candidates = candidates.with_for_update(skip_locked=True, of=_CANDIDATE)
    else:
        where = _OUTBOX.c.id.in_(candidates.scalar_subquery())
    lease = (
        update(_OUTBOX)
        .where(where)
        .values(claimed_until=bindparam("until"), claimed_by=bindparam("by"))
        .returning(*_OUTBOX.c)
    )
    return candidates, lease


def _claimable(now: Any, limit: Any, lane: Lane | None = None) -> Select[Any]:
    """Ids of the notices a sender may take now, oldest first: unsent, not failed, not
    postponed, not under a running lease, and no older unsent notice to the same person (or,
    for notices addressed to a chat, the same chat), whatever state that one is in. The
    partial indexes `ix_outbox_pending`, `ix_outbox_recipient_pending` and
    `ix_outbox_chat_pending` serve it."""
    c, older = _CANDIDATE.c, _OLDER.c
    older_to_person = (
        select(older.id)
        .where(
            older.recipient_id == c.recipient_id,
            older.id < c.id,
            _unsent(older),
            _in_lane(older, lane),
        )
        .correlate(_CANDIDATE)
        .exists()
    )
    older_to_chat = (
        select(older.id)
        .where(
            older.recipient_id.is_(None),
            older.chat_id == c.chat_id,
            older.id < c.id,
            _unsent(older),
            _in_lane(older, lane),
        )
        .correlate(_CANDIDATE)
        .exists()
    )
    return (
        select(c.id)
        .where(
            _unsent(c),
            _in_lane(c, lane),
            or_(c.not_before.is_(None), c.not_before <= now),
            or_(c.claimed_until.is_(None), c.claimed_until < now),
            or_(
                and_(c.recipient_id.is_not(None), ~older_to_person),
                and_(c.recipient_id.is_(None), ~older_to_chat),
            ),
        )
        .order_by(c.id)
        .limit(limit)
    )


@dataclass(slots=True)
class SqlOutbox:
    session: AsyncSession
    _queued: list[dict[str, Any]] = field(default_factory=list)
    """Rows `queue`d and not yet written: written together before anything else of the outbox
    is read or written, and at the latest when the unit of work commits (`flush`)."""

    async def queue(self, message: OutboxMessage) -> None:
        """Like `add`, without the id: the rows of a unit of work go in one statement."""
        self._queued.append(_outbox_values(message))

    async def flush(self) -> None:
        """Write what was queued, in the order queued (a person's notices go out in it)."""
        queued, self._queued = self._queued, []
        for deduped, run in groupby(queued, key=lambda v: v["dedupe_key"] is not None):
            rows = list(run)
            query: Any = (
                _insert_or_ignore(self.session, OutboxRow, None, ("dedupe_key",))
                if deduped
                else insert(_OUTBOX)
            )
            await self.session.execute(query, rows)

    async def add(self, message: OutboxMessage) -> OutboxMessage:
        """A message whose `dedupe_key` is already queued is not queued again: the queued one
        comes back."""
        await self.flush()
        values = _outbox_values(message)
        if message.dedupe_key is None:
            query: Any = insert(_OUTBOX).values(values)
        else:
            query = _insert_or_ignore(self.session, OutboxRow, values, ("dedupe_key",))
        message_id = await self.session.scalar(query.returning(_OUTBOX.c.id))
        if message_id is None:
            existing = (
                await self.session.scalars(
                    select(OutboxRow)
                    .where(OutboxRow.dedupe_key == message.dedupe_key)
                    .execution_options(populate_existing=True)
                )
            ).one()
            return _message(existing)
        return replace(message, id=message_id)

    async def pending(
        self, limit: int = 100, now: datetime | None = None
    ) -> Sequence[OutboxMessage]:
        """Unsent and not failed, oldest first; with `now`, only those not postponed past it.

        For inspection: claims are ignored (the sender uses `claim`)."""
        await self.flush()
        query = (
            select(OutboxRow)
            .where(OutboxRow.sent_at.is_(None), OutboxRow.failed.is_(None))
            .order_by(OutboxRow.id)
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        if now is not None:
            query = query.where((OutboxRow.not_before.is_(None)) | (OutboxRow.not_before <= now))
        return [_message(r) for r in await self.session.scalars(query)]

    async def claim(
        self,
        limit: int,
        now: datetime,
        lease: timedelta,
        *,
        by: str | None = None,
        lane: Lane | None = None,
    ) -> Sequence[OutboxMessage]:
        """Take what may be sent now for `lease`, oldest first (see `domain.ports.Outbox`).

        PostgreSQL: the candidates are locked `FOR UPDATE SKIP LOCKED` (a concurrent claimer
        passes them by instead of waiting), then leased, in one transaction. SQLite: one
        `UPDATE … RETURNING` under the single writer lock (`BEGIN IMMEDIATE`) does the same."""
        await self.flush()
        if limit <= 0:
            return []
        params = {
            "now": now,
            "limit": limit,
            "until": now + lease,
            "by": by or uuid.uuid4().hex,
        }
        postgres = _dialect(self.session) == "postgresql"
        candidates, lease_them = _claim_statements(lane, postgres)
        if postgres:
            ids = list(await self.session.scalars(candidates, params))
            if not ids:
                return []
            params["ids"] = ids
        rows = await self.session.execute(lease_them, params)
        return sorted((_message(r) for r in rows), key=lambda m: m.id or 0)

    async def release(self, message_ids: Sequence[int], by: str) -> None:
        if not message_ids:
            return
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(list(message_ids)), OutboxRow.claimed_by == by)
            .values(claimed_until=None, claimed_by=None)
            .execution_options(synchronize_session=False)
        )

    async def claimants(self, now: datetime) -> Sequence[str]:
        return list(
            await self.session.scalars(
                select(OutboxRow.claimed_by)
                .where(
                    _unsent(OutboxRow),
                    OutboxRow.claimed_by.is_not(None),
                    OutboxRow.claimed_until >= now,
                )
                .distinct()
                .order_by(OutboxRow.claimed_by)
            )
        )

    async def release_all(self, by: str) -> int:
        result = await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.claimed_by == by)
            .values(_UNCLAIMED)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result)

    async def unsent_cards(self, incident_id: int) -> Sequence[tuple[int, int]]:
        await self.flush()
        o = _OUTBOX.c
        rows = await self.session.execute(
            select(o.id, o.recipient_id)
            .where(
                o.incident_id == incident_id,
                o.kind == NoticeKind.CARD.value,
                o.recipient_id.is_not(None),
                o.sent_at.is_(None),
                o.failed.is_(None),
            )
            .order_by(o.id)
        )
        return [(i, r) for i, r in rows if r is not None]

    async def advance(self, message_id: int, progress: int, *, by: str, until: datetime) -> bool:
        result = await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id, OutboxRow.claimed_by == by, _unsent(OutboxRow))
            .values(progress=progress, claimed_until=until)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def mark_sent(self, message_id: int, at: datetime) -> None:
        await self.session.execute(_MARK_SENT, {"message_id": message_id, "at": at})

    async def mark_failed(self, message_id: int, reason: str) -> None:
        """Given up (a 403: the person blocked the bot); never sent again."""
        await self._set(
            message_id, OutboxRow.sent_at.is_(None), failed=reason, last_error=reason, **_UNCLAIMED
        )

    async def postpone(self, message_id: int, until: datetime, reason: str) -> None:
        """One more failed attempt; try again not before `until` (backoff, 429)."""
        await self._set(
            message_id,
            OutboxRow.sent_at.is_(None),
            not_before=until,
            attempts=OutboxRow.attempts + 1,
            last_error=reason,
            **_UNCLAIMED,
        )

    async def _set(self, message_id: int, *where: ColumnElement[bool], **values: Any) -> None:
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id, *where)
            .values(values)
            .execution_options(synchronize_session=False)
        )
