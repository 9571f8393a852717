"""The agent side's client: the pin is trusted only when root's, and an answer counts only
when the kernel says the service's uid gave it."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from airlock.client import (
    Pin,
    PinError,
    ServiceDown,
    ask_service,
    load_pin,
    parse_pin,
    render_pin,
)

PIN = Pin(user="airlock", uid=999, gid=999, socket="/run/airlock/airlock.sock",
          url="http://127.0.0.1:875", config="/etc/airlock/airlock.toml",
          data_dir="/var/lib/airlock")


def test_a_pin_round_trips() -> None:
    back = parse_pin(render_pin(PIN))
    assert (back.user, back.uid, back.gid, back.socket, back.url, back.config,
            back.data_dir) == ("airlock", 999, 999, PIN.socket, PIN.url, PIN.config,
                               PIN.data_dir)


def test_no_pin_is_single_user_mode(tmp_path: Path) -> None:
    assert load_pin(str(tmp_path / "agent.conf")) is None


@pytest.mark.parametrize("text", ["user=airlock\n", render_pin(PIN).replace("uid=999", "uid=x"),
                                  "garbage\n"])
def test_a_malformed_pin_is_an_error_not_single_user_mode(tmp_path: Path, text: str) -> None:
    path = tmp_path / "agent.conf"
    path.write_text(text)
    with pytest.raises(PinError):
        parse_pin(path.read_text(), str(path))


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make files owned by others")
def test_a_pin_anyone_but_root_could_write_is_refused(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    os.chmod(tmp_path, 0o755)
    path = etc / "agent.conf"
    path.write_text(render_pin(PIN))
    os.chmod(path, 0o644)
    assert load_pin(str(path)) is not None  # root's, 0644, under root's dirs: trusted
    os.chmod(path, 0o666)
    with pytest.raises(PinError, match="writable by group or others"):
        load_pin(str(path))
    os.chmod(path, 0o644)
    os.chown(path, 65534, 65534)
    with pytest.raises(PinError, match="not root"):
        load_pin(str(path))
    os.chown(path, 0, 0)
    os.chmod(etc, 0o777)
    with pytest.raises(PinError, match="writable by someone other than root"):
        load_pin(str(path))
    os.chmod(etc, 0o755)
    os.symlink(path, etc / "link.conf")
    with pytest.raises(PinError):
        load_pin(str(etc / "link.conf"))


@pytest.fixture
def answering(tmp_path: Path) -> Iterator[str]:
    """A socket that answers every call with an allow, run by this test's own uid."""
    path = str(tmp_path / "s.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen()
    stop = threading.Event()

    def serve() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            try:
                conn.recv(1 << 20)
                conn.sendall(b"0\n2\n{}")
            except OSError:
                pass  # the client hung up: it did not believe us
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield path
    stop.set()
    thread.join(2)
    srv.close()


def _pin(socket_path: str, uid: int) -> Pin:
    return Pin(user="airlock", uid=uid, gid=uid, socket=socket_path, url=PIN.url,
               config=PIN.config, data_dir=PIN.data_dir)


def test_an_answer_from_another_uid_is_not_airlocks(answering: str) -> None:
    with pytest.raises(ServiceDown, match="it is not Airlock"):
        ask_service(_pin(answering, os.getuid() + 4242), ["check", "--", "rm -rf /"], b"", 5)


def test_the_services_own_uid_is_believed(answering: str) -> None:
    assert ask_service(_pin(answering, os.getuid()), ["check", "--", "ls"], b"", 5) == \
        (0, b"{}", b"")


def test_nothing_listening_is_service_down(tmp_path: Path) -> None:
    with pytest.raises(ServiceDown, match="not answering"):
        ask_service(_pin(str(tmp_path / "none.sock"), 0), ["check", "--", "ls"], b"", 5)
