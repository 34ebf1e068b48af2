"""Shared fixtures: every test gets its own real, private redis-server."""

from __future__ import annotations

import os
import threading
import time
from typing import Callable, Iterator

import pytest
import redis

from pubsub_kit import LocalRedis, RedisPubSubHub
from pubsub_kit.demo import DemoServer
from pubsub_kit.room import LearnerHub, Room
from pubsub_kit.room.simulate import simulate

ROOM_LEARNERS = 30


def wait_until(predicate: Callable[[], object], timeout: float = 5.0) -> bool:
    """Poll a condition until it holds or the timeout passes (never a blind sleep)."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        if predicate():
            return True
        pause.wait(0.005)
    return bool(predicate())


def process_gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (an unreaped zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalRedis]:
    monkeypatch.delenv("REDIS_URL", raising=False)
    with LocalRedis() as local:
        yield local


@pytest.fixture
def hub(server: LocalRedis) -> Iterator[RedisPubSubHub]:
    h = RedisPubSubHub(server=server)
    yield h
    h.close()


@pytest.fixture
def admin(server: LocalRedis) -> Iterator[redis.Redis]:
    """A plain redis-py client, as a learner or redis-cli would use it."""
    client = redis.Redis.from_url(server.url, socket_timeout=5)
    yield client
    client.close()


@pytest.fixture
def demo(hub: RedisPubSubHub) -> Iterator[DemoServer]:
    """The web demo on a free port, seeded with the default subscribers."""
    server = DemoServer(hub, port=0, request_timeout=0.5).start()
    server.playground.reset()
    yield server
    server.close()


@pytest.fixture
def room(monkeypatch: pytest.MonkeyPatch) -> Iterator[Room]:
    monkeypatch.delenv("REDIS_URL", raising=False)
    with Room() as room:
        yield room


@pytest.fixture
def learners(room: Room) -> Iterator[list[LearnerHub]]:
    """A class of simulated learners joined to ``room``, each its own ACL user."""
    hubs = simulate(room, ROOM_LEARNERS)
    yield hubs
    for hub in hubs:
        hub.close()
