"""A made-up sixth act, written as configuration only: timers of its own names, a shorter
deadline for socially significant messages, a role of its own (the press secretary, who
agrees and publishes), external deadlines taken when earlier, and a clarification request
agreed by the curator alone. Used by the use-case test and the end-to-end test alike."""

from __future__ import annotations

import tomllib
from typing import Any

SIXTH_TOML = """
[profiles.vymyshlenny]
title = "Администрация посёлка Вымышленный"
act = "Положение о работе с сообщениями (вымышленное) от 01.01.2026 № 1"
approval_chain = ["curator", "press_secretary"]
publisher = "press_secretary"
competence_return_by = "executor"
significant_alert = ["head", "press_secretary"]
significant_clause = "п. 8"
draft_kinds = ["final", "clarification"]
not_subject = "п. 9"

[profiles.vymyshlenny.approval_by_kind]
clarification = ["curator"]

[profiles.vymyshlenny.roles.press_secretary]
title = "пресс-секретарь"
clause = "п. 2"

[profiles.vymyshlenny.clauses]
tag = "п. 3"
assign = "п. 3"
submit_draft = "п. 4"
approve_step = "п. 5"
approve = "п. 5"
request_revision = "п. 5"
publish_final = "п. 6"
publish_clarification = "п. 6"

[profiles.vymyshlenny.flows.main]
title = "Сообщения граждан"
total = "otvet"

[profiles.vymyshlenny.flows.main.timers.napravit]
title = "направить в отдел"
clause = "п. 3"
start = ["detected"]
stop = ["assigned"]
length = "1h"
clock = "working"
holder = "curator"
breach = ["head"]

[profiles.vymyshlenny.flows.main.timers.proekt]
title = "подготовить проект"
clause = "п. 4"
start = ["assigned"]
stop = ["submitted"]
length = "3h"
significant_length = "1h"
clock = "working"
holder = "executor"
breach = ["curator"]

[profiles.vymyshlenny.flows.main.timers.vizirovanie]
title = "завизировать ответ"
clause = "п. 5"
start = ["submitted", "step_approved"]
stop = ["step_approved", "approved", "revision_requested"]
step = "press_secretary"
length = "30min"
clock = "working"
holder = "approver"
breach = ["head"]

[profiles.vymyshlenny.flows.main.timers.otvet]
title = "ответить автору"
clause = "п. 7"
start = ["detected"]
stop = ["published.final"]
pause = ["published.clarification"]
resume = ["author_replied"]
length = "6h"
significant_length = "2h"
clock = "working"
external = "earliest"
holder = "publisher"
breach = ["head"]
"""


def sixth_data() -> dict[str, Any]:
    """The profile table as the configuration file carries it."""
    data: dict[str, Any] = tomllib.loads(SIXTH_TOML)["profiles"]["vymyshlenny"]
    return data
