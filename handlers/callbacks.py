"""Button payloads: ids and short codes only, with a schema version in the prefix.

Telegram allows 64 bytes of callback data; `tests/handlers` checks the longest each can make.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class IncCb(CallbackData, prefix="i1"):
    """A press on an incident card: action code, incident id, the version the card showed."""

    a: str
    i: int
    v: int
    x: str = ""


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
    CONVERT = "cv"
    REACTION = "rc"
