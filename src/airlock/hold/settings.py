"""Settings of ``airlock serve``: the ``[hold]``, ``[notify]`` and ``[serve]`` sections of
airlock.toml, read beside the core config (which :mod:`airlock.config` parses)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from typing import Any

from airlock.config import Config, ConfigError, find_config, parse_config

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
    login_failures: int = 5  # per user per login_window
    login_window: float = 300.0


@dataclass
class ServeSettings:
    config: Config
    hold: HoldSettings = field(default_factory=HoldSettings)
    notify_urls: list[str] = field(default_factory=list)
    public_url: str = ""  # base of the links handed to humans; default http://HOST:PORT


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
    out.hold = _hold(own.get("hold", {}), path)
    notify = own.get("notify", {})
    _only(notify, {"urls"}, "[notify]", path)
    urls = notify.get("urls", [])
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise ConfigError(f"{path}: [notify] urls must be a list of apprise URLs")
    out.notify_urls = list(urls)
    serve = own.get("serve", {})
    _only(serve, {"public_url"}, "[serve]", path)
    out.public_url = str(serve.get("public_url", "")).rstrip("/")
    return out


def _hold(body: Any, path: str) -> HoldSettings:
    if not isinstance(body, dict):
        raise ConfigError(f"{path}: [hold] must be a table")
    _only(body, set(_NUMBERS), "[hold]", path)
    out = HoldSettings()
    for key, value in body.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"{path}: [hold] {key} must be a number >= 0")
        setattr(out, key, _NUMBERS[key](value))
    if out.production_approvers < 1 or out.default_approvers < 1:
        raise ConfigError(f"{path}: [hold] approvers must be at least 1")
    return out


def _only(body: dict[str, Any], allowed: set[str], where: str, path: str) -> None:
    extra = sorted(set(body) - allowed)
    if extra:
        raise ConfigError(f"{path}: {where}: unknown key {extra[0]!r} "
                          f"(expected one of {', '.join(sorted(allowed))})")
