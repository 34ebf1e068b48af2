"""The kit's own prompt (python -m pubsub_kit.cli) stands in for redis-cli where none is installed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from pubsub_kit import LocalCluster, LocalRedis, RedisPubSubHub
from pubsub_kit.resp import Error, Status, show, split_args

from .conftest import wait_until
from .terminal import Running, redis_cli_or_skip

PROMPT = [sys.executable, "-m", "pubsub_kit.cli"]


def authed(server: LocalRedis) -> dict[str, str]:
    """The environment a terminal gets from REDISCLI_AUTH="$(cat password)"."""
    return {**os.environ, "REDISCLI_AUTH": server.password}


def run_lines(argv: list[str], lines: str, env: dict[str, str]) -> str:
    return subprocess.run(argv, input=lines, capture_output=True, text=True, env=env, timeout=30).stdout


def test_replies_look_as_in_redis_cli() -> None:
    assert show(Status("OK")) == "OK"
    assert show(Error("ERR wrong")) == "(error) ERR wrong"
    assert show(3) == "(integer) 3"
    assert show(None) == "(nil)"
    assert show(b'{"id":1}\n\x00') == '"{\\"id\\":1}\\n\\x00"'
    assert show([]) == "(empty array)"
    assert show([b"message", b"orders:new", [1, []]]) == (
        '1) "message"\n2) "orders:new"\n3) 1) (integer) 1\n   2) (empty array)')
    assert show([b"x"] * 10).splitlines()[0] == ' 1) "x"', "indexes are right-aligned"


def test_typed_lines_split_as_in_redis_cli() -> None:
    assert split_args("""PUBLISH orders:new '{"id": 1}'""") == [b"PUBLISH", b"orders:new", b'{"id": 1}']
    assert split_args(r'SET k "tab\there \x41" ""') == [b"SET", b"k", b"tab\there A", b""]
    assert split_args(r"SET k 'it\'s'") == [b"SET", b"k", b"it's"]
    for bad in ('GET "open', 'GET "a"b'):
        with pytest.raises(ValueError):
            split_args(bad)


def test_prompt_prints_what_redis_cli_prints(server: LocalRedis) -> None:
    """Same commands through apt's redis-cli (forced to its terminal style) and the prompt: same text."""
    lines = ('SET greeting "hi\\tthere"\nGET greeting\nGET nothing-here\nRPUSH letters a b\n'
             'LRANGE letters 0 -1\nLRANGE nothing-here 0 -1\nPUBSUB NUMSUB a b\nNOSUCHCOMMAND\nPING\n'
             'SELECT 1\nGET greeting\n')
    ours = run_lines([*PROMPT, "-p", str(server.port)], lines, authed(server))
    assert ours.splitlines()[:5] == ["OK", '"hi\\tthere"', "(nil)", "(integer) 2", '1) "a"']
    server.client().flushall()
    theirs = run_lines([redis_cli_or_skip(), "--no-raw", "-p", str(server.port)], lines, authed(server))
    assert ours == theirs


def test_prompt_streams_a_subscription_until_its_input_ends(server: LocalRedis, hub: RedisPubSubHub) -> None:
    prompt = Running([*PROMPT, "-h", "127.0.0.1", "-p", str(server.port)], env=authed(server))
    try:
        prompt.type("SUBSCRIBE orders:new\n")
        prompt.wait_for("(integer) 1")
        assert hub.publish("orders:new", {"id": 7}) == 1
        payload = prompt.wait_for('"data\\":{\\"id\\":7}')
        assert payload.startswith('3) "{\\"kit\\":'), "the raw message, in the hub's envelope, as redis-cli shows it"
        assert prompt.finish() == 0, "the end of its input ends the subscription, like Ctrl-D"
    finally:
        prompt.stop()
    assert prompt.lines[:5] == ["Reading messages... (press Ctrl-C to quit)", '1) "subscribe"', '2) "orders:new"',
                                "3) (integer) 1", '1) "message"']
    assert server.password not in "\n".join(prompt.lines)


@pytest.mark.parametrize("command, publish, kind", [
    (["PSUBSCRIBE", "orders:*"], "PUBLISH", "pmessage"),
    (["SSUBSCRIBE", "orders:new"], "SPUBLISH", "smessage"),
])
def test_prompt_streams_patterns_and_shard_channels_until_ctrl_c(
        server: LocalRedis, command: list[str], publish: str, kind: str) -> None:
    prompt = Running([*PROMPT, "-p", str(server.port), *command], env=authed(server))
    try:
        prompt.wait_for("(integer) 1")
        assert server.client().execute_command(publish, "orders:new", "hello") == 1
        prompt.wait_for('"hello"')
        os.killpg(prompt.proc.pid, signal.SIGINT)
        assert prompt.proc.wait(timeout=10) == 0, "Ctrl-C ends the stream quietly"
    finally:
        prompt.stop()
    assert f'1) "{kind}"' in prompt.lines


def test_prompt_follows_the_slot_to_its_node_in_cluster_mode() -> None:
    with LocalCluster(masters=3) as cluster:
        client = cluster.client()
        owner = client.get_node_from_key("{orders}:new").port
        elsewhere = next(n.port for n in cluster.nodes if n.port != owner)
        env = {**os.environ, "REDISCLI_AUTH": cluster.password}
        prompt = Running([*PROMPT, "-c", "-p", str(elsewhere), "SSUBSCRIBE", "{orders}:new"], env=env)
        try:
            prompt.wait_for(f"located at 127.0.0.1:{owner}")
            prompt.wait_for("(integer) 1")
            assert client.spublish("{orders}:new", json.dumps({"id": 1})) == 1
            prompt.wait_for('\\"id\\": 1')
        finally:
            prompt.stop()
            client.close()


def test_a_wrong_password_is_refused_and_never_shown(server: LocalRedis) -> None:
    result = subprocess.run([*PROMPT, "-p", str(server.port), "PING"], capture_output=True, text=True,
                            env={**os.environ, "REDISCLI_AUTH": "not-the-password"}, timeout=30)
    assert result.returncode == 1
    assert "AUTH failed" in result.stderr and "REDISCLI_AUTH" in result.stderr
    assert "not-the-password" not in result.stdout + result.stderr


def test_a_password_on_the_command_line_works_but_is_warned_about(server: LocalRedis) -> None:
    result = subprocess.run([*PROMPT, "-u", server.url, "PING"], capture_output=True, text=True, timeout=30)
    assert result.stdout == "PONG\n"
    assert "may not be safe" in result.stderr


def test_nothing_listening_is_said_plainly() -> None:
    result = subprocess.run([*PROMPT, "-p", "1", "PING"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert result.stderr.startswith("Could not connect to Redis at 127.0.0.1:1: ")


def test_a_subscription_ends_when_the_server_goes(server: LocalRedis) -> None:
    prompt = Running([*PROMPT, "-p", str(server.port), "SUBSCRIBE", "orders:new"], env=authed(server))
    try:
        prompt.wait_for("(integer) 1")
        server.close()
        assert wait_until(lambda: prompt.proc.poll() is not None, timeout=10)
        assert prompt.proc.returncode == 1
        prompt.wait_for("the server closed the connection")
    finally:
        prompt.stop()


def test_monitor_streams_the_commands_others_send(server: LocalRedis) -> None:
    prompt = Running([*PROMPT, "-p", str(server.port), "MONITOR"], env=authed(server))
    try:
        prompt.wait_for("OK")
        server.client().set("seen-by-monitor", 1)  # MONITOR has answered OK: it sees what follows
        assert prompt.wait_for("seen-by-monitor").lower().endswith('"set" "seen-by-monitor" "1"')
    finally:
        prompt.stop()
    assert "Reading messages... (press Ctrl-C to quit)" not in prompt.lines
