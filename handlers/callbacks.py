"""Button payloads: ids and short codes only, with a schema version in the prefix.

Telegram allows 64 bytes of callback data; `tests/handlers` checks the longest each can make.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from domain.incident import DraftKind
from domain.rulebook import DRAFT_MOVES, Move


class IncCb(CallbackData, prefix="i1"):
    """A press on an incident card: action code, incident id, the version the card showed."""

    a: str
    i: int
    v: int
    x: str = ""


class ListCb(CallbackData, prefix="l1"):
    """A page of a list: `k` the list (`t` /tasks, `b` /board), `p` the page from 0."""

    k: str
    p: int


class AdmCb(CallbackData, prefix="a1"):
    """Administration menus: action code and an argument."""

    a: str
    x: str = ""


class Act:
    """Action codes of IncCb (two letters each)."""

    TOPIC_MENU = "tm"
    TOPIC_GROUP = "tg"
    TOPIC = "tt"
    LOCATION_MENU = "lm"
    LOCATION = "lc"
    LOCATION_FREE = "lf"
    IMPORTANCE_MENU = "im"
    IMPORTANCE = "ic"
    ASSIGN_MENU = "as"
    ASSIGN_TOGGLE = "at"
    ASSIGN_DONE = "ad"
    TO_HEAD = "hd"
    HEAD_MENU = "hm"
    HEAD_TOGGLE = "ht"
    HEAD_DONE = "hz"
    NO_REACTION = "hx"
    NOT_SUBJECT = "ns"
    EXTERNAL = "ex"
    REPEAT = "rp"
    DETECTED = "dt"
    ACCEPT = "ac"
    RETURN = "rt"
    OURS = "co"
    DEADLINE = "dl"
    BACK = "bk"


class A:
    """IncCb action codes of the answering router (handlers/answers.py)."""

    DRAFT_MENU = "dm"
    DRAFT_KIND = "dk"
    PREVIEW = "pv"
    SUBMIT = "sb"
    SUBMIT_ANYWAY = "sf"
    TEMPLATES = "tl"
    TEMPLATE = "tt2"
    PART = "pt"
    APPROVE = "ap"
    REVISE = "rv"
    EXT_OK = "eo"
    EXT_BACK = "er"
    PUBLISHED = "pb"
    PUBLISHED_PRIVATE = "pp"
    PUBLISHED_GENERAL = "pg"
    CANT_PUBLISH = "cp"
    AUTHOR_REPLIED = "ar"
    AUTHOR_SILENT = "sl"
    CONVERT = "cv"
    REACTION = "rc"


BUTTON_MOVES: dict[str, Move] = {
    **dict.fromkeys(
        (
            Act.TOPIC_MENU,
            Act.TOPIC_GROUP,
            Act.TOPIC,
            Act.LOCATION_MENU,
            Act.LOCATION,
            Act.LOCATION_FREE,
            Act.IMPORTANCE_MENU,
            Act.IMPORTANCE,
        ),
        Move.TAG,
    ),
    **dict.fromkeys((Act.ASSIGN_MENU, Act.ASSIGN_TOGGLE, Act.ASSIGN_DONE), Move.ASSIGN),
    Act.TO_HEAD: Move.SEND_TO_HEAD,
    **dict.fromkeys((Act.HEAD_MENU, Act.HEAD_TOGGLE, Act.HEAD_DONE), Move.HEAD_DECIDE),
    Act.NO_REACTION: Move.HEAD_NO_REACTION,
    Act.NOT_SUBJECT: Move.NOT_SUBJECT,
    Act.EXTERNAL: Move.PASS_EXTERNAL,
    Act.REPEAT: Move.LINK_REPEAT,
    Act.DETECTED: Move.SET_DETECTED,
    Act.ACCEPT: Move.ACCEPT,
    Act.RETURN: Move.RETURN,
    Act.OURS: Move.CONFIRM_COMPETENCE,
    Act.DEADLINE: Move.SET_DEADLINE,
    Act.BACK: Move.VIEW,
    A.PREVIEW: Move.PREVIEW,
    **dict.fromkeys((A.SUBMIT, A.SUBMIT_ANYWAY, A.TEMPLATES, A.TEMPLATE), Move.EDIT_DRAFT),
    A.PART: Move.SUBMIT_PART,
    **dict.fromkeys((A.APPROVE, A.REVISE), Move.APPROVE),
    **dict.fromkeys((A.EXT_OK, A.EXT_BACK), Move.RECORD_EXTERNAL),
    **dict.fromkeys((A.PUBLISHED, A.PUBLISHED_PRIVATE), Move.PUBLISH),
    A.PUBLISHED_GENERAL: Move.PUBLISH_GENERAL,
    A.CANT_PUBLISH: Move.CANNOT_PUBLISH,
    A.AUTHOR_REPLIED: Move.AUTHOR_REPLIED,
    A.AUTHOR_SILENT: Move.AUTHOR_SILENT,
    A.CONVERT: Move.CONVERT,
    A.REACTION: Move.REACTION,
}
"""The rulebook's move behind each button; checked on every press. The draft menu and a
kind of draft are checked by `draft_move`."""


def draft_move(action: str, x: str) -> Move | None:
    """The move behind the draft buttons: any kind of draft for the menu, the kind pressed."""
    if action == A.DRAFT_KIND:
        try:
            return DRAFT_MOVES[DraftKind(x)]
        except ValueError:
            return None
    return None
