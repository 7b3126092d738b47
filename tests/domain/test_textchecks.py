from __future__ import annotations

import pytest

from domain.textchecks import (
    EXPLANATION_TEMPLATES,
    DraftWarning,
    Template,
    check_draft,
    explanation_template,
    find_personal_data,
)

W = DraftWarning


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Перезвоните заявителю по номеру +7 (916) 123-45-67.", "+7 (916) 123-45-67"),
        ("Связались с Вами по телефону 8 916 123 45 67", "8 916 123 45 67"),
        ("Ваш номер 89161234567 передан в УК", "89161234567"),
        ("Звоните: +7-474-222-33-44", "+7-474-222-33-44"),
        ("Мастер позвонит на +79161234567 завтра", "+79161234567"),
        ("Заявитель оставил номер (4742) 22-33-44", "(4742) 22-33-44"),
        ("по номеру 9161234567", "9161234567"),
        ("Житель д. Бор, тел. 2-15-34, сообщил об аварии", "2-15-34"),
        ("телефон: 5-22-33", "5-22-33"),
        ("Ответ направлен на ivan.petrov@mail.ru", "ivan.petrov@mail.ru"),
        ("Копия письма — на почту Мария_1980@yandex.ru.", "Мария_1980@yandex.ru"),
        ("Паспорт 45 06 123456 предъявлен", "45 06 123456"),
        ("паспорт 4506 123456", "4506 123456"),
        ("паспорт серия 4506 № 123456 выдан", "серия 4506 № 123456"),
        ("паспорт серии 42 10 номер 654321", "серии 42 10 номер 654321"),
        ("СНИЛС 123-456-789 01", "123-456-789 01"),
        ("СНИЛС заявителя 123 456 789 01", "123 456 789 01"),
        ("ИНН 482500123456", "482500123456"),
        ("ИНН4825001234", "4825001234"),
        ("лицевой счёт 1234567890 закрыт", "1234567890"),
    ],
)
def test_personal_data_is_found_as_written(text: str, fragment: str) -> None:
    assert find_personal_data(text) == (fragment,)


@pytest.mark.parametrize(
    "text",
    [
        "Работы выполнены 12.03.2026, повторный осмотр назначен на 15.03.2026 в 10:00.",
        "По адресу: ул. Ленина, д. 15, кв. 3 проведено обследование.",
        "На ремонт выделено 1 500 000 рублей, в 2027 году — 12 500 000 000 руб.",
        "Контракт на 3 500 000 000 рублей заключён.",
        "Постановление администрации № 203 от 06.04.2020 «О порядке…»",
        "Муниципальная программа на 2025-2027 годы, приём с 8:00 до 17:00.",
        "Горячая линия 8-800-200-00-00 работает круглосуточно.",
        "Кадастровый номер участка 48:20:0012345:67.",
        "Заявка № 1234567890 от 01.02.2026 исполнена.",
        "Дома 12, 14, 16 по ул. Мира подключены к отоплению.",
        "Пост: https://vk.com/wall-423456789_4234567890",
        "В 2026 году 1200 семей получили выплату 5 000 рублей.",
        "Срок — 12-03-2026, ответственный — Иванов И. И.",
        "Температура теплоносителя 70 градусов, давление 6 атм.",
        "Сумма 7 500 000 000 руб. предусмотрена бюджетом.",
    ],
)
def test_dates_sums_addresses_and_decrees_are_not_personal_data(text: str) -> None:
    assert find_personal_data(text) == ()


def test_every_fragment_is_given_once_in_order() -> None:
    text = "Тел. 8 916 123-45-67, почта a@b.ru; повторяю: 8 916 123-45-67, СНИЛС 123-456-789 01"
    assert find_personal_data(text) == ("8 916 123-45-67", "a@b.ru", "123-456-789 01")


def test_the_organisations_own_contacts_are_not_flagged() -> None:
    text = (
        "Справки по тел. 8 (47476) 2-15-34, тел. 2-15-34 или priemnaya@bor.ru; "
        "заявитель: +7 916 123-45-67"
    )
    found = find_personal_data(text, public_contacts=["+7 47476 21534", "PRIEMNAYA@bor.ru"])
    assert found == ("+7 916 123-45-67",)


def test_a_draft_with_a_citizens_phone_warns_of_personal_data() -> None:
    draft = (
        "Здравствуйте! Мастер управляющей компании выедет 12.03.2026 и заменит стояк. "
        "Уточнить время можно у заявителя Петровой А. И. по тел. +7 916 123-45-67."
    )
    warnings = check_draft(draft, has_photo=False, topic_needs_photo=False, require_measures=True)
    assert warnings == (W.PERSONAL_DATA,)


@pytest.mark.parametrize(
    "text",
    [
        "Спасибо за обращение!",
        "Информация принята к сведению.",
        "Здравствуйте! Благодарим Вас за обращение. Вопрос на контроле.",
        "Уважаемая Мария Ивановна! Спасибо за Ваше обращение. "
        "С уважением, администрация сельского поселения Бор",
        "Добрый день! Ваше обращение зарегистрировано и принято в работу. Разберёмся.",
        "Здравствуйте. Ситуация взята на контроль, меры будут приняты. Хорошего дня!",
        "Ок",
        "",
        "Работы выполнены.",
    ],
)
def test_courtesy_and_stock_phrases_alone_have_no_substance(text: str) -> None:
    warnings = check_draft(text, has_photo=True, topic_needs_photo=True, require_measures=False)
    assert warnings == (W.NO_SUBSTANCE,)


def test_stock_promises_are_not_measures() -> None:
    text = "Здравствуйте! Спасибо за обращение. Информация принята к сведению, меры будут приняты."
    warnings = check_draft(text, has_photo=False, topic_needs_photo=False, require_measures=True)
    assert warnings == (W.NO_SUBSTANCE, W.NO_MEASURES)


@pytest.mark.parametrize(
    "text",
    [
        "Здравствуйте! Яма на ул. Ленина будет заделана до 15 мая.",
        "Работы по ремонту кровли дома 7 по ул. Мира выполнены, протечки устранены.",
        "Ремонт дороги по ул. Садовой включён в план на III квартал 2026 года.",
        "Подрядчику направлено предписание устранить недостатки в течение 10 рабочих дней.",
        "Специалисты выехали на место, провели обследование теплотрассы.",
        "Отлов безнадзорных собак в микрорайоне Сокол запланирован на следующей неделе.",
        "Контейнерная площадка на ул. Гагарина очищена, вывоз организован ежедневно.",
        "В соответствии со ст. 14 Федерального закона № 131-ФЗ этот вопрос решает область.",
        "Установка светофора невозможна: перекрёсток не отвечает требованиям ГОСТ Р 52289-2019.",
        "Согласно Правилам благоустройства территории поселения покос проводит собственник.",
        "Освещение на ул. Школьной восстановят 20.10.2026 после замены кабеля.",
    ],
)
def test_a_final_answer_with_measures_dates_or_law_has_no_warnings(text: str) -> None:
    warnings = check_draft(text, has_photo=False, topic_needs_photo=False, require_measures=True)
    assert warnings == ()


@pytest.mark.parametrize(
    "text",
    [
        "Здравствуйте! Ваше сообщение передано в управляющую компанию ООО «Уют».",
        "Добрый день. Информация о проблеме с освещением доведена до сведения подрядчика.",
        "Здравствуйте! По вопросу уборки снега с Вами свяжутся специалисты отдела ЖКХ.",
    ],
)
def test_a_final_answer_without_measures_dates_or_law_warns(text: str) -> None:
    final = check_draft(text, has_photo=False, topic_needs_photo=False, require_measures=True)
    assert final == (W.NO_MEASURES,)
    interim = check_draft(text, has_photo=False, topic_needs_photo=False, require_measures=False)
    assert interim == ()


@pytest.mark.parametrize(
    ("has_photo", "needs_photo", "warned"),
    [(False, True, True), (True, True, False), (False, False, False), (True, False, False)],
)
def test_a_topic_that_needs_a_photo_warns_without_one(
    has_photo: bool, needs_photo: bool, warned: bool
) -> None:
    text = "Здравствуйте! Яма у дома 5 по ул. Советской заделана 14.05.2026."
    warnings = check_draft(
        text, has_photo=has_photo, topic_needs_photo=needs_photo, require_measures=True
    )
    assert (W.NO_PHOTO in warnings) is warned
    assert set(warnings) <= {W.NO_PHOTO}


def test_warnings_come_in_declaration_order() -> None:
    text = "Спасибо за обращение, пишите на ivan@mail.ru"
    warnings = check_draft(text, has_photo=False, topic_needs_photo=True, require_measures=True)
    assert warnings == (W.PERSONAL_DATA, W.NO_SUBSTANCE, W.NO_PHOTO, W.NO_MEASURES)


def test_a_draft_may_give_the_organisations_own_phone() -> None:
    text = "Вывоз мусора с площадки на ул. Мира проведён 03.06.2026. Справки: 8 (47476) 2-15-34."
    warnings = check_draft(
        text,
        has_photo=True,
        topic_needs_photo=True,
        require_measures=True,
        public_contacts=["8 (47476) 2-15-34"],
    )
    assert warnings == ()


def test_the_four_explanations_of_gulkevichi_are_there() -> None:
    codes = [t.code for t in EXPLANATION_TEMPLATES]
    assert codes == ["outside_competence", "against_law", "court_ruling", "already_answered"]
    for template in EXPLANATION_TEMPLATES:
        assert template.title and template.text.startswith("Здравствуйте!")
        assert "Вас" in template.text or "Вашем" in template.text


def test_outside_competence_names_the_competent_body() -> None:
    template = explanation_template("outside_competence")
    assert template is not None and template.placeholders == ("competent_body",)
    text = template.render(competent_body="ГУ МВД России по Липецкой области")
    assert "направлено для рассмотрения по существу в ГУ МВД России по Липецкой области." in text
    assert "{" not in text


def test_already_answered_links_to_the_earlier_answer() -> None:
    template = explanation_template("already_answered")
    assert template is not None and template.placeholders == ("earlier_answer",)
    text = template.render(earlier_answer=" https://vk.com/wall-1_2?reply=5 ")
    assert "ранее: https://vk.com/wall-1_2?reply=5." in text


def test_a_template_refuses_to_render_without_its_values() -> None:
    template = explanation_template("outside_competence")
    assert template is not None
    with pytest.raises(ValueError, match="needs competent_body"):
        template.render()
    with pytest.raises(ValueError, match="needs competent_body"):
        template.render(competent_body="  ")


def test_templates_without_placeholders_render_as_they_are() -> None:
    template = explanation_template("court_ruling")
    assert template is not None and template.placeholders == ()
    assert template.render() == template.text
    assert "статьёй 118 Конституции Российской Федерации" in template.text


def test_an_unknown_template_code_finds_nothing() -> None:
    assert explanation_template("nope") is None


@pytest.mark.parametrize("template", EXPLANATION_TEMPLATES, ids=lambda t: t.code)
def test_every_filled_template_passes_the_draft_checks(template: Template) -> None:
    values = {"competent_body": "Госавтоинспекцию", "earlier_answer": "https://vk.com/wall-1_2"}
    text = template.render(**{k: v for k, v in values.items() if k in template.placeholders})
    assert check_draft(text, has_photo=False, topic_needs_photo=False, require_measures=True) == ()
