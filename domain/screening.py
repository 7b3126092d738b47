"""Hints that a post may be not subject to answer (Lipetsk 17, Bor 14, Gulkevichi 3.7, Barnaul 9).

The bot only flags; the curator decides. Every rule is conservative: a missed word costs the
curator a glance, a false flag on a complaint about a pothole costs trust in the hint.

Words are compared after lowercasing, ё→е, and — in words with Cyrillic letters or made only of
look-alikes — Latin look-alikes and digits read as Cyrillic (a e o p c x y k m t h u, 0→о, 3→з,
6→б, @→а); a letter written three times or more counts once ("бляяя"); a word masked with asterisks
("п*здец") is compared letter for letter with known obscene words.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from enum import StrEnum


class Flag(StrEnum):
    INSULT = "insult"
    PROFANITY = "profanity"
    """Obscene vocabulary (mat): the roots хуй, пизд-, еб-/ёб-, бляд- and their forms."""
    THREAT = "threat"
    """Threats of violence to people or of damage to property."""


@dataclass(frozen=True, slots=True)
class Finding:
    flag: Flag
    fragment: str
    """The words as written in the post."""


_TOKEN = re.compile(r"[0-9a-zA-Zа-яА-ЯёЁ@*]+")
_CYRILLIC = re.compile(r"[а-я]")
_LOOKALIKE = str.maketrans("aeopcxykmthu036@", "аеорсхукмтниозба")
_LOOKALIKE_LETTERS = frozenset("aeopcxykmthu")
_REPEATS = re.compile(r"(.)\1{2,}")
_SENTENCE_BREAK = re.compile(r"[.!?;:()\n«»\"]")

_PREFIX = r"(?:за|на|по|о|а|об|от|вы|до|при|про|пере|под|подо|с|раз|рас|из|ис|ни|недо|въ|съ)"
"""Prefixes before ху-. Not у-: "сухую"."""
_HARD_PREFIX = r"(?:отъ|объ|подъ|разъ|изъ|въ|взъ|съ)"
_E_PREFIX = rf"(?:за|на|по|у|вы|до|от|про|пере|при|недо|долбо|{_HARD_PREFIX})"
"""Prefixes before еб-. Never с- or о-: "себе", "себестоимость"."""

_MAT = re.compile(
    rf"{_PREFIX}{{0,2}}ху[йяеюи]"
    r"|хули$"
    r"|.*(?:пизд|пезд)"
    rf"|{_E_PREFIX}{{0,2}}еб(?!ург)"
    r"|(?:вы|по|на|раз|рас)?бля(?:$|д|т)"
)
"""Matched from the start of a normalised word."""

_MASKED_WORDS = (
    "хуй",
    "хуя",
    "хуе",
    "хуйня",
    "нахуй",
    "похуй",
    "нихуя",
    "охуеть",
    "охуели",
    "охуел",
    "пизда",
    "пизды",
    "пиздец",
    "пиздеж",
    "спиздили",
    "блядь",
    "блять",
    "бляди",
    "ебать",
    "ебаный",
    "ебаные",
    "ебал",
    "ебали",
    "заебали",
    "заебал",
    "уебок",
    "уебки",
    "наебали",
    "ебанутые",
)

_MASC = r"(?:|а|у|ом|е|ы|ов|ам|ами|ах)"
_MASC_K = r"(?:ок|ка|ку|ком|ке|ки|ков|кам|ками|ках)"
_FEM_K = r"(?:ка|ки|ке|ку|кой|ок|кам|ками|ках)"
_SOFT = r"(?:ь|и|ью|ей|ям|ями|ях|ам|ами|ах)"
_FEM_A = r"(?:а|ы|и|е|у|ой|ою|ам|ами|ах|)"

_INSULT = re.compile(
    rf"(?:идиот|дебил|кретин|дегенерат|имбецил){_MASC}"
    rf"|(?:идиот|дебил|кретин|дегенерат){_FEM_K}"
    rf"|урод(?:{_MASC}|ина|ины|ине|ину|иной)"
    rf"|(?:придур|ублюд|вырод|подон){_MASC_K}"
    r"|мерзав(?:ец|ца|цу|цем|це|цы|цев|цам|цами|цах)"
    r"|мудак(?:|а|у|ом|е|и|ов|ам|ами|ах)"
    rf"|(?:мудил|паскуд|шлюх){_FEM_A}"
    rf"|(?:пидор|пидар|пидорас|пидарас|пидр|гандон|гондон){_MASC}"
    rf"|(?:твар|мраз|сволоч){_SOFT}"
    r"|мразот(?:а|ы|е|у|ой)"
    r"|чмо|чмошник(?:|а|у|ом|е|и|ов|ам|ами|ах)"
    r"|быдл(?:о|а|у|ом|е)"
)
"""Whole words: nouns that insult a person. Not "козлы" (sawhorses), "гниды" (nits),
"скотина" (cattle), "сука" (a bitch with puppies), "дураки" (of the proverb), nor adjectives
("уродливые скамейки", "идиотская ситуация")."""

_THREAT_WORDS = frozenset(
    {
        "убью",
        "убьем",
        "прибью",
        "прибьем",
        "зарежу",
        "зарежем",
        "застрелю",
        "застрелим",
        "пристрелю",
        "пристрелим",
        "перестреляю",
        "перестреляем",
        "поубиваю",
        "изобью",
        "покалечу",
        "придушу",
        "задушу",
        "урою",
        "уроем",
        "взорву",
        "взорвем",
        "сожгу",
        "сожжем",
        "подожгу",
        "подожжем",
    }
)
"""First person future only: "чуть не убило током", "сожгли мусор" are not threats."""

_NOT_A_TERM = r"(?! (?:\d|года|месяца|недели|дня|срока|квартала|сезона|ремонта|работ|очереди))"
"""Not "вам конец года назвали сроком"."""
_THREAT_PHRASES = re.compile(
    rf"\b(?:вам|тебе)(?: всем)? (?:конец|хана|крышка|не жить)\b{_NOT_A_TERM}"
    rf"|\bвсем вам (?:конец|хана|крышка)\b{_NOT_A_TERM}"
    r"|\bне жить (?:вам|тебе)\b"
    r"|\bдобер(?:усь|емся) до (?:вас|тебя|каждого|всех|него|нее|них)\b"
    r"|(?<!\bне )\bпожалее(?:те|шь)\b"
    r"|\b(?:голову|башку) (?:оторву|откручу|проломлю)\b"
    r"|\b(?:оторву|откручу|проломлю) (?:вам |тебе )?(?:голову|башку)\b"
    r"|\b(?:ноги|руки) (?:переломаю|поломаю|оторву)\b"
    r"|\b(?:переломаю|поломаю|оторву) (?:вам |тебе )?(?:ноги|руки)\b"
)
"""On the normalised text: words joined by one space, sentences apart ("вам. Конец" is not)."""


@dataclass(frozen=True, slots=True)
class _Word:
    norm: str
    start: int
    end: int


def _normalise(word: str) -> str:
    lowered = word.lower().replace("ё", "е")
    letters = [c for c in lowered if c.isalpha()]
    if _CYRILLIC.search(lowered) or (letters and all(c in _LOOKALIKE_LETTERS for c in letters)):
        lowered = lowered.translate(_LOOKALIKE)
    return lowered


def _words(text: str) -> list[_Word]:
    return [_Word(_normalise(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _masked_mat(word: str) -> bool:
    if "*" not in word or sum(c.isalpha() for c in word) < 2 or not _CYRILLIC.search(word):
        return False
    pattern = re.compile("".join("[а-я]" if c == "*" else re.escape(c) for c in word))
    return any(pattern.fullmatch(w) for w in _MASKED_WORDS)


def _word_flag(word: str) -> Flag | None:
    if not _CYRILLIC.search(word):
        return None
    if "*" in word:
        return Flag.PROFANITY if _masked_mat(word) else None
    for form in dict.fromkeys((word, _REPEATS.sub(r"\1", word))):
        if _MAT.match(form):
            return Flag.PROFANITY
        if _INSULT.fullmatch(form):
            return Flag.INSULT
        if form in _THREAT_WORDS:
            return Flag.THREAT
    return None


def find_flagged(text: str) -> tuple[Finding, ...]:
    """Each flagged word or phrase, as written, in the order of the text (repeats once)."""
    words = _words(text)
    hits: list[tuple[int, Finding]] = []
    for w in words:
        flag = _word_flag(w.norm)
        if flag is not None:
            hits.append((w.start, Finding(flag, text[w.start : w.end])))
    joined, starts = _joined(text, words)
    for m in _THREAT_PHRASES.finditer(joined):
        first = bisect_right(starts, m.start()) - 1
        last = bisect_right(starts, m.end() - 1) - 1
        start, end = words[first].start, words[last].end
        hits.append((start, Finding(Flag.THREAT, text[start:end])))
    hits.sort(key=lambda h: h[0])
    return tuple(dict.fromkeys(f for _, f in hits))


def _joined(text: str, words: list[_Word]) -> tuple[str, list[int]]:
    parts: list[str] = []
    starts: list[int] = []
    length = 0
    for i, w in enumerate(words):
        if i:
            gap = text[words[i - 1].end : w.start]
            sep = " | " if _SENTENCE_BREAK.search(gap) else " "
            parts.append(sep)
            length += len(sep)
        starts.append(length)
        parts.append(w.norm)
        length += len(w.norm)
    return "".join(parts), starts


def screen(text: str) -> tuple[Flag, ...]:
    """The flags the text raises, sorted, each once; empty when nothing is suspicious."""
    return tuple(sorted({f.flag for f in find_flagged(text)}))


def is_unreadable(text: str) -> bool:
    """True when there is nothing to read (Gulkevichi 3.7): fewer than two Cyrillic or Latin
    letters — empty, only emoji, punctuation or digits, or another script."""
    return len(re.findall(r"[a-zA-Zа-яА-ЯёЁ]", text)) < 2
