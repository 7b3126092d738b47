"""Each shipped profile's timeline from known starts, through the command line.

Schedule of every case unless it says otherwise (the example config): Mon-Thu 09:00-13:00 and
14:00-18:00, Fri 09:00-13:00 and 14:00-16:45, Moscow time; the Russian production calendar.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main

CONFIG = """
[organization]
name = "Тест"
timezone = "{zone}"
profile = "{profile}"

[calendar]
mon = ["09:00-13:00", "14:00-18:00"]
tue = ["09:00-13:00", "14:00-18:00"]
wed = ["09:00-13:00", "14:00-18:00"]
thu = ["09:00-13:00", "14:00-18:00"]
fri = ["09:00-13:00", "14:00-16:45"]
{extra}
"""


def config(
    tmp_path: Path, profile: str = "lipetsk", zone: str = "Europe/Moscow", extra: str = ""
) -> str:
    path = tmp_path / f"{profile}.toml"
    path.write_text(CONFIG.format(profile=profile, zone=zone, extra=extra), "utf-8")
    return str(path)


def deadlines(capsys: pytest.CaptureFixture[str], cfg: str, *args: str) -> dict[str, Any]:
    code = main(["deadlines", "--config", cfg, "--json", *args])
    out = capsys.readouterr().out
    assert code == 0, out
    doc: dict[str, Any] = json.loads(out)
    return doc


def dues(doc: dict[str, Any]) -> dict[str, str | None]:
    return {t["name"]: t["due"] for t in doc["timers"]}


LIPETSK_CASES = [
    # Friday 17:30: Friday's day ended at 16:45; Monday 09:00 + 30 min; answer: Monday's 8 h +
    # Tuesday 09:00-10:00; draft: 4 h back from Tuesday 10:00 = 1 h Tuesday + 3 h Monday → 15:00.
    (
        "friday evening",
        "2026-11-20T17:30:00+03:00",
        "2026-11-23T09:30:00+03:00",
        "2026-11-23T15:00:00+03:00",
        "2026-11-24T10:00:00+03:00",
    ),
    # Wednesday 30 Dec 2026 15:00: 3 h left that day; 31 Dec is a transferred day off, 1-8 Jan
    # holidays, 9-10 Jan weekend; Monday 11 Jan: 09:00-13:00 + 14:00-16:00 makes 9 h.
    (
        "before the new year",
        "2026-12-30T15:00:00+03:00",
        "2026-12-30T15:30:00+03:00",
        "2027-01-11T11:00:00+03:00",
        "2027-01-11T16:00:00+03:00",
    ),
    # Saturday 1 Nov 2025 worked for Monday 3 Nov and is shortened: 09:00-13:00, 14:00-17:00.
    # 6 h that day; 3 Nov day off, 4 Nov holiday; Wednesday 5 Nov 09:00-12:00.
    (
        "working saturday",
        "2025-11-01T10:00:00+03:00",
        "2025-11-01T10:30:00+03:00",
        "2025-11-01T16:00:00+03:00",
        "2025-11-05T12:00:00+03:00",
    ),
    # Inside lunch: the clock starts at 14:00.
    (
        "inside lunch",
        "2026-11-24T13:20:00+03:00",
        "2026-11-24T14:30:00+03:00",
        "2026-11-25T10:00:00+03:00",
        "2026-11-25T15:00:00+03:00",
    ),
    (
        "at three at night",
        "2026-11-24T03:00:00+03:00",
        "2026-11-24T09:30:00+03:00",
        "2026-11-24T15:00:00+03:00",
        "2026-11-25T10:00:00+03:00",
    ),
    # Thursday 30 April 2026 is shortened (1 May follows): 09:00-13:00, 14:00-17:00; 6 h left
    # from 10:00; 1-3 May off; Monday 4 May 09:00-12:00.
    (
        "30 april",
        "2026-04-30T10:00:00+03:00",
        "2026-04-30T10:30:00+03:00",
        "2026-04-30T16:00:00+03:00",
        "2026-05-04T12:00:00+03:00",
    ),
]


@pytest.mark.parametrize(("case", "detected", "route", "draft", "answer"), LIPETSK_CASES)
def test_lipetsk_timeline_from_known_starts(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    detected: str,
    route: str,
    draft: str,
    answer: str,
) -> None:
    doc = deadlines(capsys, config(tmp_path), "--detected", detected)
    got = dues(doc)
    assert (got["route"], got["draft"], got["answer"]) == (route, draft, answer), case
    assert got["approval"] is None and got["final_after_intermediate"] is None
    clauses = {t["name"]: t["clause"] for t in doc["timers"]}
    assert clauses["answer"] == "п. 8" and clauses["draft"] == "п. 9" and clauses["route"] == "п. 6"
    assert doc["warnings"] == []


def test_an_organisation_in_utc_plus_7_given_utc_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = deadlines(
        capsys, config(tmp_path, zone="Asia/Novosibirsk"), "--detected", "2026-11-24T02:00:00Z"
    )
    assert doc["detected"] == "2026-11-24T09:00:00+07:00"
    got = dues(doc)
    assert got["route"] == "2026-11-24T09:30:00+07:00"
    assert got["answer"] == "2026-11-25T10:00:00+07:00"


def test_a_configured_extra_day_off_is_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config(tmp_path, extra='extra_days_off = ["2026-11-25"]')
    # Tuesday 10:00: 7 h that day; Wednesday off by decision; Thursday 09:00-11:00.
    got = dues(deadlines(capsys, cfg, "--detected", "2026-11-24T10:00:00+03:00"))
    assert got["answer"] == "2026-11-26T11:00:00+03:00"


def test_bor_deadline_at_the_end_of_an_interval_is_that_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Friday evening; 12 working hours = Monday's 8 h + Tuesday 09:00-13:00, ending at lunch.
    doc = deadlines(capsys, config(tmp_path, "bor"), "--detected", "2026-11-20T17:30:00+03:00")
    got = dues(doc)
    assert got["answer"] == "2026-11-24T13:00:00+03:00"
    assert got["draft"] is None  # starts when the executor receives it (п. 9)
    assert {t["name"]: t["start"] for t in doc["timers"]}["draft"] == "assigned"


def test_myasnikovsky_counts_calendar_hours_over_the_weekend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    got = dues(
        deadlines(
            capsys, config(tmp_path, "myasnikovsky"), "--detected", "2026-11-20T17:30:00+03:00"
        )
    )
    # п. 7's 30 minutes are working minutes: Monday 09:00-09:30; п. 8's 24 hours plain hours,
    # and the draft 4 plain hours before them (п. 10).
    assert got["route"] == "2026-11-23T09:30:00+03:00"
    assert got["answer"] == "2026-11-21T17:30:00+03:00"
    assert got["draft"] == "2026-11-21T13:30:00+03:00"


def test_barnaul_takes_the_monitoring_systems_deadline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config(tmp_path, "barnaul")
    doc = deadlines(
        capsys,
        cfg,
        "--detected",
        "2026-11-24T10:00:00+03:00",
        "--external-deadline",
        "2026-11-24T17:00:00+03:00",
    )
    got = dues(doc)
    assert got["answer"] == "2026-11-24T17:00:00+03:00"
    # п. 4: the department prepares the answer by the monitoring system's deadline until the
    # controller sets an earlier one (п. 5, 6).
    assert got["draft"] == "2026-11-24T17:00:00+03:00"
    assert {t["name"]: t["settable"] for t in doc["timers"]}["draft"] is True
    assert {t["name"]: t["external"] for t in doc["timers"]}["answer"] is True
    assert dues(deadlines(capsys, cfg, "--detected", "2026-11-24T10:00:00+03:00"))["answer"] is None


def test_an_external_deadline_governs_lipetsk_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    got = dues(
        deadlines(
            capsys,
            config(tmp_path),
            "--detected",
            "2026-11-24T10:00:00+03:00",
            "--external-deadline",
            "2026-11-24T15:00:00+03:00",
        )
    )
    assert got["answer"] == "2026-11-24T15:00:00+03:00"
    # 4 h back would be before detection: п. 9 cannot be met and binds nobody; п. 8 does.
    assert got["draft"] is None


@pytest.mark.parametrize("flow", ["accounts", "incident"])
def test_gulkevichi_flows_start_their_clocks_at_the_heads_decision_and_receipt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flow: str
) -> None:
    doc = deadlines(
        capsys,
        config(tmp_path, "gulkevichi"),
        "--detected",
        "2026-11-24T10:00:00+03:00",
        "--flow",
        flow,
    )
    timers = {t["name"]: t for t in doc["timers"]}
    assert doc["flow"] == flow
    assert timers["route"]["start"] == "head_decided" and timers["route"]["length"] == "2h"
    assert timers["answer"]["length"] == ("2d" if flow == "accounts" else "8h")
    if flow == "accounts":  # 3.1.5: the structure's two days run from its receipt
        assert all(t["due"] is None for t in doc["timers"])
    else:  # 3.2.6: 8 working hours from the administration's receipt (Tue 10:00 → Wed 10:00)
        assert timers["answer"]["due"] == "2026-11-25T10:00:00+03:00"
        assert timers["answer"]["starts"] == ["detected"]
        assert timers["structure_total"]["starts"] == ["assigned"]  # 3.2.5: its receipt
        assert all(t["due"] is None for t in doc["timers"] if t["name"] != "answer")


def test_gulkevichi_emergencies_run_on_days_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config(tmp_path, "gulkevichi")
    ordinary = deadlines(capsys, cfg, "--detected", "2026-11-24T10:00:00+03:00")
    urgent = deadlines(
        capsys, cfg, "--detected", "2026-11-24T10:00:00+03:00", "--importance", "significant"
    )
    assert {t["clock"] for t in ordinary["timers"]} == {"working"}
    # 3.10: days off are worked with the usual hours; 3.3's 7 working days stay working days.
    assert {t["name"]: t["clock"] for t in urgent["timers"]} == {
        "route": "every_day",
        "draft": "every_day",
        "clarification": "every_day",
        "revision": "every_day",
        "answer": "every_day",
        "final_after_intermediate": "working",
    }


def test_a_year_without_a_decree_is_said_loudly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = deadlines(capsys, config(tmp_path), "--detected", "2028-03-01T10:00:00+03:00")
    assert len(doc["warnings"]) == 1
    assert "2028" in doc["warnings"][0]
    assert (
        "calendar.extra_days_off" in doc["warnings"][0]
        and "calendar.extra_workdays" in doc["warnings"][0]
    )
    code = main(
        ["deadlines", "--config", config(tmp_path), "--detected", "2028-03-01T10:00:00+03:00"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "WARNING" in out and "calendar.extra_workdays" in out


def test_text_output_lists_every_timer_with_its_clause(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["deadlines", "--config", config(tmp_path), "--detected", "2026-11-20T17:30:00+03:00"]
    )
    out = capsys.readouterr().out
    assert code == 0
    for name in (
        "route",
        "competence_return",
        "draft",
        "approval",
        "revision",
        "publication",
        "answer",
        "final_after_intermediate",
        "joint_part",
    ):
        assert name in out
    assert "answer                     п. 8         2026-11-24T10:00:00+03:00" in out
    assert "starts at published.intermediate, 7d working" in out
    # Every timer says its clock, and a window says it is no deadline to act.
    assert out.count("[clock working") == 9
    assert "competence_return" in out and "window: no breach by itself" in out
