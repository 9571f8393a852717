"""The datastores packs: verb, risk and locator of each command (Kafka, etcd, cqlsh)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlock.action import Risk
from airlock.classify.packs.datastores import PACKS
from tests.classify.packs.support import run_pack

R, W, D, C = Risk.READ, Risk.WRITE, Risk.DESTRUCTIVE, Risk.CATASTROPHIC

CASES = [
    ('kafka-topics --bootstrap-server kafka.prod.internal:9092 --delete --topic orders',
     'kafka.topics.delete', D, 'kafka:kafka.prod.internal:9092/topic/orders'),
    ('kafka-topics.sh --zookeeper zk:2181 --delete --topic=orders',
     'kafka.topics.delete', D, 'kafka:zk:2181/topic/orders'),
    ('kafka-consumer-groups --bootstrap-server b:9092 --group g1 --reset-offsets --to-earliest --topic t --execute',  # noqa: E501
     'kafka.groups.reset-offsets', D, 'kafka:b:9092/group/g1'),
    ('kafka-consumer-groups --bootstrap-server b:9092 --delete --group g1',
     'kafka.groups.delete', D, 'kafka:b:9092/group/g1'),
    ('kafka-delete-records --bootstrap-server b:9092 --offset-json-file offsets.json',
     'kafka.delete-records', D, 'kafka:b:9092/records/offsets.json'),
    ('kafka-consumer-groups --bootstrap-server b:9092 --group g1 --reset-offsets --to-earliest --topic t',  # noqa: E501
     'kafka.groups.reset-offsets', R, 'kafka:b:9092/group/g1'),
    ('kafka-topics.sh --bootstrap-server=localhost:9092 --list',
     'kafka.topics.read', R, 'kafka:localhost:9092'),
    ('kafka-topics --describe --topic orders --bootstrap-server b:9092',
     'kafka.topics.read', R, 'kafka:b:9092'),
    ('kafka-consumer-groups --bootstrap-server b:9092 --describe --group g1',
     'kafka.groups.read', R, 'kafka:b:9092'),
    ('kafka-topics --create --topic x --partitions 3 --bootstrap-server b:9092',
     'kafka.topics.create', W, 'kafka:b:9092/topic/x'),
    ('kafka-topics --alter --topic x --partitions 6 --bootstrap-server b:9092',
     'kafka.topics.alter', W, 'kafka:b:9092/topic/x'),
    ('etcdctl del --prefix /registry/', 'etcdctl.del.range', D, 'etcd:127.0.0.1:2379//registry/'),
    ('etcdctl --endpoints=https://etcd-0:2379 del foo', 'etcdctl.del', D, 'etcd:etcd-0:2379/foo'),
    ('etcdctl del "" --from-key', 'etcdctl.del.range', D, 'etcd:127.0.0.1:2379/'),
    ('etcdctl compaction 12345', 'etcdctl.compaction', D, 'etcd:127.0.0.1:2379'),
    ('etcdctl member remove 8e9e05c52164694d',
     'etcdctl.member.remove', D, 'etcd:127.0.0.1:2379/member/8e9e05c52164694d'),
    ('etcdctl lease revoke 694d77aa9e38260f',
     'etcdctl.lease.revoke', D, 'etcd:127.0.0.1:2379/lease/694d77aa9e38260f'),
    ('etcdctl user delete alice', 'etcdctl.user.delete', D, 'etcd:127.0.0.1:2379/user/alice'),
    ('etcdctl txn', 'etcdctl.txn', D, 'etcd:127.0.0.1:2379'),
    ('etcdctl get --prefix /registry', 'etcdctl.get', R, 'etcd:127.0.0.1:2379//registry'),
    ('etcdctl endpoint health', 'etcdctl.endpoint.health', R, 'etcd:127.0.0.1:2379'),
    ('etcdctl member list', 'etcdctl.member.list', R, 'etcd:127.0.0.1:2379'),
    ('etcdctl snapshot save /tmp/snap.db', 'etcdctl.snapshot.save', R, 'etcd:127.0.0.1:2379'),
    ('etcdctl put k v', 'etcdctl.put', W, 'etcd:127.0.0.1:2379/k'),
    ('etcdctl defrag', 'etcdctl.defrag', W, 'etcd:127.0.0.1:2379'),
    ('cqlsh cassandra.prod.internal -e "DROP TABLE shop.orders"',
     'cql.drop', D, 'cassandra://cassandra.prod.internal:9042/'),
    ('cqlsh -k shop -e "TRUNCATE orders"', 'cql.truncate', D, 'cassandra://localhost:9042/shop'),
    ('cqlsh -e "DELETE FROM shop.orders WHERE id = 1"',
     'cql.delete', D, 'cassandra://localhost:9042/'),
    ('cqlsh -e "DROP KEYSPACE shop"', 'cql.drop', D, 'cassandra://localhost:9042/'),
    ('cqlsh -f missing.cql', 'cqlsh.file', D, 'cassandra://localhost:9042/'),
    ('cqlsh', 'cqlsh.session', D, 'cassandra://localhost:9042/'),
    ('cqlsh -e "FROBNICATE shop"', 'cql.unknown', D, 'cassandra://localhost:9042/'),
    ('cqlsh -e "SELECT * FROM shop.orders LIMIT 10"',
     'cql.select', R, 'cassandra://localhost:9042/'),
    ('cqlsh -e "DESCRIBE KEYSPACES"', 'cql.describe', R, 'cassandra://localhost:9042/'),
    ('cqlsh -e "INSERT INTO t (a) VALUES (\'x;DROP\'); SELECT * FROM t"',
     'cql.insert', W, 'cassandra://localhost:9042/'),
    ('cqlsh -e "CREATE TABLE t (a int PRIMARY KEY)"',
     'cql.create', W, 'cassandra://localhost:9042/'),
    # retention down to nothing is how Kafka's docs purge a topic
    ('kafka-configs --bootstrap-server b:9092 --alter --entity-type topics --entity-name t'
     ' --add-config retention.ms=1000', 'kafka.configs.retention', D, 'kafka:b:9092/config/t'),
    ('kafka-configs --bootstrap-server b:9092 --alter --entity-type topics --entity-name t'
     ' --add-config max.message.bytes=2000000,cleanup.policy=compact', 'kafka.configs.retention',
     D, 'kafka:b:9092/config/t'),
    ('kafka-configs --bootstrap-server b:9092 --alter --entity-type topics --entity-name t'
     ' --add-config $CFG', 'kafka.configs.retention', D, 'kafka:b:9092/config/t'),
    ('kafka-configs --bootstrap-server b:9092 --alter --entity-type topics --entity-name t'
     ' --add-config max.message.bytes=2000000', 'kafka.configs.alter', W, 'kafka:b:9092/config/t'),
    ('cqlsh -e "ALTER TABLE shop.orders DROP notes"', 'cql.alter.drop', D,
     'cassandra://localhost:9042/'),
    ('cqlsh -e "ALTER TABLE shop.orders ADD notes text"', 'cql.alter', W,
     'cassandra://localhost:9042/'),
]


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), CASES)
def test_classify(line: str, verb: str, risk: Risk, locator: str, tmp_path: Path) -> None:
    targets = run_pack(PACKS, line, tmp_path)
    worst = max(targets, key=lambda t: t.risk)
    assert (worst.verb, worst.risk) == (verb, risk), targets
    if locator:
        assert worst.locator == locator.replace("{cwd}", str(tmp_path)), targets


def test_cqlsh_statement_it_cannot_see_is_unparsed(tmp_path: Path) -> None:
    from airlock.classify.command import ClassifyContext, SimpleCommand
    from tests.classify.packs.support import word

    ctx = ClassifyContext(cwd=str(tmp_path), home="/root")
    cmd = SimpleCommand(argv=[word("cqlsh"), word("-e"), word("$STMT")])
    pack = next(p for p in PACKS if p.name == "cqlsh")
    (target,) = pack.classify(cmd, ctx)
    assert target.risk == D and any(f.kind == "unparsed" for f in ctx.flags)
