"""A local /search server that misbehaves on purpose, recording when each request came.

``behaviour(n, params)`` decides the answer to the n-th request (0-based): one of
``ok``, ``empty``, ``429:<retry-after>``, ``5xx``, ``sleep:<seconds>``, ``malformed``,
``badshape``, ``badpoint``, ``400``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

FEATURE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [5.62868, 46.2421]},
    "properties": {
        "label": "10 Place de l'Hôtel de Ville 01100 Bellignat",
        "score": 0.93,
        "housenumber": "10",
        "type": "housenumber",
        "name": "10 Place de l'Hôtel de Ville",
        "postcode": "01100",
        "citycode": "01031",
        "city": "Bellignat",
    },
}


class FaultServer:
    def __init__(self, behaviour: Callable[[int, dict], str]) -> None:
        self.behaviour = behaviour
        self.arrivals: list[float] = []  # time.monotonic() of each request, server side
        self.answers: list[str] = []
        self._lock = threading.Lock()

    def count(self, answer: str | None = None) -> int:
        with self._lock:
            return len(self.answers) if answer is None else self.answers.count(answer)

    def max_in_window(self, window: float = 1.0) -> int:
        """The most requests that arrived within any ``window`` seconds."""
        times = sorted(self.arrivals)
        best, j = 0, 0
        for i, t in enumerate(times):
            while times[j] < t - window:
                j += 1
            # arrivals in [t - window, t]; a closed window is the strictest reading
            best = max(best, i - j + 1)
        return best


def _handler(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            now = time.monotonic()
            url = urlparse(self.path)
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            with server._lock:
                n = len(server.arrivals)
                server.arrivals.append(now)
                answer = server.behaviour(n, params)
                server.answers.append(answer)
            kind, _, arg = answer.partition(":")
            if kind == "sleep":
                time.sleep(float(arg))
                kind = "ok"
            if kind == "ok":
                self._send(200, json.dumps({"type": "FeatureCollection", "features": [FEATURE]}))
            elif kind == "empty":
                self._send(200, json.dumps({"type": "FeatureCollection", "features": []}))
            elif kind == "429":
                self._send(429, '{"message": "too many requests"}', {"Retry-After": arg})
            elif kind == "5xx":
                self._send(503, "<html>Service Unavailable</html>", ctype="text/html")
            elif kind == "malformed":
                self._send(200, '{"type": "FeatureCollection", "features": [')
            elif kind == "badshape":
                self._send(200, json.dumps({"features": [{"geometry": None}]}))
            elif kind == "badpoint":
                bad = {**FEATURE, "geometry": {"type": "Point", "coordinates": [512.0, 46.2]}}
                self._send(200, json.dumps({"type": "FeatureCollection", "features": [bad]}))
            elif kind == "400":
                self._send(400, '{"code": 400, "message": "q must contain 3 chars"}')
            else:
                raise AssertionError(answer)

        def _send(self, status: int, body: str, headers=None, ctype="application/json") -> None:
            data = body.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out first

    return Handler


@contextmanager
def fault_server(behaviour: Callable[[int, dict], str]) -> Iterator[tuple[str, FaultServer]]:
    state = FaultServer(behaviour)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        httpd.shutdown()
        httpd.server_close()
