from __future__ import annotations

from typing import Any

import pytest

from domain.catalog import (
    CODE_PATTERN,
    DEFAULT_TOPICS,
    LOCATION_NAME_MAX,
    Location,
    Locations,
    Page,
    Topic,
    TopicCatalog,
    TopicGroup,
    location_code,
    page,
)
from domain.errors import ConfigError


def test_the_default_catalog_is_valid_and_has_the_platform_groups() -> None:
    catalog = TopicCatalog.default()
    titles = [g.title for g in catalog.groups]
    for title in (
        "ЖКХ",
        "Благоустройство",
        "Дороги",
        "Общественный транспорт",
        "Здравоохранение",
        "Образование",
        "Социальная защита",
        "Экология и отходы",
        "Безопасность",
        "Культура и спорт",
        "Связь и интернет",
        "Торговля и услуги",
        "Работа органов власти",
        "Прочее",
    ):
        assert title in titles
    assert titles[-1] == "Прочее"


def test_default_codes_are_short_unique_slugs_that_fit_callback_data() -> None:
    codes = [g.code for g in DEFAULT_TOPICS] + [t.code for g in DEFAULT_TOPICS for t in g.topics]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert CODE_PATTERN.fullmatch(code), code
        assert len(f"tag:{code}:v99999:i9999999999".encode()) <= 64


def test_default_topics_name_the_expected_subtopics() -> None:
    catalog = TopicCatalog.default()
    titles = {t.title for t in catalog.topics}
    for title in (
        "Отопление",
        "Водоснабжение и водоотведение",
        "Капитальный ремонт",
        "Управляющие компании",
        "Дворы и детские площадки",
        "Уборка снега и наледи",
        "Ямы на дорогах",
        "Светофоры, знаки, разметка",
        "Льготный проезд",
        "Детские сады",
        "Вывоз мусора",
        "Контейнерные площадки",
        "Бродячие животные",
    ):
        assert title in titles


@pytest.mark.parametrize(
    ("code", "needs_photo"),
    [
        ("potholes", True),
        ("road_repair", True),
        ("yards", True),
        ("snow", True),
        ("garbage", True),
        ("dumps", True),
        ("heating", False),
        ("routes", False),
        ("doctors", False),
        ("animals", False),
    ],
)
def test_work_you_can_see_needs_a_photo(code: str, needs_photo: bool) -> None:
    topic = TopicCatalog.default().topic(code)
    assert topic is not None
    assert topic.needs_photo is needs_photo


def test_a_topic_is_found_with_its_group() -> None:
    catalog = TopicCatalog.default()
    group = catalog.group_of("potholes")
    assert group is not None and group.code == "roads" and group.title == "Дороги"
    assert catalog.group("housing") is not None
    assert "heating" in catalog and "housing" in catalog and "nope" not in catalog


def test_unknown_codes_find_nothing() -> None:
    catalog = TopicCatalog.default()
    assert catalog.topic("nope") is None
    assert catalog.group("nope") is None
    assert catalog.group_of("roads") is None


def config() -> list[dict[str, Any]]:
    return [
        {
            "code": "roads",
            "title": "Дороги",
            "topics": [
                {"code": "potholes", "title": "Ямы", "needs_photo": True},
                {"code": "signs", "title": "Знаки"},
            ],
        },
        {"code": "water", "title": "Вода", "topics": [{"code": "leaks", "title": "Утечки"}]},
    ]


def test_a_catalog_is_built_from_configuration() -> None:
    catalog = TopicCatalog.from_config(config())
    assert catalog.groups == (
        TopicGroup(
            "roads", "Дороги", (Topic("potholes", "Ямы", True), Topic("signs", "Знаки", False))
        ),
        TopicGroup("water", "Вода", (Topic("leaks", "Утечки", False),)),
    )
    group = catalog.group_of("leaks")
    assert group is not None and group.code == "water"


def broken(path: tuple[Any, ...], value: Any) -> list[dict[str, Any]]:
    data = config()
    target: Any = data
    for step in path[:-1]:
        target = target[step]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "key", "problem"),
    [
        ((1, "topics", 0, "code"), "potholes", "topics[1].topics[0].code", "duplicate code"),
        ((1, "code"), "roads", "topics[1].code", "duplicate code 'roads'"),
        ((1, "code"), "leaks", "topics[1].topics[0].code", "first at topics[1].code"),
        ((0, "topics", 1, "code"), "Signs", "topics[0].topics[1].code", "not a code"),
        ((0, "topics", 1, "code"), "знаки", "topics[0].topics[1].code", "not a code"),
        ((0, "code"), "a_very_long_code", "topics[0].code", "not a code"),
        ((0, "code"), "", "topics[0].code", "not a code"),
        ((0, "title"), "  ", "topics[0].title", "non-empty"),
        ((0, "topics", 0, "title"), "", "topics[0].topics[0].title", "non-empty"),
        ((0, "topics", 0, "title"), 5, "topics[0].topics[0].title", "must be a string"),
        ((0, "topics", 0, "code"), DELETE, "topics[0].topics[0].code", "missing"),
        ((0, "topics", 0, "needs_photo"), "yes", "topics[0].topics[0].needs_photo", "true or"),
        ((0, "topics", 0, "photo"), True, "topics[0].topics[0].photo", "unknown key"),
        ((1, "topics"), [], "topics[1].topics", "at least one topic"),
        ((1, "topics"), "leaks", "topics[1].topics", "must be a list"),
        ((1,), "water", "topics[1]", "must be a table"),
    ],
)
def test_bad_configuration_names_the_bad_key(
    path: tuple[Any, ...], value: Any, key: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as info:
        TopicCatalog.from_config(broken(path, value))
    assert info.value.key == key
    assert problem in info.value.problem


def test_a_catalog_needs_a_list_with_at_least_one_group() -> None:
    with pytest.raises(ConfigError) as info:
        TopicCatalog.from_config({"roads": "Дороги"}, key="catalog.topics")
    assert info.value.key == "catalog.topics"
    with pytest.raises(ConfigError, match="at least one topic group"):
        TopicCatalog.from_config([])


def test_a_catalog_built_in_code_is_validated_too() -> None:
    groups = [TopicGroup("a", "А", (Topic("b", "Б"),)), TopicGroup("b", "В", (Topic("c", "Г"),))]
    with pytest.raises(ConfigError) as info:
        TopicCatalog(groups)
    assert info.value.key == "topics[1].code"


NAMES = ["с. Бор", "ул. Ленина", "микрорайон Сокол-2", "Гулькевичский район, х. Красный"]


def test_locations_keep_the_configured_order_with_short_codes() -> None:
    locations = Locations.from_config(NAMES)
    assert [loc.name for loc in locations] == NAMES
    assert len(locations) == 4
    for loc in locations:
        assert loc.code is not None and len(loc.code) == 8
        assert locations.by_code(loc.code) == loc
    assert len({loc.code for loc in locations}) == 4


def test_a_location_keeps_its_code_when_others_are_added_or_reordered() -> None:
    before = Locations(NAMES)
    after = Locations(["пос. Новый", *reversed(NAMES)])
    for loc in before:
        assert loc.code is not None
        assert after.by_code(loc.code) == loc
    assert location_code("ул.  Ленина") == location_code("УЛ. ЛЕНИНА")


def test_an_unknown_location_code_finds_nothing() -> None:
    assert Locations(NAMES).by_code("00000000") is None


@pytest.mark.parametrize(
    ("names", "key", "problem"),
    [
        (["с. Бор", "  "], "locations[1]", "non-empty"),
        (["с. Бор", 7], "locations[1]", "non-empty"),
        (["с. Бор", "ул. Ленина", "С.  БОР"], "locations[2]", "duplicate of locations[0]"),
        (["х" * (LOCATION_NAME_MAX + 1)], "locations[0]", "longer than"),
    ],
)
def test_bad_locations_name_the_bad_key(names: list[Any], key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        Locations.from_config(names)
    assert info.value.key == key
    assert problem in info.value.problem


def test_locations_must_be_a_list() -> None:
    with pytest.raises(ConfigError, match="must be a list"):
        Locations.from_config("с. Бор")


def test_no_configured_locations_leaves_free_text_only() -> None:
    locations = Locations([])
    assert len(locations) == 0
    assert locations.free_text(" двор  дома 5 ") == Location(None, "двор дома 5")


def test_typed_text_that_names_a_configured_location_is_that_location() -> None:
    locations = Locations(NAMES)
    typed = locations.free_text("  УЛ.  ленина ")
    assert typed.code == location_code("ул. Ленина")
    assert typed.name == "ул. Ленина"


def test_typed_location_must_not_be_empty_or_too_long() -> None:
    with pytest.raises(ValueError, match="empty"):
        Locations(NAMES).free_text(" \n ")
    with pytest.raises(ValueError, match="at most"):
        Locations(NAMES).free_text("х" * (LOCATION_NAME_MAX + 1))


def test_the_first_page_has_a_next_but_no_previous() -> None:
    p = page(list(range(23)), 0, 10)
    assert p == Page((0, 1, 2, 3, 4, 5, 6, 7, 8, 9), 0, 3)
    assert (p.has_prev, p.has_next) == (False, True)


def test_the_last_page_holds_the_rest() -> None:
    p = page(list(range(23)), 2, 10)
    assert p.items == (20, 21, 22)
    assert (p.has_prev, p.has_next) == (True, False)


def test_a_middle_page_has_both_neighbours() -> None:
    p = page("abcdefg", 1, 3)
    assert p.items == ("d", "e", "f")
    assert (p.page, p.pages, p.has_prev, p.has_next) == (1, 3, True, True)


def test_a_stale_page_number_is_clamped() -> None:
    assert page(list(range(5)), 9, 2).page == 2
    assert page(list(range(5)), 9, 2).items == (4,)
    assert page(list(range(5)), -3, 2).page == 0


def test_an_empty_list_is_one_empty_page() -> None:
    p: Page[int] = page([], 0, 8)
    assert (p.items, p.page, p.pages, p.has_prev, p.has_next) == ((), 0, 1, False, False)


def test_an_exact_multiple_has_no_empty_last_page() -> None:
    assert page(list(range(20)), 5, 10).pages == 2


def test_a_page_needs_a_positive_size() -> None:
    with pytest.raises(ValueError, match="per_page"):
        page([1, 2], 0, 0)
