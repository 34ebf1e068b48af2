"""What must hold when things go wrong: bad payloads, bad callbacks, lost connections, slow readers."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from typing import Iterator

import pytest
import redis

from pubsub_kit import LocalRedis, ReceivedMessage, RedisPubSubHub

from .conftest import process_gone, wait_until
from .relay import Relay


class CustomBaseError(BaseException):
    """A BaseException that is neither KeyboardInterrupt nor SystemExit."""


def busy(seconds: float) -> None:
    """Simulate slow work inside a callback."""
    threading.Event().wait(seconds)


@pytest.mark.parametrize(
    "payload",
    [b"\xff\xfe\xfd not utf-8", b"plain text", b"{not json", b"", b"x" * (10 * 1024 * 1024)],
    ids=["non-utf8", "plain-text", "non-json", "empty", "10MB"],
)
def test_subscriber_survives_foreign_payloads(hub: RedisPubSubHub, admin: redis.Redis, payload: bytes) -> None:
    handled: list[ReceivedMessage] = []
    sub = hub.subscribe("s", "c", on_message=handled.append)
    assert admin.publish("c", payload) == 1
    assert hub.publish("c", {"after": True}) == 1
    assert sub.wait_for(2)
    assert handled[-1].payload == {"after": True}
    first = handled[0]
    assert first.foreign
    if payload.startswith(b"\xff"):
        assert first.payload == payload and "not UTF-8" in first.decode_error
        assert sub.counters()["decode_errors"] == 1
    else:
        assert first.decode_error is None
    assert sub.is_alive() and sub.state == "live"


@pytest.mark.parametrize("error", [ValueError("boom"), CustomBaseError("deeper boom")], ids=["Exception", "BaseException"])
def test_callback_errors_are_counted_and_delivery_continues(hub: RedisPubSubHub, error: BaseException) -> None:
    calls: list[object] = []

    def flaky(message: ReceivedMessage) -> None:
        calls.append(message.payload)
        if message.payload == "bad":
            raise error

    sub = hub.subscribe("s", "c", on_message=flaky)
    hub.publish_many("c", ["ok", "bad", "ok again"])
    assert sub.wait_for(3)
    counts = sub.counters()
    assert calls == ["ok", "bad", "ok again"]
    assert counts["callback_errors"] == 1
    assert type(error).__name__ in counts["last_callback_error"] and str(error) in counts["last_callback_error"]
    assert sub.is_alive()


def test_callback_raising_system_exit_stops_only_that_subscription_visibly(hub: RedisPubSubHub) -> None:
    def quit_now(message: ReceivedMessage) -> None:
        raise SystemExit(3)

    sub = hub.subscribe("quitter", "c", on_message=quit_now)
    other = hub.subscribe("other", "c")
    hub.publish("c", 1)
    assert sub.wait_for_state("closed")
    assert not sub.is_alive()
    assert "SystemExit" in sub.counters()["last_callback_error"]
    assert other.wait_for(1) and other.is_alive()


def test_reconnects_after_client_kill_and_counts_it(hub: RedisPubSubHub, admin: redis.Redis) -> None:
    sub = hub.subscribe("s", "c", on_message=lambda m: None)
    psub = hub.psubscribe("p", "c*")
    hub.publish("c", 1)
    assert admin.client_kill_filter(_type="pubsub") == 2
    assert sub.wait_for_counters(reconnects=1) and psub.wait_for_counters(reconnects=1)
    assert sub.counters()["disconnects"] == 1
    assert hub.publish("c", 2) == 2, "both must have resubscribed every target"
    assert sub.wait_for(2) and psub.wait_for(2)


def restart_on_same_port(server: LocalRedis, down_for: float) -> subprocess.Popen:
    """Stop the server, keep it down a while, then start a fresh one on the same port."""
    os.kill(server.pid, signal.SIGKILL)
    assert wait_until(lambda: process_gone(server.pid))
    threading.Event().wait(down_for)
    fresh = subprocess.Popen(
        [server.binary, server.config_file, "--port", str(server.port)],
        stdout=subprocess.DEVNULL, cwd=server.folder,
    )
    assert wait_until(lambda: _pings(server.url))
    return fresh


def _pings(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.2).ping())
    except redis.ConnectionError:
        return False


@pytest.fixture
def restarted() -> Iterator[list[subprocess.Popen]]:
    started: list[subprocess.Popen] = []
    yield started
    for proc in started:
        proc.kill()
        proc.wait()


def test_survives_a_redis_restart_and_reports_the_lost_messages_as_gaps(
    hub: RedisPubSubHub, server: LocalRedis, restarted: list[subprocess.Popen]
) -> None:
    sub = hub.subscribe("s", "orders:new")
    hub.publish("orders:new", 1)
    assert sub.wait_for(1)
    publisher = redis.Redis.from_url(server.url)
    os.kill(server.pid, signal.SIGKILL)
    assert wait_until(lambda: sub.state == "reconnecting")
    with pytest.raises(redis.ConnectionError, match="could not publish to 'orders:new'"):
        hub.publish("orders:new", "lost for sure")
    started = time.monotonic()
    assert hub.stats()["disconnects_total"] == 1
    assert time.monotonic() - started < 0.5, "stats() must not wait for Redis"
    # Down for longer than the backoff takes to reach its 2 s cap: it keeps trying.
    assert wait_until(lambda: sub.counters()["reconnect_attempts"] >= 7, timeout=15)
    assert sub.state == "reconnecting" and sub.is_alive()
    restarted.append(restart_on_same_port(server, down_for=0))
    assert sub.wait_for_state("live", timeout=5)
    hub.publish("orders:new", 2)
    assert hub.publish("orders:new", 3) == 1
    assert sub.wait_for(3)
    counts = sub.counters()
    assert counts["reconnects"] == 1 and counts["disconnects"] == 1
    assert counts["gaps"] == 0, "the refused publish was never sent, so it is no gap"
    publisher.close()


def test_frozen_redis_fails_publish_fast_while_stats_answer_at_once(hub: RedisPubSubHub, server: LocalRedis) -> None:
    sub = hub.subscribe("s", "c")
    hub.publish("c", 1)
    os.kill(server.pid, signal.SIGSTOP)
    try:
        failures: list[Exception] = []

        def try_publish() -> None:
            try:
                hub.publish("c", 2)
            except redis.ConnectionError as err:
                failures.append(err)

        worker = threading.Thread(target=try_publish)
        started = time.monotonic()
        worker.start()
        stats = hub.stats()
        sub.to_dict()
        assert time.monotonic() - started < 0.5, "in-memory calls must not wait on Redis"
        worker.join(timeout=10)
        assert not worker.is_alive()
        assert failures and "did not answer" in str(failures[0])
        assert stats["published_total"] == 1
    finally:
        os.kill(server.pid, signal.SIGCONT)
    assert hub.publish("c", 3) == 1
    assert sub.wait_for(2)


def test_slow_callback_never_blocks_reading_and_overflow_is_counted(server: LocalRedis) -> None:
    release = threading.Event()

    def stuck(message: ReceivedMessage) -> None:
        release.wait(10)

    with RedisPubSubHub(server=server, max_queue=5) as hub, RedisPubSubHub(server=server) as other_hub:
        slow = hub.subscribe("slow", "c", on_message=stuck)
        fast = other_hub.subscribe("fast", "c", on_message=lambda m: None)
        hub.publish_many("c", list(range(100)))
        assert fast.wait_for(100), "a slow callback elsewhere must not delay this one"
        assert fast.counters()["handled"] == 100
        assert wait_until(lambda: slow.received_total() == 100), "the reader keeps draining the socket"
        counts = slow.counters()
        # At most one queue-full is queued and one more batch is in the callback's hands.
        assert counts["queued"] <= 5 and counts["dropped"] >= 100 - 2 * 5 - 1
        release.set()
        assert slow.wait_for(100)
        counts = slow.counters()
        assert counts["handled"] + counts["dropped"] == 100
        assert hub.stats()["dropped_total"] == counts["dropped"]


def test_redis_cutting_off_a_stalled_subscriber_is_detected_and_counted(server: LocalRedis,
                                                                       admin: redis.Redis) -> None:
    """The subscriber's network stalls (a relay stops forwarding); Redis' output buffer for it
    passes the limit and Redis closes it. Once the network moves again the hub sees the close,
    reconnects, and names every message Redis counted but the subscriber never got."""
    admin.config_set("client-output-buffer-limit", "pubsub 256kb 0 0")
    relay = Relay(server.port, server.password)
    with RedisPubSubHub(url=relay.url) as listener, RedisPubSubHub(server=server) as publisher:
        sub = listener.subscribe("s", "c")
        publisher.publish("c", "first")
        assert sub.wait_for(1)
        relay.freeze()
        published, batch = 1, ["x" * 1000] * 500
        while _connected(admin, "pubsub_kit:s") and published < 100_000:
            published += len(publisher.publish_many("c", batch))
        assert not _connected(admin, "pubsub_kit:s"), "Redis cut off the subscriber whose network stalled"
        relay.thaw()
        assert sub.wait_for_counters(disconnects=1, reconnects=1, timeout=10)
        publisher.publish("c", "after")
        published += 1
        assert wait_until(lambda: sub.counters()["received"] + sub.counters()["gaps"] == published, timeout=10)
        counts = sub.counters()
        assert counts["gaps"] > 0 and counts["duplicates"] == 0


def _connected(admin: redis.Redis, name: str) -> bool:
    return any(client["name"] == name for client in admin.client_list())


def test_close_and_shutdown_join_threads_without_tracebacks(server: LocalRedis, capfd: pytest.CaptureFixture) -> None:
    baseline = threading.active_count()
    hub = RedisPubSubHub(server=server)
    subs = [hub.subscribe(f"s{i}", "c", on_message=lambda m: None) for i in range(10)]
    hub.publish("c", 1)
    subs[0].close()
    assert not subs[0].is_alive()
    assert hub.unsubscribe("s1")
    hub.shutdown()
    assert threading.active_count() == baseline
    assert all(not s.is_alive() for s in subs)
    assert "Traceback" not in capfd.readouterr().err


def test_a_thousand_subscribe_cycles_under_traffic_leak_nothing(hub: RedisPubSubHub, admin: redis.Redis) -> None:
    hub.publish("c", 0)
    threads_before = threading.active_count()
    clients_before = len(admin.client_list())
    stop = threading.Event()
    replies: list[object] = []
    errors: list[BaseException] = []

    def keep_publishing() -> None:
        while not stop.is_set():
            try:
                replies.append(hub.publish("c", "tick"))
            except BaseException as err:
                errors.append(err)

    publisher = threading.Thread(target=keep_publishing)
    publisher.start()
    try:
        for i in range(1000):
            hub.subscribe(f"cycle-{i % 3}", "c", on_message=lambda m: None)
            assert hub.unsubscribe(f"cycle-{i % 3}")
    finally:
        stop.set()
        publisher.join()
    assert not errors
    assert replies and all(isinstance(r, int) and 0 <= r <= 1 for r in replies)
    assert threading.active_count() == threads_before
    assert wait_until(lambda: len(admin.client_list()) == clients_before)


def test_wait_until_delivered_covers_every_live_subscription(hub: RedisPubSubHub) -> None:
    got: list[int] = []
    hub.subscribe("a", "c", on_message=lambda m: (busy(0.001), got.append(m.payload)))
    hub.subscribe("b", "c")
    hub.publish_many("c", list(range(50)))
    assert hub.wait_until_delivered(timeout=5)
    assert got == list(range(50))
    assert hub.get_subscription("b").received_total() == 50
