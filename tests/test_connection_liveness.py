"""Connections that die quietly are noticed, and closing never waits on a dead network."""

from __future__ import annotations

import threading
import time
from typing import Iterator

import pytest

from pubsub_kit import LocalRedis, RedisPubSubHub

from .conftest import wait_until
from .relay import Relay


@pytest.fixture
def relay(server: LocalRedis) -> Iterator[Relay]:
    through = Relay(server.port, server.password)
    yield through
    through.close()


def test_an_idle_subscription_notices_a_half_open_connection_and_reconnects(relay: Relay) -> None:
    with RedisPubSubHub(url=relay.url, idle_ping_s=0.3) as hub:
        sub = hub.subscribe("s", "c")
        relay.freeze()  # the subscriber's connection: open on both ends, nothing gets through
        started = time.monotonic()
        assert sub.wait_for_counters(timeout=10, ping_timeouts=1, reconnects=1)
        assert time.monotonic() - started < 5
        counts = sub.counters()
        assert counts["disconnects"] == 1 and "half-open" in counts["last_error"]
        assert sub.state == "live"
        # Redis still counts the half-open connection too, until its own TCP gives up.
        assert hub.publish("c", "after") == 2
        assert sub.wait_for(1)


def test_a_healthy_idle_subscription_answers_its_pings_and_stays(hub: RedisPubSubHub, server: LocalRedis) -> None:
    with RedisPubSubHub(server=server, idle_ping_s=0.1) as quick:
        sub = quick.subscribe("s", "c")
        assert not sub.wait_for_counters(timeout=1.5, disconnects=1), "answered PINGs must not count as losses"
        assert sub.counters()["ping_timeouts"] == 0 and sub.state == "live"


def test_unsubscribe_while_reconnecting_to_an_unanswering_server_returns_at_once(relay: Relay) -> None:
    with RedisPubSubHub(url=relay.url) as hub:
        sub = hub.subscribe("s", "c")
        baseline = threading.active_count()
        relay.hold_new.set()
        relay.cut()
        assert wait_until(lambda: relay.held >= 1), "the subscription is reconnecting into silence"
        started = time.monotonic()
        assert hub.unsubscribe("s")
        elapsed = time.monotonic() - started
        assert elapsed < 0.5, f"unsubscribe took {elapsed:.2f} s"
        assert not sub.is_alive() and sub.state == "closed"
        assert threading.active_count() <= baseline - 1
        assert "still running" not in (sub.counters()["last_error"] or "")


def test_unsubscribe_during_reconnect_backoff_returns_at_once(hub: RedisPubSubHub, server: LocalRedis) -> None:
    sub = hub.subscribe("s", "c")
    server.close()
    assert sub.wait_for_counters(reconnect_attempts=4, timeout=10)
    started = time.monotonic()
    assert hub.unsubscribe("s")
    assert time.monotonic() - started < 0.5 and not sub.is_alive()


def test_concurrent_fences_and_idle_pings_share_the_socket_safely(server: LocalRedis) -> None:
    with RedisPubSubHub(server=server, idle_ping_s=0.02) as hub:
        got: list[object] = []
        sub = hub.subscribe("s", "c", on_message=lambda m: got.append(m.payload))
        results: list[bool] = []

        def fence(index: int) -> None:
            for n in range(30):
                hub.publish("c", [index, n])
                results.append(hub.wait_until_delivered(timeout=5))

        threads = [threading.Thread(target=fence, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(results) == 180 and all(results)
        counts = sub.counters()
        assert len(got) == 180 and (counts["disconnects"], counts["reader_errors"]) == (0, 0)
