"""Issue 13, shell semantics: what a script really does with its variables, escapes,
working directory and symlinks — the walker (shell.py, shell_state.py), the escape
decoders (escapes.py), the wrappers that move a command (wrappers.py) and symlink
resolution of delete targets (targets.py). End-to-end labels are in
tests/corpus/shell-semantics.jsonl; these pin the pieces."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from airlock.classify import escapes
from airlock.classify.command import UNKNOWN_CWD, ClassifyContext
from airlock.classify.shell import parse_script
from tests.support import decide

BASH = shutil.which("bash")
needs_bash = pytest.mark.skipif(BASH is None, reason="bash is not installed")
HOME = os.path.expanduser("~")


def argvs(source: str, cwd: str = "/work/proj") -> list[list[str]]:
    c = ClassifyContext(cwd=cwd, home="/home/dev")
    return [[w.shown for w in cmd.argv] for cmd in parse_script(source, c)]


def bash_bytes(script: str, *args: str) -> bytes:
    assert BASH is not None
    env = {"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"}
    return subprocess.run([BASH, "-c", script, "_", *args], capture_output=True, env=env,
                          timeout=10, check=False).stdout


# ---- escape decoders agree with bash --------------------------------------------------

_ALPHABET = st.sampled_from(list("\\\\\\\\xuUc01234567789abefnrtvq'\"?%sbdioxX-+ .*5lhé€A"))
_TEXT = st.lists(_ALPHABET, max_size=12).map("".join)
_FUZZ = settings(max_examples=150, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])


def _same(decoded: str | None, expected: bytes) -> bool:
    # the decoder may give up (None: unknown, held where it matters); when it answers,
    # it answers what bash prints
    return decoded is None or decoded.encode("utf-8", "surrogateescape") == expected


@needs_bash
@_FUZZ
@given(fmt=_TEXT, args=st.lists(_TEXT, max_size=3))
@example(fmt="\\x72\\x6d -rf %s", args=["/srv"])
@example(fmt="%b", args=["\\0162m\\c-rf"])
@example(fmt="%5.2s|%-4d|%03x", args=["abc", "7", "255"])
def test_printf_decodes_like_bash(fmt: str, args: list[str]) -> None:
    assert _same(escapes.printf_output([fmt, *args]), bash_bytes('printf -- "$@"', fmt, *args))


@needs_bash
@_FUZZ
@given(text=_TEXT, args=st.lists(_TEXT, max_size=2))
@example(text="\\x72m \\0155 \\c stop", args=[])
def test_echo_e_decodes_like_bash(text: str, args: list[str]) -> None:
    assert _same(escapes.echo_output(["-e", text, *args]),
                 bash_bytes('echo -e "$@"', text, *args))


@needs_bash
@_FUZZ
@given(text=_TEXT.filter(lambda t: "'" not in t
                         and (len(t) - len(t.rstrip("\\"))) % 2 == 0))
@example(text="\\x72\\155\\u00e9\\cA\\e\\'")
def test_ansi_c_quoting_decodes_like_bash(text: str) -> None:
    assert _same(escapes.ansi_c(text), bash_bytes("printf %s $'" + text + "'"))


@pytest.mark.parametrize(("argv", "out"), [
    (["\\x72\\x6d -rf /srv/data"], "rm -rf /srv/data"),
    (["\\162\\155"], "rm"),
    (["%b", "\\0162m"], "rm"),
    (["%b", "\\162m"], "rm"),  # %b also takes octal without the leading 0
    (["%s -rf %s\\n", "rm", "/srv"], "rm -rf /srv\n"),
    (["%s\\n", "a", "b"], "a\nb\n"),  # the format is reused for the rest
    (["\\u0072m"], "rm"),
    (["%b|", "a\\cb", "z"], "a"),  # \c in %b ends all output
    (["%f", "1"], None),  # not modelled: unknown
    (["%d", "12abc"], None),  # bash complains: unknown
])
def test_printf_examples(argv: list[str], out: str | None) -> None:
    assert escapes.printf_output(argv) == out


def test_echo_without_e_is_unknown_only_where_shells_disagree() -> None:
    assert escapes.echo_output(["rm", "-rf", "/srv"]) == "rm -rf /srv\n"
    assert escapes.echo_output(["-e", "\\x72m"]) == "rm\n"
    assert escapes.echo_output(["-E", "\\x72m"]) == "\\x72m\n"
    # bash prints the backslash, zsh decodes it: which one runs is not known
    assert escapes.echo_output(["\\x72m"]) is None


# ---- line continuations ------------------------------------------------------------------

@given(word=st.text(alphabet="abcdefrm/-._", min_size=2, max_size=12),
       cut=st.integers(min_value=1, max_value=11))
def test_a_backslash_newline_inside_a_word_joins_it(word: str, cut: int) -> None:
    cut = min(cut, len(word) - 1)
    source = f"echo {word[:cut]}\\\n{word[cut:]} end"
    assert argvs(source) == [["echo", word, "end"]]


def test_line_continuations_are_joined_only_where_bash_joins_them() -> None:
    assert argvs("r\\\nm -rf /srv/data") == [["rm", "-rf", "/srv/data"]]
    assert argvs("rm -rf /s\\\nrv") == [["rm", "-rf", "/srv"]]
    assert argvs('echo "a\\\nb"') == [["echo", "ab"]]
    assert argvs("echo 'a\\\nb'") == [["echo", "a\\\nb"]]  # single quotes keep it
    assert argvs("echo a\\\\\nrm x") == [["echo", "a\\"], ["rm", "x"]]  # an escaped \
    assert argvs("docker run \\\n  --rm alpine") == [["docker", "run", "--rm", "alpine"]]


def test_a_redirection_written_after_a_heredoc_is_kept() -> None:
    c = ClassifyContext(cwd="/work/proj", home="/home/dev")
    [cmd] = parse_script("cat <<'EOF' > ~/.bashrc\nalias ls='rm -rf ~'\nEOF\n", c)
    assert [(r.op, r.target.text if r.target else None) for r in cmd.redirects] == [
        ("<<", None), (">", "/home/dev/.bashrc")]


# ---- variables: every value a branch may leave ------------------------------------------

def test_a_variable_holds_every_value_its_branches_give_it() -> None:
    assert argvs('X=~; true || X=build; rm -rf "$X"')[-2:] == [
        ["rm", "-rf", "/home/dev"], ["rm", "-rf", "build"]]
    cmds = argvs('if a; then D=b1; elif c; then D=b2; else D=b3; fi; rm "$D"')
    assert [c for c in cmds if c[0] == "rm"] == [["rm", "b1"], ["rm", "b2"], ["rm", "b3"]]
    cmds = argvs('case $m in x) T=/srv;; *) T=build;; esac; rm -rf "$T"')
    assert [c for c in cmds if c[0] == "rm"] == [["rm", "-rf", "/srv"], ["rm", "-rf", "build"]]


def test_a_loop_carries_values_into_its_next_turn() -> None:
    cmds = argvs('T=build; while c; do rm -rf "$T"; T=/srv; done')
    assert ["rm", "-rf", "/srv"] in cmds and ["rm", "-rf", "build"] in cmds
    cmds = argvs('T=build; for i in 1 2; do T=/srv/$i; break; done; rm -rf "$T"')
    assert ["rm", "-rf", "/srv/1"] in cmds


def test_more_values_than_the_cap_make_a_variable_unknown() -> None:
    branches = "".join(f" || X=v{i}" for i in range(20))
    cmds = argvs(f"X=v; true{branches}; rm $X")
    assert cmds[-1] == ["rm", "$?"]
    few = "".join(f" || Y=w{i}" for i in range(3))
    assert len([c for c in argvs(f"Y=w; true{few}; rm $Y") if c[0] == "rm"]) == 4


def test_narrowing_by_case_patterns() -> None:
    cmds = argvs('case "$T" in build|dist) rm -rf "$T";; esac')
    assert [c for c in cmds if c[0] == "rm"] == [["rm", "-rf", "build"], ["rm", "-rf", "dist"]]


@pytest.mark.parametrize("source", [
    'X=build; read X; rm -rf "$X"',
    'X=build; read -r -p "dir? " X; rm -rf "$X"',
    'X=build; mapfile -t X < list; rm -rf "$X"',
    'X=build; readarray X < list; rm -rf "$X"',
    'X=build; getopts ab: X; rm -rf "$X"',
    'X=build; (X=/srv); rm -rf "$X"',
    'X=build; echo "$(X=/srv)"; rm -rf "$X"',
    'X=build; f() { X=/srv; }; f; rm -rf "$X"',
    'X=build; eval "$CMD"; rm -rf "$X"',
    'X=build; source "$F"; rm -rf "$X"',
    'X=build; printf -v X "%s" "$(cat f)"; rm -rf "$X"',
    'X=build; declare "$N=/srv"; rm -rf "$X"',
    'X=build; echo "${X:=/srv}"; rm -rf "$X"',
    'X=build; (( X = 0 )); rm -rf "$X"',
])
def test_values_airlock_cannot_see_leave_the_variable_unknown(source: str) -> None:
    assert argvs(source)[-1] == ["rm", "-rf", "$?"]


def test_values_airlock_can_compute_are_used() -> None:
    assert argvs("printf -v X '%s/%s' /var lib; rm -rf \"$X\"")[-1] == ["rm", "-rf", "/var/lib"]
    assert argvs('X=build; declare -n R=X; R=/srv; rm -rf "$X"')[-1] == ["rm", "-rf", "/srv"]
    assert argvs('X=build; eval X=/srv; rm -rf "$X"')[-1] == ["rm", "-rf", "/srv"]
    assert argvs("X=/s; X+=rv; rm -rf $X")[-1] == ["rm", "-rf", "/srv"]
    assert argvs('set -- a /srv; rm -rf "$2"')[-1] == ["rm", "-rf", "/srv"]


def test_eval_reads_the_variables_of_its_own_line_not_a_later_one(workspace: Path) -> None:
    assert decide("X=/srv; eval 'rm -rf $X'; X=build", cwd=workspace).decision == "deny"
    assert decide("X=build; eval 'rm -rf $X'; X=/srv", cwd=workspace).decision == "allow"


# ---- functions: where they are called, with their arguments -------------------------------

def test_a_function_runs_where_it_is_called_with_its_arguments() -> None:
    assert argvs('f() { rm -rf "$1"; }; f /srv') == [["rm", "-rf", "/srv"]]
    assert argvs('f() { rm -rf "$@"; }; f a b') == [["rm", "-rf", "a", "b"]]
    assert argvs('f() { shift; rm "$1"; }; f a b')[-1] == ["rm", "b"]
    assert argvs("f() { g; }; g() { rm x; }; f") == [["rm", "x"]]
    assert argvs("f() { rm -rf /srv; }") == []  # never called: runs nothing


def test_a_function_named_elsewhere_is_walked_as_if_called() -> None:
    assert ["rm", "-rf", "/srv"] in argvs("f() { rm -rf /srv; }; trap f EXIT")
    assert ["rm", "-rf", "/srv"] in argvs("f() { rm -rf /srv; }; export -f f; bash -c f")


def test_recursion_is_bounded_and_held() -> None:
    c = ClassifyContext(cwd="/work/proj", home="/home/dev")
    parse_script("f() { f; }; f", c)
    assert any(fl.kind == "unparsed" for fl in c.flags)


# ---- command substitution with computable output -----------------------------------------

def test_substitutions_of_computable_output_are_used() -> None:
    assert argvs("$(printf '\\x72\\x6d') -rf /srv")[-1] == ["rm", "-rf", "/srv"]
    assert argvs("$(echo -e '\\x72m') x")[-1] == ["rm", "x"]
    assert argvs("rm -rf $'\\x2fsrv'") == [["rm", "-rf", "/srv"]]
    assert argvs("cd /srv && rm -rf \"$(pwd)\"")[-1] == ["rm", "-rf", "/srv"]
    assert argvs("$(cat cmd) -rf /srv")[-1][0] == "$?"


# ---- the working directory ---------------------------------------------------------------

def _cwds(source: str) -> list[tuple[str, str | None]]:
    c = ClassifyContext(cwd="/work/proj", home="/home/dev")
    return [(cmd.program, cmd.cwd) for cmd in parse_script(source, c)]


def test_cd_pushd_popd_move_the_commands_that_follow() -> None:
    assert _cwds("cd && rm x")[-1] == ("rm", "/home/dev")
    assert _cwds("pushd /srv && popd && rm x")[-1] == ("rm", None)
    assert _cwds("cd /srv; cd /etc; cd -; rm x")[-1] == ("rm", "/srv")
    assert _cwds("cd /srv && cd ~+/data && rm x")[-1] == ("rm", "/srv/data")
    assert ("rm", UNKNOWN_CWD) in _cwds("CDPATH=/srv cd data && rm x")
    assert _cwds("popd; rm x")[-1] == ("rm", UNKNOWN_CWD)  # a stack Airlock never saw
    assert _cwds("builtin cd /srv && rm x")[-1] == ("rm", "/srv")


def test_a_directory_that_differs_by_branch_is_each_of_them() -> None:
    # `cd b` runs where `cd a` failed, so in /work/proj (a failed cd moves nothing)
    assert {"/work/proj/a", "/work/proj/b"} <= {
        cwd for prog, cwd in _cwds("cd a || cd b; rm x") if prog == "rm"}
    assert {cwd for prog, cwd in _cwds("[ -d b ] && cd b; rm x") if prog == "rm"} == {
        None, "/work/proj/b"}


@pytest.mark.parametrize(("source", "decision"), [
    ("cd $HOME && rm -rf .", "deny"),
    ("env -C ~ rm -rf .", "deny"),
    ("sudo -D / rm -rf srv", "deny"),
    ("sudo --chdir=/var rm -rf lib", "deny"),
    ("pushd ~ && rm -rf ./*", "deny"),
    ("env --chdir=/var/lib rm -rf mysql", "hold"),
    ("sudo -i rm -rf build", "hold"),  # the target user's home: not known here
    ('cd "$(mktemp -d)" && rm -rf build', "allow"),  # a fresh temp dir
    ("cd src && rm -rf __pycache__", "allow"),
    ("env -C src ls", "allow"),
    ("pushd src && pytest && popd", "allow"),
    ('cd "$(git rev-parse --show-toplevel)" && rm -rf build', "allow"),
])
def test_relative_targets_resolve_against_the_directory_they_run_in(
        workspace: Path, source: str, decision: str) -> None:
    (workspace / "src" / "__pycache__").mkdir()
    assert decide(source, cwd=workspace).decision == decision


@pytest.mark.parametrize(("source", "decision"), [
    ("sudo -s 'rm -rf /srv/data'", "hold"),  # one word: the shell's command line
    ("sudo -i 'rm -rf /srv/data'", "hold"),
    ("sudo --shell 'rm -rf /srv/data'", "hold"),
    ("sudo -s rm -rf /srv/data", "hold"),  # several words stay the argv
    ("sudo -u postgres -i psql -c 'DROP DATABASE app'", "deny"),
    ("sudo -s 'ls -la /srv/data'", "allow"),
    ("sudo -i", "allow"),  # an interactive shell
])
def test_sudo_with_a_shell_runs_its_words_as_a_command(workspace: Path, source: str,
                                                        decision: str) -> None:
    d = decide(source, cwd=workspace)
    assert d.decision == decision, d.reasons
    assert not any("classifier error" in r for r in d.reasons)


# ---- symlinks ----------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "decision"), [
    ("ln -sfn ~ node_modules && rm -rf node_modules/", "deny"),
    ("ln -s / build && rm -rf build/srv", "deny"),
    ("ln -sfn /srv/data dist && rm -rf dist/*", "hold"),
    ('ln -sf "$T" out && rm -rf out/', "hold"),
    ("ln -s ~/.bashrc rc && echo x > rc", "hold"),
    ("ln -sfn /srv/data dist && rm -rf dist", "allow"),  # removes the link only
    ("ln -s ../shared src/shared && ls src/shared/", "allow"),
])
def test_links_made_by_the_script_are_followed(workspace: Path, source: str,
                                               decision: str) -> None:
    assert decide(source, cwd=workspace).decision == decision


def test_links_already_on_disk_are_followed(workspace: Path) -> None:
    outside = Path(HOME) / ".cache" / "airlock-semantics-outside"
    os.symlink(outside, workspace / "node_modules")
    os.symlink(workspace / "src", workspace / "code")
    assert decide("rm -rf node_modules/", cwd=workspace).decision == "hold"
    assert decide("rm -rf node_modules/*", cwd=workspace).decision == "hold"
    assert decide("rm -rf node_modules", cwd=workspace).decision == "allow"
    assert decide("rm -rf code/__pycache__", cwd=workspace).decision == "allow"


# ---- env -S ---------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "decision"), [
    ("env -S 'rm -rf /srv/data'", "hold"),
    ("env -S'rm -rf /var/lib'", "deny"),
    ("env --split-string='A=1 rm -rf /srv'", "deny"),
    ("env -S 'echo hi'", "allow"),
])
def test_env_split_string_is_a_command_line(workspace: Path, source: str,
                                            decision: str) -> None:
    assert decide(source, cwd=workspace).decision == decision


# ---- mktemp output and positional parameters of bash -c --------------------------------

@pytest.mark.parametrize(("command", "expect"), [
    ('f=$(mktemp); echo hi > "$f"; rm -f "$f"', "allow"),
    ('t=$(mktemp -d /tmp/build.XXXXXX); rm -rf "$t"', "allow"),
    ('t="$(mktemp -t foo.XXXX)"; rm -rf "$t"/x', "allow"),
    ('t=$(mktemp -d --tmpdir=/var/tmp); rm -rf "$t"', "allow"),
    ('t=$(mktemp -d); tmp=/srv; t=$tmp; rm -rf "$t"', "deny"),
    ('t=$(mktemp -p /srv); rm -rf "$t"', "hold"),  # not a temp dir: unknown
    ('t=$(TMPDIR=/srv mktemp); rm -rf "$t"', "hold"),
    ('read TMPDIR; t=$(mktemp -d); rm -rf "$t"', "hold"),
    ("$(mktemp) -rf /", "hold"),  # never a program name
    ('t=$(mktemp -d); sudo "$t"/x -rf /', "hold"),
    ("bash -c 'rm -rf \"$1\"' _ build", "allow"),
    ("sh -c 'echo \"$@\"' x a b", "allow"),
    ("bash -c 'rm -rf \"$1\"' _ /", "deny"),
    ("bash -c 'rm -rf \"$2\"' _ \"$X\" build", "hold"),  # $X may be 0 or 2 fields
    ("sh -c 'rm -rf \"$0\"' build", "allow"),
    ("bash -c 'rm -rf $1/'", "deny"),  # no arguments: $1 is empty
])
def test_mktemp_paths_and_shell_c_arguments_are_known(workspace: Path, command: str,
                                                      expect: str) -> None:
    assert decide(command, cwd=workspace).decision == expect


def test_bash_script_arguments_are_its_positional_parameters(workspace: Path) -> None:
    (workspace / "clean.sh").write_text('rm -rf "$1"\n')
    assert decide("bash clean.sh build", cwd=workspace).decision == "allow"
    assert decide("bash clean.sh /srv/data", cwd=workspace).decision == "hold"
    assert decide('bash clean.sh "$X"', cwd=workspace).decision == "hold"


@pytest.mark.parametrize(("source", "decision"), [
    ('t=$(mktemp -d); rm -rf "$t"/*', "deny"),  # mktemp failing: rm -rf /*
    ('t=$(mktemp -d); rm -rf "$t"/etc', "deny"),
    ('t=$(mktemp -d); rm -rf "$t"', "allow"),  # rm -rf "": nothing
    ('t=$(mktemp -d); rm -rf "$t"/build', "allow"),  # /build: nothing that matters
])
def test_a_path_built_on_mktemp_is_also_judged_as_if_mktemp_printed_nothing(
        workspace: Path, source: str, decision: str) -> None:
    assert decide(source, cwd=workspace).decision == decision
