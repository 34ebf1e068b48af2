"""Room mode under a class: fan-out latency from the facilitator's publish to every learner's callback.

    .venv/bin/python bench/room_bench.py [--learners 30 100] [--messages 300]

For each class size, learners join a real room (each its own ACL user, via the
lobby) from 4 worker processes, as laptops would, and subscribe to ``room:news``.
The facilitator publishes ``--messages`` messages 20 ms apart. Two contenders,
one after the other on the same room server:
  kit  pubsub_kit's LearnerHub (what ``pubsub_kit.connect(room=...)`` gives a learner)
  raw  plain redis-py per learner: a connection and a thread blocked in get_message(timeout=None)
Latency is ``callback time - the publish's envelope timestamp`` (one machine, one clock).
Printed per size: per-callback p50/p99, per-publish "whole room reached" p50/p99, the
kit/raw ratios, and the room server's CPU while publishing.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import threading
import time

import redis

from pubsub_kit.room import LearnerHub, Room, join_room

WORKERS = 4
GAP_S = 0.02


def _raw_learner(url: str, latencies: list[tuple[int, float]]) -> tuple[redis.client.PubSub, threading.Thread]:
    pubsub = redis.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe("room:news")
    pubsub.get_message(timeout=2)

    def read() -> None:
        while True:
            try:
                message = pubsub.get_message(timeout=None)
            except Exception:
                return
            if message is not None:
                envelope = json.loads(message["data"])["kit"]
                latencies.append((envelope["seq"], time.time() * 1000.0 - envelope["ts"]))

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return pubsub, thread


def worker(kind: str, line: str, names: list[str], pipe) -> None:
    """One laptop's worth of learners in one process; sends back (seq, latency ms) for every callback."""
    latencies: list[tuple[int, float]] = []
    closers = []
    for name in names:
        url = join_room(line, name)
        if kind == "kit":
            hub = LearnerHub(url, name)
            hub.subscribe("class", "room:news",
                          on_message=lambda m: latencies.append((m.seq, time.time() * 1000.0 - m.sent_at_ms)))
            closers.append(hub.close)
        else:
            pubsub, thread = _raw_learner(url, latencies)
            closers.append(lambda p=pubsub, t=thread: (p.connection._sock.shutdown(2), t.join(), p.close()))
    pipe.send("ready")
    pipe.recv()
    pipe.send(latencies)
    for close in closers:
        close()


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def run(room: Room, kind: str, learners: int, messages: int) -> dict[str, float]:
    names = [f"{kind}-{n:03d}" for n in range(learners)]
    ctx = mp.get_context("spawn")
    pipes, procs = [], []
    for part in range(WORKERS):
        mine, theirs = ctx.Pipe()
        proc = ctx.Process(target=worker, args=(kind, room.join_line, names[part::WORKERS], theirs))
        proc.start()
        pipes.append(mine)
        procs.append(proc)
    for pipe in pipes:
        assert pipe.recv() == "ready"
    cpu_before, wall_before = cpu_seconds(room.server.pid), time.monotonic()
    counts = []
    pause = threading.Event()
    for n in range(messages):
        counts.append(room.hub.publish("room:news", {"n": n}))
        pause.wait(GAP_S)
    cpu = (cpu_seconds(room.server.pid) - cpu_before) / (time.monotonic() - wall_before)
    pause.wait(0.5)  # the last fan-out lands; what has not by then counts as missing below
    latencies: list[tuple[int, float]] = []
    for pipe in pipes:
        pipe.send("done")
        latencies += pipe.recv()
    for proc in procs:
        proc.join(timeout=30)
    per_publish: dict[int, float] = {}
    for seq, ms in latencies:
        per_publish[seq] = max(per_publish.get(seq, 0.0), ms)
    values = [ms for _seq, ms in latencies]
    room.hub.reset_stats()
    return {"deliveries": len(values), "expected": learners * messages, "publish_said": sum(counts),
            "p50": percentile(values, 50), "p99": percentile(values, 99),
            "room_p50": percentile(list(per_publish.values()), 50),
            "room_p99": percentile(list(per_publish.values()), 99), "server_cpu": cpu * 100}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[30, 100])
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    with Room(max_learners=2 * max(args.learners) + 10) as room:
        print(f"room server: {room.server.describe()}; {WORKERS} learner processes; "
              f"{args.messages} publishes {GAP_S * 1000:.0f} ms apart")
        for learners in args.learners:
            results = {kind: run(room, kind, learners, args.messages) for kind in ("kit", "raw")}
            kit, raw = results["kit"], results["raw"]
            print(f"\n{learners} learners")
            for kind, r in results.items():
                print(f"  {kind:<4} deliveries {r['deliveries']}/{r['expected']} (PUBLISH said {r['publish_said']}); "
                      f"callback p50 {r['p50']:.3f} ms p99 {r['p99']:.3f} ms; whole room reached p50 "
                      f"{r['room_p50']:.3f} ms p99 {r['room_p99']:.3f} ms; room server CPU {r['server_cpu']:.1f} %")
            print(f"  kit/raw: callback p50 {kit['p50'] / raw['p50']:.2f}x, p99 {kit['p99'] / raw['p99']:.2f}x; "
                  f"whole room p50 {kit['room_p50'] / raw['room_p50']:.2f}x, p99 {kit['room_p99'] / raw['room_p99']:.2f}x")


if __name__ == "__main__":
    main()
