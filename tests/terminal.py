"""What the terminal tests share: a CLI process read line by line, redis-cli found, command lines watched."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Sequence

import pytest

from pubsub_kit.redact import redact_text

# Where apt, Homebrew and source builds put redis-cli. CI's no-Redis run hides PATH's redis-* programs
# (.ci/path-without-redis) but installs apt's redis-tools, so the client is found here, not on PATH.
CLI_FOLDERS = ("/usr/bin", "/usr/local/bin", "/opt/homebrew/bin")


def redis_cli_or_skip() -> str:
    """The path of a redis-cli; a laptop without one skips, CI (which installs redis-tools) fails."""
    found = shutil.which("redis-cli") or next(
        (str(Path(folder) / "redis-cli") for folder in CLI_FOLDERS if (Path(folder) / "redis-cli").is_file()), None)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("CI installs redis-tools: no redis-cli was found on PATH or in " + ", ".join(CLI_FOLDERS))
    pytest.skip("no redis-cli here (apt-get install redis-tools, or brew install redis)")


class Running:
    """A process started in its own session, its output collected line by line by a thread."""

    def __init__(self, argv: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)
        self.lines: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._new.put(line.rstrip("\n"))

    def type(self, text: str) -> None:
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def wait_for(self, text: str, timeout: float = 10.0) -> str:
        """The first line (seen so far or arriving within ``timeout``) that contains ``text``."""
        deadline = time.monotonic() + timeout
        while True:
            found = next((line for line in self.lines if text in line), None)
            if found is not None:
                return found
            try:
                self.lines.append(self._new.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"no line with {text!r} within {timeout} s; output so far:\n"
                                     + "\n".join(self.lines)) from None

    def finish(self, timeout: float = 10.0) -> int:
        """Close its input and wait for it to exit by itself; return its exit code."""
        self.proc.stdin.close()
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout)
        while not self._new.empty():
            self.lines.append(self._new.get())
        return code

    def stop(self) -> None:
        """End the whole session this test started (a shell and the CLI it runs), by its id."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=10)
        self._reader.join(10)


class CommandLineWatch:
    """Reads every process's /proc/PID/cmdline over and over, noting any that holds ``secret``."""

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()
        self.offenders: list[str] = []
        self.seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    cmdline = (entry / "cmdline").read_bytes()
                except OSError:
                    continue  # it ended while we looked
                text = cmdline.replace(b"\0", b" ").decode(errors="replace")
                self.seen.add(redact_text(text, self.secret.decode()))
                if self.secret in cmdline:
                    self.offenders.append(redact_text(text, self.secret.decode()))

    def __enter__(self) -> "CommandLineWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
