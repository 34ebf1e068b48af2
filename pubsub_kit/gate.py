"""What a hub lets in while it shuts down: calls in flight finish, new ones are told why not.

Every call that uses the hub's connections (a publish, a subscribe, a question to
Redis) passes the gate. ``shutdown()`` shuts it, waits until the calls already
inside have finished, lets go of every connection, then opens it again: a call
racing a shutdown either completes before ``shutdown()`` returns or raises
``HubClosedError``, never an error from a connection closed under its feet.
``close()`` shuts it for good.

The gate shares the publisher's lock, so a publish passes it inside the lock it
takes anyway: no extra lock per message.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

OPEN, SHUTTING, CLOSED = "open", "shutting", "closed"


class HubClosedError(RuntimeError):
    """The hub is shutting down (call again once ``shutdown()`` returned) or was closed for good."""


class Gate:
    """Counts calls in flight; ``*_locked`` methods run under the lock given at construction."""

    def __init__(self, lock: threading.Lock, hub_id: str) -> None:
        self.hub_id = hub_id
        self.state = OPEN
        self.inflight = 0
        self._lock = lock
        self._idle = threading.Condition(lock)

    def error(self) -> HubClosedError:
        if self.state == CLOSED:
            return HubClosedError(
                f"hub {self.hub_id} was closed (close() or the end of its with-block): its connections and threads "
                "are gone for good. Create a new hub, e.g. pubsub_kit.connect(), and use that one.")
        return HubClosedError(
            f"hub {self.hub_id}: shutdown() was running while this call started, so it did nothing. "
            "Call again once shutdown() returned: the hub reconnects by itself.")

    def check(self) -> None:
        """Raise unless open (a plain read: for calls that make no connection of their own)."""
        if self.state != OPEN:
            raise self.error()

    def enter_locked(self) -> None:
        if self.state != OPEN:
            raise self.error()
        self.inflight += 1

    def leave_locked(self) -> None:
        self.inflight -= 1
        if not self.inflight and self.state != OPEN:
            self._idle.notify_all()

    def __enter__(self) -> "Gate":
        with self._lock:
            self.enter_locked()
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        with self._lock:
            self.leave_locked()

    def shut(self, final: bool, deadline: float) -> bool:
        """Let no new call in, then wait until those inside have left; False if some were still inside at ``deadline``."""
        with self._lock:
            self.state = CLOSED if final or self.state == CLOSED else SHUTTING
            return self._idle.wait_for(lambda: not self.inflight, max(0.0, deadline - time.monotonic()))

    def reopen(self) -> None:
        with self._lock:
            if self.state == SHUTTING:
                self.state = OPEN
