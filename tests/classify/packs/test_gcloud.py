"""The gcloud, gsutil and bq packs: verb, risk and locator of each command."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlock.action import Risk, Target
from airlock.classify.packs.gcloud import PACKS
from tests.classify.packs.support import run_pack, word

_word = word


def classify(line: str, tmp_path: Path, env: dict[str, str] | None = None) -> list[Target]:
    return run_pack(PACKS, line, tmp_path, env)


def worst(targets: list[Target]) -> Target:
    return max(targets, key=lambda t: t.risk)


CASES = [
    # reads
    ("gcloud compute instances list", "gcloud.compute.instances.list", Risk.READ,
     "gcp:compute:*"),
    ("gcloud sql instances describe prod-db", "gcloud.sql.instances.describe", Risk.READ,
     "gcp:sql:*"),
    ("gcloud projects list --format=json", "gcloud.projects.list", Risk.READ, "gcp:projects:*"),
    ("gcloud config list", "gcloud.config.list", Risk.READ, "gcp:config:*"),
    ("gcloud storage ls gs://b", "gcloud.storage.ls", Risk.READ, "gcp:storage:*"),
    ("gcloud logging read 'severity>=ERROR' --limit 10", "gcloud.logging.read", Risk.READ,
     "gcp:logging:*"),
    ("gcloud sql instances delete prod-db --help", "gcloud.help", Risk.READ, "gcp:sql:*"),
    ("gcloud compute instances delete vm1 -h", "gcloud.help", Risk.READ, "gcp:compute:*"),
    # writes
    ("gcloud run deploy api --image gcr.io/p/api", "gcloud.run.deploy", Risk.WRITE,
     "gcp:run:api"),
    ("gcloud functions deploy fn --runtime python311", "gcloud.functions.deploy", Risk.WRITE,
     "gcp:functions:fn"),
    ("gcloud sql instances create db2 --tier db-f1-micro", "gcloud.sql.instances.create",
     Risk.WRITE, "gcp:sql:db2"),
    ("gcloud compute instances update vm1 --zone z", "gcloud.compute.instances.update",
     Risk.WRITE, "gcp:compute:vm1"),
    ("gcloud storage cp report.csv gs://b/reports/", "gcloud.storage.copy", Risk.WRITE,
     "gcp:storage:b"),
    ("gcloud config set project acme", "gcloud.config.set", Risk.WRITE, "gcp:config:*"),
    ("gcloud compute ssh vm1 --zone z", "gcloud.compute.ssh", Risk.WRITE, "gcp:compute:vm1"),
    ("gcloud frobnicate things", "gcloud.other", Risk.WRITE, "gcp:frobnicate:*"),
    # destructive
    ("gcloud compute disks delete d1 --zone z", "gcloud.compute.disks.delete",
     Risk.DESTRUCTIVE, "gcp:compute:d1"),
    ("gcloud compute networks subnets delete sub1 --region r",
     "gcloud.compute.networks.subnets.delete", Risk.DESTRUCTIVE, "gcp:compute:sub1"),
    ("gcloud functions delete fn1 --region r", "gcloud.functions.delete", Risk.DESTRUCTIVE,
     "gcp:functions:fn1"),
    ("gcloud run services delete api", "gcloud.run.services.delete", Risk.DESTRUCTIVE,
     "gcp:run:api"),
    ("gcloud storage rm --recursive gs://b/logs/", "gcloud.storage.rm.recursive",
     Risk.DESTRUCTIVE, "gcp:storage:b"),
    ("gcloud storage rm gs://b/a.txt", "gcloud.storage.rm", Risk.DESTRUCTIVE, "gcp:storage:b"),
    ("gcloud storage buckets delete gs://b", "gcloud.storage.buckets.delete", Risk.DESTRUCTIVE,
     "gcp:storage:b"),
    # catastrophic
    ("gcloud sql instances delete prod-db", "gcloud.sql.instances.delete", Risk.CATASTROPHIC,
     "gcp:sql:prod-db"),
    ("gcloud compute instances delete vm1 --zone z", "gcloud.compute.instances.delete",
     Risk.CATASTROPHIC, "gcp:compute:vm1"),
    ("gcloud projects delete acme-prod", "gcloud.projects.delete", Risk.CATASTROPHIC,
     "gcp:project:acme-prod"),
    ("gcloud container clusters delete prod --region europe-west1",
     "gcloud.container.clusters.delete", Risk.CATASTROPHIC, "gcp:container:prod"),
    ("gcloud storage rm -r gs://bucket", "gcloud.storage.rm.bucket", Risk.CATASTROPHIC,
     "gcp:storage:bucket"),
    ("gcloud spanner databases delete orders --instance i", "gcloud.spanner.databases.delete",
     Risk.CATASTROPHIC, "gcp:spanner:orders"),
    ("gcloud firestore databases delete --database=prod", "gcloud.firestore.databases.delete",
     Risk.CATASTROPHIC, "gcp:firestore:prod"),
    # global options and release tracks before the command
    ("gcloud --project=acme beta sql instances delete prod-db -q",
     "gcloud.sql.instances.delete", Risk.CATASTROPHIC, "gcp:sql:prod-db"),
    ("gcloud --project acme --verbosity debug alpha container clusters delete c1",
     "gcloud.container.clusters.delete", Risk.CATASTROPHIC, "gcp:container:c1"),
    # gsutil
    ("gsutil ls gs://b", "gsutil.read", Risk.READ, "gcp:storage:*"),
    ("gsutil help rm", "gsutil.help", Risk.READ, "gcp:storage:*"),
    ("gsutil -h 'Cache-Control:no-cache' cp site.html gs://www/index.html", "gsutil.copy",
     Risk.WRITE, "gcp:storage:www"),
    ("gsutil rm gs://b/obj", "gsutil.rm", Risk.DESTRUCTIVE, "gcp:storage:b"),
    ("gsutil -m rm -r gs://b/prefix", "gsutil.rm.recursive", Risk.DESTRUCTIVE, "gcp:storage:b"),
    ("gsutil rb gs://b", "gsutil.rb", Risk.DESTRUCTIVE, "gcp:storage:b"),
    ("gsutil rsync -d -r ./site gs://www", "gsutil.rsync.delete", Risk.DESTRUCTIVE,
     "gcp:storage:www"),
    ("gsutil rm -r gs://b", "gsutil.rm.bucket", Risk.CATASTROPHIC, "gcp:storage:b"),
    # bq
    ("bq ls", "bq.read", Risk.READ, "gcp:bigquery:*"),
    ("bq show ds.t", "bq.read", Risk.READ, "gcp:bigquery:*"),
    ("bq query --use_legacy_sql=false 'SELECT 1'", "bq.query", Risk.WRITE, "gcp:bigquery:*"),
    ("bq mk -d newds", "bq.mk", Risk.WRITE, "gcp:bigquery:newds"),
    ("bq rm -f -t proj:ds.tbl", "bq.rm.table", Risk.DESTRUCTIVE, "gcp:bigquery:proj:ds.tbl"),
    ("bq cp -f ds.a ds.b", "bq.cp.overwrite", Risk.DESTRUCTIVE, "gcp:bigquery:ds.b"),
    ("bq rm -r -f mydataset", "bq.rm.dataset.recursive", Risk.CATASTROPHIC,
     "gcp:bigquery:mydataset"),
    ("bq --project_id=p rm -r -f -d ds", "bq.rm.dataset.recursive", Risk.CATASTROPHIC,
     "gcp:bigquery:ds"),
    ("gcloud secrets delete db-password", "gcloud.secrets.delete", Risk.CATASTROPHIC,
     "gcp:secrets:db-password"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), CASES, ids=[c[0] for c in CASES])
def test_verb_risk_and_locator(
    line: str, verb: str, risk: Risk, locator: str, tmp_path: Path
) -> None:
    target = worst(classify(line, tmp_path))
    assert (target.verb, target.risk, target.locator) == (verb, risk, locator)
    if target.risk >= Risk.DESTRUCTIVE:
        assert not target.reversible


def test_project_and_zone_go_in_the_detail(tmp_path: Path) -> None:
    target = classify("gcloud compute instances delete vm1 --project acme --zone z1", tmp_path)
    assert "project acme" in target[0].detail
    assert "zone z1" in target[0].detail


def test_project_from_the_environment_goes_in_the_detail(tmp_path: Path) -> None:
    target = classify("gcloud sql instances delete db", tmp_path, {"CLOUDSDK_CORE_PROJECT": "p"})
    assert "project p" in target[0].detail


def test_every_named_instance_is_a_target(tmp_path: Path) -> None:
    targets = classify("gcloud compute instances delete a b --zone z", tmp_path)
    assert [t.locator for t in targets] == ["gcp:compute:a", "gcp:compute:b"]
    assert {t.kind for t in targets} == {"instance"}


def test_kind_comes_from_the_group(tmp_path: Path) -> None:
    assert classify("gcloud compute disks delete d1", tmp_path)[0].kind == "disk"


def test_copy_to_a_local_path_targets_the_path(tmp_path: Path) -> None:
    target = classify("gsutil cp gs://b/dump.sql ./dump.sql", tmp_path)[0]
    assert target.kind == "path"
    assert target.locator == str(tmp_path / "dump.sql")


def test_variable_name_is_unresolved(tmp_path: Path) -> None:
    target = classify("gcloud sql instances delete $DB", tmp_path)[0]
    assert target.unresolved
    assert target.risk == Risk.CATASTROPHIC


def test_variable_url_is_the_worst_case(tmp_path: Path) -> None:
    target = classify("gcloud storage rm -r $URL", tmp_path)[0]
    assert target.unresolved
    assert target.risk == Risk.CATASTROPHIC


def test_gsutil_header_option_is_not_help(tmp_path: Path) -> None:
    target = classify("gsutil -h x-goog-meta-a:b rm -r gs://b", tmp_path)[0]
    assert target.risk == Risk.CATASTROPHIC
