"""The hub's own Redis clients: the publisher's default client and the ``stats()`` probe."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import redis
from redis.backoff import NoBackoff
from redis.connection import Connection
from redis.retry import Retry

from .publisher import UNREACHABLE
from .wire import CONNECT_TIMEOUT_S

PUBLISH_SOCKET_TIMEOUT_S = 2.0
STATS_PROBE_TIMEOUT_S = 0.2
STATS_PROBE_RETRY_S = 2.0


def default_client(url: str) -> redis.Redis:
    """A publishing client whose every socket has a timeout, with one quick retry."""
    return redis.Redis.from_url(
        url,
        socket_timeout=PUBLISH_SOCKET_TIMEOUT_S,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        # One immediate retry heals a pooled connection left stale by a server
        # restart (publishes check that themselves, see publisher.py); timeouts
        # are not retried, so a frozen server fails in 2 s.
        retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
    )


def disconnect_idle(client: Any) -> None:
    """Close the idle pooled connections of a client (one server or every cluster node's); the client
    stays usable and reconnects when next used. Connections in use by other threads are left alone."""
    pools = [getattr(client, "connection_pool", None)]
    if pools[0] is None and hasattr(client, "get_nodes"):
        pools = [getattr(node.redis_connection, "connection_pool", None) for node in client.get_nodes()
                 if node.redis_connection is not None]
    for pool in pools:
        if pool is not None:
            pool.disconnect(inuse_connections=False)


class NumpatProbe:
    """PUBSUB NUMPAT for ``stats()`` on its own short-timeout connection.

    A frozen server costs ``stats()`` at most one short timeout, then ``None``
    (unknown) for a while; a busy probe is never waited for.
    """

    def __init__(self, connect: Callable[[], Connection]) -> None:
        self._connect = connect
        self._conn: Connection | None = None
        self._busy = threading.Lock()
        self._retry_at = 0.0
        self._last: int | None = None

    def value(self) -> int | None:
        if time.monotonic() < self._retry_at or not self._busy.acquire(blocking=False):
            return self._last
        try:
            if self._conn is None:
                self._conn = self._connect()
            self._conn.send_command("PUBSUB", "NUMPAT", check_health=False)
            self._last = int(self._conn.read_response())
        except (*UNREACHABLE, redis.ResponseError, ValueError):
            if self._conn is not None:
                self._conn.disconnect()
            self._last = None
            self._retry_at = time.monotonic() + STATS_PROBE_RETRY_S
        finally:
            self._busy.release()
        return self._last

    def close(self) -> None:
        with self._busy:
            if self._conn is not None:
                self._conn.disconnect()
