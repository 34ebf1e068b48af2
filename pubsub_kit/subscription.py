"""One subscriber: its own Redis connection, a reader thread and, with a callback, a lane.

The reader only takes messages off the socket, so a slow ``on_message`` never
stalls Redis' output buffer; messages wait in a bounded lane instead (lane.py).
Lost connections are retried with capped backoff for as long as the
subscription is open, an idle connection is checked with a PING, and every
loss is counted. Nothing a publisher sends can stop the reader: whatever goes
wrong while handling a reply is counted and the subscription reconnects.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from redis.connection import Connection

from .lane import MAX_QUEUE_BYTES, Lane, OnMessage
from .ledger import Ledger
from .messages import ReceivedMessage
from .reader import IDLE_PING_S, READ_TICK_S, ReaderLoop, tokens
from .tracking import Missed
from .wire import Link

__all__ = ["Subscription", "OnMessage", "JOIN_TIMEOUT_S", "IDLE_PING_S"]

JOIN_TIMEOUT_S = 2.0


class Subscription(ReaderLoop):
    """A named set of channels and/or patterns read on one dedicated connection."""

    def __init__(
        self,
        name: str,
        *,
        on_message: OnMessage | None,
        connect: Callable[[], Connection],
        channels: tuple[str, ...] | list[str] = (),
        patterns: tuple[str, ...] | list[str] = (),
        shard_channels: tuple[str, ...] | list[str] = (),
        buffer_size: int = 50,
        max_buffer_bytes: int = 8 * 1024 * 1024,
        max_queue: int = 10_000,
        max_queue_bytes: int = MAX_QUEUE_BYTES,
        idle_ping_s: float = IDLE_PING_S,
    ) -> None:
        self.name = name
        self.channels = tuple(channels)
        self.patterns = tuple(patterns)
        self.shard_channels = tuple(shard_channels)
        self.on_message = on_message
        self._connect = connect
        self._idle_ping_s = idle_ping_s
        self._tick = min(READ_TICK_S, idle_ping_s / 4)

        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._online = threading.Event()
        self._online.set()
        self._state = "subscribing"
        self._link: Link | None = None
        self._opening: Link | None = None
        self._barriers: dict[str, threading.Event] = {}
        self._idle_token: str | None = None
        self._last_heard = time.monotonic()
        self._ledger = Ledger(buffer_size, max_buffer_bytes)
        self._lane = None if on_message is None else Lane(
            name, on_message, self._lock, self._changed, max_queue, max_queue_bytes, self.begin_close)
        self._settled_direct = 0
        self._received_base = 0

        self._address = "?"
        self._first_open()
        self._state = "live"
        self._reader = threading.Thread(target=self._read_loop, name=f"pubsub_kit:{name}:reader", daemon=True)
        self._threads = [self._reader] + ([self._lane.thread] if self._lane else [])
        for thread in self._threads:
            thread.start()

    # -- the guide's API -------------------------------------------------------

    @property
    def targets(self) -> list[str]:
        return [*self.channels, *self.patterns, *self.shard_channels]

    @property
    def is_pattern(self) -> bool:
        return bool(self.patterns)

    @property
    def client_id(self) -> int | None:
        link = self._link
        return link.client_id if link else None

    @property
    def address(self) -> str | None:
        link = self._link
        return link.address if link else None

    @property
    def state(self) -> str:
        """``subscribing``, ``live``, ``reconnecting``, ``offline`` (taken down on purpose), ``closed``,
        or ``failed`` when the reader stopped without being closed (it never claims ``live`` then)."""
        state = self._state
        if state != "closed" and state != "subscribing" and not self._reader.is_alive():
            return "failed"
        return state

    def messages(self, limit: int | None = None) -> list[ReceivedMessage]:
        """The most recent messages, newest first."""
        with self._lock:
            return self._ledger.recent(limit)

    def received_total(self) -> int:
        with self._lock:
            return self._ledger.arrived - self._received_base

    def reset_received(self) -> None:
        """Start counting (and buffering) from zero again."""
        with self._lock:
            self._received_base = self._ledger.arrived
            self._ledger.forget_messages()
            self._changed.notify_all()

    def is_alive(self) -> bool:
        """True while the reader runs; False once closed or failed (never a silent death)."""
        return not self._stop.is_set() and self._reader.is_alive()

    def close(self, timeout: float = JOIN_TIMEOUT_S) -> None:
        """Stop reading, drop the connection and join this subscription's threads."""
        self.begin_close()
        self.join(timeout)

    def to_dict(self) -> dict[str, Any]:
        """Everything known about this subscription, as plain strict-JSON data (one consistent read)."""
        with self._lock:
            out = self._counters_locked()
            recent = self._ledger.recent(None)
        out["messages"] = [m.to_dict() for m in recent]
        return out

    # -- beyond the guide ------------------------------------------------------

    def counters(self) -> dict[str, Any]:
        """``to_dict()`` without the message list: cheap enough to poll."""
        with self._lock:
            return self._counters_locked()

    def _settled_locked(self) -> int:
        return self._settled_direct + (self._lane.settled if self._lane else 0)

    def _counters_locked(self) -> dict[str, Any]:
        lane = self._lane
        received = self._ledger.arrived - self._received_base
        return {
            "name": self.name,
            "targets": self.targets,
            "channels": list(self.channels),
            "patterns": list(self.patterns),
            "shard_channels": list(self.shard_channels),
            "address": self.address,
            "is_pattern": self.is_pattern,
            "state": self.state,
            "alive": self.is_alive(),
            "received": received,
            "received_total": received,
            "handled": lane.handled if lane else 0,
            "queued": lane.queued if lane else 0,
            "queued_bytes": lane.queued_bytes if lane else 0,
            "dropped": lane.dropped if lane else 0,
            "callback_errors": lane.callback_errors if lane else 0,
            "last_callback_error": lane.last_callback_error if lane else None,
            **self._ledger.counters(),
        }

    def missed(self) -> list[Missed]:
        """The runs of hub-published messages this subscription never got, oldest first."""
        with self._lock:
            return list(self._ledger.tracker.missed)

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until ``count`` messages have arrived and been through ``on_message``."""
        with self._changed:
            return self._changed.wait_for(lambda: self._settled_locked() - self._received_base >= count, timeout)

    def reset_counters(self) -> None:
        """Zero every counter and the buffer (the hub's ``reset_stats``)."""
        with self._lock:
            self._ledger.zero()
            if self._lane:
                self._lane.zero_locked()
        self.reset_received()

    def mark_offline(self) -> None:
        """Stay disconnected after the next connection loss (see ``hub.take_offline``)."""
        self._online.clear()

    def mark_online(self) -> None:
        """Reconnect and resubscribe; what was published meanwhile is gone (gaps)."""
        if not self._stop.is_set():
            self._online.set()

    def wait_for_counters(self, timeout: float = 5.0, **at_least: int) -> bool:
        """Wait until counters reach minimums, e.g. ``wait_for_counters(reconnects=1)``."""
        unknown = set(at_least) - set(self.counters())
        if unknown:
            raise ValueError(f"unknown counters {sorted(unknown)}; see Subscription.counters()")
        with self._changed:
            return self._changed.wait_for(
                lambda: all(self._counters_locked()[k] >= v for k, v in at_least.items()), timeout
            )

    def wait_for_state(self, state: str, timeout: float = 5.0) -> bool:
        """Wait until this subscription reaches ``state`` (e.g. ``live`` after a reconnect)."""
        with self._changed:
            return self._changed.wait_for(lambda: self.state == state, timeout)

    # -- messages --------------------------------------------------------------

    def _handle(self, response: Any) -> None:
        """Route one RESP2 reply: a message, a pmessage, an smessage, or the pong of a PING."""
        kind = response[0]
        if kind == b"message" or kind == b"smessage":
            self._receive(kind.decode(), response[1], None, response[2])
        elif kind == b"pmessage":
            self._receive("pmessage", response[2], response[1], response[3])
        elif kind == b"pong":
            self._pong(response[1])

    def _receive(self, kind: str, raw_channel: bytes, raw_pattern: bytes | None, raw: bytes) -> None:
        received = self._ledger.build(kind, raw_channel, raw_pattern, raw)
        with self._lock:
            self._ledger.account_locked(received)
            if self._lane is None:
                self._settled_direct += 1
            else:
                self._lane.offer_locked(received)
            self._changed.notify_all()

    # -- delivery barriers -------------------------------------------------------

    def request_barrier(self) -> threading.Event | None:
        """Send PING with a token on this connection; its reply follows every earlier message.

        Returns an event set once everything published before this call has been
        handled, or None when the subscription is not live (its in-flight messages
        are lost, and will show up as gaps).
        """
        token = f"pubsub_kit-barrier-{next(tokens)}"
        event = threading.Event()
        with self._lock:
            link = self._link
            if self._state != "live" or link is None:
                return None
            self._barriers[token] = event
        if not link.send_ping(token):
            with self._lock:
                self._barriers.pop(token, None)
            return None
        return event

    def _pong(self, raw_token: bytes) -> None:
        token = raw_token.decode("utf-8", "replace") if isinstance(raw_token, bytes) else str(raw_token)
        with self._lock:
            event = self._barriers.pop(token, None)
            if event is not None and self._lane is not None:
                self._lane.barrier_locked(event)
                return
        if event is not None:
            event.set()

    def _release_barriers_locked(self) -> None:
        for event in self._barriers.values():
            event.set()
        self._barriers.clear()

    # -- shutdown ----------------------------------------------------------------

    def begin_close(self) -> None:
        """Ask the threads to stop and wake the reader at once, even mid-reconnect; does not wait."""
        with self._lock:
            if self._stop.is_set():
                return
            self._stop.set()
            self._online.set()
            self._state = "closed"
            links = [link for link in (self._link, self._opening) if link is not None]
            self._release_barriers_locked()
            if self._lane:
                self._lane.stop_locked()
            self._changed.notify_all()
        for link in links:
            link.interrupt()

    def join(self, timeout: float = JOIN_TIMEOUT_S) -> bool:
        """Wait for this subscription's threads; False if an on_message call is still stuck."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in self._threads if t.is_alive() and t is not threading.current_thread()]
        if stuck:
            with self._lock:
                self._ledger.last_error = f"still running after close (a slow on_message?): {', '.join(stuck)}"
        return not stuck

    def __repr__(self) -> str:
        return f"<Subscription {self.name!r} {self.targets} {self.state} received={self.received_total()}>"
