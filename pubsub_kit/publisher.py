"""The publishing side: sequence numbers that reach Redis in the order they were taken,
and an honest account of every PUBLISH: delivered, certainly not sent, or unknown.

Order: a per-channel send lock is held from taking the sequence number until
Redis has answered, so two threads publishing to one channel can never overtake
each other on the wire (the subscriber would see a false gap and a false
duplicate). This is the one lock in the kit held across network I/O, on
purpose; it is striped per channel (other channels stay parallel), every socket
under it has a timeout, and a thread waits for it at most ``SEND_LOCK_WAIT_S``.

Honesty: a sequence number is given back only when the command certainly never
reached Redis: no connection could be made, or the command could not be built.
Input refused before that (a bad channel, a message JSON cannot carry) takes no
number at all. Both count as *not sent* (``publish_errors``). A timeout after
writing means Redis may still run the command, so the number stays used and the
failure is counted as *unknown*, not as *not sent*.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import redis

from .gate import Gate
from .messages import encode_data, wrap
from .names import check_channel
from .tracking import CappedCounters

MAX_SEQUENCE_CHANNELS = 100_000
SEND_LOCK_STRIPES = 64
SEND_LOCK_WAIT_S = 10.0
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError, redis.exceptions.ClusterError, OSError)


class _NotSent(Exception):
    """The command was never written, or Redis refused it unrun; ``args[0]`` says which step stopped it:
    ``connect`` (no connection), ``prepare`` (the command could not be built) or ``refused`` (Redis said no)."""


class _Unknown(Exception):
    """The command may have been written: Redis may or may not have run it."""


class Publisher:
    """Sequence numbers, ordered sends and publish accounting for one hub."""

    def __init__(self, client: Any, hub_id: str, display_url: str) -> None:
        self.client = client
        self.display_url = display_url
        self._hub_id = hub_id
        self.publisher_id = hub_id
        self._publisher_bytes = hub_id.encode()
        self._generation = 1
        self._lock = threading.Lock()  # in-memory state only, never held across I/O
        self.gate = Gate(self._lock, hub_id)  # a publish passes it inside _take and the final count
        self._send_locks = [threading.Lock() for _ in range(SEND_LOCK_STRIPES)]
        self._seq: dict[str, int] = {}
        self.channels = CappedCounters(("published", "delivered"))
        self.zero()

    def zero(self) -> None:
        with self._lock:
            self.published = 0
            self.delivered = 0
            self.errors = 0
            self.unknown = 0
            self.last_error: str | None = None
            self.channels.clear()

    def counters(self) -> dict[str, Any]:
        with self._lock:
            channels = self.channels.snapshot()
            return {
                "published_total": self.published,
                "delivered_total": self.delivered,
                "publish_errors": self.errors,
                "publish_unknown": self.unknown,
                "last_publish_error": self.last_error,
                "channels": channels,
                "channel_published": {name: row["published"] for name, row in channels.items()},
            }

    def send(self, command: str, channel: str, messages: Any) -> list[int]:
        """Encode ``messages``, number them and send them in one round trip, in order.

        Whatever fails before a byte is written raises with the caller's value
        named, takes no sequence number (or gives it back), and counts as not sent.
        """
        try:
            channel = check_channel(channel)
            encoded = [encode_data(message) for message in messages]
        except Exception as err:
            self._count(str(err), unknown=False)
            raise
        if not encoded:
            return []
        send_lock = self._send_locks[hash(channel) % SEND_LOCK_STRIPES]
        if not send_lock.acquire(timeout=SEND_LOCK_WAIT_S):
            raise self._failed(channel, redis.TimeoutError(
                f"another publish to this channel has waited on Redis for over {SEND_LOCK_WAIT_S:.0f} s"), sent=False)
        try:
            publisher, first = self._take(channel, len(encoded))  # passes the gate, or raises HubClosedError
            try:
                counts = self._numbered(command, channel, encoded, publisher, first)
            except BaseException:
                with self._lock:
                    self.gate.leave_locked()
                raise
        finally:
            send_lock.release()
        with self._lock:
            self.gate.leave_locked()
            self.published += len(counts)
            self.delivered += sum(counts)
            self.channels.add(channel, "published", len(counts))
            self.channels.add(channel, "delivered", sum(counts))
        return counts

    def _numbered(self, command: str, channel: str, encoded: list[bytes], publisher: bytes, first: int) -> list[int]:
        now = time.time() * 1000.0
        bodies = [wrap(data, publisher, first + i, now) for i, data in enumerate(encoded)]
        try:
            return self._transport(command, channel, bodies)
        except _NotSent as err:
            self._give_back(channel, publisher, first)
            raise self._not_sent(channel, err.args[0], err.__cause__) from err.__cause__
        except _Unknown as err:
            raise self._failed(channel, err.__cause__, sent=None) from err.__cause__

    def _take(self, channel: str, count: int) -> tuple[bytes, int]:
        with self._lock:
            self.gate.enter_locked()
            if channel not in self._seq and len(self._seq) >= MAX_SEQUENCE_CHANNELS:
                # Start a new publisher id instead of reusing numbers, so no subscriber
                # mistakes a restarted count for duplicates.
                self._generation += 1
                self.publisher_id = f"{self._hub_id}.{self._generation}"
                self._publisher_bytes = self.publisher_id.encode()
                self._seq.clear()
            first = self._seq.get(channel, 0) + 1
            self._seq[channel] = first + count - 1
            return self._publisher_bytes, first

    def _give_back(self, channel: str, publisher: bytes, first: int) -> None:
        """Only for a send that never left: the channel's send lock is still held, so nobody took more."""
        with self._lock:
            if publisher == self._publisher_bytes:
                self._seq[channel] = first - 1

    def _transport(self, command: str, channel: str, bodies: list[bytes]) -> list[int]:
        pool = getattr(self.client, "connection_pool", None)
        if pool is None:
            return self._through_client(command, channel, bodies)
        try:
            conn = pool.get_connection()
        except Exception as err:  # refused, or a setup command failed: nothing of ours was written
            raise _NotSent("connect") from err
        try:
            return self._on_connection(conn, command, channel, bodies)
        finally:
            pool.release(conn)

    @staticmethod
    def _on_connection(conn: Any, command: str, channel: str, bodies: list[bytes]) -> list[int]:
        """Send on one pooled connection, knowing exactly whether anything was written."""
        try:
            try:
                stale = conn.can_read(timeout=0)
            except (redis.ConnectionError, OSError):
                stale = True
            if stale:  # the server closed it (e.g. a restart): reconnect before writing anything
                conn.disconnect()
                conn.connect()
        except Exception as err:
            raise _NotSent("connect") from err
        try:
            packed = conn.pack_commands([(command, channel, body) for body in bodies])
        except Exception as err:
            raise _NotSent("prepare") from err
        try:
            conn.send_packed_command(packed, check_health=False)
            return [int(conn.read_response()) for _ in bodies]
        except redis.ResponseError as err:
            conn.disconnect()  # drop any replies still unread
            if len(bodies) == 1:
                raise _NotSent("refused") from err  # Redis refused the command: it did not run
            raise _Unknown() from err
        except Exception as err:
            conn.disconnect()
            raise _Unknown() from err

    def _through_client(self, command: str, channel: str, bodies: list[bytes]) -> list[int]:
        """A cluster client routes and retries by itself; only a refused connection counts as not sent."""
        method = command.lower()
        try:
            if len(bodies) == 1:
                return [int(getattr(self.client, method)(channel, bodies[0]))]
            pipe = self.client.pipeline(transaction=False)
            for body in bodies:
                getattr(pipe, method)(channel, body)
            return [int(n) for n in pipe.execute()]
        except redis.ResponseError as err:
            raise _NotSent("refused") from err
        except UNREACHABLE as err:
            never_reached = isinstance(err, redis.ConnectionError) and "connecting to" in str(err)
            raise (_NotSent("connect") if never_reached else _Unknown()) from err

    def _count(self, text: str, unknown: bool) -> None:
        with self._lock:
            if unknown:
                self.unknown += 1
            else:
                self.errors += 1
            self.last_error = text

    def _not_sent(self, channel: str, step: str, cause: BaseException | None) -> Exception:
        """The error for a command that never ran; counted as not sent."""
        if step == "refused" and not isinstance(cause, redis.exceptions.ClusterError):
            self._count(str(cause), unknown=False)  # Redis itself refused it (e.g. NOPERM): its words say why
            return cause
        if step != "prepare" or isinstance(cause, UNREACHABLE):
            return self._failed(channel, cause, sent=False)
        text = (f"could not publish to {channel!r}: the command could not be prepared ({type(cause).__name__}: "
                f"{cause}). The message was not sent and its sequence number was given back.")
        self._count(text, unknown=False)
        return ValueError(text)

    def _failed(self, channel: str, err: BaseException | None, sent: bool | None) -> redis.ConnectionError:
        why = f"{type(err).__name__}: {err}"
        if sent is False:
            text = (f"could not publish to {channel!r}: no usable connection to Redis at {self.display_url} ({why}). "
                    "The message was not sent: check that the server is running and accepts this client "
                    "(address, password, database), then publish again.")
        else:
            text = (f"publish to {channel!r} is unconfirmed: Redis at {self.display_url} did not answer in time "
                    f"({why}). The message may or may not have been delivered (Redis may still run it); its "
                    "sequence number stays used, so subscribers show it as received or as a gap. "
                    "Check whether the server is frozen, overloaded or unreachable before publishing again.")
        self._count(text, unknown=sent is None)
        return redis.ConnectionError(text)
