"""The callback lane: a bounded queue between a subscription's reader and its ``on_message``.

The reader only appends; a worker thread calls ``on_message``. The lane is
bounded in messages *and* bytes, and the batch the worker has taken still
counts until each message is handled, so a slow callback can hold at most
``max_count`` messages or ``max_bytes`` bytes (one bigger message is let in when
the lane is empty). What does not fit is counted as dropped, never lost silently.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Callable

from .messages import ReceivedMessage

OnMessage = Callable[[ReceivedMessage], Any]
# Redis' own default hard limit for a pub/sub client's output buffer: a slow
# subscriber may hold as much here as Redis would hold for it.
MAX_QUEUE_BYTES = 32 * 1024 * 1024


class Barrier:
    """A marker in the lane: everything before it has been handled."""

    __slots__ = ("event",)

    def __init__(self, event: threading.Event) -> None:
        self.event = event


def describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


class Lane:
    """Bounded queue plus worker thread; every ``*_locked`` method runs under the owner's lock."""

    def __init__(self, name: str, on_message: OnMessage, lock: threading.Lock, changed: threading.Condition,
                 max_count: int, max_bytes: int, on_stop: Callable[[], None]) -> None:
        self.on_message = on_message
        self.max_count = max_count
        self.max_bytes = max_bytes
        self._lock = lock
        self._changed = changed
        self._work = threading.Condition(lock)
        self._on_stop = on_stop
        self._queue: deque[ReceivedMessage | Barrier] = deque()
        self._stopping = False
        self.queued = 0          # messages waiting or in the worker's batch
        self.queued_bytes = 0
        self.settled = 0         # handled or dropped: what ``wait_for`` counts
        self.zero_locked()
        self.thread = threading.Thread(target=self._run, name=f"pubsub_kit:{name}:callback", daemon=True)

    def zero_locked(self) -> None:
        self.handled = 0
        self.dropped = 0
        self.callback_errors = 0
        self.last_callback_error: str | None = None

    def offer_locked(self, message: ReceivedMessage) -> None:
        """Queue a message for ``on_message``, or count it as dropped when the lane is full."""
        full = self.queued >= self.max_count or (self.queued and self.queued_bytes + message.size > self.max_bytes)
        if full:
            self.dropped += 1
            self.settled += 1
            return
        self.queued += 1
        self.queued_bytes += message.size
        self._queue.append(message)
        self._work.notify()

    def barrier_locked(self, event: threading.Event) -> None:
        """Set ``event`` once everything queued so far has been handled (markers are never dropped)."""
        self._queue.append(Barrier(event))
        self._work.notify()

    def stop_locked(self) -> None:
        self._stopping = True
        self._work.notify_all()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._stopping:
                    self._work.wait()
                batch, self._queue = self._queue, deque()
                if self._stopping:
                    self._abandon_locked(batch)
                    return
            while batch:
                item = batch.popleft()
                if isinstance(item, Barrier):
                    item.event.set()
                elif self._stopping:
                    batch.appendleft(item)
                    with self._lock:
                        self._abandon_locked(batch)
                    return
                else:
                    self._call(item)

    def _abandon_locked(self, items: deque) -> None:
        """Messages still queued at close never reach on_message: count them as dropped."""
        for item in items:
            if isinstance(item, Barrier):
                item.event.set()
            else:
                self.dropped += 1
                self.settled += 1
                self.queued -= 1
                self.queued_bytes -= item.size
        self._changed.notify_all()

    def _call(self, message: ReceivedMessage) -> None:
        stop_after = False
        error: str | None = None
        try:
            self.on_message(message)
        except (KeyboardInterrupt, SystemExit) as err:
            error, stop_after = f"{describe(err)} (subscription stopped)", True
        except BaseException as err:
            error = describe(err)
        with self._lock:
            self.handled += 1
            self.settled += 1
            self.queued -= 1
            self.queued_bytes -= message.size
            if error is not None:
                self.callback_errors += 1
                self.last_callback_error = error
            self._changed.notify_all()
        if stop_after:
            self._on_stop()
