"""shutdown() is the guide's (the hub stays usable), close() is final; calls racing either end
complete before it returns or raise HubClosedError, and neither leaves a socket or a thread."""

from __future__ import annotations

import os
import random
import threading
import time
from typing import Any, Callable, Iterator

import pytest
import redis

import pubsub_kit
from pubsub_kit import HubClosedError, LocalRedis, RedisPubSubHub, Subscription

from .conftest import process_gone, wait_until

TRIALS = 40


def sockets_to(port: int) -> int:
    """This process's TCP connections to ``port`` on loopback (its file descriptors, not the pool's view)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[9] in inodes:
                    count += 1
    return count


@pytest.fixture
def listener(server: LocalRedis) -> Iterator[Subscription]:
    with RedisPubSubHub(server=server) as other:
        yield other.subscribe("listener", "c")


def race(hub: RedisPubSubHub, end: Callable[[], None], subscribing: bool) -> tuple[list[Any], float]:
    """Two threads publish (and one subscribes) until ``end()`` ran or they were refused; returns every
    outcome and when ``end()`` returned. A refused thread stops, as a program would: one spinning on
    refusals would starve the others of the GIL (a connect then takes seconds)."""
    outcomes: list[Any] = []
    stop = threading.Event()

    def publish() -> None:
        while not stop.is_set():
            try:
                hub.publish("c", "x")
                outcomes.append("published")
            except BaseException as err:
                outcomes.append(err)
                return

    def subscribe() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                outcomes.append(hub.subscribe(f"racer-{threading.get_ident()}-{n}", "d"))
            except BaseException as err:
                outcomes.append(err)
                return

    workers = [threading.Thread(target=publish) for _ in range(2)]
    if subscribing:
        workers.append(threading.Thread(target=subscribe))
    for worker in workers:
        worker.start()
    threading.Event().wait(random.uniform(0.0, 0.01))
    end()
    returned = time.monotonic()
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
    assert not any(w.is_alive() for w in workers)
    return outcomes, returned


def only_success_or_closed(outcomes: list[Any]) -> None:
    others = [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, HubClosedError)]
    assert not others, f"{len(others)} other errors, e.g. {others[0]!r}"
    for err in outcomes:
        if isinstance(err, HubClosedError):
            assert "shutdown() was running" in str(err) or "was closed" in str(err), err


def test_shutdown_racing_publishes_and_subscribes_leaves_no_loss_no_socket_and_a_usable_hub(
        server: LocalRedis, listener: Subscription) -> None:
    baseline_sockets = sockets_to(server.port)
    hub = RedisPubSubHub(server=server)
    published = checked = 0
    counted_at_return: list[int] = []

    def shut() -> None:
        hub.shutdown()
        counted_at_return.append(hub.stats()["published_total"])

    try:
        for _ in range(TRIALS):
            hub.publish("c", "warm")  # the publisher holds a pooled connection when the race starts
            published += 1
            outcomes, _ = race(hub, shut, subscribing=True)
            only_success_or_closed(outcomes)
            published += outcomes.count("published")
            stats = hub.stats()
            assert (stats["publish_unknown"], stats["publish_errors"]) == (0, 0), stats["last_publish_error"]
            subs = [o for o in outcomes if isinstance(o, Subscription)]
            live = {s.name for s in subs if s.state != "closed"}
            assert live == {s.name for s in hub.subscriptions()}, "every subscription returned is closed or held"
            if stats["published_total"] == counted_at_return[-1] and not live:
                # No call but stats() started after shutdown() returned: only its probe may have reconnected.
                checked += 1
                assert sockets_to(server.port) == baseline_sockets + 1, "the hub holds no socket after shutdown()"
            hub.shutdown()
        assert checked >= TRIALS // 4, f"only {checked} trials ended with no call after shutdown()"
        assert hub.publish("c", "after") == 1, "the hub is usable after shutdown()"
        published += 1
        assert wait_until(lambda: listener.received_total() == published, timeout=10), \
            (listener.received_total(), published)
        counts = listener.counters()
        assert (counts["gaps"], counts["duplicates"]) == (0, 0), listener.missed()[:3]
    finally:
        hub.close()
    assert sockets_to(server.port) == baseline_sockets


def test_close_racing_publishes_and_subscribes_leaves_no_socket_and_no_thread(server: LocalRedis,
                                                                               listener: Subscription) -> None:
    threads = threading.active_count()
    baseline_sockets = sockets_to(server.port)
    published = 0
    for _ in range(TRIALS):
        hub = RedisPubSubHub(server=server)
        hub.publish("c", "warm")
        published += 1
        outcomes, _ = race(hub, hub.close, subscribing=True)
        only_success_or_closed(outcomes)
        published += outcomes.count("published")
        assert hub.stats()["publish_unknown"] == 0 and hub.subscriptions() == []
        assert all(s.state == "closed" for s in outcomes if isinstance(s, Subscription))
        assert sockets_to(server.port) == baseline_sockets, "a closed hub holds no socket"
        assert threading.active_count() == threads, [t.name for t in threading.enumerate()]
        with pytest.raises(HubClosedError, match="was closed"):
            hub.publish("c", "never")
    assert wait_until(lambda: listener.received_total() == published, timeout=10)
    assert listener.counters()["gaps"] == 0


def test_after_shutdown_the_hub_reconnects_and_its_private_server_keeps_running(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    threads = threading.active_count()
    hub = pubsub_kit.connect()
    port, pid = hub.server.port, hub.server.pid
    got: list[Any] = []
    first = hub.subscribe("first", "c", on_message=got.append)
    assert hub.publish("c", 1) == 1 and first.wait_for(1)
    hub.stats()  # the NUMPAT probe holds a connection too
    hub.shutdown()
    assert hub.subscriptions() == [] and sockets_to(port) == 0
    assert threading.active_count() == threads, "every thread joined"
    assert not process_gone(pid)
    admin = redis.Redis.from_url(hub.url)
    try:
        assert [c["name"] for c in admin.client_list()] == [""], "the server sees only this admin client"
    finally:
        admin.close()
    again = hub.subscribe("first", "c", on_message=got.append)
    assert hub.publish("c", 2) == 1 and again.wait_for(1)
    assert [m.payload for m in got] == [1, 2]
    assert hub.stats()["published_total"] == 2, "shutdown() closes; reset_stats() zeroes"
    hub.close()
    assert sockets_to(port) == 0 and threading.active_count() == threads
    assert wait_until(lambda: process_gone(pid), timeout=2)
    for call in (lambda: hub.subscribe("late", "c"), hub.reset_stats, hub.stats, hub.shutdown, hub.close):
        try:
            call()
        except HubClosedError:
            pass


def test_a_callback_that_shuts_the_hub_down_does_not_stall_it(hub: RedisPubSubHub) -> None:
    done = threading.Event()

    def shut(message: Any) -> None:
        hub.shutdown()
        done.set()

    hub.subscribe("s", "c", on_message=shut)
    other = hub.subscribe("t", "c", on_message=lambda m: None)
    started = time.monotonic()
    hub.publish("c", 1)
    assert done.wait(5) and time.monotonic() - started < 1.0
    assert other.state == "closed" and hub.subscriptions() == []
    again = hub.subscribe("again", "c")
    assert hub.publish("c", 2) == 1 and again.wait_for(1)
    hub.shutdown()  # from here, the threads the callback could not join are joined


def test_a_callback_shutting_down_while_another_thread_subscribes_returns_promptly(hub: RedisPubSubHub) -> None:
    """The callback runs inline on the reader; a subscribe that loses the race must not wait for it."""
    for trial in range(10):
        took: list[float] = []

        def shut(message: Any) -> None:
            if message.payload == "go":
                started = time.monotonic()
                hub.shutdown()
                took.append(time.monotonic() - started)

        trigger = hub.subscribe("trigger", "t", on_message=shut)
        for n in range(12):  # proven fast: it runs inline, on the reader
            hub.publish("t", n)
            assert trigger.wait_for(n + 1)
        outcomes, _ = race(hub, lambda: (hub.publish("t", "go"), wait_until(lambda: took, timeout=10)),
                           subscribing=True)
        only_success_or_closed(outcomes)
        assert took and took[0] < 1.0, (trial, took)
        hub.shutdown()
