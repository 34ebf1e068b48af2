"""Liveness: the reader PINGs quiet links, and a PING left unanswered means a half-open connection.

A connection quiet for ``idle_ping_s`` gets a PING (a round also takes every link
quiet for half the interval, so many links cost one wake-up); no answer within
as long again means the network or the server is gone, and the link is replaced.
"""

from __future__ import annotations

import itertools
import socket
from typing import Callable

from .endpoint import Endpoint
from .wire import Link

IDLE_PING_S = 10.0
PING_BATCH = 0.5   # a PING round also takes every link quiet for half the interval: one wake-up for many
tokens = itertools.count(1)
_IDLE = "pubsub_kit-idle-"


class Entry:
    """One link the reader reads, and when it last heard from it."""

    __slots__ = ("sub", "link", "sock", "heard", "idle_token", "ping_s")

    def __init__(self, sub: Endpoint, link: Link, sock: socket.socket, now: float) -> None:
        self.sub, self.link, self.sock = sub, link, sock
        self.heard = now
        self.idle_token: str | None = None
        self.ping_s = sub.idle_ping_s


def check_idle(entries: list[Entry], now: float, lose: Callable[[Entry, BaseException], None]) -> float:
    """PING quiet links and ``lose`` the half-open ones; returns when the next check is due."""
    next_check = float("inf")
    for entry in entries:
        quiet = now - entry.heard
        if entry.idle_token is not None and quiet >= 2 * entry.ping_s:
            entry.sub.ping_timed_out()
            lose(entry, ConnectionError(
                f"no reply to a PING for {quiet:.1f} s: the connection is half-open (network or server gone)"))
            continue
        if entry.idle_token is None and quiet >= entry.ping_s * PING_BATCH:
            entry.idle_token = f"{_IDLE}{next(tokens)}"
            try:
                entry.link.send(Link.ping_command(entry.idle_token))
            except Exception as err:
                lose(entry, err)
                continue
        due = 2 * entry.ping_s if entry.idle_token is not None else entry.ping_s
        next_check = min(next_check, entry.heard + due)
    return next_check
