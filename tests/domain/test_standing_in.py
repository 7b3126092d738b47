"""Whom a person acts for (Lipetsk 5.2: the substitute of someone away). `acting_ids` follows
only the people who are away, blocked or inactive (every card asks it of all the staff); it must
give what following every member's chain of substitutes gives."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.people import Absence, AbsenceKind, StaffMember, on_duty
from domain.roles import Role
from domain.rulebook import acting_ids

DAY = date(2026, 12, 7)


@st.composite
def staffs(draw: st.DrawFn) -> list[StaffMember]:
    n = draw(st.integers(1, 9))
    members = []
    for i in range(1, n + 1):
        away = draw(st.sampled_from([None, -2, 0, 3]))
        absences = (
            ()
            if away is None
            else (
                Absence(
                    AbsenceKind.LEAVE, DAY + timedelta(days=away), DAY + timedelta(days=away + 1)
                ),
            )
        )
        members.append(
            StaffMember(
                id=i,
                telegram_id=1000 + i,
                full_name=f"p{i}",
                roles=frozenset({Role.EXECUTOR}),
                substitute_id=draw(st.one_of(st.none(), st.integers(1, n + 1))),
                absences=absences,
                active=draw(st.booleans()) or draw(st.booleans()),
                blocked_bot=draw(st.integers(0, 4)) == 0,
            )
        )
    return members


@settings(max_examples=300, deadline=None)
@given(staffs())
def test_whom_each_person_acts_for_is_what_every_chain_gives(staff: list[StaffMember]) -> None:
    by_id = {m.id: m for m in staff if m.id is not None}
    for person in staff:
        expected = set()
        for member in staff:
            acting = on_duty(member, DAY, by_id).acting
            if member.id != person.id and acting is not None and acting.id == person.id:
                expected.add(member.id)
        assert acting_ids(person, staff, DAY) == expected


def test_the_substitute_of_someone_away_acts_for_them_and_nobody_else_does() -> None:
    away = StaffMember(
        1,
        11,
        "away",
        frozenset({Role.EXECUTOR}),
        substitute_id=2,
        absences=(Absence(AbsenceKind.SICK_LEAVE, DAY, DAY),),
    )
    sub = StaffMember(2, 12, "sub", frozenset({Role.EXECUTOR}), substitute_id=3)
    other = StaffMember(3, 13, "other", frozenset({Role.EXECUTOR}), substitute_id=2)
    staff = [away, sub, other]
    assert acting_ids(sub, staff, DAY) == {1}
    assert acting_ids(other, staff, DAY) == set()
    assert acting_ids(sub, staff, DAY + timedelta(days=1)) == set()
