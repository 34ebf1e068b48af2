"""A hub's subscriptions and connections, and its two ends: ``shutdown()`` and ``close()``.

``shutdown()`` is the redis.io guide's: it closes every subscription (threads
joined), lets publishes and subscribes already in flight finish (each bounded by
its socket timeouts), and disconnects the publisher's pooled connections and the
``stats()`` probe, so no socket is held afterwards. The hub stays usable: the
next subscribe or publish reconnects, and a private server the hub started keeps
running. A call racing it either completes before it returns or raises
``HubClosedError``.

``close()`` is the final one: ``shutdown()``, then the private server (or
cluster) and the client the hub made are closed, and every later call raises
``HubClosedError``. A with-block's end, the garbage collector and the
interpreter's exit call it (the finalizer holds this object, never the hub).
Afterwards the hub holds no socket and no thread.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from .clients import NumpatProbe, disconnect_idle
from .gate import CLOSED, OPEN
from .lane import on_callback_thread
from .publisher import SEND_LOCK_WAIT_S, Publisher
from .reader import Reader
from .subscription import JOIN_TIMEOUT_S, Subscription

# In-flight publishes and subscribes end within their socket timeouts (2-5 s for the hub's own
# client); one on a client with longer timeouts is waited for this long at most.
IN_FLIGHT_WAIT_S = SEND_LOCK_WAIT_S


class SubscriptionLimitError(RuntimeError):
    """The hub already holds ``max_subscriptions``; each one costs a connection and threads."""


class Parts:
    """Everything a hub holds that its ends let go of. ``lock`` guards the registry (in memory only)."""

    def __init__(self, reader_name: str, publisher: Publisher, numpat: NumpatProbe, owned: list[Any]) -> None:
        self.lock = threading.Lock()
        self.subs: dict[str, Subscription] = {}
        self.reserved: set[str] = set()       # names of subscribes still in their handshake
        self.retiring: list[Subscription] = []  # unsubscribed from a callback: joined later
        self.reader = Reader(reader_name)
        self.generation = 0                   # one more after every shutdown
        self.publisher = publisher
        self.gate = publisher.gate
        self.numpat = numpat
        self.owned = owned                    # the client and private server this hub made
        self._ending = False
        self._final_pending = False
        self._ended = threading.Condition(self.lock)

    def add(self, name: str, limit: int, build: Callable[[Reader], Subscription]) -> Subscription:
        """Reserve ``name``, ``build`` the subscription (its handshake runs outside the lock) and hold it.

        A shutdown that starts meanwhile waits for the handshake (the call is inside the gate);
        if it began before the subscription could be held, the subscription is closed again,
        left for that shutdown to join (waiting here could wait for a callback that is running
        the shutdown), and ``HubClosedError`` says so.
        """
        with self.gate:
            with self.lock:
                if name in self.subs or name in self.reserved:
                    raise ValueError(f"a subscription named {name!r} already exists: unsubscribe({name!r}) first "
                                     "or pick another name")
                if len(self.subs) + len(self.reserved) >= limit:
                    raise SubscriptionLimitError(
                        f"this hub already holds {limit} subscriptions (max_subscriptions): unsubscribe some, or "
                        "create the hub with a larger max_subscriptions (each one holds a Redis connection, and a "
                        "thread while its callback is slow)")
                self.reserved.add(name)
                reader, generation = self.reader, self.generation
            try:
                sub = build(reader)
            finally:
                with self.lock:
                    self.reserved.discard(name)
            with self.lock:
                current = self.generation == generation and self.gate.state == OPEN
                if current:
                    self.subs[name] = sub
                else:
                    self.retiring.append(sub)
            if not current:
                sub.begin_close()
                raise self.gate.error()
        return sub

    def end(self, final: bool) -> None:
        """``shutdown()`` (``final=False``) or ``close()`` (``final=True``); see the module's docstring."""
        with self.lock:
            if self.gate.state == CLOSED:
                return
            if self._ending and on_callback_thread():
                self._final_pending |= final  # the shutdown running may be waiting for this very thread
                return
            while self._ending:
                self._ended.wait()
            if self.gate.state == CLOSED:
                return
            self._ending = True
        try:
            self._end(final)
        finally:
            with self.lock:
                self._ending = False
                self._ended.notify_all()

    def _end(self, final: bool) -> None:
        self.gate.shut(final, time.monotonic() + IN_FLIGHT_WAIT_S)
        with self.lock:
            subs = [*self.subs.values(), *self.retiring]
            self.subs.clear()
            self.retiring = []
            reader = self.reader
            self.reader = Reader(reader.name)  # holds nothing until the next subscription
            self.generation += 1
        for sub in subs:
            sub.begin_close()
        deadline = time.monotonic() + JOIN_TIMEOUT_S
        for sub in subs:
            sub.join(max(0.0, deadline - time.monotonic()))
        reader.close(deadline)
        self.numpat.close()
        disconnect_idle(self.publisher.client)
        with self.lock:
            final = final or self._final_pending
        if final:
            self.gate.shut(True, time.monotonic())
            self.reader.close(time.monotonic())
            for resource in self.owned:
                resource.close()
        else:
            self.gate.reopen()

    def let_go(self, sub: Subscription) -> None:
        """Close a subscription taken out of the registry and join its threads (with any left over
        from earlier); on a callback thread, keep it for the next shutdown to join instead."""
        sub.begin_close()
        with self.lock:
            if on_callback_thread():
                self.retiring.append(sub)
                return
            subs, self.retiring = [sub, *self.retiring], []
        deadline = time.monotonic() + JOIN_TIMEOUT_S
        for each in subs:
            each.join(max(0.0, deadline - time.monotonic()))
