"""One subscriber: a thin public face over its own Redis connection, read by the hub's reader.

Each subscription holds one connection (wire.py), read with every other
subscription of its hub on one thread (reader.py); it keeps the books
(ledger.py) and calls ``on_message`` through its lane (lane.py): inline while
the callback is fast, on a worker of its own once it is slow, so Redis' socket
is never left unread. Lost connections are retried with capped backoff on a
thread of their own (reconnect.py) for as long as the subscription is open.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from redis.connection import Connection

from .fences import FenceRequests, Fences
from .lane import MAX_QUEUE_BYTES, NO_LANE, Changed, Lane, OnMessage, on_callback_thread
from .ledger import Ledger
from .messages import ReceivedMessage
from .liveness import IDLE_PING_S
from .reconnect import ConnectionStates, Connector
from .tracking import Missed
from .wire import route

if TYPE_CHECKING:
    from .reader import Reader
    from .wire import Link

__all__ = ["Subscription", "OnMessage", "JOIN_TIMEOUT_S", "IDLE_PING_S"]

JOIN_TIMEOUT_S = 2.0


class Subscription(ConnectionStates, FenceRequests):
    """A named set of channels and/or patterns read on one dedicated connection."""

    def __init__(
        self,
        name: str,
        *,
        on_message: OnMessage | None,
        connect: Callable[[], Connection],
        reader: Reader,
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
        self.idle_ping_s = idle_ping_s
        self._reader = reader

        self._lock = threading.Lock()
        self._changed = Changed(self._lock)
        self._stop = threading.Event()
        self._online = threading.Event()
        self._online.set()
        self._state = "subscribing"
        self._failed = False
        self._link: Link | None = None
        self._removed: threading.Event | None = None
        self._fences = Fences()
        self._ledger = Ledger(buffer_size, max_buffer_bytes)
        self._lane = None if on_message is None else Lane(
            name, on_message, self._lock, self._changed, max_queue, max_queue_bytes, self.begin_close)
        self._settled_direct = 0
        self._received_base = 0
        self._connector = Connector(name, connect, {"SUBSCRIBE": self.channels, "PSUBSCRIBE": self.patterns,
                                                    "SSUBSCRIBE": self.shard_channels}, lambda reply: route(self, reply))
        self._attach(self._connector.first_open())

    @property
    def closing(self) -> bool:
        return self._stop.is_set()

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
        return "failed" if self._failed and self._state != "closed" else self._state

    def messages(self, limit: int | None = None) -> list[ReceivedMessage]:
        """The most recent messages, newest first."""
        with self._lock:
            return self._ledger.recent(limit)

    def received_total(self) -> int:
        with self._lock:
            return self._ledger.arrived - self._received_base

    def reset_received(self) -> None:
        """Start a new counting period, keeping ``received == handled + dropped + queued``.

        Messages still queued for ``on_message`` belong to the new period: ``received``
        restarts at their number and ``handled``/``dropped`` at zero, so each of them is
        counted once when it is handled. The recent-message buffer empties.
        """
        with self._lock:
            self._restart_locked()

    def _restart_locked(self) -> None:
        queued = 0
        if self._lane is not None:
            self._lane.restart_locked()
            queued = self._lane.queued
        self._received_base = self._ledger.arrived - queued
        self._ledger.forget_messages()
        self._changed.notify_all()

    def is_alive(self) -> bool:
        """True while open and read; False once closed or failed (never a silent death)."""
        return not self._stop.is_set() and not self._failed

    def close(self, timeout: float = JOIN_TIMEOUT_S) -> None:
        """Stop reading, drop the connection and join this subscription's threads.

        No ``on_message`` call starts after it returns. From inside a callback it does not
        wait (the thread it would wait for may be waiting for this one, as when two callbacks
        close each other's subscriptions): a call already running finishes on its own, and
        the hub joins the threads at ``shutdown()``.
        """
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
            **(self._lane.counters_locked() if self._lane else NO_LANE),
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
        """Zero every counter and the buffer (the hub's ``reset_stats``); see ``reset_received`` for the backlog."""
        with self._lock:
            self._ledger.zero()
            if self._lane:
                self._lane.zero_locked()
            self._restart_locked()

    def mark_offline(self) -> None:
        """Stay disconnected after the next connection loss (see ``hub.take_offline``).

        Not once closing: a cleared ``online`` would strand the reconnect thread in its wait.
        """
        with self._lock:
            if not self._stop.is_set():
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

    # -- called by the hub's reader thread ---------------------------------------------

    def receive(self, kind: str, raw_channel: bytes, raw_pattern: bytes | None, raw: bytes) -> None:
        """One message off the wire: counted in the ledger, then through the lane to ``on_message``."""
        received = self._ledger.build(kind, raw_channel, raw_pattern, raw)
        lane = self._lane
        with self._lock:
            self._ledger.account_locked(received)
            if lane is None:
                self._settled_direct += 1
                inline = False
            else:
                inline = lane.offer_locked(received)
            self._changed.notify_all()
        if inline:
            lane.call_inline(received)

    # -- shutdown ----------------------------------------------------------------

    def begin_close(self) -> None:
        """Stop reading and reconnecting at once, even mid-handshake; does not wait."""
        with self._lock:
            if self._stop.is_set():
                return
            self._stop.set()
            self._online.set()
            self._state = "closed"
            self._fences.release_all_locked()
            if self._lane:
                self._lane.stop_locked()
            self._removed = self._reader.remove(self)
            self._changed.notify_all()
        self._connector.stop()

    def join(self, timeout: float = JOIN_TIMEOUT_S) -> bool:
        """Wait until the reader let go of the connection and this subscription's threads ended;
        False if an on_message call is still stuck. On a callback thread it never waits (see ``close``)."""
        if on_callback_thread():
            return False
        deadline = time.monotonic() + timeout
        removed = self._removed
        if removed is not None:
            removed.wait(max(0.0, deadline - time.monotonic()))
            self._reader.join_retired(deadline)
        stuck = self._connector.join(deadline) + (self._lane.join(deadline) if self._lane else [])
        if removed is not None and not removed.is_set():
            stuck.append(f"pubsub_kit:{self.name}: the hub's reader (an inline on_message?)")
        if stuck:
            with self._lock:
                self._ledger.last_error = f"still running after close (a slow on_message?): {', '.join(stuck)}"
        return not stuck

    def __repr__(self) -> str:
        return f"<Subscription {self.name!r} {self.targets} {self.state} received={self.received_total()}>"
