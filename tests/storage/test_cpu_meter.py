"""`metering.CpuMeter`: an update's own CPU, not the other tasks' that ran while it waited."""

from __future__ import annotations

import asyncio
import time

import pytest

from storage import metering


def _spin(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


async def _own_work(others_done: asyncio.Event) -> str:
    _spin(0.03)
    await asyncio.sleep(0)  # another task runs here
    _spin(0.03)
    await others_done.wait()  # suspended until the others have finished
    return "done"


async def _others(done: asyncio.Event) -> None:
    for _ in range(4):
        _spin(0.05)
        await asyncio.sleep(0)
    done.set()


async def test_counts_the_coroutine_steps_and_not_the_others() -> None:
    meter = metering.CpuMeter()
    others_done = asyncio.Event()
    others = asyncio.create_task(_others(others_done))
    await asyncio.sleep(0)  # the others are under way
    process = time.process_time()
    assert await meter.run(_own_work(others_done)) == "done"
    spent = time.process_time() - process
    await others
    assert 0.055 <= meter.seconds < 0.1  # its two spins, ~60 ms
    assert spent >= meter.seconds + 0.04  # the process did the others' work meanwhile


async def test_errors_and_cancellation_pass_through() -> None:
    async def failing() -> None:
        await asyncio.sleep(0)
        raise LookupError("nothing")

    meter = metering.CpuMeter()
    with pytest.raises(LookupError):
        await meter.run(failing())

    cleaned: list[bool] = []

    async def waiting() -> None:
        try:
            await asyncio.Event().wait()  # until cancelled
        finally:
            cleaned.append(True)

    task = asyncio.create_task(metering.CpuMeter().run(waiting()))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned == [True]
