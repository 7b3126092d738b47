from __future__ import annotations

from typing import Any

import pytest

from domain.durations import ClockKind, Duration
from domain.errors import ConfigError
from domain.profiles import (
    SHIPPED,
    Holder,
    TimerStart,
    Trigger,
    build_profile,
    load_shipped,
    shipped_profile,
)
from domain.roles import Role


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_timer_cites_its_clause(name: str) -> None:
    profile = shipped_profile(name)
    assert profile.flows
    for flow in profile.flows.values():
        assert flow.timers, f"{name}/{flow.name} has no timers"
        for timer in flow.timers.values():
            assert timer.clause.startswith("п. "), (name, timer.name)


def test_lipetsk_follows_decree_203() -> None:
    flow = shipped_profile("lipetsk").flow()
    t = flow.timers
    assert (t["route"].length, t["route"].start, t["route"].clause) == (
        Duration(30),
        (Trigger(TimerStart.DETECTED),),
        "п. 6",
    )
    assert (t["answer"].length, t["answer"].clause) == (Duration(9 * 60), "п. 8")
    assert (t["draft"].before, t["draft"].length) == ("answer", Duration(4 * 60))
    assert t["approval"].length == Duration(60) and t["approval"].holder is Holder.APPROVER
    assert t["final_after_intermediate"].length == Duration(days=7)
    assert t["joint_part"].length == Duration(120)


def test_bor_has_the_head_decide_and_approve() -> None:
    profile = shipped_profile("bor")
    assert profile.flow().head_decision
    assert profile.approval_chain == (Role.HEAD,)
    assert profile.flow().timers["answer"].length == Duration(12 * 60)


def test_gulkevichi_has_two_flows_and_emergencies_on_days_off() -> None:
    profile = shipped_profile("gulkevichi")
    assert set(profile.flows) == {"accounts", "incident"}
    assert profile.flow("accounts").timers["answer"].length == Duration(days=2)
    assert profile.flow("incident").timers["answer"].length == Duration(8 * 60)
    assert profile.emergency_on_days_off
    with pytest.raises(ConfigError, match="unknown flow 'nope'"):
        profile.flow("nope")


def test_myasnikovsky_counts_plain_hours_for_the_answer_and_working_minutes_for_its_steps() -> None:
    flow = shipped_profile("myasnikovsky").flow()
    clocks = {name: t.clock for name, t in flow.timers.items()}
    assert clocks == {
        "route": ClockKind.WORKING,
        "draft": ClockKind.CALENDAR,
        "approval": ClockKind.WORKING,
        "revision": ClockKind.WORKING,
        "answer": ClockKind.CALENDAR,
    }
    assert flow.timers["answer"].length == Duration(24 * 60)


def test_barnaul_deadline_comes_from_the_monitoring_system() -> None:
    profile = shipped_profile("barnaul")
    answer = profile.flow().timers["answer"]
    assert answer.external_governs and answer.length is None
    assert profile.approval_chain == (Role.SUPERVISING_DEPUTY, Role.CURATOR, Role.EXTERNAL_CURATOR)
    assert profile.not_subject_to_external


def sixth() -> dict[str, Any]:
    return {
        "title": "Администрация N",
        "approval_chain": ["curator", "head"],
        "publisher": "curator",
        "flows": {
            "main": {
                "timers": {
                    "answer": {
                        "clause": "п. 5",
                        "start": "detected",
                        "length": "10h",
                        "holder": "executor",
                    },
                    "draft": {
                        "clause": "п. 4",
                        "before": "answer",
                        "length": "3h",
                        "holder": "executor",
                    },
                }
            }
        },
    }


def test_a_sixth_profile_can_be_written_as_data() -> None:
    profile = build_profile("sixth", sixth())
    assert profile.default_flow == "main"
    assert list(profile.flow().timers) == ["draft", "answer"]


def test_a_profile_can_extend_a_shipped_one() -> None:
    profile = build_profile(
        "mine",
        {
            "extends": "lipetsk",
            "title": "Моя администрация",
            "flows": {"default": {"timers": {"answer": {"length": "8h"}}}},
        },
    )
    assert profile.flow().timers["answer"].length == Duration(8 * 60)
    assert profile.flow().timers["answer"].clause == "п. 8"
    assert profile.title == "Моя администрация"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda d: d.update(colour="red"), "profiles.sixth.colour"),
        (
            lambda d: d["flows"]["main"]["timers"]["answer"].update(length="10hh"),
            "profiles.sixth.flows.main.timers.answer.length",
        ),
        (
            lambda d: d["flows"]["main"]["timers"]["draft"].update(before="publication"),
            "profiles.sixth.flows.main.timers.draft.before",
        ),
        (
            lambda d: d["flows"]["main"]["timers"]["answer"].update(start="lunch"),
            "profiles.sixth.flows.main.timers.answer.start[0]",
        ),
        (
            lambda d: d["flows"]["main"]["timers"]["answer"].update(start="head_decided"),
            "profiles.sixth.flows.main.timers.answer.start",
        ),
        (
            lambda d: d["flows"]["main"]["timers"]["answer"].update(holder="janitor"),
            "profiles.sixth.flows.main.timers.answer.holder",
        ),
        (
            lambda d: d["flows"]["main"]["timers"]["answer"].update(frequency=3),
            "profiles.sixth.flows.main.timers.answer.frequency",
        ),
        (
            lambda d: d.update(approval_chain=["curator", "pope"]),
            "profiles.sixth.approval_chain[1]",
        ),
        (lambda d: d.update(approval_chain=[]), "profiles.sixth.approval_chain"),
        (
            lambda d: d["flows"]["main"]["timers"]["answer"].pop("length"),
            "profiles.sixth.flows.main.timers.answer.length",
        ),
        (lambda d: d.update(clauses={"fly": "п. 1"}), "profiles.sixth.clauses.fly"),
        (lambda d: d.update(default_flow="other"), "profiles.sixth.default_flow"),
    ],
)
def test_validation_names_the_bad_key(change: Any, key: str) -> None:
    data = sixth()
    change(data)
    with pytest.raises(ConfigError) as info:
        build_profile("sixth", data)
    assert info.value.key == key


def test_unknown_shipped_profile_is_named() -> None:
    with pytest.raises(ConfigError, match="unknown profile 'omsk'"):
        load_shipped("omsk")


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_timer_states_its_clock_and_what_starts_and_stops_it(name: str) -> None:
    """No shipped timer leans on a default: its clock, its events and its clause are written
    beside it in the profile, where an auditor reads them."""
    for flow in load_shipped(name)["flows"].values():
        for timer_name, timer in flow["timers"].items():
            assert timer.get("clock") in {"working", "calendar", "every_day"}, timer_name
            assert timer.get("start") and timer.get("stop"), timer_name
            assert timer.get("clause"), timer_name
