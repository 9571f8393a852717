"""The protect stage as one object: plan, protect (snapshot + verify), quarantine, undo,
restore, list, doctor, purge. The hold service and the CLI both use it."""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from typing import Any

from airlock.action import Risk, Target
from airlock.protect import NotIndependent, ProtectError
from airlock.protect import journal as J
from airlock.protect.independence import check_path, check_target, protected_path, required
from airlock.protect.manifest import Manifest, redact
from airlock.protect.nets import Context, Net, Report
from airlock.protect.settings import ProtectSettings
from airlock.protect.stores import Store, open_store, verify_blob


def all_nets() -> list[Net]:
    from airlock.protect.directory import DirectoryNet
    from airlock.protect.gitrepo import GitNet
    from airlock.protect.mysql import MysqlNet
    from airlock.protect.postgres import PostgresNet
    from airlock.protect.sqlite import SqliteNet

    return [DirectoryNet(), GitNet(), SqliteNet(), PostgresNet(), MysqlNet()]


# Nets that live outside this package register an undo for their own records here, by
# kind (airlock.broker.volumes: "paas-volume"); ``Protector.undo`` asks each of them too.
EXTERNAL_UNDO: dict[str, Callable[[ProtectSettings, str, bool], list[str]]] = {}
EXTERNAL_MODULES = ("airlock.broker.volumes",)  # imported (so they register) on first undo


def register_undo(kind: str, undo: Callable[[ProtectSettings, str, bool], list[str]]) -> None:
    EXTERNAL_UNDO[kind] = undo


def external_undo(settings: ProtectSettings, request: str, force: bool) -> list[str]:
    for name in EXTERNAL_MODULES:
        importlib.import_module(name)
    return [line for undo in EXTERNAL_UNDO.values() for line in undo(settings, request, force)]


def destructive(targets: list[Target]) -> list[Target]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for t in targets:
        key = (t.locator, t.name, t.verb)
        if t.risk >= Risk.DESTRUCTIVE and key not in seen:
            seen.add(key)
            out.append(t)
    return out


# What Airlock can turn into a quarantine when it executes the action itself, per net.
QUARANTINE_VERBS: dict[str, frozenset[str]] = {
    "directory": frozenset({"fs.delete"}),
    "postgres": frozenset({"sql.drop_database", "sql.drop_table", "sql.drop_schema"}),
    "mysql": frozenset({"sql.drop_database", "sql.drop_table"}),
}


def absent(target: Target) -> bool:
    """A local target that does not exist: nothing to destroy, nothing to protect."""
    path = protected_path(target)
    return path is not None and not os.path.lexists(path)


class Protector:
    def __init__(self, settings: ProtectSettings, store: Store | None = None) -> None:
        self.settings = settings
        self._store = store
        self.nets = all_nets()

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.settings)
        return self._store

    def context(self, report: Report | None = None) -> Context:
        ctx = Context(self.settings, self.store)
        if report is not None:
            ctx.report = report
        return ctx

    def net_for(self, target: Target) -> Net | None:
        return next((n for n in self.nets if n.handles(target)), None)

    def net_named(self, kind: str) -> Net:
        for n in self.nets:
            if n.kind == kind:
                return n
        raise ProtectError(f"no safety net of kind {kind!r}")

    def _unprotected_fails(self, t: Target) -> bool:
        mode = self.settings.unprotected
        return mode == "fail" or (mode == "fail-production" and t.production and not t.sandbox
                                  and not t.local)

    # ---- plan and protect ------------------------------------------------------------

    def plan(self, targets: list[Target]) -> list[dict[str, Any]]:
        out = []
        for t in destructive(targets):
            net = self.net_for(t)
            item: dict[str, Any] = {"target": t.name, "verb": t.verb,
                                    "net": net.kind if net else None}
            if net is None:
                item["does"] = (f"no safety net for {t.verb}: "
                                + ("the claim will fail" if self._unprotected_fails(t)
                                   else "it will run unprotected"))
            else:
                item["does"] = net.describe(t)
                problems = check_target(self.settings, t)
                if problems:
                    item["independence"] = problems
                    item["independence_required"] = required(self.settings, t)
            out.append(item)
        return out

    def protect(self, targets: list[Target], request: str,
                report: Report | None = None) -> list[dict[str, Any]]:
        """Snapshot and verify every destructive target. Raises :class:`ProtectError` (with
        the reason) when any one cannot be protected: then nothing may run."""
        ctx = self.context(report)
        out: list[dict[str, Any]] = []
        for t in destructive(targets):
            net = self.net_for(t)
            if net is None:
                if self._unprotected_fails(t):
                    raise ProtectError(f"no safety net exists for {t.verb} on {t.name}; "
                                       "an unprotected destructive action may not run here")
                out.append({"target": t.name, "verb": t.verb, "unprotected": True})
                continue
            if absent(t):
                out.append({"target": t.name, "verb": t.verb,
                            "skipped": "does not exist: nothing to protect"})
                continue
            problems = check_target(self.settings, t)
            if problems and required(self.settings, t):
                raise NotIndependent("the snapshot store is not independent of "
                                     f"{t.name}: " + "; ".join(problems))
            m = net.snapshot(ctx, t, request)
            J.add(self.settings.journal_dir, request, "snapshots", m.id)
            item = {"target": t.name, "verb": t.verb, **m.summary()}
            if problems:
                item["independence"] = problems
            out.append(item)
        return out

    def quarantine_targets(self, targets: list[Target]) -> list[Target] | None:
        """The targets when *everything* the action does is a delete that a net can turn
        into a quarantine (``rm -rf DIR``, ``DROP DATABASE/TABLE/SCHEMA``); else None, and
        the action must run as it is."""
        if not targets:
            return None
        for t in targets:
            if t.risk < Risk.DESTRUCTIVE or t.unresolved:
                return None
            net = self.net_for(t)
            if net is None or t.verb not in QUARANTINE_VERBS.get(net.kind, frozenset()):
                return None
        return destructive(targets)

    def quarantine(self, targets: list[Target], request: str, report: Report | None = None,
                   reuse_snapshots: bool = False) -> list[dict[str, Any]]:
        """Where Airlock executes the destructive step itself: snapshot, then turn the
        delete into a quarantine (rename + retention clock). ``reuse_snapshots``: a target
        that already has a verified snapshot for ``request`` in this store (taken when the
        request was claimed) is not snapshotted again."""
        todo = destructive(targets)
        if reuse_snapshots:
            have = {(m.source, m.verb) for m in self.snapshots(request)}
            todo = [t for t in todo if (redact(t.locator), t.verb) not in have
                    and (t.locator, t.verb) not in have]
        done = self.protect(todo, request, report)
        ctx = self.context()
        for t in destructive(targets):
            net = self.net_for(t)
            if net is None or absent(t):
                continue
            rec = net.quarantine(ctx, t, request)
            if "skipped" not in rec:
                rec.setdefault("at", time.time())
                rec["purge_after"] = time.time() + self.settings.retention_days * 86400
                rec["source"] = redact(t.locator)
                rec["verb"] = t.verb
                J.add(self.settings.journal_dir, request, "quarantines", rec)
            done.append({"target": t.name, "quarantine": rec})
        return done

    # ---- reading ---------------------------------------------------------------------

    def snapshots(self, request: str | None = None) -> list[Manifest]:
        ms = self.store.manifests()
        return [m for m in ms if request is None or m.request == request]

    def record(self, request: str) -> dict[str, Any]:
        return J.load(self.settings.journal_dir, request)

    # ---- undo and restore ------------------------------------------------------------

    def undo(self, request: str, to: str | None = None, force: bool = False) -> list[str]:
        jdir = self.settings.journal_dir
        rec = J.load(jdir, request)
        ctx = self.context()
        out: list[str] = external_undo(self.settings, request, force)
        covered: set[str] = set()
        for q in rec.get("quarantines", []):
            if q.get("undone") or q.get("purged"):
                continue
            net = self.net_named(q["kind"])
            out.append(net.unquarantine(ctx, q, to))
            q["undone"] = time.time()
            covered.add(q.get("source", ""))
            J.save(jdir, rec)
        manifests = self.snapshots(request)
        if not manifests and not out:
            raise ProtectError(f"request {request} has no snapshot or quarantine to undo")
        for m in manifests:
            if m.source in covered or m.id in rec.get("undone", []):
                continue
            out.append(self.net_named(m.kind).undo(ctx, m, to, force))
            rec.setdefault("undone", []).append(m.id)
            J.save(jdir, rec)
        return out

    def restore(self, snapshot_id: str, to: str, report: Report | None = None) -> str:
        m = self.store.get_manifest(snapshot_id)
        return self.net_named(m.kind).restore(self.context(report), m, to)

    # ---- doctor ----------------------------------------------------------------------

    def doctor(self) -> list[tuple[bool, str]]:
        """Independence of the store, then restore the newest snapshot of each kind into
        a scratch place and compare checksums."""
        results: list[tuple[bool, str]] = []
        try:
            ms = self.store.manifests()
            results.append((True, f"store {self.store.location()}: {len(ms)} snapshots"))
        except ProtectError as exc:
            return [(False, f"store: {exc}")]
        paths = {p for m in ms if (p := protected_path(_target_of(m))) is not None}
        paths |= set(self.settings.protected_paths)
        for path in sorted(paths):
            for problem in check_path(self.settings, path):
                results.append((False, f"independence: {problem}"))
        from airlock.protect.independence import check_credentials

        for problem in check_credentials(self.settings):
            results.append((False, f"independence: {problem}"))
        newest: dict[str, Manifest] = {}
        for m in ms:
            newest[m.kind] = m
        for kind, m in sorted(newest.items()):
            bad = [r for r, b in m.blobs.items() if not verify_blob(self.store, b)]
            if bad:
                results.append((False, f"{kind}: snapshot {m.id}: {len(bad)} blobs missing or "
                                       "corrupt"))
                continue
            scratch = tempfile.mkdtemp(prefix=f"doctor-{kind}-", dir=self.context().scratch())
            try:
                msg = self.net_named(kind).verify_restore(self.context(), m, scratch)
                results.append((True, f"{kind}: snapshot {m.id} ({m.name}): {msg}"))
            except Exception as exc:  # noqa: BLE001 - every failure is a finding
                results.append((False, f"{kind}: snapshot {m.id} ({m.name}) did not restore: "
                                       f"{exc}"))
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        return results

    # ---- retention -------------------------------------------------------------------

    def purgeable(self, now: float | None = None) -> list[tuple[str, dict[str, Any]]]:
        now = time.time() if now is None else now
        out = []
        for rec in J.all_records(self.settings.journal_dir):
            for q in rec.get("quarantines", []):
                if not q.get("undone") and not q.get("purged") and q["purge_after"] <= now:
                    out.append((rec["request"], q))
        return out

    def purge(self, request: str, now: float | None = None, only: set[str] | None = None,
              by: str = "") -> list[str]:
        """Drop the quarantined resources of ``request`` (those named in ``only``, when
        given) whose retention has passed; anything younger is kept, whatever the caller
        was approved to do. ``by``: the purge request, recorded in the journal."""
        now = time.time() if now is None else now
        jdir = self.settings.journal_dir
        rec = J.load(jdir, request)
        out = []
        ctx = self.context()
        for q in rec.get("quarantines", []):
            if only is not None and q.get("quarantine") not in only:
                continue
            if q.get("undone") or q.get("purged"):
                if only is not None:
                    out.append(f"kept {q.get('quarantine')}: already "
                               f"{'undone' if q.get('undone') else 'purged'}")
                continue
            if q["purge_after"] > now:
                out.append(f"kept {q.get('quarantine')}: retention until "
                           f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(q['purge_after']))}")
                continue
            out.append(self.net_named(q["kind"]).purge(ctx, q))
            q["purged"] = now
            if by:
                q["purged_by"] = by
            J.save(jdir, rec)
        return out


def _target_of(m: Manifest) -> Target:
    return Target(kind=m.kind, name=m.name, verb=m.verb, risk=Risk.DESTRUCTIVE,
                  locator=m.source)


def load(data_dir: str, config_path: str | None = None) -> Protector:
    from airlock.protect.settings import load as load_settings

    return Protector(load_settings(data_dir, config_path))
