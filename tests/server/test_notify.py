"""Notifications go out through apprise, and a notifier that is down never slows a decision."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.server.harness import Airlock


def _recorder() -> tuple[ThreadingHTTPServer, list[dict[str, object]]]:
    seen: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            seen.append(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def test_new_hold_is_notified_through_apprise(make_airlock) -> None:  # type: ignore[no-untyped-def]
    server, seen = _recorder()
    port = server.server_address[1]
    airlock: Airlock = make_airlock(config=f"""
        [notify]
        urls = ["json://127.0.0.1:{port}/hook"]
        """)
    airlock.start()
    out = airlock.submit(airlock.token("deploy-bot"), "rm -rf /srv/notify-me")
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        time.sleep(0.1)
    server.shutdown()
    assert seen, "no notification arrived"
    assert "deploy-bot" in str(seen[0]["title"]) and out["url"] in str(seen[0]["message"])


def test_a_hung_notifier_never_blocks_a_decision(make_airlock) -> None:  # type: ignore[no-untyped-def]
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)  # accepts connections, never answers
    port = hung.getsockname()[1]
    airlock: Airlock = make_airlock(config=f"""
        [notify]
        urls = ["json://127.0.0.1:{port}/hook"]
        """)
    airlock.start()
    token = airlock.token()
    took = []
    for i in range(4):
        started = time.monotonic()
        assert airlock.submit(token, f"rm -rf /srv/slow{i}")["decision"] == "hold"
        took.append(time.monotonic() - started)
    hung.close()
    assert max(took) < 1.0, took
