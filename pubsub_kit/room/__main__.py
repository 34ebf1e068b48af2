"""python -m pubsub_kit.room (or pubsub-kit room) [--host ADDRESS] [--port 7000] [--web-port 8096]: run a room."""

from __future__ import annotations

import argparse
import threading

from ..local import LOOPBACK
from .facilitator import Room
from .page import RoomPage


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=LOOPBACK,
                        help="the one address learners reach (default 127.0.0.1: this machine only); give the "
                             "workshop network's address of this laptop, e.g. 192.168.1.20 (see docs/room.md)")
    parser.add_argument("--port", type=int, default=None, help="the room server's port (default: a free one)")
    parser.add_argument("--web-port", type=int, default=8096, help="the projector page, on 127.0.0.1 (default 8096)")
    parser.add_argument("--max-learners", type=int, default=60)


def run(args: argparse.Namespace) -> int:
    """Start the room and its projector page, print the join line, serve until Ctrl-C."""
    with Room(args.host, args.port, max_learners=args.max_learners) as room:
        page = RoomPage(room, port=args.web_port).start()
        try:
            print(f"room server: {room.server.describe()} on {room.server.host}:{room.server.port}", flush=True)
            print(f"projector page: {page.url}room", flush=True)
            print("learners join with:", flush=True)
            print(f'    hub = pubsub_kit.connect(room="{room.join_line}", name="YOUR-NAME")', flush=True)
            print("Ctrl-C stops the room (every learner is disconnected)", flush=True)
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            page.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pubsub_kit.room", description="Run a room for a class.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
