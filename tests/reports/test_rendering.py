"""The report as people get it: the Russian text within Telegram's limit, a PNG chart, an XLSX
workbook that opens with one row per incident, and the discipline log as XLSX or CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from bot.reporting import (
    Names,
    discipline_lines,
    load_names,
    render_chart,
    render_discipline,
    render_workbook,
    report_lines,
    split_message,
)
from domain.reports import (
    Headline,
    IncidentLine,
    Period,
    PeriodKind,
    Quality,
    Report,
    Summary,
    build_report,
)
from storage.engine import Database, create_engine, session_factory
from tests.reports.conftest import MSK, NOW, RULERS, WEEK, Office, msk, renumbered, scripted_week

TOPICS = {
    "roads": "Дороги",
    "potholes": "Ямы на дорогах",
    "lighting": "Уличное освещение",
    "housing": "ЖКХ",
    "heating": "Отопление",
}
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def week(sqlite_url: str) -> AsyncIterator[tuple[Report, list[IncidentLine], Names, Office]]:
    engine = create_engine(sqlite_url)
    db = Database(sqlite_url, engine, session_factory(engine))
    try:
        async with db.unit_of_work() as uow:
            office = await scripted_week(uow)
            await uow.commit()
        async with db.unit_of_work() as uow:
            report = await build_report(uow.reports, WEEK, RULERS, MSK, NOW)
            lines = list(await uow.reports.incident_lines(WEEK.start, WEEK.end, NOW))
            names = await load_names(uow, TOPICS)
        yield report, lines, names, office
    finally:
        await db.close()


Week = tuple[Report, list[IncidentLine], Names, Office]


def test_the_message_reads_the_figures(week: Week) -> None:
    report, _, names, office = week
    number = renumbered(office)
    lines = report_lines(report, names, organization="Администрация", clause="11", zone=MSK)
    text = "\n".join(lines)
    assert lines[0] == "<b>📊 Еженедельный отчёт о работе с сообщениями (п. 11)</b>"
    assert "Период: 20.11.2026 16:00 — 27.11.2026 16:00" in text
    assert "Всего сообщений: <b>6</b>" in text
    assert "в срок — 3, с нарушением срока — 1; ещё в работе — 1 (из них просрочено — 1)" in text
    assert "Не подлежат ответу — 1; закрыто без ответа — 0; повторных — 1" in text
    assert "медиана 5 ч 0 мин, 90-й процентиль 12 ч 0 мин (ответов: 4)" in text
    assert "• Дороги — 3\n    – Ямы на дорогах — 2\n    – Уличное освещение — 1" in text
    assert "• Центр — 3" in text and "• без локации — 1" in text
    assert "• Управление дорог: 3 · 2 · 1 · 0" in text
    assert "• Управление ЖКХ: 3 · 2 · 0 · 1" in text
    assert "• не направлено в отдел: 1 · 0 · 0 · 0" in text
    assert "<b>Нарушения сроков (5):</b>" in text
    assert (
        f"• №{number['4']} · Управление ЖКХ · Петрова · ответ опубликован (общий срок) (п. 8): "
        "срок 26.11.2026 12:00, просрочено на 11 ч 0 мин — не выполнено"
    ) in text
    assert (
        f"• №{number['4']} · не направлено в отдел · Куратор Анна · направить исполнителю" in text
    )
    assert "Качество" not in text and "Динамика" not in text
    assert all(len(chunk) <= 4096 for chunk in split_message(lines))


def test_a_summary_shows_quality_and_dynamics(week: Week) -> None:
    report, _, names, _ = week
    monthly = replace(
        report,
        period=Period(PeriodKind.MONTHLY, msk("2026-11-01 00:00"), msk("2026-12-01 00:00")),
        quality=Quality(revisions=1, intermediate=1, reactions=(("satisfied", 2),)),
        previous=Summary(Headline(total=4, on_time=3), 2, None),
    )
    text = "\n".join(report_lines(monthly, names, organization="А", clause="13", zone=MSK))
    assert "Ежемесячная сводка о работе с сообщениями (п. 13)" in text
    assert "Период: 01.11.2026 — 30.11.2026" in text
    assert "• возвращено на доработку — 1" in text
    assert "• реакция авторов: 👍 доволен — 2" in text
    assert "Динамика к предыдущему периоду (01.10.2026 — 31.10.2026)" in text
    assert "• сообщений: 6 (было 4, +2)" in text
    assert "• ответов в срок: 3 (было 3, 0)" in text
    assert "• нарушений сроков: 5 (было 2, +3)" in text
    assert "• медиана времени до ответа: 5 ч 0 мин (было —, —)" in text


def test_long_reports_are_split_on_line_boundaries() -> None:
    lines = [f"• строка {n} " + "х" * 90 for n in range(200)]
    chunks = split_message(lines)
    assert len(chunks) > 1 and all(len(c) <= 4096 for c in chunks)
    assert "\n".join(chunks).split("\n") == lines
    (cut,) = split_message(["я" * 5000])
    assert len(cut) == 4096 and cut.endswith("…")


def test_the_chart_is_a_png_matplotlib_drew(week: Week) -> None:
    report, _, names, _ = week
    png = render_chart(report, names, MSK)
    assert png.startswith(PNG)
    assert len(png) > 30_000  # three drawn panels, not an empty canvas
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1000, 1200)


def test_the_workbook_has_a_row_per_incident_and_the_breaches(week: Week) -> None:
    report, lines, names, office = week
    number = renumbered(office)
    book = load_workbook(
        io.BytesIO(render_workbook(lines, report.breaches, names, MSK, RULERS.working))
    )
    assert book.sheetnames == ["Сообщения", "Нарушения сроков"]
    incidents = list(book["Сообщения"].values)
    assert incidents[0][:4] == ("Номер", "Выявлено", "Источник", "Группа тем")
    assert [r[0] for r in incidents[1:]] == [number[k] for k in "123456"]
    first = dict(zip(incidents[0], incidents[1], strict=True))
    assert first["Выявлено"] == msk("2026-11-23 10:00").replace(tzinfo=None)  # Excel: local
    assert first["Тема"] == "Ямы на дорогах" and first["Отделы"] == "Управление дорог"
    assert first["Ответ в срок"] == "да" and first["Рабочих часов до ответа"] == 2
    assert first["Реакция автора"] == "👍 доволен"
    joint = dict(zip(incidents[0], incidents[5], strict=True))
    assert joint["Отделы"] == "Управление дорог, Управление ЖКХ"
    open_one = dict(zip(incidents[0], incidents[4], strict=True))
    assert open_one["Ответ опубликован"] is None and open_one["Повторное"] == "да"

    breaches = list(book["Нарушения сроков"].values)
    assert len(breaches) == 6
    assert [(r[0], r[2], r[9]) for r in breaches[1:]] == [
        (number["7"], "Иванов", 1),
        (number["2"], "Иванов", 5),
        (number["2"], "Иванов", 3),
        (number["4"], "Куратор Анна", 0.5),
        (number["4"], "Петрова", 11),
    ]


def test_the_discipline_log_per_person_as_csv_and_xlsx(week: Week) -> None:
    report, _, names, _ = week
    text = "\n".join(discipline_lines(report.breaches, names, WEEK, MSK))
    assert text.splitlines()[1:] == [
        "• Петрова: нарушений — 1, просрочено всего 11 ч 0 мин",
        "• Иванов: нарушений — 3, просрочено всего 9 ч 0 мин",
        "• Куратор Анна: нарушений — 1, просрочено всего 30 мин",
    ]
    data = render_discipline(report.breaches, names, MSK, "csv")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][2] == "Ответственный" and len(rows) == 6
    assert [r[2] for r in rows[1:]] == ["Петрова", "Иванов", "Иванов", "Иванов", "Куратор Анна"]
    assert rows[1][7] == "26.11.2026 12:00" and rows[1][8] == ""
    book = load_workbook(io.BytesIO(render_discipline(report.breaches, names, MSK, "xlsx")))
    assert len(list(book.active.values)) == 6
