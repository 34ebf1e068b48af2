"""Delivery fences: how ``wait_until_delivered()`` knows everything published before it was handled.

A fence is a PING with a token, sent on the subscription's own connection: Redis
answers it after every message already queued for that client, so once the
answer is read (and the callback lane has worked through what came before it),
everything published before the fence has been through ``on_message``.
"""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING

from .lane import Lane
from .wire import Link

if TYPE_CHECKING:
    from .reader import Reader


class Fences:
    """Delivery fences: a PING token per waiter, answered by Redis after every earlier message.

    Not thread-safe by itself: the subscription calls it under its own lock.
    """

    _ids = itertools.count(1)

    def __init__(self) -> None:
        self._events: dict[str, threading.Event] = {}

    def add_locked(self) -> tuple[str, threading.Event]:
        token, event = f"pubsub_kit-barrier-{next(self._ids)}", threading.Event()
        self._events[token] = event
        return token, event

    def pop_locked(self, token: str) -> threading.Event | None:
        return self._events.pop(token, None)

    def release_all_locked(self) -> None:
        """The connection is gone: nobody waits for what can no longer arrive (it shows as gaps)."""
        for event in self._events.values():
            event.set()
        self._events.clear()


class FenceRequests:
    """Mixed into ``Subscription``: sending fences and settling them. Uses the subscription's lock,
    state, link, fences, lane and reader, declared here so this module never needs the class."""

    _lock: threading.Lock
    _state: str
    _failed: bool
    _link: Link | None
    _fences: Fences
    _lane: Lane | None
    _reader: Reader

    def request_barrier(self) -> threading.Event | None:
        """Send PING with a token on this connection; its reply follows every earlier message.

        Returns an event set once everything published before this call has been
        handled, or None when the subscription is not live (its in-flight messages
        are lost, and will show up as gaps).
        """
        with self._lock:
            if self._state != "live" or self._link is None or self._failed:
                return None
            token, event = self._fences.add_locked()
        if not self._reader.ping(self, token):
            self.barrier_failed(token)
            return None
        return event

    def barrier_failed(self, token: str) -> None:
        with self._lock:
            event = self._fences.pop_locked(token)
        if event is not None:
            event.set()

    def pong(self, token: str) -> None:
        """Redis answered a fence's PING: everything before it has arrived."""
        with self._lock:
            event = self._fences.pop_locked(token)
            if event is not None and self._lane is not None:
                self._lane.barrier_locked(event)
                return
        if event is not None:
            event.set()
