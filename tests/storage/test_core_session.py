"""The units of work's session (storage.engine.CoreSession): a Core statement goes straight
to the connection of the session's transaction, an ORM one through the ORM, and both are one
transaction, committed or rolled back together."""

from __future__ import annotations

from typing import Any, cast

import pytest
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from storage.engine import CoreSession, Database
from storage.models import DepartmentRow


async def names(db: Database) -> list[str]:
    async with db.sessions() as session:
        return list(await session.scalars(select(DepartmentRow.name).order_by(DepartmentRow.id)))


async def test_core_goes_to_the_connection_orm_through_the_orm_in_one_transaction(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    through_orm: list[str] = []
    orm_execute = Session.execute

    def counted(self: Session, statement: Any, *args: Any, **kwargs: Any) -> Any:
        through_orm.append(type(statement).__name__)
        return orm_execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(Session, "execute", counted)
    table = cast(Table, DepartmentRow.__table__)
    async with db.sessions() as session:
        assert isinstance(session, CoreSession)
        await session.execute(insert(table).values(name="Отдел А"))  # Core
        assert through_orm == []
        rows = (await session.scalars(select(DepartmentRow))).all()  # ORM entities
        assert [r.name for r in rows] == ["Отдел А"] and through_orm == ["Select"]
        assert await session.scalar(select(func.count()).select_from(table)) == 1
        await session.rollback()  # both kinds in one transaction: nothing left
    assert await names(db) == []

    async with db.sessions() as session:
        await session.execute(insert(table).values(name="Отдел Б"))
        await session.commit()
        # After the commit a new transaction on a connection of its own.
        await session.execute(text("INSERT INTO departments (name) VALUES ('Отдел В')"))
        assert (await session.scalars(select(DepartmentRow.name))).all() == [
            "Отдел Б",
            "Отдел В",
        ]
        await session.commit()
        await session.execute(insert(table).values(name="Отдел Г"))
        await session.close()  # not committed: gone
    assert await names(db) == ["Отдел Б", "Отдел В"]
