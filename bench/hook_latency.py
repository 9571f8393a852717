"""What one Claude Code hook call costs, for an allowed `git status`.

Measures, in one run:

- `python -c pass` (the floor any Python hook pays), on this venv's interpreter and,
  in a system install, on the installed hook's interpreter;
- the command hook client, whole process:
  - single-user mode: through a warm per-user daemon (started here, stopped at the end),
    as the console script and as `python -m airlock`, and answered in-process, cold;
  - system install (when `/etc/airlock/agent.conf` exists): the exact command the
    installed managed settings run, asked of the service over its socket, run as
    `--as-user` (the agent's OS user) when given;
- the HTTP hook (Claude Code `"type": "http"`) answered by a running `airlock serve`
  (started here, single-user, on a free port): the decision time at the server (its
  `Server-Timing` header, from request body to answer) and the round trip, over one
  keep-alive connection as Claude Code keeps one.

Targets (issue 11): HTTP hook median <= 2 ms at the server; command client median
<= 1.5x bare Python.

    python bench/hook_latency.py [--runs 60] [--http-runs 2000] [--as-user AGENT]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import pwd
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import pct, summary_ms, time_process

ROOT = Path(__file__).resolve().parent.parent
CLAUDE_MANAGED = Path("/etc/claude-code/managed-settings.d/50-airlock.json")


def payload_for(ws: Path) -> bytes:
    return json.dumps({
        "session_id": "bench", "cwd": str(ws), "permission_mode": "default",
        "hook_event_name": "PreToolUse", "tool_name": "Bash",
        "tool_input": {"command": "git status", "description": "status"},
        "tool_use_id": "toolu_bench"}).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_hook(script: str, env: dict[str, str], ws: Path, runs: int,
              results: dict[str, list[float]]) -> None:
    port = free_port()
    proc = subprocess.Popen([script, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/v1/health")
                conn.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("airlock serve did not come up") from None
                time.sleep(0.1)
        body = payload_for(ws)
        headers = {"Content-Type": "application/json", "X-Airlock-Home": str(Path.home())}
        server: list[float] = []
        trip: list[float] = []
        for i in range(runs + 50):
            t0 = time.perf_counter()
            conn.request("POST", "/v1/hooks/claude-code", body=body, headers=headers)
            resp = conn.getresponse()
            answer = resp.read()
            took = (time.perf_counter() - t0) * 1000
            if answer.strip() != b"{}":
                raise RuntimeError(f"the HTTP hook did not allow git status: {answer!r}")
            if i >= 50:  # the first calls warm the parsers and the policy cache
                trip.append(took)
                timing = resp.getheader("Server-Timing") or ""
                server.append(float(timing.split("dur=")[1]))
        conn.close()
        results["HTTP hook, decision at the server"] = server
        results["HTTP hook, round trip (keep-alive)"] = trip
    finally:
        proc.terminate()
        proc.wait(20)


def system_client(runs: int, as_user: str | None, ws: Path,
                  results: dict[str, list[float]]) -> float | None:
    """The installed command hook, asked of the running system service. Returns the
    bare-interpreter median of the hook's own interpreter."""
    if not CLAUDE_MANAGED.exists():
        print(f"(system install found, but no {CLAUDE_MANAGED}: install the hook with "
              "`sudo airlock hook install claude-code --system --command-hook`)")
        return None
    handlers = json.loads(CLAUDE_MANAGED.read_text())["hooks"]["PreToolUse"][0]["hooks"]
    command = next((h.get("command") for h in handlers if h.get("type") == "command"), None)
    if command is None:
        print("(the installed Claude Code hook is the HTTP hook: no command client to time)")
        return None
    argv = shlex.split(command)
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    user: dict[str, int] = {}
    if as_user:
        pw = pwd.getpwnam(as_user)
        env["HOME"] = pw.pw_dir
        user = {"user": pw.pw_uid, "group": pw.pw_gid}
    else:
        env["HOME"] = str(Path.home())

    def timed(cmd: list[str], stdin: bytes | None) -> list[float]:
        out = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(cmd, env=env, input=stdin, cwd=str(ws), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False, **user)  # type: ignore[call-overload]
            out.append((time.perf_counter() - t0) * 1000)
        return out

    body = payload_for(ws)
    check = subprocess.run(argv, env=env, input=body, cwd=str(ws), capture_output=True,
                           check=False, **user)  # type: ignore[call-overload]
    if check.stdout.strip() != b"{}":
        print(f"(the system hook did not allow git status: {check.stdout!r})")
        return None
    bare = timed([argv[0], "-c", "pass"], None)
    results["system: python -c pass (the hook's interpreter)"] = bare
    results["system: installed command hook, via the service"] = timed(argv, body)
    return statistics.median(bare)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=60)
    ap.add_argument("--http-runs", type=int, default=2000)
    ap.add_argument("--as-user", default=None,
                    help="system install: time the hook as this (agent) OS user")
    args = ap.parse_args()
    runs = max(50, args.runs)

    python = sys.executable
    script = str(Path(python).parent / "airlock")
    if not os.path.exists(script):
        script = shutil.which("airlock") or script
    # The workspace must not be under /tmp (a sandbox environment for Airlock).
    base = Path(tempfile.mkdtemp(prefix="hook-bench-", dir=ROOT))
    os.chmod(base, 0o755)
    ws = base / "proj"
    (ws / ".git").mkdir(parents=True)
    home = base / "airlock-home"
    payload = payload_for(ws)
    env = {k: v for k, v in os.environ.items()
           if k not in ("AIRLOCK_NO_DAEMON", "AIRLOCK_CONFIG", "AIRLOCK_TOKEN")}
    env["AIRLOCK_HOME"] = str(home)
    # a port where nothing listens: this payload never needs the hold service anyway
    env["AIRLOCK_SERVER"] = "http://127.0.0.1:9"
    cold = dict(env, AIRLOCK_NO_DAEMON="1")
    hook_script = [script, "hook", "run", "claude-code"]
    hook_module = [python, "-m", "airlock", "hook", "run", "claude-code"]
    system = os.path.exists("/etc/airlock/agent.conf")

    results: dict[str, list[float]] = {}
    results["python -c pass"] = time_process([python, "-c", "pass"], runs)
    bare = statistics.median(results["python -c pass"])
    system_bare = None
    try:
        if system:
            print("system install: timing the installed hook against the service")
            system_bare = system_client(runs, args.as_user, ws, results)
        else:
            check = subprocess.run(hook_script, input=payload, env=cold, cwd=ws,
                                   capture_output=True, check=False)
            if check.stdout.strip() != b"{}" or check.returncode != 0:
                print(f"hook did not allow git status: {check.stdout!r} {check.stderr!r}")
                return 1
            results["python -c 'import airlock.cli'"] = time_process(
                [python, "-c", "import airlock.cli"], runs)
            daemon = subprocess.Popen([script, "daemon", "--idle-timeout", "300"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                sock = home / "run" / "airlock.sock"
                for _ in range(400):
                    if sock.exists():
                        break
                    time.sleep(0.025)
                time_process(hook_script, 5, env=env, stdin=payload, cwd=str(ws))  # warm
                results["hook warm daemon, console script"] = time_process(
                    hook_script, runs, env=env, stdin=payload, cwd=str(ws))
                results["hook warm daemon, python -m airlock"] = time_process(
                    hook_module, runs, env=env, stdin=payload, cwd=str(ws))
            finally:
                daemon.terminate()
                daemon.wait(10)
            cold_runs = max(10, runs // 3)
            results["hook cold in-process, console script"] = time_process(
                hook_script, cold_runs, env=cold, stdin=payload, cwd=str(ws))
            http_hook(script, env, ws, args.http_runs, results)
    finally:
        shutil.rmtree(base, ignore_errors=True)

    print(f"interpreter: {python}")
    for name, values in results.items():
        floor = system_bare if name.startswith("system:") and system_bare else bare
        ratio = statistics.median(values) / floor
        extra = "" if name.startswith("HTTP") else f"  {ratio:4.2f}x bare"
        print(f"{name:<52} {summary_ms(values)}{extra}")
    if "HTTP hook, decision at the server" in results:
        server = results["HTTP hook, decision at the server"]
        print(f"target HTTP hook median <= 2 ms at the server: "
              f"{'met' if statistics.median(server) <= 2 else 'NOT met'} "
              f"({statistics.median(server):.2f} ms, p99 {pct(server, 99):.2f} ms)")
    key = ("system: installed command hook, via the service" if system
           else "hook warm daemon, console script")
    if key in results:
        floor = system_bare if system and system_bare else bare
        med = statistics.median(results[key])
        print(f"target command client median <= 1.5x bare ({1.5 * floor:.1f} ms): "
              f"{'met' if med <= 1.5 * floor else 'NOT met'} ({med:.1f} ms = "
              f"{med / floor:.2f}x, p99 {pct(results[key], 99):.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
