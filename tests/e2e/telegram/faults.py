"""Faults injected on demand: error answers, dropped connections, slow replies, odd updates."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

ERROR = "error"
DROP = "drop_connection"
SLOW = "slow"

INTERNAL = "Internal Server Error"
BAD_GATEWAY = "Bad Gateway"
RESTARTING = "Internal Server Error: restart"
BLOCKED = "Forbidden: bot was blocked by the user"
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


@dataclass
class FaultRule:
    """One rule: which calls it hits, how often, and what it does to them.

    `times=None` means unlimited; `probability` draws from the seeded RNG of `Faults`.
    """

    kind: str
    method: str | None = None
    chat_id: int | None = None
    times: int | None = 1
    probability: float | None = None
    status: int = 0
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0
    hits: int = 0

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def body(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            answer["parameters"] = {"retry_after": self.retry_after}
        return answer


@dataclass
class Faults:
    seed: int = 0
    rules: list[FaultRule] = field(default_factory=list)
    duplicates_left: int = 0
    reorder_size: int = 0
    held: list[tuple[dict[str, Any], bool]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def clear(self) -> None:
        self.rules.clear()
        self.duplicates_left = 0
        self.reorder_size = 0
        self.held.clear()
        self.rng = random.Random(self.seed)

    def add(self, rule: FaultRule) -> FaultRule:
        if rule.probability is not None and rule.times == 1:
            rule.times = None
        self.rules.append(rule)
        return rule

    def pick(self, method: str, chat_id: int | None) -> FaultRule | None:
        for rule in self.rules:
            if not rule.matches(method, chat_id):
                continue
            if rule.probability is not None and self.rng.random() >= rule.probability:
                continue
            rule.hits += 1
            return rule
        return None

    def error(
        self,
        status: int,
        description: str,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
        probability: float | None = None,
        retry_after: int | None = None,
    ) -> FaultRule:
        return self.add(
            FaultRule(
                ERROR,
                method,
                chat_id,
                times,
                probability,
                status=status,
                description=description,
                retry_after=retry_after,
            )
        )

    def retry_after(
        self,
        seconds: int = 1,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
        probability: float | None = None,
    ) -> FaultRule:
        return self.error(
            429,
            f"Too Many Requests: retry after {seconds}",
            method=method,
            chat_id=chat_id,
            times=times,
            probability=probability,
            retry_after=seconds,
        )

    def server_error(
        self,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
        probability: float | None = None,
    ) -> FaultRule:
        return self.error(
            500, INTERNAL, method=method, chat_id=chat_id, times=times, probability=probability
        )

    def bad_gateway(
        self,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
        probability: float | None = None,
    ) -> FaultRule:
        return self.error(
            502, BAD_GATEWAY, method=method, chat_id=chat_id, times=times, probability=probability
        )

    def restarting(
        self,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
        probability: float | None = None,
    ) -> FaultRule:
        return self.error(
            500, RESTARTING, method=method, chat_id=chat_id, times=times, probability=probability
        )

    def blocked(
        self,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
        probability: float | None = None,
    ) -> FaultRule:
        return self.error(
            403, BLOCKED, method=method, chat_id=chat_id, times=times, probability=probability
        )

    def conflict(
        self,
        *,
        method: str | None = "getUpdates",
        chat_id: int | None = None,
        times: int | None = 1,
        probability: float | None = None,
    ) -> FaultRule:
        return self.error(
            409, CONFLICT, method=method, chat_id=chat_id, times=times, probability=probability
        )

    def drop_connection(
        self,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
        probability: float | None = None,
    ) -> FaultRule:
        return self.add(FaultRule(DROP, method, chat_id, times, probability))

    def slow(
        self,
        delay: float,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
        probability: float | None = None,
    ) -> FaultRule:
        """Answer after `delay` seconds; the call still takes effect even if the client gave up."""
        return self.add(FaultRule(SLOW, method, chat_id, times, probability, delay=delay))

    def duplicate_updates(self, count: int = 1) -> None:
        """The next `count` updates are queued twice with the same update_id."""
        self.duplicates_left += count

    def reorder_updates(self, count: int = 2) -> None:
        """Hold the next `count` updates, then queue them in reverse order."""
        self.reorder_size = count
        self.held.clear()

    def take_duplicate(self) -> bool:
        if self.duplicates_left <= 0:
            return False
        self.duplicates_left -= 1
        return True

    def release_updates(
        self, payload: dict[str, Any], batch_break: bool
    ) -> Iterator[tuple[dict[str, Any], bool]]:
        if self.reorder_size <= 0:
            yield payload, batch_break
            return
        self.held.append((payload, batch_break))
        if len(self.held) < self.reorder_size:
            return
        held, self.held, self.reorder_size = self.held, [], 0
        yield from reversed(held)

    def flush_held(self) -> list[tuple[dict[str, Any], bool]]:
        held, self.held, self.reorder_size = self.held, [], 0
        return held
