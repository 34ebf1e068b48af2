"""One subscriber: its own Redis connection, a reader thread and, with a callback, a worker.

The reader only takes messages off the socket, so a slow ``on_message`` never
stalls Redis' output buffer; messages wait in a bounded queue instead, and what
does not fit is counted as dropped. Lost connections are retried with capped
backoff for as long as the subscription is open, and every loss is counted.
"""

from __future__ import annotations

import itertools
import random
import socket
import threading
import time
from collections import deque
from typing import Any, Callable

import redis
from redis.connection import Connection

from .messages import ReceivedMessage, unwrap
from .tracking import CappedCounters, Missed, SequenceTracker

OnMessage = Callable[[ReceivedMessage], Any]

CONFIRM_KINDS = (b"subscribe", b"psubscribe", b"ssubscribe")
READ_TICK_S = 2.0
CONFIRM_TIMEOUT_S = 5.0
BACKOFF_FIRST_S = 0.05
BACKOFF_CAP_S = 2.0
JOIN_TIMEOUT_S = 2.0

_barrier_ids = itertools.count(1)


class _Barrier:
    """A marker in the callback queue: everything before it has been handled."""

    __slots__ = ("event",)

    def __init__(self, event: threading.Event) -> None:
        self.event = event


def _text(value: bytes | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.decode("utf-8", "backslashreplace")


def _describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


class Subscription:
    """A named set of channels and/or patterns read on one dedicated connection."""

    def __init__(
        self,
        name: str,
        *,
        on_message: OnMessage | None,
        connect: Callable[[], Connection],
        channels: list[str] = (),
        patterns: list[str] = (),
        shard_channels: list[str] = (),
        buffer_size: int = 50,
        max_buffer_bytes: int = 8 * 1024 * 1024,
        max_queue: int = 10_000,
    ) -> None:
        self.name = name
        self.channels = tuple(channels)
        self.patterns = tuple(patterns)
        self.shard_channels = tuple(shard_channels)
        self.on_message = on_message
        self._connect = connect
        self._max_buffer_bytes = max_buffer_bytes
        self._max_queue = max_queue

        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._work = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._online = threading.Event()
        self._online.set()
        self._state = "subscribing"
        self.client_id: int | None = None
        self.address: str | None = None
        self._conn: Connection | None = None
        self._buffer: deque[ReceivedMessage] = deque(maxlen=buffer_size)
        self._buffer_bytes = 0
        self._queue: deque[ReceivedMessage | _Barrier] = deque()
        self._barriers: dict[str, threading.Event] = {}
        self._tracker = SequenceTracker()
        self._by_channel = CappedCounters(("received", "foreign"))
        self._arrived = 0
        self._settled = 0
        self._received_base = 0
        self._zero_counters()

        self._open()
        self._state = "live"
        self._threads = [threading.Thread(target=self._read_loop, name=f"pubsub_kit:{name}:reader", daemon=True)]
        if on_message is not None:
            self._threads.append(
                threading.Thread(target=self._dispatch_loop, name=f"pubsub_kit:{name}:callback", daemon=True)
            )
        for thread in self._threads:
            thread.start()

    def _zero_counters(self) -> None:
        self._dropped = 0
        self._handled = 0
        self._callback_errors = 0
        self._last_callback_error: str | None = None
        self._decode_errors = 0
        self._last_decode_error: str | None = None
        self._foreign = 0
        self._reconnects = 0
        self._reconnect_attempts = 0
        self._disconnects = 0
        self._last_error: str | None = None
        self._tracker.reset_counts()
        self._by_channel.clear()

    # -- the guide's API -------------------------------------------------------

    @property
    def targets(self) -> list[str]:
        return [*self.channels, *self.patterns, *self.shard_channels]

    @property
    def is_pattern(self) -> bool:
        return bool(self.patterns)

    @property
    def state(self) -> str:
        """``subscribing``, ``live``, ``reconnecting``, ``offline`` (taken down on purpose) or ``closed``."""
        return self._state

    def messages(self, limit: int | None = None) -> list[ReceivedMessage]:
        """The most recent messages, newest first."""
        with self._lock:
            newest_first = list(reversed(self._buffer))
        return newest_first if limit is None else newest_first[:limit]

    def received_total(self) -> int:
        return self._arrived - self._received_base

    def reset_received(self) -> None:
        """Start counting (and buffering) from zero again."""
        with self._lock:
            self._received_base = self._arrived
            self._buffer.clear()
            self._buffer_bytes = 0
            self._changed.notify_all()

    def is_alive(self) -> bool:
        """True while the reader runs; False once closed (never a silent death)."""
        return not self._stop.is_set() and self._threads[0].is_alive()

    def close(self, timeout: float = JOIN_TIMEOUT_S) -> None:
        """Stop reading, drop the connection and join this subscription's threads."""
        self.begin_close()
        self.join(timeout)

    def to_dict(self) -> dict[str, Any]:
        """Everything known about this subscription, as plain data (one consistent read)."""
        with self._lock:
            out = self._counters_locked()
            recent = list(reversed(self._buffer))
        out["messages"] = [m.to_dict() for m in recent]
        return out

    # -- beyond the guide ------------------------------------------------------

    def counters(self) -> dict[str, Any]:
        """``to_dict()`` without the message list: cheap enough to poll."""
        with self._lock:
            return self._counters_locked()

    def _counters_locked(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "targets": self.targets,
            "channels": list(self.channels),
            "patterns": list(self.patterns),
            "shard_channels": list(self.shard_channels),
            "address": self.address,
            "is_pattern": self.is_pattern,
            "state": self._state,
            "alive": self.is_alive(),
            "received": self._arrived - self._received_base,
            "handled": self._handled,
            "queued": sum(1 for item in self._queue if not isinstance(item, _Barrier)),
            "dropped": self._dropped,
            "callback_errors": self._callback_errors,
            "last_callback_error": self._last_callback_error,
            "decode_errors": self._decode_errors,
            "last_decode_error": self._last_decode_error,
            "foreign": self._foreign,
            "gaps": self._tracker.gaps,
            "duplicates": self._tracker.duplicates,
            "missed_ids": [i for run in list(self._tracker.missed)[-10:] for i in run.ids()][-20:],
            "reconnects": self._reconnects,
            "reconnect_attempts": self._reconnect_attempts,
            "disconnects": self._disconnects,
            "last_error": self._last_error,
            "by_channel": self._by_channel.snapshot(),
        }

    def missed(self) -> list[Missed]:
        """The runs of hub-published messages this subscription never got, oldest first."""
        with self._lock:
            return list(self._tracker.missed)

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until ``count`` messages have arrived and been through ``on_message``."""
        with self._changed:
            return self._changed.wait_for(lambda: self._settled - self._received_base >= count, timeout)

    def reset_counters(self) -> None:
        """Zero every counter and the buffer (the hub's ``reset_stats``)."""
        with self._lock:
            self._zero_counters()
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
            return self._changed.wait_for(lambda: self._state == state, timeout)

    # -- connection ------------------------------------------------------------

    def _open(self) -> None:
        """Connect, SUBSCRIBE/PSUBSCRIBE every target and wait until Redis confirms each one.

        This is ``redis-cli SUBSCRIBE ...`` on a dedicated redis-py ``Connection``
        (RESP2), with ``CLIENT ID`` sent in the same round trip so the hub can
        ``CLIENT KILL`` exactly this connection later.
        """
        conn = self._connect()
        try:
            conn.connect()
            conn.send_command("CLIENT", "ID", check_health=False)
            if self.channels:
                conn.send_command("SUBSCRIBE", *self.channels, check_health=False)
            if self.patterns:
                conn.send_command("PSUBSCRIBE", *self.patterns, check_health=False)
            if self.shard_channels:
                conn.send_command("SSUBSCRIBE", *self.shard_channels, check_health=False)
            client_id = int(conn.read_response())
            pending = len(self.channels) + len(self.patterns) + len(self.shard_channels)
            deadline = time.monotonic() + CONFIRM_TIMEOUT_S
            while pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise redis.TimeoutError(f"Redis did not confirm the subscription within {CONFIRM_TIMEOUT_S} s")
                if not conn.can_read(timeout=left):
                    continue
                response = conn.read_response()
                if isinstance(response, redis.ResponseError):
                    raise response
                if response[0] in CONFIRM_KINDS:
                    pending -= 1
                else:
                    self._handle(response)
        except BaseException:
            conn.disconnect()
            raise
        with self._lock:
            self._conn, self.client_id = conn, client_id
            self.address = f"{conn.host}:{conn.port}"

    def _close_connection(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.disconnect()
            except Exception:
                pass

    def _read_loop(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    conn = self._conn
                    response = conn.read_response() if conn.can_read(timeout=READ_TICK_S) else None
                    if response is not None and response[0] == b"sunsubscribe":
                        # Redis drops shard subscriptions when their slot moves or the node
                        # stops being its master: find the new owner and subscribe there.
                        raise redis.ConnectionError("Redis ended a shard subscription (slot moved or failover)")
                except Exception as err:
                    # Everything Redis sent before the connection ended has been read by now.
                    if self._stop.is_set():
                        break
                    if self._online.is_set():
                        self._lost(err)
                    else:
                        self._close_connection()
                    self._reconnect()
                    continue
                if response is not None:
                    self._handle(response)
        finally:
            self._close_connection()

    def _lost(self, err: BaseException) -> None:
        with self._lock:
            self._disconnects += 1
            self._last_error = _describe(err)
            self._state = "reconnecting"
            self._release_barriers_locked()
            self._changed.notify_all()
        self._close_connection()

    def _reconnect(self) -> None:
        """Reconnect with capped backoff for as long as the subscription is open.

        While it is marked offline it waits instead, and reconnects once it is
        marked online again.
        """
        delay = BACKOFF_FIRST_S
        while not self._stop.is_set():
            if not self._online.is_set():
                with self._lock:
                    self._state = "offline"
                    self._release_barriers_locked()
                    self._changed.notify_all()
                self._online.wait()
                continue
            try:
                self._open()
            except Exception as err:
                with self._lock:
                    self._last_error = _describe(err)
                    self._reconnect_attempts += 1
                self._stop.wait(delay * random.uniform(1.0, 1.2))
                delay = min(delay * 2, BACKOFF_CAP_S)
                continue
            with self._lock:
                if not self._stop.is_set():
                    self._reconnects += 1
                    self._state = "live"
                self._changed.notify_all()
            return

    # -- messages --------------------------------------------------------------

    def _handle(self, response: Any) -> None:
        """Route one RESP2 reply: a message, a pmessage, or the pong of a barrier."""
        kind = response[0]
        if kind == b"message":
            self._receive("message", response[1], None, response[2])
        elif kind == b"pmessage":
            self._receive("pmessage", response[2], response[1], response[3])
        elif kind == b"smessage":
            self._receive("smessage", response[1], None, response[2])
        elif kind == b"pong":
            self._pong(_text(response[1]) or "")

    def _receive(self, kind: str, raw_channel: bytes, raw_pattern: bytes | None, raw: bytes) -> None:
        unwrapped = unwrap(raw)
        channel = _text(raw_channel) or ""
        received = ReceivedMessage(
            channel=channel,
            pattern=_text(raw_pattern),
            payload=unwrapped.payload,
            received_at_ms=time.time() * 1000.0,
            kind=kind,
            publisher=unwrapped.publisher,
            seq=unwrapped.seq,
            sent_at_ms=unwrapped.sent_at_ms,
            decode_error=unwrapped.decode_error,
            size=len(raw),
        )
        with self._lock:
            self._arrived += 1
            self._by_channel.add(channel, "received")
            if unwrapped.decode_error:
                self._decode_errors += 1
                self._last_decode_error = unwrapped.decode_error
            if unwrapped.foreign:
                self._foreign += 1
                self._by_channel.add(channel, "foreign")
            else:
                self._tracker.observe(unwrapped.publisher, channel, unwrapped.seq)
            self._remember_locked(received)
            if self.on_message is None:
                self._settled += 1
            elif len(self._queue) >= self._max_queue:
                self._dropped += 1
                self._settled += 1
            else:
                self._queue.append(received)
                self._work.notify()
            self._changed.notify_all()

    def _remember_locked(self, received: ReceivedMessage) -> None:
        buffer = self._buffer
        if buffer.maxlen == 0:
            return
        if len(buffer) == buffer.maxlen:
            self._buffer_bytes -= buffer[0].size
        buffer.append(received)
        self._buffer_bytes += received.size
        while self._buffer_bytes > self._max_buffer_bytes and len(buffer) > 1:
            self._buffer_bytes -= buffer.popleft().size

    def _dispatch_loop(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._stop.is_set():
                    self._work.wait()
                batch, self._queue = self._queue, deque()
                if self._stop.is_set():
                    self._abandon_locked(batch)
                    return
            for index, item in enumerate(batch):
                if isinstance(item, _Barrier):
                    item.event.set()
                elif self._stop.is_set():
                    with self._lock:
                        self._abandon_locked(deque(itertools.islice(batch, index, None)))
                    return
                else:
                    self._call(item)

    def _abandon_locked(self, items: deque) -> None:
        """Messages still queued at close never reach on_message: count them as dropped."""
        lost = sum(1 for item in items if not isinstance(item, _Barrier))
        self._dropped += lost
        self._settled += lost
        for item in items:
            if isinstance(item, _Barrier):
                item.event.set()
        self._changed.notify_all()

    def _call(self, received: ReceivedMessage) -> None:
        stop_after = False
        error: str | None = None
        try:
            self.on_message(received)  # type: ignore[misc]
        except (KeyboardInterrupt, SystemExit) as err:
            error, stop_after = f"{_describe(err)} (subscription stopped)", True
        except BaseException as err:
            error = _describe(err)
        with self._lock:
            self._handled += 1
            self._settled += 1
            if error is not None:
                self._callback_errors += 1
                self._last_callback_error = error
            self._changed.notify_all()
        if stop_after:
            self.begin_close()

    # -- delivery barriers -------------------------------------------------------

    def request_barrier(self) -> threading.Event | None:
        """Send PING with a token on this connection; its reply follows every earlier message.

        Returns an event set once everything published before this call has been
        handled, or None when the subscription is not live (its in-flight messages
        are lost, and will show up as gaps).
        """
        token = f"pubsub_kit-barrier-{next(_barrier_ids)}"
        event = threading.Event()
        with self._lock:
            conn = self._conn
            sock = getattr(conn, "_sock", None)
            if self._state != "live" or sock is None:
                return None
            self._barriers[token] = event
        try:
            # Written straight to the socket: the reader thread owns the Connection
            # object, and redis-py would reconnect it from here if it were closed.
            sock.sendall(b"".join(conn.pack_command("PING", token)))
        except Exception:
            with self._lock:
                self._barriers.pop(token, None)
            return None
        return event

    def _pong(self, token: str) -> None:
        with self._lock:
            event = self._barriers.pop(token, None)
            if event is not None and self.on_message is not None:
                self._queue.append(_Barrier(event))
                self._work.notify()
                return
        if event is not None:
            event.set()

    def _release_barriers_locked(self) -> None:
        for event in self._barriers.values():
            event.set()
        self._barriers.clear()

    # -- shutdown ----------------------------------------------------------------

    def begin_close(self) -> None:
        """Ask the threads to stop and wake the reader at once; does not wait."""
        with self._lock:
            if self._stop.is_set():
                return
            self._stop.set()
            self._online.set()
            self._state = "closed"
            conn = self._conn
            self._release_barriers_locked()
            self._work.notify_all()
            self._changed.notify_all()
        # redis-py has no public way to interrupt a read blocked in another thread;
        # shutting the socket down makes that read return at once.
        sock = getattr(conn, "_sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def join(self, timeout: float = JOIN_TIMEOUT_S) -> bool:
        """Wait for this subscription's threads; False if an on_message call is still stuck."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in self._threads if t.is_alive() and t is not threading.current_thread()]
        if stuck:
            with self._lock:
                self._last_error = f"still running after close (a slow on_message?): {', '.join(stuck)}"
        return not stuck

    def __repr__(self) -> str:
        return f"<Subscription {self.name!r} {self.targets} {self._state} received={self.received_total()}>"
