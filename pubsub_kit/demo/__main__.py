"""python -m pubsub_kit.demo [--host 127.0.0.1] [--port 8095] [--redis-url URL | --redis-host H --redis-port P]"""

from __future__ import annotations

import argparse

from ..hub import RedisPubSubHub
from .server import DemoServer

MAX_SUBSCRIPTIONS = 50
MAX_QUEUE = 500  # per subscriber: Slow callback on every subscriber cannot queue gigabytes of 16 KB messages


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m pubsub_kit.demo", description="Redis pub/sub, live in your browser.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8095, help="port to listen on (default: 8095)")
    parser.add_argument("--redis-url", help="use this Redis (default: $REDIS_URL, else a private server); "
                        "prefer $REDIS_URL for a password, since every local user can read a command line")
    parser.add_argument("--redis-host", help="use Redis on this host (with --redis-port)")
    parser.add_argument("--redis-port", type=int, default=6379, help="with --redis-host (default: 6379)")
    args = parser.parse_args()
    url = args.redis_url or (f"redis://{args.redis_host}:{args.redis_port}" if args.redis_host else None)

    hub = RedisPubSubHub(url=url, max_subscriptions=MAX_SUBSCRIPTIONS, max_queue=MAX_QUEUE)
    server = DemoServer(hub, args.host, args.port)
    try:
        server.playground.reset()
        where = f"a private server, {hub.server.describe()}, at {hub.display_url}" if hub.server else hub.display_url
        print(f"pubsub_kit demo listening on {server.url}", flush=True)
        print(f"Redis: {where}", flush=True)
        print(f"seeded {len(hub.subscriptions())} default subscriptions; Ctrl-C to stop", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        hub.close()


if __name__ == "__main__":
    main()
