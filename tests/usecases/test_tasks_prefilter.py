"""/tasks asks the database only for the open messages tied to the person
(`rulebook.involvement`): that must never hide a task. For every shipped act, messages at every
stage (new, with the head, assigned, in work, a joint answer, under approval, approved), and
every person: the tasks found among the tied messages are the tasks found among all of them,
with the approval step kept beside each message (`Incident.turn`) and without it."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

import pytest

from domain.errors import DomainError
from domain.incident import Incident, Source
from domain.people import StaffMember
from domain.profiles import SHIPPED
from domain.roles import Role
from domain.services import Services
from handlers.lists import _mine
from tests.fakes import FakeUnitOfWork
from tests.usecases.conftest import MSK, RULERS, World, build_world
from tests.usecases.test_answering import answering, drafted, iid, in_work


def post(n: int) -> Source:
    return Source(
        network="vk",
        url=f"https://vk.com/wall-7_{n}",
        author=f"Автор {n}",
        text=f"Во дворе дома {n} не вывозят мусор уже неделю",
    )


async def stage(make: Callable[[], Awaitable[object]]) -> None:
    """A stage the act does not have (no head's decision, another chain) is skipped."""
    with contextlib.suppress(DomainError):
        await make()


async def messages_at_every_stage(world: World, services: Services) -> None:
    routing, answers = world.routing, services.answering
    await routing.register_post(100, post(1))  # new
    second = (await routing.register_post(100, post(2))).incident
    await stage(lambda: routing.send_to_head(100, iid(second), second.version))
    third = (await routing.register_post(100, post(3))).incident
    roads = world.roads.id or 0

    async def assigned() -> Incident:
        return await routing.assign(100, iid(third), third.version, [roads])

    await stage(assigned)
    await stage(lambda: in_work(world, post=post(4)))
    await stage(lambda: in_work(world, [world.roads, world.housing], post=post(5)))

    async def under_approval() -> None:
        await drafted(answers, await in_work(world, post=post(6)))

    await stage(under_approval)

    async def approved() -> None:
        inc = await drafted(answers, await in_work(world, post=post(7)))
        for tg in (100, 200, 201, 302):
            try:
                inc = await answers.approve(tg, iid(inc), inc.version)
            except DomainError:
                continue

    await stage(approved)

    async def midway() -> None:  # a chain of several steps, its first agreed: the next one's
        inc = await drafted(answers, await in_work(world, post=post(8)))
        for tg in (100, 200, 201, 302):
            try:
                await answers.approve(tg, iid(inc), inc.version)
            except DomainError:
                continue
            return

    await stage(midway)

    async def parts_in() -> None:  # a joint answer whose parts are in: its writer's turn
        inc = await in_work(world, [world.roads, world.housing], post=post(9))
        inc = await answers.submit_part(300, iid(inc), inc.version, "Дороги: яма заделана", [])
        await answers.submit_part(400, iid(inc), inc.version, "ЖКХ: люк заменён", [])

    await stage(parts_in)


@pytest.mark.parametrize("profile", SHIPPED)
async def test_the_tied_messages_hold_every_task(profile: str) -> None:
    world = await build_world(profile)
    store = world.store
    services = Services(
        uow_factory=lambda: FakeUnitOfWork(store),
        answering=answering(world),
        clock=world.clock,
        profile=world.routing.profile,
        rulers=RULERS,
        zone=MSK,
        routing=world.routing,
        organization="Тестовая администрация",
        new_token=lambda: "token",
    )
    async with FakeUnitOfWork(store) as uow:  # a curator who registered none of them
        other_curator = await uow.staff.add(
            StaffMember(None, 101, "Куратор Вторая", frozenset({Role.CURATOR}))
        )
        await uow.commit()
    await messages_at_every_stage(world, services)
    people = [
        world.curator,
        other_curator,
        world.head,
        world.deputy,
        world.ivanov,
        world.petrov,
        world.sidorova,
        world.lead,
    ]
    found = 0
    for person in people:
        narrow = [iid(i) for i, _ in await _mine(services, person)]
        wide = [iid(i) for i, _ in await _mine(services, person, narrow=False)]
        assert sorted(narrow) == sorted(wide), person.full_name
        found += len(wide)
    assert found >= 5  # the stages gave people work: the comparison compared something

    # Messages kept before their approval step was (NULL, migration 0010) are anyone's.
    for incident in store.incidents.values():
        incident.turn = None
    for person in people:
        narrow = [iid(i) for i, _ in await _mine(services, person)]
        wide = [iid(i) for i, _ in await _mine(services, person, narrow=False)]
        assert sorted(narrow) == sorted(wide), person.full_name
