"""Fault controls for the live views: take a subscriber offline for N seconds, kill its
connection, or make its callback slow — so at-most-once delivery is visible live.
"""

from __future__ import annotations

import threading

from .hub import RedisPubSubHub
from .messages import ReceivedMessage
from .subscription import OnMessage

MAX_OFFLINE_S = 60.0
MAX_SLOW_MS = 5000


class Faults:
    """Per-subscriber faults on one hub; ``close()`` cancels and joins every timer."""

    def __init__(self, hub: RedisPubSubHub) -> None:
        self.hub = hub
        self._lock = threading.Lock()
        self._slow_ms: dict[str, int] = {}
        self._timers: list[threading.Timer] = []
        self._closed = threading.Event()

    def callback(self, name: str) -> OnMessage:
        """The on_message a view gives each subscriber, so it can be slowed down later."""

        def on_message(message: ReceivedMessage) -> None:
            with self._lock:
                delay = self._slow_ms.get(name, 0)
            if delay:
                self._closed.wait(delay / 1000)

        on_message.faults = self  # type: ignore[attr-defined]  # lets slow() tell its own callbacks apart
        return on_message

    def slow(self, name: str, ms: int) -> None:
        if not 0 <= ms <= MAX_SLOW_MS:
            raise ValueError(f"slow callback must be 0 to {MAX_SLOW_MS} ms, got {ms}")
        sub = self.hub.require_subscription(name)
        if getattr(sub.on_message, "faults", None) is not self:
            raise ValueError(f"{name!r} was not added from this view, so its callback cannot be slowed down: "
                             "add a subscriber with the form, then slow that one")
        with self._lock:
            self._slow_ms[name] = ms

    def kill(self, name: str) -> None:
        self.hub.kill_connection(name)

    def offline_for(self, name: str, seconds: float) -> None:
        """Disconnect now; reconnect by itself after ``seconds``."""
        if not 0 < seconds <= MAX_OFFLINE_S:
            raise ValueError(f"offline time must be more than 0 and at most {MAX_OFFLINE_S:.0f} s, got {seconds}")
        self.hub.take_offline(name)
        timer = threading.Timer(seconds, self._back_online, args=(name,))
        timer.daemon = True
        with self._lock:
            self._timers = [t for t in self._timers if t.is_alive()]
            self._timers.append(timer)
        timer.start()

    def _back_online(self, name: str) -> None:
        if not self._closed.is_set() and self.hub.get_subscription(name) is not None:
            self.hub.bring_online(name)

    def forget(self, name: str) -> None:
        with self._lock:
            self._slow_ms.pop(name, None)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()
            timer.join(timeout=5)
