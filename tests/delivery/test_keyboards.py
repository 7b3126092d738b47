"""Keyboards are made without aiogram's builder (its deep copy of every button was a twelfth of
a press's CPU): they must come out as the builder makes them, and be refused where it would."""

from __future__ import annotations

import pytest
from aiogram.types import InlineKeyboardButton
from aiogram.utils.keyboard import InlineKeyboardBuilder

from handlers.render import markup


def buttons(n: int, tag: str = "b") -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=f"{tag}{i}", callback_data=f"{tag}:{i}") for i in range(n)]


def built(rows: list[list[InlineKeyboardButton]]) -> list[list[str]]:
    kb = InlineKeyboardBuilder()
    for row in rows:
        kb.row(*row)
    return [[b.text for b in row] for row in kb.as_markup().inline_keyboard]


@pytest.mark.parametrize("widths", [[3], [3, 2, 1], [1] * 12, [8], [9], [20, 1], [0, 2]])
def test_rows_come_out_as_the_builder_makes_them(widths: list[int]) -> None:
    rows = [buttons(w, f"r{n}.") for n, w in enumerate(widths)]
    made = [[b.text for b in row] for row in markup(rows).inline_keyboard]
    assert made == built(rows)
    assert all(1 <= len(row) <= 8 for row in made)


def test_more_buttons_than_telegram_takes_are_refused() -> None:
    assert len(markup([buttons(4)] * 25).inline_keyboard) == 25
    with pytest.raises(ValueError, match="100"):
        markup([buttons(4)] * 25 + [buttons(1)])


def test_no_filter_or_handler_of_the_bot_is_run_in_a_thread() -> None:
    """aiogram runs a plain callable filter or handler (a bare `State`, `F.text`) with
    `asyncio.to_thread`, for every handler it tries: each was a hop to a thread and back."""
    from aiogram import Dispatcher, Router

    from handlers import get_routers

    dp = Dispatcher()
    dp.include_routers(*get_routers())
    threaded: list[str] = []
    checked = 0

    def walk(router: Router) -> None:
        nonlocal checked
        for name, observer in router.observers.items():
            for f in observer._handler.filters or []:
                checked += 1
                if not f.awaitable:
                    threaded.append(f"{router.name}.{name} filter {f.callback!r}")
            for handler in observer.handlers:
                checked += 1
                if not handler.awaitable:
                    threaded.append(f"{router.name}.{name} handler {handler.callback!r}")
                for f in handler.filters or []:
                    checked += 1
                    if not f.awaitable:
                        threaded.append(f"{router.name}.{name} filter {f.callback!r}")
        for sub in router.sub_routers:
            walk(sub)

    walk(dp)
    assert checked > 50
    assert threaded == []
