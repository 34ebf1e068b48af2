"""Private servers answer only their owner, and no view or error shows a password."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

import pubsub_kit
from pubsub_kit import LocalCluster, LocalRedis, RedisPubSubHub, redact_url
from pubsub_kit.doctor import check_environment
from pubsub_kit.snapshot import snapshot

COMMANDS_A_STRANGER_WOULD_TRY = (("PING",), ("PSUBSCRIBE", "*"), ("PUBLISH", "orders:new", "forged"),
                                 ("CONFIG", "SET", "dir", "/tmp"), ("FLUSHALL",), ("SHUTDOWN", "NOSAVE"))


def _stranger(port: int, password: str | None = None) -> redis.Redis:
    """Another local user's client: it knows the port (``ss -ltn`` shows it) but not the secret."""
    return redis.Redis(host="127.0.0.1", port=port, password=password, socket_timeout=2, retry=Retry(NoBackoff(), 0))


def _assert_refuses_strangers(port: int) -> None:
    stranger = _stranger(port)
    try:
        for command in COMMANDS_A_STRANGER_WOULD_TRY:
            with pytest.raises(redis.AuthenticationError):
                stranger.execute_command(*command)
        with pytest.raises(redis.AuthenticationError):
            _stranger(port, "guess").ping()
    finally:
        stranger.close()


def test_a_client_without_the_secret_is_refused(server: LocalRedis) -> None:
    _assert_refuses_strangers(server.port)
    assert server.client().ping(), "the owner still gets in"


def test_every_cluster_node_refuses_a_client_without_the_secret() -> None:
    with LocalCluster(masters=2, replicas=1) as cluster:
        for node in cluster.nodes:
            _assert_refuses_strangers(node.port)
        replica = cluster.node_client(2).info("replication")
        assert replica["master_link_status"] == "up", "replicas authenticate to their master (masterauth)"


def test_the_secret_is_never_on_a_command_line(server: LocalRedis) -> None:
    for pid in (server.pid, *_children_of(server.pid)):
        assert server.password not in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    config = Path(server.folder) / "redis.conf"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(server.folder).stat().st_mode) == 0o700
    assert server.password in config.read_text()
    password_file = Path(server.password_file)
    assert password_file.parent == Path(server.folder)
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert password_file.read_text() == server.password, "what a terminal reads into REDISCLI_AUTH"


def _children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def test_debug_and_module_commands_are_off_even_for_the_owner(server: LocalRedis) -> None:
    owner = server.client()
    for command in (("DEBUG", "SLEEP", "0"), ("MODULE", "LOAD", "/nonexistent/evil.so")):
        with pytest.raises(redis.ResponseError, match="not allowed"):
            owner.execute_command(*command)


def test_two_servers_have_two_secrets() -> None:
    with LocalRedis() as first, LocalRedis() as second:
        assert first.password != second.password
        with pytest.raises(redis.AuthenticationError):
            _stranger(second.port, first.password).ping()


@pytest.mark.parametrize("url, shown", [
    ("redis://:s3cret@127.0.0.1:6380/0", "redis://:***@127.0.0.1:6380/0"),
    ("redis://default:s3cret@127.0.0.1:6380", "redis://default:***@127.0.0.1:6380"),
    ("rediss://alice:s3cret@example.test:6380", "rediss://alice:***@example.test:6380"),
    ("redis://127.0.0.1:6380", "redis://127.0.0.1:6380"),
    ("unix:///tmp/redis.sock?db=1&password=s3cret", "unix:///tmp/redis.sock?db=1&password=***"),
])
def test_urls_are_shown_without_their_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_no_view_shows_the_password_of_a_user_supplied_url(server: LocalRedis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", server.url)
    hub = pubsub_kit.connect()
    try:
        hub.subscribe("listener", ["orders:new"])
        hub.publish("orders:new", {"id": 1})
        hub.wait_until_delivered()
        report = "\n".join(f"{c.what} {c.detail} {c.fix}" for c in check_environment())
        views = [repr(hub), repr(server), json.dumps(hub.stats()), json.dumps(snapshot(hub), default=str), report]
        for text in views:
            assert server.password not in text
        assert "***" in repr(hub) and "***" in report
    finally:
        hub.close()


def test_a_failed_publish_does_not_show_the_password(server: LocalRedis) -> None:
    hub = RedisPubSubHub(url=server.url)
    server.close()
    try:
        with pytest.raises(redis.RedisError) as caught:
            hub.publish("orders:new", {"id": 1})
        assert server.password not in str(caught.value)
        assert server.password not in json.dumps(hub.stats())
    finally:
        hub.close()


def test_the_environment_check_really_connects_to_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    with LocalRedis() as server:
        url = server.url
    monkeypatch.setenv("REDIS_URL", url)
    check = next(c for c in check_environment() if c.what == "Redis server")
    assert not check.ok and "did not answer" in check.detail
    assert os.environ["REDIS_URL"].split("@")[0].split(":")[-1] not in check.detail + check.fix
