"""The reader half of a ``Subscription``: connect, read, notice a loss, reconnect.

Nothing a publisher sends can stop this loop: whatever goes wrong while
handling a reply is counted and the subscription reconnects. A quiet connection
gets a PING; no answer within as long again means it is half-open, and it is
replaced. If the loop ever ended without being closed, ``state`` says ``failed``.
"""

from __future__ import annotations

import itertools
import random
import time
from typing import TYPE_CHECKING

import redis

from .lane import describe
from .wire import HANDSHAKE_TIMEOUT_S, Link

if TYPE_CHECKING:
    from .subscription import Subscription

READ_TICK_S = 2.0
IDLE_PING_S = 10.0
BACKOFF_FIRST_S = 0.05
BACKOFF_CAP_S = 2.0

tokens = itertools.count(1)
_IDLE = "pubsub_kit-idle-"


class ReaderLoop:
    """Mixed into ``Subscription``; uses its lock, ledger, link and state fields."""

    def _open(self: Subscription) -> None:
        """Connect and subscribe every target on a new link (interruptible by ``begin_close``)."""
        link = Link(self._connect())
        self._address = link.address
        with self._lock:
            if self._stop.is_set():
                raise redis.ConnectionError("subscription closed while reconnecting")
            self._opening = link
        try:
            link.open({"SUBSCRIBE": self.channels, "PSUBSCRIBE": self.patterns, "SSUBSCRIBE": self.shard_channels},
                      self._handle)
        except BaseException:
            link.close()
            raise
        finally:
            with self._lock:
                self._opening = None
        with self._lock:
            self._link = link
            self._idle_token = None
            self._last_heard = time.monotonic()

    def _first_open(self: Subscription) -> None:
        """``_open`` for ``subscribe()``: a failure names the server and what to check."""
        try:
            self._open()
        except redis.TimeoutError as err:
            raise redis.TimeoutError(
                f"subscribe({self.name!r}): Redis at {self._address} did not answer within "
                f"{HANDSHAKE_TIMEOUT_S:.0f} s ({err}). Is the server frozen (stopped, paused in a debugger), "
                "overloaded, or behind a broken network link? Check that `redis-cli -h HOST -p PORT ping` "
                "answers at once, then subscribe again."
            ) from err
        except (redis.ConnectionError, OSError) as err:
            raise redis.ConnectionError(
                f"subscribe({self.name!r}): could not connect to Redis at {self._address} ({err}). "
                "Is the server running, and is that host and port right? Check with "
                "`redis-cli -h HOST -p PORT ping`, then subscribe again."
            ) from err

    def _close_connection(self: Subscription) -> None:
        with self._lock:
            link, self._link = self._link, None
        if link is not None:
            link.close()

    def _read_loop(self: Subscription) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self._read_once()
                except Exception as err:
                    # Everything Redis sent before the connection ended has been read by now.
                    if self._stop.is_set():
                        break
                    if self._online.is_set():
                        self._lost(err)
                    else:
                        self._close_connection()
                    self._reconnect()
        except BaseException as err:
            # Not expected (the loop catches every Exception); still, never die silently.
            with self._lock:
                self._ledger.reader_error(f"reader stopped: {describe(err)}")
                self._release_barriers_locked()
                self._changed.notify_all()
        finally:
            self._close_connection()

    def _read_once(self: Subscription) -> None:
        link = self._link
        if link is None:
            raise redis.ConnectionError("no connection")
        if not link.can_read(self._tick):
            self._check_idle(link)
            return
        response = link.read()
        self._last_heard = time.monotonic()
        self._idle_token = None
        if isinstance(response, list) and response and response[0] == b"sunsubscribe":
            # Redis drops shard subscriptions when their slot moves or the node
            # stops being its master: find the new owner and subscribe there.
            raise redis.ConnectionError("Redis ended a shard subscription (slot moved or failover)")
        try:
            self._handle(response)
        except Exception as err:
            with self._lock:
                self._ledger.reader_error(f"could not handle a reply ({describe(err)}); reconnecting")
            raise

    def _check_idle(self: Subscription, link: Link) -> None:
        """PING a quiet connection; no answer within another interval means it is half-open."""
        quiet = time.monotonic() - self._last_heard
        if self._idle_token is not None and quiet >= 2 * self._idle_ping_s:
            with self._lock:
                self._ledger.ping_timeouts += 1
            raise redis.ConnectionError(
                f"no reply to a PING for {quiet:.1f} s: the connection is half-open (network or server gone)")
        if self._idle_token is None and quiet >= self._idle_ping_s:
            self._idle_token = f"{_IDLE}{next(tokens)}"
            if not link.send_ping(self._idle_token):
                raise redis.ConnectionError("could not write an idle PING: the connection is gone")

    def _lost(self: Subscription, err: BaseException) -> None:
        with self._lock:
            self._ledger.lost(describe(err))
            self._state = "reconnecting"
            self._release_barriers_locked()
            self._changed.notify_all()
        self._close_connection()

    def _reconnect(self: Subscription) -> None:
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
                    self._ledger.failed_attempt(describe(err))
                self._stop.wait(delay * random.uniform(1.0, 1.2))
                delay = min(delay * 2, BACKOFF_CAP_S)
                continue
            with self._lock:
                if not self._stop.is_set():
                    self._ledger.reconnects += 1
                    self._state = "live"
                self._changed.notify_all()
            return
