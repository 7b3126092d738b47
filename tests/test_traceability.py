"""docs/regulations.md against the shipped profiles: the table of every clause, its profile key
and value, and the test that keeps it, must agree with the TOML files and the test suite."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from domain.profiles import SHIPPED, load_shipped

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "regulations.md"
HEADING = re.compile(r"^## (\w+) — ")
NONE = "—"
MISSING = "MISSING"


class Row(NamedTuple):
    profile: str
    clause: str
    rule: str
    key: str
    value: str
    test: str


@cache
def rows() -> tuple[Row, ...]:
    """The rows of every profile's table, under its `## <profile> — ...` heading."""
    found: list[Row] = []
    profile: str | None = None
    for line in DOC.read_text("utf-8").splitlines():
        if line.startswith("## "):
            heading = HEADING.match(line)
            profile = heading.group(1) if heading and heading.group(1) in SHIPPED else None
        elif profile and line.startswith("| п."):
            cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
            assert len(cells) == 5, f"{profile}: a row needs 5 cells: {line}"
            found.append(Row(profile, *cells))
    return tuple(found)


def render(value: Any) -> str:
    """A TOML value as the table writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(render(v) for v in value) if value else "[]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {render(v)}" for k, v in value.items()) + "}"
    return str(value)


def lookup(data: Any, key: str) -> Any:
    for part in key.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def test_every_table_is_there() -> None:
    assert {r.profile for r in rows()} == set(SHIPPED)


def test_every_profile_key_holds_the_value_of_its_row() -> None:
    wrong = []
    for r in rows():
        if r.key == NONE:
            continue
        try:
            actual = render(lookup(load_shipped(r.profile), r.key))
        except (KeyError, IndexError, ValueError):
            actual = "<no such key>"
        if actual != r.value:
            wrong.append(f"{r.profile} {r.clause} {r.key}: table {r.value!r}, profile {actual!r}")
    assert not wrong, "\n".join(wrong)


def test_every_timer_is_in_the_table_with_its_clause() -> None:
    wrong = []
    for name in SHIPPED:
        listed = {(r.key, r.clause) for r in rows() if r.profile == name}
        for flow_name, flow in load_shipped(name)["flows"].items():
            for timer_name, timer in flow.get("timers", {}).items():
                at = f"flows.{flow_name}.timers.{timer_name}"
                by = ["length"] if "length" in timer else ["external", "settable"]
                keys = {f"{at}.{k}" for k in by}
                clauses = {clause for key, clause in listed if key in keys}
                if clauses != {timer["clause"]}:
                    wrong.append(f"{name} {at}: clause {timer['clause']!r}, table {clauses}")
    assert not wrong, "\n".join(wrong)


def test_every_cited_test_exists() -> None:
    wrong = []
    for r in rows():
        if r.test in {NONE, MISSING}:
            continue
        path, _, function = r.test.partition("::")
        file = ROOT / path
        text = file.read_text("utf-8") if file.is_file() else ""
        if not re.search(rf"^(async )?def {re.escape(function)}\(", text, re.MULTILINE):
            wrong.append(f"{r.profile} {r.clause}: {r.test}")
    assert not wrong, "\n".join(wrong)


def test_no_rule_is_missing_its_test() -> None:
    missing = [f"{r.profile} {r.clause} {r.key}: {r.rule}" for r in rows() if r.test == MISSING]
    assert not missing, f"{len(missing)} rules have no test yet:\n" + "\n".join(missing)


def readings_of(name: str) -> str:
    """The profile's readings: its TOML header comment from the first line that names them."""
    path = ROOT / "domain" / "profile_data" / f"{name}.toml"
    head: list[str] = []
    for line in path.read_text("utf-8").splitlines():
        if not line.startswith("#"):
            break
        head.append(line[2:] if line.startswith("# ") else line[1:])
    start = next(n for n, line in enumerate(head) if "Reading" in line)
    return "\n".join(head[start:])


def test_the_readings_are_the_profiles_own() -> None:
    """The page's Readings section is each profile's header, word for word: a reading changed
    in a profile and not on the page (or the other way round) fails."""
    text = DOC.read_text("utf-8")
    section = text[text.index("## Readings") : text.index("\n## ", text.index("## Readings") + 1)]
    for name in SHIPPED:
        assert f"### {name}\n\n{readings_of(name)}\n" in section, name
