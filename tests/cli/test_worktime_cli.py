from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.cli.test_deadlines import config

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_add_prints_the_moment_with_the_organisations_offset_as_its_last_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config(tmp_path, zone="Asia/Novosibirsk")
    code, out, _ = run(
        capsys,
        "worktime",
        "add",
        "--config",
        cfg,
        "--start",
        "2026-11-24T02:00:00Z",
        "--hours",
        "9",
    )
    assert code == 0
    assert out.strip().splitlines()[-1] == "2026-11-25T10:00:00+07:00"


def test_add_minutes_and_days(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config(tmp_path)
    _, out, _ = run(
        capsys,
        "worktime",
        "add",
        "--config",
        cfg,
        "--start",
        "2026-11-24T12:50:00+03:00",
        "--minutes",
        "30",
    )
    assert out.strip() == "2026-11-24T14:20:00+03:00"
    # "within 2 working days from the day of" Friday 20 Nov: the end of Tuesday 24 Nov.
    _, out, _ = run(
        capsys,
        "worktime",
        "add",
        "--config",
        cfg,
        "--start",
        "2026-11-20T10:00:00+03:00",
        "--days",
        "2",
    )
    assert out.strip() == "2026-11-24T18:00:00+03:00"


def test_between_prints_working_minutes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config(tmp_path)
    code, out, _ = run(
        capsys,
        "worktime",
        "between",
        "--config",
        cfg,
        "--start",
        "2026-11-20T16:00:00+03:00",
        "--end",
        "2026-11-23T10:00:00+03:00",
    )
    assert code == 0
    assert out.strip() == "105"  # Friday 16:00-16:45 and Monday 09:00-10:00


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["worktime", "add", "--start", "2026-11-24T10:00", "--hours", "1"], "UTC offset"),
        (["worktime", "add", "--start", "yesterday", "--hours", "1"], "not an ISO 8601 moment"),
        (["worktime", "add", "--start", "2026-11-24T10:00+03:00", "--hours", "-1"], "negative"),
        (["worktime", "add", "--start", "2026-11-24T10:00+03:00", "--days", "0"], "--days"),
        (
            [
                "worktime",
                "between",
                "--start",
                "2026-11-24T10:00+03:00",
                "--end",
                "2026-11-23T10:00+03:00",
            ],
            "before the start",
        ),
        (["deadlines", "--detected", "2026-11-24T10:00+03:00", "--flow", "nope"], "unknown flow"),
        (
            ["deadlines", "--detected", "2026-11-24T10:00+03:00", "--importance", "vital"],
            "invalid choice",
        ),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], problem: str
) -> None:
    code, out, err = (
        run(capsys, *args[:2], "--config", config(tmp_path), *args[2:])
        if args[0] == "worktime"
        else run(capsys, args[0], "--config", config(tmp_path), *args[1:])
    )
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert problem in err


def test_a_bad_config_names_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        Path(config(tmp_path)).read_text("utf-8").replace('"lipetsk"', '"omsk"'), "utf-8"
    )
    code, _, err = run(
        capsys, "deadlines", "--config", str(bad), "--detected", "2026-11-24T10:00+03:00"
    )
    assert code == 2
    assert "organization.profile" in err and "omsk" in err
    assert len(err.strip().splitlines()) == 1


def test_the_real_entry_point_exits_2_on_bad_input(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "worktime",
            "add",
            "--config",
            config(tmp_path),
            "--start",
            "2026-11-24T10:00",
            "--hours",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "UTC offset" in proc.stderr
