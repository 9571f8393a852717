"""Notifications go out through apprise, and a notifier that is down never slows a decision."""

from __future__ import annotations

import json
import select
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
    deadline = time.monotonic() + 30  # a generous ceiling on a state wait
    while not seen and time.monotonic() < deadline:
        time.sleep(0.1)
    server.shutdown()
    assert seen, "no notification arrived"
    assert "deploy-bot" in str(seen[0]["title"]) and out["url"] in str(seen[0]["message"])


class _Hung:
    """A notifier endpoint that takes each request, records it, and never answers until
    released: ``contacted`` is set when a notification arrived, ``abandoned`` if its
    sender gave up waiting (closed the connection) before the release."""

    def __init__(self) -> None:
        self.requests: list[dict[str, object]] = []
        self.contacted = threading.Event()
        self.abandoned = threading.Event()
        self.release = threading.Event()
        hung = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                hung.requests.append(json.loads(body))
                hung.contacted.set()
                while not hung.release.wait(0.05):
                    readable, _, _ = select.select([self.connection], [], [], 0)
                    if readable and not self.connection.recv(1, socket.MSG_PEEK):
                        hung.abandoned.set()  # the sender closed its end: it gave up
                        return
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_hung_notifier_never_blocks_a_decision(make_airlock) -> None:  # type: ignore[no-untyped-def]
    """The notifier's endpoint takes the first notification and never answers (and the
    sender would wait 10 minutes for it: rto/cto): every decision still comes back while
    that notification is demonstrably in flight, not after the sender gave up."""
    hung = _Hung()
    airlock: Airlock = make_airlock(config=f"""
        [notify]
        urls = ["json://127.0.0.1:{hung.port}/hook?rto=600&cto=600"]
        """)
    try:
        airlock.start()
        token = airlock.token("deploy-bot")
        # the harness's submit gives up after 30 s: a decision that waited for this
        # notification (600 s) would fail here
        first = airlock.submit(token, "rm -rf /srv/slow0")
        assert first["decision"] == "hold"
        assert hung.contacted.wait(60), "the notifier was never contacted"
        assert "deploy-bot" in str(hung.requests[0]["title"])
        for i in range(1, 4):  # while the notification hangs, decisions keep coming
            out = airlock.submit(token, f"rm -rf /srv/slow{i}")
            assert out["decision"] == "hold" and out["request"] != first["request"]
        # still in flight: the sender neither gave up nor moved on to the next message
        assert not hung.abandoned.is_set() and len(hung.requests) == 1, hung.requests
    finally:
        hung.close()
