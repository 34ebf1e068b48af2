"""pubsub_kit: make Redis pub/sub visible, with nothing lost silently.

    import pubsub_kit
    hub = pubsub_kit.connect()             # a private redis-server, or $REDIS_URL
    hub.subscribe("orders-listener", ["orders:new"])
    hub.publish("orders:new", {"id": 1})   # -> 1 (Redis delivered it to one client)
    hub.wait_until_delivered()
    hub.stats()                            # delivered vs received, gaps, drops, errors
    pubsub_kit.redis_cli(hub)              # what to type in a terminal to watch it with redis-cli
    hub.close()                            # the end: threads joined, private server stopped

One message, module by module: hub.publish() -> publisher.py (sequence number, PUBLISH) ->
Redis -> reader.py (the hub's one reader thread) -> wire.py (bytes to replies) ->
subscription.py -> ledger.py (counted) -> lane.py -> your on_message. Where connections
go (one server or a cluster) is topology.py; ClusterPubSubHub (sharded.py) builds on it.
"""

from .cluster import LocalCluster, RedisTooOld
from .connect import connect
from .discovery import RedisServerNotFound, find_redis_server
from .hub import HubClosedError, RedisPubSubHub, SubscriptionLimitError
from .local import LocalRedis, RedisServerFailed
from .redact import redact_url
from .messages import ReceivedMessage
from .names import glob_match
from .sharded import ClusterPubSubHub
from .subscription import Subscription
from .terminal import redis_cli
from .tracking import Missed

__all__ = [
    "connect",
    "RedisPubSubHub",
    "ClusterPubSubHub",
    "Subscription",
    "ReceivedMessage",
    "Missed",
    "SubscriptionLimitError",
    "HubClosedError",
    "LocalRedis",
    "LocalCluster",
    "RedisTooOld",
    "RedisServerNotFound",
    "RedisServerFailed",
    "find_redis_server",
    "glob_match",
    "redact_url",
    "redis_cli",
]
__version__ = "0.1.0"
