from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.intake import (
    ForwardKind,
    Network,
    Origin,
    canonical_url,
    find_urls,
    network_of,
    origin_from_forward,
    origin_from_text,
    telegram_post_link,
)


@pytest.mark.parametrize(
    ("url", "network"),
    [
        ("https://vk.com/wall-12345_678", Network.VK),
        ("https://VK.COM/wall-12345_678", Network.VK),
        ("https://www.vk.com/wall-1_2", Network.VK),
        ("http://m.vk.com/wall-1_2", Network.VK),
        ("https://vk.ru/wall-1_2", Network.VK),
        ("https://vkontakte.ru/id1", Network.VK),
        ("vk.com/wall-1_2", Network.VK),
        ("https://ok.ru/group/5433/topic/1570", Network.OK),
        ("https://m.ok.ru/dk?st.cmd=altGroupMain", Network.OK),
        ("odnoklassniki.ru/group/1", Network.OK),
        ("https://t.me/lipetsk_online/4512", Network.TELEGRAM),
        ("t.me/c/1234567890/15", Network.TELEGRAM),
        ("https://telegram.me/borposelenie/7", Network.TELEGRAM),
        ("https://telegram.dog/chan/1", Network.TELEGRAM),
        ("https://www.instagram.com/p/CxYz12AbC/", Network.INSTAGRAM),
        ("https://instagr.am/p/CxYz12AbC", Network.INSTAGRAM),
        ("https://www.facebook.com/groups/1/posts/2", Network.FACEBOOK),
        ("https://m.facebook.com/story.php?story_fbid=1", Network.FACEBOOK),
        ("https://fb.com/1", Network.FACEBOOK),
        ("https://fb.watch/abcDEF/", Network.FACEBOOK),
        ("https://twitter.com/user/status/1", Network.X),
        ("https://mobile.twitter.com/user/status/1", Network.X),
        ("x.com/user/status/1", Network.X),
        ("https://max.ru/join/abc", Network.MAX),
        ("https://web.max.ru/-123", Network.MAX),
        ("https://dzen.ru/a/ZmFrZQ", Network.DZEN),
        ("https://zen.yandex.ru/media/id/1/post", Network.DZEN),
        ("https://lipetskmedia.ru/news/view/1.html", Network.OTHER_SITE),
        ("https://администрация-бор.рф/news/5", Network.OTHER_SITE),
        ("www.gulkevichi.com/news", Network.OTHER_SITE),
        ("https://notvk.com/wall-1_2", Network.OTHER_SITE),
        ("https://vk.com.evil.example/wall-1_2", Network.OTHER_SITE),
        ("https://box.com/s/1", Network.OTHER_SITE),
    ],
)
def test_the_network_is_told_by_the_host(url: str, network: Network) -> None:
    assert network_of(url) is network


@pytest.mark.parametrize(
    "text", ["", "   ", "пост из группы", "mailto:ivan@mail.ru", "ftp://files.ru/a", "https://"]
)
def test_anything_that_is_not_a_web_link_is_of_an_unknown_network(text: str) -> None:
    assert network_of(text) is Network.UNKNOWN


def test_links_are_found_in_order_with_trailing_punctuation_stripped() -> None:
    text = (
        "Жители пишут (https://vk.com/wall-12345_678), а ещё тут: https://t.me/lipetsk/15. "
        "И в «https://ok.ru/group/1/topic/2»! Смотрите https://site.ru/a?b=1;"
    )
    assert find_urls(text) == (
        "https://vk.com/wall-12345_678",
        "https://t.me/lipetsk/15",
        "https://ok.ru/group/1/topic/2",
        "https://site.ru/a?b=1",
    )


def test_a_bracket_the_link_itself_opened_stays_in_it() -> None:
    assert find_urls("см. https://ru.wikipedia.org/wiki/Бор_(город)") == (
        "https://ru.wikipedia.org/wiki/Бор_(город)",
    )
    assert find_urls("[пост](https://vk.com/wall-1_2)") == ("https://vk.com/wall-1_2",)


def test_scheme_less_links_of_known_networks_get_https() -> None:
    text = "Переслали из vk.com/wall-1_2 и m.vk.com/wall-3_4, канал t.me/gulkevichi_adm/88."
    assert find_urls(text) == (
        "https://vk.com/wall-1_2",
        "https://m.vk.com/wall-3_4",
        "https://t.me/gulkevichi_adm/88",
    )


def test_a_www_link_is_found_without_a_scheme() -> None:
    assert find_urls("Подробнее на www.barnaul.org/news/1.") == ("https://www.barnaul.org/news/1",)


def test_e_mails_and_bare_words_are_not_links() -> None:
    assert find_urls("Пишите на priemnaya@vk.com или в ВК, а не на t.me без ссылки") == ()
    assert find_urls("Яма на ул. Ленина, д. 5. Когда заделают?") == ()


def test_the_same_post_twice_is_given_once_as_first_written() -> None:
    text = "https://m.vk.com/wall-1_2?utm_source=share и ещё раз https://vk.com/wall-1_2"
    assert find_urls(text) == ("https://m.vk.com/wall-1_2?utm_source=share",)


def test_two_links_to_the_same_vk_post_have_one_canonical_form() -> None:
    assert canonical_url("m.vk.com/wall-1_2?utm_source=x") == canonical_url(
        "https://vk.com/wall-1_2"
    )
    assert canonical_url("https://vk.com/wall-1_2") == "https://vk.com/wall-1_2"


@pytest.mark.parametrize(
    "url",
    [
        "https://vk.com/wall-1_2",
        "http://vk.com/wall-1_2",
        "HTTPS://WWW.VK.COM/wall-1_2/",
        "https://m.vk.com/wall-1_2#comments",
        "https://vk.ru/wall-1_2",
        "https://vk.com/wall-1_2?utm_source=vk&utm_medium=share&fbclid=abc",
        "https://vk.com/feed?w=wall-1_2",
        "https://vk.com/lipetsk_city?w=wall-1_2&utm_campaign=x",
    ],
)
def test_every_spelling_of_a_vk_post_is_the_same_post(url: str) -> None:
    assert canonical_url(url) == "https://vk.com/wall-1_2"


def test_a_meaningful_query_is_kept_and_sorted() -> None:
    assert canonical_url("https://vk.com/wall-1_2?reply=15&thread=9&utm_source=x") == (
        "https://vk.com/wall-1_2?reply=15&thread=9"
    )
    assert canonical_url("https://site.ru/news?page=2&id=7") == "https://site.ru/news?id=7&page=2"
    assert canonical_url("https://vk.com/album-1_2?z=photo-1_5") == (
        "https://vk.com/album-1_2?z=photo-1_5"
    )


def test_telegram_web_preview_and_case_of_the_channel_name_do_not_matter() -> None:
    assert canonical_url("https://t.me/s/Lipetsk_Online/4512") == "https://t.me/lipetsk_online/4512"
    assert canonical_url("telegram.me/lipetsk_online/4512/") == "https://t.me/lipetsk_online/4512"


def test_instagram_codes_keep_their_case() -> None:
    assert canonical_url("https://www.instagram.com/p/CxYz12AbC/?igshid=abc") == (
        "https://instagram.com/p/CxYz12AbC"
    )


def test_x_share_parameters_are_dropped_but_only_on_x() -> None:
    assert canonical_url("https://twitter.com/Gov/status/17?s=20&t=AbC") == (
        "https://x.com/gov/status/17"
    )
    assert canonical_url("https://site.ru/search?s=яма&t=1") == (
        "https://site.ru/search?s=%D1%8F%D0%BC%D0%B0&t=1"
    )


def test_a_non_default_port_is_kept() -> None:
    assert canonical_url("http://portal.example.ru:8080/a/") == "https://portal.example.ru:8080/a"
    assert canonical_url("https://portal.example.ru:443/a") == "https://portal.example.ru/a"


def test_a_canonical_form_is_only_for_web_links() -> None:
    with pytest.raises(ValueError, match="not a web link"):
        canonical_url("просто текст")


def test_a_public_channel_post_is_linked_by_its_user_name() -> None:
    link = telegram_post_link(username="lipetsk_online", chat_id=-1001, message_id=45)
    assert link == "https://t.me/lipetsk_online/45"
    assert telegram_post_link(username="@bor_adm", chat_id=None, message_id=3) == (
        "https://t.me/bor_adm/3"
    )


def test_a_private_channel_post_is_linked_by_its_internal_id() -> None:
    link = telegram_post_link(username=None, chat_id=-1001234567890, message_id=15)
    assert link == "https://t.me/c/1234567890/15"


def test_a_post_without_user_name_or_supergroup_id_has_no_link() -> None:
    assert telegram_post_link(username=None, chat_id=None, message_id=15) is None
    assert telegram_post_link(username="", chat_id=-123456, message_id=15) is None
    assert telegram_post_link(username=None, chat_id=777, message_id=15) is None


def test_a_message_id_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        telegram_post_link(username="chan", chat_id=None, message_id=0)


POSTED = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)


def test_a_forward_from_a_public_channel_tells_link_author_and_time() -> None:
    origin = origin_from_forward(
        "channel",
        chat_title="Липецк Онлайн",
        chat_username="lipetsk_online",
        chat_id=-1001234567890,
        message_id=4512,
        date=POSTED,
    )
    assert origin == Origin(
        network=Network.TELEGRAM,
        url="https://t.me/lipetsk_online/4512",
        author="Липецк Онлайн",
        posted_at=POSTED,
    )


def test_a_forward_from_a_private_channel_links_by_internal_id() -> None:
    origin = origin_from_forward(
        ForwardKind.CHANNEL, chat_title="Бор. Подслушано", chat_id=-1009876543210, message_id=7
    )
    assert origin.url == "https://t.me/c/9876543210/7"
    assert origin.author == "Бор. Подслушано"


def test_a_forward_on_behalf_of_a_group_without_message_id_has_no_link() -> None:
    origin = origin_from_forward("chat", chat_title="Гулькевичи — чат района", chat_id=-1001)
    assert origin.url is None
    assert origin.author == "Гулькевичи — чат района"
    assert origin.network is Network.TELEGRAM


def test_a_forward_from_a_user_names_the_user_and_has_no_link() -> None:
    origin = origin_from_forward(
        "user", sender_name="  Ирина   Смирнова ", sender_username="irina_s", date=POSTED
    )
    assert origin == Origin(Network.TELEGRAM, None, "Ирина Смирнова", POSTED)
    assert origin_from_forward("user", sender_username="irina_s").author == "@irina_s"


def test_a_hidden_user_is_known_by_the_name_only() -> None:
    origin = origin_from_forward("hidden_user", sender_name="Пётр", sender_username="ignored")
    assert (origin.author, origin.url) == ("Пётр", None)
    assert origin_from_forward("hidden_user").author is None


def test_an_unknown_forward_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown forward origin kind 'story'"):
        origin_from_forward("story")


def test_a_naive_forward_date_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        origin_from_forward("user", sender_name="Иван", date=datetime(2026, 3, 2, 9, 0))  # noqa: DTZ001


def test_the_first_link_to_a_known_network_decides_the_origin() -> None:
    text = (
        "Новость: https://lipetskmedia.ru/news/1.html, обсуждают тут https://vk.com/wall-5_6 "
        "и тут https://t.me/chan/1"
    )
    assert origin_from_text(text) == Origin(Network.VK, "https://vk.com/wall-5_6")


def test_a_link_to_another_site_is_the_origin_when_no_network_is_linked() -> None:
    origin = origin_from_text("Статья https://lipetskmedia.ru/news/1.html — проверьте")
    assert origin == Origin(Network.OTHER_SITE, "https://lipetskmedia.ru/news/1.html")


def test_a_scheme_less_link_in_the_text_is_the_origin() -> None:
    assert origin_from_text("Жалоба в ok.ru/group/1/topic/2") == Origin(
        Network.OK, "https://ok.ru/group/1/topic/2"
    )


def test_text_without_a_link_has_an_unknown_origin() -> None:
    assert origin_from_text("Во дворе на Советской, 12 третий день нет воды") == Origin(
        Network.UNKNOWN
    )


def test_network_values_are_stable_strings_for_storage() -> None:
    assert [n.value for n in Network] == [
        "vk",
        "ok",
        "telegram",
        "instagram",
        "facebook",
        "x",
        "max",
        "dzen",
        "other_site",
        "unknown",
    ]


HOSTS = ["vk.com", "m.vk.com", "vk.ru", "t.me", "telegram.me", "x.com", "ok.ru", "site.ru"]
SEGMENT = st.text(alphabet="abcXYZ019_-яма", min_size=1, max_size=8)
QUERY = st.lists(
    st.tuples(st.sampled_from(["w", "utm_source", "id", "reply", "s", "fbclid"]), SEGMENT),
    max_size=3,
)


@given(
    scheme=st.sampled_from(["", "http://", "https://", "HTTPS://www."]),
    host=st.sampled_from(HOSTS),
    path=st.lists(SEGMENT, max_size=3),
    query=QUERY,
    slash=st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_canonical_form_is_stable_and_found_in_text(
    scheme: str, host: str, path: list[str], query: list[tuple[str, str]], slash: bool
) -> None:
    url = f"{scheme}{host}/{'/'.join(path)}{'/' if slash else ''}"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query)
    canonical = canonical_url(url)
    assert canonical_url(canonical) == canonical
    assert network_of(canonical) is network_of(url)
    found = find_urls(f"Смотрите: {url}.")
    assert len(found) <= 1
    if found:
        assert canonical_url(found[0]) == canonical
