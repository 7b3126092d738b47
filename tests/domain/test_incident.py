from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import RoleNotAllowed, StaleVersion, TransitionNotAllowed
from domain.incident import (
    OPEN,
    TERMINAL,
    TRANSITIONS,
    Action,
    Actor,
    Incident,
    Source,
    Status,
    allowed_actions,
)
from domain.profiles import shipped_profile
from domain.roles import Role

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make(status: Status = Status.NEW, profile: str = "lipetsk") -> Incident:
    return Incident(
        id=1,
        profile=profile,
        flow="default",
        source=Source(network="vk"),
        detected_at=T0,
        status=status,
    )


def actor(*roles: Role) -> Actor:
    return Actor(person_id=7, roles=frozenset(roles))


ALL_ROLES = frozenset(Role)


FORBIDDEN = [(s, a) for a in TRANSITIONS for s in Status if s not in TRANSITIONS[a].sources]


@pytest.mark.parametrize(("status", "action"), FORBIDDEN)
def test_every_forbidden_transition_is_refused_and_changes_nothing(
    status: Status, action: Action
) -> None:
    incident = make(status)
    with pytest.raises(TransitionNotAllowed):
        incident.apply(action, Actor(1, ALL_ROLES), T0)
    assert incident.status is status
    assert incident.version == 0
    assert incident.history == []


FIXED_ROLES = [a for a, t in TRANSITIONS.items() if t.roles]
BY_PROFILE = [a for a, t in TRANSITIONS.items() if not t.roles]


def test_approvals_and_publications_are_the_profiles_to_give() -> None:
    """Who approves or publishes is the profile's (its chain, its publisher): the rulebook
    checks it, the table names no role for it."""
    assert set(BY_PROFILE) == {
        Action.APPROVE_STEP,
        Action.APPROVE,
        Action.REQUEST_REVISION,
        Action.PUBLISH_FINAL,
        Action.PUBLISH_INTERMEDIATE,
        Action.PUBLISH_CLARIFICATION,
        Action.PUBLICATION_FAILED,
    }


@pytest.mark.parametrize("action", FIXED_ROLES)
def test_every_transition_refuses_roles_it_does_not_name(action: Action) -> None:
    transition = TRANSITIONS[action]
    others = ALL_ROLES - transition.roles
    source = sorted(transition.sources)[0]
    incident = make(source)
    with pytest.raises(RoleNotAllowed):
        incident.apply(action, Actor(1, others), T0)
    assert incident.status is source
    assert incident.history == []


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_every_allowed_transition_moves_and_appends_one_history_entry(action: Action) -> None:
    transition = TRANSITIONS[action]
    for source in transition.sources:
        incident = make(source)
        role = sorted(transition.roles)[0] if transition.roles else Role.CURATOR
        entry = incident.apply(action, actor(role), T0 + timedelta(minutes=5), payload={"why": "x"})
        expected = source if transition.target is None else transition.target
        assert incident.status is expected
        assert incident.version == 1
        assert incident.history == [entry]
        assert (entry.from_status, entry.to_status, entry.action) == (source, expected, action)
        assert entry.actor_id == 7
        assert entry.payload == {"why": "x"}


def test_history_entry_cites_the_profile_clause() -> None:
    incident = make(Status.UNDER_APPROVAL)
    incident.clauses = dict(shipped_profile("lipetsk").clauses)
    entry = incident.apply(Action.APPROVE, actor(Role.CURATOR), T0)
    assert entry.clause == "п. 10"
    bor = make(Status.UNDER_APPROVAL, profile="bor")
    bor.clauses = dict(shipped_profile("bor").clauses)
    assert bor.apply(Action.APPROVE, actor(Role.HEAD), T0).clause == "п. 9"


def test_configured_profile_clause_overrides_the_table() -> None:
    incident = make(Status.UNDER_APPROVAL, profile="custom")
    incident.clauses = {Action.APPROVE: "ст. 4.2"}
    assert incident.apply(Action.APPROVE, actor(Role.HEAD), T0).clause == "ст. 4.2"


def test_second_press_on_an_old_card_loses_with_stale_version() -> None:
    incident = make(Status.UNDER_APPROVAL)
    incident.apply(Action.APPROVE, actor(Role.CURATOR), T0, expected_version=0)
    with pytest.raises(StaleVersion) as info:
        incident.apply(Action.REQUEST_REVISION, actor(Role.CURATOR), T0, expected_version=0)
    assert info.value.last_actor == 7
    assert incident.status is Status.APPROVED
    assert len(incident.history) == 1


def test_naive_moments_are_refused() -> None:
    incident = make()
    with pytest.raises(ValueError, match="timezone-aware"):
        incident.apply(Action.TAG, actor(Role.CURATOR), datetime(2026, 1, 1, 9, 0))  # noqa: DTZ001
    naive = datetime(2026, 1, 1)  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        Incident(id=None, profile="x", flow="y", source=Source("vk"), detected_at=naive)


def test_terminal_statuses_allow_only_recording_the_reaction() -> None:
    for status in TERMINAL:
        assert set(allowed_actions(status)) <= {Action.RECORD_REACTION}


def test_every_open_status_can_be_left() -> None:
    for status in OPEN:
        moves = [a for a in allowed_actions(status) if TRANSITIONS[a].target not in (None, status)]
        assert moves, f"{status} is a dead end"


def test_whole_lipetsk_path_from_detection_to_closing() -> None:
    incident = make()
    curator, executor = actor(Role.CURATOR), actor(Role.EXECUTOR)
    steps = [
        (Action.TAG, curator),
        (Action.ASSIGN, curator),
        (Action.ACCEPT, executor),
        (Action.SUBMIT_DRAFT, executor),
        (Action.REQUEST_REVISION, curator),
        (Action.SUBMIT_DRAFT, executor),
        (Action.APPROVE, curator),
        (Action.PUBLISH_INTERMEDIATE, executor),
        (Action.SUBMIT_DRAFT, executor),
        (Action.APPROVE, curator),
        (Action.PUBLISH_FINAL, executor),
        (Action.CLOSE, curator),
    ]
    for action, who in steps:
        incident.apply(action, who, T0)
    assert incident.status is Status.CLOSED
    assert [h.action for h in incident.history] == [a for a, _ in steps]
    assert incident.version == len(steps)


def test_detection_is_the_first_history_entry_and_never_in_the_future() -> None:
    curator = actor(Role.CURATOR)
    incident = Incident.detect(
        profile="lipetsk",
        flow="default",
        source=Source("vk"),
        detected_at=T0 - timedelta(hours=1),
        curator=curator,
        at=T0,
    )
    assert [h.action for h in incident.history] == [Action.DETECT]
    assert incident.status is Status.NEW and incident.version == 0
    with pytest.raises(ValueError, match="future"):
        Incident.detect(
            profile="lipetsk",
            flow="default",
            source=Source("vk"),
            detected_at=T0 + timedelta(minutes=1),
            curator=curator,
            at=T0,
        )


def test_detect_is_not_an_action_anyone_can_apply() -> None:
    incident = make()
    with pytest.raises(TransitionNotAllowed):
        incident.apply(Action.DETECT, actor(Role.CURATOR), T0)
    assert incident.history == []
