"""``airlock undo REQUEST`` restores a PaaS volume snapshot (the protect engine hands the
request to broker/volumes.py, registered for kind "paas-volume"), against the stand-in."""

from __future__ import annotations

import json

from tests.broker.test_proxy import DELETE, Rig, rig  # noqa: F401 - the fixture

STG = "5b1f0c2e-stg"


def test_cli_undo_restores_paas_volume(rig: Rig) -> None:  # noqa: F811
    data = rig.root / "volumes" / STG / "db" / "orders.csv"
    original = data.read_bytes()
    tok = rig.token("staging", "railway:volume.*")
    r = rig.gql(tok, DELETE % STG)
    assert r.status_code == 428, r.text
    rid = r.json()["airlock"]["request"]
    rig.airlock.human("alice")
    assert rig.airlock.browser("alice").approve(rid).status_code == 303
    r = rig.gql(tok, DELETE % STG)
    assert r.status_code == 200, r.text
    assert r.headers.get("x-airlock-snapshot")
    assert not data.exists()

    out = rig.airlock.cli("undo", rid)
    assert out.returncode == 0, out.stderr
    assert f"({STG}) restored from snapshot" in out.stdout
    assert data.read_bytes() == original

    again = rig.airlock.cli("undo", rid)  # done once: nothing left to undo
    assert again.returncode == 1 and "no snapshot or quarantine" in again.stderr
    # a snapshot not yet undone never overwrites a volume that exists now
    manifest = next((rig.airlock.home / "snapshots" / "paas" / rid).glob("*.json"))
    m = json.loads(manifest.read_text())
    del m["undone"]
    manifest.write_text(json.dumps(m))
    refused = rig.airlock.cli("undo", rid)
    assert refused.returncode == 4 and "exists now" in refused.stderr
    forced = rig.airlock.cli("undo", rid, "--force")
    assert forced.returncode == 0 and "restored" in forced.stdout

    from airlock import ledger

    kinds = [e["kind"] for e in ledger.entries(rig.airlock.ctx.store)]
    assert kinds.count("undone") == 2
