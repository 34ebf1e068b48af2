"""Pub/sub on a Redis Cluster: PUBLISH is broadcast to every node, SPUBLISH stays on one shard.

``ClusterPubSubHub`` is the classic hub on a cluster plus sharded pub/sub
(Redis >= 7.0). A sharded subscription connects to the master that owns its
channel's slot and, after every connection loss, asks the cluster again who
owns it, so it follows a failover to the promoted replica by itself.
"""

from __future__ import annotations

import itertools
from typing import Any, Iterable

from redis.cluster import RedisCluster
from redis.connection import Connection

from . import names
from .hub import RedisPubSubHub
from .subscription import OnMessage, Subscription
from .topology import Cluster


class ClusterPubSubHub(RedisPubSubHub):
    """The hub on a Redis Cluster (``REDIS_URL``, ``url``, or a private ``LocalCluster``).

    It is ``RedisPubSubHub(topology=Cluster())`` plus sharded pub/sub and a few
    questions about where channels live.
    """

    topology: Cluster

    def __init__(self, cluster_client: RedisCluster | None = None, buffer_size: int = 50, **options: Any) -> None:
        super().__init__(cluster_client, buffer_size, topology=Cluster(), **options)

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
            return self.topology.owner_connection(channel_list[0], name, refresh=next(attempts) > 0)

        return self._add_subscription(name, on_message, connect, shard_channels=channel_list)

    def shard_channels(self, pattern: str = "*") -> list[str]:
        """PUBSUB SHARDCHANNELS gathered from every master (each only knows its own slots)."""
        found: set[str] = set()
        for node in self.topology.primaries():
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
