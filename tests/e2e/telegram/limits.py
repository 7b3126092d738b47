"""Telegram's flood limits, measured on the fake's own monotonic clock.

- overall: `global_per_second` messages in any rolling second (30);
- per chat: a token bucket refilled at `chat_per_second` (1/s) holding up to `chat_burst`
  (3) tokens, so a few quick messages pass and a tight loop gets 429 from the fourth on;
- per group or supergroup: also `group_per_minute` (20) messages in any rolling minute.

An album (sendMediaGroup) counts as one message. Only messages that would be sent count.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field

from .clock import FakeClock

GROUP_TYPES = frozenset({"group", "supergroup"})


@dataclass(frozen=True)
class RateLimitHit:
    at: float
    method: str
    chat_id: int
    scope: str
    retry_after: int


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimits:
    clock: FakeClock
    enabled: bool = True
    global_per_second: int = 30
    chat_per_second: float = 1.0
    chat_burst: int = 3
    group_per_minute: int = 20
    hits: list[RateLimitHit] = field(default_factory=list)
    sent_total: int = 0
    sent_by_chat: Counter[int] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._global: deque[float] = deque()
        self._groups: dict[int, deque[float]] = {}
        self._buckets: dict[int, _Bucket] = {}

    def reset(self) -> None:
        self.enabled = True
        self.hits = []
        self.sent_total = 0
        self.sent_by_chat = Counter()
        self._global.clear()
        self._groups.clear()
        self._buckets.clear()

    def check(self, method: str, chat_id: int, chat_type: str) -> RateLimitHit | None:
        """Count one message, or return (and record) the limit it would break."""
        now = self.clock.monotonic()
        if not self.enabled:
            self._count(chat_id)
            return None
        waits: list[tuple[float, str]] = []
        _expire(self._global, now - 1.0)
        if len(self._global) >= self.global_per_second:
            waits.append((self._global[0] + 1.0 - now, "global"))
        bucket = self._buckets.get(chat_id) or _Bucket(float(self.chat_burst), now)
        bucket.tokens = min(
            float(self.chat_burst), bucket.tokens + (now - bucket.updated) * self.chat_per_second
        )
        bucket.updated = now
        if bucket.tokens < 1.0:
            waits.append(((1.0 - bucket.tokens) / self.chat_per_second, "chat"))
        window = self._groups.setdefault(chat_id, deque()) if chat_type in GROUP_TYPES else None
        if window is not None:
            _expire(window, now - 60.0)
            if len(window) >= self.group_per_minute:
                waits.append((window[0] + 60.0 - now, "group"))
        if waits:
            wait, scope = max(waits)
            hit = RateLimitHit(now, method, chat_id, scope, max(1, math.ceil(wait)))
            self.hits.append(hit)
            self._buckets[chat_id] = bucket
            return hit
        bucket.tokens -= 1.0
        self._buckets[chat_id] = bucket
        self._global.append(now)
        if window is not None:
            window.append(now)
        self._count(chat_id)
        return None

    def _count(self, chat_id: int) -> None:
        self.sent_total += 1
        self.sent_by_chat[chat_id] += 1


def _expire(window: deque[float], before: float) -> None:
    while window and window[0] <= before:
        window.popleft()
