"""The stand-in PaaS API behaves like the one in the incident."""

from __future__ import annotations

from pathlib import Path

import httpx

from airlock.demo.paas_api import running


def test_any_token_deletes_without_confirmation(tmp_path: Path) -> None:
    with running(str(tmp_path), ["acct", "domains-only"]) as srv:
        url = srv.url + "/graphql/v2"
        assert httpx.post(url, json={"query": "{ me { id } }"}).status_code == 401
        h = {"Authorization": "Bearer domains-only"}
        q = '{ volume(id: "3d2c42fb-prd") { environment { name } files } }'
        body = httpx.post(url, json={"query": q}, headers=h).json()
        assert body["data"]["volume"]["environment"]["name"] == "production"
        assert "db/orders.csv" in body["data"]["volume"]["files"]
        export = httpx.get(srv.url + "/backup/volumes/3d2c42fb-prd", headers=h)
        assert export.status_code == 200 and len(export.content) > 1000
        d = httpx.post(url, json={"query": 'mutation { volumeDelete(volumeId: '
                                           '"3d2c42fb-prd") }'}, headers=h).json()
        assert d["data"]["volumeDelete"] is True
        assert not (tmp_path / "volumes" / "3d2c42fb-prd").exists()
        back = httpx.put(srv.url + "/backup/volumes/3d2c42fb-prd", headers=h,
                         params={"name": "shop-data", "environmentId": "env-prd"},
                         content=export.content)
        assert back.status_code == 200
        assert (tmp_path / "volumes" / "3d2c42fb-prd" / "db" / "orders.csv").exists()
