"""Measure pubsub_kit's hub against raw redis-py and the guide's design, in one run.

    .venv/bin/python bench/hub_bench.py [--quick]

Three contenders on the same private redis-server:
  kit    pubsub_kit.RedisPubSubHub
  raw    raw redis-py: one thread per connection blocked in get_message(timeout=None)
  guide  the redis.io guide's design, re-implemented here: one run_in_thread(sleep_time=0.01)
         per subscription, subscriptions sharing the publisher's client, a lock held across
         each publish
Prints each figure, the ratio to raw redis-py (or to the guide), and the target.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from typing import Callable

import redis

import pubsub_kit
import pubsub_kit.hub
import pubsub_kit.messages

QUICK = False


# -- the contenders ---------------------------------------------------------------------


class RawReaders:
    """Plain redis-py: a dedicated connection and a blocking reader thread per subscriber."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = redis.Redis.from_url(url)
        self.readers: list[tuple[redis.client.PubSub, threading.Thread]] = []
        self.clients: list[redis.Redis] = []

    def publish(self, channel: str, message: object) -> int:
        return self.client.publish(channel, json.dumps(message))

    def subscribe(self, channel: str, on_message: Callable[[object], None]) -> None:
        client = redis.Redis.from_url(self.url)
        self.clients.append(client)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(channel)
        pubsub.get_message(timeout=1)

        def read() -> None:
            while True:
                try:
                    message = pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
                except Exception:
                    return
                if message is not None:
                    on_message(json.loads(message["data"]))

        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        self.readers.append((pubsub, thread))

    def close(self) -> None:
        for pubsub, _ in self.readers:
            pubsub.connection._sock.shutdown(2)
        for pubsub, thread in self.readers:
            thread.join()
            pubsub.close()
        for client in [self.client, *self.clients]:
            client.close()


class GuideStyle:
    """The guide's design as described in its text (our own code, not the guide's)."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url)
        self.lock = threading.Lock()
        self.published = 0
        self.workers: list[redis.client.PubSubWorkerThread] = []

    def publish(self, channel: str, message: object) -> int:
        with self.lock:
            delivered = self.client.publish(channel, json.dumps(message))
            self.published += 1
            return delivered

    def subscribe(self, channel: str, on_message: Callable[[object], None]) -> None:
        with self.lock:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(**{channel: lambda m: on_message(json.loads(m["data"]))})
            self.workers.append(pubsub.run_in_thread(sleep_time=0.01, daemon=True))

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        for worker in self.workers:
            worker.join()
        self.client.close()


class Kit:
    def __init__(self, url: str) -> None:
        self.hub = pubsub_kit.RedisPubSubHub(url=url, buffer_size=50)
        self.count = 0

    def publish(self, channel: str, message: object) -> int:
        return self.hub.publish(channel, message)

    def subscribe(self, channel: str, on_message: Callable[[object], None]) -> None:
        self.count += 1
        self.hub.subscribe(f"s{self.count}", channel, on_message=lambda m: on_message(m.payload))

    def close(self) -> None:
        self.hub.close()


CONTENDERS = {"kit": Kit, "raw": RawReaders, "guide": GuideStyle}


class UnorderedPublisher:
    """The hub's publish path before issue 9, re-implemented faithfully for comparison:
    the sequence number is taken under a lock, but PUBLISH is sent outside it, through
    redis-py's ``publish()``, so threads can reach Redis out of order."""

    def __init__(self, hub: pubsub_kit.RedisPubSubHub) -> None:
        self.client = pubsub_kit.hub.default_client(hub.url)
        self.lock = threading.Lock()
        self.seq: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.publisher_id = f"{hub.hub_id}.before".encode()

    def publish(self, channel: str, message: object) -> int:
        data = pubsub_kit.messages.encode_data(message)
        with self.lock:
            seq = self.seq[channel] = self.seq.get(channel, 0) + 1
        delivered = int(self.client.publish(channel, pubsub_kit.messages.wrap(data, self.publisher_id, seq,
                                                                               time.time() * 1000.0)))
        with self.lock:
            self.counts[channel] = self.counts.get(channel, 0) + 1
        return delivered

    def close(self) -> None:
        self.client.close()


def concurrent_publishers(url: str, threads: int) -> dict[str, tuple[float, float, float, int, int]]:
    """``threads`` threads publishing to one channel: rate, latency p50/p99 and what a subscriber saw."""
    per_thread = 500 if QUICK else 2_000
    results = {}
    for label in ("before", "after"):
        hub = pubsub_kit.RedisPubSubHub(url=url)
        sub = hub.subscribe("watch", f"order:{label}")
        sender = UnorderedPublisher(hub) if label == "before" else hub
        samples: list[list[float]] = [[] for _ in range(threads)]

        def work(index: int) -> None:
            for i in range(per_thread):
                start = time.perf_counter()
                sender.publish(f"order:{label}", {"t": index, "i": i})
                samples[index].append((time.perf_counter() - start) * 1000)

        workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
        start = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        rate = threads * per_thread / (time.perf_counter() - start)
        hub.wait_until_delivered(timeout=30)
        counts = sub.counters()
        flat = sorted(x for run in samples for x in run)
        results[label] = (rate, statistics.median(flat), flat[int(len(flat) * 0.99)], counts["gaps"], counts["duplicates"])
        if label == "before":
            sender.close()
        hub.close()
    return results


# -- measurements ------------------------------------------------------------------------


def idle_cpu(make, url: str, subscriptions: int = 50) -> float:
    """Percent of one core used by the process while every subscription is idle."""
    contender = make(url)
    for i in range(subscriptions):
        contender.subscribe(f"idle:{i}", lambda m: None)
    window = 2.0 if QUICK else 5.0
    threading.Event().wait(0.3)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    threading.Event().wait(window)
    percent = 100 * (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    contender.close()
    return percent


def latency(make, url: str) -> tuple[float, float]:
    """p50 and p99 publish-to-callback time in ms, one message in flight at a time."""
    contender = make(url)
    arrived = threading.Event()
    stamps: list[float] = []

    def on_message(message: object) -> None:
        stamps.append(time.perf_counter())
        arrived.set()

    contender.subscribe("lat", on_message)
    samples = []
    lost = 0
    for i in range(500 if QUICK else 3000):
        arrived.clear()
        start = time.perf_counter()
        contender.publish("lat", {"i": i})
        if not arrived.wait(5):
            lost += 1  # never record the previous message's stamp as this one's
            continue
        samples.append((stamps[-1] - start) * 1000)
    contender.close()
    if lost:
        print(f"  ({lost} messages did not arrive within 5 s; left out)")
    samples = samples[50:]
    return statistics.median(samples), statistics.quantiles(samples, n=100)[98]


PUBLISHER = """
import sys, redis, json
url, n = sys.argv[1], int(sys.argv[2])
client = redis.Redis.from_url(url)
body = json.dumps({"order_id": 1, "total": 9.5, "items": ["a", "b"]})
pipe = client.pipeline(transaction=False)
for i in range(n):
    pipe.publish("fanout", body)
    if i % 200 == 199:
        pipe.execute()
pipe.execute()
"""


def fanout_external(make, url: str, subscribers: int = 10) -> float:
    """Deliveries per second to 10 subscribers, fed by a publisher in another process."""
    per_sub = 5_000 if QUICK else 20_000
    contender = make(url)
    done = threading.Event()
    lock = threading.Lock()
    state = {"n": 0, "first": 0.0, "last": 0.0}

    def on_message(message: object) -> None:
        with lock:
            now = time.perf_counter()
            if state["n"] == 0:
                state["first"] = now
            state["n"] += 1
            state["last"] = now
            if state["n"] == per_sub * subscribers:
                done.set()

    for _ in range(subscribers):
        contender.subscribe("fanout", on_message)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", PUBLISHER, url, str(per_sub)], check=True)
    done.wait(120)
    elapsed = (state["last"] if done.is_set() else time.perf_counter()) - started
    contender.close()
    return state["n"] / elapsed


def publish_rate_with_subscribers(make, url: str, subscribers: int = 10) -> float:
    """publish() calls per second while 10 in-process subscribers consume them."""
    contender = make(url)
    for _ in range(subscribers):
        contender.subscribe("busy", lambda m: None)
    n = 2_000 if QUICK else 5_000
    start = time.perf_counter()
    for i in range(n):
        contender.publish("busy", {"i": i})
    rate = n / (time.perf_counter() - start)
    contender.close()
    return rate


def interleaved_median(measure, rounds: int) -> dict[str, float]:
    """Each contender once per round, in turn, and the median per contender.

    On two shared cores one run of a few seconds moves by 2x with whatever else wakes up;
    taking turns spreads that over every contender instead of charging it to one.
    """
    runs: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    for _ in range(rounds):
        for name, make in CONTENDERS.items():
            runs[name].append(measure(make))
    return {name: statistics.median(values) for name, values in runs.items()}


def kit_threads(hub: pubsub_kit.RedisPubSubHub) -> int:
    """Live threads this hub started: its reader, workers, reconnects (all named after it or its subscriptions)."""
    names = {f"pubsub_kit:hub-{hub.hub_id}:reader"} | {f"pubsub_kit:{s.name}:" for s in hub.subscriptions()}
    return sum(1 for t in threading.enumerate()
               if t.is_alive() and (t.name in names or any(t.name.startswith(n) for n in names if n.endswith(":"))))


def threads_per_hub(url: str) -> list[tuple[str, int]]:
    """Threads a hub holds: 10 fast subscribers, then one slow one added."""
    hub = pubsub_kit.RedisPubSubHub(url=url)
    for i in range(10):
        hub.subscribe(f"fast{i}", "t", on_message=lambda m: None)
    for i in range(20):
        hub.publish("t", i)
    hub.wait_until_delivered()
    deadline = time.monotonic() + 5
    while kit_threads(hub) > 1 and time.monotonic() < deadline:
        threading.Event().wait(0.01)
    out = [("10 fast subscribers", kit_threads(hub))]
    hub.subscribe("slow", "t", on_message=lambda m: threading.Event().wait(0.005))
    for i in range(20):
        hub.publish("t", i)
    hub.wait_until_delivered()
    out.append(("10 fast + 1 slow subscriber", kit_threads(hub)))
    hub.close()
    return out


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def thousand_subscriptions(url: str, count: int = 1000) -> tuple[float, float, float]:
    """Idle CPU (% of a core) and memory (MB of this process) of one hub holding ``count`` subscriptions."""
    before = rss_mb()
    hub = pubsub_kit.RedisPubSubHub(url=url, max_subscriptions=count)
    start = time.perf_counter()
    for i in range(count):
        hub.subscribe(f"s{i}", f"many:{i}", on_message=lambda m: None)
    made = time.perf_counter() - start
    window = 2.0 if QUICK else 12.0  # long enough to hold one round of liveness PINGs (every 10 s)
    threading.Event().wait(0.3)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    threading.Event().wait(window)
    percent = 100 * (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    grown = rss_mb() - before
    hub.close()
    return percent, grown, made


def publish_many_vs_publish(url: str) -> tuple[float, float]:
    hub = pubsub_kit.RedisPubSubHub(url=url)
    hub.subscribe("s", "many")
    messages = [{"i": i} for i in range(1000)]
    start = time.perf_counter()
    for m in messages:
        hub.publish("many", m)
    single = 1000 / (time.perf_counter() - start)
    start = time.perf_counter()
    hub.publish_many("many", messages)
    batched = 1000 / (time.perf_counter() - start)
    hub.close()
    return single, batched


def subscribe_and_shutdown(url: str) -> tuple[float, float]:
    hub = pubsub_kit.RedisPubSubHub(url=url)
    times = []
    for i in range(50):
        start = time.perf_counter()
        hub.subscribe(f"s{i}", f"ch:{i}", on_message=lambda m: None)
        times.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    hub.shutdown()
    shut_ms = (time.perf_counter() - start) * 1000
    hub.close()
    return statistics.median(times), shut_ms


# -- report ------------------------------------------------------------------------------


def row(label: str, value: float, unit: str, note: str) -> None:
    print(f"  {label:<44} {value:>12,.3f} {unit:<10} {note}")


def main() -> None:
    global QUICK
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke check")
    parser.add_argument("--only-ordering", action="store_true", help="only the send-order case (issue 9)")
    parser.add_argument("--skip-ordering", action="store_true", help="skip the send-order case (issue 9)")
    args = parser.parse_args()
    QUICK = args.quick

    with pubsub_kit.LocalRedis() as server:
        url = server.url
        print(f"{server.describe()} at {server.display_url}; redis-py {redis.__version__}; Python {sys.version.split()[0]}")

        print("\nOne channel, N publishing threads: unordered send (before) vs per-channel send order (after)")
        for threads in () if args.skip_ordering else (1, 3):
            for label, (rate, p50, p99, gaps, dups) in concurrent_publishers(url, threads).items():
                row(f"{threads} thread(s) {label} rate", rate, "pub/s", f"false gaps {gaps}, false duplicates {dups}")
                row(f"{threads} thread(s) {label} publish() p50 / p99", p50, "ms", f"p99 {p99:.3f} ms")
        if args.only_ordering:
            return

        print("\nIdle CPU, 50 idle subscriptions (% of one core; target kit <= 0.1)")
        cpu = {name: idle_cpu(make, url) for name, make in CONTENDERS.items()}
        for name, value in cpu.items():
            row(name, value, "%", "")

        print("\nPublish-to-callback latency, one in flight (target kit p50 <= 1.1x raw, p99 < 1 ms)")
        lat = {name: latency(make, url) for name, make in CONTENDERS.items()}
        for name, (p50, p99) in lat.items():
            row(f"{name} p50", p50, "ms", f"{p50 / lat['raw'][0]:.2f}x raw")
            row(f"{name} p99", p99, "ms", f"{p99 / lat['raw'][1]:.2f}x raw")

        print("\n10 subscribers, publisher in another process (target kit >= 1.0x raw)")
        fan = {name: fanout_external(make, url) for name, make in CONTENDERS.items()}
        for name, value in fan.items():
            row(name, value, "deliv/s", f"{value / fan['raw']:.2f}x raw")

        rounds = 1 if QUICK else 5
        print(f"\n10 subscribers, publisher in this process, median of {rounds} interleaved rounds "
              "(target kit >= 2x guide)")
        rate = interleaved_median(lambda make: publish_rate_with_subscribers(make, url), rounds)
        for name, value in rate.items():
            row(name, value, "pub/s", f"{value / rate['guide']:.2f}x guide, {value / rate['raw']:.2f}x raw")

        print("\nThreads per hub (target: 1 + one per slow subscriber)")
        for label, count in threads_per_hub(url):
            row(label, count, "threads", "")


        print("\npublish_many vs publish, 1,000 messages (target >= 5x)")
        single, batched = publish_many_vs_publish(url)
        row("publish() x 1000", single, "msg/s", "")
        row("publish_many(1000)", batched, "msg/s", f"{batched / single:.1f}x publish()")

        print("\nsubscribe() and shutdown() (targets: median <= 1 ms; 50 subscriptions <= 200 ms)")
        sub_ms, shut_ms = subscribe_and_shutdown(url)
        row("subscribe() median", sub_ms, "ms", "")
        row("shutdown() of 50 subscriptions", shut_ms, "ms", "threads joined")

        # Last: closing 1,000 clients keeps the server busy for a moment.
        print("\n1,000 idle subscriptions on one hub (targets: < 1 % of a core, < 50 MB)")
        percent, grown, made = thousand_subscriptions(url)
        row("idle CPU", percent, "%", "")
        row("memory of this process, growth", grown, "MB", "")
        row("time to subscribe all", made, "s", "")


if __name__ == "__main__":
    main()
