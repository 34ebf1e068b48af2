"""RedisPubSubHub: the redis.io guide's hub API, rebuilt so nothing dies or drops silently.

The publisher uses the client you give it (or one on the kit's private server);
every subscription gets its own client and connection, never one from the
publisher's pool. Locks guard only in-memory state: no network call is made
while one is held, so ``stats()`` answers at once even when Redis is frozen.
"""

from __future__ import annotations

import inspect
import os
import threading
import time
import uuid
import weakref
from typing import Any, Callable, Iterable

import redis
from redis.backoff import NoBackoff
from redis.connection import AbstractConnection, Connection
from redis.retry import Retry

from . import names
from .local import LocalRedis
from .redact import redact_url
from .messages import encode_data, wrap
from .subscription import JOIN_TIMEOUT_S, OnMessage, Subscription
from .tracking import CappedCounters

PUBLISH_SOCKET_TIMEOUT_S = 2.0
SUBSCRIBER_SOCKET_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 2.0
MAX_SEQUENCE_CHANNELS = 100_000
REDIS_URL_ENV = "REDIS_URL"
# Errors that mean "Redis did not take the message" (a cluster may also be mid-failover).
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError, redis.exceptions.ClusterError, OSError)

# redis-py >= 7 looks its own version up (slowly) for CLIENT SETINFO on every new
# client; subscriber connections skip that where the option exists.
_NO_SETINFO = {"driver_info": None} if "driver_info" in inspect.signature(AbstractConnection.__init__).parameters else {}


class SubscriptionLimitError(RuntimeError):
    """The hub already holds ``max_subscriptions``; each one costs a connection and threads."""


def default_client(url: str) -> redis.Redis:
    """A publishing client whose every socket has a timeout, with one quick retry."""
    return redis.Redis.from_url(
        url,
        socket_timeout=PUBLISH_SOCKET_TIMEOUT_S,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        # One immediate retry heals a pooled connection left stale by a server
        # restart; timeouts are not retried, so a frozen server fails in 2 s.
        retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
    )


def _client_name(name: str) -> str:
    safe = "".join(c if "!" <= c <= "~" else "_" for c in name)
    return f"pubsub_kit:{safe}"[:64]


def subscriber_connection(pool: redis.ConnectionPool, name: str) -> Connection:
    """A new connection to the server behind ``pool``, set up for one subscription.

    Same server and credentials; bytes in (the subscription decodes, so foreign
    bytes can't crash it), errors out (it reconnects and counts), RESP2, and no
    CLIENT SETINFO round trips.
    """
    kwargs = {k: v for k, v in pool.connection_kwargs.items()
              if not k.startswith(("maint_notifications", "oss_cluster_maint")) and k != "redis_connect_func"}
    kwargs.update(
        decode_responses=False,
        protocol=2,
        socket_timeout=SUBSCRIBER_SOCKET_TIMEOUT_S,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        health_check_interval=0,
        retry=Retry(NoBackoff(), 0, supported_errors=()),
        client_name=_client_name(name),
        **_NO_SETINFO,
    )
    return pool.connection_class(**kwargs)


def _shutdown(subscriptions: dict[str, Subscription], owned: list[Any]) -> None:
    subs = list(subscriptions.values())
    subscriptions.clear()
    for sub in subs:
        sub.begin_close()
    deadline = time.monotonic() + JOIN_TIMEOUT_S
    for sub in subs:
        sub.join(max(0.0, deadline - time.monotonic()))
    for resource in owned:
        resource.close()


class RedisPubSubHub:
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
        max_buffer_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        """Use ``redis_client`` if given, else ``url`` or $REDIS_URL, else a private server.

        Whatever the hub creates (client, private server) it also closes on ``shutdown()``.
        """
        if not isinstance(buffer_size, int) or buffer_size < 0:
            raise ValueError(f"buffer_size must be a whole number >= 0, got {buffer_size!r}")
        owned: list[Any] = []
        self.redis, self.server, self.url = self._resolve(redis_client, url or os.environ.get(REDIS_URL_ENV) or None,
                                                          server, owned)
        self.buffer_size = buffer_size
        self.max_subscriptions = max_subscriptions
        self.max_queue = max_queue
        self.max_buffer_bytes = max_buffer_bytes
        self.hub_id = uuid.uuid4().hex[:8]
        self._publisher_id = self.hub_id
        self._lock = threading.Lock()
        self._subs: dict[str, Subscription] = {}
        self._reserved: set[str] = set()
        self._seq: dict[str, int] = {}
        self._generation = 1
        self._channels = CappedCounters(("published", "delivered"))
        self._zero_counters()
        self._finalizer = weakref.finalize(self, _shutdown, self._subs, owned)

    def _resolve(self, client: Any, url: str | None, server: Any, owned: list[Any]) -> tuple[Any, Any, str]:
        """Pick the publishing client: the one given, else one on ``url``, else on a private server."""
        if client is None:
            if url is None:
                if server is None:
                    server = LocalRedis()
                    owned.append(server)
                url = server.url
            client = default_client(url)
            owned.insert(0, client)
        kwargs = client.connection_pool.connection_kwargs
        return client, server, url or f"redis://{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('db', 0)}"

    def _zero_counters(self) -> None:
        self._published = 0
        self._delivered = 0
        self._publish_errors = 0
        self._last_publish_error: str | None = None
        self._channels.clear()

    # -- publishing --------------------------------------------------------------

    def _next_seqs(self, channel: str, count: int) -> tuple[str, int]:
        with self._lock:
            if channel not in self._seq and len(self._seq) >= MAX_SEQUENCE_CHANNELS:
                # Start a new publisher id instead of reusing numbers, so no subscriber
                # mistakes a restarted count for duplicates.
                self._generation += 1
                self._publisher_id = f"{self.hub_id}.{self._generation}"
                self._seq.clear()
            first = self._seq.get(channel, 0) + 1
            self._seq[channel] = first + count - 1
            return self._publisher_id, first

    def _give_back(self, channel: str, publisher: str, first: int, count: int) -> None:
        """A publish that never reached Redis must not show up as a gap later."""
        with self._lock:
            if publisher == self._publisher_id and self._seq.get(channel) == first + count - 1:
                self._seq[channel] = first - 1

    def _publish_failed(self, channel: str, err: Exception) -> redis.ConnectionError:
        text = (
            f"could not publish to {channel!r}: Redis at {self.display_url} "
            f"did not answer ({type(err).__name__}: {err}). Is the server running? "
            "The message was not sent; publish again once Redis is back."
        )
        with self._lock:
            self._publish_errors += 1
            self._last_publish_error = text
        return redis.ConnectionError(text)

    def _record(self, channel: str, counts: list[int]) -> None:
        with self._lock:
            self._published += len(counts)
            self._delivered += sum(counts)
            self._channels.add(channel, "published", len(counts))
            self._channels.add(channel, "delivered", sum(counts))

    def publish(self, channel: str, message: Any) -> int:
        """JSON-encode ``message`` and PUBLISH it; returns how many clients Redis delivered to."""
        return self._send(self.redis.publish, channel, message)

    def _send(self, command: Callable[[str, str], Any], channel: str, message: Any) -> int:
        channel = names.check_channel(channel)
        data = encode_data(message)
        publisher, seq = self._next_seqs(channel, 1)
        body = wrap(data, publisher, seq, time.time() * 1000.0)
        try:
            delivered = int(command(channel, body))
        except UNREACHABLE as err:
            self._give_back(channel, publisher, seq, 1)
            raise self._publish_failed(channel, err) from err
        self._record(channel, [delivered])
        return delivered

    def publish_many(self, channel: str, messages: Iterable[Any]) -> list[int]:
        """Publish several messages in one round trip (a pipeline); one count per message."""
        channel = names.check_channel(channel)
        encoded = [encode_data(m) for m in messages]
        if not encoded:
            return []
        publisher, first = self._next_seqs(channel, len(encoded))
        now = time.time() * 1000.0
        pipe = self.redis.pipeline(transaction=False)
        for offset, data in enumerate(encoded):
            pipe.publish(channel, wrap(data, publisher, first + offset, now))
        try:
            counts = [int(n) for n in pipe.execute()]
        except UNREACHABLE as err:
            self._give_back(channel, publisher, first, len(encoded))
            raise self._publish_failed(channel, err) from err
        self._record(channel, counts)
        return counts

    # -- subscribing -------------------------------------------------------------

    def _subscriber_connection(self, name: str) -> Connection:
        """A connection of its own for one subscription, never one from the publisher's pool."""
        return subscriber_connection(self.redis.connection_pool, name)

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
            name, on_message, lambda: self._subscriber_connection(name), channels=channel_list, patterns=pattern_list
        )

    def _add_subscription(
        self, name: str, on_message: OnMessage | None, connect: Callable[[], Connection], **targets: list[str]
    ) -> Subscription:
        name = names.check_name(name)
        if not any(targets.values()):
            raise ValueError(f"subscription {name!r} has no channels or patterns: give at least one")
        if on_message is not None and not callable(on_message):
            raise TypeError(f"on_message must be callable (a function taking one message), got {on_message!r}")
        with self._lock:
            if name in self._subs or name in self._reserved:
                raise ValueError(f"a subscription named {name!r} already exists: unsubscribe({name!r}) first or pick another name")
            if len(self._subs) + len(self._reserved) >= self.max_subscriptions:
                raise SubscriptionLimitError(
                    f"this hub already holds {self.max_subscriptions} subscriptions (max_subscriptions): "
                    "unsubscribe some, or create the hub with a larger max_subscriptions "
                    "(each one holds a Redis connection and up to two threads)"
                )
            self._reserved.add(name)
        try:
            sub = Subscription(
                name, on_message=on_message, connect=connect, **targets,
                buffer_size=self.buffer_size,
                max_buffer_bytes=self.max_buffer_bytes,
                max_queue=self.max_queue,
            )
        finally:
            with self._lock:
                self._reserved.discard(name)
        with self._lock:
            self._subs[name] = sub
        return sub

    def psubscribe(self, name: str, patterns: str | Iterable[str], on_message: OnMessage | None = None) -> Subscription:
        """PSUBSCRIBE to glob patterns such as ``notifications:*`` on a new connection."""
        return self.subscribe(name, None, on_message, patterns=patterns)

    def unsubscribe(self, name: str) -> bool:
        """Close the named subscription and join its threads; False if there was none."""
        with self._lock:
            sub = self._subs.pop(name, None)
        if sub is None:
            return False
        sub.close()
        return True

    def subscriptions(self) -> list[Subscription]:
        with self._lock:
            return list(self._subs.values())

    def get_subscription(self, name: str) -> Subscription | None:
        with self._lock:
            return self._subs.get(name)

    # -- faults, to make at-most-once visible ---------------------------------------

    def require_subscription(self, name: str) -> Subscription:
        """Like ``get_subscription``, but a missing name is a KeyError listing the existing ones."""
        sub = self.get_subscription(name)
        if sub is None:
            raise KeyError(f"no subscription named {name!r}; existing: {[s.name for s in self.subscriptions()]}")
        return sub

    def kill_connection(self, name: str) -> bool:
        """CLIENT KILL the subscription's connection, as a network blip would; it reconnects itself."""
        return self._kill(self.require_subscription(name))

    def _kill(self, sub: Subscription) -> bool:
        return sub.client_id is not None and bool(self.redis.client_kill_filter(_id=sub.client_id))

    def take_offline(self, name: str, timeout: float = 5.0) -> bool:
        """Disconnect a subscriber and keep it away until ``bring_online``.

        When this returns, Redis has already forgotten the client, so every
        PUBLISH from now on misses it: the messages are lost, not queued.
        """
        sub = self.require_subscription(name)
        sub.mark_offline()
        self._kill(sub)
        return sub.wait_for_state("offline", timeout)

    def bring_online(self, name: str, timeout: float = 5.0) -> bool:
        """Reconnect and resubscribe a subscriber taken offline; returns once it is live."""
        sub = self.require_subscription(name)
        sub.mark_online()
        return sub.wait_for_state("live", timeout)

    # -- what Redis itself reports --------------------------------------------------

    def active_channels(self, pattern: str = "*") -> list[str]:
        """PUBSUB CHANNELS: channels with at least one *exact* subscriber (patterns don't count)."""
        return sorted(_decode(c) for c in self.redis.pubsub_channels(pattern))

    def channel_subscriber_counts(self, channels: Iterable[str]) -> dict[str, int]:
        """PUBSUB NUMSUB: exact subscribers per channel (pattern subscribers are not included)."""
        wanted = names.as_list(channels, names.check_channel)
        if not wanted:
            return {}
        return {_decode(c): int(n) for c, n in self.redis.pubsub_numsub(*wanted)}

    def pattern_subscriber_count(self) -> int:
        """PUBSUB NUMPAT: unique patterns subscribed server-wide, not clients."""
        return int(self.redis.pubsub_numpat())

    # -- waiting, stats, shutdown -------------------------------------------------------

    def wait_until_delivered(self, timeout: float = 5.0) -> bool:
        """Wait until every live subscription has handled all that was published before now.

        Uses a PING on each subscriber connection as a fence: Redis answers it
        after every message already queued for that client.
        """
        deadline = time.monotonic() + timeout
        events = [e for e in (sub.request_barrier() for sub in self.subscriptions()) if e is not None]
        return all(event.wait(max(0.0, deadline - time.monotonic())) for event in events)

    def stats(self) -> dict[str, Any]:
        """One snapshot of everything: every view (tables, widgets, web page) renders this."""
        subs = [sub.counters() for sub in self.subscriptions()]
        with self._lock:
            hub = {
                "hub_id": self.hub_id,
                "published_total": self._published,
                "delivered_total": self._delivered,
                "publish_errors": self._publish_errors,
                "last_publish_error": self._last_publish_error,
                "channels": self._channels.snapshot(),
            }

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
            subscriptions=subs,
        )
        return hub

    def reset_stats(self) -> None:
        """Zero the hub's and every subscription's counters (subscriptions stay)."""
        with self._lock:
            self._zero_counters()
        for sub in self.subscriptions():
            sub.reset_counters()

    def shutdown(self) -> None:
        """Close every subscription (threads joined), the publisher and any private server."""
        self._finalizer()

    def __enter__(self) -> "RedisPubSubHub":
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.hub_id} on {self.display_url}: {len(self._subs)} subscriptions>"

    @property
    def display_url(self) -> str:
        """The server's URL with any password hidden: the only form views and errors show."""
        return redact_url(self.url)


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else value
