"""What the hub asks of Redis itself (``PUBSUB`` introspection) and the faults it can inject.

Mixed into ``RedisPubSubHub``: these are the guide's introspection calls plus
``kill_connection``/``take_offline``/``bring_online``, which make at-most-once
delivery visible in the lessons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from . import names

if TYPE_CHECKING:
    from .gate import Gate
    from .subscription import Subscription


class ServerControls:
    """Needs ``self.redis``, ``self.topology``, ``self._gate``, ``self._check_open()``, ``self._refuse_on_reader()``
    and ``self.get_subscription()`` from the hub. Every call that uses a connection passes the gate, so a
    ``shutdown()`` waits for it rather than closing the connection under it."""

    _gate: Gate

    def require_subscription(self, name: str) -> Subscription:
        """Like ``get_subscription``, but a missing name is a KeyError listing the existing ones."""
        sub = self.get_subscription(name)
        if sub is None:
            raise KeyError(f"no subscription named {name!r}; existing: {[s.name for s in self.subscriptions()]}")
        return sub

    def kill_connection(self, name: str) -> bool:
        """CLIENT KILL the subscription's connection, as a network blip would; it reconnects itself."""
        with self._gate:
            return self._kill(self.require_subscription(name))

    def _kill(self, sub: Subscription) -> bool:
        return self.topology.kill(sub.client_id, sub.address)

    def take_offline(self, name: str, timeout: float = 5.0) -> bool:
        """Disconnect a subscriber and keep it away until ``bring_online``.

        When this returns, Redis has already forgotten the client, so every
        PUBLISH from now on misses it: the messages are lost, not queued.
        """
        self._refuse_on_reader("take_offline()")
        with self._gate:
            sub = self.require_subscription(name)
            sub.mark_offline()
            self._kill(sub)
        return sub.wait_for_state("offline", timeout)

    def bring_online(self, name: str, timeout: float = 5.0) -> bool:
        """Reconnect and resubscribe a subscriber taken offline; returns once it is live."""
        self._check_open()
        self._refuse_on_reader("bring_online()")
        sub = self.require_subscription(name)
        sub.mark_online()
        return sub.wait_for_state("live", timeout)

    # -- what Redis itself reports --------------------------------------------------

    def active_channels(self, pattern: str = "*") -> list[str]:
        """PUBSUB CHANNELS: channels with at least one *exact* subscriber (patterns don't count)."""
        with self._gate:
            return sorted(_decode(c) for c in self.redis.pubsub_channels(pattern))

    def channel_subscriber_counts(self, channels: Iterable[str]) -> dict[str, int]:
        """PUBSUB NUMSUB: exact subscribers per channel (pattern subscribers are not included)."""
        wanted = names.as_list(channels, names.check_channel)
        if not wanted:
            self._check_open()
            return {}
        with self._gate:
            return {_decode(c): int(n) for c, n in self.redis.pubsub_numsub(*wanted)}

    def pattern_subscriber_count(self) -> int:
        """PUBSUB NUMPAT: unique patterns subscribed server-wide, not clients."""
        with self._gate:
            return int(self.redis.pubsub_numpat())


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else value
