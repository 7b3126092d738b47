"""Checks of a draft answer before it is submitted: warnings the executor may override.

Barnaul 9: no personal data beyond the author's name. Myasnikovsky 9: a final answer states the
measures taken, their stages and dates, or a reasoned refusal citing the law. Gulkevichi 3.8:
explanations for messages that cannot be answered on the merits (`EXPLANATION_TEMPLATES`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class DraftWarning(StrEnum):
    PERSONAL_DATA = "personal_data"
    """A phone number, e-mail, passport, SNILS, INN or account number (`find_personal_data`)."""
    NO_SUBSTANCE = "no_substance"
    """Too short, or nothing but courtesy and stock phrases ("Информация принята к сведению")."""
    NO_PHOTO = "no_photo"
    """The topic needs a photo confirming the work and the draft has no photo or video."""
    NO_MEASURES = "no_measures"
    """No date or deadline, no words of measures taken or planned, no legal reference."""
    NO_PROGRESS = "no_progress"
    """A repeated message: the answer says nothing of what was done or how the matter stands
    (Lipetsk 15, Bor 12, Gulkevichi 3.4, Myasnikovsky 11)."""


_SEP = r"[ \t\u00a0\u202f\-–—]*"
_PHONE = re.compile(
    r"(?<![\w+])(?<!\d[.,/])"
    rf"(?:(?P<cc>\+[ \u00a0]?7|8|7){_SEP})?"
    rf"(?:\([ \u00a0]*\d{{3,5}}[ \u00a0]*\)|\d{{3,5}}){_SEP}\d{{1,3}}(?:{_SEP}\d{{2}}){{2}}"
    r"(?!\w)(?![.,/]\d)"
)
"""Russian numbers: +7 / 8 / 7 or nothing, then ten digits in any grouping (checked after)."""
_LOCAL_PHONE = re.compile(
    r"(?:\bтел(?:ефон[а-я]*)?\.?|\bт\.)[ \u00a0]*:?[ \u00a0]*"
    r"(?P<number>\d{1,3}-\d{2}-\d{2})(?![\d\-])",
    re.IGNORECASE,
)
"""Five to seven digits ("2-15-34") only after "тел.": otherwise they may be a date (12-03-26)."""
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}")
_SNILS = re.compile(r"(?<![\w\-])\d{3}[\- ]\d{3}[\- ]\d{3}[\- ]\d{2}(?![\w\-])")
_PASSPORT = re.compile(
    r"(?<![\w\-])\d{2} ?\d{2} +\d{6}(?!\w)"
    r"|\bсери[яи][ \u00a0]*\d{2} ?\d{2}[ \u00a0]*(?:№|номер|N)?[ \u00a0]*\d{6}(?!\w)",
    re.IGNORECASE,
)
_LONG_NUMBER = re.compile(
    r"(?<![\w\-])(?<!\d[.,/])\d{10,12}(?!\w)(?![.,/]\d)"
    r"|(?<=ИНН)\d{10,12}(?!\d)|(?<=СНИЛС)\d{11}(?!\d)",
    re.IGNORECASE,
)
"""INN (10 or 12 digits), SNILS or a passport written solid, a personal account number."""
_LINK = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)
"""Numbers inside links are ids of posts and pages."""
_AFTER_NUMBER_SIGN = re.compile(r"(?:№|\bN)[ \u00a0]*$")
_THOUSANDS = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+")
_MONEY_AFTER = re.compile(r"[ \u00a0]*(?:руб|р\.|₽|тыс|млн|млрд|коп)", re.IGNORECASE)


def _phone_spans(text: str) -> Iterable[tuple[int, int]]:
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        national = digits[1:] if m.group("cc") else digits
        if len(national) != 10 or national[0] not in "3489" or national.startswith("800"):
            continue
        if _AFTER_NUMBER_SIGN.search(text, 0, m.start()) or _MONEY_AFTER.match(text, m.end()):
            continue
        if not m.group("cc") and _THOUSANDS.fullmatch(m.group()):
            continue
        yield m.span()


def _spans(text: str) -> list[tuple[int, int]]:
    spans = list(_phone_spans(text))
    spans += [m.span("number") for m in _LOCAL_PHONE.finditer(text)]
    spans += [m.span() for m in _EMAIL.finditer(text)]
    spans += [m.span() for m in _SNILS.finditer(text)]
    spans += [m.span() for m in _PASSPORT.finditer(text)]
    spans += [
        m.span()
        for m in _LONG_NUMBER.finditer(text)
        if not _AFTER_NUMBER_SIGN.search(text, 0, m.start())
        and not _MONEY_AFTER.match(text, m.end())
    ]
    links = [m.span() for m in _LINK.finditer(text)]
    spans = [s for s in spans if not any(a <= s[0] and s[1] <= b for a, b in links)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _contact_key(fragment: str) -> str:
    if "@" in fragment:
        return fragment.strip().lower()
    digits = re.sub(r"\D", "", fragment)
    if len(digits) == 11 and digits[0] in "78":
        return digits[1:]
    return digits


def _is_public(fragment: str, public: frozenset[str]) -> bool:
    key = _contact_key(fragment)
    if key in public:
        return True
    return "@" not in key and len(key) >= 5 and any(p.endswith(key) for p in public)


def find_personal_data(text: str, *, public_contacts: Iterable[str] = ()) -> tuple[str, ...]:
    """Fragments that look like personal data, as written, in order, each once.

    Phones (+7/8 and ten digits in any grouping; local "2-15-34" only after "тел."), e-mails,
    passports ("45 06 123456", "4506 123456", "серия 4506 № 123456"), SNILS ("123-456-789 01"),
    10-12 digits written solid (INN, account numbers). Not dates, times, house and flat numbers,
    sums, years, decree numbers ("№ 203 от 06.04.2020"), nor 8-800 hotlines.
    `public_contacts`: the organisation's own phones and e-mails, which are not flagged.
    """
    public = frozenset(_contact_key(c) for c in public_contacts)
    found = (text[s:e].strip() for s, e in _spans(text))
    return tuple(dict.fromkeys(f for f in found if f and not _is_public(f, public)))


_NAMED_ADDRESS = re.compile(r"\b[Уу]важаем(?:ый|ая|ые)(?:[ \u00a0]+[А-ЯЁ][а-яё\-]+){0,3}")
_STOCK = re.compile(
    r"\bздравствуйте\b|\bдобр(?:ый|ое|ого)[ ]+(?:день|дня|вечер|утро|утра)\b"
    r"|\bприветствуем(?: вас)?\b"
    r"|\b(?:спасибо|благодарим|благодарю)(?: вам| вас)?"
    r"(?: за (?:ваше |ваш |ваши |проявленн[а-я]+ )?(?:обращение|сообщение|вопрос|информацию"
    r"|внимание|отзыв|комментари[йи]|неравнодушие|бдительность|терпение|понимание"
    r"|активную(?: гражданскую)? позицию))?"
    r"|\b(?:ваше |ваш )?(?:обращение|сообщение|информация|вопрос|комментарий)"
    r" (?:принят[аоы]?|получен[аоы]?|зарегистрирован[аоы]?|рассмотрен[аоы]?)"
    r"(?: к сведению| в работу| к рассмотрению)?"
    r"|\bпринят[аоы]? (?:к сведению|в работу|к рассмотрению)"
    r"|\b(?:вопрос|ситуация|обращение|сообщение|проблема)"
    r"(?: находится| взят[аоы]?| поставлен[аоы]?)? на контрол[еья]"
    r"|\b(?:взят[аоы]?|поставлен[аоы]?|находится|остается|остаётся) на контрол[еья]"
    r"|\bна контроле\b|\bк сведению\b"
    r"|\bразбер[её]мся\b|\bбудем разбираться\b|\bпримем меры\b"
    r"|\bмеры будут приняты\b|\bбудут приняты меры\b|\bпримем к сведению\b"
    r"|\bхорошего дня\b|\bвсего доброго\b|\bвсего хорошего\b"
    r"|\bс уважением\b[\s\S]*$",
    re.IGNORECASE,
)
"""Courtesy and stock phrases that carry nothing; the signature after "С уважением" too."""
_WORD = re.compile(r"[^\W_]+")
MIN_SUBSTANCE_WORDS = 4
"""Words (numbers count) a draft needs besides courtesy and stock phrases."""

_MONTHS = r"(?:январ|феврал|март|апрел|ма[йяе]|июн|июл|август|сентябр|октябр|ноябр|декабр)[а-я]*"
_DEADLINE = re.compile(
    r"\b\d{1,2}\.\d{1,2}(?:\.\d{2,4})?\b"
    rf"|\b\d{{1,2}}[ \u00a0]+{_MONTHS}"
    rf"|\bв[ \u00a0]+{_MONTHS}"
    r"|\b(?:19|20)\d{2}[ \u00a0]*(?:г\.|г\b|год)"
    r"|\b(?:I{1,3}|IV|[1-4]|перв|втор|трет|четв[её]рт)[а-я\-]*[ \u00a0]+квартал"
    r"|\bдо конца (?:дня|недели|месяца|квартала|года)"
    r"|\bв течение\b|\bв срок\b|\bсрок[а-я]* (?:выполнения|исполнения|устранения|проведения)"
    r"|\bсегодня\b|\bзавтра\b|\bна (?:этой|следующей|текущей) неделе"
    r"|\bв (?:текущем|следующем|этом) (?:месяце|году|квартале)"
    r"|\b(?:весной|летом|осенью|зимой)\b|\bв (?:весенн|летн|осенн|зимн)[а-я\-]* период",
    re.IGNORECASE,
)
_MEASURES = re.compile(
    r"\b(?:выполн|провед|проводи|проводя|запланир|планир|будет|будут|устран|отремонтир"
    r"|ремонтир|замен|установ|вывез|вывоз|восстанов|организов|произвед|осуществл|очищ|убран"
    r"|заделан|заделаю|ликвидир|демонтир|заасфальтир|асфальтир|покош|спил|обрез|отлов"
    r"|предписан|включен|заключен|начат|начал[аио]?\b|приступ|ведутся|ведется|ведётся|заверш"
    r"|возобнов|подключ|налаж|исправл|обследов|выех|направлен[ао]? (?:предписание|письмо|запрос"
    r"|требование|претензи))",
    re.IGNORECASE,
)
_LEGAL = re.compile(
    r"\bст\.[ \u00a0]*\d|\bстать[яиейёю]+[ \u00a0]*\d|федеральн|\bзакон|постановлени"
    r"|распоряжени|\bприказ|кодекс|\bгост\b|санпин|\bсп[ \u00a0]+\d|\bправил(?:а|ам|ами|ах)?\b"
    r"|\bп\.[ \u00a0]*\d|\bпункт|\bрешени[а-я]* (?:суда|совета|думы|собрания)"
    r"|№[ \u00a0]*\d|полномочи|компетенци|\bдан[ао]? ранее|\bранее (?:был[ао]? )?дан",
    re.IGNORECASE,
)
"""A legal reference, or the reason of a refusal: competence, an answer given earlier."""


def _substance(text: str) -> str:
    """The text without courtesy and stock phrases, names in the address, links and e-mails."""
    text = _EMAIL.sub(" ", _LINK.sub(" ", text))
    return _STOCK.sub(" ", _NAMED_ADDRESS.sub(" ", text))


def check_draft(
    text: str,
    *,
    has_photo: bool,
    topic_needs_photo: bool,
    require_measures: bool,
    public_contacts: Iterable[str] = (),
    require_progress: bool = False,
) -> tuple[DraftWarning, ...]:
    """Warnings for a draft, in the order of `DraftWarning`.

    `has_photo`: a photo or video is attached. `require_measures`: a final answer (not an
    intermediate one or a clarification request). `public_contacts`: see `find_personal_data`.
    `require_progress`: the answer to a repeated message, which says what was done or how the
    matter stands (measures or a date).
    Measures, dates and legal references are looked for outside courtesy and stock phrases
    ("меры будут приняты" is no measure).
    """
    warnings: list[DraftWarning] = []
    if find_personal_data(text, public_contacts=public_contacts):
        warnings.append(DraftWarning.PERSONAL_DATA)
    rest = _substance(text)
    if len(_WORD.findall(rest)) < MIN_SUBSTANCE_WORDS:
        warnings.append(DraftWarning.NO_SUBSTANCE)
    if topic_needs_photo and not has_photo:
        warnings.append(DraftWarning.NO_PHOTO)
    if require_measures and not (
        _DEADLINE.search(rest) or _MEASURES.search(rest) or _LEGAL.search(rest)
    ):
        warnings.append(DraftWarning.NO_MEASURES)
    if require_progress and not (_DEADLINE.search(rest) or _MEASURES.search(rest)):
        warnings.append(DraftWarning.NO_PROGRESS)
    return tuple(warnings)


@dataclass(frozen=True, slots=True)
class Template:
    """An explanation the executor starts a draft from; `{name}` marks a value to fill in."""

    code: str
    title: str
    text: str

    @property
    def placeholders(self) -> tuple[str, ...]:
        names = (name for _, name, _, _ in string.Formatter().parse(self.text) if name)
        return tuple(dict.fromkeys(names))

    def render(self, **values: str) -> str:
        """The text with every placeholder filled; raises ValueError naming a missing one."""
        missing = [p for p in self.placeholders if not values.get(p, "").strip()]
        if missing:
            raise ValueError(f"template {self.code!r} needs {', '.join(missing)}")
        return self.text.format_map({p: values[p].strip() for p in self.placeholders})


EXPLANATION_TEMPLATES: tuple[Template, ...] = (
    Template(
        code="outside_competence",
        title="Вопрос вне компетенции администрации",
        text=(
            "Здравствуйте! Благодарим Вас за обращение. Решение вопроса, изложенного в Вашем "
            "сообщении, не относится к полномочиям администрации. Ваше сообщение направлено "
            "для рассмотрения по существу в {competent_body}. Вы также вправе обратиться "
            "туда самостоятельно."
        ),
    ),
    Template(
        code="against_law",
        title="Требование действовать в обход закона",
        text=(
            "Здравствуйте! Благодарим Вас за обращение. Администрация действует только в "
            "пределах полномочий и в порядке, которые установлены законодательством "
            "Российской Федерации. Выполнение изложенного в Вашем сообщении требования "
            "потребовало бы действий в нарушение установленного законом порядка, поэтому "
            "оно не может быть удовлетворено. Просим отнестись к этому с пониманием."
        ),
    ),
    Template(
        code="court_ruling",
        title="Несогласие с решением суда",
        text=(
            "Здравствуйте! Благодарим Вас за обращение. В соответствии со статьёй 118 "
            "Конституции Российской Федерации правосудие осуществляется только судом; "
            "органы местного самоуправления не вправе пересматривать, изменять или отменять "
            "судебные решения. Судебное решение может быть обжаловано в порядке, установленном "
            "процессуальным законодательством Российской Федерации, путём подачи жалобы "
            "в вышестоящий суд."
        ),
    ),
    Template(
        code="already_answered",
        title="Ответ на этот вопрос уже дан",
        text=(
            "Здравствуйте! Благодарим Вас за внимание к этому вопросу. Ответ на него был дан "
            "ранее: {earlier_answer}. Новых обстоятельств, требующих дополнительного "
            "рассмотрения, в Вашем сообщении не приводится. Если ситуация изменилась, просим "
            "сообщить подробности, и мы рассмотрим её повторно."
        ),
    ),
)


def explanation_template(code: str) -> Template | None:
    return next((t for t in EXPLANATION_TEMPLATES if t.code == code), None)
