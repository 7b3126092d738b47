"""The bot with every SQL statement of each update written out, to see what a press reads and
writes. Run by the benchmark's harness in place of `python -m bot`:

    OTKLIK_BOT_WRAPPER=bench/sqltrace.py OTKLIK_SQL_TRACE=/tmp/sql.txt \\
        .venv/bin/python bench/bench_bot.py --sizes 10000 --solo 1 --lifecycles 0 --burst 10

Each update's inbox line (`update <id> <kind>: cpu …, sql N, wall …`) is followed in the file
by its N statements, shortened to 160 characters. Statements of the sender and the sweep are
not counted in an update and not written.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event
from sqlalchemy.engine import Engine

from storage import metering

OUT = Path(os.environ.get("OTKLIK_SQL_TRACE", "sql-trace.txt"))


class _Meter(metering.Meter):  # without slots: room for the statements
    pass


def _start() -> metering.Meter:
    meter = _Meter()
    meter.lines = []  # type: ignore[attr-defined]
    metering._CURRENT.set(meter)
    return meter


@event.listens_for(Engine, "before_cursor_execute")
def _trace(*args: Any) -> None:
    meter = metering._CURRENT.get()
    if meter is not None and hasattr(meter, "lines"):
        meter.lines.append(" ".join(str(args[2]).split())[:160])


class _Writer(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        meter = metering._CURRENT.get()
        if message.startswith("update ") and meter is not None and hasattr(meter, "lines"):
            with OUT.open("a", encoding="utf-8") as f:
                f.write(message + "\n" + "".join(f"    {line}\n" for line in meter.lines))


def main() -> int:
    metering.start = _start  # the inbox starts a meter per update
    logging.getLogger("otklik.inbox").addHandler(_Writer())
    from bot.cli import main as bot_main

    return bot_main()


if __name__ == "__main__":
    raise SystemExit(main())
