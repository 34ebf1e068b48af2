"""Private redis-server processes: one per owner, on loopback, locked to it, gone when it is.

Every notebook kernel gets its own clean server, so server-wide numbers such as
``PUBSUB NUMPAT`` describe only that lesson, and nobody has to install or start
Redis by hand. Other users of a shared host (a JupyterHub machine) cannot use
it: the server asks for a random password that only the owner knows, kept in
0600 files inside a 0700 folder (the config, and ``password`` for a terminal's
``REDISCLI_AUTH``), never on a command line that ``ps`` shows.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from pathlib import Path
from typing import Sequence

import redis

from .discovery import RedisServerNotFound, ServerBinary, find_redis_server, inspect_binary, server_label
from .redact import redact_url

LOOPBACK = "127.0.0.1"
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0

__all__ = ["LocalRedis", "RedisServerFailed", "RedisServerNotFound", "free_port", "LOOPBACK"]


class RedisServerFailed(RuntimeError):
    """A server binary was found but the private server did not start."""


def server_config(binary: ServerBinary, folder: str, password: str, host: str = LOOPBACK) -> str:
    """The config file's text: one address (loopback unless named), nothing on disk, a password, no DEBUG or MODULE.

    Redis 7 and Valkey switch DEBUG, MODULE and protected configs off by option;
    older servers do not know those options, so their commands are renamed away.
    """
    lines = [
        f"bind {host}",
        "protected-mode yes",
        'save ""',
        "appendonly no",
        "daemonize no",
        f'dir "{folder}"',  # quoted: a temp folder may have spaces in its path
        f'logfile "{Path(folder) / "redis.log"}"',
        f"requirepass {password}",
        f"masterauth {password}",
    ]
    if binary.version >= (7, 0):
        lines += ["enable-debug-command no", "enable-module-command no", "enable-protected-configs no"]
    else:
        lines += ['rename-command DEBUG ""', 'rename-command MODULE ""']
    return "\n".join(lines) + "\n"


def _write_private(path: Path, text: str) -> None:
    """Create ``path`` readable by its owner only, before a byte of the secret is written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port on ``host`` (loopback by default) that nothing listens on right now (never 6379)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
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


def _wait_until_ready(proc: subprocess.Popen, host: str, port: int, log: Path) -> None:
    """Return once the server answers on ``port``; raise with its log if it died or hung.

    An unauthenticated PING is answered ``-NOAUTH``: that proves a server listens.
    Which server it is, is proved afterwards by ``INFO``'s ``process_id``.
    """
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RedisServerFailed(
                f"the server exited with code {proc.returncode} while starting on port {port}.\n"
                f"Its log says:\n{_tail(log)}"
            )
        try:
            with socket.create_connection((host, port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith((b"+PONG", b"-NOAUTH")):
                    return
        except OSError:
            pass
        time.sleep(0.002)
    raise RedisServerFailed(
        f"the server did not answer on port {port} within {START_TIMEOUT_S:.0f} s.\n{_tail(log)}"
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
    """A private server on 127.0.0.1 that lives exactly as long as its owner and answers only it.

    Use it as a context manager or call ``close()``; it is also stopped at
    interpreter exit, and by a watchdog process if the owner is killed.
    ``url`` carries the password (give it to redis-py); show ``display_url``.
    ``host`` and ``port`` are for a room server a class reaches (room/): one
    address, named on purpose, never every interface by default.
    """

    def __init__(self, binary: str | None = None, args: Sequence[str] = (), password: str | None = None,
                 *, host: str = LOOPBACK, port: int | None = None) -> None:
        found = inspect_binary(binary, "the caller named it") if binary else find_redis_server()
        self.host = host
        self.binary = found.path
        self.binary_source = found.source
        self.password = password or secrets.token_urlsafe(24)
        self.folder = tempfile.mkdtemp(prefix="pubsub_kit-redis-")
        try:
            self.config_file = str(Path(self.folder) / "redis.conf")
            _write_private(Path(self.config_file), server_config(found, self.folder, self.password, host))
            # For a terminal beside the notebook: REDISCLI_AUTH="$(cat FILE)" redis-cli -p PORT
            self.password_file = str(Path(self.folder) / "password")
            _write_private(Path(self.password_file), self.password)
            self._proc, self.port = self._start(self.config_file, list(args), port)
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
        try:
            self.version, self.label = self._check_identity()
        except BaseException:
            self.close()
            raise

    def _start(self, config: str, extra: list[str], fixed_port: int | None) -> tuple[subprocess.Popen, int]:
        log = Path(self.folder) / "redis.log"
        attempts_left = 1 if fixed_port else 5
        while True:
            attempts_left -= 1
            port = fixed_port or free_port(self.host)
            # Only the port and non-secret options go on the command line: ``ps`` shows it to everyone.
            cmd = [self.binary, config, "--port", str(port), *extra]
            # A new session keeps Ctrl-C / Jupyter's "interrupt kernel" (sent to the
            # whole process group) from killing the server under the owner's feet.
            proc = subprocess.Popen(
                cmd, cwd=self.folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True,
            )
            try:
                _wait_until_ready(proc, self.host, port, log)
                return proc, port
            except RedisServerFailed:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
                if "Address already in use" not in _tail(log) or not attempts_left:
                    raise

    def _check_identity(self) -> tuple[str, str]:
        """(redis_version, the product's own version); refuse a port another process answered on."""
        client = self.client(socket_timeout=2.0)
        try:
            info = client.info("server")
        finally:
            client.close()
        if int(info.get("process_id", -1)) != self._proc.pid:
            raise RedisServerFailed(f"another process answered on port {self.port}; try again")
        return str(info["redis_version"]), server_label(info)

    def client(self, **options: object) -> redis.Redis:
        """A redis-py client of this server, password included, as a learner would make one."""
        return redis.Redis(host=self.host, port=self.port, password=self.password, **options)

    @property
    def url(self) -> str:
        """The URL to connect with; it carries the password, so never print it: see ``display_url``.

        It names the ``default`` user: redis-cli >= 6.2 refuses a URL with an empty user name.
        """
        return f"redis://default:{self.password}@{self.host}:{self.port}"

    @property
    def display_url(self) -> str:
        return redact_url(self.url)

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

    def version_at_least(self, major: int, minor: int = 0) -> bool:
        """True when this server speaks at least Redis ``major.minor``, e.g. ``(7, 0)`` for sharded pub/sub."""
        parts = [int(p) for p in self.version.split(".")[:2] if p.isdigit()]
        return tuple(parts) >= (major, minor)

    def describe(self) -> str:
        """What runs, e.g. "Valkey 9.1.2" or "Redis 7.0.15"."""
        return self.label

    def close(self) -> None:
        """Stop the server and remove its folder; safe to call twice."""
        self._finalizer()

    def __enter__(self) -> "LocalRedis":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<LocalRedis {self.display_url} {self.describe()} pid={self.pid} {state}>"
