"""The redis.io guide's web demo, hardened: ``python -m pubsub_kit.demo``."""

from .server import DemoServer

__all__ = ["DemoServer"]
