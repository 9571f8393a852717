"""``airlock install --system`` / ``airlock uninstall --system``: Airlock as its own
principal on a Linux host (root only). docs/deployment.md explains the layout and why.

What the install does, each step idempotent (running it again repairs owners and modes):

1. the service user and group (``airlock``, a system account without a login shell);
2. ``/etc/airlock/`` (root, 0755) with the authoritative ``airlock.toml`` (root:airlock,
   0640: the service reads it, nobody else does, only root edits it) and ``policies/``;
3. ``/var/lib/airlock/`` (airlock, 0700): state, keys, secrets, snapshots;
4. ``/run/airlock/`` (airlock, 0755): the decision socket — a directory only the service
   can create files in;
5. the pin ``/etc/airlock/agent.conf`` (root, 0644): how the agent side recognises the
   real Airlock (the service's uid, its socket and URL); from then on every ``airlock``
   on this machine is in system mode;
6. a systemd unit (``/etc/systemd/system/airlock.service``), enabled and started when
   systemd runs; otherwise the command to run under another supervisor is printed.

It refuses when Airlock's own code could be changed by someone other than root: the hook
every agent tool call runs would then be the agent's to rewrite.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from airlock import system as S


class InstallError(Exception):
    """The install cannot go on; the message says why and what to do."""


@dataclass
class Layout:
    """Where a system install puts things (the defaults of :mod:`airlock.system`)."""

    user: str = S.DEFAULT_USER
    config_dir: str = S.CONFIG_DIR
    data_dir: str = S.DATA_DIR
    run_dir: str = S.RUN_DIR
    pin_path: str = S.PIN_PATH
    unit_path: str = S.UNIT_PATH
    host: str = "127.0.0.1"
    port: int = S.PORT
    uid: int | None = None  # the service user's uid when it is created (None: any)

    @property
    def config(self) -> str:
        return os.path.join(self.config_dir, "airlock.toml")

    @property
    def socket(self) -> str:
        return os.path.join(self.run_dir, "airlock.sock")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass
class Report:
    done: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.done.append(line)


STARTER_CONFIG = """\
# Airlock's authoritative configuration (system install). Only root can edit it; only
# the service user ({user}) can read it. A project's own airlock.toml can only tighten
# what is here. Reference: docs/configuration.md. Check it with `sudo airlock config check`.

[agent]
# scope = "staging"          # the environment agents without a scoped token are confined to

[environments.production]
[environments.staging]

# [[resources]]
# name = "prod-db"
# kind = "database"
# env = "production"
# hosts = ["db.internal.example"]
# protected = true

[policy]
files = ["policies/*.cedar"]   # your own policies, beside the defaults
"""


def airlock_executable() -> str:
    """The ``airlock`` console script of this environment, by absolute path."""
    script = Path(sys.executable).parent / "airlock"
    if script.is_file() and os.access(script, os.X_OK):
        return str(script)
    found = shutil.which("airlock")
    if found:
        return os.path.abspath(found)
    raise InstallError("cannot find the `airlock` executable of this environment")


def code_problems() -> list[str]:
    """Ways someone other than root could change the code the hooks and the service run:
    the interpreter, the ``airlock`` script, the package's files, and every directory
    above them."""
    import airlock

    package = Path(airlock.__file__).resolve().parent
    checks: list[Path] = [Path(sys.executable), Path(os.path.realpath(sys.executable))]
    with contextlib.suppress(InstallError):
        checks.append(Path(airlock_executable()))
    out: list[str] = []
    seen: set[Path] = set()
    for top in checks:
        for p in [top, *top.parents]:
            if p not in seen:
                seen.add(p)
                out += _root_only(p)
    for dirpath, dirnames, filenames in os.walk(package):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        base = Path(dirpath)
        for p in [base, *base.parents]:
            if p not in seen:
                seen.add(p)
                out += _root_only(p)
        for name in filenames:
            if name.endswith((".py", ".cedar", ".html", ".pth")):
                out += _root_only(base / name)
    return out


def access_problems() -> list[str]:
    """Ways the service user and the agents' users could not run Airlock at all: its
    interpreter, standard library or packages behind a directory only root may enter
    (e.g. a Python built under /root)."""
    import sqlite3

    import sqlalchemy

    import airlock

    paths = [Path(os.path.realpath(sys.executable)), Path(os.__file__).resolve(),
             Path(sqlite3.__file__).resolve(), Path(sqlalchemy.__file__).resolve(),
             Path(airlock.__file__).resolve()]
    out: list[str] = []
    seen: set[Path] = set()
    for top in paths:
        for p in [top, *top.parents]:
            if p in seen:
                continue
            seen.add(p)
            try:
                st = p.stat()
            except OSError:
                continue
            need = 0o001 if stat.S_ISDIR(st.st_mode) else 0o004
            if not st.st_mode & need:
                out.append(f"{p} (mode {stat.S_IMODE(st.st_mode):o}) is closed to other users")
    return out


def _root_only(p: Path) -> list[str]:
    try:
        st = p.lstat()
    except OSError:
        return []
    if stat.S_ISLNK(st.st_mode):
        return []  # the link's target is checked on its own
    if st.st_uid != 0:
        return [f"{p} is owned by uid {st.st_uid}"]
    if st.st_mode & 0o022 and not (stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX):
        return [f"{p} is writable by group or others (mode {stat.S_IMODE(st.st_mode):o})"]
    return []


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)


def ensure_user(layout: Layout, report: Report) -> tuple[int, int]:
    try:
        pw = pwd.getpwnam(layout.user)
        created = False
    except KeyError:
        created = True
    if created:
        nologin = next((p for p in ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false")
                        if os.path.exists(p)), "/bin/false")
        fixed = ["--uid", str(layout.uid)] if layout.uid is not None else []
        if layout.uid is not None:
            r = _run(["groupadd", "--system", "--gid", str(layout.uid), layout.user])
            if r.returncode != 0:
                raise InstallError(f"groupadd {layout.user} failed: {r.stderr.strip()}")
            fixed += ["--gid", str(layout.uid)]
        r = _run(["useradd", "--system", *(fixed or ["--user-group"]), "--home-dir",
                  layout.data_dir, "--no-create-home", "--shell", nologin, "--comment",
                  "Airlock safety control plane", layout.user])
        if r.returncode != 0:
            raise InstallError(f"useradd {layout.user} failed: {r.stderr.strip()}")
        pw = pwd.getpwnam(layout.user)
        report.say(f"created system user {layout.user} (uid {pw.pw_uid})")
    else:
        if pw.pw_uid == 0:
            raise InstallError(f"user {layout.user} is root: the service needs its own uid")
        report.say(f"system user {layout.user} (uid {pw.pw_uid}) exists")
    return pw.pw_uid, pw.pw_gid


def _place_dir(path: str, uid: int, gid: int, mode: int, report: Report) -> None:
    existed = os.path.isdir(path)
    os.makedirs(path, mode=mode, exist_ok=True)
    os.chown(path, uid, gid)
    os.chmod(path, mode)
    report.say(f"{'kept' if existed else 'created'} {path} ({_owner(uid, gid)}, "
               f"{mode:o})")


def _owner(uid: int, gid: int) -> str:
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    try:
        group = grp.getgrgid(gid).gr_name
    except KeyError:
        group = str(gid)
    return f"{user}:{group}"


def _write(path: str, text: str, uid: int, gid: int, mode: int) -> None:
    tmp = f"{path}.airlock-new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.chown(tmp, uid, gid)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _fix_tree(path: str, uid: int, gid: int, dir_mode: int, file_mode: int) -> None:
    for dirpath, _dirnames, filenames in os.walk(path):
        os.chown(dirpath, uid, gid)
        os.chmod(dirpath, dir_mode)
        for name in filenames:
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                continue
            os.chown(full, uid, gid)
            os.chmod(full, file_mode)


def unit_text(layout: Layout, executable: str) -> str:
    return f"""\
# Airlock safety control plane — written by `airlock install --system`.
[Unit]
Description=Airlock: a safety control plane between AI agents and infrastructure
Documentation=file://{S.CONFIG_DIR}
After=network.target

[Service]
Type=simple
User={layout.user}
Group={layout.user}
Environment=AIRLOCK_HOME={layout.data_dir}
ExecStart={executable} serve
Restart=on-failure
RestartSec=2
UMask=0077
RuntimeDirectory={os.path.basename(layout.run_dir)}
RuntimeDirectoryMode=0755
# the privileged port ({layout.port}): an unprivileged user cannot bind it
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
ProtectSystem=full
ReadWritePaths={layout.data_dir}

[Install]
WantedBy=multi-user.target
"""


def systemd_running() -> bool:
    return os.path.isdir("/run/systemd/system") and shutil.which("systemctl") is not None


def install(layout: Layout, *, config_from: str | None = None, start: bool = True,
            allow_unsafe_code: bool = False) -> Report:
    if os.geteuid() != 0:
        raise InstallError("`airlock install --system` must run as root (sudo)")
    report = Report()
    closed = access_problems()
    if closed:
        raise InstallError(
            "the service user and the agents could not run this Airlock: "
            + "; ".join(closed[:3]) + ". Create its environment from a Python every user "
            "can run, e.g. `sudo /usr/bin/python3 -m venv /opt/airlock && sudo "
            "/opt/airlock/bin/pip install airlock`, then `sudo /opt/airlock/bin/airlock "
            "install --system`.")
    problems = code_problems()
    if problems and not allow_unsafe_code:
        raise InstallError(
            "Airlock's own code can be changed by users other than root, so an agent could "
            "rewrite the hook it is checked by:\n  " + "\n  ".join(problems[:10]) +
            "\nInstall Airlock into a root-owned environment first (e.g. `sudo python3 -m "
            "venv /opt/airlock && sudo /opt/airlock/bin/pip install airlock`), then run its "
            "`airlock install --system`.")
    uid, gid = ensure_user(layout, report)
    _place_dir(layout.config_dir, 0, 0, 0o755, report)
    if not os.path.exists(layout.config):
        if config_from:
            text = Path(config_from).read_text(encoding="utf-8")
            report.say(f"copied {config_from} to {layout.config}")
        else:
            text = STARTER_CONFIG.format(user=layout.user)
            report.say(f"wrote a starter config {layout.config}")
        _write(layout.config, text, 0, gid, 0o640)
    else:
        os.chown(layout.config, 0, gid)
        os.chmod(layout.config, 0o640)
        report.say(f"kept {layout.config} (root:{layout.user}, 640)")
    policies = os.path.join(layout.config_dir, "policies")
    _place_dir(policies, 0, gid, 0o750, report)
    _fix_tree(policies, 0, gid, 0o750, 0o640)
    _place_dir(layout.data_dir, uid, gid, 0o700, report)
    _fix_tree(layout.data_dir, uid, gid, 0o700, 0o600)
    _place_dir(layout.run_dir, uid, gid, 0o755, report)
    pin = S.Pin(user=layout.user, uid=uid, gid=gid, socket=layout.socket, url=layout.url,
                config=layout.config, data_dir=layout.data_dir, path=layout.pin_path)
    _write(layout.pin_path, S.render_pin(pin), 0, 0, 0o644)
    report.say(f"wrote the pin {layout.pin_path} (root, 644): every airlock on this machine "
               "now asks the service")
    executable = airlock_executable()
    _write(layout.unit_path, unit_text(layout, executable), 0, 0, 0o644)
    report.say(f"wrote {layout.unit_path}")
    if start and systemd_running():
        for cmd in (["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", "airlock"],
                    ["systemctl", "restart", "airlock"]):
            r = _run(cmd)
            if r.returncode != 0:
                raise InstallError(f"{' '.join(cmd)} failed: {r.stderr.strip()}")
        report.say("enabled and started airlock.service")
    else:
        why = "systemd is not running here" if not systemd_running() else "--no-start"
        report.next_steps.append(
            f"start the service ({why}): as root, `{executable} serve` (it binds port "
            f"{layout.port}, then runs as {layout.user}); under any supervisor, run that "
            "command as root and restart it on failure")
    report.next_steps += [
        "create the first human: `sudo airlock admin create NAME`",
        "give each agent a token: `sudo airlock token issue --agent NAME --scope ENV`, "
        "kept where the agent's tool starts (e.g. AIRLOCK_TOKEN in its environment)",
        "install the hooks where agents cannot remove them: `sudo airlock hook install "
        "claude-code --system` (also cursor, gemini-cli, codex)",
        "check everything: `sudo airlock doctor`",
    ]
    return report


def uninstall(layout: Layout, *, purge: bool = False) -> Report:
    if os.geteuid() != 0:
        raise InstallError("`airlock uninstall --system` must run as root (sudo)")
    report = Report()
    if systemd_running() and os.path.exists(layout.unit_path):
        _run(["systemctl", "disable", "--now", "airlock"])
        report.say("stopped and disabled airlock.service")
    else:
        stopped = _stop_service_processes(layout)
        if stopped:
            report.say(f"stopped airlock serve (pid {', '.join(map(str, stopped))})")
    for path in (layout.unit_path, layout.pin_path):
        if os.path.exists(path):
            os.unlink(path)
            report.say(f"removed {path}")
    if systemd_running():
        _run(["systemctl", "daemon-reload"])
    if os.path.isdir(layout.run_dir):
        shutil.rmtree(layout.run_dir, ignore_errors=True)
        report.say(f"removed {layout.run_dir}")
    if purge:
        for path in (layout.data_dir, layout.config_dir):
            if os.path.isdir(path):
                shutil.rmtree(path)
                report.say(f"removed {path}")
        try:
            pwd.getpwnam(layout.user)
        except KeyError:
            pass
        else:
            r = _run(["userdel", layout.user])
            report.say(f"removed user {layout.user}" if r.returncode == 0
                       else f"could not remove user {layout.user}: {r.stderr.strip()}")
    else:
        report.next_steps.append(
            f"kept {layout.data_dir} (state, ledger, snapshots), {layout.config_dir} and user "
            f"{layout.user}; `airlock uninstall --system --purge` removes them too")
    report.next_steps.append("Airlock is in single-user mode again on this machine: the "
                             "agent can switch it off")
    return report


def _stop_service_processes(layout: Layout) -> list[int]:
    """Without systemd: stop the service's ``airlock serve`` processes (by uid)."""
    import signal
    import time

    try:
        uid = pwd.getpwnam(layout.user).pw_uid
    except KeyError:
        return []
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            st = os.stat(f"/proc/{entry}")
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read().split(b"\0")
        except OSError:
            continue
        if st.st_uid == uid and b"serve" in cmdline and any(b"airlock" in a for a in cmdline):
            pids.append(int(entry))
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}") for p in pids):
        time.sleep(0.1)
    return pids
