"""A notebook kernel's private server goes away when the kernel restarts or is killed."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_client.manager import KernelManager

from .conftest import process_gone, wait_until

REPO = Path(__file__).resolve().parents[1]


def start_kernel() -> KernelManager:
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(REPO), env={**os.environ, "REDIS_URL": ""})
    return manager


def server_pid(manager: KernelManager) -> int:
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=30)
        found: list[str] = []
        reply = client.execute_interactive(
            "import pubsub_kit\nhub = pubsub_kit.connect()\nprint(hub.server.pid)",
            timeout=30,
            output_hook=lambda msg: found.append(msg["content"].get("text", "")),
        )
        assert reply["content"]["status"] == "ok"
        return int("".join(found).strip())
    finally:
        client.stop_channels()


def test_restarting_the_kernel_stops_its_server() -> None:
    manager = start_kernel()
    try:
        first = server_pid(manager)
        manager.restart_kernel(now=False)
        assert wait_until(lambda: process_gone(first), timeout=5)
        second = server_pid(manager)
        assert second != first and not process_gone(second)
    finally:
        manager.shutdown_kernel(now=True)
    assert wait_until(lambda: process_gone(second), timeout=5), "killing the kernel must stop its server"


def test_two_kernels_get_two_servers() -> None:
    first, second = start_kernel(), start_kernel()
    try:
        assert server_pid(first) != server_pid(second)
    finally:
        first.shutdown_kernel(now=True)
        second.shutdown_kernel(now=True)
