"""One subscriber connection on the wire: the only module that touches redis-py internals.

A ``Link`` wraps a bare redis-py RESP2 ``Connection``: it subscribes with a
deadline, writes PINGs from any thread under one write lock, and can be
interrupted from another thread (redis-py has no public way to wake a read
blocked in another thread).
"""

from __future__ import annotations

import inspect
import socket
import threading
import time
from typing import Any, Callable

import redis
from redis.backoff import NoBackoff
from redis.connection import AbstractConnection, Connection
from redis.retry import Retry

# Also bounds the handshake redis-py does inside connect() (CLIENT SETNAME, AUTH),
# so subscribe() on a frozen server fails within seconds. The reader never waits
# on it while idle: it polls with its own tick and checks liveness with PINGs.
SUBSCRIBER_SOCKET_TIMEOUT_S = 3.0
CONNECT_TIMEOUT_S = 2.0
HANDSHAKE_TIMEOUT_S = 3.0
CONFIRM_KINDS = (b"subscribe", b"psubscribe", b"ssubscribe")

# redis-py >= 7 looks its own version up (slowly) for CLIENT SETINFO on every new
# client; subscriber connections skip that where the option exists.
_NO_SETINFO = {"driver_info": None} if "driver_info" in inspect.signature(AbstractConnection.__init__).parameters else {}
# TCP keepalive lets the kernel notice a dead peer too (the idle PING is the main check).
_KEEPALIVE = {
    getattr(socket, name): value
    for name, value in (("TCP_KEEPIDLE", 15), ("TCP_KEEPINTVL", 5), ("TCP_KEEPCNT", 3))
    if hasattr(socket, name)
}


def _client_name(name: str) -> str:
    safe = "".join(c if "!" <= c <= "~" else "_" for c in name)
    return f"pubsub_kit:{safe}"[:64]


def subscriber_connection(pool: redis.ConnectionPool, name: str,
                          timeout: float = SUBSCRIBER_SOCKET_TIMEOUT_S) -> Connection:
    """A new connection to the server behind ``pool``, set up for one subscription.

    Same server and credentials; bytes in (the subscription decodes, so foreign
    bytes can't crash it), errors out (it reconnects and counts), RESP2, TCP
    keepalive, and no CLIENT SETINFO round trips.
    """
    kwargs = {k: v for k, v in pool.connection_kwargs.items()
              if not k.startswith(("maint_notifications", "oss_cluster_maint")) and k != "redis_connect_func"}
    kwargs.update(
        decode_responses=False,
        protocol=2,
        socket_timeout=timeout,
        socket_connect_timeout=min(timeout, CONNECT_TIMEOUT_S),
        health_check_interval=0,
        retry=Retry(NoBackoff(), 0, supported_errors=()),
        client_name=_client_name(name),
        **_NO_SETINFO,
    )
    if issubclass(pool.connection_class, Connection):
        kwargs.update(socket_keepalive=True, socket_keepalive_options=_KEEPALIVE)
    return pool.connection_class(**kwargs)


def address_of(conn: Any) -> str:
    """``host:port`` (or the unix socket path): never a URL, so never a password."""
    path = getattr(conn, "path", None)
    return str(path) if path else f"{getattr(conn, 'host', '?')}:{getattr(conn, 'port', '?')}"


class Link:
    """A subscriber connection: handshake with a deadline, locked PING writes, interrupt."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.address = address_of(conn)
        self.client_id: int | None = None
        self._write_lock = threading.Lock()

    def open(self, targets: dict[str, tuple[str, ...]], on_early: Callable[[Any], None],
             timeout: float = HANDSHAKE_TIMEOUT_S) -> None:
        """Connect, SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE and wait until Redis confirms each target.

        ``CLIENT ID`` goes in the same round trip, so the hub can ``CLIENT KILL``
        exactly this connection later. Messages that arrive before the last
        confirmation go to ``on_early``.
        """
        conn = self.conn
        deadline = time.monotonic() + timeout
        conn.connect()
        conn.send_command("CLIENT", "ID", check_health=False)
        for command, names in targets.items():
            if names:
                conn.send_command(command, *names, check_health=False)
        self.client_id = int(self._read_before(deadline))
        pending = sum(len(names) for names in targets.values())
        while pending:
            response = self._read_before(deadline)
            if response[0] in CONFIRM_KINDS:
                pending -= 1
            else:
                on_early(response)

    def _read_before(self, deadline: float) -> Any:
        left = deadline - time.monotonic()
        if left <= 0 or not self.conn.can_read(timeout=left):
            raise redis.TimeoutError(f"Redis at {self.address} did not confirm the subscription in time")
        return self.conn.read_response()

    def can_read(self, timeout: float) -> bool:
        return self.conn.can_read(timeout=timeout)

    def read(self) -> Any:
        return self.conn.read_response()

    def send_ping(self, token: str) -> bool:
        """Write ``PING token``; False when the socket is gone. Safe from any thread.

        The write lock is the one lock held across socket I/O here: it only
        orders a few bytes against the other PING writers of this socket, and
        the socket's timeout bounds it.
        """
        sock = getattr(self.conn, "_sock", None)
        if sock is None:
            return False
        packed = b"".join(self.conn.pack_command("PING", token))
        try:
            with self._write_lock:
                # Straight to the socket: redis-py would reconnect from here if it were closed.
                sock.sendall(packed)
        except OSError:
            return False
        return True

    def interrupt(self) -> None:
        """Make a read blocked in another thread return at once."""
        sock = getattr(self.conn, "_sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        try:
            self.conn.disconnect()
        except Exception:
            pass
