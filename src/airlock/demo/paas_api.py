"""A faithful local stand-in for a Railway-style PaaS API, for the demo, tests and bench.

- ``POST /graphql/v2``: a real GraphQL server (graphql-core) over projects, environments,
  services, volumes, custom domains and variables. Like the API in the incident, every
  valid token can do everything: no confirmation, no dry run, no delay.
- Volumes are real directories of real files under ``<root>/volumes/<id>/``;
  ``volumeDelete`` removes them.
- ``GET /backup/volumes/<id>``: the volume's files as a tar stream (the provider's export);
  ``PUT /backup/volumes/<id>?name=…&environmentId=…``: recreate a volume from such a tar.

Run it alone: ``python -m airlock.demo.paas_api --port 8790 --root DIR --token T``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import io
import json
import os
import shutil
import tarfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLSchema, build_schema, graphql_sync
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

SDL = """
type Query {
  me: User!
  projects: [Project!]!
  project(id: String!): Project
  environment(id: String!): Environment
  volume(id: String!): Volume
  service(id: String!): Service
  customDomains(environmentId: String!): [CustomDomain!]!
  variables(environmentId: String!): [Variable!]!
}
type Mutation {
  volumeDelete(volumeId: String!): Boolean!
  serviceDelete(id: String!): Boolean!
  environmentDelete(id: String!): Boolean!
  customDomainCreate(input: CustomDomainCreateInput!): CustomDomain!
  variableUpsert(input: VariableUpsertInput!): Boolean!
}
type User { id: String! name: String! }
type Project { id: String! name: String! environments: [Environment!]! }
type Environment {
  id: String! name: String! projectId: String!
  volumes: [Volume!]! services: [Service!]!
}
type Volume {
  id: String! name: String! environment: Environment! sizeBytes: Int! files: [String!]!
}
type Service { id: String! name: String! environment: Environment! }
type CustomDomain { id: String! domain: String! environmentId: String! }
type Variable { name: String! environmentId: String! }
input CustomDomainCreateInput { domain: String! environmentId: String! serviceId: String }
input VariableUpsertInput { name: String! value: String! environmentId: String! }
"""


@dataclass
class PaasState:
    """The whole account, persisted as JSON beside the volumes' directories."""

    root: str
    tokens: set[str] = field(default_factory=set)
    data: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def volumes_dir(self) -> str:
        return os.path.join(self.root, "volumes")

    def volume_dir(self, vid: str) -> str:
        if not vid or "/" in vid or vid.startswith("."):
            raise ValueError("bad volume id")
        return os.path.join(self.volumes_dir, vid)

    def save(self) -> None:
        tmp = os.path.join(self.root, "state.json.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.data, fh, indent=1)
        os.replace(tmp, os.path.join(self.root, "state.json"))

    def env(self, eid: str) -> dict[str, Any] | None:
        return self.data["environments"].get(eid)


def seed(root: str, tokens: list[str]) -> PaasState:
    """A project ``shop`` with staging and production, a volume each holding real files."""
    os.makedirs(root, exist_ok=True)
    st = PaasState(root, set(tokens))
    st.data = {
        "projects": {"prj-shop": {"id": "prj-shop", "name": "shop"}},
        "environments": {
            "env-stg": {"id": "env-stg", "name": "staging", "projectId": "prj-shop"},
            "env-prd": {"id": "env-prd", "name": "production", "projectId": "prj-shop"},
        },
        "services": {
            "svc-web-stg": {"id": "svc-web-stg", "name": "web", "environmentId": "env-stg"},
            "svc-web-prd": {"id": "svc-web-prd", "name": "web", "environmentId": "env-prd"},
        },
        "volumes": {
            "5b1f0c2e-stg": {"id": "5b1f0c2e-stg", "name": "shop-data-staging",
                             "environmentId": "env-stg"},
            "3d2c42fb-prd": {"id": "3d2c42fb-prd", "name": "shop-data",
                             "environmentId": "env-prd"},
        },
        "domains": {},
        "variables": {},
    }
    for vid, rows in (("5b1f0c2e-stg", 3), ("3d2c42fb-prd", 500)):
        d = st.volume_dir(vid)
        os.makedirs(os.path.join(d, "db"), exist_ok=True)
        with open(os.path.join(d, "db", "orders.csv"), "w", encoding="utf-8") as fh:
            fh.write("id,customer,total\n")
            for i in range(rows):
                fh.write(f"{i},customer-{i % 97},{(i * 37) % 1000}.{i % 100:02d}\n")
        with open(os.path.join(d, "backups-are-here-too.txt"), "w", encoding="utf-8") as fh:
            fh.write("the provider's own backups of this volume live on this volume\n")
    st.save()
    return st


def _files(d: str) -> list[str]:
    out = []
    for base, _dirs, names in os.walk(d):
        for n in names:
            out.append(os.path.relpath(os.path.join(base, n), d))
    return sorted(out)


class Root:
    """Resolvers: graphql-core calls a root attribute with (info, **args)."""

    def __init__(self, st: PaasState) -> None:
        self.st = st

    # -- shaping ---------------------------------------------------------------------
    def _env(self, e: dict[str, Any]) -> dict[str, Any]:
        st = self.st
        return {**e,
                "volumes": lambda _i: [self._vol(v) for v in st.data["volumes"].values()
                                       if v["environmentId"] == e["id"]],
                "services": lambda _i: [self._svc(s) for s in st.data["services"].values()
                                        if s["environmentId"] == e["id"]]}

    def _vol(self, v: dict[str, Any]) -> dict[str, Any]:
        d = self.st.volume_dir(v["id"])
        env = self.st.env(v["environmentId"]) or {}

        def size(_i: Any) -> int:
            return sum(os.path.getsize(os.path.join(d, f)) for f in _files(d))

        return {**v, "environment": self._env(env), "sizeBytes": size,
                "files": lambda _i: _files(d)}

    def _svc(self, s: dict[str, Any]) -> dict[str, Any]:
        return {**s, "environment": self._env(self.st.env(s["environmentId"]) or {})}

    # -- queries ---------------------------------------------------------------------
    def me(self, _info: Any) -> dict[str, str]:
        return {"id": "usr-1", "name": "ops"}

    def projects(self, _info: Any) -> list[dict[str, Any]]:
        found = (self.project(_info, p) for p in self.st.data["projects"])
        return [p for p in found if p is not None]

    def project(self, _info: Any, id: str) -> dict[str, Any] | None:
        p = self.st.data["projects"].get(id)
        if p is None:
            return None
        envs = [self._env(e) for e in self.st.data["environments"].values()
                if e["projectId"] == id]
        return {**p, "environments": envs}

    def environment(self, _info: Any, id: str) -> dict[str, Any] | None:
        e = self.st.env(id)
        return self._env(e) if e else None

    def volume(self, _info: Any, id: str) -> dict[str, Any] | None:
        v = self.st.data["volumes"].get(id)
        return self._vol(v) if v else None

    def service(self, _info: Any, id: str) -> dict[str, Any] | None:
        s = self.st.data["services"].get(id)
        return self._svc(s) if s else None

    def customDomains(self, _info: Any, environmentId: str) -> list[dict[str, Any]]:
        return [d for d in self.st.data["domains"].values()
                if d["environmentId"] == environmentId]

    def variables(self, _info: Any, environmentId: str) -> list[dict[str, Any]]:
        return [{"name": k.split("/", 1)[1], "environmentId": environmentId}
                for k in self.st.data["variables"] if k.startswith(environmentId + "/")]

    # -- mutations: no confirmation, no dry run, no delay -------------------------------
    def volumeDelete(self, _info: Any, volumeId: str) -> bool:
        with self.st.lock:
            v = self.st.data["volumes"].pop(volumeId, None)
            if v is None:
                raise ValueError(f"volume {volumeId} not found")
            shutil.rmtree(self.st.volume_dir(volumeId), ignore_errors=True)
            self.st.save()
        return True

    def serviceDelete(self, _info: Any, id: str) -> bool:
        with self.st.lock:
            if self.st.data["services"].pop(id, None) is None:
                raise ValueError(f"service {id} not found")
            self.st.save()
        return True

    def environmentDelete(self, _info: Any, id: str) -> bool:
        with self.st.lock:
            if self.st.data["environments"].pop(id, None) is None:
                raise ValueError(f"environment {id} not found")
            self.st.save()
        return True

    def customDomainCreate(self, _info: Any, input: dict[str, Any]) -> dict[str, Any]:
        if self.st.env(input["environmentId"]) is None:
            raise ValueError("environment not found")
        with self.st.lock:
            did = f"dom-{len(self.st.data['domains']) + 1}"
            d = {"id": did, "domain": input["domain"],
                 "environmentId": input["environmentId"]}
            self.st.data["domains"][did] = d
            self.st.save()
        return d

    def variableUpsert(self, _info: Any, input: dict[str, Any]) -> bool:
        with self.st.lock:
            self.st.data["variables"][f"{input['environmentId']}/{input['name']}"] = "set"
            self.st.save()
        return True


def _authorized(st: PaasState, request: Request) -> bool:
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        return False
    given = auth[7:].strip().encode()
    return any(hmac.compare_digest(given, t.encode()) for t in st.tokens)


def _unauth() -> JSONResponse:
    return JSONResponse({"errors": [{"message": "Not Authorized"}]}, status_code=401)


def create_app(st: PaasState) -> Starlette:
    schema: GraphQLSchema = build_schema(SDL)
    root = Root(st)

    async def graphql_endpoint(request: Request) -> Response:
        if not _authorized(st, request):
            return _unauth()
        try:
            body = json.loads(await request.body())
            query = body["query"]
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"errors": [{"message": "bad request"}]}, status_code=400)
        result = graphql_sync(schema, query, root_value=root,
                              variable_values=body.get("variables"),
                              operation_name=body.get("operationName"))
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [{"message": e.message} for e in result.errors]
        return JSONResponse(out)

    async def export_volume(request: Request) -> Response:
        if not _authorized(st, request):
            return _unauth()
        vid = request.path_params["vid"]
        v = st.data["volumes"].get(vid)
        if v is None:
            return JSONResponse({"error": "no such volume"}, status_code=404)
        d = st.volume_dir(vid)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            tar.add(d, arcname=".")
        data = buf.getvalue()

        async def chunks() -> AsyncIterator[bytes]:
            for i in range(0, len(data), 65536):
                yield data[i:i + 65536]
                await asyncio.sleep(0)

        meta = json.dumps({"id": vid, "name": v["name"], "environmentId": v["environmentId"]})
        return StreamingResponse(chunks(), media_type="application/x-tar",
                                 headers={"X-Volume": meta})

    async def import_volume(request: Request) -> Response:
        if not _authorized(st, request):
            return _unauth()
        vid = request.path_params["vid"]
        name = request.query_params.get("name", vid)
        eid = request.query_params.get("environmentId", "")
        if st.env(eid) is None:
            return JSONResponse({"error": "no such environment"}, status_code=404)
        d = st.volume_dir(vid)
        tmp = d + ".incoming"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        body = await request.body()
        with tarfile.open(fileobj=io.BytesIO(body), mode="r") as tar:
            tar.extractall(tmp, filter="data")
        with st.lock:
            shutil.rmtree(d, ignore_errors=True)
            os.replace(tmp, d)
            st.data["volumes"][vid] = {"id": vid, "name": name, "environmentId": eid}
            st.save()
        return JSONResponse({"id": vid, "restored": True})

    return Starlette(routes=[
        Route("/graphql/v2", graphql_endpoint, methods=["POST"]),
        Route("/backup/volumes/{vid}", export_volume, methods=["GET"]),
        Route("/backup/volumes/{vid}", import_volume, methods=["PUT"]),
    ])


# ---- running a server on loopback in a thread -----------------------------------------


class ThreadServer:
    """A uvicorn server on 127.0.0.1 in a background thread; ``stop()`` ends it."""

    def __init__(self, app: Any, port: int) -> None:
        import uvicorn

        self.port = port
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                access_log=False, lifespan="auto")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn-{port}",
                                       daemon=True)

    def start(self, timeout: float = 15) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running(root: str, tokens: list[str], port: int | None = None) -> Iterator[ThreadServer]:
    st = seed(root, tokens)
    srv = ThreadServer(create_app(st), port or free_port()).start()
    try:
        yield srv
    finally:
        srv.stop()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=8790)
    ap.add_argument("--root", required=True)
    ap.add_argument("--token", action="append", required=True)
    args = ap.parse_args(argv)
    import uvicorn

    uvicorn.run(create_app(seed(args.root, args.token)), host="127.0.0.1", port=args.port,
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
