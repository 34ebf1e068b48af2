"""One subscriber connection on the wire: the only module that touches redis-py internals.

A ``Link`` wraps a bare redis-py RESP2 ``Connection``. It subscribes with a
blocking handshake and a deadline (on the caller's or the reconnect thread);
then the hub's reader takes it over: the socket turns non-blocking and the
reader feeds what it receives to the connection's own hiredis parser, many
sockets on one thread. Only the reader thread reads or writes a live link.
``route`` says what each reply means for its subscription.
"""

from __future__ import annotations

import inspect
import socket
import ssl
import time
from typing import Any, Callable

import redis
from redis.backoff import NoBackoff
from redis._parsers import _HiredisParser
from redis._parsers import hiredis as _hiredis_parser
from redis.connection import AbstractConnection, Connection
from redis.retry import Retry

from .endpoint import Endpoint

# A non-blocking socket with nothing to give now; on TLS (rediss://) a partial record says
# "want read/write" instead, which is no more a lost connection than BlockingIOError is.
_NOTHING_YET = (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError)

# Bounds the handshake redis-py does inside connect() (CLIENT SETNAME, AUTH), so
# subscribe() on a frozen server fails within seconds. Once the reader owns the
# socket it is non-blocking (a timeout of zero): the reader only reads what the
# selector says is there, and liveness is checked with PINGs.
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
    bytes can't crash it), errors out (it reconnects and counts), RESP2 parsed by
    hiredis, TCP keepalive, and no CLIENT SETINFO round trips.
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
        parser_class=_HiredisParser,  # the reader feeds this parser's hiredis.Reader itself
        **_NO_SETINFO,
    )
    if issubclass(pool.connection_class, Connection):
        kwargs.update(socket_keepalive=True, socket_keepalive_options=_KEEPALIVE)
    return pool.connection_class(**kwargs)


def address_of(conn: Any) -> str:
    """``host:port`` (or the unix socket path): never a URL, so never a password."""
    path = getattr(conn, "path", None)
    return str(path) if path else f"{getattr(conn, 'host', '?')}:{getattr(conn, 'port', '?')}"


RECV_BYTES = 256 * 1024
# What redis-py's hiredis reader returns for "no complete reply yet" (False before redis-py 5.1).
_NOT_ENOUGH = getattr(_hiredis_parser, "NOT_ENOUGH_DATA", False)


def route(sub: Endpoint, reply: Any) -> None:
    """What one RESP2 reply means for ``sub``: a message, a pmessage, an smessage, or a fence's pong."""
    kind = reply[0]
    if kind == b"message" or kind == b"smessage":
        sub.receive(kind.decode(), reply[1], None, reply[2])
    elif kind == b"pmessage":
        sub.receive("pmessage", reply[2], reply[1], reply[3])
    elif kind == b"pong":
        token = reply[1]
        if token.startswith(b"pubsub_kit-barrier-"):
            sub.pong(token.decode("ascii", "replace"))
    elif kind == b"sunsubscribe":
        # Redis drops shard subscriptions when their slot moves or the node
        # stops being its master: find the new owner and subscribe there.
        raise SubscriptionEnded("Redis ended a shard subscription (slot moved or failover)")


class SubscriptionEnded(ConnectionError):
    """Redis ended the subscription itself: reconnect (not a reader error)."""


class Link:
    """A subscriber connection: blocking handshake with a deadline, then non-blocking reads and writes."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.address = address_of(conn)
        self.client_id: int | None = None
        self._sock: socket.socket | None = None
        self._parser: Any = None
        self._eof = False

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

    # -- after the handshake: owned by the hub's reader thread ---------------------

    def take_over(self) -> socket.socket:
        """Hand the socket to a selector: non-blocking from now on; returns it for registering."""
        sock, parser = self.conn._sock, self.conn._parser
        if sock is None or getattr(parser, "_reader", None) is None:
            raise redis.ConnectionError(f"the connection to {self.address} closed during the handshake")
        sock.setblocking(False)
        self._sock, self._parser = sock, parser._reader
        return sock

    def replies(self, received: bool = True) -> list[Any]:
        """Every complete reply the socket holds now (after a selector said it is readable).

        With ``received=False`` only what the handshake already buffered. Raises
        ``redis.ConnectionError`` when the server closed the connection.
        """
        parser, out = self._parser, []
        if self._eof:
            raise redis.ConnectionError(f"Redis at {self.address} closed the connection")
        if received:
            sock = self._sock
            while True:
                try:
                    data = sock.recv(RECV_BYTES)
                except _NOTHING_YET:
                    break
                except OSError as err:
                    raise redis.ConnectionError(f"error reading from {self.address}: {err}") from err
                if not data:
                    self._eof = True  # the replies read so far go first; the close shows on the next call
                    break
                parser.feed(data)
                if len(data) < RECV_BYTES and not getattr(sock, "pending", lambda: 0)():
                    break
        reply = parser.gets()
        while reply is not _NOT_ENOUGH and reply is not False:
            out.append(reply)
            reply = parser.gets()
        if self._eof and not out:
            raise redis.ConnectionError(f"Redis at {self.address} closed the connection")
        return out

    @staticmethod
    def ping_command(token: str) -> bytes:
        return b"*2\r\n$4\r\nPING\r\n$%d\r\n%s\r\n" % (len(token.encode()), token.encode())

    def send(self, data: bytes) -> None:
        """Write a few bytes without blocking; a full send buffer means Redis stopped reading."""
        try:
            sent = self._sock.send(data)
        except _NOTHING_YET:
            sent = 0
        except OSError as err:
            raise redis.ConnectionError(f"could not write to {self.address}: {err}") from err
        if sent != len(data):
            raise redis.ConnectionError(f"Redis at {self.address} stopped reading (send buffer full)")

    def interrupt(self) -> None:
        """Make a handshake blocked in another thread return at once (only used mid-reconnect)."""
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
