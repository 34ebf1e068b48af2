"""A private Redis Cluster on loopback: LocalRedis nodes joined into one real cluster.

Each node is a ``LocalRedis``, so the cluster inherits their guarantees: free
loopback ports, no files kept, and no process outliving its owner.
"""

from __future__ import annotations

import secrets
import time

import redis
from redis.cluster import ClusterNode, RedisCluster

from .discovery import HOW_TO_GET_ONE, find_redis_server
from .local import LOOPBACK, LocalRedis, free_port

SLOTS = 16384
FORM_TIMEOUT_S = 15.0


class RedisTooOld(RuntimeError):
    """Sharded pub/sub needs Redis >= 7.0; the message says how to get it."""


def cluster_info(client: redis.Redis) -> dict[str, str]:
    """CLUSTER INFO as a dict, whichever shape redis-py returns it in."""
    reply = client.execute_command("CLUSTER", "INFO")
    if isinstance(reply, dict):
        return {str(k): str(v) for k, v in reply.items()}
    text = reply.decode() if isinstance(reply, bytes) else str(reply)
    return dict(line.split(":", 1) for line in text.split() if ":" in line)


class LocalCluster:
    """``masters`` primaries (each with ``replicas`` replicas) sharing all 16384 slots.

    Ready (``cluster_state:ok`` on every node) when the constructor returns.
    ``node_timeout_ms`` is low so a failover takes seconds, not the default 15 s.
    """

    def __init__(self, masters: int = 3, replicas: int = 0, node_timeout_ms: int = 1000) -> None:
        if masters < 1 or replicas < 0:
            raise ValueError(f"need masters >= 1 and replicas >= 0, got masters={masters}, replicas={replicas}")
        self.masters_count = masters
        self.nodes: list[LocalRedis] = []
        self._clients: list[redis.Redis] = []
        self._bus_ports: list[int] = []
        binary = find_redis_server()
        if not binary.has_sharded_pubsub:
            raise RedisTooOld(
                f"{binary.describe()}: it has no sharded pub/sub. Redis >= 7.0 or Valkey is needed for "
                "SPUBLISH/SSUBSCRIBE and this cluster lesson.\n" + HOW_TO_GET_ONE
            )
        # One secret for every node: clients and replicas (masterauth) authenticate with it.
        # The cluster bus itself has no authentication in Redis or Valkey: keep clusters on loopback.
        self.password = secrets.token_urlsafe(24)
        args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", str(node_timeout_ms), "--repl-diskless-sync-delay", "0"]
        try:
            for _ in range(masters * (1 + replicas)):
                # An explicit bus port: the default (port + 10000) fails for ports above 55535.
                bus_port = free_port()
                node = LocalRedis(binary=binary.path, args=[*args, "--cluster-port", str(bus_port)],
                                  password=self.password)
                self.nodes.append(node)
                self._bus_ports.append(bus_port)
            self._clients = [n.client(socket_timeout=5, decode_responses=True) for n in self.nodes]
            self._form(masters)
        except BaseException:
            self.close()
            raise

    def _form(self, masters: int) -> None:
        per = SLOTS // masters
        for i, client in enumerate(self._clients[:masters]):
            last = SLOTS - 1 if i == masters - 1 else (i + 1) * per - 1
            client.execute_command("CLUSTER", "ADDSLOTSRANGE", i * per, last)
        for client in self._clients[1:]:
            client.execute_command("CLUSTER", "MEET", LOOPBACK, self.nodes[0].port, self._bus_ports[0])
        self._wait(lambda: all(len(c.execute_command("CLUSTER", "NODES").splitlines()) == len(self.nodes)
                               for c in self._clients), "every node to know every other")
        for i, client in enumerate(self._clients[masters:]):
            master_id = self._clients[i % masters].execute_command("CLUSTER", "MYID")
            client.execute_command("CLUSTER", "REPLICATE", master_id)
        self._wait(lambda: all(cluster_info(c).get("cluster_state") == "ok" for c in self._clients),
                   "cluster_state:ok on every node")
        if len(self.nodes) > masters:
            self._wait(lambda: all(c.info("replication").get("master_link_status") == "up"
                                   for c in self._clients[masters:]), "replicas to sync")

    def _wait(self, condition, what: str) -> None:
        deadline = time.monotonic() + FORM_TIMEOUT_S
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the local cluster did not form: timed out waiting for {what}")
            time.sleep(0.02)

    @property
    def url(self) -> str:
        """A URL of one node, password included; cluster clients discover the rest from it."""
        return self.nodes[0].url

    @property
    def display_url(self) -> str:
        return self.nodes[0].display_url

    @property
    def password_file(self) -> str:
        """The 0600 file holding the password, in the folder of a node that still runs."""
        running = [n for n in self.nodes if n.running] or self.nodes
        return running[0].password_file

    def node_address(self, index: int) -> str:
        return f"{LOOPBACK}:{self.nodes[index].port}"

    def client(self) -> RedisCluster:
        """A cluster-aware redis-py client (it follows MOVED and learns the slot map)."""
        return RedisCluster(
            startup_nodes=[ClusterNode(LOOPBACK, n.port) for n in self.nodes if n.running],
            password=self.password, socket_timeout=2.0, socket_connect_timeout=2.0,
        )

    def node_client(self, index: int) -> redis.Redis:
        """A plain client of one node, as ``redis-cli -p PORT`` would be."""
        return self.nodes[index].client(socket_timeout=2.0)

    def stop_node(self, index: int) -> None:
        """Stop one node, as a crash would: its replica (if any) takes over its slots."""
        self.nodes[index].close()

    def close(self) -> None:
        for client in self._clients:
            client.close()
        for node in self.nodes:
            node.close()

    def __enter__(self) -> "LocalCluster":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        alive = sum(1 for n in self.nodes if n.running)
        return f"<LocalCluster {self.masters_count} masters, {len(self.nodes)} nodes ({alive} running) from {self.display_url}>"
