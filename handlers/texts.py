"""Every string a person reads, in Russian, in one place."""

from __future__ import annotations

from typing import Final

# ---- commands and access -------------------------------------------------------------------

COMMANDS: Final = {
    "start": "Начать работу",
    "tasks": "Мои задачи по срочности",
    "board": "Все открытые сообщения (куратор, глава)",
    "find": "Найти сообщение по номеру или тексту",
    "admin": "Сотрудники и отделы (администратор)",
    "help": "Справка",
}
GREETING = (
    "Здравствуйте, {name}! Это «Отклик» — работа с сообщениями граждан из открытых источников.\n"
    "Ваши роли: {roles}.\n\n{hint}"
)
HINT_CURATOR = (
    "Перешлите сюда пост из канала или чата, отправьте ссылку (ВКонтакте, Одноклассники, "
    "Telegram, Instagram…) или скриншоты с подписью — бот заведёт сообщение и покажет карточку."
)
HINT_EXECUTOR = "Новые сообщения придут сюда карточками. /tasks — ваши задачи по срочности."
HINT_HEAD = "Сюда придут сообщения для вашего решения и срочные оповещения. /board — все открытые."
HINT_ADMIN = "/admin — отделы, приглашения сотрудников, замещения и отсутствия."
NOT_ON_STAFF = (
    "Извините, вы не зарегистрированы в системе «Отклик». "
    "Попросите у администратора вашей организации ссылку-приглашение."
)
NOT_ALLOWED = "Это действие вам недоступно."
NOT_YOURS = "Это сообщение назначено не вам."
NOT_IN_ACT = "Этого шага нет в регламенте вашей организации."
HEADS_CHOICE = "Направьте туда, куда определил глава: отделы отмечены в списке."
HEAD_DECIDES_FIRST = (
    "Сначала решение главы ({clause}): нажмите «👤 Главе на решение», исполнителя назовёт глава."
)
STALE = "Карточка устарела: сообщение уже изменилось. Показываю актуальную."
ALREADY_DONE = "Уже сделано: {who}."
ALREADY_DONE_UNKNOWN = "Это уже сделано."
NOT_FOUND = "Сообщение не найдено."
ERROR = "Не получилось выполнить действие. Попробуйте ещё раз или обратитесь к администратору."
UNKNOWN_INPUT = "Не понимаю. Отправьте /help, чтобы увидеть список команд."
HELP = (
    "«Отклик» — работа с сообщениями граждан из открытых источников.\n\n"
    "/tasks — мои задачи по срочности\n"
    "/board — все открытые сообщения (куратор, глава)\n"
    "/find &lt;номер или текст&gt; — найти сообщение\n"
    "/admin — сотрудники и отделы (администратор)\n"
    "/cancel — отменить ввод"
)
CANCELLED = "Ввод отменён."
SETUP_LINK_CONSOLE = "Ссылка для первого администратора (одноразовая): {link}"
SETUP_DONE = (
    "Вы — администратор «Отклика» ({org}). Создайте отделы и пригласите сотрудников: /admin"
)
INVITE_USED = "Эта ссылка-приглашение уже использована. Попросите у администратора новую."
INVITE_UNKNOWN = "Ссылка-приглашение не найдена. Проверьте её или попросите у администратора новую."
ALREADY_STAFF = "Вы уже зарегистрированы с этой ролью."
JOINED = "Добро пожаловать, {name}! Ваша роль: {role}{department}."
GROUP_IGNORED = "Я работаю только в настроенных группах организации."

# ---- roles, statuses, tags -----------------------------------------------------------------

ROLES: Final = {
    "admin": "администратор",
    "curator": "куратор",
    "head": "глава",
    "deputy_head": "заместитель главы",
    "department_lead": "руководитель отдела",
    "supervising_deputy": "курирующий заместитель",
    "executor": "исполнитель",
    "external_curator": "внешний куратор",
    "system": "система",
}
STATUSES: Final = {
    "new": "новое — разметьте и направьте",
    "awaiting_decision": "на решении у главы",
    "decided": "глава принял решение — направьте исполнителю",
    "assigned": "направлено исполнителю, ждёт принятия",
    "returned": "возвращено: не наша компетенция",
    "in_work": "в работе у исполнителя",
    "under_approval": "на согласовании",
    "revision": "на доработке",
    "approved": "согласовано, ждёт публикации",
    "clarification": "запрошено уточнение у автора (срок приостановлен)",
    "awaiting_final": "дан промежуточный ответ, ждём окончательный",
    "published": "ответ опубликован",
    "closed": "закрыто",
    "not_subject": "не подлежит ответу",
    "no_reaction": "реагирование не требуется",
    "converted": "переведено в обращение по 59-ФЗ",
    "passed_external": "передано внешнему куратору",
}
IMPORTANCE: Final = {
    "ordinary": "обычная",
    "high": "высокая",
    "significant": "общественно значимое",
}
NETWORKS: Final = {
    "vk": "ВКонтакте",
    "ok": "Одноклассники",
    "telegram": "Telegram",
    "instagram": "Instagram",
    "facebook": "Facebook",
    "x": "X (Twitter)",
    "max": "MAX",
    "dzen": "Дзен",
    "other_site": "сайт",
    "unknown": "источник не указан",
}
TIMERS: Final = {
    "route": "направить исполнителю",
    "competence_return": "вернуть, если не ваша компетенция",
    "draft": "направить проект ответа",
    "clarification": "разместить запрос уточнения",
    "approval": "согласовать проект",
    "revision": "доработать проект",
    "publication": "опубликовать ответ",
    "answer": "ответ опубликован (общий срок)",
    "structure_total": "ответ ответственной структуры (её время)",
    "final_after_intermediate": "окончательный ответ после промежуточного",
    "joint_part": "часть совместного ответа",
}
ABSENCES: Final = {
    "sick_leave": "больничный",
    "leave": "отпуск",
    "business_trip": "командировка",
    "training": "обучение",
}
FLAGS: Final = {
    "profanity": "нецензурная лексика",
    "insult": "оскорбления",
    "threat": "угрозы",
    "unreadable": "текст нечитаем",
}

# ---- cards ---------------------------------------------------------------------------------

CARD_TITLE = "📌 Сообщение №{number} · {network}"
CARD_AUTHOR = "Автор: {author}"
CARD_LINK = "Ссылка: {url}"
CARD_EXTERNAL = "Внешний номер: {number}, срок системы: {deadline}"
CARD_DETECTED = "Выявлено: {moment}"
CARD_TAGS = "Тема: {topic} · Локация: {location} · Важность: {importance}"
CARD_NO_TAG = "—"
CARD_STATUS = "Статус: {status}"
CARD_DEADLINE = "⏰ {what}: до {due} (осталось {left}) — {clause}"
CARD_DEADLINE_OVERDUE = "🔴 {what}: срок {due} истёк {ago} назад — {clause}"
CARD_DEADLINE_PAUSED = "⏸ {what}: срок приостановлен — {clause}"
CARD_DEADLINE_UNSET = "⏱ {what}: срок устанавливает куратор — {clause}"
CARD_DEPARTMENTS = "Исполнители: {departments}"
CARD_REPEATS = "🔁 Повторное: связано с №{numbers}"
CARD_FLAGS = "⚠️ Возможно, не подлежит ответу: {flags} (решает куратор)"
CARD_RETURNED = "↩️ Возвращено отделом «{department}»: {reason}"
CARD_MEDIA = "Вложений: {count}"
TEXT_CUT = "…"
LEFT_MINUTES = "{m} мин"
LEFT_HOURS = "{h} ч {m} мин"
LEFT_HOURS_ONLY = "{h} ч"
LEFT_DAYS = "{d} дн {h} ч"
WORKING = " рабочего времени"

# ---- buttons -------------------------------------------------------------------------------

BTN_TOPIC = "🏷 Тема"
BTN_LOCATION = "📍 Локация"
BTN_IMPORTANCE = "❗ Важность"
BTN_ASSIGN = "➡️ Направить"
BTN_TO_HEAD = "👤 Главе на решение"
BTN_NOT_SUBJECT = "🚫 Не подлежит ответу"
BTN_EXTERNAL = "↗️ Внешнему куратору"
BTN_REPEAT = "🔁 Связать с №{number}"
BTN_DETECTED = "🕘 Время выявления"
BTN_ACCEPT = "✅ Принять"
BTN_NOT_OURS = "↩️ Не наша компетенция"
BTN_OURS = "✅ Наша компетенция"
BTN_SET_DEADLINE = "⏱ Срок: {what}"
BTN_DECIDE = "➡️ Выбрать исполнителя"
BTN_NO_REACTION = "⛔ Не требует реагирования"
BTN_BACK = "⬅️ Назад"
BTN_PREV = "◀️"
BTN_NEXT = "▶️"
BTN_FREE_LOCATION = "✏️ Ввести свою"
BTN_DONE_ASSIGN = "Готово: направить ({count})"
BTN_CANCEL = "Отмена"
BTN_CHOSEN = "✔️ {title}"
BTN_JOINT_HINT = "Отметьте один или несколько отделов (совместный ответ — в порядке выбора)"

# ---- prompts and answers -------------------------------------------------------------------

ASK_TOPIC_GROUP = "Выберите группу тем:"
ASK_TOPIC = "Группа «{group}». Выберите тему:"
ASK_LOCATION = "Выберите локацию или введите свою:"
ASK_LOCATION_TEXT = "Напишите локацию одним сообщением (например: ул. Ленина, 5):"
ASK_IMPORTANCE = "Выберите важность:"
ASK_DEPARTMENTS = "Кому направить? " + BTN_JOINT_HINT
ASK_RETURN_REASON = (
    "Почему это не ваша компетенция? Напишите причину одним сообщением (её увидит куратор):"
)
ASK_NOT_SUBJECT_REASON = "Укажите причину, по которой сообщение не подлежит ответу:"
ASK_NO_REACTION_REASON = "Почему реагирование не требуется? Напишите причину:"
ASK_EXTERNAL_REASON = "Почему сообщение передаётся внешнему куратору? Напишите причину:"
ASK_DETECTED = (
    "Напишите время выявления: ЧЧ:ММ (сегодня) или ДД.ММ.ГГГГ ЧЧ:ММ. Оно не может быть в будущем."
)
BAD_DETECTED = "Не понял время. Пример: 09:15 или 24.11.2026 09:15. Время не может быть в будущем."
EMPTY_REASON = "Причина не может быть пустой. Напишите её одним сообщением или /cancel."
REASON_TOO_LONG = "Слишком длинно ({n} символов). Уложитесь в {limit} символов."
TAGGED = "Разметка сохранена."
ASSIGNED = "Направлено: {departments}."
SENT_TO_HEAD = "Передано главе на решение."
ACCEPTED = "Принято в работу."
RETURNED_OK = "Возвращено куратору."
RETURNED_LATE = "Возвращено куратору с опозданием: окно в {window} истекло, это записано."
CONFIRMED_OURS = "Записано: сообщение в компетенции отдела, окно возврата закрыто."
ASK_DEADLINE = (
    "Срок «{what}» ({clause}). Сейчас: {current}. "
    "Напишите новый срок: ДД.ММ.ГГГГ ЧЧ:ММ или ЧЧ:ММ (сегодня)."
)
BAD_DEADLINE = "Не понял время или оно уже прошло. Пример: 25.11.2026 15:00"
DEADLINE_SET = "Срок «{what}» установлен: {due}."
MARKED_NOT_SUBJECT = "Отмечено: не подлежит ответу."
PASSED_EXTERNAL = "Передано внешнему куратору."
NO_REACTION_OK = "Записано: реагирование не требуется."
LINKED = "Связано с №{number}."
REGISTERED = "Сообщение №{number} заведено."
REPEAT_FOUND = "🔁 Похоже на повторное сообщение: №{numbers}. Связать?"
NOTHING_TO_REGISTER = (
    "Не нашёл, что завести: перешлите пост, отправьте ссылку или фото/скриншот с подписью."
)
ALBUM_REGISTERED = "Альбом из {count} файлов заведён одним сообщением №{number}."


def registered(number: str, files: object, repeats: object) -> str:
    """What the curator is told of a registered post (an album's files, likely repeats)."""
    text = (
        ALBUM_REGISTERED.format(count=files, number=number)
        if isinstance(files, int) and files > 0
        else REGISTERED.format(number=number)
    )
    if isinstance(repeats, list) and repeats:
        text += "\n" + REPEAT_FOUND.format(numbers=", №".join(str(n) for n in repeats))
    return text


CAPTION_SAVED_IN_FULL = "Текст длиннее, чем помещается в карточку: он сохранён полностью."
EXTERNAL_HINT = (
    "Если сообщение пришло из внешней системы, добавьте в подпись строку "
    "«№ 12345 до 25.11.2026 15:00» — срок системы станет общим сроком."
)

# ---- notices -------------------------------------------------------------------------------

SIGNIFICANT_ALERT = "🚨 Общественно значимое сообщение №{number}: {summary}"
RETURNED_NOTICE = (
    "↩️ Сообщение №{number} возвращено отделом «{department}»{late}: {reason}. Направьте его заново."
)
RETURNED_LATE_MARK = " (после окна возврата)"
NOBODY_CAN_ACT = (
    "⚠️ Сообщение №{number}: в отделе «{department}» сейчас нет исполнителя на месте "
    "(отсутствуют без замены или заблокировали бота). Назначьте другого исполнителя."
)
DECISION_NEEDED = "Сообщение №{number} ждёт вашего решения."
REMINDER = "⏰ Напоминание, сообщение №{number}: {what} — до {due} (осталось {left}) — {clause}"
REMINDER_LATE = (
    "⏰ Напоминание, сообщение №{number}: {what} — срок истёк {due} ({ago} назад) — {clause}"
)
BREACH = (
    "🔴 Нарушен срок, сообщение №{number}: {what} — срок истёк {due} — {clause}. "
    "Ответственные: {holders}."
)
NOBODY = "нет никого на месте"
ALERTS: Final = {
    "not_subject": (
        "🚫 Сообщение №{number} не подлежит ответу по существу ({clause}): {reason}. "
        "Передайте его Куратору незамедлительно."
    ),
    "passed_external": (
        "↗️ Сообщение №{number} не относится к компетенции администрации ({clause}): "
        "{reason}. Верните его Куратору незамедлительно."
    ),
    "publication_failed": (
        "⚠️ Ответ на сообщение №{number} не удаётся разместить ({clause}): {reason}. "
        "Сообщите Куратору незамедлительно."
    ),
}
ALERTS_PASSED_ON: Final = {
    "not_subject": (
        "🚫 Сообщение №{number} не подлежит ответу по существу ({clause}): {reason}. "
        "Бот передал его Куратору."
    ),
    "passed_external": (
        "↗️ Сообщение №{number} не относится к компетенции администрации ({clause}): "
        "{reason}. Бот вернул его Куратору."
    ),
    "publication_failed": (
        "⚠️ Ответ на сообщение №{number} не удаётся разместить ({clause}): {reason}. "
        "Бот сообщил Куратору."
    ),
}
ALERTS_TO_EXTERNAL: Final = {
    "not_subject": (
        "🚫 Сообщение №{number} не подлежит ответу по существу ({clause}): {reason}.\n{summary}"
    ),
    "passed_external": (
        "↗️ Сообщение №{number} не относится к компетенции администрации ({clause}): "
        "{reason}.\n{summary}"
    ),
    "publication_failed": (
        "⚠️ Ответ на сообщение №{number} не удаётся разместить ({clause}): {reason}."
    ),
}
UPDATE_SKIPPED_NOTICE = (
    "⚠️ Бот получил от Telegram обновление № {update_id}, которое не смог прочитать "
    "(возможно, Telegram изменил формат; обновите бота). Оно пропущено, остальные "
    "обрабатываются. Подробности в журнале: {reason}"
)
UPDATE_BUSY = "База данных занята, действие не сохранено. Повторите его через минуту."
UPDATE_FAILED = (
    "Не получилось выполнить действие. Повторите его; если не выйдет, напишите администратору."
)
BLOCKED_NOTICE = (
    "⚠️ {name} заблокировал(а) бота: сообщения ему не доходят. "
    "Назначьте замещающего или попросите разблокировать бота."
)

# ---- lists ---------------------------------------------------------------------------------

TASKS_TITLE = "Ваши задачи ({count}), самые срочные сверху:"
TASKS_EMPTY = "Открытых задач нет."
BOARD_TITLE = "Открытые сообщения ({count}), просроченные сверху:"
BOARD_EMPTY = "Открытых сообщений нет."
FIND_USAGE = "Напишите: /find 12 или /find текст из сообщения"
FIND_EMPTY = "Ничего не найдено."
FIND_TITLE = "Найдено ({count}):"
LIST_LINE = "№{number} · {status} · {deadline}"
LIST_NO_DEADLINE = "без срока"
LIST_MORE = "…и ещё {count}"
LIST_PAGE = "Страница {page} из {pages}"
LIST_PREV = "◀️ Назад"
LIST_NEXT = "Дальше ▶️"

# ---- administration ------------------------------------------------------------------------

ADMIN_MENU = "Администрирование «Отклика»: {departments} отделов, {staff} сотрудников."
BTN_DEPARTMENTS = "🏢 Отделы"
BTN_INVITE = "✉️ Пригласить сотрудника"
BTN_STAFF = "👥 Сотрудники"
BTN_ADD_DEPARTMENT = "➕ Новый отдел"
ASK_DEPARTMENT_NAME = "Напишите название нового отдела:"
DEPARTMENT_CREATED = "Отдел «{name}» создан."
DEPARTMENTS_LIST = "Отделы:\n{lines}"
DEPARTMENTS_EMPTY = "Отделов пока нет."
ASK_INVITE_ROLE = "Какую роль дать новому сотруднику?"
ASK_INVITE_DEPARTMENT = "В какой отдел?"
INVITE_LINK = "Одноразовая ссылка для роли «{role}»{department}:\n{link}\nПерешлите её сотруднику."
STAFF_LIST = "Сотрудники:"
STAFF_LINE = "{name} — {roles}{department}{absent}"
STAFF_ABSENT = " (отсутствует: {kind} до {until})"
STAFF_CARD = (
    "{name}\nРоли: {roles}\nОтдел: {department}\nЗамещает: {substitute}\nОтсутствия: {absences}"
)
BTN_SET_SUBSTITUTE = "🔁 Назначить замещающего"
BTN_ADD_ABSENCE = "🗓 Отметить отсутствие"
BTN_REMOVE = "🗑 Удалить из системы"
ASK_SUBSTITUTE = "Кто замещает {name}?"
SUBSTITUTE_SET = "Замещающий назначен: {name}."
ASK_ABSENCE_KIND = "Вид отсутствия:"
ASK_ABSENCE_DATES = (
    "Напишите даты отсутствия: ДД.ММ.ГГГГ-ДД.ММ.ГГГГ (например 01.12.2026-14.12.2026)."
)
BAD_DATES = "Не понял даты. Пример: 01.12.2026-14.12.2026 (окончание не раньше начала)."
ABSENCE_ADDED = "Отсутствие записано: {kind}, {first}–{last}."
MEMBER_REMOVED = "{name} удалён(а) из системы; история сохранена."
NONE = "нет"

# ---- answers -------------------------------------------------------------------------------

DRAFT_KINDS: Final = {
    "final": "окончательный ответ",
    "intermediate": "промежуточный ответ",
    "clarification": "запрос уточнения у автора",
}
WARNINGS: Final = {
    "personal_data": "в тексте есть персональные данные (п. 9 Барнаул: только имя автора)",
    "no_substance": "ответ не по существу или слишком короткий",
    "no_photo": "по этой теме обычно нужно фото или видео, подтверждающее работу",
    "no_measures": (
        "нет принятых мер, этапов и сроков или мотивированного отказа со ссылкой на нормы"
    ),
    "no_progress": (
        "это повторное сообщение: ответ должен сообщать о принятых мерах или о ходе решения"
    ),
}
REACTIONS: Final = {
    "satisfied": "👍 доволен",
    "neutral": "😐 нейтрально",
    "dissatisfied": "👎 недоволен",
}
BTN_DRAFT = "✍️ Подготовить ответ"
BTN_DRAFT_KIND = "{kind}"
BTN_PREVIEW = "👁 Проект целиком"
BTN_SUBMIT = "📤 На согласование"
BTN_SUBMIT_ANYWAY = "📤 Отправить всё равно"
BTN_FIX = "✏️ Исправить"
BTN_TEMPLATES = "📋 Шаблоны разъяснений"
BTN_PART = "🧩 Отправить свою часть"
BTN_APPROVE = "✅ Согласовать"
BTN_REVISE = "↩️ На доработку"
BTN_EXT_OK = "✅ Внешний куратор согласовал"
BTN_EXT_BACK = "↩️ Внешний куратор вернул"
BTN_PUBLISHED = "📢 Опубликовано"
BTN_PUBLISHED_PRIVATE = "✉️ Ответил в личные сообщения"
BTN_PUBLISHED_GENERAL = "🌐 Опубликовано и на официальной странице"
BTN_CANT_PUBLISH = "⚠️ Не удаётся опубликовать"
BTN_AUTHOR_REPLIED = "💬 Автор ответил"
BTN_AUTHOR_SILENT = "🔕 Автор не ответил — закрыть"
BTN_CONVERT = "📄 В обращение по 59-ФЗ"
CARD_DRAFT = "✍️ Проект ({kind}, редакция {revision}): «{text}»"
CARD_DRAFT_OPEN = "✍️ Готовится проект ({kind}): {chars} символов, вложений: {files}"
CARD_PROMISED = "Окончательный ответ обещан к {date}"
CARD_REVISION_REASON = "↩️ Возвращено на доработку: {reason}"
CARD_STEP = "Согласует сейчас: {role}"
CARD_PUBLISHED = "📢 Опубликовано {moment}: {where}"
CARD_SENT_PRIVATE = "✉️ Отправлено автору в личные сообщения {moment}: {where}"
CARD_OUTCOME = "Итог: {outcome}"
CARD_REACTION = "Реакция автора: {reaction}"
CARD_PARTS = "🧩 Части совместного ответа: {ready} из {total}"
CARD_PART = "— {department}: «{text}»"
OUTCOMES: Final = {
    "answered": "ответ дан",
    "answered_after_intermediate": "ответ дан после промежуточного",
    "not_subject": "не подлежит ответу",
    "converted": "переведено в обращение по 59-ФЗ",
    "passed_external": "передано внешнему куратору",
    "no_reaction": "реагирование не требуется",
    "author_silent": "автор не ответил на запрос уточнения",
}
ASK_PROMISED = "К какой дате будет окончательный ответ? Напишите ДД.ММ.ГГГГ:"
BAD_PROMISED = "Не понял дату или она в прошлом. Пример: 03.12.2026"
DRAFTING = (
    "Пишите {kind}: текст, фото, видео, документы — можно несколькими сообщениями. "
    "Когда готово, нажмите «{submit}»."
)
DRAFT_ADDED = "Добавлено в проект: {chars} символов, вложений: {files}."
DRAFT_EMPTY = "Проект пуст: напишите текст ответа."
DRAFT_WARNINGS = "Проверьте проект перед отправкой:\n{lines}"
DRAFT_FRAGMENTS = "Найдено: {fragments}"
SUBMITTED = "Проект отправлен на согласование."
ASK_PART = "Напишите часть совместного ответа от вашего отдела одним сообщением:"
PART_SENT = "Часть отправлена."
APPROVED_OK = "Согласовано."
ASK_REVISION_REASON = "Что доработать? Напишите замечания одним сообщением (их увидит исполнитель):"
REVISION_SENT = "Возвращено на доработку."
ASK_PUBLICATION = "Пришлите ссылку на опубликованный ответ или скриншот публикации:"
BAD_PUBLICATION = "Нужна ссылка (https://…) или скриншот."
PUBLISHED_OK = "Публикация записана."
ASK_CANT_PUBLISH = "Почему не удаётся опубликовать? Куратор сообщит внешнему куратору:"
CANT_PUBLISH_OK = "Записано: публикация невозможна, куратору сообщено."
ASK_AUTHOR_REPLY = "Что ответил автор? Перешлите или перепишите его ответ:"
AUTHOR_REPLY_OK = "Ответ автора записан, срок снова идёт."
ASK_CONVERT_REASON = "Почему сообщение переводится в обращение по 59-ФЗ?"
CONVERTED_OK = "Переведено в обращение по 59-ФЗ."
REACTION_OK = "Реакция автора записана."
AUTHOR_SILENT_OK = "Закрыто: автор не ответил на запрос уточнения."
PROMISE_TOO_LATE = (
    "Окончательный ответ — не позднее {date} ({clause}: 7 рабочих дней со дня "
    "промежуточного ответа). Напишите дату не позже этой:"
)
NOT_YOUR_STEP = "Сейчас согласует: {role}."
PARTS_MISSING = "Ещё не все части совместного ответа получены."
KIND_NOT_ALLOWED = "Такой вид ответа здесь недоступен."
REVISION_NOTICE = "↩️ Проект по сообщению №{number} возвращён на доработку: {reason}"
AUTHOR_REPLIED_NOTICE = "💬 Автор ответил по сообщению №{number}: {text}"
PUBLICATION_FAILED_NOTICE = (
    "⚠️ По сообщению №{number} не удаётся опубликовать ответ: {reason}. Сообщите внешнему куратору."
)
TEMPLATES_TITLE = "Шаблоны разъяснений (п. 3.8): выберите, текст добавится в проект."
TEMPLATE_ADDED = "Шаблон добавлен в проект. Замените подстановки в фигурных скобках."

# ---- reports (domain/reports.py, bot/reporting.py, handlers/reports.py) ---------------------

COMMANDS.update(
    {
        "report": "Отчёт: неделя, месяц, квартал или даты",
        "discipline": "Журнал нарушений сроков (XLSX или CSV)",
        "posted": "Отметить публикацию в официальных аккаунтах",
    }
)
HELP += (
    "\n/report [week|month|quarter|ДД.ММ.ГГГГ-ДД.ММ.ГГГГ] — отчёт (глава, заместители, куратор)"
    "\n/discipline [период] [csv] — журнал нарушений сроков"
    "\n/posted [ссылка] — отметить публикацию в официальных аккаунтах (куратор)"
)
REPORT_USAGE = (
    "Напишите: /report week (7 дней), /report month, /report quarter "
    "или /report 01.11.2026-30.11.2026"
)
REPORT_QUEUED = "Готовлю отчёт за {start} — {end}…"
DISCIPLINE_USAGE = (
    "Напишите: /discipline month, /discipline quarter csv или /discipline 01.11.2026-30.11.2026"
)
DISCIPLINE_QUEUED = "Готовлю журнал нарушений сроков за {start} — {end}…"
POSTED_OK = "Записано: публикация в официальных аккаунтах. Предыдущая отмечена {previous}."
POSTED_FIRST = "Записано: это первая отмеченная публикация в официальных аккаунтах."

REPORT_TITLES: Final = {
    "weekly": "📊 Еженедельный отчёт о работе с сообщениями",
    "monthly": "📊 Ежемесячная сводка о работе с сообщениями",
    "quarterly": "📊 Ежеквартальная сводка о работе с сообщениями",
    "custom": "📊 Отчёт о работе с сообщениями",
}
REPORT_CLAUSE = " (п. {clause})"
REPORT_PERIOD = "Период: {start} — {end}"
REPORT_TOTAL = "Всего сообщений: <b>{total}</b>"
REPORT_ANSWERS = (
    "Ответы: в срок — {on_time}, с нарушением срока — {late}; "
    "ещё в работе — {open} (из них просрочено — {overdue})"
)
REPORT_OTHER = (
    "Не подлежат ответу — {not_subject}; закрыто без ответа — {closed}; повторных — {repeated}"
)
REPORT_TIMES = "Время до ответа {unit}: медиана {median}, 90-й процентиль {p90} (ответов: {count})"
REPORT_TIME_UNITS: Final = {
    "working": "в рабочих часах",
    "calendar": "в часах (календарных)",
    "every_day": "в рабочих часах (выходные — тоже)",
}
REPORT_TIMES_NONE = "Время до ответа: ответов за период нет"
REPORT_TOPICS = "<b>По темам:</b>"
REPORT_TOPIC_GROUP = "• {group} — {count}"
REPORT_TOPIC = "    – {topic} — {count}"
REPORT_LOCATIONS = "<b>По локациям:</b>"
REPORT_IMPORTANCE = "<b>По важности:</b>"
REPORT_LINE = "• {name} — {count}"
REPORT_NO_TOPIC = "без темы"
REPORT_NO_LOCATION = "без локации"
REPORT_DEPARTMENTS = "<b>По отделам</b> (всего · в срок · с нарушением · в работе):"
REPORT_DEPARTMENT = "• {name}: {total} · {on_time} · {late} · {open}"
REPORT_NO_DEPARTMENT = "не направлено в отдел"
REPORT_BREACHES = "<b>Нарушения сроков ({count}):</b>"
REPORT_BREACH = (
    "• №{number} · {department} · {who} · {what} ({clause}): срок {due}, просрочено на {overdue}"
)
REPORT_BREACH_OPEN = " — не выполнено"
REPORT_BREACHES_MORE = "…и ещё {count}: полный список — в таблице"
REPORT_NO_BREACHES = "Нарушений сроков нет."
REPORT_QUALITY = "<b>Качество:</b>"
REPORT_REVISIONS = "• возвращено на доработку — {count}"
REPORT_INTERMEDIATE = "• промежуточных ответов — {count}"
REPORT_REPEATED = "• повторных сообщений — {count}"
REPORT_REACTIONS = "• реакция авторов: {reactions}"
REPORT_REACTIONS_NONE = "• реакция авторов не отмечена"
REPORT_DYNAMICS = "<b>Динамика к предыдущему периоду ({start} — {end}):</b>"
REPORT_DYNAMICS_LINE = "• {what}: {value} (было {before}, {delta})"
REPORT_DYNAMICS_WHAT: Final = {
    "total": "сообщений",
    "on_time": "ответов в срок",
    "late": "ответов с нарушением срока",
    "breaches": "нарушений сроков",
    "median": "медиана времени до ответа",
}
REPORT_NO_VALUE = "—"
REPORT_HOURS = "{h} ч {m} мин"
REPORT_MINUTES = "{m} мин"
REPORT_CHART_CAPTION = "Темы, доля ответов в срок по отделам и сообщения по неделям"
REPORT_FILE_CAPTION = "Таблица: все сообщения периода и нарушения сроков"
REPORT_FILE = "otchet_{start}_{end}.xlsx"
CHART_TOPICS = "Сообщения по темам"
CHART_ON_TIME = "Ответы в срок по отделам, %"
CHART_TREND = "Сообщений по неделям"
CHART_EMPTY = "нет данных"
XLSX_INCIDENTS = "Сообщения"
XLSX_BREACHES = "Нарушения сроков"
XLSX_INCIDENT_HEADER = (
    "Номер",
    "Выявлено",
    "Источник",
    "Группа тем",
    "Тема",
    "Локация",
    "Важность",
    "Статус",
    "Отделы",
    "Ответ опубликован",
    "Срок ответа",
    "Ответ в срок",
    "Рабочих часов до ответа",
    "Повторное",
    "Итог",
    "Реакция автора",
)
XLSX_BREACH_HEADER = (
    "Номер",
    "Отдел",
    "Ответственный",
    "Роль",
    "Срок",
    "Пункт",
    "Начало",
    "Срок истёк",
    "Выполнено",
    "Просрочено, ч",
    "Время",
)
YES = "да"
NO = "нет"
CLOCK_KINDS: Final = {"working": "рабочее", "calendar": "календарное"}
DISCIPLINE_TITLE = "📋 Журнал нарушений сроков: {start} — {end}"
DISCIPLINE_PERSON = "• {name}: нарушений — {count}, просрочено всего {overdue}"
DISCIPLINE_NONE = "Нарушений сроков за период нет."
DISCIPLINE_CAPTION = "Журнал нарушений сроков по сотрудникам"
DISCIPLINE_FILE = "narusheniya_{start}_{end}.{ext}"
SURGE_ALERT = (
    "📈 Повышенная социальная активность: {count} сообщений за {hours} ч — "
    "тема «{topic}», локация «{location}». Сообщения: №{numbers}"
)
CONTENT_REMINDER = (
    "🗓 В официальных аккаунтах {since}. По регламенту — не реже двух раз в неделю "
    "(п. 6). Опубликуйте новость и отметьте её: /posted"
)
CONTENT_SINCE = "нет отмеченных публикаций с {date} ({days} дн.)"
CONTENT_NEVER = "ещё не отмечено ни одной публикации"
