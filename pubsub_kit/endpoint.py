"""What the reader and the reconnector need of a subscription, and nothing more.

``Subscription`` satisfies this ``Protocol``; reader.py, reconnect.py and wire.py
name only it, so the hub's core imports one way: subscription -> reader/reconnect
-> wire, and none of them knows the class above it.
"""

from __future__ import annotations

from typing import Protocol


class Endpoint(Protocol):
    """One subscription as the hub's reader sees it: where replies go, and how losses are told."""

    idle_ping_s: float

    @property
    def closing(self) -> bool: ...

    def receive(self, kind: str, raw_channel: bytes, raw_pattern: bytes | None, raw: bytes) -> None: ...

    def pong(self, token: str) -> None: ...

    def barrier_failed(self, token: str) -> None: ...

    def lost(self, err: BaseException) -> None: ...

    def ping_timed_out(self) -> None: ...

    def reply_failed(self, error: str) -> None: ...

    def reader_died(self, error: str) -> None: ...
