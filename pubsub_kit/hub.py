"""RedisPubSubHub: the redis.io guide's hub API, rebuilt so nothing dies or drops silently.

Follow one message: ``publish()`` here -> publisher.py (sequence number, PUBLISH)
-> Redis -> reader.py (the hub's one reader thread) -> wire.py (bytes to replies)
-> subscription.py -> ledger.py (counted) -> lane.py -> your ``on_message``.

The publisher uses the client you give it (or one on the kit's private server);
every subscription gets its own connection, never one from the publisher's
pool, and one reader thread reads them all. Where connections go (one server
or a cluster) is the topology's business (topology.py). Locks guard only
in-memory state: no network call is made while one is held (the per-channel
send-order lock in publisher.py is the one deliberate exception), so
``stats()`` answers at once even when Redis is frozen.

Two ends (lifecycle.py): ``shutdown()``, the guide's, closes every subscription
and connection but leaves the hub usable; ``close()`` is final (a with-block's
end, the garbage collector and the interpreter's exit call it).
"""

from __future__ import annotations

import os
import time
import uuid
import weakref
from typing import Any, Callable, Iterable

import redis
from redis.connection import Connection

from . import names
from .clients import PUBLISH_SOCKET_TIMEOUT_S, NumpatProbe, default_client
from .controls import ServerControls
from .gate import Gate, HubClosedError
from .lane import MAX_QUEUE_BYTES
from .lifecycle import Parts, SubscriptionLimitError
from .local import LocalRedis
from .publisher import UNREACHABLE, Publisher
from .subscription import IDLE_PING_S, OnMessage, Subscription
from .redact import redact_url
from .topology import Standalone
from .wire import CONNECT_TIMEOUT_S, subscriber_connection

__all__ = ["RedisPubSubHub", "SubscriptionLimitError", "HubClosedError", "default_client", "subscriber_connection",
           "CONNECT_TIMEOUT_S", "PUBLISH_SOCKET_TIMEOUT_S", "UNREACHABLE"]

REDIS_URL_ENV = "REDIS_URL"


class RedisPubSubHub(ServerControls):
    """Publish JSON messages, hold named subscriptions, and account for every message."""

    def __init__(
        self,
        redis_client: redis.Redis | None = None,
        buffer_size: int = 50,
        *,
        url: str | None = None,
        server: LocalRedis | None = None,
        max_subscriptions: int = 200,
        max_queue: int = 10_000,
        max_queue_bytes: int = MAX_QUEUE_BYTES,
        max_buffer_bytes: int = 8 * 1024 * 1024,
        idle_ping_s: float = IDLE_PING_S,
        topology: Standalone | None = None,
    ) -> None:
        """Use ``redis_client`` if given, else ``url`` or $REDIS_URL, else a private server.

        Whatever the hub creates (client, private server) it closes on ``close()``, not on ``shutdown()``.
        ``idle_ping_s``: a subscription quiet this long sends a PING, and reconnects
        when nothing answers within as long again (a half-open connection).
        ``topology``: where connections go, ``Standalone()`` (the default) or ``Cluster()``.
        """
        if not isinstance(buffer_size, int) or buffer_size < 0:
            raise ValueError(f"buffer_size must be a whole number >= 0, got {buffer_size!r}")
        if not idle_ping_s > 0:
            raise ValueError(f"idle_ping_s must be more than 0 seconds, got {idle_ping_s!r}")
        owned: list[Any] = []
        self.topology = topology if topology is not None else Standalone()
        self.redis, self.server, self.url = self.topology.resolve(
            redis_client, url or os.environ.get(REDIS_URL_ENV) or None, server, owned)
        self.buffer_size = buffer_size
        self.max_subscriptions = max_subscriptions
        self.max_queue = max_queue
        self.max_queue_bytes = max_queue_bytes
        self.max_buffer_bytes = max_buffer_bytes
        self.idle_ping_s = idle_ping_s
        self.hub_id = uuid.uuid4().hex[:8]
        self._publisher = Publisher(self.redis, self.hub_id, self.display_url)
        self._parts = Parts(f"hub-{self.hub_id}", self._publisher, NumpatProbe(self.topology.probe_connection), owned)
        self._finalizer = weakref.finalize(self, self._parts.end, True)

    @property
    def _gate(self) -> Gate:
        """What calls that use a connection pass: ``with self._gate:`` (see gate.py)."""
        return self._parts.gate

    def _check_open(self) -> None:
        self._parts.gate.check()

    # -- publishing --------------------------------------------------------------

    def publish(self, channel: str, message: Any) -> int:
        """JSON-encode ``message`` and PUBLISH it; returns Redis' count of deliveries.

        One per matching subscription on the node published to: a client subscribed both
        exactly and by pattern counts twice, and on a cluster other nodes' subscribers are
        not counted.

        What JSON has no type for (datetime, Decimal, UUID) is sent as its ``str()``, as
        in the guide; NaN, infinities and text that is not Unicode are refused with a
        ``ValueError`` naming the value, and nothing is sent. Raises ``redis.ConnectionError``
        when Redis did not answer; its text says whether the message was certainly not
        sent or may still have been delivered.
        """
        return self._send("PUBLISH", channel, [message])[0]

    def publish_many(self, channel: str, messages: Iterable[Any]) -> list[int]:
        """Publish several messages in one round trip (a pipeline); one count per message."""
        return self._send("PUBLISH", channel, messages)

    def _send(self, command: str, channel: str, messages: Iterable[Any]) -> list[int]:
        self._check_open()
        return self._publisher.send(command, channel, messages)

    # -- subscribing -------------------------------------------------------------

    def subscribe(
        self,
        name: str,
        channels: str | Iterable[str] | None,
        on_message: OnMessage | None = None,
        *,
        patterns: str | Iterable[str] | None = None,
    ) -> Subscription:
        """SUBSCRIBE (and optionally PSUBSCRIBE) on a new connection named ``name``.

        Returns once Redis has confirmed every target, so a PUBLISH right after
        counts this subscriber.
        """
        channel_list = names.as_list(channels, names.check_channel)
        pattern_list = names.as_list(patterns, names.check_pattern)
        return self._add_subscription(
            name, on_message, lambda: self.topology.subscriber_connection(name), channels=channel_list, patterns=pattern_list
        )

    def _add_subscription(
        self, name: str, on_message: OnMessage | None, connect: Callable[[], Connection], **targets: list[str]
    ) -> Subscription:
        self._check_open()
        name = names.check_name(name)
        if not any(targets.values()):
            raise ValueError(f"subscription {name!r} has no channels or patterns: give at least one")
        if on_message is not None and not callable(on_message):
            raise TypeError(f"on_message must be callable (a function taking one message), got {on_message!r}")
        return self._parts.add(name, self.max_subscriptions, lambda reader: Subscription(
            name, on_message=on_message, connect=connect, reader=reader, **targets,
            buffer_size=self.buffer_size,
            max_buffer_bytes=self.max_buffer_bytes,
            max_queue=self.max_queue,
            max_queue_bytes=self.max_queue_bytes,
            idle_ping_s=self.idle_ping_s,
        ))

    def psubscribe(self, name: str, patterns: str | Iterable[str], on_message: OnMessage | None = None) -> Subscription:
        """PSUBSCRIBE to glob patterns such as ``notifications:*`` on a new connection."""
        return self.subscribe(name, None, on_message, patterns=patterns)

    def unsubscribe(self, name: str) -> bool:
        """Close the named subscription and join its threads; False if there was none.

        No ``on_message`` call starts after it returns. From inside a callback it does not
        wait for threads (they may be waiting for this one); ``shutdown()`` joins them.
        """
        with self._parts.lock:
            sub = self._parts.subs.pop(name, None)
        if sub is None:
            return False
        self._parts.let_go(sub)
        return True

    def subscriptions(self) -> list[Subscription]:
        with self._parts.lock:
            return list(self._parts.subs.values())

    def get_subscription(self, name: str) -> Subscription | None:
        with self._parts.lock:
            return self._parts.subs.get(name)

    # -- waiting, stats, shutdown -------------------------------------------------------

    def wait_until_delivered(self, timeout: float = 5.0) -> bool:
        """Wait until every live subscription has handled all that was published before now.

        Uses a PING on each subscriber connection as a fence: Redis answers it
        after every message already queued for that client.
        """
        self._refuse_on_reader("wait_until_delivered()")
        deadline = time.monotonic() + timeout
        events = [e for e in (sub.request_barrier() for sub in self.subscriptions()) if e is not None]
        return all(event.wait(max(0.0, deadline - time.monotonic())) for event in events)

    def _refuse_on_reader(self, call: str) -> None:
        """A call that waits for the reader cannot be made from a callback the reader is running."""
        if self._parts.reader.is_reader_thread():
            raise RuntimeError(
                f"{call} was called from inside an on_message callback, which runs on the hub's reader: what it "
                "waits for can only happen once the callback returns. Call it from your own code (a notebook "
                "cell, another thread) instead.")

    def stats(self) -> dict[str, Any]:
        """One snapshot of everything: every view (tables, widgets, web page) renders this.

        All of it is in memory except ``pattern_subscriptions`` (the server's
        PUBSUB NUMPAT, as the guide reports it), which is asked with a short
        timeout and is ``None`` while Redis does not answer. Plain strict JSON.
        """
        subs = [sub.counters() for sub in self.subscriptions()]
        hub = {"hub_id": self.hub_id, **self._publisher.counters()}
        hub["pattern_subscriptions"] = self._pattern_subscriptions()

        def total(key: str) -> int:
            return sum(s[key] for s in subs)

        hub.update(
            active_subscriptions=len(subs),
            received_total=total("received"),
            dropped_total=total("dropped"),
            gaps_total=total("gaps"),
            duplicates_total=total("duplicates"),
            callback_errors_total=total("callback_errors"),
            decode_errors_total=total("decode_errors"),
            reconnects_total=total("reconnects"),
            disconnects_total=total("disconnects"),
            reader_errors_total=total("reader_errors"),
            ping_timeouts_total=total("ping_timeouts"),
            subscriptions=subs,
        )
        return hub

    def reset_stats(self) -> None:
        """Start a new counting period for the hub and every subscription (subscriptions stay).

        The books still balance (``received == handled + dropped + queued``): messages still
        queued for a slow ``on_message`` belong to the new period, so ``received`` restarts at
        their number and ``handled``/``dropped`` at zero; ``queue_peak`` restarts at ``queued``.
        """
        self._publisher.zero()
        for sub in self.subscriptions():
            sub.reset_counters()

    def _pattern_subscriptions(self) -> int | None:
        try:
            with self._parts.gate:  # a shutdown never races the probe's connection
                return self._parts.numpat.value()
        except HubClosedError:
            return None

    def shutdown(self) -> None:
        """The guide's shutdown: close every subscription and connection; the hub stays usable.

        Subscriptions are closed (threads joined), publishes and subscribes already in
        flight finish first (each within its socket timeouts), and the publisher's idle
        pooled connections and the ``stats()`` probe are disconnected, so no socket is held
        afterwards. A later subscribe or publish reconnects; a private server the hub started
        keeps running (``close()`` stops it). A call racing it completes before it returns or
        raises ``HubClosedError``.
        """
        self._parts.end(final=False)

    def close(self) -> None:
        """The final close: ``shutdown()``, then stop the private server (or cluster) and close the
        client this hub started; every later call raises ``HubClosedError``. A with-block's end,
        the garbage collector and the interpreter's exit call it; so should a lesson's last cell."""
        self._finalizer()

    def __enter__(self) -> "RedisPubSubHub":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.hub_id} on {self.display_url}: {len(self._parts.subs)} subscriptions>"

    @property
    def display_url(self) -> str:
        """The server's URL with any password hidden: the only form views and errors show."""
        return redact_url(self.url)

