"""python -m pubsub_kit.room [--host ADDRESS] [--port 7000] [--web-port 8096]: run a room for a class."""

from __future__ import annotations

import argparse
import threading

from ..local import LOOPBACK
from .facilitator import Room
from .page import RoomPage


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pubsub_kit.room", description=__doc__.split(": ", 1)[1])
    parser.add_argument("--host", default=LOOPBACK,
                        help="the one address learners reach (default 127.0.0.1: this machine only); give the "
                             "workshop network's address of this laptop, e.g. 192.168.1.20 (see docs/room.md)")
    parser.add_argument("--port", type=int, default=None, help="the room server's port (default: a free one)")
    parser.add_argument("--web-port", type=int, default=8096, help="the projector page, on 127.0.0.1 (default 8096)")
    parser.add_argument("--max-learners", type=int, default=60)
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    main()
