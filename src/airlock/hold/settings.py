"""Settings of ``airlock serve``: the ``[hold]``, ``[notify]`` and ``[serve]`` sections of
airlock.toml, read beside the core config (which :mod:`airlock.config` parses).

They are read once, when the server starts (a cooldown, the number of approvers or the
notification targets changing under a running request would be a surprise of its own);
the core config — inventory, policies, packs — is reloaded on change by the decision path.
:class:`OwnSectionsWatch` lets the server say so when the file changes."""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field
from typing import Any

from airlock.config import Config, ConfigError, find_config, parse_config, unknown_key

OWN_SECTIONS = ("hold", "notify", "serve")


@dataclass
class HoldSettings:
    production_approvers: int = 2
    default_approvers: int = 1
    cooldown_production: float = 600.0
    cooldown_default: float = 60.0
    cooldown_sandbox: float = 0.0
    approval_ttl: float = 900.0  # how long a cooled-down approval stays usable
    pending_ttl: float = 86400.0  # how long a request waits for humans
    checkpoint_every: int = 100  # sign the ledger head every N entries
    session_ttl: float = 8 * 3600.0
    # wrong codes (with the right password) per user and channel (web, CLI) per window;
    # wrong passwords never lock anyone out (see hold.identity.authenticate)
    login_failures: int = 5
    login_window: float = 300.0


@dataclass
class ServeSettings:
    config: Config
    hold: HoldSettings = field(default_factory=HoldSettings)
    notify_urls: list[str] = field(default_factory=list)
    public_url: str = ""  # base of the links handed to humans; default http://HOST:PORT
    pg_listen: str = ""  # HOST:PORT of the database gateway (``--pg-listen``)
    forward_proxy: str = ""  # HOST:PORT of the forward proxy (``--forward-proxy``)


_NUMBERS = {
    "production_approvers": int, "default_approvers": int, "cooldown_production": float,
    "cooldown_default": float, "cooldown_sandbox": float, "approval_ttl": float,
    "pending_ttl": float, "checkpoint_every": int, "session_ttl": float,
    "login_failures": int, "login_window": float,
}


def load(config_path: str | None, cwd: str | None = None) -> ServeSettings:
    """Load airlock.toml: the core config plus Airlock serve's own sections."""
    cwd = cwd or os.getcwd()
    path = find_config(config_path, cwd)
    if path is None:
        return ServeSettings(config=Config())
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
        data = tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    own = {k: data.pop(k) for k in OWN_SECTIONS if k in data}
    out = ServeSettings(config=parse_config(data, path, text))
    out.hold, out.notify_urls, serve = _own(own, path)
    out.public_url, out.pg_listen = serve["public_url"], serve["pg_listen"]
    out.forward_proxy = serve["forward_proxy"]
    return out


SERVE_KEYS = ("public_url", "pg_listen", "forward_proxy")


def _own(own: dict[str, Any], path: str) -> tuple[HoldSettings, list[str], dict[str, str]]:
    hold = _hold(own.get("hold", {}), path)
    notify = own.get("notify", {})
    if not isinstance(notify, dict):
        raise ConfigError(f"{path}: [notify] must be a table")
    _only(notify, "notify", path)
    urls = notify.get("urls", [])
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise ConfigError(f"{path}: [notify] urls must be a list of apprise URLs")
    serve = own.get("serve", {})
    if not isinstance(serve, dict):
        raise ConfigError(f"{path}: [serve] must be a table")
    _only(serve, "serve", path)
    out = {}
    for key in SERVE_KEYS:
        value = serve.get(key, "")
        if not isinstance(value, str):
            raise ConfigError(f"{path}: [serve] {key} must be a string")
        out[key] = value.rstrip("/")
    return hold, list(urls), out


def own_sections(settings: ServeSettings) -> dict[str, Any]:
    """``[hold]``, ``[notify]`` and ``[serve]`` as ``settings`` holds them, comparable."""
    return {"hold": asdict(settings.hold), "notify": {"urls": list(settings.notify_urls)},
            "serve": {"public_url": settings.public_url, "pg_listen": settings.pg_listen,
                      "forward_proxy": settings.forward_proxy}}


class OwnSectionsWatch:
    """Tells a running server which of its own sections of airlock.toml changed since it
    started (they take effect at the next start): :meth:`check` is cheap (one ``stat``)
    until the file changes, and reports each new content once."""

    def __init__(self, settings: ServeSettings) -> None:
        self.path = settings.config.path
        self.running = own_sections(settings)
        self._stamp = self._stat()
        self._reported: object = self.running

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path) if self.path else None
        except OSError:
            return None
        return None if st is None else (st.st_mtime_ns, st.st_size, st.st_ino)

    def check(self) -> str | None:
        """A message when the file changed to something new since the last report."""
        if not self.path:
            return None
        stamp = self._stat()
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        try:
            with open(self.path, "rb") as fh:
                data = tomllib.loads(fh.read().decode("utf-8", "replace"))
            hold, urls, serve = _own({k: data[k] for k in OWN_SECTIONS if k in data},
                                     self.path)
            now: dict[str, Any] = {"hold": asdict(hold), "notify": {"urls": urls},
                                   "serve": serve}
        except (OSError, tomllib.TOMLDecodeError, ConfigError) as exc:
            now = {"error": str(exc)}
        if now == self._reported:
            return None
        self._reported = now
        if "error" in now:
            return (f"{self.path} changed and cannot be read ({now['error']}); this server "
                    "keeps the [hold], [notify] and [serve] settings it started with")
        changed = [k for k in OWN_SECTIONS if now[k] != self.running[k]]
        if not changed:
            return None
        one = len(changed) == 1
        return (f"{self.path} changed: {', '.join(f'[{k}]' for k in changed)} now "
                f"differ{'s' if one else ''} from what this server runs with, and take"
                f"{'s' if one else ''} effect only after a restart of `airlock serve` (the "
                "inventory, policies and packs are reloaded on change already)")


def _hold(body: Any, path: str) -> HoldSettings:
    if not isinstance(body, dict):
        raise ConfigError(f"{path}: [hold] must be a table")
    _only(body, "hold", path)
    out = HoldSettings()
    for key, value in body.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"{path}: [hold] {key} must be a number >= 0")
        setattr(out, key, _NUMBERS[key](value))
    if out.production_approvers < 1 or out.default_approvers < 1:
        raise ConfigError(f"{path}: [hold] approvers must be at least 1")
    return out


def _only(body: dict[str, Any], section: str, path: str) -> None:
    problem = unknown_key(body, section)
    if problem:
        raise ConfigError(f"{path}: [{section}]: {problem}")
