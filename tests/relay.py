"""A loopback TCP relay a test controls, to make network faults Redis itself cannot.

``freeze()`` stops forwarding on every connection it holds without closing
either side: a half-open link, as after a dead NAT entry or a pulled cable;
``thaw()`` lets it flow again, as a stalled network that recovers.
``hold_new`` makes new connections be accepted and then never answered.
``cut()`` closes the connections it holds, as a network reset would.
"""

from __future__ import annotations

import select
import socket
import threading


class _Pair:
    def __init__(self, client: socket.socket, upstream: socket.socket | None) -> None:
        self.client = client
        self.upstream = upstream
        self.frozen = False

    def close(self) -> None:
        for sock in (self.client, self.upstream):
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass


class Relay:
    """Forwards 127.0.0.1:<port> to a Redis on 127.0.0.1:<upstream_port>."""

    def __init__(self, upstream_port: int, password: str | None = None) -> None:
        self.upstream_port = upstream_port
        self.hold_new = threading.Event()
        self.held = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pairs: list[_Pair] = []
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self.url = f"redis://{f':{password}@' if password else ''}127.0.0.1:{self.port}"
        self._start(self._accept_loop)

    def _start(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            if self.hold_new.is_set():
                with self._lock:
                    self._pairs.append(_Pair(client, None))
                    self.held += 1
                continue
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=2)
            pair = _Pair(client, upstream)
            with self._lock:
                self._pairs.append(pair)
            self._start(self._pump, pair, client, upstream)
            self._start(self._pump, pair, upstream, client)

    def _pump(self, pair: _Pair, source: socket.socket, target: socket.socket) -> None:
        pause = threading.Event()
        while not self._stop.is_set():
            if pair.frozen:
                pause.wait(0.05)
                continue
            try:
                ready, _, _ = select.select([source], [], [], 0.05)
                if not ready or pair.frozen:
                    continue
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
            except (OSError, ValueError):
                break
        if not pair.frozen:
            pair.close()

    def freeze(self) -> None:
        """Stop forwarding on every connection held now; nothing is closed."""
        with self._lock:
            for pair in self._pairs:
                pair.frozen = True

    def thaw(self) -> None:
        """Forward again on every connection held now, delivering what waited in its buffers."""
        with self._lock:
            for pair in self._pairs:
                pair.frozen = False

    def cut(self) -> None:
        """Close every connection held now."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            pair.close()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self.cut()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=5)
