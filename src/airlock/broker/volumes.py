"""The safety net for PaaS volumes: before an approved delete is forwarded, export the
volume through the provider's backup endpoint into Airlock's own snapshot store, verify it,
and only then let the delete through. :meth:`VolumeNet.undo` imports it back.

This lives here, behind the small :class:`VolumeNet` interface, because the protect stage's
nets (``airlock.protect.engine.all_nets``) are local ones. ``airlock undo REQUEST`` reaches
it through the engine's external-undo registry (:func:`undo_request`, registered below for
kind ``paas-volume``): each manifest names the provider it came from and the config in
force, so the CLI finds the provider's endpoint and the stored credential again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import time
from collections.abc import Callable
from typing import Any

import httpx

from airlock.action import Risk, Target
from airlock.broker.providers import Provider, has_id
from airlock.broker.secrets import SecretError


class NetError(Exception):
    """The snapshot could not be taken or verified: the action must not run."""


def store_dir(data_dir: str) -> str:
    return os.path.join(data_dir, "snapshots", "paas")


class VolumeNet:
    kind = "paas-volume"

    def __init__(self, data_dir: str, credential: Callable[[str], str],
                 config_path: str | None = None) -> None:
        self.root = store_dir(data_dir)
        self.credential = credential
        self.config_path = config_path

    def handles(self, prov: Provider, t: Target) -> bool:
        return bool(prov.volume_backup) and t.kind == "volume" and \
            t.risk >= Risk.DESTRUCTIVE and has_id(t)

    def _url(self, prov: Provider, ident: str) -> str:
        return prov.upstream + prov.volume_backup.replace("{id}", ident)

    def _headers(self, prov: Provider) -> dict[str, str]:
        return {prov.auth_header: prov.auth_value(self.credential(prov.secret))}

    def snapshot(self, prov: Provider, t: Target, request: str) -> dict[str, Any]:
        ident = t.locator.split(":", 2)[2]
        d = os.path.join(self.root, request)
        os.makedirs(d, mode=0o700, exist_ok=True)
        blob = os.path.join(d, f"{ident}.tar")
        h = hashlib.sha256()
        size = 0
        try:
            with httpx.Client(timeout=60, verify=prov.verify) as client, client.stream(
                    "GET", self._url(prov, ident), headers=self._headers(prov)) as r:
                if r.status_code != 200:
                    raise NetError(f"the provider refused the volume export ({r.status_code})")
                meta = json.loads(r.headers.get("x-volume", "{}"))
                with open(blob + ".part", "wb") as fh:
                    for chunk in r.iter_bytes():
                        h.update(chunk)
                        size += len(chunk)
                        fh.write(chunk)
                    fh.flush()
                    os.fsync(fh.fileno())
        except (httpx.HTTPError, ValueError, OSError) as exc:
            raise NetError(f"volume export failed: {type(exc).__name__}") from None
        os.replace(blob + ".part", blob)
        manifest = {"kind": self.kind, "provider": prov.name, "volume": ident,
                    "name": meta.get("name", ident), "environmentId": meta.get("environmentId"),
                    "request": request, "blob": blob, "sha256": h.hexdigest(), "bytes": size,
                    "taken_at": time.time(), "config": self.config_path}
        manifest["files"] = self.verify(manifest)
        with open(os.path.join(d, f"{ident}.json"), "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=1)
        return manifest

    def verify(self, manifest: dict[str, Any]) -> int:
        """Re-read the blob: its hash matches and it opens as a tar of regular files."""
        h = hashlib.sha256()
        with open(manifest["blob"], "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        if h.hexdigest() != manifest["sha256"]:
            raise NetError("snapshot does not match its hash")
        try:
            with tarfile.open(manifest["blob"]) as tar:
                files = [m for m in tar.getmembers() if m.isfile()]
        except tarfile.TarError as exc:
            raise NetError(f"snapshot is not a readable archive: {exc}") from None
        if not files:
            raise NetError("snapshot holds no files")
        return len(files)

    def manifests(self, request: str) -> list[dict[str, Any]]:
        d = os.path.join(self.root, request)
        if not os.path.isdir(d):
            return []
        out = []
        for name in sorted(os.listdir(d)):
            if name.endswith(".json"):
                with open(os.path.join(d, name), encoding="utf-8") as fh:
                    out.append(json.load(fh))
        return out

    def exists(self, prov: Provider, ident: str) -> bool:
        """Whether the provider has a volume with this id now (its export answers)."""
        try:
            with httpx.Client(timeout=30, verify=prov.verify) as client, client.stream(
                    "GET", self._url(prov, ident), headers=self._headers(prov)) as r:
                if r.status_code in (200, 404):
                    return r.status_code == 200
        except httpx.HTTPError as exc:
            raise NetError(f"cannot ask the provider: {type(exc).__name__}") from None
        raise NetError(f"the provider did not say whether volume {ident} exists "
                       f"({r.status_code})")

    def undo(self, prov: Provider, request: str, force: bool = False) -> list[str]:
        """Import every volume snapshot of ``request`` back through the provider's API.
        A volume that exists now under the same id is not overwritten (``force``: it is);
        a snapshot already brought back is skipped."""
        done = []
        for m in self.manifests(request):
            if m.get("undone"):
                continue
            self.verify(m)
            if not force and self.exists(prov, m["volume"]):
                raise NetError(f"volume {m['volume']} exists now: not overwritten (undo "
                               "--force replaces it)")
            with open(m["blob"], "rb") as fh:
                r = httpx.put(self._url(prov, m["volume"]), headers=self._headers(prov),
                              params={"name": m["name"], "environmentId": m["environmentId"]},
                              content=fh.read(), timeout=60, verify=prov.verify)
            if r.status_code != 200:
                raise NetError(f"the provider refused the restore ({r.status_code})")
            m["undone"] = time.time()
            path = os.path.join(self.root, request, f"{m['volume']}.json")
            with open(path + ".tmp", "w", encoding="utf-8") as fh:
                json.dump(m, fh, indent=1)
            os.replace(path + ".tmp", path)
            done.append(f"volume {m['name']} ({m['volume']}) restored from snapshot "
                        f"{m['sha256'][:12]} ({m['files']} files)")
        return done


def undo_request(settings: Any, request: str, force: bool = False) -> list[str]:
    """``airlock undo REQUEST`` for PaaS volumes (the protect engine calls this through
    ``register_undo``): nothing to do — and no database opened — unless ``request`` has
    volume snapshots in ``<data_dir>/snapshots/paas/``."""
    from airlock.protect import ProtectError, RestoreRefused

    data_dir = settings.data_dir
    pending = [m for m in VolumeNet(data_dir, str).manifests(request) if not m.get("undone")]
    if not pending:
        return []
    from airlock.broker.providers import load
    from airlock.broker.secrets import SecretBox
    from airlock.hold.settings import load as load_settings
    from airlock.instance import build

    config = pending[0].get("config")
    ctx = build(load_settings(config, data_dir), None, "http://127.0.0.1:8750",
                with_checker=False)
    try:
        providers = load(ctx.settings.config.path)
        box = SecretBox(ctx.store, ctx.ledger, data_dir)
        net = VolumeNet(data_dir, box.reveal, config)
        out: list[str] = []
        for name in sorted({m["provider"] for m in pending}):
            prov = providers.get(name)
            if prov is None:
                raise ProtectError(f"request {request}: provider {name!r} is no longer "
                                   "configured; cannot restore its volume snapshots")
            try:
                lines = net.undo(prov, request, force)
            except NetError as exc:
                if "exists now" in str(exc):
                    raise RestoreRefused(str(exc)) from None
                raise ProtectError(str(exc)) from None
            except SecretError as exc:
                raise ProtectError(str(exc)) from None
            if lines:
                with ctx.store.write() as conn:
                    ctx.ledger.append(conn, "undone", "cli", request,
                                      {"net": VolumeNet.kind, "provider": name,
                                       "restored": lines})
            out.extend(lines)
        return out
    finally:
        ctx.store.close()


def _register() -> None:
    from airlock.protect.engine import register_undo

    register_undo(VolumeNet.kind, undo_request)


class BrokerProtector:
    """What the hold service calls before it lets an approved action run (its
    ``protect``/``plan`` interface): PaaS volumes get :class:`VolumeNet`, every other
    target goes to the protect stage's own :class:`~airlock.protect.engine.Protector`."""

    def __init__(self, net: VolumeNet, provider: Callable[[], Provider | None],
                 fallback: Callable[[], Any]) -> None:
        self.net = net
        self.provider = provider  # the provider of the call being decided (thread-local)
        self.fallback = fallback
        self._fallback: Any = None

    def _split(self, targets: list[Target]) -> tuple[Provider | None, list[Target],
                                                      list[Target]]:
        prov = self.provider()
        mine = [t for t in targets if prov is not None and self.net.handles(prov, t)]
        return prov, mine, [t for t in targets if t not in mine]

    def _rest(self) -> Any:
        if self._fallback is None:
            self._fallback = self.fallback()
        return self._fallback

    def plan(self, targets: list[Target]) -> list[dict[str, Any]]:
        _prov, mine, rest = self._split(targets)
        out = [{"target": t.name, "verb": t.verb, "net": self.net.kind,
                "does": "export the volume through the provider's backup endpoint into "
                        "Airlock's snapshot store, verify it, then run"} for t in mine]
        plan: list[dict[str, Any]] = self._rest().plan(rest) if rest else []
        return out + plan

    def protect(self, targets: list[Target], request: str,
                report: Any = None) -> list[dict[str, Any]]:
        prov, mine, rest = self._split(targets)
        out: list[dict[str, Any]] = []
        for t in mine:
            assert prov is not None
            m = self.net.snapshot(prov, t, request)
            out.append({"target": t.name, "verb": t.verb, "net": self.net.kind,
                        "snapshot": m["sha256"], "bytes": m["bytes"], "files": m["files"]})
        if rest:
            out.extend(self._rest().protect(rest, request, report))
        return out


_register()
