"""What an incident is about and where: topics in two levels, locations, and button paging.

Codes go into Telegram callback data (64 bytes), so they are short ASCII slugs. The default
topics follow the categories of the federal feedback platform (ПОС «Госуслуги. Решаем вместе»);
an organisation may replace them, and name its locations, in the configuration file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from domain.errors import ConfigError

CODE_PATTERN = re.compile(r"[a-z0-9_]{1,12}")
"""A topic or group code: at most 12 lowercase ASCII letters, digits or underscores."""


@dataclass(frozen=True, slots=True)
class Topic:
    code: str
    title: str
    needs_photo: bool = False
    """The answer usually needs a photo confirming the work (roads, landscaping, garbage…)."""


@dataclass(frozen=True, slots=True)
class TopicGroup:
    code: str
    title: str
    topics: tuple[Topic, ...]


def _g(code: str, title: str, *topics: tuple[str, str, bool]) -> TopicGroup:
    return TopicGroup(code, title, tuple(Topic(c, t, p) for c, t, p in topics))


_PHOTO = True
_NO_PHOTO = False

DEFAULT_TOPICS: tuple[TopicGroup, ...] = (
    _g(
        "housing",
        "ЖКХ",
        ("heating", "Отопление", _NO_PHOTO),
        ("water", "Водоснабжение и водоотведение", _NO_PHOTO),
        ("power", "Электроснабжение", _NO_PHOTO),
        ("gas", "Газоснабжение", _NO_PHOTO),
        ("cap_repair", "Капитальный ремонт", _PHOTO),
        ("mgmt_co", "Управляющие компании", _NO_PHOTO),
        ("entrances", "Содержание подъездов", _PHOTO),
        ("common_prop", "Кровля, подвалы, фасады домов", _PHOTO),
        ("bills", "Плата за жилищно-коммунальные услуги", _NO_PHOTO),
        ("unsafe_home", "Аварийное жильё и переселение", _NO_PHOTO),
        ("housing_oth", "Другое в ЖКХ", _NO_PHOTO),
    ),
    _g(
        "improve",
        "Благоустройство",
        ("yards", "Дворы и детские площадки", _PHOTO),
        ("lighting", "Уличное освещение", _PHOTO),
        ("greenery", "Озеленение, покос травы, деревья", _PHOTO),
        ("parks", "Парки и скверы", _PHOTO),
        ("snow", "Уборка снега и наледи", _PHOTO),
        ("cleaning", "Уборка улиц и территорий", _PHOTO),
        ("cemeteries", "Кладбища", _PHOTO),
        ("improve_oth", "Другое в благоустройстве", _PHOTO),
    ),
    _g(
        "roads",
        "Дороги",
        ("road_repair", "Ремонт дорог", _PHOTO),
        ("potholes", "Ямы на дорогах", _PHOTO),
        ("sidewalks", "Тротуары и пешеходные дорожки", _PHOTO),
        ("traffic", "Светофоры, знаки, разметка", _PHOTO),
        ("stops", "Остановки общественного транспорта", _PHOTO),
        ("parking", "Парковки", _PHOTO),
        ("road_upkeep", "Содержание и уборка дорог", _PHOTO),
        ("roads_oth", "Другое о дорогах", _NO_PHOTO),
    ),
    _g(
        "transport",
        "Общественный транспорт",
        ("routes", "Маршруты и расписание", _NO_PHOTO),
        ("carriers", "Работа перевозчиков и водителей", _NO_PHOTO),
        ("fare_relief", "Льготный проезд", _NO_PHOTO),
        ("fares", "Стоимость и оплата проезда", _NO_PHOTO),
        ("transp_oth", "Другое о транспорте", _NO_PHOTO),
    ),
    _g(
        "health",
        "Здравоохранение",
        ("clinics", "Поликлиники и больницы", _NO_PHOTO),
        ("doctors", "Запись к врачу, нехватка врачей", _NO_PHOTO),
        ("medicines", "Лекарственное обеспечение", _NO_PHOTO),
        ("ambulance", "Скорая помощь", _NO_PHOTO),
        ("health_oth", "Другое в здравоохранении", _NO_PHOTO),
    ),
    _g(
        "education",
        "Образование",
        ("kindergarten", "Детские сады", _NO_PHOTO),
        ("schools", "Школы", _NO_PHOTO),
        ("extra_edu", "Дополнительное образование", _NO_PHOTO),
        ("school_food", "Питание в школах и детских садах", _NO_PHOTO),
        ("school_bus", "Подвоз детей, школьные автобусы", _NO_PHOTO),
        ("edu_oth", "Другое в образовании", _NO_PHOTO),
    ),
    _g(
        "social",
        "Социальная защита",
        ("allowances", "Пособия и выплаты", _NO_PHOTO),
        ("families", "Поддержка семей с детьми", _NO_PHOTO),
        ("elderly", "Помощь пожилым людям", _NO_PHOTO),
        ("disability", "Поддержка людей с инвалидностью", _NO_PHOTO),
        ("access", "Доступная среда", _PHOTO),
        ("svo", "Поддержка участников СВО и их семей", _NO_PHOTO),
        ("social_oth", "Другое в социальной защите", _NO_PHOTO),
    ),
    _g(
        "ecology",
        "Экология и отходы",
        ("garbage", "Вывоз мусора", _PHOTO),
        ("containers", "Контейнерные площадки", _PHOTO),
        ("dumps", "Несанкционированные свалки", _PHOTO),
        ("pollution", "Загрязнение воздуха, воды, почвы", _NO_PHOTO),
        ("eco_oth", "Другое об экологии", _NO_PHOTO),
    ),
    _g(
        "safety",
        "Безопасность",
        ("animals", "Бродячие животные", _NO_PHOTO),
        ("public_order", "Правопорядок", _NO_PHOTO),
        ("fire", "Пожарная безопасность", _NO_PHOTO),
        ("emergencies", "Чрезвычайные ситуации", _NO_PHOTO),
        ("derelict", "Заброшенные и опасные здания", _PHOTO),
        ("safety_oth", "Другое о безопасности", _NO_PHOTO),
    ),
    _g(
        "culture",
        "Культура и спорт",
        ("culture_inst", "Учреждения культуры и мероприятия", _NO_PHOTO),
        ("sport", "Спортивные объекты и секции", _NO_PHOTO),
        ("heritage", "Памятники и объекты культурного наследия", _PHOTO),
        ("culture_oth", "Другое о культуре и спорте", _NO_PHOTO),
    ),
    _g(
        "comms",
        "Связь и интернет",
        ("mobile", "Мобильная связь", _NO_PHOTO),
        ("internet", "Интернет", _NO_PHOTO),
        ("tv_radio", "Телевидение и радио", _NO_PHOTO),
        ("post", "Почта", _NO_PHOTO),
        ("comms_oth", "Другое о связи", _NO_PHOTO),
    ),
    _g(
        "trade",
        "Торговля и услуги",
        ("shops", "Магазины и рынки", _NO_PHOTO),
        ("kiosks", "Нестационарная торговля", _PHOTO),
        ("services", "Бытовые услуги", _NO_PHOTO),
        ("prices", "Цены", _NO_PHOTO),
        ("trade_oth", "Другое о торговле и услугах", _NO_PHOTO),
    ),
    _g(
        "building",
        "Строительство и земельные отношения",
        ("construction", "Строительство и самовольные постройки", _PHOTO),
        ("land", "Земельные участки", _NO_PHOTO),
        ("building_oth", "Другое о строительстве и земле", _NO_PHOTO),
    ),
    _g(
        "authorities",
        "Работа органов власти",
        ("officials", "Работа администрации и должностных лиц", _NO_PHOTO),
        ("appeals", "Рассмотрение обращений", _NO_PHOTO),
        ("mfc", "Госуслуги и МФЦ", _NO_PHOTO),
        ("budget", "Бюджет и муниципальные закупки", _NO_PHOTO),
        ("auth_oth", "Другое о работе органов власти", _NO_PHOTO),
    ),
    _g("misc", "Прочее", ("other", "Прочее", _NO_PHOTO)),
)

_GROUP_KEYS = {"code", "title", "topics"}
_TOPIC_KEYS = {"code", "title", "needs_photo"}


class TopicCatalog:
    """Topic groups and their topics, validated: one namespace of codes for groups and topics.

    Each code is unique and a `CODE_PATTERN` slug, each title is non-empty, each group has a topic.
    Problems raise `ConfigError` naming the key, e.g. `topics[2].topics[0].code`.
    """

    __slots__ = ("_group_of", "_groups", "_groups_by_code", "_topics_by_code")

    def __init__(self, groups: Iterable[TopicGroup], *, key: str = "topics") -> None:
        self._groups = tuple(groups)
        self._groups_by_code: dict[str, TopicGroup] = {}
        self._topics_by_code: dict[str, Topic] = {}
        self._group_of: dict[str, TopicGroup] = {}
        where: dict[str, str] = {}
        for i, group in enumerate(self._groups):
            gkey = f"{key}[{i}]"
            _check_code(group.code, f"{gkey}.code", where)
            _check_title(group.title, f"{gkey}.title")
            if not group.topics:
                raise ConfigError(f"{gkey}.topics", "a group needs at least one topic")
            self._groups_by_code[group.code] = group
            for j, topic in enumerate(group.topics):
                tkey = f"{gkey}.topics[{j}]"
                _check_code(topic.code, f"{tkey}.code", where)
                _check_title(topic.title, f"{tkey}.title")
                self._topics_by_code[topic.code] = topic
                self._group_of[topic.code] = group
        if not self._groups:
            raise ConfigError(key, "name at least one topic group")

    @classmethod
    def default(cls) -> TopicCatalog:
        return cls(DEFAULT_TOPICS)

    @classmethod
    def from_config(cls, data: Any, key: str = "topics") -> TopicCatalog:
        """From configuration: a list of `{code, title, topics: [{code, title, needs_photo?}]}`."""
        if not isinstance(data, list):
            raise ConfigError(key, "must be a list of topic groups")
        groups = []
        for i, raw in enumerate(data):
            gkey = f"{key}[{i}]"
            item = _mapping(raw, gkey, _GROUP_KEYS)
            topics_raw = item.get("topics")
            if not isinstance(topics_raw, list):
                raise ConfigError(f"{gkey}.topics", "must be a list of topics")
            topics = []
            for j, traw in enumerate(topics_raw):
                tkey = f"{gkey}.topics[{j}]"
                titem = _mapping(traw, tkey, _TOPIC_KEYS)
                needs_photo = titem.get("needs_photo", False)
                if not isinstance(needs_photo, bool):
                    raise ConfigError(f"{tkey}.needs_photo", "must be true or false")
                topics.append(
                    Topic(_string(titem, "code", tkey), _string(titem, "title", tkey), needs_photo)
                )
            groups.append(
                TopicGroup(_string(item, "code", gkey), _string(item, "title", gkey), tuple(topics))
            )
        return cls(groups, key=key)

    @property
    def groups(self) -> tuple[TopicGroup, ...]:
        return self._groups

    @property
    def topics(self) -> tuple[Topic, ...]:
        """Every topic, group by group."""
        return tuple(self._topics_by_code.values())

    def group(self, code: str) -> TopicGroup | None:
        return self._groups_by_code.get(code)

    def topic(self, code: str) -> Topic | None:
        return self._topics_by_code.get(code)

    def group_of(self, topic_code: str) -> TopicGroup | None:
        return self._group_of.get(topic_code)

    def __contains__(self, code: object) -> bool:
        return code in self._groups_by_code or code in self._topics_by_code


def _check_code(code: object, key: str, seen: dict[str, str]) -> None:
    if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code):
        raise ConfigError(key, f"{code!r} is not a code: 1-12 characters of a-z, 0-9 and _")
    if code in seen:
        raise ConfigError(key, f"duplicate code {code!r} (first at {seen[code]})")
    seen[code] = key


def _check_title(title: object, key: str) -> None:
    if not isinstance(title, str) or not title.strip():
        raise ConfigError(key, "must be a non-empty string")


def _mapping(raw: object, key: str, known: set[str]) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise ConfigError(key, "must be a table")
    for k in raw:
        if k not in known:
            raise ConfigError(f"{key}.{k}", f"unknown key (known: {', '.join(sorted(known))})")
    return raw


def _string(item: Mapping[str, Any], k: str, key: str) -> str:
    if k not in item:
        raise ConfigError(f"{key}.{k}", "missing")
    value = item[k]
    if not isinstance(value, str):
        raise ConfigError(f"{key}.{k}", "must be a string")
    return value


LOCATION_NAME_MAX = 200
"""Longest location name, configured or typed by the curator."""


@dataclass(frozen=True, slots=True)
class Location:
    code: str | None
    """A configured location's code; None for a name the curator typed."""
    name: str


def location_code(name: str) -> str:
    """The code of a configured location: 8 hex digits of a hash of its name (case ignored).

    Stable when locations are added, removed or reordered, so buttons already sent still work.
    """
    key = " ".join(name.split()).casefold().encode("utf-8")
    return hashlib.sha1(key, usedforsecurity=False).hexdigest()[:8]


class Locations:
    """The locations named in the configuration, with codes for buttons. The curator may also
    type a location that is not in the list (`free_text`)."""

    __slots__ = ("_by_code", "_items")

    def __init__(self, names: Iterable[str], *, key: str = "locations") -> None:
        items: list[Location] = []
        self._by_code: dict[str, Location] = {}
        first: dict[str, int] = {}
        for i, name in enumerate(names):
            if not isinstance(name, str) or not name.strip():
                raise ConfigError(f"{key}[{i}]", "must be a non-empty string")
            clean = " ".join(name.split())
            if len(clean) > LOCATION_NAME_MAX:
                raise ConfigError(f"{key}[{i}]", f"longer than {LOCATION_NAME_MAX} characters")
            code = location_code(clean)
            if code in self._by_code:
                raise ConfigError(f"{key}[{i}]", f"duplicate of {key}[{first[code]}]")
            first[code] = i
            location = Location(code, clean)
            self._by_code[code] = location
            items.append(location)
        self._items = tuple(items)

    @classmethod
    def from_config(cls, data: Any, key: str = "locations") -> Locations:
        if not isinstance(data, list):
            raise ConfigError(key, "must be a list of names")
        return cls(data, key=key)

    @property
    def items(self) -> tuple[Location, ...]:
        return self._items

    def __iter__(self) -> Iterator[Location]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def by_code(self, code: str) -> Location | None:
        return self._by_code.get(code)

    def free_text(self, text: str) -> Location:
        """A location the curator typed: spaces tidied; a configured one when the name matches.

        Raises ValueError when empty or longer than `LOCATION_NAME_MAX`.
        """
        clean = " ".join(text.split())
        if not clean:
            raise ValueError("a location name cannot be empty")
        if len(clean) > LOCATION_NAME_MAX:
            raise ValueError(f"a location name is at most {LOCATION_NAME_MAX} characters")
        known = self._by_code.get(location_code(clean))
        return known if known is not None else Location(None, clean)


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    page: int
    """Zero-based."""
    pages: int
    """At least 1, even for an empty list."""

    @property
    def has_prev(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return self.page < self.pages - 1


def page(items: Sequence[T], page: int, per_page: int) -> Page[T]:
    """One page of a long list; a page number out of range (a stale button) is clamped."""
    if per_page < 1:
        raise ValueError(f"per_page must be positive: {per_page}")
    pages = max(1, -(-len(items) // per_page))
    number = min(max(page, 0), pages - 1)
    start = number * per_page
    return Page(tuple(items[start : start + per_page]), number, pages)
