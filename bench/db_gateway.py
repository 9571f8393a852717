"""The database gateway's cost: pgbench direct vs through ``airlock serve --pg-listen``.

Starts a throwaway PostgreSQL cluster (initdb/pg_ctl on a free port; as root it runs as
``postgres``), a role whose password lives only in Airlock's secrets (SCRAM), and a real
``airlock serve --pg-listen``. Then, in the same run:

1. pgbench, read-only (``-S``) and read-write (TPC-B-like), at concurrency 1 and 16,
   direct and through the gateway, for each query mode asked (``--modes``, default
   ``simple,prepared``): transactions per second and the gateway's share of direct;
2. latency at concurrency 1 from a psycopg loop (one indexed read per call, extended
   protocol), direct and through the gateway in alternating rounds: p50/p99 and the
   p50 added;
3. a 1 GB result streamed through the gateway (``COPY (SELECT …) TO STDOUT`` by psql into
   /dev/null) while the server's resident memory is sampled: before and peak.

    python bench/db_gateway.py [--seconds 8] [--scale 10] [--modes simple,prepared]
                               [--stream-mb 1024] [--pin]

Targets (issue 15): ≥ 70% of direct throughput for simple reads at concurrency 16;
≤ 1 ms added at p50 at concurrency 1; peak memory flat while streaming 1 GB.
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import pct, provision

PASSWORD = "bench-" + os.urandom(8).hex()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bindir() -> str:
    for cand in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(cand, "initdb")):
            return cand
    found = shutil.which("initdb")
    if not found:
        raise SystemExit("no PostgreSQL server binaries (initdb) on this machine")
    return os.path.dirname(found)


def pinned(cpu: int | None) -> list[str]:
    """``taskset -c CPU`` (children inherit it), or nothing."""
    return ["taskset", "-c", str(cpu)] if cpu is not None and shutil.which("taskset") else []


class Cluster:
    def __init__(self, tmp: str, cpu: int | None = None) -> None:
        self.bin = bindir()
        self.tmp = tmp
        self.port = free_port()
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(tmp, pw.pw_uid, pw.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        data = os.path.join(tmp, "data")
        self._run("initdb", "-D", data, "-U", "airlock", "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        with open(os.path.join(data, "pg_hba.conf")) as fh:
            hba = fh.read()
        with open(os.path.join(data, "pg_hba.conf"), "w") as fh:
            fh.write("host all app 127.0.0.1/32 scram-sha-256\n" + hba)
        self.cpu = cpu
        self._run("pg_ctl", "-D", data, "-l", os.path.join(tmp, "log"), "-w", "-o",
                  f"-p {self.port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c max_connections=100 -c synchronous_commit=off", "start")
        self.data = data

    def _run(self, tool: str, *args: str) -> None:
        where = pinned(getattr(self, "cpu", None))
        subprocess.run([*where, *self.prefix, os.path.join(self.bin, tool), *args], check=True,
                       capture_output=True, timeout=300)

    def stop(self) -> None:
        subprocess.run([*self.prefix, os.path.join(self.bin, "pg_ctl"), "-D", self.data,
                        "-m", "immediate", "stop"], capture_output=True, timeout=60)


def pgbench(url: str, clients: int, seconds: int, mode: str, select_only: bool,
            password: str, cpu: int | None = None) -> float:
    args = [*pinned(cpu), os.path.join(bindir(), "pgbench"), "-n", "-c", str(clients),
            "-j", str(min(clients, 2)), "-T", str(seconds), "-M", mode]
    if select_only:
        args.append("-S")
    out = subprocess.run([*args, url], capture_output=True, text=True, timeout=seconds + 120,
                         env={**os.environ, "PGPASSWORD": password})
    found = re.search(r"tps = ([\d.]+)", out.stdout)
    if out.returncode != 0 or not found:
        raise SystemExit(f"pgbench failed: {out.stdout[-800:]} {out.stderr[-800:]}")
    return float(found.group(1))


def latencies(url: str, n: int, rounds: int) -> list[float]:
    out = []
    with psycopg.connect(url, autocommit=True) as conn:
        for i in range(20):  # warm: connection, the statement's decision
            conn.execute("SELECT abalance FROM pgbench_accounts WHERE aid = %s", (i + 1,))
        for i in range(n // rounds):
            t0 = time.perf_counter()
            conn.execute("SELECT abalance FROM pgbench_accounts WHERE aid = %s",
                         (i % 1000 + 1,)).fetchone()
            out.append((time.perf_counter() - t0) * 1000)
    return out


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def stream(url: str, pid: int, megabytes: int) -> tuple[int, int, float]:
    """(RSS before, peak RSS while streaming, seconds) for ``megabytes`` of rows."""
    rows = megabytes * 1024  # 1 KiB rows
    before = rss_kb(pid)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_kb(pid))
            time.sleep(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        proc = subprocess.run(
            [shutil.which("psql") or "psql", url, "-X", "-q", "-c",
             f"COPY (SELECT repeat('x', 1019) FROM generate_series(1, {rows})) TO STDOUT"],
            stdout=sink, stderr=subprocess.PIPE, timeout=1800, check=False)
    elapsed = time.perf_counter() - t0
    done.set()
    thread.join()
    if proc.returncode != 0:
        raise SystemExit(f"streaming failed: {proc.stderr.decode()[-500:]}")
    return before, peak[0], elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=8, help="per pgbench run")
    ap.add_argument("--scale", type=int, default=10, help="pgbench -i scale")
    ap.add_argument("--modes", default="simple,prepared", help="pgbench -M modes")
    ap.add_argument("--clients", default="1,16", help="pgbench -c values")
    ap.add_argument("--workloads", default="read-only,read-write")
    ap.add_argument("--latency-calls", type=int, default=3000, help="0: skip part 2")
    ap.add_argument("--stream-mb", type=int, default=1024, help="0: skip part 3")
    ap.add_argument("--pin", action="store_true",
                    help="PostgreSQL on CPU 0, pgbench and Airlock on CPU 1 (a database "
                         "server is another machine in real life); default: all share")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="airlock-bench-db-")
    os.chmod(tmp, 0o755)  # the cluster runs as postgres when this runs as root
    os.makedirs(os.path.join(tmp, "pg"))
    cpus = sorted(os.sched_getaffinity(0))
    pin = args.pin and len(cpus) >= 2
    cluster = Cluster(os.path.join(tmp, "pg"), cpus[0] if pin else None)
    near = cpus[1] if pin else None
    serve: subprocess.Popen[bytes] | None = None
    try:
        admin = f"postgresql://airlock@127.0.0.1:{cluster.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("SET password_encryption = 'scram-sha-256'")
            conn.execute(f"CREATE ROLE app LOGIN PASSWORD '{PASSWORD}'")
            conn.execute("CREATE DATABASE benchdb OWNER app")
        direct = f"postgresql://app@127.0.0.1:{cluster.port}/benchdb"
        subprocess.run([os.path.join(cluster.bin, "pgbench"), "-i", "-q", "-s",
                        str(args.scale), direct], check=True, capture_output=True,
                       env={**os.environ, "PGPASSWORD": PASSWORD}, timeout=600)

        home = Path(tmp) / "home"
        home.mkdir()
        config, env, token = provision(
            home, "[environments.production]\nproduction = true\n\n[[databases]]\n"
            f'name = "bench"\nupstream = "postgresql://app@127.0.0.1:{cluster.port}/'
            f'benchdb?sslmode=disable"\nenv = "production"\nsecret = "bench-password"\n',
            "bench-password", PASSWORD, "production", ["bench:*.*"])
        gport, hport = free_port(), free_port()
        log = open(home / "serve.log", "wb")  # noqa: SIM115
        serve = subprocess.Popen(
            [*pinned(near), sys.executable, "-m", "airlock", "serve", "--port", str(hport),
             "--config", str(config), "--pg-listen", f"127.0.0.1:{gport}"],
            env=env, stdout=log, stderr=log)
        via = f"postgresql://bench@127.0.0.1:{gport}/bench"
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(via, password=token, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline or serve.poll() is not None:
                    raise SystemExit((home / "serve.log").read_text()[-2000:]) from None
                time.sleep(0.2)

        where = (f"PostgreSQL pinned to CPU {cpus[0]}, pgbench and Airlock to CPU {cpus[1]}"
                 if pin else "pgbench, PostgreSQL and Airlock share them")
        print(f"PostgreSQL {cluster.bin.split('/')[-2]}, pgbench scale {args.scale}, "
              f"{args.seconds} s per run, {len(cpus)} CPUs ({where})")
        print("\n1. pgbench: transactions per second, direct vs through the gateway")
        print(f"   {'workload':<11} {'mode':<9} {'clients':>7} {'direct':>9} "
              f"{'gateway':>9} {'share':>6}")
        for select_only, label in ((True, "read-only"), (False, "read-write")):
            if label not in args.workloads.split(","):
                continue
            for mode in args.modes.split(","):
                for clients in map(int, args.clients.split(",")):
                    d = pgbench(direct, clients, args.seconds, mode, select_only, PASSWORD,
                                near)
                    g = pgbench(via, clients, args.seconds, mode, select_only, token, near)
                    print(f"   {label:<11} {mode:<9} {clients:>7} {d:>9.0f} {g:>9.0f} "
                          f"{g / d:>6.0%}", flush=True)

        if not args.latency_calls:
            return
        print("\n2. latency at concurrency 1 (psycopg, one indexed read per call)")
        rounds = 3
        d_all: list[float] = []
        g_all: list[float] = []
        for _ in range(rounds):
            d_all += latencies(f"{direct}?password={PASSWORD}", args.latency_calls, rounds)
            g_all += latencies(f"{via}?password={token}", args.latency_calls, rounds)
        d50, g50 = statistics.median(d_all), statistics.median(g_all)
        print(f"   direct   p50 {d50:.3f} ms  p99 {pct(d_all, 99):.3f} ms  (n={len(d_all)})")
        print(f"   gateway  p50 {g50:.3f} ms  p99 {pct(g_all, 99):.3f} ms  (n={len(g_all)})")
        print(f"   added at p50: {g50 - d50:.3f} ms")

        if not args.stream_mb:
            return
        print(f"\n3. streaming {args.stream_mb} MB through the gateway "
              "(COPY … TO STDOUT into /dev/null)")
        before, peak, secs = stream(f"{via}?password={token}", serve.pid, args.stream_mb)
        print(f"   airlock serve RSS before {before / 1024:.1f} MiB, peak while streaming "
              f"{peak / 1024:.1f} MiB (+{(peak - before) / 1024:.1f} MiB); "
              f"{args.stream_mb / secs:.0f} MB/s")
    finally:
        if serve is not None:
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(10)
            except subprocess.TimeoutExpired:
                serve.kill()
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
