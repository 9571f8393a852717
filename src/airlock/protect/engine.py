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

Step = Callable[[dict[str, Any]], None]  # one quarantine/undo step, just done
OK, WARN, FAIL = "ok", "warn", "fail"  # the levels of a doctor finding


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
                   reuse_snapshots: bool = False,
                   on_step: Step | None = None) -> list[dict[str, Any]]:
        """Where Airlock executes the destructive step itself: snapshot, then turn the
        delete into a quarantine (rename + retention clock). ``reuse_snapshots``: a target
        that already has a verified snapshot for ``request`` in this store (taken when the
        request was claimed) is not snapshotted again. ``on_step`` is called with each
        quarantine just done (to put it on the record)."""
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
                if on_step is not None:
                    on_step({"what": rec.get("name", t.name), "kind": rec.get("kind"),
                             "verb": t.verb, "source": rec["source"],
                             "where": rec.get("quarantine"), "purge_after": rec["purge_after"]})
            done.append({"target": t.name, "quarantine": rec})
        return done

    # ---- reading ---------------------------------------------------------------------

    def snapshots(self, request: str | None = None) -> list[Manifest]:
        ms = self.store.manifests()
        return [m for m in ms if request is None or m.request == request]

    def record(self, request: str) -> dict[str, Any]:
        return J.load(self.settings.journal_dir, request)

    # ---- undo and restore ------------------------------------------------------------

    def undo(self, request: str, to: str | None = None, force: bool = False,
             on_step: Step | None = None) -> list[str]:
        """Bring back what ``request`` destroyed: each quarantine moved back, else each
        target restored from its newest snapshot (one per target: a claim taken over after
        a crash may have snapshotted it twice). Raises :class:`RestoreRefused` rather than
        overwrite anything. Undoing what is undone already changes nothing and says when
        it was done. ``on_step`` is called with each step just done (to record it)."""
        jdir = self.settings.journal_dir
        ctx = self.context()
        out: list[str] = external_undo(self.settings, request, force)
        already: list[str] = []

        def done(rec: dict[str, Any], step: dict[str, Any], line: str) -> None:
            step = {**step, "at": time.time(), "to": to, "result": line}
            rec.setdefault("undo_log", []).append(step)
            J.save(jdir, rec)  # each step on the record before the next one
            out.append(line)
            if on_step is not None:
                on_step(step)

        with J.update(jdir, request) as rec:
            covered: set[str] = set()
            for q in rec.get("quarantines", []):
                if q.get("purged"):
                    continue
                if q.get("undone"):
                    covered.add(q.get("source", ""))
                    already.append(f"{q.get('name')} was moved back from quarantine at "
                                   f"{_when(q['undone'])}")
                    continue
                line = self.net_named(q["kind"]).unquarantine(ctx, q, to)
                q["undone"] = time.time()
                covered.add(q.get("source", ""))
                done(rec, {"what": q.get("name"), "kind": q.get("kind"), "from": "quarantine",
                           "quarantine": q.get("quarantine")}, line)
            manifests = self.snapshots(request)
            if not manifests and not rec.get("quarantines") and not out:
                raise ProtectError(f"request {request} has no snapshot or quarantine to undo")
            newest: dict[tuple[str, str, str, str], Manifest] = {}
            for m in manifests:  # oldest first: the last one of each target wins
                newest[_target_key(m)] = m
            undone = set(rec.get("undone", []))
            for key, m in newest.items():
                if m.source in covered:
                    continue
                same = {x.id for x in manifests if _target_key(x) == key}
                if undone & same:
                    when = [e["at"] for e in rec.get("undo_log", [])
                            if e.get("snapshot") in undone & same]
                    already.append(f"{m.name} was restored from its snapshot"
                                   + (f" at {_when(when[-1])}" if when else ""))
                    continue
                line = self.net_named(m.kind).undo(ctx, m, to, force)
                rec.setdefault("undone", []).append(m.id)
                done(rec, {"what": m.name, "kind": m.kind, "from": "snapshot",
                           "snapshot": m.id, "source": m.source}, line)
        if not out:
            if already:
                return [f"request {request} was already undone: " + "; ".join(already)
                        + " (nothing more to do)"]
            return [f"request {request}: nothing left to undo (its quarantines were purged "
                    "and it has no snapshot)"]
        return out

    def restore(self, snapshot_id: str, to: str, report: Report | None = None) -> str:
        m = self.store.get_manifest(snapshot_id)
        return self.net_named(m.kind).restore(self.context(report), m, to)

    # ---- doctor ----------------------------------------------------------------------

    def doctor(self) -> list[tuple[bool, str]]:
        """:meth:`checkup` as (not a failure, text): a warning is not a failure."""
        return [(level != FAIL, text) for level, text in self.checkup()]

    def checkup(self) -> list[tuple[str, str]]:
        """(``ok`` | ``warn`` | ``fail``, what, and for anything not ok: what fixes it).
        Independence of the store (a warning under ``require_independent = "never"``, the
        embedded default, as docs/safety-net.md says; a failure under ``production`` or
        ``always``), then the newest snapshot of each kind restored into a scratch place
        and its checksums compared."""
        results: list[tuple[str, str]] = []
        where = self._settings_file()
        try:
            ms = self.store.manifests()
            results.append((OK, f"store {self.store.location()}: {len(ms)} snapshots"))
        except ProtectError as exc:
            return [(FAIL, f"store: {exc}. Fix: make the store reachable and writable "
                           "(`path` for a local store; `bucket`, `endpoint_url` and its key "
                           f"for S3) under [protect] in {where}, then run `airlock doctor` "
                           "again")]
        level, verdict = self._independence_verdict()
        paths = {p for m in ms if (p := protected_path(_target_of(m))) is not None}
        paths |= set(self.settings.protected_paths)
        for path in sorted(paths):
            for problem in check_path(self.settings, path):
                if problem.startswith("cannot stat"):
                    fix = (f"check that {path} exists and that the user running `airlock "
                           "doctor` can read it")
                else:
                    fix = ("put the store on another disk or machine: `path = "
                           '"/mnt/other-disk/airlock"` (or `store = "s3"`) under [protect] '
                           f"in {where}")
                results.append((level, f"independence: {problem} ({verdict}). Fix: {fix}"))
        from airlock.protect.independence import check_credentials

        for problem in check_credentials(self.settings):
            fix = (f"give the store a key of its own: set ${self.settings.access_key_env} and "
                   f"${self.settings.secret_key_env} for Airlock (never the agent's "
                   "AWS_ACCESS_KEY_ID), or name other variables with access_key_env / "
                   f"secret_key_env under [protect] in {where}")
            results.append((level, f"independence: {problem} ({verdict}). Fix: {fix}"))
        newest: dict[str, Manifest] = {}
        for m in ms:
            newest[m.kind] = m
        for kind, m in sorted(newest.items()):
            bad = [r for r, b in m.blobs.items() if not verify_blob(self.store, b)]
            if bad:
                results.append((FAIL, f"{kind}: snapshot {m.id}: {len(bad)} blobs missing or "
                                      "corrupt, so it cannot be restored. Fix: find what "
                                      f"deleted or changed files in {self.store.location()} "
                                      "(keep the store where agents cannot write; Object "
                                      "Lock for S3); `airlock snapshots --request "
                                      f"{m.request or 'ID'}` shows what it protected"))
                continue
            scratch = tempfile.mkdtemp(prefix=f"doctor-{kind}-", dir=self.context().scratch())
            try:
                msg = self.net_named(kind).verify_restore(self.context(), m, scratch)
                results.append((OK, f"{kind}: snapshot {m.id} ({m.name}): {msg}"))
            except Exception as exc:  # noqa: BLE001 - every failure is a finding
                results.append((FAIL, f"{kind}: snapshot {m.id} ({m.name}) did not restore: "
                                      f"{exc}. Fix: {_restore_fix(kind, m.id, where)}"))
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        return results

    def _independence_verdict(self) -> tuple[str, str]:
        mode = self.settings.require_independent
        if mode == "never":
            return WARN, ('a warning: require_independent = "never" (the default), so claims '
                          'still run; "production" or "always" makes it refuse them')
        if mode == "production":
            return FAIL, ('require_independent = "production": the claim of a production '
                          "target there fails")
        return FAIL, 'require_independent = "always": every claim there fails'

    def _settings_file(self) -> str:
        src = self.settings.source
        if src and src != "(defaults)":
            return src
        return (f"{os.path.join(self.settings.data_dir, 'protect.toml')} (or "
                "$AIRLOCK_PROTECT_CONFIG)")

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
        out = []
        ctx = self.context()
        with J.update(jdir, request) as rec:
            for q in rec.get("quarantines", []):
                if only is not None and q.get("quarantine") not in only:
                    continue
                if q.get("undone") or q.get("purged"):
                    if only is not None:
                        out.append(f"kept {q.get('quarantine')}: already "
                                   f"{'undone' if q.get('undone') else 'purged'}")
                    continue
                if q["purge_after"] > now:
                    until = time.strftime("%Y-%m-%d %H:%M", time.localtime(q["purge_after"]))
                    out.append(f"kept {q.get('quarantine')}: retention until {until}")
                    continue
                out.append(self.net_named(q["kind"]).purge(ctx, q))
                q["purged"] = now
                if by:
                    q["purged_by"] = by
                J.save(jdir, rec)
        return out


def _restore_fix(kind: str, snapshot: str, where: str) -> str:
    see = f"`airlock restore {snapshot} --to NEW-NAME` shows the whole error"
    if kind == "postgres":
        return (f"doctor restores into a scratch database: pg_restore must be installed and "
                f"the [[protect.credentials]] user (in {where}) needs CREATEDB; {see}")
    if kind == "mysql":
        return (f"doctor restores into a scratch database: the mysql client must be installed "
                f"and the [[protect.credentials]] user (in {where}) needs CREATE; {see}")
    if kind == "git":
        return f"git must be installed for the user running `airlock doctor`; {see}"
    return see


def _target_key(m: Manifest) -> tuple[str, str, str, str]:
    """One target of a request: two snapshots with this key are of the same thing."""
    return (m.kind, m.source, m.name, m.verb)


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))


def _target_of(m: Manifest) -> Target:
    return Target(kind=m.kind, name=m.name, verb=m.verb, risk=Risk.DESTRUCTIVE,
                  locator=m.source)


def load(data_dir: str, config_path: str | None = None) -> Protector:
    from airlock.protect.settings import load as load_settings

    return Protector(load_settings(data_dir, config_path))
