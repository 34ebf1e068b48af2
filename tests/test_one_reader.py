"""One reader thread per hub: fast callbacks inline, slow ones on a worker of their own."""

from __future__ import annotations

import threading
import time

from pubsub_kit import LocalRedis, ReceivedMessage, RedisPubSubHub

from .conftest import wait_until
from .relay import Relay


def hub_threads(hub: RedisPubSubHub) -> list[str]:
    """The live threads this hub started (they are all named pubsub_kit:...)."""
    own = {f"pubsub_kit:hub-{hub.hub_id}:reader", *(f"pubsub_kit:{s.name}:" for s in hub.subscriptions())}
    return [t.name for t in threading.enumerate()
            if t.is_alive() and (t.name in own or any(t.name.startswith(p) for p in own if p.endswith(":")))]


def test_one_reader_thread_reads_twenty_subscriptions(hub: RedisPubSubHub) -> None:
    baseline = threading.active_count()
    subs = [hub.subscribe(f"s{i}", "c", on_message=lambda m: None) for i in range(10)]
    subs += [hub.subscribe(f"quiet{i}", "c") for i in range(10)]
    for n in range(20):  # enough calls in a row for every fast callback to move inline
        assert hub.publish("c", n) == 20
    assert hub.wait_until_delivered()
    assert wait_until(lambda: threading.active_count() == baseline + 1), hub_threads(hub)
    assert hub_threads(hub) == [f"pubsub_kit:hub-{hub.hub_id}:reader"]
    assert all(s.received_total() == 20 and s.counters()["gaps"] == 0 for s in subs)
    assert all(s.counters()["handled"] == 20 for s in subs[:10])


def test_a_slow_callback_moves_to_its_own_worker_and_the_others_stay_fast(hub: RedisPubSubHub) -> None:
    release = threading.Event()
    fast_at: list[float] = []
    fast = hub.subscribe("fast", "c", on_message=lambda m: fast_at.append(time.monotonic()))
    for n in range(20):
        hub.publish("c", n)
    assert fast.wait_for(20)
    assert wait_until(lambda: len(hub_threads(hub)) == 1), "the fast callback runs on the reader"
    slow = hub.subscribe("slow", "c", on_message=lambda m: release.wait(10))
    try:
        sent = time.monotonic()
        hub.publish_many("c", list(range(50)))
        assert fast.wait_for(70, timeout=2)
        assert fast_at[-1] - sent < 1.0, "a stuck callback elsewhere must not delay this one"
        assert wait_until(lambda: slow.received_total() == 50), "the reader keeps draining the slow socket"
        assert f"pubsub_kit:{slow.name}:callback" in hub_threads(hub)
        assert len(hub_threads(hub)) == 2, "one reader plus one worker for the one slow subscriber"
    finally:
        release.set()
    assert slow.wait_for(50)
    counts = slow.counters()
    assert counts["handled"] + counts["dropped"] == 50


def test_an_inline_callback_that_turns_slow_goes_to_a_worker(hub: RedisPubSubHub) -> None:
    slow_now = threading.Event()
    sub = hub.subscribe("turns", "c", on_message=lambda m: slow_now.is_set() and threading.Event().wait(0.02))
    for n in range(20):
        hub.publish("c", n)
    assert sub.wait_for(20)
    assert wait_until(lambda: len(hub_threads(hub)) == 1)
    slow_now.set()
    hub.publish_many("c", list(range(5)))
    assert sub.wait_for(25)
    assert f"pubsub_kit:{sub.name}:callback" in hub_threads(hub)
    assert sub.counters()["dropped"] == 0


def test_close_wakes_the_idle_reader_at_once(server: LocalRedis) -> None:
    baseline = threading.active_count()
    hub = RedisPubSubHub(server=server)
    subs = [hub.subscribe(f"s{i}", f"c{i}") for i in range(50)]
    assert threading.active_count() == baseline + 1
    started = time.monotonic()
    hub.shutdown()
    assert time.monotonic() - started < 0.5
    assert threading.active_count() == baseline
    assert all(s.state == "closed" for s in subs)


def test_a_reconnect_into_silence_does_not_hold_up_other_subscriptions(server: LocalRedis) -> None:
    through = Relay(server.port, server.password)
    try:
        with RedisPubSubHub(url=through.url) as hub:
            stuck = hub.subscribe("stuck", "c")
            got: list[float] = []
            other = hub.subscribe("other", "d", on_message=lambda m: got.append(time.monotonic()))
            assert hub.publish("d", "warm") == 1 and other.wait_for(1)  # the publisher's connection is made now
            through.hold_new.set()  # from now on a new connection is accepted and never answered
            assert hub.kill_connection("stuck")
            assert wait_until(lambda: through.held >= 1), "stuck is reconnecting into silence"
            for n in range(20):
                sent = time.monotonic()
                assert hub.publish("d", n) == 1
                assert other.wait_for(n + 2, timeout=1)
                assert got[-1] - sent < 0.5
            assert stuck.state == "reconnecting" and other.state == "live"
            through.hold_new.clear()  # the held handshake times out; the next attempt gets through
            assert stuck.wait_for_state("live", timeout=15)
            assert hub.publish("c", "back") == 1 and stuck.wait_for(1)
    finally:
        through.close()


def test_the_reader_is_idle_after_requests_raced_with_traffic(hub: RedisPubSubHub) -> None:
    """After fences raced with heavy traffic, an idle hub costs no CPU (a wake-up left unread would spin)."""
    sub = hub.subscribe("busy", "busy-channel", on_message=lambda m: None)
    fencing = threading.Event()

    def fence_in_a_loop() -> None:
        while not fencing.is_set():
            hub.wait_until_delivered(timeout=2)

    fencer = threading.Thread(target=fence_in_a_loop)
    fencer.start()
    try:
        for _ in range(20):
            hub.publish_many("busy-channel", list(range(200)))
    finally:
        fencing.set()
        fencer.join()
    assert sub.wait_for(4000, timeout=10)
    hub.wait_until_delivered()
    cpu_before, wall_before = time.process_time(), time.monotonic()
    threading.Event().wait(1.0)  # an idle second is what is measured here, not a wait for something
    cpu_share = (time.process_time() - cpu_before) / (time.monotonic() - wall_before)
    assert cpu_share < 0.2, f"an idle hub used {cpu_share:.0%} of a core: the reader is spinning"


def test_a_call_that_waits_for_the_reader_is_refused_from_an_inline_callback(hub: RedisPubSubHub) -> None:
    refused: list[str] = []

    def on_message(message: ReceivedMessage) -> None:
        if message.payload == "go offline":
            try:
                hub.take_offline("self")
            except RuntimeError as err:
                refused.append(str(err))

    sub = hub.subscribe("self", "c", on_message=on_message)
    for n in range(20):
        hub.publish("c", n)
    assert sub.wait_for(20)
    assert wait_until(lambda: len(hub_threads(hub)) == 1), "the fast callback runs inline on the reader"
    started = time.monotonic()
    hub.publish("c", "go offline")
    assert wait_until(lambda: refused, timeout=2), "take_offline() from the reader must fail at once, not wait 5 s"
    assert time.monotonic() - started < 1.0
    assert "take_offline() was called from inside an on_message callback" in refused[0]
    assert sub.state == "live"
