"""The protect journal under concurrent writers (threads of one server, replicas sharing a
data dir): no writer trips over another's temporary file, and no entry is lost."""

from __future__ import annotations

import threading
from pathlib import Path

from airlock.protect import journal as J


def test_concurrent_adds_to_one_request_lose_nothing_and_never_fail(tmp_path: Path) -> None:
    jdir = str(tmp_path / "protect")
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(25):
                J.add(jdir, "r1", "snapshots", f"{n}-{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:3]
    assert sorted(J.load(jdir, "r1")["snapshots"]) == sorted(
        f"{n}-{i}" for n in range(8) for i in range(25))
    assert [r["request"] for r in J.all_records(jdir)] == ["r1"]  # no temporary file listed
