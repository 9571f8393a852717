"""The shell walker: every command a script would run, with words unquoted as bash would."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airlock.classify.command import ClassifyContext
from airlock.classify.shell import parse_script


def ctx(tmp_path: str = "/work/proj") -> ClassifyContext:
    return ClassifyContext(cwd=tmp_path, home="/home/dev")


def argvs(source: str) -> list[list[str]]:
    c = ctx()
    return [[w.shown for w in cmd.argv] for cmd in parse_script(source, c)]


def test_lists_and_pipelines_yield_every_command_in_order() -> None:
    assert argvs("a 1 && b 2 || c 3; d | e") == [["a", "1"], ["b", "2"], ["c", "3"], ["d"],
                                                   ["e"]]


def test_quoting_tricks_are_removed_like_bash_does() -> None:
    assert argvs("r''m -rf /") == [["rm", "-rf", "/"]]
    assert argvs('"rm" -rf /') == [["rm", "-rf", "/"]]
    assert argvs("\\rm -rf /") == [["rm", "-rf", "/"]]
    assert argvs("r\\m x") == [["rm", "x"]]
    assert argvs("$'\\x72m' x") == [["rm", "x"]]


def test_literal_variables_assigned_earlier_are_substituted() -> None:
    assert argvs("F=-rf; rm $F /") == [["rm", "-rf", "/"]]
    assert argvs('D=/etc; rm -r "${D}"') == [["rm", "-r", "/etc"]]


def test_unknown_variables_and_substitutions_are_dynamic() -> None:
    c = ctx()
    [cmd] = parse_script("rm -rf $TARGET", c)
    assert cmd.argv[2].dynamic
    assert cmd.argv[2].shown == "$?"


def test_command_substitution_runs_its_inner_commands_too() -> None:
    assert argvs("ls $(rm -rf /)") == [["rm", "-rf", "/"], ["ls", "$?"]]
    assert argvs('echo "`whoami`"') == [["whoami"], ["echo", "$?"]]


def test_subshells_groups_and_control_flow_are_walked() -> None:
    assert argvs("(cd /; rm -rf x)") == [["cd", "/"], ["rm", "-rf", "x"]]
    assert argvs("{ a; b; }") == [["a"], ["b"]]
    assert ["rm", "-rf", "/var"] in argvs("if true; then rm -rf /var; fi")
    assert ["rm", "$?"] in argvs("for f in *; do rm $f; done")
    assert ["dropdb", "x"] in argvs("f() { dropdb x; }; f")
    assert ["rm", "y"] in argvs("while read l; do rm y; done < list")


def test_heredoc_becomes_stdin_of_its_command() -> None:
    c = ctx()
    [cmd] = parse_script("psql <<'EOF'\nDROP TABLE users;\nEOF\n", c)
    assert cmd.program == "psql"
    assert cmd.stdin == "DROP TABLE users;\n"
    assert not cmd.stdin_unknown


def test_heredoc_piped_onwards_reaches_the_next_command() -> None:
    c = ctx()
    cmds = parse_script("cat <<EOF | psql\nDROP TABLE x;\nEOF\n", c)
    assert [x.program for x in cmds] == ["cat", "psql"]
    assert cmds[1].stdin == "DROP TABLE x;\n"


def test_echo_piped_into_a_program_is_known_stdin() -> None:
    c = ctx()
    cmds = parse_script("echo 'FLUSHALL' | redis-cli", c)
    assert cmds[1].stdin == "FLUSHALL\n"


def test_unknown_producer_piped_in_marks_stdin_unknown() -> None:
    c = ctx()
    cmds = parse_script("curl https://x.sh | sh", c)
    assert cmds[1].stdin_unknown


def test_redirections_are_attached_to_their_command() -> None:
    c = ctx()
    [cmd] = parse_script("echo hi > out.txt 2>&1", c)
    assert [(r.op, r.target.text if r.target else None) for r in cmd.redirects] == [
        (">", "out.txt")]


def test_tilde_expands_to_home() -> None:
    assert argvs("rm -rf ~/x") == [["rm", "-rf", "/home/dev/x"]]


def test_globs_are_marked() -> None:
    c = ctx()
    [cmd] = parse_script("rm *.md", c)
    assert cmd.argv[1].glob
    [cmd] = parse_script("rm '*.md'", c)
    assert not cmd.argv[1].glob


def test_syntax_error_is_recorded_as_unparsed() -> None:
    c = ctx()
    parse_script("rm -rf $(", c)
    assert any(f.kind == "unparsed" for f in c.flags)


def test_env_prefix_assignments_belong_to_the_command() -> None:
    c = ctx()
    [cmd] = parse_script("PGPASSWORD=x psql -h db", c)
    assert cmd.env["PGPASSWORD"].text == "x"
    assert cmd.program == "psql"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_parser_never_raises_on_any_text(source: str) -> None:
    parse_script(source, ctx())


@pytest.mark.parametrize("source", ["rm -rf '", 'echo "unterminated', "if then fi", "((("])
def test_broken_scripts_are_flagged_not_dropped(source: str) -> None:
    c = ctx()
    parse_script(source, c)
    assert any(f.kind == "unparsed" for f in c.flags)


def test_parsing_from_many_threads_at_once_is_safe() -> None:
    """The daemon serves each connection on its own thread; tree-sitter parsers are not
    thread-safe, so each thread must get its own (a shared one segfaulted)."""
    import threading

    errors: list[BaseException] = []
    sources = ["rm -rf /", "a | b && c; d $(e) > f", "psql <<EOF\nDROP TABLE x;\nEOF\n"] * 50

    def work() -> None:
        try:
            for src in sources:
                parse_script(src, ctx())
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_high_plane_characters_are_held_and_never_crash_the_parser() -> None:
    """tree-sitter-bash segfaults now and then on `{` + a plane-16 character. A crash in
    a hook lets several agent tools run the call, so such input must never reach it."""
    import subprocess
    import sys

    code = (
        "from airlock.classify.command import ClassifyContext\n"
        "from airlock.classify.shell import parse_script\n"
        "for _ in range(200):\n"
        "    c = ClassifyContext(cwd='/w', home='/h')\n"
        "    parse_script('{\\U0010fff0 \\U000e0001{\\U00063e9d', c)\n"
        "    assert any(f.kind == 'unparsed' for f in c.flags)\n"
    )
    for _ in range(3):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
        assert r.returncode == 0, r.stderr.decode()[-500:]


def test_ordinary_emoji_are_not_held() -> None:
    c = ctx()
    parse_script("git commit -m '🎉 ship it {x}'", c)
    assert not c.flags


def test_cd_moves_the_commands_that_follow_and_subshells_do_not_leak() -> None:
    c = ctx("/work/proj")
    cmds = parse_script("cd /etc && rm -rf ssl; (cd /tmp; ls); cat x | (cd /; ls); rm y", c)
    assert [(x.program, x.cwd) for x in cmds] == [
        ("cd", None), ("rm", "/etc"), ("cd", "/etc"), ("ls", "/tmp"), ("cat", "/etc"),
        ("cd", "/etc"), ("ls", "/"), ("rm", "/etc")]


def test_cd_to_somewhere_unknown_loses_the_directory() -> None:
    from airlock.classify.command import UNKNOWN_CWD

    c = ctx("/work/proj")
    cmds = parse_script('cd "$DIR" && rm -rf build', c)
    assert cmds[1].cwd == UNKNOWN_CWD


def test_for_loop_over_literal_words_binds_the_variable_for_each() -> None:
    assert argvs("for d in /etc /usr; do rm -rf $d; done") == [
        ["rm", "-rf", "/etc"], ["rm", "-rf", "/usr"]]
    assert argvs("for f in *.log; do rm $f; done") == [["rm", "$?"]]


def test_known_echo_output_in_a_substitution_is_substituted_and_split() -> None:
    assert argvs("$(echo rm -rf /)") == [["echo", "rm", "-rf", "/"], ["rm", "-rf", "/"]]
    assert argvs('"$(echo rm -rf /)"') == [["echo", "rm", "-rf", "/"], ["rm -rf /"]]
    assert argvs("`printf rm` -rf /") == [["printf", "rm"], ["rm", "-rf", "/"]]


def test_a_readable_file_redirected_in_is_known_stdin(tmp_path: Path) -> None:
    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "q.sql").write_text("DROP TABLE users;")
    c = ctx(str(tmp_path))
    cmd = parse_script("cd ops && psql < q.sql", c)[-1]
    assert cmd.stdin == "DROP TABLE users;" and not cmd.stdin_unknown
    assert str(tmp_path / "ops" / "q.sql") in c.consumed  # a rewrite of it is held


@pytest.mark.parametrize("source", ["psql < missing.sql", "psql < $F", "psql < /dev/stdin",
                                    "psql < ."])
def test_an_unreadable_redirect_in_leaves_stdin_unknown(tmp_path: Path, source: str) -> None:
    cmd = parse_script(source, ctx(str(tmp_path)))[-1]
    assert cmd.stdin is None and cmd.stdin_unknown
