"""The actions both live views offer: publish, subscribe, unsubscribe, reset and faults.

The dashboard's buttons and the web demo's forms call this one object, so the
two views cannot drift apart in what a click does or which errors it gives.
Every method raises ``ValueError`` (or ``SubscriptionLimitError``) with a
sentence a view can show next to the form.
"""

from __future__ import annotations

import json
from typing import Any

from .faults import Faults
from .hub import RedisPubSubHub
from .subscription import Subscription

MAX_COPIES = 20
KINDS = ("exact", "pattern")
DEFAULT_SUBSCRIPTIONS = (
    ("orders-listener", "exact", "orders:new"),
    ("billing-listener", "exact", "billing:invoice"),
    ("all-notifications", "pattern", "notifications:*"),
)
SUGGESTED_CHANNELS = (
    "orders:new", "billing:invoice", "notifications:email", "notifications:push",
    "cache:invalidate:products", "chat:lobby",
)


def parse_message(text: str) -> Any:
    """What a form publishes: the JSON value when the text is JSON, else the text itself."""
    if not text.strip():
        raise ValueError("message is empty: type something to publish")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def split_targets(targets: str) -> list[str]:
    """``"orders:new, chat:lobby"`` -> ``["orders:new", "chat:lobby"]``."""
    items = [t.strip() for t in targets.split(",") if t.strip()]
    if not items:
        raise ValueError("targets is empty: give at least one channel or pattern, comma-separated")
    return items


class Playground:
    """One hub's subscribers, as the live views create and break them; ``close()`` stops fault timers."""

    def __init__(self, hub: RedisPubSubHub) -> None:
        self.hub = hub
        self.faults = Faults(hub)

    def publish(self, channel: str, message: str, copies: int = 1) -> list[int]:
        """Publish the form's text ``copies`` times; returns Redis' delivery count for each."""
        if not 1 <= copies <= MAX_COPIES:
            raise ValueError(f"copies must be from 1 to {MAX_COPIES}, got {copies}")
        return self.hub.publish_many(channel.strip(), [parse_message(message)] * copies)

    def subscribe(self, name: str, kind: str, targets: str) -> Subscription:
        """Add a subscriber whose callback the fault buttons can slow down."""
        items = split_targets(targets)
        callback = self.faults.callback(name)
        if kind == "exact":
            return self.hub.subscribe(name, items, on_message=callback)
        if kind == "pattern":
            return self.hub.psubscribe(name, items, on_message=callback)
        raise ValueError(f"kind must be 'exact' or 'pattern', got {kind!r}")

    def unsubscribe(self, name: str) -> bool:
        """Close the subscriber and forget its faults; False if there was none."""
        self.faults.forget(name)
        return self.hub.unsubscribe(name)

    def seed_defaults(self) -> list[str]:
        """Add the default subscribers whose names are still free; returns the ones added."""
        taken = {sub.name for sub in self.hub.subscriptions()}
        added = []
        for name, kind, target in DEFAULT_SUBSCRIPTIONS:
            if name not in taken:
                self.subscribe(name, kind, target)
                added.append(name)
        return added

    def reset(self) -> None:
        """Drop every subscription, zero the counters, and seed the defaults again."""
        for sub in self.hub.subscriptions():
            self.unsubscribe(sub.name)
        self.hub.reset_stats()
        self.seed_defaults()

    def offline(self, name: str, seconds: float) -> None:
        """Disconnect the subscriber now; it reconnects by itself after ``seconds``."""
        self.faults.offline_for(name, seconds)

    def kill(self, name: str) -> None:
        """CLIENT KILL the subscriber's connection: it reconnects and counts it."""
        self.faults.kill(name)

    def slow(self, name: str, ms: int) -> None:
        """Make the subscriber's callback take ``ms`` per message, so its queue grows."""
        self.faults.slow(name, ms)

    def close(self) -> None:
        self.faults.close()
