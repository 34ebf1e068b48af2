"""The hub's reader: one thread reads every subscription's socket (a ``selectors`` loop).

Each subscription keeps its own connection (the lessons count them, name them
and kill them), but they are all read here: one PUBLISH to ten subscribers wakes
one thread, not ten. Other threads never touch a live socket; they post a
request (add, remove, PING) and wake the loop through a socketpair. Idle costs
nothing: the loop blocks until a socket has data or a liveness PING is due, and
a reader with nothing to read has no thread and no socket at all.

Liveness (liveness.py): a connection quiet for ``idle_ping_s`` gets a PING; no answer
within as long again means it is half-open, and it is replaced. Any failure on one socket
(closed, unreadable reply, full send buffer) is that subscription's loss: it is
counted and its reconnect runs on another thread. The thread ends by itself when
no socket is left and starts again on the next one; if it ever died of a bug,
every subscription it read says ``failed`` and counts it.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
from collections import deque
from typing import Any

from .endpoint import Endpoint
from .lane import describe, on_callback_thread, runs_callbacks
from .liveness import Entry, check_idle
from .wire import Link, SubscriptionEnded, route

class Reader:
    """One selector thread for all of a hub's subscriber connections."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()          # the inbox and the thread handle only
        self._inbox: deque[tuple[str, Any, Any]] = deque()
        self._woken = False
        self._closed = False
        self.thread: threading.Thread | None = None
        self._retired: list[threading.Thread] = []
        self.threads_started = 0
        self._wake_r: socket.socket | None = None   # these three exist only while a thread runs
        self._wake_w: socket.socket | None = None
        self._selector: selectors.BaseSelector | None = None
        self._entries: dict[Endpoint, Entry] = {}
        self._next_check = float("inf")

    # -- requests from other threads ---------------------------------------------------

    def add(self, sub: Endpoint, link: Link) -> bool:
        """Start reading ``link`` for ``sub``; False (and the link closed) once the reader is closed."""
        if not self._post("add", sub, link):
            link.close()
            return False
        return True

    def ping(self, sub: Endpoint, token: str) -> bool:
        return self._post("ping", sub, token)

    def remove(self, sub: Endpoint) -> threading.Event:
        """Stop reading ``sub`` and close its link; the event is set once that is done."""
        done = threading.Event()
        if not self._post("remove", sub, done):
            done.set()
        return done

    def is_reader_thread(self) -> bool:
        return threading.current_thread() is self.thread

    def _post(self, what: str, sub: Any, arg: Any) -> bool:
        with self._lock:
            if self._closed:
                return False
            self._inbox.append((what, sub, arg))
            if self.thread is None:
                self._open_locked()
                self.threads_started += 1
                self.thread = runs_callbacks(
                    threading.Thread(target=self._run, name=f"pubsub_kit:{self.name}:reader", daemon=True))
                self.thread.start()
            elif not self._woken:
                self._woken = True
                try:
                    self._wake_w.send(b"\0")
                except OSError:
                    pass  # a wake-up byte is already waiting: the loop will look at the inbox
        return True

    def join_retired(self, deadline: float) -> None:
        with self._lock:
            retired, self._retired = self._retired, []
        for thread in retired:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))

    def close(self, deadline: float) -> None:
        """Close every link still read, end the thread and join it."""
        with self._lock:
            self._closed = True
            self._inbox.append(("close", None, None))
            thread = self.thread
            if thread is not None and not self._woken and self._wake_w is not None:
                self._woken = True
                try:
                    self._wake_w.send(b"\0")
                except OSError:
                    pass
        if thread is not None and not on_callback_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
            self.join_retired(deadline)
        if thread is None or not thread.is_alive():
            self._release()

    def _release(self) -> None:
        """Close what is left once no thread runs (or from the loop's last step, when closed from a callback)."""
        with self._lock:
            for entry in list(self._entries.values()):
                entry.link.close()
            self._entries.clear()
            self._free_locked()

    def _open_locked(self) -> None:
        """The wake-up socketpair and the selector, for a thread about to start."""
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._woken = False

    def _free_locked(self) -> None:
        if self._selector is not None:
            self._selector.close()
            self._wake_r.close()
            self._wake_w.close()
            self._selector = self._wake_r = self._wake_w = None

    # -- the loop ----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while self._take_requests():
                timeout = max(0.0, self._next_check - time.monotonic()) if self._next_check != float("inf") else None
                events = self._selector.select(timeout)
                now = time.monotonic()
                for key, _ in events:
                    if key.data is None:  # the wake-up socket: drain it, or select() reports it forever
                        self._drain_wake()
                    else:
                        self._read(key.data, now)
                if now >= self._next_check:
                    self._check_idle(now)
        except BaseException as err:  # a bug in this loop: never die silently
            self._died(err)
        if self._closed:
            self._release()

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except OSError:
            pass

    def _retire_locked(self) -> None:
        """This thread ends, with nothing left to read: keep it for a later join, forget the ones
        already ended, and close the wake-up sockets (the next thread opens its own)."""
        self._retired = [thread for thread in self._retired if thread.is_alive()]
        self._retired.append(threading.current_thread())
        self.thread = None
        self._free_locked()

    def _take_requests(self) -> bool:
        """Apply what other threads asked for; False when the thread should end."""
        while True:
            if self._woken:  # drain the wake-up bytes first, outside the lock; a late one only wakes us again
                self._drain_wake()
            with self._lock:
                self._woken = False
                if not self._inbox:
                    if self._entries:
                        return True
                    self._retire_locked()  # nothing to read: end until needed
                    return False
                requests, self._inbox = self._inbox, deque()
            for what, sub, arg in requests:
                if what == "close":
                    for entry in list(self._entries.values()):
                        self._drop(entry)
                    self._refuse(requests)
                    return False
                getattr(self, f"_do_{what}")(sub, arg)

    @staticmethod
    def _refuse(requests: deque) -> None:
        """Requests left when the reader closed: nobody waits for them, no link stays open."""
        for what, _sub, arg in requests:
            if what == "remove":
                arg.set()
            elif what == "add":
                arg.close()

    def _do_add(self, sub: Endpoint, link: Link) -> None:
        if sub in self._entries or sub.closing:
            link.close()
            return
        now = time.monotonic()
        try:
            entry = Entry(sub, link, link.take_over(), now)
            self._selector.register(entry.sock, selectors.EVENT_READ, entry)
        except Exception as err:
            link.close()
            sub.lost(err)
            return
        self._entries[sub] = entry
        self._next_check = min(self._next_check, now + entry.ping_s)
        self._read(entry, now, received=False)  # replies the handshake already buffered

    def _do_remove(self, sub: Endpoint, done: threading.Event) -> None:
        entry = self._entries.get(sub)
        if entry is not None:
            self._drop(entry)
        done.set()

    def _do_ping(self, sub: Endpoint, token: str) -> None:
        entry = self._entries.get(sub)
        if entry is None:
            sub.barrier_failed(token)
            return
        try:
            entry.link.send(Link.ping_command(token))
        except Exception as err:
            self._lose(entry, err)

    def _drop(self, entry: Entry) -> None:
        if self._entries.pop(entry.sub, None) is not None:
            try:
                self._selector.unregister(entry.sock)
            except (KeyError, ValueError, OSError):
                pass
        entry.link.close()

    def _lose(self, entry: Entry, err: BaseException) -> None:
        self._drop(entry)
        entry.sub.lost(err)

    def _read(self, entry: Entry, now: float, received: bool = True) -> None:
        if entry.sub not in self._entries:
            return  # removed by a callback earlier in this round
        try:
            replies = entry.link.replies(received)
            if not replies:
                return
            entry.heard = now
            entry.idle_token = None
            sub = entry.sub
            for reply in replies:
                try:
                    route(sub, reply)
                except SubscriptionEnded:
                    raise
                except Exception as err:  # a reply nothing can make sense of: count it, start afresh
                    sub.reply_failed(f"could not handle a reply ({describe(err)}); reconnecting")
                    raise
        except Exception as err:
            self._lose(entry, err)

    def _check_idle(self, now: float) -> None:
        self._next_check = check_idle(list(self._entries.values()), now, self._lose)

    def _died(self, err: BaseException) -> None:
        error = f"reader stopped: {describe(err)}"
        entries = list(self._entries.values())
        for entry in entries:
            self._drop(entry)
        with self._lock:  # the next subscription starts a fresh thread
            self._retire_locked()
            requests, self._inbox = self._inbox, deque()
        for entry in entries:
            entry.sub.reader_died(error)
        self._refuse(requests)
        for what, sub, _arg in requests:
            if what == "add":
                sub.reader_died(error)
