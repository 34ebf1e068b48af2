"""pubsub_kit.redis_cli(hub): the line a learner types beside the notebook, its password never seen."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import pubsub_kit
from pubsub_kit import LocalCluster, LocalRedis, RedisPubSubHub

from .conftest import wait_until
from .terminal import CommandLineWatch, Running, redis_cli_or_skip

SHELL_ENV = {k: v for k, v in os.environ.items() if k not in ("REDISCLI_AUTH", "REDIS_URL")}


def every_view(line: pubsub_kit.terminal.TerminalCommand) -> str:
    return "\n".join([str(line), repr(line), line._repr_markdown_(), line.server, *line.notes])


def typed_in_a_shell(command: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The line run by bash as a terminal would, with a command appended (redis-cli runs it and exits)."""
    return subprocess.run(["bash", "-c", " ".join([command, *args])], capture_output=True, text=True,
                          env=env or SHELL_ENV, timeout=30)


@pytest.fixture(params=["redis-cli", "the kit's prompt"])
def program(request: pytest.FixtureRequest) -> str | None:
    """apt's redis-cli (found even where PATH hides it), or None: the kit's prompt, chosen by redis_cli()."""
    return redis_cli_or_skip() if request.param == "redis-cli" else None


def line_for(hub: RedisPubSubHub, program: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    if program is None:
        with monkeypatch.context() as empty_path:  # a machine with no redis-cli or valkey-cli at all
            empty_path.setenv("PATH", str(tmp_path))
            return pubsub_kit.redis_cli(hub)
    return pubsub_kit.redis_cli(hub, program=program)


def test_a_terminal_sees_what_the_hub_publishes_and_no_command_line_holds_the_password(
        hub: RedisPubSubHub, server: LocalRedis, program: str | None,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    line = line_for(hub, program, monkeypatch, tmp_path)
    assert server.password not in every_view(line)
    assert ("pubsub_kit.cli" if program is None else "redis-cli") in line.command
    with CommandLineWatch(server.password) as watch:
        terminal = Running(["bash"], env=SHELL_ENV)  # a learner's shell, reading what they type
        try:
            terminal.type(f"{line.command}\nSUBSCRIBE orders:new\n")
            admin = server.client()
            assert wait_until(lambda: admin.pubsub_numsub("orders:new")[0][1] == 1, timeout=15), terminal.lines
            assert hub.publish("orders:new", "hello-from-the-hub") == 1
            terminal.wait_for("hello-from-the-hub")
            cli_seen = [c for c in watch.seen if ("redis-cli" in c or "pubsub_kit.cli" in c) and "bash" not in c]
        finally:
            terminal.stop()
    assert cli_seen, "the scan ran while the CLI did"
    assert watch.offenders == [], "a command line held the password"
    assert server.password not in "\n".join(terminal.lines)


def test_the_line_for_a_cluster_uses_cluster_mode_on_a_running_node() -> None:
    with LocalCluster(masters=3) as cluster:
        line = pubsub_kit.redis_cli(cluster)
        assert " -c " in line.command and f"-p {cluster.nodes[0].port}" in line.command
        assert cluster.password not in every_view(line)
        for key in ("{a}", "{b}", "{c}"):  # keys on every master: -c follows each MOVED
            result = typed_in_a_shell(line.command, "SET", key, "1")
            assert result.stdout.strip().endswith("OK"), result.stdout + result.stderr
        cluster.stop_node(0)
        after = pubsub_kit.redis_cli(cluster)
        assert f"-p {cluster.nodes[1].port}" in after.command and cluster.nodes[1].password_file in after.command
        assert after.server == cluster.nodes[1].display_url
        assert typed_in_a_shell(after.command, "PING").stdout.strip() == "PONG"


def test_a_hub_on_redis_url_takes_the_password_from_that_variable(
        server: LocalRedis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", server.url)
    with pubsub_kit.connect() as hub:
        line = pubsub_kit.redis_cli(hub)
    assert server.password not in every_view(line)
    assert "$REDIS_URL" in repr(line) and "REDIS_URL" in line.command
    with CommandLineWatch(server.password) as watch:
        result = typed_in_a_shell(line.command, "PING", env={**SHELL_ENV, "REDIS_URL": server.url})
    assert result.stdout.strip() == "PONG", result.stderr
    assert watch.offenders == []
    unset = typed_in_a_shell(line.command, "PING")
    assert "set REDIS_URL in this terminal first" in unset.stderr


def test_a_password_only_the_code_knows_is_typed_at_a_hidden_prompt() -> None:
    line = pubsub_kit.redis_cli("rediss://alice:s3cret@example.test:6380/2", program="redis-cli")
    assert line.command == "redis-cli -h example.test -p 6380 --user alice -n 2 --tls --askpass"
    assert "s3cret" not in every_view(line)
    plain = pubsub_kit.redis_cli("redis://127.0.0.1:6380", program="redis-cli")
    assert plain.command == "redis-cli -h 127.0.0.1 -p 6380" and "--askpass" in repr(plain)


def test_what_cannot_work_is_said() -> None:
    with pytest.raises(ValueError, match="unix socket"):
        pubsub_kit.redis_cli("unix:///tmp/redis.sock?password=s3cret")
    server = LocalRedis()
    server.close()
    with pytest.raises(RuntimeError, match="has stopped"):
        pubsub_kit.redis_cli(server)
