"""A learner's hub in a room: the kit's hub, inside the learner's permissions, reporting to the room.

It is a ``RedisPubSubHub`` on the learner's own ACL user, so every lesson call
works unchanged; a call the room does not allow fails with a sentence naming
the missing permission. One extra subscription, ``room-report``, answers the
facilitator's report requests with this hub's counters on ``stats:NAME``: the
room's view is built from what each laptop really received, and nothing is
sent while the facilitator does not ask.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

import redis

from ..hub import RedisPubSubHub
from ..messages import ReceivedMessage
from ..subscription import Subscription
from .acl import REPORT, STATS, explain_refusal
from .report import REPORT_SUBSCRIPTION, report_of


class RoomPermissionError(redis.exceptions.NoPermissionError):
    """The room's rules refuse this call; the message says which permission it lacks."""


class LearnerHub(RedisPubSubHub):
    """``pubsub_kit.connect(room=..., name=...)``: a hub for one learner of a room."""

    def __init__(self, url: str, name: str, **options: Any) -> None:
        super().__init__(url=url, **options)
        self.learner = name
        self.subscribe(REPORT_SUBSCRIPTION, REPORT, on_message=self._report)

    def _report(self, _message: ReceivedMessage) -> None:
        self.redis.publish(f"{STATS}{self.learner}", json.dumps(report_of(self, self.learner), allow_nan=False))

    @contextmanager
    def _room_rules(self, tried: str | None) -> Iterator[None]:
        """Turn Redis' bare NOPERM into a sentence naming the permission the room withholds."""
        try:
            yield
        except redis.exceptions.NoPermissionError as err:
            raise RoomPermissionError(explain_refusal(str(err), self.learner, tried)) from None

    def publish(self, channel: str, message: Any) -> int:
        with self._room_rules(channel):
            return super().publish(channel, message)

    def publish_many(self, channel: str, messages: Iterable[Any]) -> list[int]:
        with self._room_rules(channel):
            return super().publish_many(channel, messages)

    def subscribe(self, name: str, channels: Any, on_message: Callable | None = None, *,
                  patterns: Any = None) -> Subscription:
        with self._room_rules(", ".join(str(t) for t in (channels, patterns) if t)):
            return super().subscribe(name, channels, on_message, patterns=patterns)

    def kill_connection(self, name: str) -> bool:
        with self._room_rules(None):
            return super().kill_connection(name)

    def take_offline(self, name: str, timeout: float = 5.0) -> bool:
        try:
            with self._room_rules(None):
                return super().take_offline(name, timeout)
        except RoomPermissionError:
            self.require_subscription(name).mark_online()
            raise
