"""Request parameters and error answers as the Bot API shapes them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]

JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "media",
        "commands",
        "allowed_updates",
        "reply_parameters",
        "link_preview_options",
        "scope",
        "results",
        "message_ids",
    }
)


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> Json:
        answer: Json = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            answer["parameters"] = {"retry_after": self.retry_after}
        return answer


def bad_request(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: {message}")


def forbidden(message: str) -> ApiError:
    return ApiError(403, f"Forbidden: {message}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


NOT_FOUND = ApiError(404, "Not Found")
UNAUTHORIZED = ApiError(401, "Unauthorized")
CONFLICT_POLLING = ApiError(
    409,
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
)
CONFLICT_WEBHOOK = ApiError(
    409,
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first",
)


@dataclass(frozen=True)
class Upload:
    name: str
    filename: str
    data: bytes
    content_type: str | None = None


def as_field(value: Any) -> str:
    """A JSON value as the string a form field would carry."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Params:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    @classmethod
    def of(cls, values: Json) -> Params:
        return cls({key: as_field(value) for key, value in values.items() if value is not None})

    def has(self, name: str) -> bool:
        return name in self.fields

    def text(self, name: str) -> str | None:
        return self.fields.get(name)

    def integer(self, name: str) -> int | None:
        value = self.fields.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        return self.fields.get(name, "").lower() in {"true", "1"}

    def json_value(self, name: str) -> Any:
        value = self.fields.get(name)
        if value is None or value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None

    def decoded(self) -> Json:
        """Fields with the JSON ones decoded, for recording."""
        out: Json = {}
        for key, value in self.fields.items():
            if key in JSON_FIELDS:
                try:
                    out[key] = json.loads(value)
                except ValueError:
                    out[key] = value
            else:
                out[key] = value
        return out
