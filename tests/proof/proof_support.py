"""Helpers of the proof tests."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Self

REPO = Path(__file__).resolve().parents[2]

#: the 2024 edition with its window still open (the shipped deadline has passed)
EDITION = REPO / "config" / "trial" / "2024-open.toml"


def proof_env(**extra: str) -> dict[str, str]:
    return {
        "EDITION_FILE": str(EDITION),
        "LOG_LEVEL": "WARNING",
        "TRUST_FORWARDED_FOR": "true",
        "TRUSTED_PROXIES": "127.0.0.1/32",  # the load generator plays the proxy
        **extra,
    }


class Tokens:
    """Operator tokens as the submission service expects them: name:sha256hex[@expiry]."""

    def __init__(self) -> None:
        self.valid = secrets.token_urlsafe(24)
        self.expired = secrets.token_urlsafe(24)

    @staticmethod
    def _h(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def env(self) -> str:
        return f"alice:{self._h(self.valid)},bob:{self._h(self.expired)}@2020-01-01"


class FlakyProxy:
    """An HTTP proxy in front of a real addok that answers 500 while ``failing`` is set.

    Counts what it served, so a test can show the failure really happened and ended.
    """

    def __init__(self, upstream: str) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        import httpx

        self.upstream = upstream.rstrip("/")
        self.failing = False
        self.served = {"500": 0, "forwarded": 0}
        lock = threading.Lock()
        proxy = self
        client = httpx.Client(timeout=10)

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                if proxy.failing:
                    with lock:
                        proxy.served["500"] += 1
                    body = b'{"error": "upstream failure (injected)"}'
                    self.send_response(500)
                else:
                    r = client.get(proxy.upstream + self.path)
                    with lock:
                        proxy.served["forwarded"] += 1
                    body = r.content
                    self.send_response(r.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
