"""A fake Telegram Bot API server for end-to-end tests of the bot."""

from .clock import FakeClock
from .faults import FaultRule, Faults
from .limits import RateLimitHit, RateLimits
from .people import ButtonNotFound, Channel, Group, People, Person, Press, tiny_png
from .server import DEFAULT_TOKEN, ApiCall, FakeTelegram, WebhookDelivery
from .state import Button, CallbackAnswer, FileView, MessageView

__all__ = [
    "DEFAULT_TOKEN",
    "ApiCall",
    "Button",
    "ButtonNotFound",
    "CallbackAnswer",
    "Channel",
    "FakeClock",
    "FakeTelegram",
    "FaultRule",
    "Faults",
    "FileView",
    "Group",
    "MessageView",
    "People",
    "Person",
    "Press",
    "RateLimitHit",
    "RateLimits",
    "WebhookDelivery",
    "tiny_png",
]
