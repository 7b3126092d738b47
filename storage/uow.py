"""One unit of work per use-case call: one session, one transaction, committed only on request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self
from weakref import WeakKeyDictionary

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import receipts
from domain.people import StaffMember
from storage.inbox import mark_handled
from storage.reports import SqlReportRepository
from storage.repositories import (
    DirectoryVersion,
    SqlCardRepository,
    SqlDepartmentRepository,
    SqlIncidentRepository,
    SqlInviteRepository,
    SqlOrganisationRepository,
    SqlOutbox,
    SqlReminderLog,
    SqlStaffRepository,
    SqlTimerRepository,
    StaffDirectory,
)

_DIRECTORIES: WeakKeyDictionary[async_sessionmaker[AsyncSession], StaffDirectory] = (
    WeakKeyDictionary()
)


def directory_of(sessions: async_sessionmaker[AsyncSession]) -> StaffDirectory:
    """The staff directory of the database these sessions open (one per process)."""
    directory = _DIRECTORIES.get(sessions)
    if directory is None:
        directory = _DIRECTORIES[sessions] = StaffDirectory()
    return directory


class SqlUnitOfWork:
    """`async with SqlUnitOfWork(sessions) as uow: ...; await uow.commit()`.

    Leaving without `commit()` rolls back. Not reusable: make one per use-case call.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session = session_factory()
        directory = directory_of(session_factory)
        self._directory = directory
        self._versions = versions = DirectoryVersion(self.session, directory)
        self.incidents = SqlIncidentRepository(self.session)
        self.staff = SqlStaffRepository(self.session, directory, versions)
        self.departments = SqlDepartmentRepository(self.session, directory, versions)
        self.invites = SqlInviteRepository(self.session)
        self.cards = SqlCardRepository(self.session)
        self.timers = SqlTimerRepository(self.session)
        self.reminders = SqlReminderLog(self.session)
        self.outbox = SqlOutbox(self.session)
        self.organisation = SqlOrganisationRepository(self.session)
        self.reports = SqlReportRepository(self.session)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        """Commit; the updates being handled (the inbox's receipt) are marked handled in the
        same transaction, so their effect and the record of it land together."""
        await self.outbox.flush()
        await self.timers.settle()
        receipt = receipts.current()
        recording = receipt is not None and not receipt.recorded and bool(receipt.update_ids)
        if receipt is not None and recording:
            await mark_handled(self.session, receipt.update_ids)
        await self.session.commit()
        if self._versions.wrote:  # readers in between may have kept the old staff: not trusted
            self._directory.forget()
        if receipt is not None and recording:
            receipt.recorded = True

    async def rollback(self) -> None:
        await self.session.rollback()


def unit_of_work_factory(
    session_factory: async_sessionmaker[AsyncSession],
) -> Callable[[], SqlUnitOfWork]:
    """What the use cases take as `uow_factory`."""
    return lambda: SqlUnitOfWork(session_factory)


def member_finder(
    session_factory: async_sessionmaker[AsyncSession],
) -> Callable[[int], Awaitable[StaffMember | None]]:
    """Who a Telegram user is on the staff, as `uow.staff.by_telegram` says, for the start of
    every update: the staff version is asked on a plain connection (the ORM session and unit
    of work cost a third as much again as the query) and the directory kept by the process is
    trusted at it; a unit of work reads the directory only when the version moved."""
    directory = directory_of(session_factory)
    engine = session_factory.kw["bind"]

    async def find(telegram_id: int) -> StaffMember | None:
        async with engine.connect() as connection:
            version = await DirectoryVersion(connection, directory).current()
        members = directory.members(version)
        if members is None:
            async with SqlUnitOfWork(session_factory) as uow:
                return await uow.staff.by_telegram(telegram_id)
        return next((m for m in members if m.telegram_id == telegram_id), None)

    return find
