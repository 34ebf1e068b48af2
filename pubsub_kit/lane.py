"""The callback lane: how a subscription's ``on_message`` is called, inline or on a worker.

A fast callback runs *inline*, on the hub's reader thread, the moment its message
is read: no hand-off, no extra thread. A slow one must never stop the reader
(every other subscription of the hub waits on it), so the lane moves it to a
worker thread of its own, started lazily:

- a new lane starts on a worker and moves inline once ``PROVEN_FAST_CALLS``
  calls in a row took under ``SLOW_CALLBACK_S`` and nothing is queued (the
  worker then retires); so a callback that blocks from its first call never
  touches the reader;
- an inline call that takes longer than ``SLOW_CALLBACK_S`` sends the lane back
  to a worker, and each time it must prove itself over four times as many calls.

On the worker the lane is a bounded queue, in messages *and* bytes; the batch the
worker has taken still counts until each message is handled, so a slow callback
holds at most ``max_count`` messages or ``max_bytes`` bytes (one bigger message
is let in when the lane is empty). What does not fit is counted as dropped,
never lost silently. Callbacks of one lane never overlap and keep their order.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, Callable

from .messages import ReceivedMessage

OnMessage = Callable[[ReceivedMessage], Any]
# Redis' own default hard limit for a pub/sub client's output buffer: a slow
# subscriber may hold as much here as Redis would hold for it.
MAX_QUEUE_BYTES = 32 * 1024 * 1024
# On the 2-core CI machine a trivial callback takes a few microseconds inline and a
# hand-off to a worker 20-50 us (bench/README.md); 2 ms of a stalled reader is the
# time it takes to read ~200 messages.
SLOW_CALLBACK_S = 0.002
PROVEN_FAST_CALLS = 8


class Barrier:
    """A marker in the lane: everything before it has been handled."""

    __slots__ = ("event",)

    def __init__(self, event: threading.Event) -> None:
        self.event = event


class Changed(threading.Condition):
    """The condition a subscription's waiters wait on; notifying costs nothing while nobody waits.

    The reader notifies once or twice per message, almost always with no waiter.
    ``_waiters`` is CPython's own list of them (read under the lock).
    """

    def notify_all(self) -> None:
        if self._waiters:  # type: ignore[attr-defined]
            super().notify_all()


def describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


_RUNS_CALLBACKS = "pubsub_kit_runs_callbacks"


def runs_callbacks(thread: threading.Thread) -> threading.Thread:
    """Mark ``thread`` as one that calls ``on_message`` (a hub's reader or a lane's worker)."""
    setattr(thread, _RUNS_CALLBACKS, True)
    return thread


def on_callback_thread() -> bool:
    """True inside any hub's callback thread: it must never wait for another hub thread,
    which may be waiting for it (two callbacks closing each other's subscriptions)."""
    return getattr(threading.current_thread(), _RUNS_CALLBACKS, False)


NO_LANE = {"handled": 0, "queued": 0, "queued_bytes": 0, "queue_peak": 0, "dropped": 0, "callback_errors": 0,
           "last_callback_error": None}


class Lane:
    """Inline calls or a bounded queue plus worker; every ``*_locked`` method runs under the owner's lock."""

    def __init__(self, name: str, on_message: OnMessage, lock: threading.Lock, changed: threading.Condition,
                 max_count: int, max_bytes: int, on_stop: Callable[[], None]) -> None:
        self.name = name
        self.on_message = on_message
        self.max_count = max_count
        self.max_bytes = max_bytes
        self._lock = lock
        self._changed = changed
        self._work = threading.Condition(lock)
        self._on_stop = on_stop
        self._queue: deque[ReceivedMessage | Barrier] = deque()
        self._stopping = False
        self.inline = False       # on probation until proven fast
        self._fast_streak = 0
        self._probation = PROVEN_FAST_CALLS
        self.worker: threading.Thread | None = None
        self.workers_started = 0
        self._threads: list[threading.Thread] = []
        self.queued = 0           # messages waiting, in the worker's batch, or in an inline call
        self.queued_bytes = 0
        self.settled = 0          # handled or dropped: what ``wait_for`` counts
        self.zero_locked()

    def counters_locked(self) -> dict[str, Any]:
        return {"handled": self.handled, "queued": self.queued, "queued_bytes": self.queued_bytes,
                "queue_peak": self.queue_peak, "dropped": self.dropped, "callback_errors": self.callback_errors,
                "last_callback_error": self.last_callback_error}

    def zero_locked(self) -> None:
        self.restart_locked()
        self.callback_errors = 0
        self.last_callback_error: str | None = None

    def restart_locked(self) -> None:
        """A new counting period: what is still queued belongs to it (the owner's ``received`` says so too)."""
        self.handled = 0
        self.dropped = 0
        self.queue_peak = self.queued  # the most messages held at once in this period

    def offer_locked(self, message: ReceivedMessage) -> bool:
        """Queue ``message`` (or count it dropped); True means: call ``call_inline`` now, outside the lock."""
        if self.inline and not self.queued and not self._stopping:
            self.queued = 1
            self.queued_bytes = message.size
            if not self.queue_peak:
                self.queue_peak = 1
            return True
        full = self.queued >= self.max_count or (self.queued and self.queued_bytes + message.size > self.max_bytes)
        if full or self._stopping:
            self.dropped += 1
            self.settled += 1
            return False
        self.queued += 1
        self.queued_bytes += message.size
        if self.queued > self.queue_peak:
            self.queue_peak = self.queued
        self._queue.append(message)
        self._wake_worker_locked()
        return False

    def barrier_locked(self, event: threading.Event) -> None:
        """Set ``event`` once everything queued so far has been handled (markers are never dropped)."""
        if not self._queue and not self.queued:
            event.set()
            return
        self._queue.append(Barrier(event))
        self._wake_worker_locked()

    def _wake_worker_locked(self) -> None:
        if self.worker is None and not self._stopping:
            self.inline = False
            self.workers_started += 1
            self.worker = runs_callbacks(
                threading.Thread(target=self._run, name=f"pubsub_kit:{self.name}:callback", daemon=True))
            self._threads = [t for t in self._threads if t.is_alive()] + [self.worker]
            self.worker.start()
        else:
            self._work.notify()

    def stop_locked(self) -> None:
        self._stopping = True
        self._work.notify_all()

    def join(self, deadline: float) -> list[str]:
        """Join every worker this lane started; the names of those still running."""
        me = threading.current_thread()
        for thread in self._threads:
            if thread is not me:
                thread.join(max(0.0, deadline - time.monotonic()))
        return [t.name for t in self._threads if t.is_alive() and t is not me]

    # -- inline, on the reader thread --------------------------------------------------

    def call_inline(self, message: ReceivedMessage) -> None:
        started = time.perf_counter()
        error, stop_after = self._invoke(message)
        slow = time.perf_counter() - started > SLOW_CALLBACK_S
        with self._lock:
            if slow:  # back to a worker, with a longer probation next time
                self.inline = False
                self._fast_streak = 0
                self._probation *= 4
            self._settle_locked(message, error)
        if stop_after:
            self._on_stop()

    # -- on the worker -----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._stopping:
                    if self._fast_streak >= self._probation and not self.queued:
                        self.inline = True  # proven fast: the reader calls it from now on
                        self.worker = None
                        return
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
                    with self._lock:  # what arrived while this batch ran is abandoned with it
                        batch.extend(self._queue)
                        self._queue = deque()
                        self._abandon_locked(batch)
                    return
                else:
                    started = time.perf_counter()
                    error, stop_after = self._invoke(item)
                    fast = time.perf_counter() - started <= SLOW_CALLBACK_S
                    with self._lock:
                        self._fast_streak = self._fast_streak + 1 if fast else 0
                        self._settle_locked(item, error)
                    if stop_after:
                        self._on_stop()

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

    def _invoke(self, message: ReceivedMessage) -> tuple[str | None, bool]:
        try:
            self.on_message(message)
        except (KeyboardInterrupt, SystemExit) as err:
            return f"{describe(err)} (subscription stopped)", True
        except BaseException as err:
            return describe(err), False
        return None, False

    def _settle_locked(self, message: ReceivedMessage, error: str | None) -> None:
        self.handled += 1
        self.settled += 1
        self.queued -= 1
        self.queued_bytes -= message.size
        if error is not None:
            self.callback_errors += 1
            self.last_callback_error = error
        self._changed.notify_all()
