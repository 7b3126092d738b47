"""The staff directory (#13): the staff is read once per process, and again only when the
database's staff version moved — whoever changed it, this process or another on the database
(a worker beside the polling bot): the next unit of work sees the change."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.people import StaffMember
from domain.roles import Role
from storage import metering
from storage.engine import Database, create_engine, session_factory
from storage.uow import directory_of, member_finder


async def count_reads(db: Database, telegram_id: int) -> tuple[StaffMember | None, int]:
    meter = metering.start()
    async with db.unit_of_work() as uow:
        member = await uow.staff.by_telegram(telegram_id)
    return member, meter.statements


async def test_the_staff_is_read_once_and_a_change_here_is_seen_at_once(db: Database) -> None:
    async with db.unit_of_work() as uow:
        anna = await uow.staff.add(StaffMember(None, 701, "Анна", frozenset({Role.CURATOR})))
        await uow.commit()
    first, cold = await count_reads(db, 701)
    again, warm = await count_reads(db, 701)
    assert first == again == anna
    assert cold >= 3 and warm == 1  # the second update asks only for the version
    async with db.unit_of_work() as uow:
        await uow.staff.update(replace(anna, roles=frozenset({Role.CURATOR, Role.HEAD})))
        # Inside the unit of work that changed it, its own change is read.
        mine = await uow.staff.by_telegram(701)
        assert mine is not None and Role.HEAD in mine.roles
        await uow.commit()
    changed, reads = await count_reads(db, 701)
    assert changed is not None and Role.HEAD in changed.roles and reads >= 1


async def test_a_rolled_back_change_is_never_kept(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await uow.staff.add(StaffMember(None, 702, "Борис", frozenset({Role.EXECUTOR})))
        await uow.commit()
    async with db.unit_of_work() as uow:
        boris = await uow.staff.by_telegram(702)
        assert boris is not None
        await uow.staff.update(replace(boris, active=False))
        await uow.rollback()
    kept, _ = await count_reads(db, 702)
    assert kept is not None and kept.active


async def test_another_processs_change_is_seen_by_the_next_unit_of_work(db: Database) -> None:
    other_engine = create_engine(db.url)
    other = Database(db.url, other_engine, session_factory(other_engine))
    try:
        async with db.unit_of_work() as uow:
            await uow.staff.add(StaffMember(None, 703, "Вера", frozenset({Role.EXECUTOR})))
            await uow.commit()
        assert (await count_reads(db, 703))[0] is not None
        assert directory_of(db.sessions) is not directory_of(other.sessions)
        async with other.unit_of_work() as uow:  # another bot instance on the same database
            vera = await uow.staff.by_telegram(703)
            assert vera is not None
            await uow.staff.update(replace(vera, blocked_bot=True))
            await uow.commit()
        fresh, reads = await count_reads(db, 703)
        assert fresh is not None and fresh.blocked_bot and reads >= 3
        again, reads = await count_reads(db, 703)
        assert again == fresh and reads == 1
    finally:
        await other.close()


async def test_one_update_asks_for_the_version_once_and_sees_its_own_change(db: Database) -> None:
    """The staff middleware's unit of work and the use case's share the update's look at the
    version (the receipt in the context); a change made by a unit of work of the update makes
    the next one ask again, and it reads the change."""
    from domain import receipts
    from domain.people import Department

    async with db.unit_of_work() as uow:
        await uow.staff.add(StaffMember(None, 704, "Галина", frozenset({Role.CURATOR})))
        await uow.departments.add(Department(None, "Управление дорог"))
        await uow.commit()
    await count_reads(db, 704)  # warm the directory
    async with db.unit_of_work() as uow:
        await uow.departments.all()
    with receipts.holding(receipts.Receipt((1,))):
        _, first = await count_reads(db, 704)
        meter = metering.start()
        async with db.unit_of_work() as uow:
            galina = await uow.staff.by_telegram(704)
            roads = (await uow.departments.all())[0]
        assert galina is not None and meter.statements == 0  # nothing asked again
        async with db.unit_of_work() as uow:
            await uow.departments.update(replace(roads, lead_id=galina.id))
            await uow.commit()
        meter = metering.start()
        async with db.unit_of_work() as uow:
            led = await uow.departments.get(roads.id or 0)
        assert led is not None and led.lead_id == galina.id
        assert meter.statements == 2  # the version, then the departments again
    assert first == 1
    with receipts.holding(receipts.Receipt((2,))):  # the staff is read again: the version moved
        _, reads = await count_reads(db, 704)
    assert reads >= 3
    with receipts.holding(receipts.Receipt((3,))):  # and the next update asks once more
        _, reads = await count_reads(db, 704)
    assert reads == 1


async def test_another_processs_department_change_is_seen(db: Database) -> None:
    from domain.people import Department

    other_engine = create_engine(db.url)
    other = Database(db.url, other_engine, session_factory(other_engine))
    try:
        async with db.unit_of_work() as uow:
            roads = await uow.departments.add(Department(None, "Управление дорог"))
            await uow.commit()
        async with db.unit_of_work() as uow:
            assert [d.name for d in await uow.departments.all()] == ["Управление дорог"]
        async with other.unit_of_work() as uow:
            await uow.departments.update(replace(roads, name="Управление дорог и транспорта"))
            await uow.commit()
        async with db.unit_of_work() as uow:
            assert [d.name for d in await uow.departments.all()] == [
                "Управление дорог и транспорта"
            ]
    finally:
        await other.close()


async def test_a_change_made_in_another_task_of_the_update_is_read_after_it(db: Database) -> None:
    """A task started by the update's handler has a copy of its context: its change cannot
    clear the update's look at the version, so the change forgets the process's copy."""
    import asyncio

    from domain import receipts

    async with db.unit_of_work() as uow:
        await uow.staff.add(StaffMember(None, 705, "Дарья", frozenset({Role.EXECUTOR})))
        await uow.commit()
    with receipts.holding(receipts.Receipt((7,))):
        darya, _ = await count_reads(db, 705)  # the update's look at the version
        assert darya is not None

        async def block() -> None:
            async with db.unit_of_work() as uow:
                await uow.staff.update(replace(darya, blocked_bot=True))
                await uow.commit()

        await asyncio.create_task(block())
        after, _ = await count_reads(db, 705)
    assert after is not None and after.blocked_bot


async def test_what_a_unit_of_work_reads_after_its_own_change_is_never_kept(db: Database) -> None:
    """A unit of work that changed a department and then read the staff must not keep them
    under its own, uncommitted version: rolled back, that version is the next change's."""
    from domain.people import Department

    other_engine = create_engine(db.url)
    other = Database(db.url, other_engine, session_factory(other_engine))
    try:
        async with db.unit_of_work() as uow:
            elena = await uow.staff.add(StaffMember(None, 706, "Елена", frozenset({Role.EXECUTOR})))
            await uow.commit()
        await count_reads(db, 706)
        async with db.unit_of_work() as uow:
            await uow.departments.add(Department(None, "Отдел, которого не будет"))
            assert await uow.staff.by_telegram(706) is not None
            await uow.rollback()
        async with other.unit_of_work() as uow:  # the next change: the same version number
            await uow.staff.update(replace(elena, roles=frozenset({Role.CURATOR})))
            await uow.commit()
        seen, _ = await count_reads(db, 706)
        assert seen is not None and seen.roles == {Role.CURATOR}
    finally:
        await other.close()


async def test_staff_read_while_a_change_is_uncommitted_is_not_trusted_after_it(
    db: Database,
) -> None:
    """A unit of work of the update reads (and keeps) the staff while another one's change is
    not committed yet: once it is, the update's next unit of work reads the change."""
    from domain import receipts

    async with db.unit_of_work() as uow:
        fedor = await uow.staff.add(StaffMember(None, 707, "Фёдор", frozenset({Role.EXECUTOR})))
        await uow.commit()
    with receipts.holding(receipts.Receipt((8,))):
        async with db.unit_of_work() as changing:
            await changing.staff.update(replace(fedor, blocked_bot=True))
            before, _ = await count_reads(db, 707)  # the old staff, kept under the old version
            assert before is not None and not before.blocked_bot
            await changing.commit()
        after, _ = await count_reads(db, 707)
    assert after is not None and after.blocked_bot


async def test_the_member_finder_answers_as_the_unit_of_work_does_on_a_plain_connection(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`member_finder` (the staff middleware's, at every update): the version on a plain
    connection, no session; the directory read by a unit of work only when the version moved,
    also by another process; the update's units of work do not ask the version again."""
    from domain import receipts

    other_engine = create_engine(db.url)
    other = Database(db.url, other_engine, session_factory(other_engine))
    find = member_finder(db.sessions)
    sessions: list[object] = []
    opened = db.sessions.class_.__init__

    def counting(self: object, *args: object, **kwargs: object) -> None:
        sessions.append(self)
        opened(self, *args, **kwargs)  # type: ignore[arg-type]

    try:
        async with db.unit_of_work() as uow:
            dina = await uow.staff.add(StaffMember(None, 706, "Дина", frozenset({Role.HEAD})))
            await uow.commit()
        meter = metering.start()
        assert await find(706) == dina and await find(999) is None
        assert meter.statements >= 3  # cold: the directory read once
        monkeypatch.setattr(db.sessions.class_, "__init__", counting)
        with receipts.holding(receipts.Receipt((7,))):
            meter = metering.start()
            assert await find(706) == dina
            assert meter.statements == 1 and sessions == []  # the version, no session
            async with db.unit_of_work() as uow:
                assert await uow.staff.by_telegram(706) == dina
            assert meter.statements == 1  # the use case trusts the update's look
        monkeypatch.undo()
        async with other.unit_of_work() as uow:  # another instance blocks her
            await uow.staff.update(replace(dina, active=False))
            await uow.commit()
        meter = metering.start()
        seen = await find(706)
        assert seen is not None and not seen.active and meter.statements >= 3
    finally:
        await other.close()
