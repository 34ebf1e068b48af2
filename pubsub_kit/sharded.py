"""Pub/sub on a Redis Cluster: PUBLISH is broadcast to every node, SPUBLISH stays on one shard.

``ClusterPubSubHub`` is the classic hub on a cluster plus sharded pub/sub
(Redis >= 7.0). A sharded subscription connects to the master that owns its
channel's slot and, after every connection loss, asks the cluster again who
owns it, so it follows a failover to the promoted replica by itself.
"""

from __future__ import annotations

import itertools
from typing import Any, Iterable

from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.connection import Connection
from redis.retry import Retry

from . import names
from .cluster import LocalCluster
from .clients import STATS_PROBE_TIMEOUT_S
from .hub import CONNECT_TIMEOUT_S, PUBLISH_SOCKET_TIMEOUT_S, RedisPubSubHub, subscriber_connection
from .subscription import OnMessage, Subscription


def cluster_client(url: str) -> RedisCluster:
    return RedisCluster.from_url(url, socket_timeout=PUBLISH_SOCKET_TIMEOUT_S, socket_connect_timeout=CONNECT_TIMEOUT_S)


class ClusterPubSubHub(RedisPubSubHub):
    """The hub on a Redis Cluster (``REDIS_URL``, ``url``, or a private ``LocalCluster``)."""

    def __init__(self, cluster_client: RedisCluster | None = None, buffer_size: int = 50, **options: Any) -> None:
        self._next_node = itertools.count()
        super().__init__(cluster_client, buffer_size, **options)

    def _resolve(self, client: Any, url: str | None, server: Any, owned: list[Any]) -> tuple[Any, Any, str]:
        if client is None:
            if url is None:
                if server is None:
                    server = LocalCluster()
                    owned.append(server)
                client, url = server.client(), server.url
            else:
                client = cluster_client(url)
            owned.insert(0, client)
        return client, server, url or "a Redis Cluster"

    # -- where things live -----------------------------------------------------------

    def slot_of(self, channel: str) -> int:
        """The hash slot of a channel name (only the part in ``{...}`` counts, if present)."""
        return int(self.redis.keyslot(names.check_channel(channel)))

    def node_of(self, channel: str) -> str:
        """``host:port`` of the master that owns the channel's slot."""
        node = self.redis.get_node_from_key(names.check_channel(channel))
        return f"{node.host}:{node.port}"

    def channel_map(self, channels: Iterable[str]) -> list[dict[str, Any]]:
        """channel -> slot -> owning node, for a table."""
        return [{"channel": c, "slot": self.slot_of(c), "node": self.node_of(c)} for c in channels]

    def _primaries(self) -> list[ClusterNode]:
        return sorted(self.redis.get_primaries(), key=lambda node: (node.host, node.port))

    # -- classic pub/sub, spread over the nodes ------------------------------------------

    def _subscriber_connection(self, name: str) -> Connection:
        """Classic subscriptions take the masters in turn, so lessons see every node used."""
        primaries = self._primaries()
        node = primaries[next(self._next_node) % len(primaries)]
        return subscriber_connection(node.redis_connection.connection_pool, name)

    def _probe_connection(self) -> Connection:
        """``stats()`` asks PUBSUB NUMPAT of the first master (each node counts its own patterns)."""
        return subscriber_connection(self._primaries()[0].redis_connection.connection_pool, "hub-stats",
                                     timeout=STATS_PROBE_TIMEOUT_S)

    def _kill(self, sub: Subscription) -> bool:
        if sub.client_id is None or sub.address is None:
            return False
        host, port = sub.address.rsplit(":", 1)
        node = self.redis.get_node(host=host, port=int(port))
        return node is not None and bool(node.redis_connection.client_kill_filter(_id=sub.client_id))

    # -- sharded pub/sub -------------------------------------------------------------------

    def spublish(self, channel: str, message: Any) -> int:
        """SPUBLISH: delivered only within the shard that owns the channel's slot."""
        return self._send("SPUBLISH", channel, [message])[0]

    def ssubscribe(self, name: str, channels: str | Iterable[str], on_message: OnMessage | None = None) -> Subscription:
        """SSUBSCRIBE on a connection to the channels' owning master.

        All channels of one subscription must share a slot (Redis' rule for one
        SSUBSCRIBE); hash tags such as ``{orders}:new`` and ``{orders}:paid`` do that.
        """
        channel_list = names.as_list(channels, names.check_channel)
        slots = {channel: self.slot_of(channel) for channel in channel_list}
        if len(set(slots.values())) > 1:
            raise ValueError(
                f"channels of one sharded subscription must share a hash slot, but these differ: {slots}. "
                "Give them a common hash tag, e.g. '{orders}:new' and '{orders}:paid', or subscribe separately."
            )
        attempts = itertools.count()

        def connect() -> Connection:
            return self._owner_connection(channel_list[0], name, refresh=next(attempts) > 0)

        return self._add_subscription(name, on_message, connect, shard_channels=channel_list)

    def _owner_connection(self, channel: str, name: str, refresh: bool) -> Connection:
        """A connection to the slot's master; after a loss, asked of the cluster afresh.

        The fresh lookup uses its own short-lived client, so a subscription's
        reader thread never touches the publisher's client while it is in use.
        """
        if not refresh:
            node = self.redis.get_node_from_key(channel)
            return subscriber_connection(node.redis_connection.connection_pool, name)
        known = [ClusterNode(n.host, n.port) for n in self.redis.get_nodes()]
        pool_kwargs = self.redis.get_default_node().redis_connection.connection_pool.connection_kwargs
        credentials = {key: pool_kwargs[key] for key in ("username", "password") if pool_kwargs.get(key)}
        lookup = RedisCluster(startup_nodes=known, socket_timeout=CONNECT_TIMEOUT_S, **credentials,
                              socket_connect_timeout=CONNECT_TIMEOUT_S, retry=Retry(NoBackoff(), 1))
        try:
            node = lookup.get_node_from_key(channel)
            return subscriber_connection(node.redis_connection.connection_pool, name)
        finally:
            lookup.close()

    def shard_channels(self, pattern: str = "*") -> list[str]:
        """PUBSUB SHARDCHANNELS gathered from every master (each only knows its own slots)."""
        found: set[str] = set()
        for node in self._primaries():
            for channel in node.redis_connection.execute_command("PUBSUB", "SHARDCHANNELS", pattern):
                found.add(channel.decode() if isinstance(channel, bytes) else channel)
        return sorted(found)

    def shard_subscriber_counts(self, channels: Iterable[str]) -> dict[str, int]:
        """PUBSUB SHARDNUMSUB, asked of each channel's owning master."""
        counts: dict[str, int] = {}
        for channel in names.as_list(channels, names.check_channel):
            node = self.redis.get_node_from_key(channel)
            reply = node.redis_connection.execute_command("PUBSUB", "SHARDNUMSUB", channel)
            counts[channel] = int(reply[1])
        return counts
