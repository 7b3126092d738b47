"""Where a post came from: the network, the link, the author, the moment.

The curator forwards a post or pastes a link; the handler turns aiogram's `forward_origin` into
plain values and calls `origin_from_forward`, or calls `origin_from_text` on the message text.
Links are compared in their canonical form to find repeated messages (Lipetsk 15, Bor 12).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

from domain.clock import require_aware


class Network(StrEnum):
    VK = "vk"
    OK = "ok"
    TELEGRAM = "telegram"
    INSTAGRAM = "instagram"
    FACEBOOK = "facebook"
    X = "x"
    MAX = "max"
    DZEN = "dzen"
    OTHER_SITE = "other_site"
    """A web link to a site that is not one of the networks above."""
    UNKNOWN = "unknown"
    """No link at all."""


_DOMAINS: dict[str, Network] = {
    "vk.com": Network.VK,
    "vk.ru": Network.VK,
    "vkontakte.ru": Network.VK,
    "vkvideo.ru": Network.VK,
    "ok.ru": Network.OK,
    "odnoklassniki.ru": Network.OK,
    "t.me": Network.TELEGRAM,
    "telegram.me": Network.TELEGRAM,
    "telegram.dog": Network.TELEGRAM,
    "instagram.com": Network.INSTAGRAM,
    "instagr.am": Network.INSTAGRAM,
    "facebook.com": Network.FACEBOOK,
    "fb.com": Network.FACEBOOK,
    "fb.watch": Network.FACEBOOK,
    "twitter.com": Network.X,
    "x.com": Network.X,
    "max.ru": Network.MAX,
    "dzen.ru": Network.DZEN,
    "zen.yandex.ru": Network.DZEN,
}
"""A host is of a network when it is one of these domains or their subdomain."""

_ALIASES = {
    "vk.ru": "vk.com",
    "vkontakte.ru": "vk.com",
    "odnoklassniki.ru": "ok.ru",
    "telegram.me": "t.me",
    "telegram.dog": "t.me",
    "instagr.am": "instagram.com",
    "fb.com": "facebook.com",
    "twitter.com": "x.com",
    "zen.yandex.ru": "dzen.ru",
}
"""Other names of the same site: one canonical host each."""

_MIRROR_PREFIXES = ("www.", "m.", "mobile.", "web.")
"""Mobile and web versions show the same post as the main host."""

_CASELESS_PATHS = frozenset({Network.VK, Network.OK, Network.TELEGRAM, Network.X})
"""Networks whose paths are ids and user names that ignore case (Instagram's codes do not)."""

_TRACKING = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "yclid",
        "ysclid",
        "igshid",
        "igsh",
        "mibextid",
        "_openstat",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_url",
        "si",
        "__tn__",
    }
)
_TRACKING_ON_X = frozenset({"s", "t"})
_VK_WALL = re.compile(r"wall-?\d+_\d+")
_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*://", re.IGNORECASE)
_WEB_SCHEME = re.compile(r"https?://", re.IGNORECASE)
_HOST = re.compile(r"[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}\.?(?::\d+)?|xn--[\w\-.]+(?::\d+)?")

_URL_CHAR = r"[^\s<>\"«»“”]"
_BARE_DOMAINS = "|".join(re.escape(d) for d in sorted(_DOMAINS, key=len, reverse=True))
_URL_IN_TEXT = re.compile(
    rf"https?://{_URL_CHAR}+"
    rf"|(?<![\w@.\-/])(?:[a-z0-9\-]+\.)*(?:{_BARE_DOMAINS})/{_URL_CHAR}+"
    rf"|(?<![\w@.\-/])www\.[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{{2,}}(?:/{_URL_CHAR}*)?",
    re.IGNORECASE,
)
_TRAILING = frozenset(".,;:!?»\"'…")
_PAIRS = {")": "(", "]": "["}


def _split(url: str) -> SplitResult | None:
    """The parts of a web link (https:// assumed when the scheme is missing), or None."""
    url = url.strip()
    if not url:
        return None
    if _SCHEME.match(url):
        if not _WEB_SCHEME.match(url):
            return None
    else:
        first = re.split(r"[/?#]", url, maxsplit=1)[0]
        if not _HOST.fullmatch(first):
            return None
        url = "https://" + url
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        return None
    if not host or "." not in host.strip("."):
        return None
    return parts


def _network_of_host(host: str) -> Network:
    host = host.lower().rstrip(".")
    for domain, network in _DOMAINS.items():
        if host == domain or host.endswith("." + domain):
            return network
    return Network.OTHER_SITE


def network_of(url: str) -> Network:
    """The network of a link, by its host; `OTHER_SITE` for any other web link.

    Case is ignored, subdomains count (m.vk.com, web.max.ru), the scheme may be missing.
    Anything that is not a web link is `UNKNOWN`.
    """
    parts = _split(url)
    if parts is None or parts.hostname is None:
        return Network.UNKNOWN
    return _network_of_host(parts.hostname)


def _trim(url: str) -> str:
    while url:
        last = url[-1]
        if last in _TRAILING or (last in _PAIRS and url.count(_PAIRS[last]) < url.count(last)):
            url = url[:-1]
        else:
            break
    return url


def find_urls(text: str) -> tuple[str, ...]:
    """Web links in free text, in order, each with a scheme (https:// added when missing).

    Trailing punctuation is not part of a link (a closing bracket is, when the link opened it);
    links without a scheme count for the known networks (vk.com/..., t.me/...) and for www.
    Links to the same page (see `canonical_url`) are given once, as first written.
    """
    found: list[str] = []
    seen: set[str] = set()
    for match in _URL_IN_TEXT.finditer(text):
        url = _trim(match.group())
        if not _WEB_SCHEME.match(url):
            url = "https://" + url
        if _split(url) is None:
            continue
        key = canonical_url(url)
        if key not in seen:
            seen.add(key)
            found.append(url)
    return tuple(found)


def canonical_url(url: str) -> str:
    """One spelling per page, to recognise a repeated message by its link.

    https; lowercase host without www./m./mobile./web. and with one name per site (vk.ru and
    vkontakte.ru are vk.com, twitter.com is x.com, telegram.me is t.me…); no fragment, no
    tracking parameters (utm_*, fbclid…), other parameters sorted; no trailing slash.
    A VK post opened over a page (`?w=wall-1_2`) is that post; t.me/s/… is t.me/….
    Raises ValueError for something that is not a web link.
    """
    parts = _split(url)
    if parts is None or parts.hostname is None:
        raise ValueError(f"not a web link: {url!r}")
    host = parts.hostname.rstrip(".")
    stripped = True
    while stripped:
        stripped = False
        for prefix in _MIRROR_PREFIXES:
            rest = host.removeprefix(prefix)
            if rest != host and "." in rest:
                host, stripped = rest, True
    host = _ALIASES.get(host, host)
    network = _network_of_host(host)
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    if network is Network.TELEGRAM and path.startswith("/s/"):
        path = path[2:]
    if network in _CASELESS_PATHS:
        path = path.lower()
    query: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        lowered = key.lower()
        if lowered.startswith("utm_") or lowered in _TRACKING:
            continue
        if network is Network.X and lowered in _TRACKING_ON_X:
            continue
        if network is Network.VK and lowered == "w" and _VK_WALL.fullmatch(value.lower()):
            path = "/" + value.lower()
            continue
        query.append((key, value))
    tail = "?" + urlencode(sorted(query)) if query else ""
    return f"https://{netloc}{path}{tail}"


def telegram_post_link(*, username: str | None, chat_id: int | None, message_id: int) -> str | None:
    """The t.me link of a message: by the public user name, else by the private chat's id.

    Only channels and supergroups (ids -100…) have private links; None when neither is known.
    """
    if message_id <= 0:
        raise ValueError(f"message id must be positive: {message_id}")
    name = (username or "").strip().lstrip("@")
    if name:
        return f"https://t.me/{name}/{message_id}"
    if chat_id is not None and str(chat_id).startswith("-100") and len(str(chat_id)) > 4:
        return f"https://t.me/c/{str(chat_id)[4:]}/{message_id}"
    return None


class ForwardKind(StrEnum):
    """The kinds of Telegram's `forward_origin`."""

    CHANNEL = "channel"
    CHAT = "chat"
    """Sent on behalf of a group (an anonymous administrator or a linked channel)."""
    USER = "user"
    HIDDEN_USER = "hidden_user"
    """A user who hides the link to their account: only the name is known."""


@dataclass(frozen=True, slots=True)
class Origin:
    """What the curator's message tells about the post; each fact may be unknown."""

    network: Network
    url: str | None = None
    author: str | None = None
    """As shown: a channel's or group's title, a user's full name, a hidden user's name."""
    posted_at: datetime | None = None
    """When the post was written (a forward's date); aware."""

    def __post_init__(self) -> None:
        if self.posted_at is not None:
            require_aware(self.posted_at, "posted_at")


def origin_from_forward(
    kind: str,
    *,
    chat_title: str | None = None,
    chat_username: str | None = None,
    chat_id: int | None = None,
    message_id: int | None = None,
    sender_name: str | None = None,
    sender_username: str | None = None,
    date: datetime | None = None,
) -> Origin:
    """The origin of a forwarded Telegram message; `kind` is a `ForwardKind` value.

    A channel's or group's post has a link when its id and a user name or chat id are known;
    a user's message has none. The author falls back to the @user name when no name is given.
    """
    try:
        forward = ForwardKind(kind)
    except ValueError:
        raise ValueError(f"unknown forward origin kind {kind!r}") from None
    url: str | None = None
    if forward in (ForwardKind.CHANNEL, ForwardKind.CHAT):
        author = _name(chat_title, chat_username)
        if message_id is not None and message_id > 0:
            url = telegram_post_link(username=chat_username, chat_id=chat_id, message_id=message_id)
    else:
        author = _name(sender_name, sender_username if forward is ForwardKind.USER else None)
    return Origin(network=Network.TELEGRAM, url=url, author=author, posted_at=date)


def _name(name: str | None, username: str | None) -> str | None:
    if name and name.strip():
        return " ".join(name.split())
    if username and username.strip().lstrip("@"):
        return "@" + username.strip().lstrip("@")
    return None


def origin_from_text(text: str) -> Origin:
    """The origin told by a pasted link: the first link to a known network, else the first link.

    No link: `Network.UNKNOWN`.
    """
    urls = find_urls(text)
    if not urls:
        return Origin(network=Network.UNKNOWN)
    networks = [network_of(u) for u in urls]
    for url, network in zip(urls, networks, strict=True):
        if network is not Network.OTHER_SITE:
            return Origin(network=network, url=url)
    return Origin(network=Network.OTHER_SITE, url=urls[0])
