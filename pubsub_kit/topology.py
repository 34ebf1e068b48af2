"""Where a hub's connections go: one server (``Standalone``) or a Redis Cluster (``Cluster``).

The hub asks its topology for the publishing client, for a new subscriber
connection, for the short-timeout ``stats()`` probe, and to ``CLIENT KILL`` one
subscriber. That is the public seam ``ClusterPubSubHub`` is built on:
``RedisPubSubHub(topology=Cluster())`` is a hub on a cluster.
"""

from __future__ import annotations

import itertools
from typing import Any

from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.connection import Connection
from redis.retry import Retry

from .cluster import LocalCluster
from .clients import PUBLISH_SOCKET_TIMEOUT_S, STATS_PROBE_TIMEOUT_S, default_client
from .local import LocalRedis
from .wire import CONNECT_TIMEOUT_S, subscriber_connection


class Standalone:
    """One server: subscribers connect where the publisher's pool does, each on its own connection."""

    client: Any = None

    def resolve(self, client: Any, url: str | None, server: Any, owned: list[Any]) -> tuple[Any, Any, str]:
        """Pick the publishing client: the one given, else one on ``url``, else on a private server."""
        if client is None:
            if url is None:
                if server is None:
                    server = LocalRedis()
                    owned.append(server)
                url = server.url
            client = default_client(url)
            owned.insert(0, client)
        self.client = client
        kwargs = client.connection_pool.connection_kwargs
        return client, server, url or f"redis://{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('db', 0)}"

    def subscriber_connection(self, name: str) -> Connection:
        """A connection of its own for one subscription, never one from the publisher's pool."""
        return subscriber_connection(self.client.connection_pool, name)

    def probe_connection(self) -> Connection:
        """The short-timeout connection ``stats()`` asks PUBSUB NUMPAT on."""
        return subscriber_connection(self.client.connection_pool, "hub-stats", timeout=STATS_PROBE_TIMEOUT_S)

    def kill(self, client_id: int | None, address: str | None) -> bool:
        """CLIENT KILL one subscriber connection by its id."""
        return client_id is not None and bool(self.client.client_kill_filter(_id=client_id))


def cluster_client(url: str) -> RedisCluster:
    return RedisCluster.from_url(url, socket_timeout=PUBLISH_SOCKET_TIMEOUT_S, socket_connect_timeout=CONNECT_TIMEOUT_S)


class Cluster(Standalone):
    """A Redis Cluster: classic subscriptions take the masters in turn, sharded ones the slot's owner."""

    def __init__(self) -> None:
        self._next_node = itertools.count()

    def resolve(self, client: Any, url: str | None, server: Any, owned: list[Any]) -> tuple[Any, Any, str]:
        if client is None:
            if url is None:
                if server is None:
                    server = LocalCluster()
                    owned.append(server)
                client, url = server.client(), server.url
            else:
                client = cluster_client(url)
            owned.insert(0, client)
        self.client = client
        return client, server, url or "a Redis Cluster"

    def primaries(self) -> list[ClusterNode]:
        return sorted(self.client.get_primaries(), key=lambda node: (node.host, node.port))

    def subscriber_connection(self, name: str) -> Connection:
        """Classic subscriptions take the masters in turn, so lessons see every node used."""
        primaries = self.primaries()
        node = primaries[next(self._next_node) % len(primaries)]
        return subscriber_connection(node.redis_connection.connection_pool, name)

    def probe_connection(self) -> Connection:
        """``stats()`` asks PUBSUB NUMPAT of the first master (each node counts its own patterns)."""
        return subscriber_connection(self.primaries()[0].redis_connection.connection_pool, "hub-stats",
                                     timeout=STATS_PROBE_TIMEOUT_S)

    def kill(self, client_id: int | None, address: str | None) -> bool:
        if client_id is None or address is None:
            return False
        host, port = address.rsplit(":", 1)
        node = self.client.get_node(host=host, port=int(port))
        return node is not None and bool(node.redis_connection.client_kill_filter(_id=client_id))

    def owner_connection(self, channel: str, name: str, refresh: bool) -> Connection:
        """A connection to the master owning the channel's slot; after a loss, asked of the cluster afresh.

        The fresh lookup uses its own short-lived client, so a reconnect never
        touches the publisher's client while it is in use.
        """
        if not refresh:
            node = self.client.get_node_from_key(channel)
            return subscriber_connection(node.redis_connection.connection_pool, name)
        known = [ClusterNode(n.host, n.port) for n in self.client.get_nodes()]
        pool_kwargs = self.client.get_default_node().redis_connection.connection_pool.connection_kwargs
        credentials = {key: pool_kwargs[key] for key in ("username", "password") if pool_kwargs.get(key)}
        lookup = RedisCluster(startup_nodes=known, socket_timeout=CONNECT_TIMEOUT_S, **credentials,
                              socket_connect_timeout=CONNECT_TIMEOUT_S, retry=Retry(NoBackoff(), 1))
        try:
            node = lookup.get_node_from_key(channel)
            return subscriber_connection(node.redis_connection.connection_pool, name)
        finally:
            lookup.close()

