"""Opening a subscription's connection: first on the caller's thread, after a loss on a thread of its own.

The handshake is plain blocking redis-py code with a deadline (wire.py). It never
runs on the hub's reader, so a server that accepts a connection and then says
nothing stalls only the subscription that is reconnecting to it. ``stop()``
interrupts a handshake in progress, so closing never waits for one.
"""

from __future__ import annotations

import random
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

import redis
from redis.connection import Connection

from .fences import Fences
from .lane import Changed, describe
from .ledger import Ledger
from .wire import HANDSHAKE_TIMEOUT_S, Link

if TYPE_CHECKING:
    from .reader import Reader

BACKOFF_FIRST_S = 0.05
BACKOFF_CAP_S = 2.0


class Backoff:
    """Capped exponential delays with a little jitter: 50 ms, 100 ms, ... 2 s."""

    def __init__(self) -> None:
        self.delay = BACKOFF_FIRST_S

    def next(self) -> float:
        delay, self.delay = self.delay, min(self.delay * 2, BACKOFF_CAP_S)
        return delay * random.uniform(1.0, 1.2)


class Connector:
    """Makes and subscribes a subscription's connections; runs its reconnects on their own thread."""

    def __init__(self, name: str, connect: Callable[[], Connection], targets: dict[str, tuple[str, ...]],
                 on_early: Callable[[Any], None]) -> None:
        self.name = name
        self.targets = targets
        self.address = "?"
        self._connect = connect
        self._on_early = on_early
        self._lock = threading.Lock()
        self._opening: Link | None = None
        self._stopped = False
        self._threads: list[threading.Thread] = []

    def open(self) -> Link:
        """Connect and subscribe every target on a new link (interruptible by ``stop``)."""
        link = Link(self._connect())
        self.address = link.address
        with self._lock:
            if self._stopped:
                raise redis.ConnectionError("subscription closed while reconnecting")
            self._opening = link
        try:
            link.open(self.targets, self._on_early)
        except BaseException:
            link.close()
            raise
        finally:
            with self._lock:
                self._opening = None
        return link

    def first_open(self) -> Link:
        """``open`` for ``subscribe()``: a failure names the server and what to check."""
        try:
            return self.open()
        except redis.TimeoutError as err:
            raise redis.TimeoutError(
                f"subscribe({self.name!r}): Redis at {self.address} did not answer within "
                f"{HANDSHAKE_TIMEOUT_S:.0f} s ({err}). Is the server frozen (stopped, paused in a debugger), "
                "overloaded, or behind a broken network link? Check that `redis-cli -h HOST -p PORT ping` "
                "answers at once, then subscribe again."
            ) from err
        except (redis.ConnectionError, OSError) as err:
            raise redis.ConnectionError(
                f"subscribe({self.name!r}): could not connect to Redis at {self.address} ({err}). "
                "Is the server running, and is that host and port right? Check with "
                "`redis-cli -h HOST -p PORT ping`, then subscribe again."
            ) from err

    def reconnect(self, stop: threading.Event, online: threading.Event, went_offline: Callable[[], None],
                  failed: Callable[[BaseException], None], reconnected: Callable[[Link], None]) -> None:
        """Reconnect with capped backoff until ``stop``, on a thread of its own, off the hub's reader.

        While ``online`` is clear (taken offline on purpose) it waits instead.
        """
        def loop() -> None:
            backoff = Backoff()
            while not stop.is_set():
                if not online.is_set():
                    went_offline()
                    online.wait()
                    continue
                try:
                    link = self.open()
                except Exception as err:
                    failed(err)
                    stop.wait(backoff.next())
                    continue
                reconnected(link)
                return

        thread = threading.Thread(target=loop, name=f"pubsub_kit:{self.name}:reconnect", daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            link = self._opening
        if link is not None:
            link.interrupt()

    def join(self, deadline: float) -> list[str]:
        me = threading.current_thread()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            if thread is not me:
                thread.join(max(0.0, deadline - time.monotonic()))
        return [t.name for t in threads if t.is_alive() and t is not me]


class ConnectionStates:
    """Mixed into ``Subscription``: its connection's life, driven by the reader and the reconnect thread.

    ``live`` once a subscribed link is handed to the reader; ``reconnecting`` after
    a loss (counted), or ``offline`` when taken down on purpose (not counted);
    ``failed`` only if the reader itself died. Uses the subscription's lock,
    ledger, fences, connector and reader, declared here so this module never
    needs the class it is mixed into.
    """

    _lock: threading.Lock
    _changed: Changed
    _stop: threading.Event
    _online: threading.Event
    _state: str
    _failed: bool
    _link: Link | None
    _ledger: Ledger
    _fences: Fences
    _connector: Connector
    _reader: Reader

    def _attach(self, link: Link) -> bool:
        """Hand a subscribed link to the hub's reader; the subscription is live from here."""
        with self._lock:
            if self._stop.is_set():
                link.close()
                return False
            self._link = link
            self._state = "live"
            self._changed.notify_all()
            return self._reader.add(self, link)  # posted under the lock: a close posts its removal after it

    def lost(self, err: BaseException) -> None:
        """The reader dropped this subscription's link: count it (unless taken offline) and reconnect."""
        with self._lock:
            self._link = None
            if self._stop.is_set():
                return
            if self._online.is_set():
                self._ledger.lost(describe(err))
                self._state = "reconnecting"
            self._fences.release_all_locked()
            self._changed.notify_all()
        self._connector.reconnect(self._stop, self._online, self._went_offline, self._failed_attempt, self._reconnected)

    def _went_offline(self) -> None:
        with self._lock:
            if self._stop.is_set():
                return  # closing: "closed" stays the state
            self._state = "offline"
            self._fences.release_all_locked()
            self._changed.notify_all()

    def _failed_attempt(self, err: BaseException) -> None:
        with self._lock:
            self._ledger.failed_attempt(describe(err))

    def _reconnected(self, link: Link) -> None:
        with self._lock:
            if not self._stop.is_set():
                self._ledger.reconnects += 1
        self._attach(link)

    def ping_timed_out(self) -> None:
        with self._lock:
            self._ledger.ping_timeouts += 1

    def reply_failed(self, error: str) -> None:
        with self._lock:
            self._ledger.reader_error(error)

    def reader_died(self, error: str) -> None:
        with self._lock:
            self._failed = True
            self._link = None
            self._ledger.reader_error(error)
            self._fences.release_all_locked()
            self._changed.notify_all()
