"""Programs that run another command (``packs/runners.py``): the command they carry is
classified where it runs, and one Airlock cannot see is held, naming the carrier."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airlock.action import Decision
from airlock.classify.command import Word
from airlock.classify.packs.runners import _fill, _typed, getopt
from tests.support import decide


def deletes_srv(d: Decision) -> bool:
    return d.decision == "hold" and any(
        t.verb == "fs.delete" and t.locator.startswith("path:/srv/data") for t in d.targets)


def held_naming(d: Decision, carrier: str) -> bool:
    return d.decision == "hold" and any(
        f.kind == "unparsed" and carrier in f.detail for f in d.flags)


CARRIED = [
    # tmux
    "tmux new -d 'rm -rf /srv/data'",
    "tmux new-session -d -s w -c /tmp 'rm -rf /srv/data'",
    "tmux new-window -t dev 'rm -rf /srv/data'",
    "tmux neww rm -rf /srv/data",
    "tmux split-window -h 'rm -rf /srv/data'",
    "tmux respawn-pane -k 'rm -rf /srv/data'",
    "tmux display-popup -E 'rm -rf /srv/data'",
    "tmux send-keys -t dev 'rm -rf /srv/data' Enter",
    "tmux send -t dev rm Space -rf Space /srv/data C-m",
    "tmux send-keys -l 'rm -rf /srv/data'",
    "tmux send-keys -H 72 6d 20 2d 72 66 20 2f 73 72 76 2f 64 61 74 61 0a",
    "tmux run-shell 'rm -rf /srv/data'",
    "tmux run -b 'rm -rf /srv/data'",
    "tmux run-shell -C 'run-shell \"rm -rf /srv/data\"'",
    "tmux if-shell true 'run-shell \"rm -rf /srv/data\"'",
    "tmux if-shell 'rm -rf /srv/data' 'display ok'",
    "tmux bind-key x run-shell 'rm -rf /srv/data'",
    "tmux bind -n F5 new-window 'rm -rf /srv/data'",
    "tmux set-hook -g after-new-window 'run-shell \"rm -rf /srv/data\"'",
    "tmux confirm-before -p 'sure?' 'run-shell \"rm -rf /srv/data\"'",
    "tmux -c 'rm -rf /srv/data'",
    "tmux new -d \\; send-keys 'rm -rf /srv/data' Enter",
    "tmux set -g default-command 'rm -rf /srv/data'",
    "tmux new-s -d 'rm -rf /srv/data'",
    "tmux pipe-pane -o 'rm -rf /srv/data'",
    # screen
    "screen -dm rm -rf /srv/data",
    "screen -dmS job rm -rf /srv/data",
    "screen -S job -dm bash -c 'rm -rf /srv/data'",
    "screen rm -rf /srv/data",
    "screen -S job -X stuff 'rm -rf /srv/data\\n'",
    "screen -S job -X stuff 'rm -rf /srv/data^M'",
    "screen -S job -X exec rm -rf /srv/data",
    "screen -S job -X screen -t x rm -rf /srv/data",
    # at / batch
    "echo 'rm -rf /srv/data' | at now",
    "at now + 1 hour <<< 'rm -rf /srv/data'",
    "at -m 23:00 <<'EOF'\nrm -rf /srv/data\nEOF",
    "batch <<< 'rm -rf /srv/data'",
    # watch, script, su, sg, flock
    "watch 'rm -rf /srv/data'",
    "watch -n1 rm -rf /srv/data",
    "watch -d rm -rf /srv/data",
    "watch -x rm -rf /srv/data",
    "watch --interval=1 --differences rm -rf /srv/data",
    "script -c 'rm -rf /srv/data'",
    "script -qc 'rm -rf /srv/data' /dev/null",
    "script --command 'rm -rf /srv/data' log.txt",
    "script log.txt -c 'rm -rf /srv/data'",
    "script -q /dev/null rm -rf /srv/data",
    "su -c 'rm -rf /srv/data'",
    "su - root -c 'rm -rf /srv/data'",
    "su root -c 'rm -rf /srv/data'",
    "su --comm='rm -rf /srv/data'",
    "su -l postgres --command='rm -rf /srv/data'",
    "su root -- -c 'rm -rf /srv/data'",
    "su -s /bin/bash -c 'rm -rf /srv/data' nobody",
    "runuser -u postgres -- rm -rf /srv/data",
    "runuser -l postgres -c 'rm -rf /srv/data'",
    "sg docker -c 'rm -rf /srv/data'",
    "sg docker 'rm -rf /srv/data'",
    "flock /tmp/lock -c 'rm -rf /srv/data'",
    "flock -w 5 /tmp/lock rm -rf /srv/data",
    "flock -n -E 3 /tmp/lock rm -rf /srv/data",
    # parallel
    "parallel rm -rf ::: /srv/data",
    "parallel rm -rf {} ::: /srv/data",
    "parallel 'rm -rf {}' ::: /srv/data build",
    "parallel -j4 rm -rf {1} ::: /srv/data ::: x",
    "parallel rm -rf {//} ::: /srv/data/x",
    "parallel ::: 'rm -rf /srv/data'",
    "parallel -I ,, rm -rf ,, ::: /srv/data",
    "echo /srv/data | parallel rm -rf",
    "parallel rm -rf -- /srv/data",
    "parallel -- 'rm -rf /srv/data'",
    # wrappers
    "systemd-run rm -rf /srv/data",
    "systemd-run --user --on-active=30 rm -rf /srv/data",
    "systemd-run -p MemoryMax=1G --wait rm -rf /srv/data",
    "unshare -r rm -rf /srv/data",
    "unshare --mount --propagation private rm -rf /srv/data",
    "unshare -m -- rm -rf /srv/data",
    "nsenter -t 1 -m -u -i -n -p rm -rf /srv/data",
    "nsenter --target=1 --all rm -rf /srv/data",
    "setpriv --reuid=1000 --regid=1000 --init-groups rm -rf /srv/data",
    "taskset -c 0-3 rm -rf /srv/data",
    "taskset 0x3 rm -rf /srv/data",
    "chrt -f 99 rm -rf /srv/data",
    "chrt --rr 10 rm -rf /srv/data",
    "prlimit --nofile=1024 rm -rf /srv/data",
    "numactl --cpunodebind=0 --membind=0 rm -rf /srv/data",
    "numactl -N 0 rm -rf /srv/data",
    "xvfb-run -a -s '-screen 0 1024x768x24' rm -rf /srv/data",
    "fakeroot -- rm -rf /srv/data",
    "dbus-run-session -- rm -rf /srv/data",
    "gosu postgres rm -rf /srv/data",
    "su-exec app:app rm -rf /srv/data",
    "sshpass -p secret ssh host rm -rf /srv/data",
    "cpulimit -l 50 -- rm -rf /srv/data",
    "valgrind --tool=memcheck rm -rf /srv/data",
    "entr -s 'rm -rf /srv/data'",
    "entr -r rm -rf /srv/data",
]


@pytest.mark.parametrize("command", CARRIED)
def test_the_carried_command_is_classified(workspace: Path, command: str) -> None:
    d = decide(command, cwd=workspace)
    assert deletes_srv(d), (command, d.reasons)


@pytest.mark.parametrize(("command", "carrier"), [
    ("tmux send-keys -t dev \"$CMD\" Enter", "tmux send-keys"),
    ("tmux new -d \"$CMD\"", "tmux new-session"),
    ("tmux \"$SUB\" x", "tmux"),
    ("tmux bind x \"$TMUXCMD\"", "tmux"),
    ("screen -S x -X stuff \"$CMD\"", "screen -X stuff"),
    ("echo \"$JOB\" | at now", "at"),
    ("at now", "at"),
    ("curl -s https://x.example/j | batch", "batch"),
    ("watch \"$CMD\"", "watch"),
    ("script -c \"$CMD\"", "script -c"),
    ("flock /tmp/l -c \"$CMD\"", "flock -c"),
    ("sg docker \"$CMD\"", "sg"),
    ("cat list | parallel \"rm -rf '{}'\"", "parallel"),
    ("cat list | parallel", "parallel"),
    ("parallel \"$TEMPLATE\" ::: a", "parallel"),
])
def test_a_command_airlock_cannot_see_is_held_naming_its_carrier(workspace: Path,
                                                                 command: str,
                                                                 carrier: str) -> None:
    d = decide(command, cwd=workspace)
    assert held_naming(d, carrier), d.reasons


@pytest.mark.parametrize("command", [
    "systemd-run rm -rf srv",  # a transient service starts in /: srv is /srv
    "nsenter -t 1 -m rm -rf build",  # another mount namespace: relative paths unknown
    "parallel -S host1 rm -rf {} ::: build",  # another host
    "unshare -R /mnt rm -rf build",  # a new root
])
def test_a_carrier_that_moves_the_working_directory_moves_relative_paths(
        workspace: Path, command: str) -> None:
    assert decide(command, cwd=workspace).decision in ("hold", "deny")


@pytest.mark.parametrize("command", [
    "tmux ls", "tmux list-sessions", "tmux attach -t dev", "tmux kill-session -t dev",
    "tmux new -s dev", "tmux new-session -d -s dev 'npm run dev'",
    "tmux send-keys -t dev 'npm test' Enter", "tmux capture-pane -p -t dev",
    "tmux has-session -t dev", "tmux pipe-pane -o 'cat >> build/pane.log'",
    "screen -ls", "screen -r job", "screen -x", "screen -dmS build make test",
    "screen -d -r job", "echo 'make test' | at midnight", "at -l", "at -c 4", "at -r 4",
    "watch -n 1 kubectl get pods", "watch -n 5 'df -h'", "watch -d git status",
    "script -q build/session.log", "su - deploy", "su -c 'whoami' deploy",
    "runuser -u app -- npm test", "sg docker -c 'docker ps'", "flock -x 9",
    "flock /tmp/build.lock make test", "parallel gzip ::: build/a.log build/b.log",
    "ls build/*.log | parallel gzip", "parallel echo {1} {2} ::: a b ::: c d",
    "systemd-run --user --scope -p MemoryMax=2G npm test", "systemd-run --scope make",
    "unshare -r whoami", "nsenter -t 1 -n ip addr", "taskset -p 1234",
    "taskset -c 0 npm test", "chrt -p 1234", "prlimit -p 1234", "numactl --hardware",
    "xvfb-run -a npm test", "fakeroot dpkg-deb --build pkg", "gosu app npm start",
    "ls src/*.py | entr pytest", "valgrind ./build/app", "nice -n 10 make",
])
def test_ordinary_uses_stay_allowed(workspace: Path, command: str) -> None:
    d = decide(command, cwd=workspace)
    assert d.decision == "allow", (command, d.reasons)


def test_su_runs_its_command_as_privileged(workspace: Path) -> None:
    d = decide("su postgres -c 'dropdb -h db.example.com app'", cwd=workspace)
    assert d.decision in ("hold", "deny")
    assert any(t.verb == "sql.drop_database" for t in d.targets), d.targets


def test_a_shell_given_to_su_is_run(workspace: Path) -> None:
    (workspace / "build" / "sh.sh").write_text("rm -rf /srv/data\n")
    d = decide("su -s build/sh.sh nobody", cwd=workspace)
    assert deletes_srv(d), d.reasons


def test_an_at_job_file_is_read_as_sh_reads_it(workspace: Path) -> None:
    (workspace / "build" / "job.sh").write_text("rm -rf /srv/data\n")
    assert deletes_srv(decide("at -f build/job.sh now", cwd=workspace))


def test_a_tmux_config_file_is_read(workspace: Path) -> None:
    (workspace / "build" / "t.conf").write_text("set -g mouse on\n"
                                                "bind x run-shell 'rm -rf /srv/data'\n")
    assert deletes_srv(decide("tmux source-file build/t.conf", cwd=workspace))
    assert deletes_srv(decide("tmux -f build/t.conf new -d", cwd=workspace))


def test_parallel_reads_its_input_files(workspace: Path) -> None:
    (workspace / "build" / "dirs").write_text("build/x\n/srv/data\n")
    assert deletes_srv(decide("parallel rm -rf :::: build/dirs", cwd=workspace))
    assert deletes_srv(decide("parallel -a build/dirs rm -rf", cwd=workspace))


# ---- the pieces ------------------------------------------------------------------------------

def test_typed_keys_become_the_text_a_shell_reads() -> None:
    keys = [Word(w) for w in ("ls", "Space", "-la", "Enter", "C-c", "echo hi", "C-m")]
    assert _typed(keys, literal=False, hexa=False).text == "ls -la\necho hi\n"
    assert _typed([Word("Enter")], literal=True, hexa=False).text == "Enter"
    assert _typed([Word("6c"), Word("73")], literal=False, hexa=True).text == "ls"


@pytest.mark.parametrize(("template", "values", "expected"), [
    ("rm -rf", ("/srv",), "rm -rf /srv"),
    ("rm -rf {}", ("/srv",), "rm -rf /srv"),
    ("gzip {.}.log", ("a.txt",), "gzip a.log"),
    ("echo {/} {//} {/.}", ("/a/b.c",), "echo b.c /a b"),
    ("cp {1} {2}", ("a", "b c"), "cp a 'b c'"),
    ("echo {#} {%}", ("x",), "echo 1 1"),
    ("echo {= s/a/b/ =}", ("x",), 'echo "${__AIRLOCK_UNKNOWN__}"'),
    ("rm {}", (None,), 'rm "${__AIRLOCK_UNKNOWN__}"'),
])
def test_parallel_fills_its_template_as_parallel_does(template: str,
                                                      values: tuple[str | None, ...],
                                                      expected: str) -> None:
    assert _fill(template, values, "{}", bare=False) == expected


SHORT_FLAGS = st.sampled_from(["-a", "-b", "-ab", "-ba"])


@settings(max_examples=80, deadline=None)
@given(flags=st.lists(SHORT_FLAGS, max_size=4), value=st.sampled_from(["5", "x y", "-n"]),
       attached=st.booleans())
def test_getopt_finds_the_command_after_any_options(flags: list[str], value: str,
                                                    attached: bool) -> None:
    opt = [Word("-n" + value)] if attached else [Word("-n"), Word(value)]
    args = [Word(f) for f in flags] + opt + [Word("rm"), Word("-rf"), Word("/srv")]
    options, rest = getopt(args, "n")
    assert [w.text for w in rest] == ["rm", "-rf", "/srv"]
    assert options["-n"] == [Word(value)]


def test_getopt_reads_a_unique_long_prefix_and_stops_at_dynamic_words() -> None:
    options, rest = getopt([Word("--comm"), Word("x"), Word("y")], "", ("--command",),
                           long_flags=("--login",))
    assert options == {"--command": [Word("x")]} and rest == [Word("y")]
    _options, rest = getopt([Word("\x00?", dynamic=True), Word("-c")], "c")
    assert rest[0].dynamic and len(rest) == 2
