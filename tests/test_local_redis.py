"""The private server: found the documented way, loopback only, and never left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
import redis

import pubsub_kit
from pubsub_kit import LocalRedis

from .conftest import process_gone, wait_until

REPO = Path(__file__).resolve().parents[1]


def run_owner(code: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """A separate Python process that owns a LocalRedis and prints its pid and folder."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=REPO, env={**os.environ, **(env or {})},
    )


OWNER = """
    import sys, pubsub_kit
    server = pubsub_kit.LocalRedis()
    print(server.pid, server.folder, flush=True)
    sys.stdin.readline()
"""


def test_server_answers_on_loopback_only(server: LocalRedis) -> None:
    client = redis.Redis.from_url(server.url)
    assert client.ping()
    assert client.config_get("bind")["bind"] == "127.0.0.1"
    assert server.url == f"redis://default:{server.password}@127.0.0.1:{server.port}"
    assert server.port != 6379


def test_server_keeps_no_rdb_or_aof_files(server: LocalRedis) -> None:
    client = redis.Redis.from_url(server.url)
    assert client.config_get("save")["save"] == ""
    assert client.config_get("appendonly")["appendonly"] == "no"
    assert client.config_get("dir")["dir"] == os.path.realpath(server.folder)


def test_close_stops_the_server_and_removes_its_folder() -> None:
    server = LocalRedis()
    pid, folder = server.pid, server.folder
    server.close()
    assert process_gone(pid)
    assert not os.path.exists(folder)
    server.close()


def test_two_owners_get_two_servers() -> None:
    with LocalRedis() as first, LocalRedis() as second:
        assert first.port != second.port
        assert first.pid != second.pid
        redis.Redis.from_url(first.url).set("who", "first")
        assert redis.Redis.from_url(second.url).get("who") is None


def test_server_is_gone_after_interpreter_exit() -> None:
    owner = run_owner(OWNER)
    pid, folder = owner.stdout.readline().split()
    owner.communicate("\n", timeout=10)
    assert owner.returncode == 0
    assert wait_until(lambda: process_gone(int(pid)), timeout=2)
    assert not os.path.exists(folder)


def test_server_is_gone_after_its_owner_is_killed() -> None:
    owner = run_owner(OWNER)
    pid, folder = owner.stdout.readline().split()
    assert not process_gone(int(pid))
    owner.send_signal(signal.SIGKILL)
    owner.wait(timeout=5)
    assert wait_until(lambda: process_gone(int(pid)), timeout=2), "redis-server outlived its killed owner"
    assert wait_until(lambda: not os.path.exists(folder), timeout=2)


def test_server_survives_a_kernel_interrupt_sent_to_the_process_group() -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(OWNER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, cwd=REPO, start_new_session=True,
    )
    pid, _ = owner.stdout.readline().split()
    os.killpg(owner.pid, signal.SIGINT)
    owner.wait(timeout=5)
    assert wait_until(lambda: process_gone(int(pid)), timeout=2)


def test_redis_url_is_used_and_no_private_server_is_started(server: LocalRedis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", server.url + "/2")
    before = _redis_children()
    hub = pubsub_kit.connect()
    try:
        assert hub.server is None
        assert _redis_children() == before
        hub.redis.set("marker", "1")
        assert redis.Redis.from_url(server.url, db=2).get("marker") == b"1"
    finally:
        hub.close()
    assert redis.Redis.from_url(server.url).ping(), "close() must not stop a server the hub does not own"


def test_connect_without_url_starts_a_private_server_that_only_close_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    hub = pubsub_kit.connect()
    pid = hub.server.pid
    assert hub.redis.ping()
    hub.shutdown()
    assert not process_gone(pid), "shutdown() leaves the hub usable, so its server keeps running"
    assert hub.publish("c", 1) == 0
    hub.close()
    assert wait_until(lambda: process_gone(pid), timeout=2)


def test_version_and_product_are_reported(server: LocalRedis) -> None:
    info = redis.Redis.from_url(server.url).info("server")
    assert server.version == info["redis_version"]
    assert server.version_at_least(7, 0), "discovery prefers a server with sharded pub/sub"
    product = "Valkey" if info.get("server_name") == "valkey" else "Redis"
    assert server.describe() == f"{product} {info.get('valkey_version', info['redis_version'])}"


def _redis_children() -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=,comm=", "--ppid", str(os.getpid())], capture_output=True, text=True)
    return {int(line.split()[0]) for line in out.stdout.splitlines() if line.split()[1] in ("redis-server", "valkey-server")}


def test_a_temp_folder_with_spaces_in_its_path_works(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spaced = tmp_path / "Application Support"
    spaced.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spaced))
    with LocalRedis() as server:
        assert server.folder.startswith(str(spaced))
        assert server.client().config_get("dir")["dir"] == os.path.realpath(server.folder)
