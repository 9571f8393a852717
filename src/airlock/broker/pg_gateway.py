"""The database gateway: agents reach PostgreSQL through Airlock, with an Airlock token.

``airlock serve --pg-listen 127.0.0.1:6543`` listens for the PostgreSQL wire protocol. An
agent connects with any client to ``postgresql://AGENT:alk_…@127.0.0.1:6543/NAME``, where
NAME is a ``[[databases]]`` entry of the service's airlock.toml. The gateway

1. takes the token as the password (asked in clear text: the gateway listens on loopback)
   and checks it as the proxy does — known, not expired or revoked, its scope the
   database's environment, a grant naming the database (``NAME:*.*`` or narrower);
2. connects upstream as the entry's user with the password from Airlock's secrets
   (cleartext, MD5 or SCRAM-SHA-256 by ``scramp``; TLS when the upstream URL's sslmode
   asks), so the agent never holds the real credential;
3. decides every statement — simple queries (each string whole), Parse (and Bind again
   when the bound values can widen a write), function calls — with the same classifier,
   resolver and policies as ``airlock check``, plus the escapes of ``pg_guard.py``;
4. passes what is allowed through untouched and relays the server's answers as raw bytes
   (results stream; nothing is buffered), and replaces what is refused by a statement
   that makes the *server* raise the refusal: the client sees a PostgreSQL error naming
   the request and its URL, the transaction is left exactly as the server leaves it after
   an error (aborted, or the implicit transaction rolled back), never half-applied.

A held statement is a request of the hold service like any other (a human approves it,
types the name, waits the cooldown); sent again after approval, the identical statement
is claimed once, the PostgreSQL safety net snapshots its targets first, and it runs.

Ledger: one entry per decided statement — reads queued for the group commit (a few ms
late), anything else committed before it is forwarded (write-ahead); refusals at connect
are recorded too. Message payloads are decoded and encoded by ``pygwire``; the gateway
only splits the client's byte stream at message boundaries.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import ssl
import struct
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from pygwire.constants import StartupRequestCode
from pygwire.messages import (
    AuthenticationCleartextPassword,
    AuthenticationOk,
    BackendKeyData,
    Bind,
    CancelRequest,
    ErrorResponse,
    Execute,
    Parse,
    PasswordMessage,
    Query,
    SASLInitialResponse,
    SASLResponse,
    SSLRequest,
    StartupMessage,
)

from airlock.broker import pg_guard, tokens
from airlock.broker.pg_decide import Expired, Judge, Session, Verdict, inline
from airlock.broker.pg_functions import Catalog, LookUp
from airlock.broker.recorder import Entry
from airlock.config import Database

log = logging.getLogger("airlock.gateway")
HEADER = struct.Struct("!cI")
LENGTH = struct.Struct("!I")
MAX_STARTUP = 10_000
# one message of the agent's is held in memory whole before it is decided or passed on:
# bounded far below PostgreSQL's own 1 GB (clients send COPY data in small chunks)
MAX_MESSAGE = 64 << 20
ON_LOOP = 16 << 10  # statements longer than this are decided in a worker thread
CHUNK = 256 << 10
CONNECT_TIMEOUT = 10.0
REFUSED = "42501"  # insufficient_privilege
AUTH_FAILED = "28P01"  # invalid_password
T = TypeVar("T")
# execute, describe, sync, flush, COPY data from the agent: passed on as they are
PASS = frozenset((b"E", b"D", b"S", b"H", b"d", b"c", b"f"))


class GatewayError(Exception):
    """A connection that cannot go on; the message is what the client is told."""

    def __init__(self, message: str, code: str = "08004") -> None:
        super().__init__(message)
        self.code = code


def raising(message: str, hint: str = "") -> str:
    """A statement that makes the server raise ``message`` (SQLSTATE 42501) as its own
    error, so the session's transaction state is the server's, not the gateway's guess."""
    while True:
        outer, inner = "a" + secrets.token_hex(5), "m" + secrets.token_hex(5)
        if f"${inner}$" not in message + hint and f"${outer}$" not in message + hint:
            break
    parts = [f"ERRCODE = '{REFUSED}'", f"MESSAGE = ${inner}${message}${inner}$"]
    if hint:
        parts.append(f"HINT = ${inner}${hint}${inner}$")
    return f"DO ${outer}$ BEGIN RAISE EXCEPTION USING {', '.join(parts)}; END ${outer}$"


def _message(kind: bytes, payload: bytes) -> bytes:
    return HEADER.pack(kind, len(payload) + 4) + payload


def _error(message: str, code: str, severity: str = "FATAL", hint: str = "") -> bytes:
    fields = {"S": severity, "V": severity, "C": code, "M": message}
    if hint:
        fields["H"] = hint
    return bytes(ErrorResponse(fields=fields).to_wire())


async def _read_message(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    kind, length = HEADER.unpack(await reader.readexactly(5))
    if length < 4 or length > MAX_MESSAGE:
        raise GatewayError("a malformed message", "08P01")
    return kind, await reader.readexactly(length - 4)


class PgGateway:
    """The listener ``airlock serve --pg-listen`` runs (a ``server.app.WireListener``)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.server: asyncio.AbstractServer | None = None
        self.sessions: set[asyncio.Task[None]] = set()
        self.cancels: dict[tuple[int, bytes], tuple[Database, int, bytes]] = {}
        self.tls: ssl.SSLContext | None = None

    # ---- the listener ----------------------------------------------------------------

    async def start(self, ctx: Any, broker: Any) -> str:
        from airlock.broker.secrets import SecretBox

        self.ctx, self.broker = ctx, broker
        self.config = ctx.settings.config
        self.databases = {d.name: d for d in self.config.databases}
        self.secrets = SecretBox(ctx.store, ctx.ledger, ctx.data_dir)
        ctx.service.protector().settings.secret_reader = self.secrets.reveal
        self.judge = Judge(ctx.service, broker.recorder, Catalog(
            lambda db: self.secrets.reveal(db.secret) if db.secret else ""))
        self.tls = self._tls_context(ctx.data_dir)
        self.server = await asyncio.start_server(self._accept, self.host, self.port,
                                                 limit=CHUNK)
        self.port = self.server.sockets[0].getsockname()[1]
        names = ", ".join(sorted(self.databases)) or "none declared: add [[databases]]"
        return f"database gateway on {self.host}:{self.port} ({names})"

    def _tls_context(self, data_dir: str) -> ssl.SSLContext | None:
        """The server side of TLS for agents that ask for it: a leaf certificate for the
        listening address from the installation's CA (``ca.py``); None (TLS refused, as
        PostgreSQL without ssl does) when the CA cannot be made or read."""
        from airlock.broker.ca import CAError, load_or_create

        try:
            return load_or_create(data_dir).context(self.host, alpn=("postgresql",))
        except (CAError, OSError, ValueError) as exc:
            log.warning("database gateway: no TLS for agents (%s)", exc)
            return None

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.sessions):
            task.cancel()
        if self.sessions:
            await asyncio.wait(self.sessions, timeout=5)

    async def _thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.broker_pool(), fn, *args)

    def broker_pool(self) -> Any:
        pool = getattr(self, "_pool", None)
        if pool is None:
            from concurrent.futures import ThreadPoolExecutor

            pool = self._pool = ThreadPoolExecutor(max_workers=16,
                                                   thread_name_prefix="airlock-gateway")
        return pool

    async def _accept(self, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.sessions.add(task)
        try:
            await self._session(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        except GatewayError as exc:
            await self._fatal(writer, str(exc), exc.code)
        except Exception:
            log.exception("gateway session failed")
            await self._fatal(writer, "the Airlock gateway failed on this session", "XX000")
        finally:
            self.sessions.discard(task)
            writer.close()

    @staticmethod
    async def _fatal(writer: asyncio.StreamWriter, message: str, code: str) -> None:
        try:
            writer.write(_error(message, code))
            await asyncio.wait_for(writer.drain(), 2)
        except (TimeoutError, OSError):
            pass

    # ---- connecting ------------------------------------------------------------------

    async def _startup(self, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> StartupMessage | None:
        while True:
            (length,) = LENGTH.unpack(await reader.readexactly(4))
            if not 8 <= length <= MAX_STARTUP:
                raise GatewayError("a malformed startup packet", "08P01")
            payload = await reader.readexactly(length - 4)
            (code,) = LENGTH.unpack(payload[:4])
            if code == StartupRequestCode.SSL_REQUEST and self.tls is not None and \
                    writer.get_extra_info("sslcontext") is None:
                # TLS with Airlock's own CA (the forward proxy's): clients whose URL says
                # sslmode=require connect as they are; verify-full needs sslrootcert
                writer.write(b"S")
                await writer.drain()
                await writer.start_tls(self.tls, ssl_handshake_timeout=CONNECT_TIMEOUT)
                continue
            if code in (StartupRequestCode.SSL_REQUEST, StartupRequestCode.GSSENC_REQUEST):
                writer.write(b"N")
                await writer.drain()
                continue
            if code == StartupRequestCode.CANCEL_REQUEST:
                await self._cancel(CancelRequest.decode(memoryview(payload)))
                return None
            if code >> 16 != 3:
                raise GatewayError("protocol version 3 is required", "08P01")
            return StartupMessage.decode(memoryview(payload))

    async def _session(self, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> None:
        startup = await asyncio.wait_for(self._startup(reader, writer), CONNECT_TIMEOUT)
        if startup is None:
            return
        params = dict(startup.params)
        peer = str(writer.get_extra_info("peername"))
        name = params.get("database") or params.get("user", "")
        why = pg_guard.startup_problem(params)
        db = self.databases.get(name)
        if why is None and db is None:
            why = (f"no database {name!r} is declared for the gateway (declared: "
                   f"{', '.join(sorted(self.databases)) or 'none'})")
        if why is not None:
            await self._refuse_connect(writer, params, None, why, "3D000")
            return
        assert db is not None
        writer.write(AuthenticationCleartextPassword().to_wire())
        await writer.drain()
        kind, payload = await asyncio.wait_for(_read_message(reader), CONNECT_TIMEOUT)
        if kind != b"p":
            raise GatewayError("expected a password message", "08P01")
        token = PasswordMessage.decode(memoryview(payload)).password
        token = token.decode("utf-8", "replace") if isinstance(token, bytes) else token
        principal, why = await self._authenticate(token, db)
        if principal is None:
            await self._refuse_connect(writer, params, token, why, AUTH_FAILED)
            return
        session = Session(db, principal, peer, token, time.monotonic())
        up_reader, up_writer = await self._upstream(db, params)
        try:
            await self._greet(session, up_reader, writer)
            self.broker.recorder.append("gateway-session", principal.agent.agent, None, {
                "database": db.name, "token_id": principal.token_id, "peer": peer,
                "application": params.get("application_name", "")})
            pipe = asyncio.ensure_future(self._pipe(up_reader, writer))
            try:
                await self._relay(session, reader, up_writer, pipe)
            finally:
                pipe.cancel()
        finally:
            up_writer.close()

    async def _authenticate(self, token: str, db: Database
                            ) -> tuple[tokens.TokenPrincipal | None, str]:
        if not token.startswith(tokens.TOKEN_PREFIX):
            return None, ("this is not an Airlock token: connect with an Airlock token as "
                          "the password (airlock token issue … --allow "
                          f"{db.name}:*.read); a raw database password is never used here")
        principal = tokens.cached(self.ctx.store, token)
        if principal is None:
            principal = await self._thread(tokens.lookup_cached, self.ctx.store, token)
        if principal is None:
            return None, "the Airlock token is unknown, expired or revoked"
        for link in principal.chain:
            if link.scope and link.scope != db.env:
                return None, (f"token {link.token_id} is scoped to {link.scope}; database "
                              f"{db.name} is in {db.env}")
            if not link.allow or not any(_names(p, db.name) for p in link.allow):
                return None, (f"token {link.token_id} carries no grant for database "
                              f"{db.name} (issue one with --allow {db.name}:*.read, "
                              f"{db.name}:*.write, …)")
        return principal, ""

    async def _refuse_connect(self, writer: asyncio.StreamWriter, params: dict[str, str],
                              token: str | None, why: str, code: str) -> None:
        entry: Entry = ("gateway-refused", "unknown", None, {
            "database": params.get("database", ""), "user": params.get("user", "")[:100],
            "reason": why, **({"token_sha256": hashlib.sha256(token.encode()).hexdigest()[:16]}
                              if token else {})})
        try:
            await asyncio.wrap_future(self.broker.recorder.submit([entry]))
        except Exception as exc:  # noqa: BLE001 - refused all the same
            log.error("ledger: %s", exc)
        await self._fatal(writer, f"Airlock refused the connection: {why}", code)

    async def _upstream(self, db: Database, params: dict[str, str]
                        ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        url = urlsplit(db.upstream)
        try:
            up_reader, up_writer = await asyncio.wait_for(self._open(db), CONNECT_TIMEOUT)
        except (TimeoutError, OSError) as exc:
            raise GatewayError(f"the database server of {db.name} cannot be reached "
                               f"({type(exc).__name__})", "08001") from None
        forwarded = {k: v for k, v in params.items() if k not in ("user", "database")}
        forwarded.update(user=url.username or "postgres", database=url.path.lstrip("/"))
        up_writer.write(StartupMessage(params=forwarded).to_wire())
        password = await self._thread(self.secrets.reveal, db.secret) if db.secret else ""
        scram: Any = None
        while True:
            kind, payload = await asyncio.wait_for(_read_message(up_reader), CONNECT_TIMEOUT)
            if kind == b"E":
                err = ErrorResponse.decode(memoryview(payload))
                up_writer.close()
                raise GatewayError(f"the database server of {db.name} refused Airlock's "
                                   f"connection: {err.message}", err.code or "08004")
            if kind != b"R":
                continue  # NegotiateProtocolVersion and the like
            (code,) = LENGTH.unpack(payload[:4])
            if code == 0:
                return up_reader, up_writer
            if code == 3:
                up_writer.write(PasswordMessage(password=password).to_wire())
            elif code == 5:
                user = url.username or "postgres"
                inner = hashlib.md5((password + user).encode()).hexdigest()
                outer = hashlib.md5(inner.encode() + payload[4:8]).hexdigest()
                up_writer.write(PasswordMessage(password="md5" + outer).to_wire())
            elif code == 10:
                from scramp import ScramClient  # type: ignore[import-untyped]

                mechanisms = [m for m in payload[4:].split(b"\x00") if m]
                if b"SCRAM-SHA-256" not in mechanisms:
                    raise GatewayError(f"the database server of {db.name} offers no "
                                       "authentication Airlock speaks", "28000")
                scram = ScramClient(["SCRAM-SHA-256"], url.username or "postgres", password)
                up_writer.write(SASLInitialResponse(
                    mechanism="SCRAM-SHA-256",
                    data=scram.get_client_first().encode()).to_wire())
            elif code == 11 and scram is not None:
                scram.set_server_first(payload[4:].decode())
                up_writer.write(SASLResponse(data=scram.get_client_final().encode()).to_wire())
            elif code == 12 and scram is not None:
                scram.set_server_final(payload[4:].decode())
            else:
                raise GatewayError(f"the database server of {db.name} asks for an "
                                   f"authentication Airlock does not speak ({code})", "28000")
            await up_writer.drain()

    async def _open(self, db: Database) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A connection to ``db``'s server, in TLS as its URL's sslmode says."""
        url = urlsplit(db.upstream)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        host, port = url.hostname or "localhost", url.port or 5432
        mode = query.get("sslmode", "prefer")
        reader, writer = await asyncio.open_connection(host, port, limit=CHUNK)
        if mode == "disable":
            return reader, writer
        writer.write(SSLRequest().to_wire())
        await writer.drain()
        answer = await reader.readexactly(1)
        if answer != b"S":
            if mode in ("require", "verify-ca", "verify-full"):
                writer.close()
                raise GatewayError(f"the database server of {db.name} does not offer TLS "
                                   f"(sslmode={mode})", "08001")
            return reader, writer
        context = ssl.create_default_context(cafile=query.get("sslrootcert") or None)
        if mode in ("prefer", "require"):  # libpq's meaning: encrypted, not verified
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif mode == "verify-ca":
            context.check_hostname = False
        await writer.start_tls(context, server_hostname=host)
        return reader, writer

    async def _greet(self, session: Session, up_reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        """AuthenticationOk, the server's parameters, our own cancel key, ReadyForQuery."""
        writer.write(AuthenticationOk().to_wire())
        while True:
            kind, payload = await asyncio.wait_for(_read_message(up_reader), CONNECT_TIMEOUT)
            if kind == b"K":
                real = BackendKeyData.decode(memoryview(payload))
                pid, key = secrets.randbelow(1 << 31), secrets.token_bytes(4)
                self.cancels[(pid, key)] = (session.db, real.process_id, real.secret_key)
                session.cancel_key = (pid, key)
                writer.write(BackendKeyData(process_id=pid, secret_key=key).to_wire())
                continue
            writer.write(_message(kind, payload))
            if kind == b"Z":
                await writer.drain()
                return
            if kind == b"E":
                raise GatewayError("the database server ended the connection", "08006")

    async def _cancel(self, request: Any) -> None:
        """A cancel request for one of our sessions (by the key only it was given) is
        passed on with the server's real key; any other is dropped, as PostgreSQL does."""
        found = self.cancels.get((request.process_id, bytes(request.secret_key)))
        if found is None:
            return
        db, pid, key = found
        try:
            _r, w = await asyncio.wait_for(self._open(db), CONNECT_TIMEOUT)
            w.write(CancelRequest(process_id=pid, secret_key=key).to_wire())
            await w.drain()
            w.close()
        except (TimeoutError, OSError, GatewayError):
            pass

    # ---- relaying --------------------------------------------------------------------

    @staticmethod
    async def _pipe(up_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """The server's answers, as raw bytes, as fast as the agent takes them."""
        try:
            while True:
                data = await up_reader.read(CHUNK)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _relay(self, s: Session, reader: asyncio.StreamReader,
                     up_writer: asyncio.StreamWriter, pipe: asyncio.Future[None]) -> None:
        buf = bytearray()
        try:
            while not pipe.done():
                data = await reader.read(CHUNK)
                if not data:
                    return
                buf += data
                out: list[bytes] = []
                pos = 0
                while len(buf) - pos >= 5:
                    kind, length = HEADER.unpack_from(buf, pos)
                    if length < 4:
                        raise GatewayError("a malformed message", "08P01")
                    if length > MAX_MESSAGE:
                        raise GatewayError(f"a message larger than {MAX_MESSAGE >> 20} MiB "
                                           "is not passed on by the gateway", "54000")
                    end = pos + 1 + length
                    if len(buf) < end:
                        break
                    raw = bytes(buf[pos:end])
                    pos = end
                    if not s.discard and (kind in PASS or (kind == b"B" and not s.recheck)):
                        out.append(raw)  # the common case: nothing to decide in it
                    elif kind == b"X":
                        up_writer.write(b"".join(out) + raw)
                        return
                    else:
                        await self._client_message(s, kind, raw, out)
                del buf[:pos]
                if out:
                    up_writer.write(b"".join(out))
                    await up_writer.drain()
        finally:
            self.judge.flush_reads(s)
            if s.cancel_key is not None:
                self.cancels.pop(s.cancel_key, None)

    async def _client_message(self, s: Session, kind: bytes, raw: bytes,
                              out: list[bytes]) -> None:
        """Append to ``out`` what goes upstream for one message of the agent's."""
        if s.discard:
            if kind == b"S":
                s.discard = False
                out.append(raw)
            return  # the server would skip it too, after the error
        payload = memoryview(raw)[5:]
        if kind == b"Q":
            sql = Query.decode(payload).query_string
            verdict = await self._decide(s, sql)
            out.append(raw if verdict.allow else
                       Query(query_string=raising(verdict.message, verdict.hint)).to_wire())
        elif kind == b"P":
            msg = Parse.decode(payload)
            verdict = await self._decide(s, msg.query)
            if verdict.allow:
                s.statements[msg.statement] = msg.query
                (s.recheck.add if verdict.recheck else s.recheck.discard)(msg.statement)
                out.append(raw)
            else:
                self._refuse_extended(s, verdict, out)
        elif kind == b"B":
            if s.recheck:
                bind = Bind.decode(payload)
                if bind.statement in s.recheck:
                    verdict = await self._decide(s, inline(s.statements[bind.statement], bind))
                    if not verdict.allow:
                        self._refuse_extended(s, verdict, out)
                        return
            out.append(raw)
        elif kind == b"C" and raw[5:6] == b"S":
            name = raw[6:-1].decode("utf-8", "replace")
            s.statements.pop(name, None)
            s.recheck.discard(name)
            out.append(raw)
        elif kind in (b"E", b"D", b"C", b"S", b"H", b"d", b"c", b"f"):
            out.append(raw)  # execute, describe, close, sync, flush, COPY data from the agent
        elif kind == b"F":
            why = "the function-call protocol is not available through the gateway (use SQL)"
            await self.judge.record(s, self.judge.refusal(s, "(function call)", why))
            out.append(Query(query_string=raising(f"Airlock refused this: {why}")).to_wire())
        else:
            raise GatewayError(f"message type {kind!r} is not passed on by the gateway",
                               "08P01")

    @staticmethod
    def _refuse_extended(s: Session, verdict: Verdict, out: list[bytes]) -> None:
        """An extended-protocol batch with a refused statement: the server raises the
        refusal in its place and skips the rest of the batch up to Sync, as it does after
        any error (the agent's own messages up to Sync are dropped here)."""
        out.append(Parse(statement="", query=raising(verdict.message, verdict.hint),
                         param_types=[]).to_wire())
        out.append(Bind(portal="", statement="", param_formats=[], param_values=[],
                        result_formats=[]).to_wire())
        out.append(Execute(portal="", max_rows=0).to_wire())
        s.discard = True

    async def _decide(self, s: Session, sql: str) -> Verdict:
        if time.monotonic() - s.checked > tokens.CACHE_TTL:
            # a revoked token (or ancestor) stops the session within CACHE_TTL, as on /proxy
            live = tokens.cached(self.ctx.store, s.token) or await self._thread(
                tokens.lookup_cached, self.ctx.store, s.token)
            if live is None:
                raise GatewayError("the Airlock token was revoked or expired", AUTH_FAILED)
            s.principal, s.checked = live, time.monotonic()
        verdict: Verdict | None = None
        for _ in range(2):
            try:
                if len(sql) <= ON_LOOP:
                    verdict = self.judge.verdict(s, sql)
                else:
                    verdict = await self._thread(self.judge.verdict, s, sql)
                break
            except Expired as exc:
                raise GatewayError(str(exc), AUTH_FAILED) from None
            except LookUp as need:  # the functions it runs: ask the database what they are
                try:
                    await self._thread(self.judge.catalog.look_up, s.db, need.names)
                except Exception as exc:  # noqa: BLE001 - fail closed, and say why
                    log.warning("catalog of %s: %s", s.db.name, exc)
                    return Verdict(False, f"Airlock refused this statement: it calls "
                                          f"{need}(), and the database's catalog could not "
                                          f"be asked what that does ({type(exc).__name__})")
        else:
            return Verdict(False, "Airlock refused this statement: the functions it calls "
                                  "could not be looked up")
        if verdict is None:
            self.judge.flush_reads(s)
            return await self._thread(self.judge.held, s, sql)
        if verdict.entries:
            why = await self.judge.record(s, verdict.entries)
            if why is not None:
                return Verdict(False, f"Airlock refused this statement: {why}")
        return verdict


def _names(pattern: str, database: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(database, pattern.partition(":")[0])
