"""Limits on what one client can make the demo server hold: time, header bytes, connections.

The standard library's per-``recv`` timeout lets a client that trickles one
byte every few seconds keep a thread forever, and its header parser accepts
about 6.5 MB of headers. Here every request gets one absolute deadline, and the
request head (request line plus headers) a byte budget.
"""

from __future__ import annotations

import http.client
import io
import math
import socket
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any

DISCARD_CHUNK = 64 * 1024
LINGER_S = 1.0
MAX_LINGER_BYTES = 1024 * 1024
BUSY = (b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
        b'{"error": "the demo is serving too many connections: try again in a moment"}')


class _DeadlineSocket(io.RawIOBase):
    """Socket reads against one absolute deadline: each ``recv`` gets only the time left."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock
        self.deadline = math.inf

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request was not sent before its deadline")
        self._sock.settimeout(left)
        return self._sock.recv_into(buffer)


class RequestReader:
    """The handler's ``rfile``: buffered reads under the request's deadline and head budget."""

    def __init__(self, sock: socket.socket) -> None:
        self._raw = _DeadlineSocket(sock)
        self._buffered = io.BufferedReader(self._raw)
        self._head_left: int | None = None

    def start_request(self, timeout: float, max_head_bytes: int) -> None:
        """A new request: a fresh deadline, and a budget for its request line and headers."""
        self._raw.deadline = time.monotonic() + timeout
        self._head_left = max_head_bytes

    def end_head(self) -> None:
        """The headers are read; the body is capped by Content-Length instead."""
        self._head_left = None

    def readline(self, size: int = -1) -> bytes:
        if self._head_left is None:
            return self._buffered.readline(size)
        if self._head_left <= 0:
            raise http.client.LineTooLong("request head (request line and headers together)")
        size = self._head_left if size < 0 else min(size, self._head_left)
        line = self._buffered.readline(size)
        self._head_left -= len(line)
        return line

    def read(self, size: int = -1) -> bytes:
        return self._buffered.read(size)

    def discard(self, count: int) -> None:
        """Read and drop ``count`` bytes (within the deadline), so an early answer reaches the client."""
        while count > 0:
            chunk = self._buffered.read(min(count, DISCARD_CHUNK))
            if not chunk:
                return
            count -= len(chunk)

    def close(self) -> None:
        self._buffered.close()


class CappedThreadingServer(ThreadingHTTPServer):
    """One thread per connection up to ``max_connections``; past it, a 503 at once and the connection closed.

    Handler threads are not daemons: ``server_close()`` joins them, after
    ``wake_connections()`` has cut their reads short.
    """

    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], handler: Any, *, max_connections: int) -> None:
        self._slots = threading.BoundedSemaphore(max_connections)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            try:
                request.setblocking(False)
                request.sendall(BUSY)
                request.shutdown(socket.SHUT_WR)
                request.recv(DISCARD_CHUNK)  # what already arrived, so closing sends no reset over the 503
            except OSError:
                pass
            self.close_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                self._open.discard(request)
            self._slots.release()

    def shutdown_request(self, request: Any) -> None:
        """A lingering close: after the answer, drain what the client still sends (briefly).

        Closing a socket with unread input sends a reset, and a client still
        sending (a too-large body, too many headers) would lose the answer.
        """
        try:
            request.shutdown(socket.SHUT_WR)
            request.settimeout(LINGER_S)
            drained = 0
            while drained < MAX_LINGER_BYTES:
                chunk = request.recv(DISCARD_CHUNK)
                if not chunk:
                    break
                drained += len(chunk)
        except OSError:
            pass
        self.close_request(request)

    def wake_connections(self) -> None:
        """End every open connection's pending read, so its thread finishes now."""
        with self._open_lock:
            for sock in self._open:
                try:
                    sock.shutdown(socket.SHUT_RD)
                except OSError:
                    pass
