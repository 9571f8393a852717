"""Airlock's own certificate authority, for the forward proxy (``forward_proxy.py``).

One CA per installation, created in the data dir on first use: ``ca/airlock-ca.pem``
(the certificate: public, ``airlock ca export`` prints it) and ``ca/airlock-ca.key``
(the private key: 0600 in a 0700 directory, owned by whoever runs ``airlock serve`` — in
a system install the service user, so the agent's user can never mint a certificate).
For each intercepted host the proxy issues a short-lived leaf certificate signed by it,
once per process, and keeps the TLS server context for that host in memory.

Certificates are built with ``cryptography``'s X.509 builder; TLS itself is OpenSSL
through Python's :mod:`ssl` (no hand-written TLS). Keys are ECDSA P-256: signing a leaf
takes well under a millisecond, and every TLS client in use accepts them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DIR = "ca"
CA_CERT = "airlock-ca.pem"
CA_KEY = "airlock-ca.key"
CA_YEARS = 10
LEAF_DAYS = 90  # well under the 398 days clients accept for a server certificate


class CAError(Exception):
    """The CA cannot be read or created (its files, their permissions)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def new_ca(common_name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A new self-signed CA certificate and its key (also used by tests for stand-ins)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Airlock"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = _now()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                         crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return cert, key


def issue_leaf(ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey,
               host: str, key: ec.EllipticCurvePrivateKey,
               days: int = LEAF_DAYS) -> x509.Certificate:
    """A server certificate for ``host`` (a DNS name or an IP address) signed by the CA."""
    try:
        san: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        san = x509.DNSName(host)
    now = _now()
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64])]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False,
                                         content_commitment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectAlternativeName([san]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                ca_ski), critical=False)
            .sign(ca_key, hashes.SHA256()))


def server_context(cert_pem: bytes, key_pem: bytes, scratch: str,
                   alpn: tuple[str, ...] = ("http/1.1",)) -> ssl.SSLContext:
    """A TLS server context for one certificate. :mod:`ssl` loads certificates only from
    files: the PEM is written to a private file in ``scratch``, loaded, and removed."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_alpn_protocols(list(alpn))
    fd, path = tempfile.mkstemp(prefix=".leaf-", suffix=".pem", dir=scratch)
    try:
        with os.fdopen(fd, "wb") as fh:  # mkstemp: 0600
            fh.write(cert_pem + key_pem)
        ctx.load_cert_chain(path)
    finally:
        os.unlink(path)
    return ctx


@dataclass
class Authority:
    """The installation's CA, loaded; :meth:`context` is the TLS server side per host."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    directory: str
    _leaf_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    _contexts: dict[str, ssl.SSLContext] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def cert_path(self) -> str:
        return os.path.join(self.directory, CA_CERT)

    def context(self, host: str, alpn: tuple[str, ...] = ("http/1.1",)) -> ssl.SSLContext:
        """The TLS server context presenting a leaf certificate for ``host`` (made on
        first use, then kept for the life of the process); ``alpn``: the protocols it
        offers (the forward proxy: HTTP/1.1; the database gateway: ``postgresql``)."""
        key = f"{host}|{','.join(alpn)}"
        found = self._contexts.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._contexts.get(key)
            if found is None:
                leaf = issue_leaf(self.cert, self.key, host, self._leaf_key)
                found = server_context(
                    leaf.public_bytes(serialization.Encoding.PEM) + self.cert_pem,
                    _pem_key(self._leaf_key), self.directory, alpn)
                self._contexts[key] = found
        return found


def _write_private(path: str, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load_or_create(data_dir: str, create: bool = True) -> Authority:
    """The CA of the installation whose data dir is ``data_dir`` (created on first use
    when ``create``). Refuses a key file that others can read."""
    directory = os.path.join(data_dir, CA_DIR)
    cert_path, key_path = os.path.join(directory, CA_CERT), os.path.join(directory, CA_KEY)
    if not os.path.exists(key_path):
        if not create:
            raise CAError(f"no CA in {directory} yet: it is created by the first "
                          "`airlock serve --forward-proxy` or `airlock ca export`")
        os.makedirs(directory, mode=0o700, exist_ok=True)
        os.chmod(directory, 0o700)
        cert, key = new_ca(f"Airlock forward proxy CA ({socket.gethostname()[:40]})")
        _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
        _write_private(key_path, _pem_key(key), 0o600)
    mode = os.stat(key_path).st_mode & 0o777
    if mode & 0o077:
        raise CAError(f"{key_path} is readable by others (mode {mode:o}): "
                      f"`chmod 600 {key_path}`, then restart")
    try:
        cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
        loaded = serialization.load_pem_private_key(Path(key_path).read_bytes(), None)
    except (OSError, ValueError) as exc:
        raise CAError(f"the CA in {directory} cannot be read: {exc}") from None
    if not isinstance(loaded, ec.EllipticCurvePrivateKey) or \
            loaded.public_key() != cert.public_key():
        raise CAError(f"{key_path} does not belong to {cert_path}")
    return Authority(cert, loaded, directory)


def system_bundle() -> str | None:
    """The system's CA bundle file (OpenSSL's default, else certifi's), or None."""
    paths = ssl.get_default_verify_paths()
    for p in (paths.cafile, paths.openssl_cafile, "/etc/ssl/certs/ca-certificates.crt"):
        if p and os.path.isfile(p):
            return p
    try:
        import certifi
    except ImportError:
        return None
    return str(certifi.where())


def write_bundle(ca_pem: bytes, path: str) -> str:
    """System CAs + Airlock's CA in one PEM file at ``path`` (readable by its owner and
    others: certificates are public), for clients that take a single trust file."""
    system = system_bundle()
    parts = [Path(system).read_bytes().rstrip(b"\n") + b"\n"] if system else []
    parts.append(ca_pem)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    _write_private(path, b"".join(parts), 0o644)
    return path
