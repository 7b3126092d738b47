from __future__ import annotations

import pytest

from domain.durations import Duration


@pytest.mark.parametrize(
    ("text", "minutes", "days"),
    [
        ("30min", 30, 0),
        ("9h", 540, 0),
        ("1h30min", 90, 0),
        ("2d", 0, 2),
        ("45m", 45, 0),
        ("0min", 0, 0),
    ],
)
def test_durations_parse_as_the_acts_write_them(text: str, minutes: int, days: int) -> None:
    d = Duration.parse(text)
    assert (d.minutes, d.days) == (minutes, days)
    assert Duration.parse(str(d)) == d


@pytest.mark.parametrize("text", ["", "9", "9hh", "-1h", "1d2h", "1.5h", "h"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        Duration.parse(text)
