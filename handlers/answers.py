"""From a draft to a published answer: drafting from the phone, approvals, publication."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Sequence
from datetime import date

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from domain.answering import DraftNeedsConfirmation, EmptyDraft, PromiseTooLate
from domain.errors import DomainError
from domain.incident import DraftKind, Reaction
from domain.intake import find_urls
from domain.people import StaffMember
from domain.roles import Role
from domain.rulebook import DRAFT_MOVES, Move
from domain.services import Services
from domain.textchecks import EXPLANATION_TEMPLATES, DraftWarning, explanation_template
from domain.work import Attachment, AttachmentKind
from handlers import texts
from handlers.callbacks import BUTTON_MOVES, A, IncCb, draft_move
from handlers.errors import explain
from handlers.filters import When
from handlers.prompts import ask, carry_out, checked, explain_with_names, read_reason, redraw
from handlers.render import markup
from handlers.replies import later

TEXT_LIMIT = 4096


ACTIONS = frozenset(v for k, v in vars(A).items() if not k.startswith("_"))
_LENIENT = frozenset({A.PREVIEW, A.SUBMIT, A.SUBMIT_ANYWAY, A.TEMPLATES, A.TEMPLATE, A.PART})
"""Buttons of the drafting prompts, sent before the draft grew: checked at the incident's
current version (the use case checks again)."""
WRITERS = frozenset({Role.EXECUTOR, Role.DEPARTMENT_LEAD, Role.CURATOR, Role.ADMIN})
CURATORS = frozenset({Role.CURATOR, Role.ADMIN})


class Answer(StatesGroup):
    promised = State()
    drafting = State()
    part = State()
    reason = State()
    publication = State()
    author_reply = State()


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Long texts are split for display at paragraph or line ends, never cut."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = max(
            rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit)
        )
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not chunks:
        chunks.append(rest)
    return chunks


def attachments_of(message: Message) -> tuple[Attachment, ...]:
    if message.photo:
        return (Attachment(AttachmentKind.PHOTO, message.photo[-1].file_id),)
    if message.video:
        return (Attachment(AttachmentKind.VIDEO, message.video.file_id),)
    if message.document:
        return (Attachment(AttachmentKind.DOCUMENT, message.document.file_id),)
    return ()


def _button(
    label: str, action: str, incident_id: int, version: int, x: str = ""
) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=label, callback_data=IncCb(a=action, i=incident_id, v=version, x=x).pack()
    )


def drafting_keyboard(incident_id: int, version: int, templates: bool) -> InlineKeyboardMarkup:
    rows = [
        [
            _button(texts.BTN_SUBMIT, A.SUBMIT, incident_id, version),
            _button(texts.BTN_PREVIEW, A.PREVIEW, incident_id, version),
        ]
    ]
    if templates:
        rows.append([_button(texts.BTN_TEMPLATES, A.TEMPLATES, incident_id, version)])
    return markup(rows)


def parse_date(text: str, today: date) -> date | None:
    m = re.match(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$", text)
    if not m:
        return None
    try:
        day = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None
    return day if day >= today else None


async def send_preview(message: Message, services: Services, incident_id: int) -> None:
    """The whole draft as the approver or the writer needs to read it: text split within
    Telegram's limits, then the attachments."""
    incident = await services.answering.incident(incident_id)
    if not incident.drafts:
        await later(message.answer(texts.DRAFT_EMPTY))
        return
    draft = incident.drafts[-1]
    header = texts.DRAFT_KINDS[draft.kind].capitalize() + ":\n\n"
    for chunk in split_text(header + (draft.text or "—")):
        await later(message.answer(chunk, parse_mode=None))
    for item in draft.attachments:
        if item.kind is AttachmentKind.PHOTO:
            await later(message.answer_photo(item.file_id))
        elif item.kind is AttachmentKind.VIDEO:
            await later(message.answer_video(item.file_id))
        else:
            await later(message.answer_document(item.file_id))


def _warnings_text(warnings: Sequence[DraftWarning], fragments: Sequence[str]) -> str:
    lines = "\n".join(f"• {texts.WARNINGS.get(w.value, w.value)}" for w in warnings)
    text = texts.DRAFT_WARNINGS.format(lines=lines)
    if fragments:
        text += "\n" + texts.DRAFT_FRAGMENTS.format(fragments=", ".join(fragments))
    return text


def answer_error(exc: Exception) -> str:
    if isinstance(exc, EmptyDraft):
        return texts.DRAFT_EMPTY
    if isinstance(exc, PromiseTooLate):
        return texts.PROMISE_TOO_LATE.format(
            date=exc.latest.strftime("%d.%m.%Y"), clause=exc.clause
        )
    return explain(exc)


def make_router() -> Router:
    router = Router(name="answers")

    @router.callback_query(IncCb.filter(F.a.in_(ACTIONS)))
    async def on_press(
        query: CallbackQuery,
        callback_data: IncCb,
        services: Services,
        member: StaffMember | None,
        state: FSMContext,
    ) -> None:
        if member is None:
            await query.answer(texts.NOT_ON_STAFF, show_alert=True)
            return
        message = query.message if isinstance(query.message, Message) else None
        cb, ans, tg = callback_data, services.answering, member.telegram_id
        if cb.a == A.DRAFT_MENU:
            move: Move | None = Move.VIEW
        elif cb.a == A.DRAFT_KIND:
            move = draft_move(cb.a, cb.x)
        else:
            move = BUTTON_MOVES.get(cb.a)
        if move is None:
            await query.answer(texts.STALE, show_alert=True)
            return
        if cb.a in {A.SUBMIT, A.SUBMIT_ANYWAY}:  # checked by the use case, at the current version
            await _submit(query, state, services, tg, cb)
            return
        if cb.a in {A.APPROVE, A.EXT_OK}:  # the use case checks the step itself: one read
            try:
                if cb.a == A.APPROVE:
                    await ans.approve(tg, cb.i, cb.v)
                else:
                    await ans.record_external_decision(tg, cb.i, cb.v, True)
            except (DomainError, ValueError) as exc:
                await query.answer(await _explain(services, exc), show_alert=True)
                if message is not None:  # as `checked` does: the card as it is now
                    await redraw(services, member, cb.i, message)
                return
            await query.answer(texts.APPROVED_OK)
            services.kick()
            return
        if cb.a == A.DRAFT_KIND and cb.x != DraftKind.INTERMEDIATE.value:
            # The use case checks the step at the card's version itself: one read of the
            # incident. An intermediate answer first asks for the promised date: checked below.
            try:
                draft = await ans.start_draft(tg, cb.i, cb.v, DraftKind(cb.x))
            except (DomainError, ValueError) as exc:
                await query.answer(await _explain(services, exc), show_alert=True)
                if message is not None:  # as `checked` does: the card as it is now
                    await redraw(services, member, cb.i, message)
                return
            await state.update_data(incident=cb.i, kind=draft.kind.value)
            # the draft's write moved the version the card showed (checked) on by one
            await _start_drafting(query, state, services, cb.i, cb.v + 1, draft.kind)
            return
        verdict = await checked(query, services, member, cb, move, strict=cb.a not in _LENIENT)
        if verdict is None or verdict.incident is None:
            return
        try:
            if cb.a == A.DRAFT_MENU:
                kinds = [k for k, m in DRAFT_MOVES.items() if m in verdict.moves]
                if not kinds:
                    await query.answer(texts.NOT_ALLOWED, show_alert=True)
                    return
                rows = [
                    [
                        _button(
                            texts.DRAFT_KINDS[kind].capitalize(),
                            A.DRAFT_KIND,
                            cb.i,
                            cb.v,
                            kind.value,
                        )
                    ]
                    for kind in kinds
                ]
                if message is not None:
                    await later(message.edit_reply_markup(reply_markup=markup(rows)))
                await query.answer()
                return
            if cb.a == A.DRAFT_KIND:  # an intermediate answer: the others are begun above
                await state.update_data(incident=cb.i, kind=DraftKind.INTERMEDIATE.value)
                await state.set_state(Answer.promised)
                await query.answer()
                if message is not None:
                    await later(message.answer(texts.ASK_PROMISED))
                return
            if cb.a == A.PREVIEW:
                await query.answer()
                if message is not None:
                    await send_preview(message, services, cb.i)
                return
            if cb.a == A.TEMPLATES:
                rows = [
                    [_button(t.title, A.TEMPLATE, cb.i, cb.v, t.code)]
                    for t in EXPLANATION_TEMPLATES
                ]
                await query.answer()
                if message is not None:
                    await later(message.answer(texts.TEMPLATES_TITLE, reply_markup=markup(rows)))
                return
            if cb.a == A.TEMPLATE:
                template = explanation_template(cb.x)
                if template is None:
                    raise ValueError("unknown template")
                await ans.add_to_draft(tg, cb.i, template.text)
                await query.answer(texts.TEMPLATE_ADDED, show_alert=True)
                return
            if cb.a == A.REACTION:
                await ans.record_reaction(tg, cb.i, cb.v, Reaction(cb.x))
                await query.answer(texts.REACTION_OK)
                services.kick()
                return
            if cb.a == A.AUTHOR_SILENT:
                await ans.author_silent(cb.i, cb.v, tg)
                await query.answer(texts.AUTHOR_SILENT_OK)
                services.kick()
                return
            prompts = {
                A.PART: (Answer.part, texts.ASK_PART),
                A.REVISE: (Answer.reason, texts.ASK_REVISION_REASON),
                A.EXT_BACK: (Answer.reason, texts.ASK_REVISION_REASON),
                A.PUBLISHED: (Answer.publication, texts.ASK_PUBLICATION),
                A.PUBLISHED_PRIVATE: (Answer.publication, texts.ASK_PUBLICATION),
                A.PUBLISHED_GENERAL: (Answer.publication, texts.ASK_PUBLICATION),
                A.CANT_PUBLISH: (Answer.reason, texts.ASK_CANT_PUBLISH),
                A.AUTHOR_REPLIED: (Answer.author_reply, texts.ASK_AUTHOR_REPLY),
                A.CONVERT: (Answer.reason, texts.ASK_CONVERT_REASON),
            }
            if cb.a in prompts:
                await ask(query, cb, state, *prompts[cb.a])
                return
            raise ValueError(f"unknown action {cb.a!r}")
        except (DomainError, ValueError) as exc:
            await query.answer(await _explain(services, exc), show_alert=True)

    @router.message(StateFilter(Answer.promised), When(F.text))
    async def on_promised(
        message: Message, services: Services, member: StaffMember | None, state: FSMContext
    ) -> None:
        data = await state.get_data()
        if member is None or message.text is None:
            await state.clear()
            return
        today = services.clock.now().astimezone(services.zone).date()
        promised = parse_date(message.text, today)
        if promised is None:
            await later(message.answer(texts.BAD_PROMISED))
            return
        incident = await services.answering.incident(int(data["incident"]))
        try:
            draft = await services.answering.start_draft(
                member.telegram_id,
                incident.id or 0,
                incident.version,
                DraftKind.INTERMEDIATE,
                promised,
            )
        except PromiseTooLate as exc:
            await later(message.answer(answer_error(exc)))  # the prompt stays: another date
            return
        except (DomainError, ValueError) as exc:
            await state.clear()
            await later(message.answer(answer_error(exc)))
            return
        await state.set_state(Answer.drafting)
        await later(
            message.answer(
                texts.DRAFTING.format(kind=texts.DRAFT_KINDS[draft.kind], submit=texts.BTN_SUBMIT),
                reply_markup=drafting_keyboard(
                    incident.id or 0, incident.version, bool(services.profile.explanations)
                ),
            )
        )

    @router.message(StateFilter(Answer.drafting), When(~F.text.startswith("/")))
    async def on_draft_content(
        message: Message, services: Services, member: StaffMember | None, state: FSMContext
    ) -> None:
        data = await state.get_data()
        if member is None:
            await state.clear()
            return
        text = message.text or message.caption
        try:
            draft = await services.answering.add_to_draft(
                member.telegram_id, int(data["incident"]), text, attachments_of(message)
            )
        except (DomainError, ValueError) as exc:
            await state.clear()
            await later(message.answer(answer_error(exc)))
            return
        incident = await services.answering.incident(int(data["incident"]))
        await later(
            message.answer(
                texts.DRAFT_ADDED.format(chars=len(draft.text), files=len(draft.attachments)),
                reply_markup=drafting_keyboard(
                    incident.id or 0, incident.version, bool(services.profile.explanations)
                ),
            )
        )

    @router.message(StateFilter(Answer.part), When(F.text))
    async def on_part(
        message: Message, services: Services, member: StaffMember | None, state: FSMContext
    ) -> None:
        data = await state.get_data()
        await state.clear()
        if member is None or not message.text:
            return
        telegram_id, text = member.telegram_id, message.text.strip()

        async def submit_part() -> None:
            # A department's part is its own: others acting meanwhile do not make it stale.
            current = await services.answering.incident(int(data["incident"]))
            await services.answering.submit_part(
                telegram_id, current.id or 0, current.version, text
            )

        await carry_out(message, services, submit_part(), texts.PART_SENT, _explain_plainly)

    @router.message(StateFilter(Answer.reason), When(F.text))
    async def on_reason(
        message: Message, services: Services, member: StaffMember | None, state: FSMContext
    ) -> None:
        data = await state.get_data()
        if member is None or not message.text:
            await state.clear()
            return
        reason = await read_reason(message, state)
        if reason is None:
            return
        ans, tg = services.answering, member.telegram_id
        inc, ver, action = int(data["incident"]), int(data["version"]), data["action"]
        step: Awaitable[object]
        if action == A.REVISE:
            step, done = ans.request_revision(tg, inc, ver, reason), texts.REVISION_SENT
        elif action == A.EXT_BACK:
            step = ans.record_external_decision(tg, inc, ver, False, reason)
            done = texts.REVISION_SENT
        elif action == A.CANT_PUBLISH:
            step, done = ans.cannot_publish(tg, inc, ver, reason), texts.CANT_PUBLISH_OK
        else:
            step, done = ans.convert_59fz(tg, inc, ver, reason), texts.CONVERTED_OK
        await carry_out(message, services, step, done, _explain)

    @router.message(StateFilter(Answer.publication), When(F.text | F.photo | F.document))
    async def on_publication(
        message: Message, services: Services, member: StaffMember | None, state: FSMContext
    ) -> None:
        data = await state.get_data()
        if member is None:
            await state.clear()
            return
        links = find_urls(message.text or message.caption or "")
        screenshot = (
            message.photo[-1].file_id
            if message.photo
            else (message.document.file_id if message.document else None)
        )
        if not links and screenshot is None:
            await later(message.answer(texts.BAD_PUBLICATION))
            return
        await state.clear()
        action = data["action"]
        published = services.answering.publish(
            member.telegram_id,
            int(data["incident"]),
            int(data["version"]),
            links[0] if links else None,
            screenshot,
            public=action != A.PUBLISHED_PRIVATE,
            general_interest=action == A.PUBLISHED_GENERAL,
        )
        await carry_out(message, services, published, texts.PUBLISHED_OK, _explain)

    @router.message(StateFilter(Answer.author_reply), When(F.text))
    async def on_author_reply(
        message: Message, services: Services, member: StaffMember | None, state: FSMContext
    ) -> None:
        data = await state.get_data()
        await state.clear()
        if member is None or not message.text:
            return
        replied = services.answering.author_replied(
            member.telegram_id, int(data["incident"]), int(data["version"]), message.text.strip()
        )
        await carry_out(message, services, replied, texts.AUTHOR_REPLY_OK, _explain)

    return router


async def _start_drafting(
    query: CallbackQuery,
    state: FSMContext,
    services: Services,
    incident_id: int,
    version: int,
    kind: DraftKind,
) -> None:
    """The drafting prompt; its buttons are checked at the incident's current version
    (`_LENIENT`), so `version` only labels them."""
    await state.set_state(Answer.drafting)
    await query.answer()
    if isinstance(query.message, Message):
        await later(
            query.message.answer(
                texts.DRAFTING.format(kind=texts.DRAFT_KINDS[kind], submit=texts.BTN_SUBMIT),
                reply_markup=drafting_keyboard(
                    incident_id, version, bool(services.profile.explanations)
                ),
            )
        )
    services.kick()


async def _submit(
    query: CallbackQuery, state: FSMContext, services: Services, telegram_id: int, cb: IncCb
) -> None:
    """Send the draft for approval, or show its warnings with «send anyway» (whose codes it
    carries); the drafting prompt's buttons act at the incident's current version."""
    message = query.message if isinstance(query.message, Message) else None
    override = [DraftWarning(w) for w in cb.x.split(".") if w] if cb.a == A.SUBMIT_ANYWAY else []
    try:
        await services.answering.submit(telegram_id, cb.i, None, override)
    except DraftNeedsConfirmation as exc:
        codes = ".".join(w.value for w in exc.warnings)
        anyway = markup([[_button(texts.BTN_SUBMIT_ANYWAY, A.SUBMIT_ANYWAY, cb.i, cb.v, codes)]])
        await query.answer()
        if message is not None:
            await later(
                message.answer(_warnings_text(exc.warnings, exc.fragments), reply_markup=anyway)
            )
        return
    except (DomainError, ValueError) as exc:
        await query.answer(await _explain(services, exc), show_alert=True)
        return
    await state.clear()
    await query.answer(texts.SUBMITTED)
    if message is not None:
        await later(message.answer(texts.SUBMITTED))
    services.kick()


async def _explain_plainly(services: Services, exc: Exception) -> str:
    return answer_error(exc)


async def _explain(services: Services, exc: Exception) -> str:
    if isinstance(exc, EmptyDraft | PromiseTooLate):
        return answer_error(exc)
    return await explain_with_names(services, exc)
