"""Start a command that opens JupyterLab, prove it serves the lessons on 127.0.0.1 only, then stop it.

    python tools/check_lab.py [--cwd DIR] [--expect FILE ...] -- COMMAND ...

CI uses it for every route that ends in JupyterLab (the README's commands without make, the
installed wheel's `pubsub-kit lab`). Standard library only: it runs in any fresh venv.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

URL = re.compile(r"http://(127\.0\.0\.1):(\d+)/lab\?token=(\w+)")
START_TIMEOUT_S = 120.0


def listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp{,6} writes them) of sockets listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, _, hex_port = local.rpartition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def _contents(url: str, deadline: float) -> set[str]:
    """The names in JupyterLab's root folder; it may print its address a moment before it listens."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=30) as answer:
                return {item["name"] for item in json.load(answer)["content"]}
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def check(command: list[str], cwd: str | None, expect: list[str]) -> str:
    """Run ``command`` until JupyterLab answers; return what was proved, or raise with its output."""
    started = time.monotonic()
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line)
            if URL.search(line):
                found.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not found.wait(START_TIMEOUT_S):
            raise RuntimeError(f"JupyterLab printed no http://127.0.0.1 address within {START_TIMEOUT_S:.0f} s")
        host, port, token = URL.search("".join(lines)).groups()
        names = _contents(f"http://{host}:{port}/api/contents?token={token}", started + START_TIMEOUT_S)
        missing = [name for name in expect if name not in names]
        if missing:
            raise RuntimeError(f"JupyterLab's folder lacks {missing}; it holds {sorted(names)}")
        addresses = listening_addresses(int(port))
        if addresses and addresses != {"0100007F"}:
            raise RuntimeError(f"JupyterLab listens beyond 127.0.0.1: {addresses}")
        return (f"JupyterLab answered on 127.0.0.1:{port} after {time.monotonic() - started:.1f} s, "
                f"serving {len(names)} entries including {', '.join(expect) or 'its folder'}")
    except BaseException:
        print("".join(lines), file=sys.stderr)
        raise
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the session this tool started, and only that
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        reader.join(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cwd", help="folder to run the command in")
    parser.add_argument("--expect", action="append", default=[], help="a file JupyterLab's folder must hold")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command after --")
    print(check(command, args.cwd, args.expect))
    return 0


if __name__ == "__main__":
    sys.exit(main())
