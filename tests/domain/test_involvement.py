"""Which approval steps and role-only statuses /tasks asks the database for
(`rulebook.involvement`): narrow enough that a curator is not handed every message under
approval, wide enough that `step_refusal` and `_publish` never find work outside it."""

from __future__ import annotations

from domain.incident import Status
from domain.people import StaffMember
from domain.profiles import shipped_profile
from domain.roles import Role
from domain.rulebook import approval_turns, involvement


def person(*roles: Role) -> StaffMember:
    return StaffMember(7, 7007, "Сотрудник", frozenset(roles), None)


def test_the_steps_that_can_be_a_persons() -> None:
    assert approval_turns(person(Role.CURATOR), ()) == {"curator", "external_curator"}
    assert approval_turns(person(Role.ADMIN), ()) == {"admin"}  # the curator's step is not theirs
    # A head's step is the head's or a deputy's (step_refusal: HEADS).
    assert approval_turns(person(Role.DEPUTY_HEAD), ()) == {"head", "deputy_head"}
    assert approval_turns(person(Role.EXECUTOR), ()) == {"executor"}
    # Standing in for someone may make a lead's or supervising deputy's step theirs (Lipetsk 5.2).
    assert approval_turns(person(Role.EXECUTOR), (12,)) == {
        "executor",
        "department_lead",
        "supervising_deputy",
    }


def test_role_only_statuses_follow_the_act() -> None:
    lipetsk = shipped_profile("lipetsk")  # publisher = "executor" (п. 12): a tie, not a role
    curator = involvement(person(Role.CURATOR), (), (), {}, lipetsk)
    assert curator.statuses == frozenset()
    assert "head" not in curator.turns
    head = involvement(person(Role.HEAD), (), (), {}, lipetsk)
    assert head.statuses == {Status.AWAITING_DECISION.value}
    publishers = {
        name: shipped_profile(name).publisher
        for name in ("barnaul", "bor", "gulkevichi", "lipetsk", "myasnikovsky")
    }
    curated = [name for name, role in publishers.items() if role is Role.CURATOR]
    assert curated  # Barnaul, Bor, Gulkevichi, Myasnikovsky
    for name in curated:
        found = involvement(person(Role.CURATOR), (), (), {}, shipped_profile(name))
        assert Status.APPROVED.value in found.statuses, name
