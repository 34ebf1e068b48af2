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
from typing import Any, Callable, Iterable

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

    def _refused(self, err: redis.exceptions.NoPermissionError, tried: str | None) -> RoomPermissionError:
        return RoomPermissionError(explain_refusal(str(err), self.learner, tried))

    def publish(self, channel: str, message: Any) -> int:
        try:
            return super().publish(channel, message)
        except redis.exceptions.NoPermissionError as err:
            raise self._refused(err, channel) from None

    def publish_many(self, channel: str, messages: Iterable[Any]) -> list[int]:
        try:
            return super().publish_many(channel, messages)
        except redis.exceptions.NoPermissionError as err:
            raise self._refused(err, channel) from None

    def subscribe(self, name: str, channels: Any, on_message: Callable | None = None, *,
                  patterns: Any = None) -> Subscription:
        try:
            return super().subscribe(name, channels, on_message, patterns=patterns)
        except redis.exceptions.NoPermissionError as err:
            tried = ", ".join(str(t) for t in (channels, patterns) if t)
            raise self._refused(err, tried) from None

    def kill_connection(self, name: str) -> bool:
        try:
            return super().kill_connection(name)
        except redis.exceptions.NoPermissionError as err:
            raise self._refused(err, None) from None

    def take_offline(self, name: str, timeout: float = 5.0) -> bool:
        try:
            return super().take_offline(name, timeout)
        except redis.exceptions.NoPermissionError as err:
            self.require_subscription(name).mark_online()
            raise self._refused(err, None) from None
