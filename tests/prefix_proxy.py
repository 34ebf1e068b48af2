"""A path-prefix proxy like jupyter-server-proxy: ``/proxy/<port>/x`` is forwarded to ``127.0.0.1:<port>/x``."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class _Forward(BaseHTTPRequestHandler):
    server: "PrefixProxy"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def _forward(self) -> None:
        prefix = f"/proxy/{self.server.target_port}"
        if not self.path.startswith(prefix + "/"):
            self.send_error(404, f"only {prefix}/ is proxied")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.target_port, timeout=10)
        try:
            upstream.request(self.command, self.path[len(prefix):], body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            upstream.close()

    do_GET = do_POST = _forward


class PrefixProxy(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        super().__init__(("127.0.0.1", 0), _Forward)
        self._thread = threading.Thread(target=self.serve_forever, name="test:prefix-proxy", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/proxy/{self.target_port}/"

    def close(self) -> None:
        self.shutdown()
        self._thread.join(timeout=5)
        self.server_close()
