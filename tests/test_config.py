from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.config import load_settings
from domain.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]

MINIMAL = """
[organization]
name = "Администрация"
timezone = "Europe/Moscow"
profile = "lipetsk"

[calendar]
mon = ["09:00-13:00", "14:00-18:00"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, "utf-8")
    return path


def test_a_file_of_organization_and_calendar_alone_is_valid(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL))
    assert settings.profile().name == "lipetsk"
    assert settings.calendar.preholiday_shortening_minutes == 60
    assert settings.calendar.week()[0] == ((540, 780), (840, 1080))
    assert settings.calendar.week()[5] == ()
    assert settings.storage.upgrade_at_start is True
    assert settings.telegram.api_base == "https://api.telegram.org"


def test_the_example_config_is_valid() -> None:
    settings = load_settings(ROOT / "config.example.toml")
    assert settings.calendar.week()[4] == ((540, 780), (840, 1005))


def test_days_off_hours_default_to_the_most_common_weekday_schedule(tmp_path: Path) -> None:
    # MINIMAL names only Monday; Tuesday..Friday keep the default day, like Monday.
    settings = load_settings(write(tmp_path, MINIMAL))
    assert settings.calendar.days_off_hours is None
    assert settings.calendar.days_off_schedule() == ((540, 780), (840, 1080))
    # Tuesday and Friday share 10:00-14:00: it beats Monday and Thursday (Wednesday is off).
    text = MINIMAL.replace(
        'mon = ["09:00-13:00", "14:00-18:00"]',
        'mon = ["08:00-17:00"]\ntue = ["10:00-14:00"]\nwed = []\nthu = ["14:00-18:00", "10:00-13:00"]\n'
        'fri = ["10:00-14:00"]',
    )
    calendar = load_settings(write(tmp_path, text)).calendar
    assert calendar.days_off_schedule() == ((600, 840),)
    # A tie: the earliest weekday's schedule.
    tie = MINIMAL.replace(
        'mon = ["09:00-13:00", "14:00-18:00"]',
        'mon = ["08:00-12:00"]\ntue = ["10:00-14:00"]\nwed = ["10:00-14:00"]\n'
        'thu = ["08:00-12:00"]\nfri = ["09:00-15:00"]',
    )
    assert load_settings(write(tmp_path, tie)).calendar.days_off_schedule() == ((480, 720),)
    # No working weekday at all: the first non-empty day of the week.
    weekend = MINIMAL.replace(
        'mon = ["09:00-13:00", "14:00-18:00"]',
        'mon = []\ntue = []\nwed = []\nthu = []\nfri = []\nsat = ["10:00-15:00"]\n'
        'sun = ["11:00-12:00"]',
    )
    assert load_settings(write(tmp_path, weekend)).calendar.days_off_schedule() == ((600, 900),)


def test_days_off_hours_when_set_are_used_sorted(tmp_path: Path) -> None:
    text = MINIMAL + 'days_off_hours = ["15:00-19:00", "10:00-14:00"]\n'
    calendar = load_settings(write(tmp_path, text)).calendar
    assert calendar.days_off_schedule() == ((600, 840), (900, 1140))


def test_extra_workdays_name_the_weekday_they_follow(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + 'extra_workdays = ["2026-12-26", "2026-12-27:fri"]\nextra_days_off = ["2026-12-29"]\n'
    )
    settings = load_settings(write(tmp_path, text))
    assert settings.calendar.workdays() == {date(2026, 12, 26): 0, date(2026, 12, 27): 4}
    assert settings.calendar.extra_days_off == [date(2026, 12, 29)]


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("\n[storage]\ncolour = 1\n", "storage.colour"),
        ('tue = ["09:00-25:00"]\n', "calendar.tue"),
        ('wed = ["14:00-13:00"]\n', "calendar.wed"),
        ('thu = ["09:00-13:00", "12:00-14:00"]\n', "calendar.thu"),
        ('extra_workdays = ["26.12.2026"]\n', "calendar.extra_workdays"),
        ('extra_days_off = ["tomorrow"]\n', "calendar.extra_days_off[0]"),
        ('days_off_hours = ["9-13"]\n', "calendar.days_off_hours"),
        ('days_off_hours = ["09:00-13:00", "12:00-18:00"]\n', "calendar.days_off_hours"),
        ("days_off_hours = []\n", "calendar.days_off_hours"),
        ("preholiday_shortening_minutes = -5\n", "calendar.preholiday_shortening_minutes"),
        ('\n[profiles.x]\ntitle = "X"\n', "profiles.x.flows"),
        ('\n[telegram]\nmode = "webhook"\n', "telegram"),
        ('\n[telegram]\nmode = "hook"\n', "telegram.mode"),
        ('\n[telegram]\nwebhook_url = "example.org/hook"\n', "telegram.webhook_url"),
        ('\n[telegram]\nwebhook_listen = "8080"\n', "telegram.webhook_listen"),
        ("\n[telegram]\nmessages_per_second = 31\n", "telegram.messages_per_second"),
    ],
)
def test_bad_keys_are_named(tmp_path: Path, extra: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, MINIMAL + extra))
    assert info.value.key == key


def test_missing_sections_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, MINIMAL.split("[calendar]")[0]))
    assert info.value.key == "calendar"


def test_unknown_zone_and_profile_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, MINIMAL.replace("Europe/Moscow", "Mars/Olympus")))
    assert info.value.key == "organization.timezone"
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, MINIMAL.replace('"lipetsk"', '"omsk"')))
    assert info.value.key == "organization.profile"


@pytest.mark.parametrize("content", [b"[organization\nname=", b"\xff\xfe\x00garbage", b""])
def test_a_corrupt_file_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError):
        load_settings(path)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_a_profile_written_in_config_is_used(tmp_path: Path) -> None:
    text = MINIMAL.replace('"lipetsk"', '"mine"') + (
        '\n[profiles.mine]\nextends = "bor"\ntitle = "Моя"\n'
        '[profiles.mine.flows.default.timers.answer]\nlength = "10h"\n'
    )
    profile = load_settings(write(tmp_path, text)).profile()
    assert profile.title == "Моя"
    length = profile.flow().timers["answer"].length
    assert length is not None
    assert length.minutes == 600


def test_webhook_mode_with_an_address_is_valid(tmp_path: Path) -> None:
    text = MINIMAL + (
        '\n[telegram]\nmode = "webhook"\nwebhook_url = "https://bot.example.ru/tg"\n'
        'webhook_listen = "0.0.0.0:8443"\nmessages_per_second = 14\n'
    )
    telegram = load_settings(write(tmp_path, text)).telegram
    assert (telegram.mode, telegram.webhook_url) == ("webhook", "https://bot.example.ru/tg")
    assert (telegram.webhook_listen, telegram.messages_per_second) == ("0.0.0.0:8443", 14)
