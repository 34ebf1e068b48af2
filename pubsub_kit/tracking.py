"""Bounded bookkeeping: per-channel counters and the gap/duplicate detector.

Both keep memory flat however many channels a workshop invents: past a cap,
counters fold into one ``(other)`` row and the oldest sequence trackers are forgotten.
These classes are not thread-safe; their owners call them under their own lock.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass

OTHER = "(other)"


class CappedCounters:
    """``{key: {field: count}}`` with at most ``cap`` keys; the rest add up under ``(other)``."""

    def __init__(self, fields: tuple[str, ...], cap: int = 1000) -> None:
        self.fields = fields
        self.cap = cap
        self._rows: dict[str, dict[str, int]] = {}

    def add(self, key: str, field: str, amount: int = 1) -> None:
        row = self._rows.get(key)
        if row is None:
            if len(self._rows) >= self.cap:
                key = OTHER
                row = self._rows.get(OTHER)
            if row is None:
                row = self._rows[key] = dict.fromkeys(self.fields, 0)
        row[field] += amount

    def snapshot(self) -> dict[str, dict[str, int]]:
        return {key: dict(row) for key, row in self._rows.items()}

    def clear(self) -> None:
        self._rows.clear()


@dataclass(frozen=True)
class Missed:
    """A run of messages a subscription never got: ``first_seq..last_seq`` on ``channel``."""

    publisher: str
    channel: str
    first_seq: int
    last_seq: int

    @property
    def count(self) -> int:
        return self.last_seq - self.first_seq + 1

    def ids(self) -> list[str]:
        """Readable ids such as ``orders:new#7`` (a long run is shown by its ends)."""
        if self.count <= 20:
            return [f"{self.channel}#{n}" for n in range(self.first_seq, self.last_seq + 1)]
        return [f"{self.channel}#{self.first_seq}..{self.last_seq}"]


class SequenceTracker:
    """Finds gaps and duplicates from (publisher, channel, seq) as messages arrive.

    Redis delivers a connection's messages in publish order, so on one
    subscription a sequence number that jumps means lost messages and one that
    does not advance means the same message came again (exact + pattern match).
    """

    def __init__(self, max_streams: int = 10_000, max_missed_runs: int = 1000) -> None:
        self.max_streams = max_streams
        self._last: OrderedDict[tuple[str, str], int] = OrderedDict()
        self.missed: deque[Missed] = deque(maxlen=max_missed_runs)
        self.gaps = 0
        self.duplicates = 0

    def observe(self, publisher: str, channel: str, seq: int) -> str:
        """Record one arrival; return ``"new"``, ``"gap"`` or ``"duplicate"``."""
        key = (publisher, channel)
        last = self._last.get(key)
        if last is not None and seq <= last:
            self.duplicates += 1
            return "duplicate"
        self._last[key] = seq
        self._last.move_to_end(key)
        if len(self._last) > self.max_streams:
            self._last.popitem(last=False)
        if last is not None and seq > last + 1:
            run = Missed(publisher, channel, last + 1, seq - 1)
            self.gaps += run.count
            self.missed.append(run)
            return "gap"
        return "new"

    def reset_counts(self) -> None:
        """Zero the counters but keep the last positions, so no false gap follows."""
        self.gaps = 0
        self.duplicates = 0
        self.missed.clear()
