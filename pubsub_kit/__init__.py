"""pubsub_kit: make Redis pub/sub visible, with nothing lost silently."""

from .local import LocalRedis, RedisServerFailed, RedisServerNotFound, find_redis_server

__all__ = ["LocalRedis", "RedisServerNotFound", "RedisServerFailed", "find_redis_server"]
__version__ = "0.1.0"
