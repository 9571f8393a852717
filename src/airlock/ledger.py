"""The record: a hash-chained, Ed25519-signed ledger kept in Airlock's database.

Each entry's ``hash`` is sha256 over a canonical JSON of its fields and the previous
entry's hash, so changing, removing or reordering any entry breaks every hash after
it. Every ``checkpoint_every`` entries (and on shutdown) the head ``(seq, hash)`` is
signed with the server's Ed25519 key, so a rewrite of the whole chain by someone with
database access but without the key is detected too.

Appends happen inside the caller's transaction and are serialised per database: the
chain-head row is locked (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite every write
transaction is ``BEGIN IMMEDIATE``), so two replicas never fork the chain.

An approval is the proof a claim is checked against: the ``approved`` entry carries what
the claim needs (fingerprint, agent, cooldown, expiry) and is signed *at its own entry*
in the transaction that records it (:meth:`Ledger.append_signed`). Someone who can write
the database but has not the key can edit a request row, or append an entry with valid
hashes, but cannot make either look approved (:func:`signed_approval`), and
:func:`verify` reports every request row the signed ledger does not back.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import Connection, func, insert, select

from airlock.hold import states as S
from airlock.store.db import Store
from airlock.store.models import checkpoints, ledger, ledger_head, requests

GENESIS = "0" * 64
_HEAD_SQL = "SELECT seq, hash FROM ledger_head WHERE id = 1"
_INSERT_SQL = ("INSERT INTO ledger (seq, at, kind, request_id, actor, payload, prev_hash, "
               "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
_MOVE_HEAD_SQL = "UPDATE ledger_head SET seq = ?, hash = ? WHERE id = 1"
# the driver's own paramstyle: sqlite3 takes ?, psycopg %s; PostgreSQL locks the head row
_SQL = {False: (_HEAD_SQL, _INSERT_SQL, _MOVE_HEAD_SQL),
        True: (_HEAD_SQL + " FOR UPDATE", _INSERT_SQL.replace("?", "%s"),
               _MOVE_HEAD_SQL.replace("?", "%s"))}
KEY_FILE = "ledger-ed25519.pem"

# The events the hold and record stages append.
KINDS = (
    "submitted", "decided", "held", "approval", "approved", "rejected", "aborted", "ready",
    "expired", "execution-claimed", "failed", "token-issued", "human-created", "login",
    "login-failed", "server-started", "server-stopped", "tamper-detected",
    "claiming", "quarantined", "undone", "undo-point", "undo-point-restored",
)
# Entries after which a request can never be claimed (again).
CLOSING = ("execution-claimed", "aborted", "rejected", "expired", "failed", "tamper-detected")
# What an ``approved`` entry carries for the claim to be checked against it.
APPROVAL_FIELDS = ("fingerprint", "agent", "approvers", "cooldown_until", "expires_at",
                   "required_approvers")


def entry_hash(seq: int, at: float, kind: str, request_id: str | None, actor: str,
               payload: str, prev_hash: str) -> str:
    body = json.dumps(
        {"seq": seq, "at": repr(float(at)), "kind": kind, "request_id": request_id,
         "actor": actor, "payload": payload, "prev_hash": prev_hash},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def checkpoint_message(seq: int, head: str) -> bytes:
    return f"airlock-ledger-checkpoint\n{seq}\n{head}".encode()


# ---- the signing key ---------------------------------------------------------------


def load_or_create_key(data_dir: str) -> Ed25519PrivateKey:
    """The server's Ed25519 key in ``data_dir``, created (mode 0600) on first use."""
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    path = os.path.join(data_dir, KEY_FILE)
    try:
        with open(path, "rb") as fh:
            key = serialization.load_pem_private_key(fh.read(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 key")
        return key
    except FileNotFoundError:
        pass
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(tmp, path)  # never overwrite a key another process created meanwhile
    except FileExistsError:
        os.unlink(tmp)
        return load_or_create_key(data_dir)
    os.unlink(tmp)
    return key


def public_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


# ---- appending -----------------------------------------------------------------------


class Ledger:
    def __init__(self, store: Store, key: Ed25519PrivateKey | None,
                 checkpoint_every: int = 100) -> None:
        self.store = store
        self.key = key
        self.checkpoint_every = max(1, checkpoint_every)

    def append(self, conn: Connection, kind: str, actor: str, request_id: str | None = None,
               payload: dict[str, Any] | None = None, at: float | None = None) -> int:
        """Append one entry inside ``conn``'s transaction; returns its sequence number."""
        return self.append_many(conn, [(kind, actor, request_id, payload, at)])

    def append_signed(self, conn: Connection, kind: str, actor: str,
                      request_id: str | None = None, payload: dict[str, Any] | None = None,
                      at: float | None = None) -> tuple[int, str]:
        """Append one entry and sign a checkpoint exactly at it, inside ``conn``'s
        transaction (so the entry never exists unsigned); returns its (seq, hash). An
        approval is recorded this way: the signature at its own entry is what a claim is
        checked against."""
        seq, head = self._append(conn, [(kind, actor, request_id, payload, at)])
        if self.key is not None and seq % self.checkpoint_every != 0:  # else just signed
            self._sign(conn, seq, head)
        return seq, head

    def append_many(self, conn: Connection,
                    items: Iterable[tuple[str, str, str | None, dict[str, Any] | None,
                                          float | None]]) -> int:
        """Append ``(kind, actor, request_id, payload, at)`` entries in order, inside
        ``conn``'s transaction: the chain head is read and locked once, the rows go in as
        one batch, the head is moved once, and every checkpoint the batch crosses is
        signed. Returns the last sequence number."""
        return self._append(conn, items)[0]

    def _append(self, conn: Connection,
                items: Iterable[tuple[str, str, str | None, dict[str, Any] | None,
                                      float | None]]) -> tuple[int, str]:
        # Three statements on the driver's own cursor, in ``conn``'s transaction: on the
        # proxy's path this runs for nearly every call, and building SQLAlchemy statements
        # cost more than SQLite's own work (0.55 → 0.29 ms of CPU a one-entry transaction).
        head_sql, insert_sql, move_sql = _SQL[self.store.postgres]
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cur.execute(head_sql)
            seq, prev = cur.fetchone()
            rows: list[tuple[Any, ...]] = []
            signs: list[tuple[int, str]] = []
            for kind, actor, request_id, payload, at in items:
                seq += 1
                at = time.time() if at is None else at
                body = json.dumps(payload or {}, sort_keys=True, separators=(",", ":"),
                                  ensure_ascii=False)
                prev_hash, prev = prev, entry_hash(seq, at, kind, request_id, actor, body,
                                                   prev)
                rows.append((seq, at, kind, request_id, actor, body, prev_hash, prev))
                if self.key is not None and seq % self.checkpoint_every == 0:
                    signs.append((seq, prev))
            if rows:
                cur.executemany(insert_sql, rows)
                cur.execute(move_sql, (seq, prev))
        finally:
            cur.close()
        for s, h in signs:
            self._sign(conn, s, h)
        return int(seq), str(prev)

    def checkpoint(self) -> int | None:
        """Sign the current head if it is not signed yet (called on start and shutdown).

        An unsigned ``approved`` entry at the head is never signed here: Airlock signs
        every approval it records in the same transaction (:meth:`append_signed`), so an
        unsigned one was written by someone else, and signing it now would make it look
        approved. Returns the signed head's seq, None when nothing was signed."""
        if self.key is None:
            return None
        with self.store.write() as conn:
            q = select(ledger_head.c.seq, ledger_head.c.hash).where(ledger_head.c.id == 1)
            if self.store.postgres:
                q = q.with_for_update()
            seq, head = conn.execute(q).one()
            if seq == 0:
                return None
            done = conn.execute(select(checkpoints.c.seq).where(checkpoints.c.seq == seq))
            if done.first() is None:
                kind = conn.execute(select(ledger.c.kind).where(ledger.c.seq == seq)
                                    ).scalar_one_or_none()
                if kind == "approved":
                    return None
                self._sign(conn, seq, head)
            return int(seq)

    def _sign(self, conn: Connection, seq: int, head: str) -> None:
        assert self.key is not None
        sig = self.key.sign(checkpoint_message(seq, head)).hex()
        conn.execute(insert(checkpoints).values(seq=seq, hash=head, at=time.time(),
                                                public_key=public_hex(self.key),
                                                signature=sig))


# ---- reading -------------------------------------------------------------------------


def entries(store: Store, page: int = 2000) -> Iterator[dict[str, Any]]:
    last = 0
    while True:
        with store.read() as conn:
            rows = conn.execute(select(ledger).where(ledger.c.seq > last)
                                .order_by(ledger.c.seq).limit(page)).mappings().all()
        if not rows:
            return
        for row in rows:
            yield dict(row)
        last = rows[-1]["seq"]


def export(store: Store, out: IO[str]) -> int:
    """Write every entry as one JSON object per line; returns the count."""
    n = 0
    for row in entries(store):
        row = dict(row)
        row["payload"] = json.loads(row["payload"])
        out.write(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")
        n += 1
    return n


def request_entries(conn: Connection, request_id: str,
                    kinds: Iterable[str] = ("approved", *CLOSING)) -> list[dict[str, Any]]:
    """One request's entries of ``kinds``, in order (one query, on the request_id index)."""
    rows = conn.execute(select(ledger).where(ledger.c.request_id == request_id,
                                             ledger.c.kind.in_(tuple(kinds)))
                        .order_by(ledger.c.seq)).mappings().all()
    return [dict(r) for r in rows]


def _digest(row: Any) -> str:
    return entry_hash(row["seq"], row["at"], row["kind"], row["request_id"], row["actor"],
                      row["payload"], row["prev_hash"])


def _payload(row: Any) -> dict[str, Any]:
    try:
        body = json.loads(row["payload"])
    except ValueError:
        return {}
    return cast(dict[str, Any], body) if isinstance(body, dict) else {}


def _signature_problem(cp: Any, seq: int, digest: str, public_keys: Iterable[str]
                       ) -> str | None:
    """Why checkpoint ``cp`` does not prove entry ``seq`` (hash ``digest``), or None."""
    if cp is None:
        return "is not signed at its own entry"
    if cp["hash"] != digest:
        return "is not the entry its checkpoint signed"
    if str(cp["public_key"]).lower() not in {k.lower() for k in public_keys}:
        return "is signed by a key this server does not trust"
    try:
        pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(cp["public_key"]))
        pub.verify(bytes.fromhex(cp["signature"]), checkpoint_message(seq, digest))
    except (InvalidSignature, ValueError):
        return "has a bad signature"
    return None


def signed_approval(conn: Connection, entries: list[dict[str, Any]],
                    public_keys: Iterable[str]) -> tuple[dict[str, Any] | None, str]:
    """The payload (plus its ``seq``) of the one ``approved`` entry among a request's
    ``entries`` when it is intact, signed at its own entry by one of ``public_keys``, and
    carries :data:`APPROVAL_FIELDS`; otherwise (None, why not). One checkpoint lookup
    and one signature check."""
    approved = [e for e in entries if e["kind"] == "approved"]
    if not approved:
        return None, "the ledger has no approval for it"
    if len(approved) > 1:
        return None, f"the ledger has {len(approved)} approvals for it (Airlock records one)"
    entry = approved[0]
    seq = int(entry["seq"])
    if _digest(entry) != entry["hash"]:
        return None, f"its approval (entry {seq}) does not match its hash"
    cp = conn.execute(select(checkpoints).where(checkpoints.c.seq == seq)).mappings().first()
    problem = _signature_problem(cp, seq, entry["hash"], public_keys)
    if problem is not None:
        return None, f"its approval (entry {seq}) {problem}"
    payload = _payload(entry)
    missing = [f for f in APPROVAL_FIELDS if f not in payload]
    if missing:
        return None, f"its approval (entry {seq}) does not say {', '.join(missing)}"
    return {**payload, "seq": seq}, ""


@dataclass
class Verification:
    entries: int = 0
    checkpoints: int = 0
    last_signed_seq: int = 0
    signers: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def unsigned_tail(self) -> int:
        return self.entries - self.last_signed_seq


def verify(store: Store, trusted_keys: Iterable[str]) -> Verification:
    """Check the chain, the head row, every checkpoint's signature and key, and that the
    ledger backs every approved or executed request row (:func:`_request_problem`)."""
    trusted = {k.lower() for k in trusted_keys}
    result = Verification()
    # the request rows first, then the head: a row's state and its entries are committed
    # together, so the entries up to this head are the ones the rows can reflect (on a
    # live server, later ones are not held against them)
    with store.read() as conn:
        reqs = conn.execute(
            select(requests.c.id, requests.c.state, requests.c.agent, requests.c.fingerprint,
                   requests.c.cooldown_until, requests.c.expires_at)
            .where(requests.c.state.in_((*S.CLAIMABLE, S.EXECUTED)))
            .order_by(requests.c.created_at)).mappings().all()
        horizon = conn.execute(select(ledger_head.c.seq).where(ledger_head.c.id == 1)
                               ).scalar_one()
    prev, expect = GENESIS, 1
    hashes: dict[int, str] = {}
    approved: dict[str, list[dict[str, Any]]] = {}
    closing: dict[str, list[dict[str, Any]]] = {}
    for row in entries(store):
        rid = row["request_id"]
        if rid is not None and row["seq"] <= horizon:
            if row["kind"] == "approved":
                approved.setdefault(rid, []).append(row)
            elif row["kind"] in CLOSING:
                closing.setdefault(rid, []).append(row)
        if row["kind"] == "tamper-detected":
            result.errors.append(f"request {rid}: tampering detected (entry {row['seq']}): "
                                 f"{_payload(row).get('reason', '')}")
        if row["seq"] != expect:
            result.errors.append(f"entry {expect} is missing (next is {row['seq']})")
            expect = row["seq"]
        if row["prev_hash"] != prev:
            result.errors.append(f"entry {row['seq']}: prev_hash does not match entry "
                                 f"{row['seq'] - 1}")
        digest = _digest(row)
        if digest != row["hash"]:
            result.errors.append(f"entry {row['seq']}: content does not match its hash")
        prev, expect = row["hash"], expect + 1
        hashes[row["seq"]] = row["hash"]
        result.entries += 1
    with store.read() as conn:
        head_seq, head_hash = conn.execute(select(ledger_head.c.seq, ledger_head.c.hash)
                                           .where(ledger_head.c.id == 1)).one()
        cps = conn.execute(select(checkpoints).order_by(checkpoints.c.seq)).mappings().all()
        count = conn.execute(select(func.count()).select_from(ledger)).scalar_one()
    if head_seq != count or (count and head_hash != prev):
        result.errors.append(f"chain head says entry {head_seq}, the table ends at {count}")
    signed: set[int] = set()  # entries with a good checkpoint of a trusted key at them
    for cp in cps:
        seq = cp["seq"]
        if hashes.get(seq) != cp["hash"]:
            result.errors.append(f"checkpoint {seq}: signed hash is not entry {seq}'s hash")
            continue
        try:
            pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(cp["public_key"]))
            pub.verify(bytes.fromhex(cp["signature"]), checkpoint_message(seq, cp["hash"]))
        except (InvalidSignature, ValueError):
            result.errors.append(f"checkpoint {seq}: bad signature")
            continue
        if cp["public_key"].lower() not in trusted:
            result.errors.append(f"checkpoint {seq}: signed by an untrusted key "
                                 f"{cp['public_key'][:16]}…")
            continue
        signed.add(seq)
        result.checkpoints += 1
        result.signers.add(cp["public_key"])
        result.last_signed_seq = max(result.last_signed_seq, seq)
    # approvals recorded before approvals were signed at their own entry (the old payload
    # has no fingerprint): honoured only below the first signed one, for executed rows
    first_signed = min((e["seq"] for es in approved.values() for e in es
                        if "fingerprint" in _payload(e)), default=None)
    for req in reqs:
        problem = _request_problem(req, approved.get(req["id"], []),
                                   closing.get(req["id"], []), signed, first_signed,
                                   result.last_signed_seq)
        if problem is not None:
            result.errors.append(f"request {req['id']}: state {req['state']} but {problem}")
    return result


def _same(a: Any, b: Any) -> bool:
    try:
        return abs(float(a) - float(b)) <= 1e-6
    except (TypeError, ValueError):
        return False


def _request_problem(row: Any, approved: list[dict[str, Any]], closing: list[dict[str, Any]],
                     signed: set[int], first_signed: int | None, last_signed: int
                     ) -> str | None:
    """Why the ledger does not back an approved (cooling, ready) or executed request row:
    one ``approved`` entry, intact and signed at its own entry by a trusted key, for the
    row's fingerprint, agent, cooldown and expiry; an ``execution-claimed`` entry for an
    executed row; nothing that closed the request for an open one."""
    if not approved:
        return "no signed approval in the ledger"
    if len(approved) > 1:
        return f"{len(approved)} approvals in the ledger (Airlock records one)"
    entry = approved[0]
    seq, body = int(entry["seq"]), _payload(entry)
    claims = [e for e in closing if e["kind"] == "execution-claimed"]
    if row["state"] == S.EXECUTED and not claims:
        return "no execution-claimed entry in the ledger"
    legacy = ("fingerprint" not in body and row["state"] == S.EXECUTED
              and (first_signed is None or seq < first_signed) and seq <= last_signed)
    if legacy:  # chained under a trusted checkpoint; its claim names the fingerprint
        body = {**body, "fingerprint": _payload(claims[0]).get("fingerprint"),
                "agent": row["agent"]}
    elif _digest(entry) != entry["hash"] or seq not in signed:
        return (f"no signed approval in the ledger (its approval, entry {seq}, is not "
                "signed at its own entry by a trusted key)")
    if body.get("fingerprint") != row["fingerprint"] or body.get("agent") != row["agent"]:
        return f"the signed approval (entry {seq}) is for another action or agent"
    if not (_same(body.get("cooldown_until"), row["cooldown_until"])
            and _same(body.get("expires_at"), row["expires_at"])):
        return f"its cooldown or expiry is not the signed approval's (entry {seq})"
    ended = [e["kind"] for e in closing if e["kind"] != "execution-claimed"]
    if row["state"] != S.EXECUTED and claims:
        ended.insert(0, "execution-claimed")
    if len(claims) > 1:
        return f"the ledger records {len(claims)} claims of it"
    if ended:
        return f"the ledger records it as {ended[0]} (entry {_first(closing, ended[0])})"
    return None


def _first(rows: list[dict[str, Any]], kind: str) -> int:
    return next(int(e["seq"]) for e in rows if e["kind"] == kind)
