"""parse_mode handling: HTML, MarkdownV2 and Markdown turned into text and entities.

Modelled on tdlib's parsers closely enough to reject what Telegram rejects most often
(unescaped `<` in HTML, unescaped reserved characters in MarkdownV2, unclosed tags).
"""

from __future__ import annotations

import re
from typing import Any

Entity = dict[str, Any]


class ParseError(Exception):
    pass


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def parse(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    """Raise ParseError with Telegram's message (after "can't parse entities: ")."""
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text)
    if mode == "markdown":
        return _parse_markdown(text)
    raise ValueError(parse_mode)


def strip(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Trim surrounding whitespace as Telegram does, keeping entities in place."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    size = utf16_len(stripped)
    out: list[Entity] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, size)
        if end > start:
            out.append({**entity, "offset": start, "length": end - start})
    return stripped, out


def _sorted(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


class _Builder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.size += utf16_len(chunk)

    def text(self) -> str:
        return "".join(self.parts)


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|lt|gt|amp|quot);")
_HTML_ATTR = re.compile(r"""([a-zA-Z_-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _html_char(ref: str) -> str:
    if ref in _NAMED:
        return _NAMED[ref]
    code = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
    return chr(code)


def _parse_html(src: str) -> tuple[str, list[Entity]]:
    out = _Builder()
    entities: list[Entity] = []
    stack: list[tuple[str, int, dict[str, str]]] = []
    i = 0
    n = len(src)
    while i < n:
        char = src[i]
        if char == "&":
            match = _HTML_ENTITY.match(src, i)
            if match:
                out.add(_html_char(match.group(1)))
                i = match.end()
                continue
            out.add(char)
            i += 1
            continue
        if char != "<":
            out.add(char)
            i += 1
            continue
        begin = _byte_offset(src, i)
        if i + 1 < n and src[i + 1] == "/":
            end = src.find(">", i)
            if end < 0:
                raise ParseError(f"Unclosed end tag at byte offset {begin}")
            name = src[i + 2 : end].strip().lower()
            if not stack:
                raise ParseError(f"Unexpected end tag at byte offset {begin}")
            open_name, start, attrs = stack.pop()
            if name != open_name:
                raise ParseError(
                    f'Unmatched end tag at byte offset {begin}, expected "</{open_name}>", '
                    f'found "</{name}>"'
                )
            _close_html(open_name, start, attrs, out.size, entities, stack)
            i = end + 1
            continue
        j = i + 1
        while j < n and not src[j].isspace() and src[j] not in ">/":
            j += 1
        name = src[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise ParseError(f'Unsupported start tag "{name}" at byte offset {begin}')
        end = _tag_end(src, j)
        if end < 0:
            raise ParseError(f"Unclosed start tag at byte offset {begin}")
        attrs = {
            m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
            for m in _HTML_ATTR.finditer(src, j, end)
        }
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise ParseError('Tag "span" must have class "tg-spoiler"')
        if name == "tg-emoji" and "emoji-id" not in attrs:
            raise ParseError('Tag "tg-emoji" must have attribute "emoji-id"')
        stack.append((name, out.size, attrs))
        i = end + 1
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.text(), _sorted(entities)


def _tag_end(src: str, start: int) -> int:
    quote = ""
    for k in range(start, len(src)):
        char = src[k]
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == ">":
            return k
    return -1


def _close_html(
    name: str,
    start: int,
    attrs: dict[str, str],
    end: int,
    entities: list[Entity],
    stack: list[tuple[str, int, dict[str, str]]],
) -> None:
    if end == start:
        return
    kind = _HTML_TAGS[name]
    entity: Entity = {"type": kind, "offset": start, "length": end - start}
    if kind == "text_link":
        href = attrs.get("href", "")
        if not href:
            return
        entity["url"] = href
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = attrs["emoji-id"]
    elif kind == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif kind == "code" and stack and stack[-1][0] == "pre" and stack[-1][1] == start:
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1][2]["language"] = language[len("language-") :]
        return
    elif kind == "pre" and attrs.get("language"):
        entity["language"] = attrs["language"]
    entities.append(entity)


_MD2_RESERVED = "_*[]()~`>#+-=|{}.!"


def _escapable(src: str, i: int) -> bool:
    return i + 1 < len(src) and 0 < ord(src[i + 1]) <= 126


def _at(src: str, i: int) -> str:
    return src[i] if 0 <= i < len(src) else ""


def _parse_markdown_v2(src: str) -> tuple[str, list[Entity]]:
    out = _Builder()
    entities: list[Entity] = []
    stack: list[tuple[str, int, int, str]] = []  # type, utf16 start, byte offset, argument
    quote_start: int | None = None
    i = 0
    n = len(src)
    while i < n:
        char = src[i]
        in_code = bool(stack) and stack[-1][0] in {"code", "pre"}
        if char == "\\" and _escapable(src, i):
            out.add(src[i + 1])
            i += 2
            continue
        if not in_code and char == ">" and (i == 0 or src[i - 1] == "\n"):
            if quote_start is None:
                quote_start = out.size
            i += 1
            continue
        if char == "\n" and quote_start is not None and _at(src, i + 1) != ">":
            if out.size > quote_start:
                entities.append(
                    {"type": "blockquote", "offset": quote_start, "length": out.size - quote_start}
                )
            quote_start = None
        reserved = "`" if in_code else _MD2_RESERVED
        if char not in reserved:
            out.add(char)
            i += 1
            continue
        top = stack[-1][0] if stack else ""
        closes = (
            (top == "bold" and char == "*")
            or (top == "italic" and char == "_" and _at(src, i + 1) != "_")
            or (top == "underline" and char == "_" and _at(src, i + 1) == "_")
            or (top == "strikethrough" and char == "~")
            or (top == "spoiler" and char == "|" and _at(src, i + 1) == "|")
            or (top == "code" and char == "`")
            or (top == "pre" and src[i : i + 3] == "```")
            or (top == "text_link" and char == "]")
        )
        begin = _byte_offset(src, i)
        if not closes:
            argument = ""
            if char == "_" and _at(src, i + 1) == "_":
                kind = "underline"
                i += 1
            elif char == "_":
                kind = "italic"
            elif char == "*":
                kind = "bold"
            elif char == "~":
                kind = "strikethrough"
            elif char == "|" and _at(src, i + 1) == "|":
                kind = "spoiler"
                i += 1
            elif char == "[":
                kind = "text_link"
            elif char == "`" and src[i : i + 3] == "```":
                kind = "pre"
                i += 3
                end = i
                while end < n and not src[end].isspace() and src[end] != "`":
                    end += 1
                if end != i and end < n and src[end] != "`":
                    argument = src[i:end]
                    i = end
                if _at(src, i) in {"\n", "\r"}:
                    i += 1
                i -= 1
            elif char == "`":
                kind = "code"
            else:
                raise ParseError(
                    f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
                )
            stack.append((kind, out.size, begin, argument))
            i += 1
            continue
        kind, start, _, argument = stack.pop()
        if kind in {"underline", "spoiler"}:
            i += 1
        elif kind == "pre":
            i += 2
        elif kind == "text_link":
            if _at(src, i + 1) == "(":
                i += 2
                url_begin = _byte_offset(src, i)
                url: list[str] = []
                while i < n and src[i] != ")":
                    if src[i] == "\\" and _escapable(src, i):
                        url.append(src[i + 1])
                        i += 2
                        continue
                    url.append(src[i])
                    i += 1
                if i >= n:
                    raise ParseError(f"Can't find end of a URL at byte offset {url_begin}")
                argument = "".join(url)
            else:
                argument = ""
        i += 1
        if out.size > start and (kind != "text_link" or argument):
            entity: Entity = {"type": kind, "offset": start, "length": out.size - start}
            if kind == "text_link":
                entity["url"] = argument
            elif kind == "pre" and argument:
                entity["language"] = argument
            entities.append(entity)
    if stack:
        kind, _, begin, _ = stack[-1]
        names = {
            "bold": "Bold",
            "italic": "Italic",
            "underline": "Underline",
            "strikethrough": "Strikethrough",
            "spoiler": "Spoiler",
            "code": "Code",
            "pre": "Pre",
            "text_link": "TextUrl",
        }
        raise ParseError(f"Can't find end of {names[kind]} entity at byte offset {begin}")
    if quote_start is not None and out.size > quote_start:
        entities.append(
            {"type": "blockquote", "offset": quote_start, "length": out.size - quote_start}
        )
    return out.text(), _sorted(entities)


def _parse_markdown(src: str) -> tuple[str, list[Entity]]:
    out = _Builder()
    entities: list[Entity] = []
    i = 0
    n = len(src)
    while i < n:
        char = src[i]
        if char == "\\" and _at(src, i + 1) in {"_", "*", "`", "["}:
            out.add(src[i + 1])
            i += 2
            continue
        if char not in "_*`[":
            out.add(char)
            i += 1
            continue
        begin = _byte_offset(src, i)
        end_char = "]" if char == "[" else char
        is_pre = char == "`" and src[i : i + 3] == "```"
        i += 3 if is_pre else 1
        language = ""
        if is_pre:
            end = i
            while end < n and not src[end].isspace() and src[end] != "`":
                end += 1
            if end != i and end < n and src[end] != "`":
                language = src[i:end]
                i = end
            if _at(src, i) in {"\n", "\r"}:
                i += 1
        start = out.size
        while i < n and (src[i] != end_char or (is_pre and src[i : i + 3] != "```")):
            out.add(src[i])
            i += 1
        if i >= n:
            raise ParseError(f"Can't find end of the entity starting at byte offset {begin}")
        i += 3 if is_pre else 1
        entity: Entity = {"offset": start, "length": out.size - start}
        if char == "[":
            if _at(src, i) != "(":
                continue
            close = src.find(")", i)
            if close < 0:
                raise ParseError(f"Can't find end of the entity starting at byte offset {begin}")
            entity.update(type="text_link", url=src[i + 1 : close])
            i = close + 1
        elif is_pre:
            entity["type"] = "pre"
            if language:
                entity["language"] = language
        else:
            entity["type"] = {"_": "italic", "*": "bold", "`": "code"}[char]
        if entity["length"] > 0:
            entities.append(entity)
    return out.text(), _sorted(entities)
