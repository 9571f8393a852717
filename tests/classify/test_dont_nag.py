"""Issue 13, "Don't nag": ordinary commands that were stopped, fixed at their root, with
the dangerous forms beside them still stopped. The end-to-end labels are in
tests/corpus/dont-nag-and-limits.jsonl; these pin the pieces."""

from __future__ import annotations

import pytest

from airlock.action import Risk
from airlock.classify import guards
from airlock.classify.command import SimpleCommand, Word
from airlock.classify.packs.git import _getopt
from airlock.classify.sql import classify_sql


def _cmd(*argv: str) -> SimpleCommand:
    return SimpleCommand(argv=[Word(a) for a in argv])


def _reads(*argv: str) -> list[str]:
    return [w.text for w in guards.read_operands(_cmd(*argv))]


@pytest.mark.parametrize(("argv", "read"), [
    (("cp", ".env.example", ".env.local"), [".env.example"]),
    (("cp", "-a", "a", "b", "dir/"), ["-a", "a", "b"]),
    (("cp", ".env", "/dev/stdout"), [".env"]),
    (("cp", "-t", "/tmp", ".env"), ["-t", "/tmp", ".env"]),
    (("cp", "-rt", "/tmp", ".env"), ["-rt", "/tmp", ".env"]),
    (("cp", "--target=/tmp", ".env"), ["--target=/tmp", ".env"]),
    (("cp", ".env"), [".env"]),
    (("rsync", "-a", ".env", "host:/x"), ["-a", ".env"]),
    (("scp", ".env", "host:"), [".env"]),
    (("tee", ".env.local"), []),
    (("cat", ".env", "x"), [".env", "x"]),
])
def test_a_copy_reads_its_sources_not_its_destination(argv: tuple[str, ...],
                                                      read: list[str]) -> None:
    assert _reads(*argv) == read


@pytest.mark.parametrize(("argv", "read"), [
    (("openssl", "x509", "-in", "cert.pem", "-noout", "-text"),
     ["x509", "-noout", "-text"]),
    (("openssl", "x509", "-in", "c.pem", "-signkey", "key.pem"),
     ["x509", "-signkey", "key.pem"]),
    (("openssl", "verify", "-CAfile", "ca.pem", "leaf.pem"), ["verify"]),
    (("openssl", "rsa", "-in", "key.pem"), ["rsa", "-in", "key.pem"]),
    (("openssl", "pkey", "-in", "key.pem"), ["pkey", "-in", "key.pem"]),
])
def test_openssl_certificate_commands_do_not_read_keys(argv: tuple[str, ...],
                                                       read: list[str]) -> None:
    assert _reads(*argv) == read


@pytest.mark.parametrize(("name", "secret"), [
    ("cert.pem", False), ("fullchain.pem", False), ("chain.pem", False),
    ("server-cert.pem", False), ("ca.pem", False), ("client.cert.pem", False),
    ("key.pem", True), ("privkey.pem", True), ("ca-key.pem", True), ("server.pem", True),
    ("certkey.pem", True), (".env.local", True), (".env.example", False),
])
def test_certificates_are_public_keys_are_not(name: str, secret: bool) -> None:
    assert guards.is_secret_file(f"/w/{name}") is secret


@pytest.mark.parametrize(("words", "short", "out"), [
    (["checkout", "-qbfeature"], "bB", ["checkout", "-q", "-b", "feature"]),
    (["checkout", "-qb", "feature"], "bB", ["checkout", "-q", "-b", "feature"]),
    (["checkout", "-fb", "x"], "bB", ["checkout", "-f", "-b", "x"]),
    (["push", "-uf", "origin"], "o", ["push", "-u", "-f", "origin"]),
    (["commit", "-mfix -f"], "mFCct", ["commit", "-m", "fix -f"]),
    (["checkout", "--", "-qbx"], "bB", ["checkout", "--", "-qbx"]),
    (["log", "--author=x", "-n5"], "nSGL", ["log", "--author=x", "-n", "5"]),
])
def test_git_reads_short_option_clusters_like_git(words: list[str], short: str,
                                                  out: list[str]) -> None:
    assert [w.text for w in _getopt([Word(w) for w in words], short)] == out


@pytest.mark.parametrize(("sql", "dialect", "verb", "risk"), [
    ("GRANT SELECT ON ALL TABLES IN SCHEMA public TO readonly", "postgresql", "sql.grant",
     Risk.WRITE),
    ("GRANT SELECT ON ALL TABLES IN SCHEMA public TO PUBLIC", "postgresql",
     "sql.grant_wide", Risk.DESTRUCTIVE),
    ("GRANT INSERT ON ALL TABLES IN SCHEMA public TO app", "postgresql", "sql.grant_wide",
     Risk.DESTRUCTIVE),
    ("REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM readonly", "postgresql",
     "sql.revoke", Risk.DESTRUCTIVE),
    ("GRANT SELECT ON shop.* TO 'ro'@'%'", "mysql", "sql.grant", Risk.WRITE),
    ("GRANT SELECT ON *.* TO 'ro'@'%'", "mysql", "sql.grant_wide", Risk.DESTRUCTIVE),
    ("GRANT UPDATE ON shop.* TO 'w'@'%'", "mysql", "sql.grant_wide", Risk.DESTRUCTIVE),
])
def test_a_read_only_grant_is_a_write(sql: str, dialect: str, verb: str,
                                      risk: Risk) -> None:
    targets, problems = classify_sql(sql, dialect=dialect)
    assert not problems
    assert [(t.verb, t.risk) for t in targets] == [(verb, risk)]
