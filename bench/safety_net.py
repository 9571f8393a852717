"""Benchmark of the PostgreSQL safety net (not a timed test).

For databases of about 10 MB, 100 MB and 1 GB on a throwaway cluster:

- time to quarantine (connections refused + ``ALTER DATABASE … RENAME``) and to undo it;
- snapshot throughput (``pg_dump -Fc`` streamed into the local store with sha256, then
  re-read and verified) beside plain ``pg_dump -Fc -f FILE`` of the same database.

Usage: ``python bench/safety_net.py [--sizes 10,100,1000]`` (sizes in MB).
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import psycopg

from airlock.action import Risk, Target
from airlock.protect.engine import Protector
from airlock.protect.postgres import tool
from airlock.protect.settings import parse


def start_cluster(tmp: str) -> tuple[str, list[str], str]:
    bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    prefix: list[str] = []
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data = os.path.join(tmp, "data")
    subprocess.run([*prefix, f"{bindir}/initdb", "-D", data, "-U", "airlock", "--auth=trust",
                    "--no-sync"], check=True, capture_output=True)
    subprocess.run([*prefix, f"{bindir}/pg_ctl", "-D", data, "-l", f"{tmp}/log", "-w", "-o",
                    f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c max_wal_size=4GB", "start"], check=True, capture_output=True)
    return f"postgresql://airlock@127.0.0.1:{port}", prefix, f"{bindir}/pg_ctl"


def make_db(base: str, name: str, mb: int) -> int:
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    with psycopg.connect(f"{base}/{name}", autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id bigint primary key, a text, b double precision)")
        rows = mb * 1024 * 1024 // 420
        step = 200_000
        for lo in range(0, rows, step):
            conn.execute("INSERT INTO t SELECT g, md5(g::text) || md5((g*7)::text) || "
                         "repeat(md5(random()::text), 8), random() FROM "
                         "generate_series(%s::bigint, %s::bigint) g",
                         (lo + 1, min(rows, lo + step)))
        conn.execute("VACUUM ANALYZE t")
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        assert size is not None
        return int(size[0])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10,100,1000")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    tmp = tempfile.mkdtemp(prefix="airlock-bench-pg-")
    home = tempfile.mkdtemp(prefix="airlock-bench-home-")
    base, prefix, pg_ctl = start_cluster(tmp)
    protector = Protector(parse({"require_independent": "never"}, home))
    net = protector.net_named("postgres")
    ctx = protector.context()
    print(f"{'size':>9} {'quarantine':>11} {'undo':>8} {'pg_dump -Fc':>12} "
          f"{'snapshot':>12} {'ratio':>6} {'snap+verify':>12}")
    try:
        for mb in sizes:
            name = f"bench_{mb}"
            real = make_db(base, name, mb)
            real_mb = real / 2**20
            target = Target(kind="database", name=f"database {name}", verb="sql.drop_database",
                            risk=Risk.CATASTROPHIC, locator=f"{base}/{name}")
            out = os.path.join(home, "plain.dump")
            t0 = time.perf_counter()
            subprocess.run([tool("pg_dump"), "-Fc", "-f", out, "-d", f"{base}/{name}"],
                           check=True)
            plain = time.perf_counter() - t0
            os.unlink(out)
            from airlock.protect import postgres as pgmod

            limit, pgmod.CHECKSUM_LIMIT = pgmod.CHECKSUM_LIMIT, 0  # measure the dump alone
            phases: dict[str, float] = {}
            orig_seal = pgmod.seal

            def timed_seal(store, m, phases=phases,  # type: ignore[no-untyped-def]
                           orig_seal=orig_seal):
                phases["dumped"] = time.perf_counter()
                return orig_seal(store, m)

            pgmod.seal = timed_seal  # type: ignore[assignment]
            start = time.perf_counter()
            net.snapshot(ctx, target, f"bench{mb}")
            done = time.perf_counter()
            pgmod.seal, pgmod.CHECKSUM_LIMIT = orig_seal, limit
            snap = phases["dumped"] - start
            t0 = time.perf_counter()
            rec = net.quarantine(ctx, target, f"bench{mb}")
            q = time.perf_counter() - t0
            rec["source"] = target.locator
            t0 = time.perf_counter()
            net.unquarantine(ctx, rec, None)
            u = time.perf_counter() - t0
            print(f"{real_mb:7.0f}MB {q * 1000:9.0f}ms {u * 1000:6.0f}ms "
                  f"{real_mb / plain:9.1f}MB/s {real_mb / snap:9.1f}MB/s "
                  f"{plain / snap:6.2f} {real_mb / (done - start):9.1f}MB/s",
                  flush=True)
            protector.store.collect_garbage()
            with psycopg.connect(base + "/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE {name}")
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", f"{tmp}/data", "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
