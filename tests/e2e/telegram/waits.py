"""How long a test waits for something the bot will do before it calls it a failure.

A ceiling, not a delay: a wait ends as soon as its condition holds, so a generous figure costs
nothing when the bot is quick and keeps a loaded machine (two busy loops beside the suite) from
failing tests that are right. `OTKLIK_E2E_WAIT` (seconds) overrides it."""

from __future__ import annotations

import os

WAIT = float(os.environ.get("OTKLIK_E2E_WAIT", "90"))
