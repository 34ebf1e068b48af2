"""A subscription's books: what arrived, what was missed or doubled, and every connection loss.

Not thread-safe by itself: the subscription calls it under its own lock, except
``build``, which only turns raw bytes into a ``ReceivedMessage``.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from .messages import ReceivedMessage, unwrap
from .tracking import CappedCounters, SequenceTracker


def _text(value: bytes | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.decode("utf-8", "backslashreplace")


class Ledger:
    """Counters, the gap/duplicate tracker and the byte-capped recent-message buffer."""

    def __init__(self, buffer_size: int, max_buffer_bytes: int) -> None:
        self.tracker = SequenceTracker()
        self.by_channel = CappedCounters(("received", "foreign"))
        self._buffer: deque[ReceivedMessage] = deque(maxlen=buffer_size)
        self._buffer_bytes = 0
        self._max_buffer_bytes = max_buffer_bytes
        self.arrived = 0
        self.zero()

    def zero(self) -> None:
        """Zero the counters; the tracker keeps its positions, so no false gap follows."""
        self.decode_errors = 0
        self.last_decode_error: str | None = None
        self.foreign = 0
        self.reconnects = 0
        self.reconnect_attempts = 0
        self.disconnects = 0
        self.reader_errors = 0
        self.ping_timeouts = 0
        self.last_error: str | None = None
        self.tracker.reset_counts()
        self.by_channel.clear()

    @staticmethod
    def build(kind: str, raw_channel: bytes, raw_pattern: bytes | None, raw: bytes) -> ReceivedMessage:
        unwrapped = unwrap(raw)
        return ReceivedMessage(
            channel=_text(raw_channel) or "",
            pattern=_text(raw_pattern),
            payload=unwrapped.payload,
            received_at_ms=time.time_ns() // 1_000_000,
            kind=kind,
            publisher=unwrapped.publisher,
            seq=unwrapped.seq,
            sent_at_ms=unwrapped.sent_at_ms,
            decode_error=unwrapped.decode_error,
            size=len(raw),
        )

    def account_locked(self, received: ReceivedMessage) -> None:
        self.arrived += 1
        channel = received.channel
        self.by_channel.add(channel, "received")
        if received.decode_error:
            self.decode_errors += 1
            self.last_decode_error = received.decode_error
        if received.publisher is None:
            self.foreign += 1
            self.by_channel.add(channel, "foreign")
        else:
            self.tracker.observe(received.publisher, channel, received.seq)
        self._remember(received)

    def _remember(self, received: ReceivedMessage) -> None:
        buffer = self._buffer
        if buffer.maxlen == 0:
            return
        if len(buffer) == buffer.maxlen:
            self._buffer_bytes -= buffer[0].size
        buffer.append(received)
        self._buffer_bytes += received.size
        while self._buffer_bytes > self._max_buffer_bytes and len(buffer) > 1:
            self._buffer_bytes -= buffer.popleft().size

    def recent(self, limit: int | None) -> list[ReceivedMessage]:
        newest_first = list(reversed(self._buffer))
        return newest_first if limit is None else newest_first[:limit]

    def forget_messages(self) -> None:
        self._buffer.clear()
        self._buffer_bytes = 0

    def lost(self, error: str) -> None:
        self.disconnects += 1
        self.last_error = error

    def failed_attempt(self, error: str) -> None:
        self.reconnect_attempts += 1
        self.last_error = error

    def reader_error(self, error: str) -> None:
        self.reader_errors += 1
        self.last_error = error

    def counters(self) -> dict[str, Any]:
        tracker = self.tracker
        return {
            "decode_errors": self.decode_errors,
            "last_decode_error": self.last_decode_error,
            "foreign": self.foreign,
            "gaps": tracker.gaps,
            "duplicates": tracker.duplicates,
            "missed_ids": [i for run in list(tracker.missed)[-10:] for i in run.ids()][-20:],
            "reconnects": self.reconnects,
            "reconnect_attempts": self.reconnect_attempts,
            "disconnects": self.disconnects,
            "reader_errors": self.reader_errors,
            "ping_timeouts": self.ping_timeouts,
            "last_error": self.last_error,
            "by_channel": self.by_channel.snapshot(),
        }
