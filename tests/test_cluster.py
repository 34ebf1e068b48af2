"""Sharded pub/sub on a real local Redis Cluster (Redis >= 7.0)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from typing import Iterator

import pytest
import redis

import pubsub_kit
from pubsub_kit import ClusterPubSubHub, LocalCluster

from .conftest import process_gone, wait_until


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[ClusterPubSubHub]:
    monkeypatch.delenv("REDIS_URL", raising=False)
    h = pubsub_kit.connect(cluster=True)
    yield h
    h.close()


def one_channel_per_master(hub: ClusterPubSubHub) -> list[str]:
    by_node: dict[str, str] = {}
    for i in range(200):
        channel = f"{{shard{i}}}:events"
        by_node.setdefault(hub.node_of(channel), channel)
    return sorted(by_node.values())


def test_spublish_reaches_ssubscribers_on_every_master(hub: ClusterPubSubHub) -> None:
    channels = one_channel_per_master(hub)
    assert len(channels) == 3
    subs = [hub.ssubscribe(f"s{i}", channel) for i, channel in enumerate(channels)]
    assert len({sub.address for sub in subs}) == 3, "each subscriber sits on its channel's own master"
    assert [hub.spublish(channel, {"n": 1}) for channel in channels] == [1, 1, 1]
    assert hub.wait_until_delivered()
    assert [sub.received_total() for sub in subs] == [1, 1, 1]
    assert [sub.messages()[0].kind for sub in subs] == ["smessage"] * 3


def test_shard_channel_counts_are_gathered_across_nodes(hub: ClusterPubSubHub) -> None:
    channels = one_channel_per_master(hub)
    for i, channel in enumerate(channels):
        hub.ssubscribe(f"a{i}", channel)
    hub.ssubscribe("extra", channels[0])
    assert hub.shard_channels() == channels
    assert hub.shard_subscriber_counts(channels) == {channels[0]: 2, channels[1]: 1, channels[2]: 1}
    assert hub.active_channels() == [], "PUBSUB CHANNELS never lists shard channels"


def test_slot_and_node_lookup_agree_with_the_cluster(hub: ClusterPubSubHub) -> None:
    node = redis.Redis.from_url(hub.url)
    for channel in ["orders:new", "{orders}:new", "{orders}:paid", "chat:lobby"]:
        slot = hub.slot_of(channel)
        assert slot == node.execute_command("CLUSTER", "KEYSLOT", channel)
        owner = next(s for s in node.execute_command("CLUSTER", "SLOTS") if s[0] <= slot <= s[1])
        assert hub.node_of(channel) == f"{owner[2][0].decode()}:{owner[2][1]}"
    assert hub.slot_of("{orders}:new") == hub.slot_of("{orders}:paid"), "a hash tag co-locates channels"
    assert [row["channel"] for row in hub.channel_map(["a", "b"])] == ["a", "b"]


def test_one_sharded_subscription_needs_one_slot(hub: ClusterPubSubHub) -> None:
    with pytest.raises(ValueError, match="hash tag"):
        hub.ssubscribe("mixed", ["orders:new", "billing:invoice"])
    sub = hub.ssubscribe("tagged", ["{orders}:new", "{orders}:paid"])
    hub.spublish("{orders}:paid", 1)
    assert sub.wait_for(1)


def test_classic_publish_reaches_every_node_but_counts_only_the_local_one(hub: ClusterPubSubHub) -> None:
    subs = [hub.subscribe(f"c{i}", "news") for i in range(3)]
    assert len({sub.address for sub in subs}) == 3
    assert hub.publish("news", "hello") == 1
    assert hub.wait_until_delivered()
    assert [sub.received_total() for sub in subs] == [1, 1, 1], "the cluster bus carried it to every node"


def test_sharded_subscriber_follows_a_failover_and_counts_what_it_lost() -> None:
    with LocalCluster(masters=3, replicas=1) as cluster, ClusterPubSubHub(server=cluster) as hub:
        sub = hub.ssubscribe("ledger", "{orders}:new")
        accepted = sum(1 for n in range(3) if hub.spublish("{orders}:new", n) >= 0)
        assert sub.wait_for(3)
        old = sub.address
        cluster.stop_node([n.port for n in cluster.nodes].index(int(old.rsplit(":", 1)[1])))
        pace = threading.Event()
        deadline = time.monotonic() + 30
        while not (sub.state == "live" and sub.address != old) and time.monotonic() < deadline:
            try:
                hub.spublish("{orders}:new", "during failover")
                accepted += 1
            except redis.ConnectionError:
                pass
            pace.wait(0.02)
        assert sub.state == "live" and sub.address != old, "the subscriber must resubscribe on the promoted replica"
        hub.spublish("{orders}:new", "after")
        accepted += 1
        assert hub.wait_until_delivered()
        counts = sub.counters()
        assert counts["disconnects"] >= 1 and counts["reconnects"] >= 1
        assert counts["received"] + counts["gaps"] == accepted, "every accepted message arrived or is a named gap"


def test_no_cluster_process_outlives_close_or_a_killed_owner() -> None:
    with LocalCluster(masters=3) as cluster:
        pids = [n.pid for n in cluster.nodes]
    assert wait_until(lambda: all(process_gone(p) for p in pids), timeout=2)
    owner = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import sys, pubsub_kit
            cluster = pubsub_kit.LocalCluster(masters=3)
            print(*[n.pid for n in cluster.nodes], flush=True)
            sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    pids = [int(p) for p in owner.stdout.readline().split()]
    assert len(pids) == 3 and not any(process_gone(p) for p in pids)
    owner.send_signal(signal.SIGKILL)
    owner.wait(timeout=5)
    assert wait_until(lambda: all(process_gone(p) for p in pids), timeout=2)


def test_a_cluster_hub_is_usable_after_shutdown_and_close_stops_its_cluster(hub: ClusterPubSubHub) -> None:
    channels = one_channel_per_master(hub)
    hub.ssubscribe("before", channels[0])
    assert hub.spublish(channels[0], 1) == 1 and hub.publish("plain", 1) == 0
    hub.shutdown()
    assert hub.subscriptions() == []
    pools = [node.redis_connection.connection_pool for node in hub.redis.get_nodes() if node.redis_connection]
    assert all(conn._sock is None for pool in pools for conn in pool._available_connections), \
        "shutdown() disconnected every node's idle pooled connection"
    after = hub.ssubscribe("after", channels[0])
    assert hub.spublish(channels[0], 2) == 1 and after.wait_for(1)
    pids = [node.pid for node in hub.server.nodes]
    hub.close()
    assert wait_until(lambda: all(process_gone(pid) for pid in pids), timeout=5)
